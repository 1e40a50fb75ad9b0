"""Streaming metrics: accumulate cases over batches, steps and processes, derive once.

An :class:`Accumulator` keeps, per case and label, the confusion counts and
the requested surface-distance values, plus the counts summed over every case.
That state is small (a few numbers per case and label), picklable, and
mergeable: :meth:`Accumulator.merge` adds another accumulator's cases, and
:func:`segmetrics.torch_sync.sync` gathers the cases of every process of a
``torch.distributed`` group.

Two aggregations of the overlap metrics, chosen by ``aggregation``:

- ``"mean"``: the metric of each case, then their mean over the cases. A case
  whose metric is 0/0 (both masks empty for Dice) gets ``zero_division``; NaN
  values are left out of the mean, as the CLI's summary leaves them out.
- ``"micro"``: the metric of the counts summed over every case (one confusion
  table for the dataset); every voxel weighs the same, so large cases dominate.

Distance metrics are always means of per-case values: NaN (both masks empty) is
left out, and ``inf`` (exactly one mask empty) is replaced by the case's image
diagonal in physical units, the worst possible distance, as ``segmetrics-eval``
does in ``summary.json``.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt

from segmetrics import batch as _batch
from segmetrics import from_counts as _formulas
from segmetrics._validate import check_choice, check_real
from segmetrics._types import ArrayInput, FloatArray, Labels
from segmetrics.from_counts import Counts

if TYPE_CHECKING:
    from typing_extensions import Self

    from segmetrics.distance import SurfaceDistances

_Table = npt.NDArray[np.int64]

__all__ = ["AGGREGATIONS", "DISTANCE_METRICS", "OVERLAP_METRICS", "Accumulator"]

OVERLAP_METRICS: dict[str, Callable[..., FloatArray]] = {
    "dice": _formulas.dice, "jaccard": _formulas.jaccard, "sensitivity": _formulas.sensitivity,
    "specificity": _formulas.specificity, "precision": _formulas.precision,
    "accuracy": _formulas.accuracy, "kappa": _formulas.kappa,
}
#: The CLI's names: Hausdorff distance, its 95th percentile, ASSD, normalised surface Dice.
DISTANCE_METRICS = ("hd", "hd95", "assd", "nsd")
AGGREGATIONS = ("mean", "micro")


def _distance_value(name: str, distances: SurfaceDistances,
                    nsd_tolerance: float | None) -> float:
    if name == "hd":
        return distances.hausdorff()
    if name == "hd95":
        return distances.hd95()
    if name == "assd":
        return distances.assd()
    return distances.surface_dice(cast(float, nsd_tolerance))  # set whenever "nsd" is asked


def mean_inf_as_diagonal(values: npt.ArrayLike, diagonals: npt.ArrayLike) -> FloatArray:
    """Mean over cases (axis 0): ``inf`` replaced by the case's diagonal, NaN left out.

    The rule of ``segmetrics.evaluate``'s summary statistics (there a private
    helper that also computes the other statistics); NaN where no value is left.
    """
    array = np.asarray(values, dtype=np.float64)
    column = np.asarray(diagonals, dtype=np.float64).reshape((-1,) + (1,) * (array.ndim - 1))
    replaced = np.where(np.isinf(array), column, array)
    return _nanmean(replaced)


def _nanmean(values: FloatArray) -> FloatArray:
    """Mean over axis 0 without NaN (NaN where none is left), without a warning."""
    kept = ~np.isnan(values)
    total = np.where(kept, values, 0.0).sum(axis=0)
    count = kept.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean: FloatArray = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return mean


class Accumulator:
    """Accumulate overlap and distance metrics over many cases; compute once.

    Parameters
    ----------
    metrics : sequence of str, default ("dice",)
        Overlap metrics (``"dice"``, ``"jaccard"``, ``"sensitivity"``,
        ``"specificity"``, ``"precision"``, ``"accuracy"``, ``"kappa"``) and
        distance metrics (``"hd"``, ``"hd95"``, ``"assd"``, ``"nsd"``).
    labels, threshold, one_hot, ignore_index
        How each batch is read, as in :func:`segmetrics.batch.counts`: label maps
        ``(B, *spatial)`` (``labels=None``: binary masks) or ``(B, C, *spatial)``
        scores (argmax, or ``threshold=``) or one-hot channels (``labels``: channel
        indices, None for all).
    aggregation : {"mean", "micro"}, default "mean"
        How overlap metrics combine cases: mean of per-case values, or the metric
        of the summed counts (see the module docstring). Distance metrics are
        always per-case means.
    spacing : float, sequence of float or array (B, ndim), optional
        Voxel size for the distance metrics; :meth:`update` may override it.
    nsd_tolerance : float, optional
        Tolerance of ``"nsd"`` in physical units; required with it.
    zero_division : float, default NaN
        Value of a 0/0 overlap metric (per case, or of the summed counts).
    connectivity, surface, backend
        As for :func:`segmetrics.surface_distances`.

    Examples
    --------
    >>> import numpy as np
    >>> acc = Accumulator(["dice"], labels=[1, 2], aggregation="micro")
    >>> acc.update(np.array([[1, 2, 2, 0]]), np.array([[1, 2, 0, 0]]))
    >>> acc.update(np.array([[1, 1, 0, 0]]), np.array([[1, 0, 0, 2]]))
    >>> acc.compute()["dice"]
    array([0.8, 0.5])
    >>> acc.compute(aggregation="mean")["dice"]
    array([0.83333333, 0.33333333])
    """

    metrics: tuple[str, ...]
    aggregation: str
    _read: dict[str, Any]
    _ignore_index: int | None
    _distance: dict[str, Any]
    _case_counts: list[_Table]
    _total: _Table | None
    _distances: dict[str, list[FloatArray]]
    _diagonals: list[FloatArray]
    _binary: bool | None
    zero_division: float
    spacing: _batch.Spacing | None
    nsd_tolerance: float | None

    def __init__(self, metrics: str | Iterable[str] = ("dice",), *, labels: Labels | None = None,
                 threshold: float | None = None, one_hot: bool = False,
                 ignore_index: int | None = None, aggregation: str = "mean",
                 spacing: _batch.Spacing | None = None, nsd_tolerance: float | None = None,
                 zero_division: float = np.nan, connectivity: str = "face",
                 surface: str = "voxel", backend: str = "auto") -> None:
        names = (metrics,) if isinstance(metrics, str) else tuple(metrics)
        if not names:
            raise ValueError("metrics must name at least one metric")
        known = tuple(OVERLAP_METRICS) + DISTANCE_METRICS
        for name in names:
            check_choice(name, "each metric", known)
        if "nsd" in names:
            if nsd_tolerance is None:
                raise ValueError("metric 'nsd' needs nsd_tolerance= (physical units)")
            nsd_tolerance = check_real(nsd_tolerance, "nsd_tolerance", minimum=0.0)
        self.metrics = names
        self.aggregation = check_choice(aggregation, "aggregation", AGGREGATIONS)
        self.zero_division = check_real(zero_division, "zero_division", allow_nan=True)
        self._read = dict(labels=None if labels is None else tuple(int(v) for v in labels),
                          threshold=threshold, one_hot=bool(one_hot), backend=backend)
        self._ignore_index = ignore_index
        self._distance = dict(connectivity=connectivity, surface=surface)
        self.spacing = spacing
        self.nsd_tolerance = nsd_tolerance
        self.reset()

    # ------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget every case."""
        self._case_counts = []  # (b, L, 4) int64 per update
        self._total = None  # (L, 4) int64: counts summed over every case
        self._distances = {name: [] for name in self.metrics if name in DISTANCE_METRICS}
        self._diagonals = []
        self._binary = None

    @property
    def n_cases(self) -> int:
        """The number of cases accumulated."""
        return sum(len(c) for c in self._case_counts)

    def _settings(self) -> tuple[Any, ...]:
        return (self.metrics, self._read, self._ignore_index, self._distance, self.nsd_tolerance)

    # ------------------------------------------------------------ update
    def update(self, pred: ArrayInput, gt: ArrayInput, *,
               spacing: _batch.Spacing | None = None) -> None:
        """Add a batch of cases: ``(B, *spatial)`` label maps or ``(B, C, *spatial)`` channels.

        ``spacing`` (shared, or one row per sample) overrides the constructor's.
        """
        spacing = self.spacing if spacing is None else spacing
        found = _batch.counts(pred, gt, ignore_index=self._ignore_index, **self._read)
        binary = np.ndim(found.tp) == 1
        stacked = np.stack([np.asarray(c, dtype=np.int64).reshape(np.shape(c)[0], -1)
                            for c in found], axis=-1)
        total = self._total  # set with _binary
        if self._binary is not None and total is not None and (
                binary != self._binary or stacked.shape[1] != total.shape[0]):
            raise ValueError(f"this batch has {stacked.shape[1]} labels"
                             f"{' (binary)' if binary else ''}; earlier batches had "
                             f"{total.shape[0]}{' (binary)' if self._binary else ''}")
        values: dict[str, FloatArray] = {}
        if self._distances:
            values = self._distance_values(pred, gt, spacing)
            shape = self._spatial_shape(pred, gt)
            spacings = _batch._spacings(spacing, stacked.shape[0], len(shape))
            diagonals = [math.sqrt(sum((n * s) ** 2 for n, s in zip(shape, row)))
                         for row in spacings]
        self._binary = binary
        self._case_counts.append(stacked)
        self._total = stacked.sum(axis=0) + (0 if self._total is None else self._total)
        for name, value in values.items():
            self._distances[name].append(value)
        if self._distances:
            self._diagonals.append(np.array(diagonals, dtype=np.float64))

    def update_case(self, pred: ArrayInput, gt: ArrayInput, *,
                    spacing: _batch.Spacing | None = None) -> None:
        """Add one case (``pred`` and ``gt`` without the batch axis)."""
        # Arrays and tensors gain the batch axis as views (on their own device).
        p: Any = pred if hasattr(pred, "shape") else np.asarray(pred)
        g: Any = gt if hasattr(gt, "shape") else np.asarray(gt)
        spacing = self.spacing if spacing is None else spacing
        self.update(p[None], g[None], spacing=spacing)

    def _spatial_shape(self, pred: Any, gt: Any) -> tuple[int, ...]:
        return tuple(gt.shape[2:]) if gt.ndim == pred.ndim and (
            self._read["one_hot"] or _batch._is_float(pred)) else tuple(gt.shape[1:])

    def _distance_values(self, pred: ArrayInput, gt: ArrayInput,
                         spacing: _batch.Spacing | None) -> dict[str, FloatArray]:
        read = dict(self._read)
        del read["backend"]
        found = _batch.surface_distances(pred, gt, spacing=spacing, backend=self._read["backend"],
                                         **read, **self._distance)
        return {name: np.array([[_distance_value(name, d, self.nsd_tolerance) for d in sample]
                                for sample in found], dtype=np.float64)
                for name in self._distances}

    # ------------------------------------------------------------ merge
    def merge(self, other: Accumulator) -> Self:
        """Add the cases of ``other`` (an accumulator with the same settings); returns self."""
        if not isinstance(other, Accumulator):
            raise TypeError(f"other must be an Accumulator; got {type(other).__name__}")
        if other._settings() != self._settings():
            raise ValueError("cannot merge accumulators with different metrics, labels or "
                             f"settings: {self._settings()} and {other._settings()}")
        if other._total is None:
            return self
        if self._total is not None and (self._binary != other._binary
                                        or self._total.shape != other._total.shape):
            raise ValueError(f"cannot merge: {self._total.shape[0]} labels and "
                             f"{other._total.shape[0]} labels")
        self._binary = other._binary
        self._case_counts.extend(other._case_counts)
        self._total = other._total + (0 if self._total is None else self._total)
        for name in self._distances:
            self._distances[name].extend(other._distances[name])
        self._diagonals.extend(other._diagonals)
        return self

    def sync(self, group: Any = None) -> Accumulator:
        """A new accumulator holding the cases of every process of a ``torch.distributed``
        group; see :func:`segmetrics.torch_sync.sync`."""
        from segmetrics.torch_sync import sync

        merged: Accumulator = sync(self, group=group)
        return merged

    # ------------------------------------------------------------ results
    def counts(self) -> Counts:
        """:class:`.Counts` summed over every case: int64 arrays of shape ``(len(labels),)``."""
        total = self._check_not_empty()
        return Counts(*(total[:, i] for i in range(4)))

    def per_case(self) -> dict[str, FloatArray]:
        """``{metric: ndarray (n_cases, len(labels))}`` of per-case values (``(n_cases,)``
        for binary masks), before any aggregation."""
        self._check_not_empty()
        counts = np.concatenate(self._case_counts)
        found = Counts(*(counts[..., i] for i in range(4)))
        result: dict[str, FloatArray] = {}
        for name in self.metrics:
            if name in OVERLAP_METRICS:
                values = OVERLAP_METRICS[name](found, zero_division=self.zero_division)
            else:
                values = np.concatenate(self._distances[name])
            values = np.asarray(values, dtype=np.float64)
            result[name] = values.reshape(len(values), -1)[:, 0] if self._binary else values
        return result

    def compute(self, *, aggregation: str | None = None) -> dict[str, float | FloatArray]:
        """``{metric: value}``: a float64 array in ``labels`` order (a float for binary masks).

        ``aggregation`` overrides the constructor's for the overlap metrics.
        """
        aggregation = self.aggregation if aggregation is None else check_choice(
            aggregation, "aggregation", AGGREGATIONS)
        per_case = self.per_case()
        diagonals = np.concatenate(self._diagonals) if self._diagonals else None
        result: dict[str, float | FloatArray] = {}
        for name in self.metrics:
            if name in DISTANCE_METRICS:
                # diagonals are kept whenever a distance metric is asked
                value = mean_inf_as_diagonal(per_case[name], cast(FloatArray, diagonals))
            elif aggregation == "micro":
                value = OVERLAP_METRICS[name](self.counts(), zero_division=self.zero_division)
            else:
                value = _nanmean(per_case[name])
            value = np.asarray(value, dtype=np.float64)
            result[name] = float(value.reshape(-1)[0]) if self._binary else value
        return result

    def _check_not_empty(self) -> _Table:
        """The summed counts; ``ValueError`` before the first case."""
        if self._total is None:
            raise ValueError("the accumulator holds no cases; call update() first")
        return self._total

    def __repr__(self) -> str:
        return (f"Accumulator(metrics={list(self.metrics)}, labels={self._read['labels']}, "
                f"aggregation={self.aggregation!r}, n_cases={self.n_cases})")
