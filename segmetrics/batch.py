"""Metrics of a batch of cases, one value per sample and label.

A batch comes in one of two layouts, told apart by ``pred``'s dtype:

- **index**: ``pred`` and ``gt`` are integer label maps ``(B, *spatial)``;
  ``labels=[...]`` scores each label one-vs-rest, ``labels=None`` scores binary
  (0/1 or bool) masks.
- **channels**: ``pred`` is ``(B, C, *spatial)``: floating scores (probabilities
  or logits) reduced by ``argmax`` over C, or, with ``threshold=t``, channel c
  is the mask ``pred[:, c] >= t`` (multi-label); with ``one_hot=True`` an
  integer/bool one-hot (or multi-hot) map. ``gt`` is then one-hot ``(B, C, *spatial)``
  (same shape) or a label map ``(B, *spatial)`` with values in ``[0, C)``. Labels
  are channel indices; ``labels=None`` means every channel.

Overlap metrics return float64 arrays of shape ``(B, len(labels))``
(``(B,)`` for binary index masks), from one pass over the batch: each sample's
counts come from one compiled kernel call (the channel kernels fuse the argmax
with the counting), and the samples are counted on the kernels' shared threads.
Distance metrics are computed per sample and label with :mod:`segmetrics.distance`,
``spacing`` shared or one row per sample.

Host arrays and CPU PyTorch tensors (read without a copy; ``requires_grad``
is dropped) run here. Device arrays (CUDA tensors, CuPy, JAX on a GPU) are
split per sample with their own operations (argmax, comparison) and each sample
is passed to the public functions (:func:`segmetrics.binary_counts`,
:func:`segmetrics.confusion_matrix`, :func:`segmetrics.surface_distances`), so
they run wherever those accept device arrays. ``docs/conventions.md`` compares
the layouts with MONAI's and torchmetrics'.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt

from segmetrics import _arrays, _executor, _layout
from segmetrics import distance as _distance
from segmetrics import from_counts as _formulas
from segmetrics._backends import backend_name, check_backend_for, kernels
from segmetrics._host_overlap import padded
from segmetrics._types import ArrayInput
from segmetrics._validate import (
    as_array,
    check_choice,
    check_int,
    check_label_dtype,
    check_not_empty,
    check_optional_int,
    check_real,
    check_spacing,
    fits_dtype,
    refuse_non_binary,
    values_found,
)
from segmetrics.from_counts import Counts

if TYPE_CHECKING:
    from segmetrics.distance import SurfaceDistances

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])
Labels = Sequence[int] | npt.NDArray[np.integer[Any]]   # labels, or channel indices
# shared (a number, or one per axis), or one row per sample (B, ndim)
Spacing = float | Sequence[float] | Sequence[Sequence[float]] | npt.NDArray[np.floating[Any]]
Floats = npt.NDArray[np.float64]
_Ints = npt.NDArray[np.int64]
Backend = Literal["auto", "cython", "numba", "numpy", "triton", "torch"]
Connectivity = Literal["face", "full"]
Surface = Literal["voxel", "surfel"]
HDMode = Literal["max", "pooled"]
_Piece = tuple[int, int, int]                     # (sample, first voxel, stop voxel)
# per sample, [(pred map, gt map, labels or None)]: what the single-case functions score
_Pairs = list[tuple[Any, Any, "Labels | None"]]

__all__ = [
    "accuracy", "assd", "counts", "dice", "hausdorff", "hd95", "jaccard", "kappa", "precision",
    "sensitivity", "specificity", "surface_dice", "surface_distances", "tversky",
]

# A sample is split into this many voxels per piece when the batch has fewer
# samples than threads.
_PIECE_MIN_VOXELS = 1 << 20
_MAX_DENSE_CLASSES = 8192


class _Batch:
    """Checked inputs: the layout, the kernel dtypes and the labels to report."""

    threshold: float | None
    channels: bool
    binary: bool
    gt_one_hot: bool
    spatial: tuple[int, ...]
    labels: _Ints | None        # None only for binary index masks
    pred: npt.NDArray[Any]
    gt: npt.NDArray[Any]
    size: int
    has_ignore: bool
    ignore: int

    def __init__(self, pred: npt.NDArray[Any], gt: npt.NDArray[Any], labels: Labels | None,
                 threshold: float | None, one_hot: bool, ignore_index: int | None) -> None:
        if threshold is not None:
            threshold = check_real(threshold, "threshold")
        self.threshold = threshold
        if pred.ndim < 2:
            raise ValueError("pred must have the batch axis first, (B, *spatial) or "
                             f"(B, C, *spatial); got shape {pred.shape}")
        self.channels = pred.dtype.kind == "f" or bool(one_hot)
        self.binary = False
        if pred.dtype.kind == "f" and one_hot:
            raise TypeError(f"one_hot=True expects an integer or bool pred; got {pred.dtype}: "
                            "floating scores are reduced by argmax, or by threshold=")
        if not self.channels:
            self._index(pred, gt, labels, threshold)
        else:
            self._channel(pred, gt, labels, threshold)
        check_label_dtype(gt, "gt")
        check_not_empty(gt, "gt")
        self.pred, self.gt = pred, gt
        self.size = int(math.prod(gt.shape[1:])) if not self.gt_one_hot else int(
            math.prod(gt.shape[2:]))
        ignore_index = check_optional_int(ignore_index, "ignore_index")
        if ignore_index is not None and self.gt_one_hot:
            raise ValueError("ignore_index needs a label-map gt (B, *spatial); "
                             f"gt is one-hot with shape {gt.shape}")
        self.has_ignore = ignore_index is not None and fits_dtype(ignore_index, gt.dtype)
        self.ignore = ignore_index if ignore_index is not None and self.has_ignore else 0

    def _index(self, pred: npt.NDArray[Any], gt: npt.NDArray[Any], labels: Labels | None,
               threshold: float | None) -> None:
        if threshold is not None:
            raise TypeError(f"threshold needs floating scores (B, C, *spatial); pred has dtype "
                            f"{pred.dtype}")
        if pred.shape != gt.shape:
            raise ValueError(f"pred and gt label maps must have the same shape (B, *spatial); "
                             f"got {pred.shape} and {gt.shape}")
        self.gt_one_hot = False
        self.spatial = pred.shape[1:]
        self.binary = labels is None
        self.labels = None if labels is None else _checked_labels(labels, None)

    def _channel(self, pred: npt.NDArray[Any], gt: npt.NDArray[Any], labels: Labels | None,
                 threshold: float | None) -> None:
        if pred.ndim < 3:
            raise ValueError("pred with a channel axis must be (B, C, *spatial) with at least one "
                             f"spatial axis; got shape {pred.shape}")
        if pred.shape[1] == 0:
            raise ValueError(f"pred has no channels (shape {pred.shape})")
        self.spatial = pred.shape[2:]
        if gt.shape == pred.shape:
            self.gt_one_hot = True
        elif gt.shape == pred.shape[:1] + pred.shape[2:]:
            self.gt_one_hot = False
        else:
            raise ValueError(
                f"gt must be one-hot with pred's shape {pred.shape} or a label map of shape "
                f"{pred.shape[:1] + pred.shape[2:]} (pred without its channel axis); got "
                f"{gt.shape}")
        n_channels = pred.shape[1]
        self.labels = (np.arange(n_channels) if labels is None
                       else _checked_labels(labels, n_channels))

    @property
    def batch_size(self) -> int:
        size: int = self.pred.shape[0]
        return size

    @property
    def chosen(self) -> _Ints:
        """The labels, for a batch that has them (every one but binary index masks)."""
        return cast("_Ints", self.labels)


def _checked_labels(labels: Labels, n_channels: int | None) -> _Ints:
    if isinstance(labels, (str, bytes)) or np.ndim(labels) != 1 or len(labels) == 0:
        raise TypeError(f"labels must be a non-empty 1-D sequence of integers; got {labels!r}")
    checked = np.array([check_int(label, "each label", minimum=0) for label in labels],
                       dtype=np.int64)
    if n_channels is not None and checked.max() >= n_channels:
        raise ValueError(f"labels are channel indices of pred, in [0, {n_channels}); got "
                         f"{checked.max()}")
    return checked


def _host(value: ArrayInput, name: str) -> npt.NDArray[Any]:
    """A NumPy view of a host array or CPU tensor (a tensor's autograd history is dropped)."""
    if type(value).__module__.split(".")[0] == "torch" and hasattr(value, "detach"):
        value = cast(Any, value).detach()
    return as_array(value, name)


def _threads() -> int:
    """The kernels' thread count (looked up on ``_layout`` when called: tests replace it)."""
    count: int = getattr(_layout, "_thread_count")()
    return count


def _pieces(batch: _Batch, threads: int) -> list[_Piece]:
    """``(sample, start, stop)`` voxel ranges: whole samples, or parts of them when the
    batch has fewer samples than threads."""
    n = batch.size
    parts = 1
    if batch.batch_size < threads and n >= 2 * _PIECE_MIN_VOXELS:
        parts = min(-(-threads // batch.batch_size), n // _PIECE_MIN_VOXELS)
    bounds = np.linspace(0, n, parts + 1).astype(np.int64)
    return [(b, int(lo), int(hi)) for b in range(batch.batch_size)
            for lo, hi in zip(bounds[:-1], bounds[1:])]


def _sample(array: npt.NDArray[Any], b: int, dtype: np.dtype[Any], rows: int | None
            ) -> npt.NDArray[Any]:
    """Sample ``b`` as a C-contiguous ``(rows, -1)`` (or 1-D when rows is None) array of
    ``dtype``: a view when the batch already is one, else a copy of that sample."""
    if array.dtype == np.bool_ and dtype == np.uint8:
        array = array.view(np.uint8)
    sample = np.ascontiguousarray(array[b], dtype=dtype)
    return sample.reshape(-1) if rows is None else sample.reshape(rows, -1)


def _run(batch: _Batch, module: ModuleType, task: Callable[[int, int, int], _T]
         ) -> list[list[_T]]:
    """``task(b, start, stop)`` over the pieces of every sample, on the kernels' threads."""
    threads = 1
    if backend_name(module) != "numpy" and batch.pred.size >= _layout.PARALLEL_MIN_ELEMENTS:
        threads = _threads()
    pieces = _pieces(batch, threads)
    results: list[_T] = _executor.map_threads(lambda piece: task(*piece), pieces, threads)
    per_sample: list[list[_T]] = [[] for _ in range(batch.batch_size)]
    for (b, _, _), result in zip(pieces, results):
        per_sample[b].append(result)
    return per_sample


def _index_counts(batch: _Batch, module: ModuleType) -> Counts:
    pred, gt = batch.pred, batch.gt
    dtype = _layout.kernel_label_dtype(pred.dtype, gt.dtype)
    has_ignore, ignore = batch.has_ignore, batch.ignore
    if batch.binary and not has_ignore:
        rows = _row_counts(batch, module, dtype, dtype, 1, None)
        if rows is not None:
            out, bits, _ = rows
            if bits & ~1:
                refuse_non_binary({"pred": pred, "gt": gt}, "binary metrics",
                                  "Pass labels=[...] to score label maps per label")
            n_pred, n_gt, n_both = out[:, 0, 0], out[:, 0, 1], out[:, 0, 2]
            return Counts(n_both, n_pred - n_both, n_gt - n_both,
                          batch.size - n_pred - n_gt + n_both)
    if batch.binary:
        def task(b: int, lo: int, hi: int) -> tuple[int, int, int, int, int]:
            found: tuple[int, int, int, int, int] = module.binary_counts(
                _sample(pred, b, dtype, None)[lo:hi], _sample(gt, b, dtype, None)[lo:hi],
                has_ignore, ignore)
            return found

        parts = _run(batch, module, task)
        n_pred, n_gt, n_both, n_valid = (np.array([sum(r[i] for r in p) for p in parts],
                                                  dtype=np.int64) for i in range(4))
        bits = 0
        for part in parts:
            for result in part:
                bits |= result[4]
        if bits & ~1:
            refuse_non_binary({"pred": pred, "gt": gt}, "binary metrics",
                              "Pass labels=[...] to score label maps per label")
        return Counts(n_both, n_pred - n_both, n_gt - n_both, n_valid - n_pred - n_gt + n_both)
    k = max(_label_bound(pred, gt, dtype, has_ignore, ignore), int(batch.chosen.max()) + 1)
    if k > _MAX_DENSE_CLASSES:
        return _sparse_index_counts(batch, module, dtype)

    def table_task(b: int, lo: int, hi: int) -> tuple[_Ints, int]:
        table = np.zeros((k, k), dtype=np.int64)
        bad = module.confusion_matrix(_sample(pred, b, dtype, None)[lo:hi],
                                      _sample(gt, b, dtype, None)[lo:hi], table, has_ignore,
                                      ignore)
        return table, bad

    tables = _run(batch, module, table_task)
    if any(bad for part in tables for _, bad in part):
        raise ValueError(f"labels must be non-negative: {values_found(pred, 'pred')}; "
                         f"{values_found(gt, 'gt')}")
    return _stack([_formulas.per_label_counts(sum(t for t, _ in part), batch.chosen)
                   for part in tables])


def _label_bound(pred: npt.NDArray[Any], gt: npt.NDArray[Any], dtype: np.dtype[Any],
                 has_ignore: bool, ignore: int) -> int:
    """An upper bound on the labels of the batch, so a dense table holds them all."""
    if dtype.itemsize == 1:
        return 256 if dtype.kind == "u" else 128
    gt_max = gt.max(where=gt != ignore, initial=0) if has_ignore else gt.max()
    return int(max(pred.max(), gt_max, 0)) + 1


def _sparse_index_counts(batch: _Batch, module: ModuleType, dtype: np.dtype[Any]) -> Counts:
    """Per-sample counts of a few labels of maps whose labels are too large for a dense table:
    each voxel is coded by its label's position in ``labels`` (0 for the others)."""
    pred, gt = batch.pred, batch.gt
    keys = np.unique(np.array([v for v in batch.chosen if fits_dtype(v, dtype)], dtype=dtype))
    ignore_code = len(keys) + 1

    def code(values: npt.NDArray[Any]) -> _Ints:
        index = np.searchsorted(keys, values)
        found = keys[np.minimum(index, len(keys) - 1)] == values
        return np.where(found, index + 1, 0).astype(np.int64)

    def task(b: int, lo: int, hi: int) -> _Ints | None:
        p = _sample(pred, b, dtype, None)[lo:hi]
        g = _sample(gt, b, dtype, None)[lo:hi]
        counted = g != batch.ignore if batch.has_ignore else True
        if ((p < 0) & counted).any() or ((g < 0) & counted).any():  # ignored voxels: any pred
            return None
        g_code = code(g)
        if batch.has_ignore:
            g_code[g == batch.ignore] = ignore_code
        table = np.zeros((ignore_code + 1,) * 2, dtype=np.int64)
        module.confusion_matrix(code(p), g_code, table, True, ignore_code)
        return table

    parts = _run(batch, module, task)
    if any(t is None for part in parts for t in part):
        raise ValueError(f"labels must be non-negative: {values_found(pred, 'pred')}; "
                         f"{values_found(gt, 'gt')}")
    codes = [int(np.searchsorted(keys, v)) + 1 if fits_dtype(v, dtype) else ignore_code
             for v in batch.chosen]
    return _stack([_formulas.per_label_counts(sum(cast("list[_Ints]", part)), codes)
                   for part in parts])


def _stack(counts: Sequence[Counts]) -> Counts:
    return Counts(*(np.stack([cast("npt.ArrayLike", c[i]) for c in counts]).astype(np.int64)
                    for i in range(4)))


def _channel_counts(batch: _Batch, module: ModuleType) -> Counts:
    """Per-channel counts ``(B, C, 4)`` of a channel batch, one fused pass per sample."""
    pred, gt = batch.pred, batch.gt
    n_channels = pred.shape[1]
    gt_dtype = _layout.kernel_label_dtype(gt.dtype)
    has_ignore, ignore = batch.has_ignore, batch.ignore
    if pred.dtype.kind == "f":
        pred_dtype = _layout.kernel_probability_dtype(pred.dtype)
        threshold = None if batch.threshold is None else float(pred.dtype.type(batch.threshold))
    else:
        pred_dtype = gt_dtype = _layout.kernel_label_dtype(pred.dtype, gt.dtype)
        threshold = None
    gt_rows = n_channels if batch.gt_one_hot else None
    if batch.gt_one_hot and (pred.dtype.kind != "f" or threshold is not None):
        rows = _row_counts(batch, module, pred_dtype, gt_dtype, n_channels, threshold)
        if rows is not None:
            out, bits, n_nan = rows
            return _finish_channels(batch, out, np.full(batch.batch_size, batch.size), bits,
                                    n_nan, 0)

    def task(b: int, lo: int, hi: int) -> tuple[_Ints, int, int, int, int]:
        p = _sample(pred, b, pred_dtype, n_channels)
        g = _sample(gt, b, gt_dtype, gt_rows)
        out = np.zeros((n_channels, 3), dtype=np.int64)
        if pred.dtype.kind == "f" and threshold is None:
            if batch.gt_one_hot:
                bits, n_nan = module.argmax_onehot_counts(p, g, lo, hi, out)
                return out, hi - lo, bits, n_nan, 0
            table = np.zeros((n_channels, n_channels), dtype=np.int64)
            n_bad, n_nan = module.argmax_confusion(p, g, lo, hi, table, has_ignore, ignore)
            out[:] = np.stack([table.sum(axis=0), table.sum(axis=1), np.diagonal(table)], axis=1)
            return out, int(table.sum()), 0, n_nan, n_bad
        if pred.dtype.kind == "f" and not batch.gt_one_hot:
            n_valid, n_bad, n_nan = module.threshold_index_counts(
                p, g, threshold, lo, hi, out, has_ignore, ignore)
            return out, n_valid, 0, n_nan, n_bad
        n_valid, bits, n_nan, n_bad = hi - lo, 0, 0, 0
        for c in range(n_channels):
            if batch.gt_one_hot:
                g_c, ignore_c = g[c, lo:hi], (False, 0)
            else:  # an integer one-hot pred against a label map: the slow path
                g_c, bad = _label_mask(g[lo:hi], c, n_channels, has_ignore, ignore)
                g_c, ignore_c, n_bad = g_c.astype(p.dtype), (has_ignore, 2), n_bad + bad
            if pred.dtype.kind == "f":
                r = module.threshold_counts(p[c, lo:hi], g_c, threshold, *ignore_c)
                n_nan += r[5]
            else:
                r = module.binary_counts(p[c, lo:hi], g_c, *ignore_c)
            out[c] = r[0], r[1], r[2]
            n_valid = r[3]
            bits |= r[4]
        return out, n_valid, bits, n_nan, n_bad

    parts = _run(batch, module, task)
    bits = 0
    for part in parts:
        for r in part:
            bits |= r[2]
    return _finish_channels(
        batch, np.stack([sum(r[0] for r in part) for part in parts]),
        np.array([sum(r[1] for r in part) for part in parts]), bits,
        sum(r[3] for part in parts for r in part), sum(r[4] for part in parts for r in part))


def _finish_channels(batch: _Batch, out: _Ints, n_valid: npt.ArrayLike, bits: int, n_nan: int,
                     n_bad: int) -> Counts:
    """Checks, and :class:`Counts` from ``out (B, C, 3)`` of ``(n_pred, n_gt, n_both)`` and
    the valid voxels of each sample."""
    pred, gt, n_channels = batch.pred, batch.gt, batch.pred.shape[1]
    if n_nan:
        raise ValueError("pred holds NaN values; NaN scores cannot be reduced by argmax or "
                         "thresholded")
    if n_bad:
        raise ValueError(f"gt labels must lie in [0, {n_channels}) (pred's channels): "
                         f"{values_found(gt, 'gt')}")
    if bits & ~1:
        arrays = {"gt": gt} if pred.dtype.kind == "f" else {"pred": pred, "gt": gt}
        refuse_non_binary(arrays, "one-hot channels",
                          "Pass a label map gt (B, *spatial), or binarise each channel")
    out = out[:, batch.chosen]
    valid = np.asarray(n_valid, dtype=np.int64)
    n_pred, n_gt, n_both = out[..., 0], out[..., 1], out[..., 2]
    return Counts(n_both, n_pred - n_both, n_gt - n_both,
                  valid[:, None] - n_pred - n_gt + n_both)


def _rows_view(array: npt.NDArray[Any], dtype: np.dtype[Any], rows: int
               ) -> npt.NDArray[Any] | None:
    """``array`` as a ``(rows, -1)`` C-contiguous view of ``dtype``, or None if that needs
    a copy."""
    if array.dtype == np.bool_ and dtype == np.uint8:
        array = array.view(np.uint8)
    if array.dtype != dtype or not array.flags.c_contiguous:
        return None
    return array.reshape(rows, -1)


def _row_counts(batch: _Batch, module: ModuleType, pred_dtype: np.dtype[Any],
                gt_dtype: np.dtype[Any], per_sample: int, threshold: float | None
                ) -> tuple[_Ints, int, int] | None:
    """``(out (B, R, 3), bits, n_nan)`` from the ``*_rows`` kernels over the whole batch as
    ``B * R`` rows (R channels, or 1 for binary masks), split into row ranges across the
    threads; None when the batch is not C-contiguous in the kernel dtypes, or has too few
    rows to keep the threads busy (then samples are split into pieces instead)."""
    n_rows = batch.batch_size * per_sample
    threads = _threads() if backend_name(module) != "numpy" else 1
    p = _rows_view(batch.pred, pred_dtype, n_rows)
    g = _rows_view(batch.gt, gt_dtype, n_rows)
    if p is None or g is None or (n_rows < threads and batch.size >= 2 * _PIECE_MIN_VOXELS):
        return None
    out = np.zeros((n_rows, 3), dtype=np.int64)
    chunks = 1  # threads from the size at which single-case counting uses them
    if n_rows * batch.size >= _layout.PARALLEL_MIN_ELEMENTS:
        chunks = min(threads, n_rows)
    bounds = [n_rows * k // chunks for k in range(chunks + 1)]

    def task(bound: tuple[int, int]) -> tuple[int, int]:
        lo, hi = bound
        if threshold is None:
            return module.binary_rows(p[lo:hi], g[lo:hi], out[lo:hi]), 0
        found: tuple[int, int] = module.threshold_rows(p[lo:hi], g[lo:hi], threshold, out[lo:hi])
        return found

    found: list[tuple[int, int]] = _executor.map_threads(
        task, list(zip(bounds[:-1], bounds[1:])), threads)
    bits = 0
    for chunk_bits, _ in found:
        bits |= chunk_bits
    return out.reshape(batch.batch_size, per_sample, 3), bits, sum(n for _, n in found)


def _label_mask(g: npt.NDArray[Any], c: int, n_channels: int, has_ignore: bool, ignore: int
                ) -> tuple[npt.NDArray[np.uint8], int]:
    """``g == c`` as uint8, with 2 at ignored voxels; and the count of labels outside
    ``[0, C)``."""
    valid = g != ignore if has_ignore else True
    mask = (g == c).astype(np.uint8)
    if has_ignore:
        mask[~valid] = 2
    n_bad = int(np.count_nonzero(((g < 0) | (g >= n_channels)) & valid)) if c == 0 else 0
    return mask, n_bad


def counts(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
           threshold: float | None = None, one_hot: bool = False,
           ignore_index: int | None = None, backend: Backend = "auto") -> Counts:
    """Confusion counts of every sample and label of a batch, from one pass.

    Parameters
    ----------
    pred, gt : array_like
        A batch in the index or channel layout (see the module docstring):
        ``(B, *spatial)`` label maps, or ``pred`` ``(B, C, *spatial)`` scores or
        one-hot channels with ``gt`` one-hot ``(B, C, *spatial)`` or a label map
        ``(B, *spatial)``.
    labels : sequence of int, optional
        Labels of the index layout (None: binary masks) or channel indices of the
        channel layout (None: every channel).
    threshold : float, optional
        Channel layout with floating ``pred``: channel c is ``pred[:, c] >= threshold``
        instead of the argmax.
    one_hot : bool, default False
        ``pred`` is an integer/bool one-hot (or multi-hot) ``(B, C, *spatial)`` map.
    ignore_index : int, optional
        Voxels whose label-map ``gt`` equals this value are not counted.
    backend : {"auto", "cython", "numba", "numpy"}
        Kernel implementation; all give identical counts.

    Returns
    -------
    Counts
        ``(tp, fp, fn, tn)`` int64 arrays of shape ``(B, len(labels))``, or ``(B,)``
        for binary index masks.

    Examples
    --------
    >>> import numpy as np
    >>> scores = np.array([[[0.9, 0.2, 0.6], [0.1, 0.8, 0.4]]])  # (B=1, C=2, 3 voxels)
    >>> counts(scores, np.array([[0, 1, 1]])).tp
    array([[1, 1]])
    """
    kind = _arrays.array_kind(pred, gt)
    check_backend_for(backend, kind)
    if kind == _arrays.DEVICE:
        return _device_counts(pred, gt, labels, threshold, one_hot, ignore_index, backend)
    if kind == _arrays.CHUNKED:
        raise TypeError("segmetrics.batch takes in-memory batches; score Dask arrays case by "
                        "case with segmetrics.dice, segmetrics.confusion_matrix, ...")
    batch = _Batch(_host(pred, "pred"), _host(gt, "gt"), labels, threshold, one_hot, ignore_index)
    module = kernels(backend)
    if batch.channels:
        return _channel_counts(batch, module)
    return _index_counts(batch, module)


def _is_float(array: Any) -> bool:
    floating: bool | None = getattr(array.dtype, "is_floating_point", None)  # torch dtypes
    return floating if floating is not None else np.dtype(array.dtype).kind == "f"


def _device_masks(pred: Any, gt: Any, labels: Labels | None, threshold: float | None,
                  one_hot: bool) -> list[_Pairs]:
    """Per sample: ``[(pred_map, gt_map, labels_or_None)]`` pairs for the public functions,
    made with the arrays' own operations so they stay on their device."""
    pred_float = _is_float(pred)
    if not pred_float and not one_hot:
        if threshold is not None:
            raise TypeError("threshold needs floating scores (B, C, *spatial)")
        return [[(pred[b], gt[b], labels)] for b in range(pred.shape[0])]
    n_channels = pred.shape[1]
    chosen = list(range(n_channels)) if labels is None else [int(v) for v in labels]
    gt_one_hot = gt.ndim == pred.ndim
    samples: list[_Pairs] = []
    for b in range(pred.shape[0]):
        if pred_float and threshold is None and not gt_one_hot:
            samples.append([(pred[b].argmax(0), gt[b], chosen)])
            continue
        top = pred[b].argmax(0) if pred_float and threshold is None else None
        pairs: _Pairs = []
        for c in chosen:
            p = pred[b, c] >= threshold if threshold is not None else (
                top == c if top is not None else pred[b, c])
            pairs.append((p, gt[b, c] if gt_one_hot else gt[b] == c, None))
        samples.append(pairs)
    return samples


def _device_counts(pred: Any, gt: Any, labels: Labels | None, threshold: float | None,
                   one_hot: bool, ignore_index: int | None, backend: Backend) -> Counts:
    from segmetrics.overlap import binary_counts, confusion_matrix

    per_sample: list[Counts] = []
    for pairs in _device_masks(pred, gt, labels, threshold, one_hot):
        rows: list[Counts] = []
        for p, g, chosen in pairs:
            if chosen is None:
                rows.append(binary_counts(p, g, ignore_index=ignore_index, backend=backend))
                continue
            k = int(max(chosen)) + 1
            confusion = confusion_matrix(p, g, ignore_index=ignore_index, backend=backend)
            rows.append(_formulas.per_label_counts(padded(confusion, k), chosen))
        if len(rows) == 1:
            per_sample.append(Counts(*(np.asarray(c, dtype=np.int64) for c in rows[0])))
        else:
            per_sample.append(Counts(*(np.array([r[i] for r in rows], dtype=np.int64)
                                       for i in range(4))))
    return _stack(per_sample)


def _metric(formula: Callable[..., npt.ArrayLike], pred: ArrayInput, gt: ArrayInput,
            labels: Labels | None, threshold: float | None, one_hot: bool,
            ignore_index: int | None, zero_division: float, backend: Backend, **params: float
            ) -> Floats:
    check_real(zero_division, "zero_division", allow_nan=True)
    found = counts(pred, gt, labels=labels, threshold=threshold, one_hot=one_hot,
                   ignore_index=ignore_index, backend=backend)
    return np.asarray(formula(found, zero_division=zero_division, **params), dtype=np.float64)


_SHARED = """
    Parameters
    ----------
    pred, gt, labels, threshold, one_hot, ignore_index, backend
        As for :func:`counts`: ``(B, *spatial)`` label maps, or ``(B, C, *spatial)``
        scores (argmax, or ``threshold=``) or one-hot channels against a one-hot
        or label-map ``gt``.
    zero_division : float, default NaN
        Returned where the metric is 0/0 (see the conventions page).

    Returns
    -------
    ndarray of float64, shape (B, len(labels))
        One row per sample, one column per label (channel); ``(B,)`` for binary
        index masks.
"""


def _documented(name: str, formula: str) -> Callable[[_F], _F]:
    def attach(function: _F) -> _F:
        function.__doc__ = (
            f"{formula} of every sample and label of a batch.\n{_SHARED}\n"
            "    Examples\n    --------\n"
            "    >>> import numpy as np\n"
            "    >>> scores = np.array([[[0.9, 0.2, 0.6], [0.1, 0.8, 0.4]]])\n"
            f"    >>> {name}(scores, np.array([[0, 1, 1]])).shape\n"
            "    (1, 2)\n")
        return function
    return attach


@_documented("dice", "Dice coefficient :math:`2TP / (2TP + FP + FN)`")
def dice(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
         threshold: float | None = None, one_hot: bool = False,
         ignore_index: int | None = None, zero_division: float = np.nan,
         backend: Backend = "auto") -> Floats:
    return _metric(_formulas.dice, pred, gt, labels, threshold, one_hot, ignore_index,
                   zero_division, backend)


@_documented("jaccard", "Jaccard index :math:`TP / (TP + FP + FN)`")
def jaccard(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
            threshold: float | None = None, one_hot: bool = False,
            ignore_index: int | None = None, zero_division: float = np.nan,
            backend: Backend = "auto") -> Floats:
    return _metric(_formulas.jaccard, pred, gt, labels, threshold, one_hot, ignore_index,
                   zero_division, backend)


@_documented("tversky", "Tversky index :math:`TP / (TP + \\alpha FP + \\beta FN)`")
def tversky(pred: ArrayInput, gt: ArrayInput, *, alpha: float = 0.5, beta: float = 0.5,
            labels: Labels | None = None, threshold: float | None = None, one_hot: bool = False,
            ignore_index: int | None = None, zero_division: float = np.nan,
            backend: Backend = "auto") -> Floats:
    return _metric(_formulas.tversky, pred, gt, labels, threshold, one_hot, ignore_index,
                   zero_division, backend, alpha=alpha, beta=beta)


@_documented("kappa", "Cohen's kappa (binary, one-vs-rest)")
def kappa(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
          threshold: float | None = None, one_hot: bool = False,
          ignore_index: int | None = None, zero_division: float = np.nan,
          backend: Backend = "auto") -> Floats:
    return _metric(_formulas.kappa, pred, gt, labels, threshold, one_hot, ignore_index,
                   zero_division, backend)


@_documented("sensitivity", "Sensitivity :math:`TP / (TP + FN)`")
def sensitivity(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
                threshold: float | None = None, one_hot: bool = False,
                ignore_index: int | None = None, zero_division: float = np.nan,
                backend: Backend = "auto") -> Floats:
    return _metric(_formulas.sensitivity, pred, gt, labels, threshold, one_hot, ignore_index,
                   zero_division, backend)


@_documented("specificity", "Specificity :math:`TN / (TN + FP)`")
def specificity(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
                threshold: float | None = None, one_hot: bool = False,
                ignore_index: int | None = None, zero_division: float = np.nan,
                backend: Backend = "auto") -> Floats:
    return _metric(_formulas.specificity, pred, gt, labels, threshold, one_hot, ignore_index,
                   zero_division, backend)


@_documented("precision", "Precision :math:`TP / (TP + FP)`")
def precision(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
              threshold: float | None = None, one_hot: bool = False,
              ignore_index: int | None = None, zero_division: float = np.nan,
              backend: Backend = "auto") -> Floats:
    return _metric(_formulas.precision, pred, gt, labels, threshold, one_hot, ignore_index,
                   zero_division, backend)


@_documented("accuracy", "Accuracy :math:`(TP + TN) / N`")
def accuracy(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
             threshold: float | None = None, one_hot: bool = False,
             ignore_index: int | None = None, zero_division: float = np.nan,
             backend: Backend = "auto") -> Floats:
    return _metric(_formulas.accuracy, pred, gt, labels, threshold, one_hot, ignore_index,
                   zero_division, backend)


# ---------------------------------------------------------------- distances

def _spacings(spacing: Spacing | None, batch_size: int, ndim: int) -> list[tuple[float, ...]]:
    """One spacing tuple per sample: shared (None, a number, ndim numbers) or (B, ndim)."""
    if spacing is not None and np.ndim(spacing) == 2:
        rows = np.asarray(spacing, dtype=np.float64)
        if rows.shape != (batch_size, ndim):
            raise ValueError(f"per-sample spacing must have shape (B, ndim) = "
                             f"{(batch_size, ndim)}; got {rows.shape}")
        return [check_spacing(tuple(row), ndim) for row in rows]
    return [check_spacing(spacing, ndim)] * batch_size


def _distance_pairs(pred: npt.NDArray[Any], gt: npt.NDArray[Any], labels: Labels | None,
                    threshold: float | None, one_hot: bool
                    ) -> tuple[_Batch, Callable[[int], _Pairs]]:
    """Per sample ``[(pred_map, gt_map, labels_or_None)]`` of host arrays; channel masks are
    made one sample at a time, so the extra memory is that of one sample."""
    batch = _Batch(pred, gt, labels, threshold, one_hot, None)
    if not batch.channels:
        listed = None if batch.binary else [int(v) for v in batch.chosen]
        return batch, lambda b: [(pred[b], gt[b], listed)]
    chosen = [int(v) for v in batch.chosen]

    def pairs(b: int) -> _Pairs:
        if pred.dtype.kind == "f" and threshold is None:
            top = _argmax(pred[b])
            if not batch.gt_one_hot:
                return [(top, gt[b], chosen)]
            return [(top == c, gt[b, c], None) for c in chosen]
        masks = (pred[b] >= pred.dtype.type(threshold)) if threshold is not None else pred[b]
        return [(masks[c], gt[b, c] if batch.gt_one_hot else gt[b] == c, None) for c in chosen]

    return batch, pairs


def _argmax(scores: npt.NDArray[Any]) -> npt.NDArray[Any]:
    if np.isnan(scores).any():
        raise ValueError("pred holds NaN values; NaN scores cannot be reduced by argmax")
    top: npt.NDArray[Any] = np.argmax(scores, axis=0).astype(np.min_scalar_type(scores.shape[0]))
    return top


def surface_distances(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing | None = None,
                      labels: Labels | None = None, threshold: float | None = None,
                      one_hot: bool = False, connectivity: Connectivity = "face",
                      backend: Backend = "auto", surface: Surface = "voxel"
                      ) -> list[list[SurfaceDistances]]:
    """Surface distances of every sample and label of a batch.

    Parameters
    ----------
    pred, gt, labels, threshold, one_hot
        As for :func:`counts`.
    spacing : float, sequence of float or array of shape (B, ndim), optional
        Physical voxel size per spatial axis: shared by every sample, or one row
        per sample.
    connectivity, backend, surface
        As for :func:`segmetrics.surface_distances`.

    Returns
    -------
    list of list of SurfaceDistances
        ``result[b][j]`` for sample b and label ``labels[j]`` (``result[b]`` is a
        one-item list for binary index masks).
    """
    kind = _arrays.array_kind(pred, gt)
    check_backend_for(backend, kind)
    if kind == _arrays.CHUNKED:
        raise TypeError("segmetrics.batch takes in-memory batches; score Dask arrays case by "
                        "case with segmetrics.surface_distances")
    pairs: Callable[[int], _Pairs]
    if kind == _arrays.DEVICE:
        device = cast(Any, pred)
        samples = _device_masks(device, gt, labels, threshold, one_hot)
        spatial_ndim = device.ndim - (2 if _is_float(device) or one_hot else 1)
        spacings = _spacings(spacing, device.shape[0], spatial_ndim)

        def device_pairs(b: int) -> _Pairs:
            return samples[b]
        pairs = device_pairs
        batch_size: int = device.shape[0]
    else:
        batch, pairs = _distance_pairs(_host(pred, "pred"), _host(gt, "gt"), labels, threshold,
                                       one_hot)
        batch_size = batch.batch_size
        spacings = _spacings(spacing, batch_size, len(batch.spatial))

    def sample(b: int) -> list[SurfaceDistances]:
        found: list[SurfaceDistances] = []
        for p, g, chosen in pairs(b):
            result = _distance.surface_distances(p, g, spacing=spacings[b], labels=chosen,
                                                 connectivity=connectivity, backend=backend,
                                                 surface=surface)
            found.extend(result if isinstance(result, list) else [result])
        return found

    threads = _threads()
    return cast("list[list[SurfaceDistances]]",
                _executor.map_threads(sample, range(batch_size), threads))


def _distance_metric(metric: Callable[[Any], float], pred: ArrayInput,
                     gt: ArrayInput, spacing: Spacing | None, labels: Labels | None,
                     threshold: float | None, one_hot: bool, connectivity: Connectivity,
                     backend: Backend, surface: Surface) -> Floats:
    """``metric`` (of a SurfaceDistances) of every sample and label."""
    found = surface_distances(pred, gt, spacing=spacing, labels=labels, threshold=threshold,
                              one_hot=one_hot, connectivity=connectivity, backend=backend,
                              surface=surface)
    values = np.array([[metric(d) for d in sample] for sample in found], dtype=np.float64)
    index_binary = values.shape[1] == 1 and labels is None and not (
        _is_float(pred) or one_hot)
    return values[:, 0] if index_binary else values


_DISTANCE_SHARED = """
    Parameters
    ----------
    pred, gt, spacing, labels, threshold, one_hot, connectivity, backend, surface
        As for :func:`surface_distances`.

    Returns
    -------
    ndarray of float64, shape (B, len(labels))
        ``(B,)`` for binary index masks. Empty masks follow the conventions page
        (both empty: NaN; one empty: ``inf``, or 0 for the surface Dice).
"""


def hausdorff(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing | None = None,
              percentile: float | None = None, hd_mode: HDMode = "max",
              labels: Labels | None = None, threshold: float | None = None, one_hot: bool = False,
              connectivity: Connectivity = "face", backend: Backend = "auto",
              surface: Surface = "voxel") -> Floats:
    check_choice(hd_mode, "hd_mode", _distance.HD_MODES)
    return _distance_metric(lambda d: d.hausdorff(percentile, hd_mode=hd_mode), pred, gt,
                            spacing, labels, threshold, one_hot, connectivity, backend, surface)


def hd95(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing | None = None,
         hd_mode: HDMode = "max", labels: Labels | None = None, threshold: float | None = None,
         one_hot: bool = False, connectivity: Connectivity = "face", backend: Backend = "auto",
         surface: Surface = "voxel") -> Floats:
    check_choice(hd_mode, "hd_mode", _distance.HD_MODES)
    return _distance_metric(lambda d: d.hd95(hd_mode=hd_mode), pred, gt, spacing, labels,
                            threshold, one_hot, connectivity, backend, surface)


def assd(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing | None = None,
         labels: Labels | None = None, threshold: float | None = None, one_hot: bool = False,
         connectivity: Connectivity = "face", backend: Backend = "auto",
         surface: Surface = "voxel") -> Floats:
    return _distance_metric(lambda d: d.assd(), pred, gt, spacing, labels, threshold, one_hot,
                            connectivity, backend, surface)


def surface_dice(pred: ArrayInput, gt: ArrayInput, *, tolerance: float,
                 spacing: Spacing | None = None, labels: Labels | None = None,
                 threshold: float | None = None, one_hot: bool = False,
                 connectivity: Connectivity = "face", backend: Backend = "auto",
                 surface: Surface = "voxel") -> Floats:
    tolerance = check_real(tolerance, "tolerance", minimum=0.0)
    return _distance_metric(lambda d: d.surface_dice(tolerance), pred, gt, spacing, labels,
                            threshold, one_hot, connectivity, backend, surface)


hausdorff.__doc__ = ("Hausdorff distance (or its ``percentile``) of every sample and label of a "
                     "batch.\n" + _DISTANCE_SHARED)
hd95.__doc__ = "95th-percentile Hausdorff distance of every sample and label.\n" + _DISTANCE_SHARED
assd.__doc__ = "Average symmetric surface distance of every sample and label.\n" + _DISTANCE_SHARED
surface_dice.__doc__ = ("Normalised surface Dice at ``tolerance`` of every sample and label.\n"
                        + _DISTANCE_SHARED)
