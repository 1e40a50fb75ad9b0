"""Scoring one case: read both masks, check their geometry, one confusion matrix for every
overlap metric and one :func:`segmetrics.surface_distances` call for every distance metric.

Statuses of a (case, label) row:

``ok``
    both prediction and ground truth hold the label.
``both_empty``
    neither holds it (overlap ratios are 0/0, distances NaN).
``empty_pred`` / ``empty_gt``
    only the ground truth / only the prediction holds it.
``missing``
    there is no prediction file: the case is scored as an empty prediction.
``error``
    the case could not be scored (unreadable file, shape, spacing or
    orientation mismatch); ``error`` holds the message and every metric is NaN.
"""
from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt

from segmetrics import from_counts as _formulas
from segmetrics.evaluation.metrics import (
    DISTANCE_METRICS,
    LESION_METRICS,
    OVERLAP_METRICS,
    REGISTRY,
    TOPOLOGY_METRICS,
)

if TYPE_CHECKING:
    from segmetrics.evaluation.matching import Case, StrPath
    from segmetrics.evaluation.options import Label, Options, Regions
    from segmetrics.from_counts import Counts
    from segmetrics.io import Mask

__all__ = ["CaseResult", "Record", "complete_records", "csv_text", "error_result",
           "fill_records", "mask_reader", "score_case", "score_guarded"]

#: ``threshold_jaccard``: Jaccard below this counts as 0 (ISIC 2018 task 1).
ISIC_JACCARD_THRESHOLD = 0.65


@dataclass(frozen=True)
class Record:
    """One row of ``metrics.csv``: a case and a label, its status and its metric values.

    ``diagonal`` (the image diagonal in physical units, the worst case that
    replaces an infinite distance in the summary) is kept for aggregation and
    is not a CSV column.
    """

    case: str
    label: Label | None
    status: str
    error: str
    values: dict[str, float] = field(default_factory=dict)
    diagonal: float = math.nan

    def row(self, metrics: Iterable[str]) -> list[str]:
        """The CSV row: ``case, label, status, error`` then one value per metric.

        The case name and the error message pass through :func:`csv_text`.
        """
        label = "" if self.label is None else str(self.label)
        return [csv_text(self.case), label, self.status, csv_text(self.error)] + [
            repr(float(self.values.get(m, math.nan))) for m in metrics
        ]


#: First characters a spreadsheet reads as the start of a formula.
_FORMULA_STARTS = ("=", "+", "-", "@")


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def csv_text(text: str) -> str:
    """``text`` as written into ``metrics.csv``: safe to open in a spreadsheet.

    A character that is not printable (a control character, a line separator,
    a lone surrogate from a file name that is not valid UTF-8) becomes its escape
    (``\\x09``, ``\\udcff``), and a text starting with ``=``, ``+``, ``-`` or
    ``@`` gets a leading ``'``, so that a spreadsheet shows it as text instead of
    running it as a formula (OWASP's CSV-injection rule). The real text is kept
    in the records and in JSON. Applying it twice changes nothing.
    """
    if text.isprintable() and not text.startswith(_FORMULA_STARTS):
        return text
    escaped = "".join(c if c.isprintable() else _escaped(c) for c in text)
    return "'" + escaped if escaped.startswith(_FORMULA_STARTS) else escaped


class CaseResult(NamedTuple):
    """What scoring one case gives back to the runner: its records and what the resume
    state and the summary need (size, diagonal, labels present, warnings)."""

    name: str
    records: list[Record]
    n_voxels: int | None
    diagonal: float
    present: tuple[int, ...]
    warnings: tuple[str, ...]


def _requested(options: Options) -> tuple[Label, ...] | None:
    """The labels (or region names, with ``regions``) asked for, or None: every label present."""
    if options.regions is not None:
        return tuple(name for name, _ in options.regions)
    return options.labels


def error_result(case: Case, options: Options, message: str) -> CaseResult:
    """A case that could not be scored: one ``error`` record per requested label."""
    labels = cast("Sequence[Label | None]",
                  _requested(options) if _requested(options) is not None else (None,))
    records = [Record(case.name, label, "error", message,
                      {m: math.nan for m in options.metrics}) for label in labels]
    return CaseResult(case.name, records, None, math.nan, (), ())


class _CaseError(Exception):
    """A case that cannot be scored; the message goes to the CSV."""


def _rounded(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(float(f"{float(v):.6g}") for v in values)


def _check_geometry(pred: Mask, gt: Mask, tolerance: float) -> tuple[float, ...]:
    """The spacing both masks share; mismatched shape, spacing or orientation is a case error."""
    if pred.labels.shape != gt.labels.shape:
        raise _CaseError(
            f"shape mismatch: prediction {pred.labels.shape}, ground truth {gt.labels.shape}"
        )
    spacing_p, spacing_g = pred.spacing, gt.spacing
    if spacing_p is not None and spacing_g is not None:
        if len(spacing_p) != len(spacing_g) or not np.allclose(
                spacing_p, spacing_g, rtol=tolerance, atol=0):
            raise _CaseError(
                f"spacing mismatch: prediction {_rounded(spacing_p)}, "
                f"ground truth {_rounded(spacing_g)} "
                f"(relative tolerance {tolerance})"
            )
    if pred.direction is not None and gt.direction is not None:
        if np.shape(pred.direction) != np.shape(gt.direction) or not np.allclose(
                pred.direction, gt.direction, atol=1e-4):
            raise _CaseError("orientation mismatch: the direction cosines of prediction and "
                             "ground truth differ")
    if pred.origin is not None and gt.origin is not None:
        scale = max(np.max(np.abs(spacing_g)) if spacing_g else 1.0, 1.0)
        if np.shape(pred.origin) != np.shape(gt.origin) or not np.allclose(
                pred.origin, gt.origin, atol=tolerance * scale):
            raise _CaseError(
                f"origin mismatch: prediction {np.round(pred.origin, 4).tolist()}, "
                f"ground truth {np.round(gt.origin, 4).tolist()}"
            )
    spacing = spacing_g if spacing_g is not None else spacing_p
    if spacing is None:
        spacing = (1.0,) * gt.labels.ndim
    if len(spacing) != gt.labels.ndim:
        raise _CaseError(f"spacing {tuple(spacing)} does not match the {gt.labels.ndim} axes "
                         "of the masks")
    return tuple(float(s) for s in spacing)


def _overlap_values(counts: Counts, options: Options, voxel_volume: float = 1.0
                    ) -> dict[str, npt.NDArray[np.float64]]:
    """Every requested overlap metric from one set of counts (arrays in labels order)."""
    zd = options.zero_division
    values: dict[str, Any] = {}
    wanted = set(options.metrics)
    if wanted & {"jaccard", "threshold_jaccard"}:
        jaccard = _formulas.jaccard(counts, zero_division=zd)
        values["jaccard"] = jaccard
        values["threshold_jaccard"] = np.where(jaccard >= ISIC_JACCARD_THRESHOLD, jaccard, 0.0)
        values["threshold_jaccard"] = np.where(np.isnan(jaccard), np.nan,
                                               values["threshold_jaccard"])
    parameters: dict[str, dict[str, float]] = {
        "tversky": dict(alpha=options.tversky_alpha, beta=options.tversky_beta),
        "fbeta": dict(beta=options.fbeta_beta),
    }
    for name in wanted.intersection(OVERLAP_METRICS) - set(values):
        if name == "absolute_volume_difference":
            values[name] = _formulas.absolute_volume_difference(counts, voxel_volume=voxel_volume)
        else:
            values[name] = getattr(_formulas, name)(counts, zero_division=zd,
                                                    **parameters.get(name, {}))
    return {m: np.atleast_1d(np.asarray(values[m], dtype=np.float64))
            for m in options.metrics if m in values}


def _without_ignored(pred: npt.NDArray[Any], gt: npt.NDArray[Any], options: Options
                     ) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Ignored ground-truth voxels set to background in both maps (the mask metrics)."""
    if options.ignore_index is not None:
        ignored = gt == options.ignore_index
        if ignored.any():
            return np.where(ignored, 0, pred), np.where(ignored, 0, gt)
    return pred, gt


def _label_masks(pred: npt.NDArray[Any], gt: npt.NDArray[Any], keys: Iterable[Label],
                 options: Options
                 ) -> Iterator[tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]]:
    """The binary masks of each label (or region) in ``keys``."""
    regions = options.region_map
    for key in keys:
        labels = regions[cast(str, key)] if regions is not None else (key,)
        yield np.isin(pred, labels), np.isin(gt, labels)


def _mask_values(pred: npt.NDArray[Any], gt: npt.NDArray[Any], spacing: tuple[float, ...],
                 keys: Sequence[Label], options: Options) -> dict[str, npt.NDArray[np.float64]]:
    """The lesion-wise and topology metrics: per label (region), from its two binary masks."""
    lesion = [m for m in options.metrics if m in LESION_METRICS]
    topology = [m for m in options.metrics if m in TOPOLOGY_METRICS]
    if not lesion and not topology:
        return {}
    from segmetrics.lesion import lesion_wise
    from segmetrics.topology import cldice

    pred, gt = _without_ignored(pred, gt, options)
    values = {m: np.full(len(keys), np.nan) for m in lesion + topology}
    zd = options.zero_division
    for i, (p, g) in enumerate(_label_masks(pred, gt, keys, options)):
        if lesion:
            result = lesion_wise(p, g, spacing=spacing, zero_division=zd)
            for m in lesion:
                values[m][i] = float(getattr(result, REGISTRY[m].attribute))
        if topology:
            p2, g2, _ = without_length_one_axes(p, g, spacing, keep=2)
            values["cldice"][i] = cldice(p2, g2, zero_division=zd)
    return values


def _distance_values(pred: npt.NDArray[Any], gt: npt.NDArray[Any], spacing: tuple[float, ...],
                     labels: Sequence[Label], options: Options
                     ) -> dict[str, npt.NDArray[np.float64]]:
    """Every requested distance metric from one surface_distances call per case."""
    wanted = [m for m in options.metrics if m in DISTANCE_METRICS]
    if not wanted:
        return {}
    from segmetrics import surface_distances

    pred, gt = _without_ignored(pred, gt, options)
    pred, gt, spacing = without_length_one_axes(pred, gt, spacing,
                                                keep=2 if options.surface == "surfel" else 1)
    scored: dict[str, Any] = ({"regions": options.region_map} if options.regions is not None
              else {"labels": list(labels)})
    distances = surface_distances(pred, gt, spacing=spacing, surface=options.surface, **scored)
    getters: dict[str, Callable[[Any, Label], Any]] = {
        "hd": lambda d, key: d.hausdorff(),
        "hd95": lambda d, key: d.hd95(),
        "assd": lambda d, key: d.assd(),
        "nsd": lambda d, key: d.surface_dice(options.tolerance_of(key)),
    }
    return {m: np.array([float(getters[m](d, key)) for d, key in zip(distances, labels)])
            for m in wanted}


def without_length_one_axes(pred: npt.NDArray[Any], gt: npt.NDArray[Any],
                            spacing: tuple[float, ...], keep: int = 1
                            ) -> tuple[npt.NDArray[Any], npt.NDArray[Any], tuple[float, ...]]:
    """Views of both masks without their length-1 axes, and the spacing of the axes left.

    The distance metrics treat a length-1 axis as absent: a 2-D mask saved as
    an (X, Y, 1) volume scores as the (X, Y) image it is. Otherwise the two
    faces of the single slice would count as image edges, every foreground
    voxel would be a boundary voxel and the distances would describe the slab,
    not the shape. At least ``keep`` axes remain (the last ones): the surfel
    surface needs two.
    """
    keep = min(keep, pred.ndim)
    axes = [a for a, n in enumerate(pred.shape) if n != 1]
    if len(axes) < keep:
        axes = sorted(set(axes) | set(range(pred.ndim - keep, pred.ndim)))
    if len(axes) == pred.ndim:
        return pred, gt, spacing
    shape = tuple(pred.shape[a] for a in axes)
    return pred.reshape(shape), gt.reshape(shape), tuple(spacing[a] for a in axes)


def _status(n_pred: int, n_gt: int) -> str:
    if n_pred and n_gt:
        return "ok"
    if n_gt:
        return "empty_pred"
    if n_pred:
        return "empty_gt"
    return "both_empty"


def _per_label(counts: Counts) -> tuple[npt.NDArray[np.integer[Any]],
                                         npt.NDArray[np.integer[Any]],
                                         npt.NDArray[np.integer[Any]]]:
    """``tp, fp, fn`` of counts per label: int64 arrays (never the ints of a binary count)."""
    return (cast("npt.NDArray[np.integer[Any]]", counts.tp),
            cast("npt.NDArray[np.integer[Any]]", counts.fp),
            cast("npt.NDArray[np.integer[Any]]", counts.fn))


def _records_from_counts(name: str, labels: Sequence[Label], counts: Counts,
                         distances: Mapping[str, npt.NDArray[np.float64]], diagonal: float,
                         options: Options, *, missing: bool,
                         voxel_volume: float = 1.0) -> list[Record]:
    values = _overlap_values(counts, options, voxel_volume)
    values.update(distances)
    records = []
    tp, fp, fn = _per_label(counts)
    for i, label in enumerate(labels):
        n_pred = int(tp[i] + fp[i])
        n_gt = int(tp[i] + fn[i])
        status = "missing" if missing else _status(n_pred, n_gt)
        error = "no prediction file for this case; scored as an empty prediction" if missing else ""
        row = {m: float(values[m][i]) if m in values else math.nan for m in options.metrics}
        label = label if options.regions is not None else int(label)
        records.append(Record(name, label, status, error, row, diagonal))
    return records


def score_case(case: Case, options: Options) -> CaseResult:
    """Score one case; never raises: a failure is a record with status ``error``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read = mask_reader(options)
        result = score_guarded(case, options, lambda: read(case.gt),
                                lambda: read(cast("StrPath", case.pred)))
    messages = tuple(dict.fromkeys(str(w.message) for w in caught))
    return result._replace(warnings=messages)


def mask_reader(options: Options) -> Callable[[str | os.PathLike[str]], Mask]:
    """``path -> Mask`` with the reading options of ``options``."""
    from segmetrics.io import read_mask

    keywords: dict[str, Any] = dict(
        threshold=options.threshold, colormap=options.colormap, spacing=options.spacing,
        binarize_above=options.binarize_above, max_voxels=getattr(options, "max_voxels", None))
    return lambda path: read_mask(path, **keywords)


def score_guarded(case: Case, options: Options, gt_mask: Callable[[], Mask],
                  pred_mask: Callable[[], Mask]) -> CaseResult:
    """:func:`_score_masks`, with any failure turned into the case's ``error`` records."""
    try:
        return _score_masks(case, options, gt_mask, pred_mask)
    except Exception as exc:  # noqa: BLE001 - one bad case never stops the run
        from segmetrics.io import MaskError

        message = str(exc) if isinstance(exc, (MaskError, _CaseError)) else (
            f"{type(exc).__name__}: {exc}")
        return error_result(case, options, message)


def _score_masks(case: Case, options: Options, gt_mask: Callable[[], Mask],
                 pred_mask: Callable[[], Mask]) -> CaseResult:
    """Score a case whose masks ``gt_mask()`` and ``pred_mask()`` return (or raise)."""
    gt = gt_mask()
    missing = case.pred is None
    if missing:
        pred = gt._replace(labels=np.zeros_like(gt.labels))
    else:
        pred = pred_mask()
    spacing = _check_geometry(pred, gt, options.spacing_tolerance)
    diagonal = float(math.sqrt(sum((n * s) ** 2 for n, s in zip(gt.labels.shape, spacing))))
    pred_labels, gt_labels = pred.labels, gt.labels  # any layouts and label dtypes
    if options.regions is not None:
        labels, counts, present, n_voxels = _region_counts(pred_labels, gt_labels, options)
    else:
        labels, counts, present, n_voxels = _case_counts(pred_labels, gt_labels, options.labels,
                                                         options.ignore_index)
    records: list[Record] = []
    if labels:
        distances = _distance_values(pred_labels, gt_labels, spacing, labels, options)
        distances.update(_mask_values(pred_labels, gt_labels, spacing, labels, options))
        records = _records_from_counts(case.name, labels, cast("Counts", counts), distances,
                                       diagonal, options, missing=missing,
                                       voxel_volume=float(np.prod(spacing)))
    return CaseResult(case.name, records, n_voxels, diagonal, present, ())


def _region_counts(pred: npt.NDArray[Any], gt: npt.NDArray[Any], options: Options
                   ) -> tuple[tuple[Label, ...], Counts | None, tuple[int, ...], int]:
    """The region names, their counts (from one confusion pass), the non-zero labels present
    and the counted voxels."""
    from segmetrics.overlap import confusion_matrix
    from segmetrics.regions import region_counts

    confusion = confusion_matrix(pred, gt, ignore_index=options.ignore_index)
    marginals = confusion.sum(axis=0) + confusion.sum(axis=1)
    present = tuple(int(v) for v in np.flatnonzero(marginals) if v != 0)
    counts = region_counts(confusion, [sets for _, sets in cast("Regions", options.regions)])
    return cast("tuple[str, ...]", _requested(options)), counts, present, int(confusion.sum())


def _case_counts(pred: npt.NDArray[Any], gt: npt.NDArray[Any],
                 wanted: tuple[int, ...] | None, ignore_index: int | None
                 ) -> tuple[tuple[int, ...], Counts | None, tuple[int, ...], int]:
    """The labels to score, their counts, the non-zero labels present and the counted voxels.

    Label maps whose labels fit a dense table are counted in one confusion
    pass. Larger label values go through the compact relabelling
    (:func:`segmetrics._host_overlap.label_counts`): with ``wanted`` (the
    ``--labels``) only those labels are counted, whatever else the maps hold;
    without, the labels present are found first.
    """
    from segmetrics import _host_overlap as host
    from segmetrics._layout import kernel_label_dtype

    small = kernel_label_dtype(pred.dtype, gt.dtype).itemsize == 1 or (
        max(int(pred.max()), int(gt.max())) < host.MAX_DENSE_CLASSES)
    if small:
        confusion = host.confusion_matrix(pred, gt, None, ignore_index, "auto")
        marginals = confusion.sum(axis=0) + confusion.sum(axis=1)
        present = tuple(int(v) for v in np.flatnonzero(marginals) if v != 0)
        labels = wanted if wanted is not None else present
        counts = host.counts_of_labels(confusion, labels) if labels else None
        return labels, counts, present, int(confusion.sum())
    counted = (gt != ignore_index) if ignore_index is not None else np.ones(gt.shape, bool)
    n_voxels = int(np.count_nonzero(counted))
    if wanted is None:
        found = np.union1d(np.unique(pred[counted]), np.unique(gt[counted]))
        labels = tuple(int(v) for v in found if v != 0)
    else:
        labels = wanted
    counts = host.label_counts(pred, gt, labels, ignore_index, "auto") if labels else None
    if wanted is None:
        return labels, counts, labels, n_voxels
    tp, fp, fn = _per_label(cast("Counts", counts))
    held = tp + fp + fn > 0
    present = tuple(int(label) for label, h in zip(labels, held) if h and label != 0)
    return labels, counts, present, n_voxels


def fill_records(name: str, labels: Sequence[Label], state: Mapping[str, Any],
                 options: Options) -> list[Record]:
    """Rows for labels a case does not hold (found in other cases): both empty, from its size."""
    n = len(labels)
    zeros = np.zeros(n, dtype=np.int64)
    counts = _formulas.Counts(zeros, zeros, zeros, np.full(n, state["n_voxels"], dtype=np.int64))
    distances = {m: np.full(n, math.nan) for m in options.metrics if m in DISTANCE_METRICS}
    # No lesion and no skeleton in either mask: the scores are 0/0.
    distances.update({m: np.full(n, options.zero_division) for m in options.metrics
                      if m in LESION_METRICS + TOPOLOGY_METRICS})
    return _records_from_counts(name, labels, counts, distances, state["diagonal"], options,
                                missing=state["missing"])


def complete_records(cases: Iterable[Case], kept_records: Iterable[Record],
                     results: Mapping[str, CaseResult], state: Mapping[str, Mapping[str, Any]],
                     options: Options) -> list[Record]:
    """Every case x label, sorted: fills labels a case lacks and expands error rows."""
    by_case: dict[str, list[Record]] = {}
    for record in kept_records:
        by_case.setdefault(record.case, []).append(record)
    for name, result in results.items():
        by_case[name] = list(result.records)
    if _requested(options) is not None:
        labels = cast("tuple[Label, ...]", _requested(options))
    else:
        found = {label for entry in state.values() for label in entry.get("present", ())}
        found |= {r.label for rs in by_case.values() for r in rs if r.label is not None}
        labels = tuple(sorted(found)) or (1,)
    records: list[Record] = []
    for case in cases:
        case_records = by_case.get(case.name, [])
        entry = state.get(case.name)
        if case_records and case_records[0].status == "error":
            first = case_records[0]
            records.extend(Record(case.name, label, "error", first.error,
                                  {m: math.nan for m in options.metrics}) for label in labels)
            continue
        have = {r.label for r in case_records}
        records.extend(r for r in case_records if r.label in labels)
        absent = [label for label in labels if label not in have]
        if absent and entry is not None and entry.get("n_voxels") is not None:
            records.extend(fill_records(case.name, absent, entry, options))
    if options.regions is not None:
        order: dict[Label | None, int] = {name: i for i, (name, _) in
                                          enumerate(options.regions)}
        records.sort(key=lambda r: (r.case, order.get(r.label, -1)))
    else:
        records.sort(key=lambda r: (r.case, -1 if r.label is None else r.label))
    return records
