"""Surface distances of two segmentations and the metrics derived from them.

:func:`surface_distances` computes the two directed distance sets once; the
Hausdorff distance, its percentiles, the average symmetric surface distance
and the normalised surface Dice are derived from them by
:class:`SurfaceDistances`, so asking for all four costs one computation.

How the directed distances are found (exact in every case):

1. each object is cropped to its bounding box (found in one pass) and its
   boundary extracted there, row by row along the finest-spaced axis;
2. from each boundary voxel of one mask the rows of the other boundary are
   searched outward, starting from the bound given by the previous voxel's
   nearest neighbour, until no closer row can exist;
3. when a sample of queries shows that search would cost more than a distance
   transform (a prediction far from the ground truth), an exact float64
   Felzenszwalb-Huttenlocher transform of the other boundary on the joint
   bounding box is sampled instead.

The compiled kernels release the GIL, so the two masks' bounding boxes and
boundaries are found in two threads, and the searches of both directions run
as slabs of planes on one pool of threads. The distances stay in search order
until ``pred_to_gt`` or ``gt_to_pred`` is read: the Hausdorff distance, its
percentiles and NSD do not depend on the order and never sort them.

Nothing the size of the input volume is allocated (except a native-byte-order
copy of a byte-swapped input): memory scales with the boundary sizes and, for
the fallback, with the joint bounding box. Percentiles use ``np.percentile``,
which selects with ``np.partition`` rather than sorting.

``surface="surfel"`` measures DeepMind's surface elements instead (points on
the grid of voxel corners, weighted by area; :mod:`segmetrics._surfel`): they
form boundary sets of the same row-wise kind, searched the same way.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any, TypeVar, Union, cast, overload

import numpy as np
import numpy.typing as npt

from segmetrics import _executor, _layout, _surfel
from segmetrics import regions as _regions
from segmetrics._arrays import DEVICE, array_kind, is_device
from segmetrics._backends import backend_name, check_backend, check_backend_for, kernels
from segmetrics._types import ArrayInput, FloatArray, Labels, Regions, Spacing
from segmetrics._validate import (
    as_array,
    check_choice,
    check_label_dtype,
    check_labels,
    check_not_empty,
    check_real,
    check_same_shape,
    check_spacing,
    fits_dtype,
    refuse_non_binary,
)

__all__ = [
    "SurfaceDistances", "assd", "euclidean_distance_transform", "hausdorff", "hd95",
    "surface_dice", "surface_distances",
]

CONNECTIVITIES = ("face", "full")
HD_MODES = ("max", "pooled")
DIRECTIONS = ("symmetric", "pred_to_gt", "gt_to_pred")
SURFACES = ("voxel", "surfel")
IMAGE_BORDERS = ("boundary", "ignored")

# Search cost model, in probe units (an empty row visited costs 1, a row with
# a binary search 2): one envelope pass costs about this much per voxel.
_EDT_PROBES_PER_VOXEL_PASS = 3.0
# Queries below this many are searched without estimating the cost first.
_SAMPLE_MIN_QUERIES = 4096
# Sampled runs of queries used to estimate the search cost.
_SAMPLE_RUNS = 256
_SAMPLE_RUN = 4  # the Cython/Numba kernels' SAMPLE_RUN
# A direction's search is split into slabs for the threads from this many queries.
_PARALLEL_MIN_QUERIES = 10000
# ... and boundaries are extracted in two threads from boxes this large together.
_PARALLEL_MIN_VOXELS = 1 << 21

_Array = npt.NDArray[Any]
#: A bounding box as ``[(lo, hi)]`` per original axis (``hi`` exclusive).
_Box = Sequence[tuple[int, int]]
#: ``tolerance=`` of the surface Dice: one value, one per label (region), or ``{key: value}``.
Tolerance = Union[float, Sequence[float], Mapping[Any, float]]
#: Reorders both directed sets into C order of the boundary voxels.
_COrder = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]
_Item = TypeVar("_Item")
_F = TypeVar("_F", bound=Callable[..., Any])
_Result = TypeVar("_Result")


class SurfaceDistances:
    """The directed surface distances of two masks, and the metrics derived from them.

    Attributes
    ----------
    pred_to_gt : ndarray of float64, shape (n_pred_boundary,)
        For each boundary voxel of ``pred`` (in C order of the voxel
        positions), the distance to the nearest boundary voxel of ``gt``.
        Empty when ``pred`` is empty; all ``inf`` when ``gt`` is empty.
    gt_to_pred : ndarray of float64, shape (n_gt_boundary,)
        The same from ``gt`` to ``pred``.
    spacing : tuple of float
        The physical voxel size per axis the distances were measured with.
    pred_weights, gt_weights : ndarray of float64 or None
        None for ``surface="voxel"`` (every boundary voxel counts once). For
        ``surface="surfel"`` the distances run between surface elements (points
        on the grid of voxel corners, in C order of the corners) and these are
        their contour lengths (2-D) or surface areas (3-D), aligned with
        ``pred_to_gt`` and ``gt_to_pred``; every metric is then weighted by them.

    Notes
    -----
    Empty masks (see the conventions page): both empty gives NaN for every
    metric; exactly one empty gives ``inf`` for the Hausdorff distance, its
    percentiles and ASSD, and 0 for the surface Dice.
    """

    __slots__ = ("_c_order", "_gt_to_pred", "_pred_to_gt", "gt_weights", "pred_weights",
                 "spacing")

    _pred_to_gt: FloatArray
    _gt_to_pred: FloatArray
    _c_order: _COrder | None
    spacing: tuple[float, ...]
    pred_weights: FloatArray | None
    gt_weights: FloatArray | None

    def __init__(self, pred_to_gt: FloatArray, gt_to_pred: FloatArray, spacing: Iterable[float],
                 pred_weights: FloatArray | None = None,
                 gt_weights: FloatArray | None = None) -> None:
        self._pred_to_gt = pred_to_gt
        self._gt_to_pred = gt_to_pred
        self._c_order = None
        self.spacing = tuple(float(s) for s in spacing)
        self.pred_weights = pred_weights
        self.gt_weights = gt_weights

    @classmethod
    def _in_search_order(cls, pred_to_gt: FloatArray, gt_to_pred: FloatArray,
                         spacing: Iterable[float], c_order: _COrder) -> SurfaceDistances:
        """Distances in the order the search found them; ``c_order(pred_to_gt, gt_to_pred)``
        puts them in C order, on first access to the attributes (the Hausdorff distance,
        its percentiles and NSD do not depend on the order, and never pay for it)."""
        distances = cls(pred_to_gt, gt_to_pred, spacing)
        distances._c_order = c_order
        return distances

    def _in_c_order(self) -> None:
        if self._c_order is not None:
            c_order, self._c_order = self._c_order, None
            self._pred_to_gt, self._gt_to_pred = c_order(self._pred_to_gt, self._gt_to_pred)

    @property
    def pred_to_gt(self) -> FloatArray:
        self._in_c_order()
        return self._pred_to_gt

    @property
    def gt_to_pred(self) -> FloatArray:
        self._in_c_order()
        return self._gt_to_pred

    def __reduce__(self) -> tuple[type[SurfaceDistances], tuple[Any, ...]]:
        return (type(self), (self.pred_to_gt, self.gt_to_pred, self.spacing, self.pred_weights,
                             self.gt_weights))

    def __repr__(self) -> str:
        surfel = "" if self.pred_weights is None else ", surface='surfel'"
        return (f"SurfaceDistances(n_pred_boundary={self._pred_to_gt.size}, "
                f"n_gt_boundary={self._gt_to_pred.size}, spacing={self.spacing}{surfel})")

    def _empty_value(self, one_empty: float) -> float | None:
        """NaN, ``one_empty`` or None (both masks have a boundary)."""
        n_pred, n_gt = self._pred_to_gt.size, self._gt_to_pred.size
        if n_pred == 0 and n_gt == 0:
            return math.nan
        if n_pred == 0 or n_gt == 0:
            return one_empty
        return None

    def _directed(self, direction: str
                  ) -> tuple[tuple[FloatArray, FloatArray | None], ...]:
        """``(distances, weights)`` of the sets ``direction`` reads: both, or one (any order)."""
        a, b = (self._pred_to_gt, self.pred_weights), (self._gt_to_pred, self.gt_weights)
        return {"symmetric": (a, b), "pred_to_gt": (a,), "gt_to_pred": (b,)}[direction]

    def hausdorff(self, percentile: float | None = None, hd_mode: str = "max",
                  direction: str = "symmetric") -> float:
        """Hausdorff distance, or its ``percentile``-th percentile form.

        ``percentile=None`` gives the largest directed distance. Otherwise
        ``hd_mode="max"`` gives the larger of the two directed percentiles and
        ``"pooled"`` the percentile of both sets together, with NumPy's
        linear interpolation; with surfel weights, DeepMind's area-weighted
        percentile (the first distance whose cumulative area share reaches it).
        ``direction="pred_to_gt"`` (or ``"gt_to_pred"``) reads that directed set
        only (``hd_mode`` then has no effect); the empty rule is unchanged.
        """
        percentile = _check_percentile(percentile)
        check_choice(hd_mode, "hd_mode", HD_MODES)
        sets = self._directed(check_choice(direction, "direction", DIRECTIONS))
        empty = self._empty_value(math.inf)
        if empty is not None:
            return empty
        if percentile is None:
            return float(max(d.max() for d, _ in sets))
        if hd_mode == "pooled" and len(sets) == 2:
            (a, wa), (b, wb) = sets
            if wa is not None:
                # surfel weights come for both sets or for neither
                weights = np.concatenate((wa, cast(FloatArray, wb)))
                return _surfel.weighted_percentile(np.concatenate((a, b)), weights, percentile)
            return float(np.percentile(np.concatenate((a, b)), percentile))
        if sets[0][1] is not None:
            return max(_surfel.weighted_percentile(d, w, percentile) for d, w in sets)
        return float(max(np.percentile(d, percentile) for d, _ in sets))

    def hd95(self, hd_mode: str = "max", direction: str = "symmetric") -> float:
        """95th-percentile Hausdorff distance; see :meth:`hausdorff`."""
        return self.hausdorff(95.0, hd_mode, direction)

    def assd(self, direction: str = "symmetric") -> float:
        """Average symmetric surface distance: the mean of both directed sets pooled.

        With surfel weights, the area-weighted mean of both sets pooled.
        ``direction="pred_to_gt"`` (or ``"gt_to_pred"``) gives the mean of that
        directed set only (the average surface distance, ASD); the empty rule
        is unchanged.
        """
        sets = self._directed(check_choice(direction, "direction", DIRECTIONS))
        empty = self._empty_value(math.inf)
        if empty is not None:
            return empty
        if len(sets) == 1:
            ((d, w),) = sets
            return float(d.mean()) if w is None else float(np.dot(d, w) / w.sum())
        if self.pred_weights is not None:
            wa, wb = self.pred_weights, cast(FloatArray, self.gt_weights)  # both or neither
            total = np.dot(self.pred_to_gt, wa) + np.dot(self.gt_to_pred, wb)
            return float(total / (wa.sum() + wb.sum()))
        return float(np.concatenate((self.pred_to_gt, self.gt_to_pred)).mean())

    def surface_dice(self, tolerance: float) -> float:
        """Normalised surface Dice: the share of both boundaries within ``tolerance``.

        With surfel weights, the share of both surfaces' area.
        """
        tolerance = check_real(tolerance, "tolerance", minimum=0.0)
        empty = self._empty_value(0.0)
        if empty is not None:
            return empty
        a, b = self._pred_to_gt, self._gt_to_pred  # any order
        if self.pred_weights is not None:
            wa, wb = self.pred_weights, cast(FloatArray, self.gt_weights)  # both or neither
            close = wa[a <= tolerance].sum() + wb[b <= tolerance].sum()
            return float(close / (wa.sum() + wb.sum()))
        close = np.count_nonzero(a <= tolerance) + np.count_nonzero(b <= tolerance)
        return float(close / (a.size + b.size))


def _check_percentile(percentile: float | None) -> float | None:
    if percentile is None:
        return None
    percentile = check_real(percentile, "percentile")
    if not 0.0 <= percentile <= 100.0:
        raise ValueError(f"percentile must lie in [0, 100]; got {percentile}")
    return percentile


def _check_surface(surface: str, full: bool, image_border: str) -> bool:
    """Whether ``surface`` is "surfel", after checking it goes with the boundary options."""
    surfel = check_choice(surface, "surface", SURFACES) == "surfel"
    check_choice(image_border, "image_border", IMAGE_BORDERS)
    if surfel and full:
        raise ValueError("connectivity applies to surface='voxel' only (surfels lie between "
                         "voxels); got connectivity='full' with surface='surfel'")
    if surfel and image_border != "boundary":
        raise ValueError("image_border applies to surface='voxel' only (DeepMind's surfels "
                         "always close objects at the image border); got "
                         f"image_border={image_border!r} with surface='surfel'")
    return surfel


def _check_connectivity(connectivity: str) -> bool:
    return check_choice(connectivity, "connectivity", CONNECTIVITIES) == "full"


def _kernel_view(array: _Array) -> _Array:
    """``array`` in a dtype the kernels take, without a copy when possible."""
    if array.dtype == np.bool_:
        return array.view(np.uint8)
    if not array.dtype.isnative:
        return array.astype(array.dtype.newbyteorder("="))
    return array


def _orientation(array: _Array, spacing: Sequence[float]) -> tuple[int, ...]:
    """Axis order for the kernels: rows run along the finest-spaced axis.

    The row search visits about ``pi d^2 / (s_a s_b)`` rows for a distance ``d``,
    ``s_a, s_b`` the spacings across rows, so the finest axis makes the rows.
    Ties go to the axis with the smallest stride; the other axes follow in
    decreasing stride order, so loops follow memory where they can.
    """
    strides = [abs(s) for s in array.strides]
    row = min(range(array.ndim), key=lambda a: (spacing[a], strides[a]))
    others = sorted((a for a in range(array.ndim) if a != row), key=lambda a: -strides[a])
    return tuple(others) + (row,)


def _oriented(array: _Array, axes: tuple[int, ...]) -> _Array:
    """A 3-D view with ``axes`` as its last axes, leading axes of size 1."""
    array = array.transpose(axes)
    return array.reshape((1,) * (3 - array.ndim) + array.shape)


class _Boundary:
    """Boundary voxels of one object, row by row, in the frame of its bounding box."""

    __slots__ = ("cols", "origin", "row_ptr", "shape")

    origin: npt.NDArray[np.int64]
    shape: tuple[int, ...]
    row_ptr: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int32]

    def __init__(self, origin: npt.ArrayLike, shape: Iterable[int],
                 row_ptr: npt.NDArray[np.int64], cols: npt.NDArray[np.int32]) -> None:
        self.origin = np.asarray(origin, dtype=np.int64)
        self.shape = tuple(shape)
        self.row_ptr = row_ptr
        self.cols = cols

    @property
    def size(self) -> int:
        return int(self.cols.shape[0])

    def coords(self) -> tuple[_Array, _Array, _Array]:
        """``(i, j, k)`` global coordinates of each voxel, in row order."""
        rows = np.repeat(np.arange(self.row_ptr.shape[0] - 1, dtype=np.int64),
                         np.diff(self.row_ptr))
        return (rows // self.shape[1] + self.origin[0], rows % self.shape[1] + self.origin[1],
                self.cols.astype(np.int64) + self.origin[2])


def _no_boundary() -> _Boundary:
    return _Boundary((0, 0, 0), (1, 1, 1), np.zeros(2, dtype=np.int64),
                     np.empty(0, dtype=np.int32))


def _boundary(module: ModuleType, volume: _Array, value: int, box: Sequence[int] | None,
              ndim: int, full: bool, open_border: bool = False) -> _Boundary:
    """The boundary of ``volume == value`` inside ``box = (lo0, hi0, lo1, hi1, lo2, hi2)``.

    Outside the box is background to the kernel. With ``open_border`` the image
    border is not a boundary: where the box touches the border, the box is
    padded there with copies of its edge voxels (so a border voxel's outside
    neighbours are itself or its neighbours inside the image), and the padding's
    voxels are dropped from the result.
    """
    if box is None:
        return _no_boundary()
    lo0, hi0, lo1, hi1, lo2, hi2 = box
    view = volume[lo0:hi0, lo1:hi1, lo2:hi2]
    pads = [(0, 0)] * 3
    if open_border:
        pads = [(int(lo == 0), int(hi == n)) if axis >= 3 - ndim else (0, 0)
                for axis, (lo, hi, n) in enumerate(zip(box[::2], box[1::2], volume.shape))]
    if not any(map(any, pads)):
        row_ptr, cols = module.boundary_rows(view, view.dtype.type(value), ndim, full)
        return _Boundary((lo0, lo1, lo2), view.shape, row_ptr, cols)
    padded = np.pad(view, pads, mode="edge")
    row_ptr, cols = module.boundary_rows(padded, view.dtype.type(value), ndim, full)
    return _Boundary((lo0, lo1, lo2), view.shape, *_crop_rows(row_ptr, cols, padded.shape, pads))


def _crop_rows(row_ptr: npt.NDArray[np.int64], cols: npt.NDArray[np.int32],
               shape: tuple[int, ...], pads: Sequence[tuple[int, int]]
               ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """The boundary rows of a padded box without its padding: ``(row_ptr, cols)``."""
    n0, n1, n2 = shape
    (a0, b0), (a1, b1), (a2, b2) = pads
    rows = np.repeat(np.arange(n0 * n1, dtype=np.int64), np.diff(row_ptr))
    i0, i1 = np.divmod(rows, n1)
    keep = ((i0 >= a0) & (i0 < n0 - b0) & (i1 >= a1) & (i1 < n1 - b1)
            & (cols >= a2) & (cols < n2 - b2))
    inner1 = n1 - a1 - b1
    inner_rows = (i0[keep] - a0) * inner1 + (i1[keep] - a1)
    counts = np.bincount(inner_rows, minlength=(n0 - a0 - b0) * inner1)
    cropped_ptr = np.zeros(counts.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=cropped_ptr[1:])
    return cropped_ptr, (cols[keep] - a2).astype(np.int32)


def _joint_box(a: _Boundary, b: _Boundary) -> tuple[_Array, _Array]:
    lo = np.minimum(a.origin, b.origin)
    hi = np.maximum(a.origin + a.shape, b.origin + b.shape)
    return lo, hi


def _edt_cost(a: _Boundary, b: _Boundary, ndim: int) -> float:
    lo, hi = _joint_box(a, b)
    return float(np.prod(hi - lo)) * ndim * _EDT_PROBES_PER_VOXEL_PASS


def _search(module: ModuleType, query: _Boundary, target: _Boundary, spacing: FloatArray,
            out: FloatArray, sample_every: int, max_probes: int) -> int:
    return cast(int, module.directed_distances(
        query.origin, query.shape[1], query.row_ptr, query.cols,
        target.origin, target.shape[0], target.shape[1], target.row_ptr, target.cols,
        spacing, out, sample_every, max_probes))


def _directed_by_edt(module: ModuleType, query: _Boundary, target: _Boundary,
                     spacing: FloatArray) -> FloatArray:
    """Exact distances by a distance transform of ``target`` on the joint box."""
    lo, hi = _joint_box(query, target)
    sites = np.zeros(tuple(hi - lo), dtype=np.uint8)
    ti, tj, tk = target.coords()
    sites[ti - lo[0], tj - lo[1], tk - lo[2]] = 1
    field = module.edt(sites.reshape(-1), sites.shape, spacing).reshape(sites.shape)
    del sites
    qi, qj, qk = query.coords()
    return cast(FloatArray, field[qi - lo[0], qj - lo[1], qk - lo[2]])


def _directed_sets(module: ModuleType, pairs: Sequence[tuple[_Boundary, _Boundary]],
                   spacing: FloatArray, ndim: int, method: str) -> list[FloatArray]:
    """For each ``(query, target)`` pair, the distance from every boundary voxel of
    ``query`` to the nearest of ``target``; the searches share the threads.

    A pair whose sampled search would cost more than a distance transform, or
    whose search runs over twice that budget, is measured by the transform.
    """
    results: list[FloatArray | None] = [None] * len(pairs)
    measured: list[tuple[int, _Boundary, _Boundary, FloatArray]] = []
    for index, (query, target) in enumerate(pairs):
        if query.size == 0:
            results[index] = np.empty(0, dtype=np.float64)
        elif target.size == 0:
            results[index] = np.full(query.size, np.inf)
        else:
            measured.append((index, query, target, np.empty(query.size, dtype=np.float64)))
    sampled = sum(query.size >= _SAMPLE_MIN_QUERIES for _, query, _, _ in measured) > 1
    budgets = _map(module, lambda pair: _search_budget(module, *pair[1:], spacing, ndim, method),
                   measured, sampled)
    searches = [(index, query, target, out, budget)
                for (index, query, target, out), budget in zip(measured, budgets)
                if budget is not None]
    for (index, *_), out in zip(searches, _run_searches(module, searches, spacing)):
        results[index] = out
    done = []
    for index, (query, target) in enumerate(pairs):
        found = results[index]
        done.append(_directed_by_edt(module, query, target, spacing) if found is None else found)
    return done


def _search_budget(module: ModuleType, query: _Boundary, target: _Boundary, out: FloatArray,
                   spacing: FloatArray, ndim: int, method: str) -> int | None:
    """Probes the search may spend (0: no limit), or None when the transform is cheaper.

    The cost is estimated by searching a sample of queries, with ``out`` as scratch."""
    if method == "edt":
        return None
    if method == "search":
        return 0
    edt_cost = _edt_cost(query, target, ndim)
    if query.size >= _SAMPLE_MIN_QUERIES:
        every = max(1, query.size // (_SAMPLE_RUNS * _SAMPLE_RUN))
        probes = _search(module, query, target, spacing, out, every, 0)
        if probes * every * _SAMPLE_RUN / (_SAMPLE_RUN - 1) > edt_cost:
            return None
    return max(int(2 * edt_cost), 1)


def _run_searches(module: ModuleType,
                  searches: Sequence[tuple[int, _Boundary, _Boundary, FloatArray, int]],
                  spacing: FloatArray) -> list[FloatArray | None]:
    """The row search of each ``(index, query, target, out, budget)`` into its ``out``;
    ``out``, or None where the search ran over its budget.

    Large searches are split into slabs of query planes, and the slabs of every
    search go to one thread pool, so both directions keep all threads busy. A
    slab's ``row_ptr`` keeps indexing the whole ``cols`` and ``out``, and its
    origin moves to its first plane, so the slabs write disjoint parts of ``out``.
    """
    outs = [out for _, _, _, out, _ in searches]
    threads = _layout._thread_count()
    parallel = threads > 1 and backend_name(module) != "numpy"
    total = sum(query.size for _, query, _, _, _ in searches)
    tasks: list[tuple[int, _Boundary, _Boundary, FloatArray, int]] = []
    for number, (_, query, target, _, budget) in enumerate(searches):
        slabs = 1
        if parallel and query.size >= _PARALLEL_MIN_QUERIES:
            slabs = max(1, round(4 * threads * query.size / total))
        for slab in _slabs(query, slabs):
            queries = int(slab.row_ptr[-1] - slab.row_ptr[0])
            share = 0 if budget == 0 else max(1, budget * queries // query.size)
            tasks.append((number, slab, target, outs[number], share))

    def run(task: tuple[int, _Boundary, _Boundary, FloatArray, int]) -> tuple[int, int]:
        number, slab, target, out, share = task
        return number, _search(module, slab, target, spacing, out, 1, share)

    spent = _map(module, run, tasks, total >= _PARALLEL_MIN_QUERIES)
    over = {number for number, probes in spent if probes < 0}
    return [None if number in over else out for number, out in enumerate(outs)]


def _map(module: ModuleType, function: Callable[[_Item], _Result], items: Sequence[_Item],
         worth_threads: bool) -> list[_Result]:
    """``[function(item) for item in items]``, on the kernels' threads when the work is
    ``worth_threads``, the kernels release the GIL and there is more than one item."""
    threads = _layout._thread_count()
    if (not worth_threads or threads < 2 or len(items) < 2
            or backend_name(module) == "numpy"):
        return [function(item) for item in items]
    return _executor.map_threads(function, items, threads)


def _slabs(query: _Boundary, count: int) -> list[_Boundary]:
    """``query`` as up to ``count`` slabs of whole planes with about equal voxel counts."""
    n0, n1 = query.shape[0], query.shape[1]
    if count < 2 or n0 < 2:
        return [query]
    plane_ends = query.row_ptr[n1::n1]
    cuts = np.searchsorted(plane_ends, np.linspace(0, query.size, count + 1)[1:-1])
    bounds = np.unique(np.concatenate(([0], np.minimum(cuts + 1, n0), [n0])))
    return [_Boundary(query.origin + (lo, 0, 0), (hi - lo, n1, query.shape[2]),
                      query.row_ptr[lo * n1:hi * n1 + 1], query.cols)
            for lo, hi in zip(bounds[:-1], bounds[1:])]


def _c_order(distances: FloatArray, boundary: _Boundary, axes: tuple[int, ...],
             shape: tuple[int, ...]) -> FloatArray:
    """Reorder distances found on permuted axes into C order of the original axes."""
    ndim = len(axes)
    multipliers = np.ones(3, dtype=np.int64)  # C-order weight of each view axis
    c_strides = np.cumprod((1,) + tuple(shape[:0:-1]))[::-1]
    for position, axis in enumerate(axes):
        multipliers[3 - ndim + position] = c_strides[axis]
    multipliers[:3 - ndim] = 0
    n1 = boundary.shape[1]
    dtype = np.int32 if math.prod(shape) < 2**31 else np.int64  # halves the temporaries
    rows = np.repeat(np.arange(boundary.row_ptr.shape[0] - 1, dtype=dtype),
                     np.diff(boundary.row_ptr))
    multipliers = multipliers.astype(dtype)
    key = rows // n1
    key += boundary.origin[0]
    key *= multipliers[0]
    rows %= n1
    rows += boundary.origin[1]
    rows *= multipliers[1]
    key += rows
    rows[:] = boundary.cols
    rows += boundary.origin[2]
    rows *= multipliers[2]
    key += rows
    del rows
    order = np.argsort(key, kind="stable")
    del key
    return distances[order]


def _checked_masks(pred: ArrayInput, gt: ArrayInput) -> tuple[_Array, _Array]:
    p = as_array(pred, "pred")
    g = as_array(gt, "gt")
    check_same_shape(p, g)
    check_not_empty(g, "gt")
    if not 1 <= p.ndim <= 3:
        raise ValueError(f"distance metrics take 1-D, 2-D or 3-D arrays; got {p.ndim}-D "
                         f"arrays of shape {p.shape}")
    for array, name in ((p, "pred"), (g, "gt")):
        check_label_dtype(array, name, f"binarise a probability map first (e.g. {name} >= 0.5) "
                                       "or convert labels with .astype(int)")
    return p, g


def _compute(pred: ArrayInput, gt: ArrayInput, spacing: Spacing, labels: Labels | None,
             connectivity: str, backend: str, method: str = "auto",
             surface: str = "voxel", image_border: str = "boundary"
             ) -> SurfaceDistances | list[SurfaceDistances]:
    """Validated inputs -> one SurfaceDistances (binary) or a list (labels)."""
    check_backend(backend)
    full = _check_connectivity(connectivity)
    surfel = _check_surface(surface, full, image_border)
    open_border = image_border == "ignored"
    checked_labels = None if labels is None else check_labels(labels)
    pred, gt = _checked_masks(pred, gt)
    if surfel and pred.ndim == 1:
        raise ValueError(f"surface='surfel' takes 2-D or 3-D arrays (DeepMind's surface "
                         f"elements have no 1-D form); got 1-D arrays of shape {pred.shape}")
    spacing = check_spacing(spacing, pred.ndim)
    module = kernels(backend)
    ndim = pred.ndim
    axes = _orientation(pred, spacing)
    permuted = axes != tuple(range(ndim))
    p3 = _oriented(_kernel_view(pred), axes)
    g3 = _oriented(_kernel_view(gt), axes)
    spacing3 = np.array((1.0,) * (3 - ndim) + tuple(spacing[a] for a in axes), dtype=np.float64)

    def pair(p_box: _Box | None, g_box: _Box | None, value: int) -> SurfaceDistances:
        if surfel:
            return _surfel_pair(module, pred, gt, p_box, g_box, value, spacing, spacing3, axes,
                                method)
        large = _box_size(p_box) + _box_size(g_box) >= _PARALLEL_MIN_VOXELS
        pb, gb = _in_two_threads(
            module, large,
            lambda: _boundary(module, p3, value, _permute_box(p_box, axes), ndim, full,
                              open_border),
            lambda: _boundary(module, g3, value, _permute_box(g_box, axes), ndim, full,
                              open_border))
        p_to_g, g_to_p = _both_directions(module, pb, gb, spacing3, ndim, method)
        if not permuted:
            return SurfaceDistances(p_to_g, g_to_p, spacing)
        return SurfaceDistances._in_search_order(
            p_to_g, g_to_p, spacing, lambda a, b: (_c_order(a, pb, axes, pred.shape),
                                                   _c_order(b, gb, axes, pred.shape)))

    # Bounding boxes are found walking memory order, whatever the search's axes.
    p_memory, g_memory = _memory_axes(pred), _memory_axes(gt)
    p_scan = _oriented(_kernel_view(pred), p_memory)
    g_scan = _oriented(_kernel_view(gt), g_memory)
    large = pred.size >= _PARALLEL_MIN_VOXELS
    if checked_labels is None:
        (p_found, p_bits, *p_box), (g_found, g_bits, *g_box) = _in_two_threads(
            module, large, lambda: module.mask_bbox(p_scan), lambda: module.mask_bbox(g_scan))
        if (p_bits | g_bits) & ~1:
            refuse_non_binary({"pred": pred, "gt": gt}, "distance metrics",
                              "Binarise a 0/255 mask with `mask > 0`, or pass labels=[...] to "
                              "score a label map per label")
        return pair(_unpermute_box(p_box, p_memory) if p_found else None,
                    _unpermute_box(g_box, g_memory) if g_found else None, 1)
    p_boxes, g_boxes = _in_two_threads(
        module, large, lambda: _label_boxes(module, p_scan, p_memory, checked_labels),
        lambda: _label_boxes(module, g_scan, g_memory, checked_labels))
    return [pair(p_boxes.get(label), g_boxes.get(label), label) for label in checked_labels]


def _compute_on(kind: str, pred: ArrayInput, gt: ArrayInput, spacing: Spacing,
                labels: Labels | None, connectivity: str, backend: str, surface: str,
                regions: Regions | None = None, image_border: str = "boundary"
                ) -> SurfaceDistances | list[SurfaceDistances]:
    """:func:`_compute` for host arrays; device arrays are computed on their device.

    With ``regions``, one binary computation per region's union masks, in region order.
    """
    if regions is not None:
        return _compute_regions(kind, pred, gt, spacing, labels, connectivity, backend, surface,
                                regions, image_border)
    if kind == DEVICE:
        from segmetrics._gpu import distance as device
        return cast("SurfaceDistances | list[SurfaceDistances]",
                    device.compute(pred, gt, spacing, labels, connectivity, backend, surface,
                                   image_border))
    return _compute(pred, gt, spacing, labels, connectivity, backend, surface=surface,
                    image_border=image_border)


def _compute_regions(kind: str, pred: ArrayInput, gt: ArrayInput, spacing: Spacing,
                     labels: Labels | None, connectivity: str, backend: str, surface: str,
                     regions: Regions, image_border: str = "boundary"
                     ) -> list[SurfaceDistances]:
    """One SurfaceDistances per region, between the union masks of its labels."""
    _regions.exclusive(labels, regions)
    _, label_sets = _regions.check_regions(regions)
    device = kind == DEVICE
    checked: Callable[[ArrayInput, ArrayInput], tuple[Any, Any]]
    if device:
        from segmetrics._gpu.distance import _checked_masks as checked
    else:
        checked = _checked_masks
    pred, gt = checked(pred, gt)
    results = []
    for region in label_sets:
        p, g = _regions.region_masks(pred, gt, region, device)
        # binary masks (labels=None): one SurfaceDistances each
        results.append(cast(SurfaceDistances, _compute_on(
            kind, p, g, spacing, None, connectivity, backend, surface,
            image_border=image_border)))
    return results


def _check_direction(direction: str) -> str:
    return check_choice(direction, "direction", DIRECTIONS)


def _tolerances(tolerance: Tolerance, labels: Labels | None,
                regions: Regions | None) -> float | list[float]:
    """A checked scalar tolerance, or one per label / region (a sequence or a mapping)."""
    keys: tuple[int, ...] | tuple[str, ...] | None
    if labels is not None:
        keys, what = check_labels(labels), "label"
    elif regions is not None:
        keys, what = _regions.check_regions(regions)[0], "region"
    else:
        keys, what = None, None
    per_item = isinstance(tolerance, Mapping) or (
        not isinstance(tolerance, (str, bytes)) and np.ndim(tolerance) == 1)
    if not per_item:
        return check_real(tolerance, "tolerance", minimum=0.0)
    if keys is None:
        raise TypeError(f"tolerance must be a real number for binary masks (one tolerance per "
                        f"label needs labels= or regions=); got {tolerance!r}")
    if isinstance(tolerance, Mapping):
        missing = [k for k in keys if k not in tolerance]
        extra = [k for k in tolerance if k not in keys]
        if missing or extra:
            raise ValueError(f"tolerance must hold one entry per scored {what} {list(keys)}; "
                             f"missing {missing}, not scored {extra}")
        return [check_real(tolerance[k], f"tolerance[{k!r}]", minimum=0.0) for k in keys]
    tolerance = cast(Sequence[float], tolerance)  # np.ndim(tolerance) == 1
    if len(tolerance) != len(keys):
        raise ValueError(f"tolerance must hold one value per {what} ({len(keys)}: {list(keys)}); "
                         f"got {len(tolerance)} values")
    return [check_real(t, "each tolerance", minimum=0.0) for t in tolerance]


def _surfel_pair(module: ModuleType, pred: _Array, gt: _Array, p_box: _Box | None,
                 g_box: _Box | None, value: int, spacing: tuple[float, ...], spacing3: FloatArray,
                 axes: tuple[int, ...], method: str) -> SurfaceDistances:
    """Both directed sets between surface elements, with their areas (``surface="surfel"``).

    The surface points of each mask form a boundary set on the grid of voxel
    corners (corner ``c`` between voxels ``c - 1`` and ``c``), measured with the
    same spacing and the same exact search as boundary voxels.
    """
    table = _surfel.area_table(spacing)
    (pb, p_order, p_weights), (gb, g_order, g_weights) = (
        _surfel_boundary(volume, value, box, axes, table)
        for volume, box in ((pred, p_box), (gt, g_box)))
    p_to_g, g_to_p = _both_directions(module, pb, gb, spacing3, pred.ndim, method)
    return SurfaceDistances(_in_c_order(p_to_g, p_order), _in_c_order(g_to_p, g_order), spacing,
                            p_weights, g_weights)


def _surfel_boundary(volume: _Array, value: int, box: _Box | None, axes: tuple[int, ...],
                     table: FloatArray) -> tuple[_Boundary, _Array | None, FloatArray]:
    """``(boundary, order, weights)`` of the surface points of ``volume == value`` in ``box``."""
    if box is None:
        return _no_boundary(), None, np.empty(0, dtype=np.float64)
    positions, codes = _surfel.surface_points(volume, value, box)
    shape = [hi - lo + 1 for lo, hi in box]  # corners of the box
    row_ptr, cols, order = _surfel.rows(positions, shape, axes)
    lead = 3 - volume.ndim
    boundary = _Boundary((0,) * lead + tuple(box[a][0] for a in axes),
                         (1,) * lead + tuple(shape[a] for a in axes), row_ptr, cols)
    return boundary, order, table[codes]


def _in_c_order(values: FloatArray, order: _Array | None) -> FloatArray:
    """Values found in row order, back in C order of the points (``order`` from rows)."""
    if order is None:
        return values
    out = np.empty_like(values)
    out[order] = values
    return out


def _memory_axes(array: _Array) -> tuple[int, ...]:
    """Axes in decreasing stride order: the walk that follows memory."""
    return tuple(sorted(range(array.ndim), key=lambda a: -abs(array.strides[a])))


def _unpermute_box(box3: Sequence[int], axes: tuple[int, ...]) -> list[tuple[int, int]]:
    """A box of a 3-D view with ``axes`` last, as ``[(lo, hi)]`` per original axis."""
    ndim = len(axes)
    pairs = [(box3[2 * p], box3[2 * p + 1]) for p in range(3 - ndim, 3)]
    box: list[tuple[int, int]] = [(0, 0)] * ndim
    for position, axis in enumerate(axes):
        box[axis] = pairs[position]
    return box


def _permute_box(box: _Box | None, axes: tuple[int, ...]) -> list[int] | None:
    """``[(lo, hi)]`` per original axis as a flat 3-D box of the view with ``axes``; None stays."""
    if box is None:
        return None
    flat = [0, 1] * (3 - len(axes))
    for axis in axes:
        flat += box[axis]
    return flat


def _box_size(box: _Box | None) -> int:
    return 0 if box is None else math.prod(hi - lo for lo, hi in box)


def _in_two_threads(module: ModuleType, large: bool, first: Callable[[], Any],
                    second: Callable[[], Any]) -> tuple[Any, ...]:
    """``(first(), second())``, in two threads when the kernels release the GIL and it pays."""
    return tuple(_map(module, lambda function: function(), [first, second], large))


def _both_directions(module: ModuleType, pb: _Boundary, gb: _Boundary, spacing3: FloatArray,
                     ndim: int, method: str) -> list[FloatArray]:
    """Both directed sets, their searches sharing the threads."""
    return _directed_sets(module, [(pb, gb), (gb, pb)], spacing3, ndim, method)


def _label_boxes(module: ModuleType, volume: _Array, axes: tuple[int, ...],
                 labels: Iterable[int]) -> dict[int, list[tuple[int, int]]]:
    """``{label: box}`` for the labels present in ``volume``, from one pass."""
    dtype = volume.dtype
    present = sorted({label for label in labels if fits_dtype(label, dtype)})
    if not present:
        return {}
    wanted = np.array(present, dtype=dtype)
    boxes = np.empty((wanted.size, 6), dtype=np.int64)
    boxes[:] = (volume.shape[0], -1, volume.shape[1], -1, volume.shape[2], -1)
    module.label_bboxes(volume, wanted, boxes)
    found: dict[int, list[tuple[int, int]]] = {}
    for label, (lo0, hi0, lo1, hi1, lo2, hi2) in zip(present, boxes.tolist()):
        if hi0 >= lo0:
            found[label] = _unpermute_box((lo0, hi0 + 1, lo1, hi1 + 1, lo2, hi2 + 1), axes)
    return found


_SHARED = """
    pred, gt : array_like
        1-D, 2-D or 3-D arrays of the same shape. With ``labels=None``: bool or
        0/1 integer masks (a 0/255 mask or a label map is refused). With
        ``labels``: integer label maps.
    spacing : float or sequence of float, optional
        Physical size of a voxel along each array axis (default 1.0 each);
        distances come out in the same unit."""

_SHARED_TAIL = """
    labels : sequence of int, optional
        Score each label of two label maps; one pass per map finds every
        label's bounding box. The result is then an array in ``labels`` order.
    regions : mapping of str to sequence of int, optional
        Score unions of labels instead (e.g. ``{"WT": [1, 2, 3], "TC": [1, 3],
        "ET": [3]}``): each region's union masks (``np.isin``) are scored as
        binary masks; the result is in ``regions`` order. Not with ``labels``.
    connectivity : {"face", "full"}
        Boundary voxels are foreground voxels with a background neighbour among
        the 2 ndim face neighbours (``"face"``) or all 3^ndim - 1 neighbours
        (``"full"``, a thicker boundary).
    image_border : {"boundary", "ignored"}
        ``"boundary"`` (default): outside the image is background, so an object
        touching the image border has boundary voxels there (MONAI, DeepMind
        surface-distance, medpy). ``"ignored"``: only neighbours inside the image
        decide, as SimpleITK's ``LabelContour`` and seg-metrics do; with
        ``connectivity="full"`` and ``hd_mode="pooled"`` this reproduces
        seg-metrics' HD95. Voxel surfaces only.
    backend : {"auto", "cython", "numba", "numpy", "triton", "torch"}
        Kernel implementation; all give the same distances to float64 rounding.
        Device arrays (CUDA tensors, CuPy, JAX on a GPU) are computed on their
        device by ``"triton"`` or ``"torch"`` (``"auto"`` picks by where the
        arrays are); see the docs' page on distances on the GPU.
    surface : {"voxel", "surfel"}
        ``"voxel"`` (default): distances between boundary voxels, each counting
        once. ``"surfel"``: between the surface elements of DeepMind's
        surface-distance package, points on the grid of voxel corners each
        weighted by its contour length (2-D) or surface area (3-D); percentiles,
        ASSD and NSD are then area-weighted and equal DeepMind's to float
        rounding (see the conventions page). 2-D and 3-D only, with
        ``connectivity="face"``."""


def _documented(function: _F) -> _F:
    """``function`` with ``{shared}`` and ``{shared_tail}`` in its docstring filled in."""
    function.__doc__ = (function.__doc__ or "").replace("{shared}", _SHARED).replace(
        "{shared_tail}", _SHARED_TAIL)
    return function


@overload
def surface_distances(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
                      labels: None = None, regions: None = None, connectivity: str = "face",
                      backend: str = "auto", surface: str = "voxel",
                      image_border: str = "boundary") -> SurfaceDistances: ...


@overload
def surface_distances(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
                      labels: Labels, regions: None = None, connectivity: str = "face",
                      backend: str = "auto",
                      surface: str = "voxel",
                      image_border: str = "boundary") -> list[SurfaceDistances]: ...


@overload
def surface_distances(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
                      labels: None = None, regions: Regions, connectivity: str = "face",
                      backend: str = "auto",
                      surface: str = "voxel",
                      image_border: str = "boundary") -> list[SurfaceDistances]: ...


@overload
def surface_distances(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
                      labels: Labels | None = None, regions: Regions | None = None,
                      connectivity: str = "face", backend: str = "auto",
                      surface: str = "voxel", image_border: str = "boundary"
                      ) -> SurfaceDistances | list[SurfaceDistances]: ...


@_documented
def surface_distances(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
                      labels: Labels | None = None, regions: Regions | None = None,
                      connectivity: str = "face", backend: str = "auto",
                      surface: str = "voxel",
                      image_border: str = "boundary") -> SurfaceDistances | list[SurfaceDistances]:
    r"""Directed surface distances of two masks, computed once for every distance metric.

    For each boundary voxel of ``pred`` the Euclidean distance (between voxel
    centres, in physical units, float64) to the nearest boundary voxel of
    ``gt``, and the other way round. Every value equals
    ``scipy.ndimage.distance_transform_edt(~boundary_gt, sampling=spacing)``
    at that voxel, to float64 rounding. With ``surface="surfel"`` the same
    between surface elements on the corner grid, with their areas in
    ``pred_weights`` and ``gt_weights``.

    Parameters
    ----------{shared}{shared_tail}

    Returns
    -------
    SurfaceDistances or list of SurfaceDistances
        One object for binary masks, a list in ``labels`` (or ``regions``)
        order otherwise. Its
        ``pred_to_gt`` is empty when ``pred`` is empty and all ``inf`` when
        ``gt`` is empty (and vice versa). For device arrays, a
        ``DeviceSurfaceDistances`` whose ``pred_to_gt`` and ``gt_to_pred`` are
        float64 tensors on the arrays' device, in C order of the boundary voxels.

    See Also
    --------
    hausdorff, hd95, assd, surface_dice

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.zeros((5, 5), dtype=bool); pred[1, 1] = True
    >>> gt = np.zeros((5, 5), dtype=bool); gt[1, 4] = True
    >>> d = surface_distances(pred, gt, spacing=(1.0, 2.0))
    >>> d.pred_to_gt, d.gt_to_pred
    (array([6.]), array([6.]))
    >>> d.hausdorff(), d.assd(), d.surface_dice(5.0)
    (6.0, 6.0, 0.0)

    Between DeepMind's surface elements, the four corners of each pixel, each
    weighted by a contour length of half the pixel diagonal:

    >>> s = surface_distances(pred, gt, spacing=(1.0, 2.0), surface="surfel")
    >>> s.pred_to_gt, s.pred_weights
    (array([6., 4., 6., 4.]), array([1.11803399, 1.11803399, 1.11803399, 1.11803399]))
    >>> s.hausdorff(), s.assd(), s.surface_dice(5.0)
    (6.0, 5.0, 0.5)
    """
    kind = array_kind(pred, gt)
    check_backend_for(backend, kind)
    return _compute_on(kind, pred, gt, spacing, labels, connectivity, backend, surface, regions,
                         image_border)


def _per_label(result: SurfaceDistances | list[SurfaceDistances],
               metric: Callable[[SurfaceDistances], float]) -> float | FloatArray:
    if isinstance(result, list):
        return np.array([metric(r) for r in result], dtype=np.float64)
    return metric(result)


@overload
def hausdorff(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
              percentile: float | None = None, labels: None = None, regions: None = None,
              hd_mode: str = "max", direction: str = "symmetric", connectivity: str = "face",
              backend: str = "auto", surface: str = "voxel",
              image_border: str = "boundary") -> float: ...


@overload
def hausdorff(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
              percentile: float | None = None, labels: Labels, regions: None = None,
              hd_mode: str = "max", direction: str = "symmetric", connectivity: str = "face",
              backend: str = "auto", surface: str = "voxel",
              image_border: str = "boundary") -> FloatArray: ...


@overload
def hausdorff(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
              percentile: float | None = None, labels: None = None, regions: Regions,
              hd_mode: str = "max", direction: str = "symmetric", connectivity: str = "face",
              backend: str = "auto", surface: str = "voxel",
              image_border: str = "boundary") -> FloatArray: ...


@overload
def hausdorff(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
              percentile: float | None = None, labels: Labels | None = None,
              regions: Regions | None = None, hd_mode: str = "max",
              direction: str = "symmetric", connectivity: str = "face", backend: str = "auto",
              surface: str = "voxel", image_border: str = "boundary") -> float | FloatArray: ...


@_documented
def hausdorff(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
              percentile: float | None = None, labels: Labels | None = None,
              regions: Regions | None = None, hd_mode: str = "max", direction: str = "symmetric",
              connectivity: str = "face", backend: str = "auto",
              surface: str = "voxel", image_border: str = "boundary") -> float | FloatArray:
    r"""Hausdorff distance between the boundaries of two masks, or a percentile of it.

    .. math::

        HD = \max\Big(\max_{p \in \partial P} d(p, \partial G),\;
                      \max_{g \in \partial G} d(g, \partial P)\Big)

    With ``percentile=q`` the maxima become q-th percentiles (NumPy's linear
    interpolation): ``hd_mode="max"`` takes the larger of the two directed
    percentiles (MONAI, DeepMind surface-distance, MetricsReloaded),
    ``"pooled"`` the percentile of both directed sets together (medpy). With
    ``surface="surfel"`` the percentiles are DeepMind's area-weighted ones
    (``compute_robust_hausdorff``: the first distance whose cumulative area
    share reaches q / 100, no interpolation).

    Both masks empty gives NaN; exactly one empty gives ``inf``.

    Parameters
    ----------{shared}
    percentile : float, optional
        In [0, 100]; None gives the maximum.
    hd_mode : {"max", "pooled"}
        How the two directed sets combine for a percentile.
    direction : {"symmetric", "pred_to_gt", "gt_to_pred"}
        ``"symmetric"`` (default) as above; ``"pred_to_gt"`` gives the directed
        distance :math:`\max_{p \in \partial P} d(p, \partial G)` (or its
        percentile) only, ``"gt_to_pred"`` the other one; ``hd_mode`` then has
        no effect. The empty rule is the same.{shared_tail}

    Returns
    -------
    float or ndarray of float64

    References
    ----------
    Huttenlocher, Klanderman and Rucklidge, "Comparing images using the
    Hausdorff distance", IEEE TPAMI 15(9), 1993.

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.zeros((4, 6), dtype=bool); pred[1:3, 1:3] = True
    >>> gt = np.zeros((4, 6), dtype=bool); gt[1:3, 2:5] = True
    >>> hausdorff(pred, gt)
    2.0
    >>> hausdorff(pred, gt, spacing=(1.0, 0.5))
    1.0
    """
    kind = array_kind(pred, gt)
    check_backend_for(backend, kind)
    percentile = _check_percentile(percentile)
    check_choice(hd_mode, "hd_mode", HD_MODES)
    _check_direction(direction)
    result = _compute_on(kind, pred, gt, spacing, labels, connectivity, backend, surface, regions,
                         image_border)
    return _per_label(result, lambda r: r.hausdorff(percentile, hd_mode, direction))


@overload
def hd95(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None, labels: None = None,
         regions: None = None, hd_mode: str = "max", direction: str = "symmetric",
         connectivity: str = "face", backend: str = "auto",
         surface: str = "voxel", image_border: str = "boundary") -> float: ...


@overload
def hd95(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None, labels: Labels,
         regions: None = None, hd_mode: str = "max", direction: str = "symmetric",
         connectivity: str = "face", backend: str = "auto",
         surface: str = "voxel", image_border: str = "boundary") -> FloatArray: ...


@overload
def hd95(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None, labels: None = None,
         regions: Regions, hd_mode: str = "max", direction: str = "symmetric",
         connectivity: str = "face", backend: str = "auto",
         surface: str = "voxel", image_border: str = "boundary") -> FloatArray: ...


@overload
def hd95(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
         labels: Labels | None = None, regions: Regions | None = None, hd_mode: str = "max",
         direction: str = "symmetric", connectivity: str = "face", backend: str = "auto",
         surface: str = "voxel", image_border: str = "boundary") -> float | FloatArray: ...


@_documented
def hd95(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
         labels: Labels | None = None, regions: Regions | None = None, hd_mode: str = "max",
         direction: str = "symmetric", connectivity: str = "face", backend: str = "auto",
         surface: str = "voxel", image_border: str = "boundary") -> float | FloatArray:
    r"""95th-percentile Hausdorff distance: :func:`hausdorff` with ``percentile=95``.

    ``hd_mode="max"`` gives :math:`\max(P_{95}(d_{P \to G}), P_{95}(d_{G \to P}))`;
    ``"pooled"`` gives :math:`P_{95}` of both directed sets together;
    ``surface="surfel"`` weights them by area as DeepMind does. Both masks
    empty gives NaN; exactly one empty gives ``inf``.

    Parameters
    ----------{shared}
    hd_mode : {"max", "pooled"}
        How the two directed sets combine.
    direction : {"symmetric", "pred_to_gt", "gt_to_pred"}
        ``"pred_to_gt"`` gives :math:`P_{95}(d_{P \to G})` only, ``"gt_to_pred"``
        :math:`P_{95}(d_{G \to P})`; ``hd_mode`` then has no effect.{shared_tail}

    Returns
    -------
    float or ndarray of float64

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.zeros((1, 12), dtype=bool); pred[0, 0] = True
    >>> gt = np.zeros((1, 12), dtype=bool); gt[0, 10] = True
    >>> hd95(pred, gt, spacing=(1.0, 0.5))
    5.0
    """
    kind = array_kind(pred, gt)
    check_backend_for(backend, kind)
    check_choice(hd_mode, "hd_mode", HD_MODES)
    _check_direction(direction)
    result = _compute_on(kind, pred, gt, spacing, labels, connectivity, backend, surface, regions,
                         image_border)
    return _per_label(result, lambda r: r.hd95(hd_mode, direction))


@overload
def assd(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None, labels: None = None,
         regions: None = None, direction: str = "symmetric", connectivity: str = "face",
         backend: str = "auto", surface: str = "voxel",
         image_border: str = "boundary") -> float: ...


@overload
def assd(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None, labels: Labels,
         regions: None = None, direction: str = "symmetric", connectivity: str = "face",
         backend: str = "auto", surface: str = "voxel",
         image_border: str = "boundary") -> FloatArray: ...


@overload
def assd(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None, labels: None = None,
         regions: Regions, direction: str = "symmetric", connectivity: str = "face",
         backend: str = "auto", surface: str = "voxel",
         image_border: str = "boundary") -> FloatArray: ...


@overload
def assd(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
         labels: Labels | None = None, regions: Regions | None = None,
         direction: str = "symmetric", connectivity: str = "face", backend: str = "auto",
         surface: str = "voxel", image_border: str = "boundary") -> float | FloatArray: ...


@_documented
def assd(pred: ArrayInput, gt: ArrayInput, *, spacing: Spacing = None,
         labels: Labels | None = None, regions: Regions | None = None,
         direction: str = "symmetric", connectivity: str = "face", backend: str = "auto",
         surface: str = "voxel", image_border: str = "boundary") -> float | FloatArray:
    r"""Average symmetric surface distance.

    .. math::

        ASSD = \frac{\sum_{p \in \partial P} d(p, \partial G)
                     + \sum_{g \in \partial G} d(g, \partial P)}{|\partial P| + |\partial G|}

    With ``surface="surfel"`` every term and count is weighted by its surface
    element's area: the area-weighted mean of both directed sets pooled.
    DeepMind's ``compute_average_surface_distance`` returns the two directed
    means instead; ours is their average weighted by the two surface areas.
    Both masks empty gives NaN; exactly one empty gives ``inf``.

    Parameters
    ----------{shared}
    direction : {"symmetric", "pred_to_gt", "gt_to_pred"}
        ``"pred_to_gt"`` gives the directed average surface distance
        :math:`\frac{1}{|\partial P|} \sum_{p \in \partial P} d(p, \partial G)`
        only (area-weighted with surfels), ``"gt_to_pred"`` the other one.
        The empty rule is the same.{shared_tail}

    Returns
    -------
    float or ndarray of float64

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([1, 1, 0, 0, 0], dtype=bool)
    >>> gt = np.array([0, 0, 0, 1, 0], dtype=bool)
    >>> assd(pred, gt)
    2.3333333333333335
    """
    kind = array_kind(pred, gt)
    check_backend_for(backend, kind)
    _check_direction(direction)
    result = _compute_on(kind, pred, gt, spacing, labels, connectivity, backend, surface, regions,
                         image_border)
    return _per_label(result, lambda r: r.assd(direction))


@overload
def surface_dice(pred: ArrayInput, gt: ArrayInput, *, tolerance: float,
                 spacing: Spacing = None, labels: None = None, regions: None = None,
                 connectivity: str = "face", backend: str = "auto",
                 surface: str = "voxel", image_border: str = "boundary") -> float: ...


@overload
def surface_dice(pred: ArrayInput, gt: ArrayInput, *, tolerance: Tolerance,
                 spacing: Spacing = None, labels: Labels, regions: None = None,
                 connectivity: str = "face", backend: str = "auto",
                 surface: str = "voxel", image_border: str = "boundary") -> FloatArray: ...


@overload
def surface_dice(pred: ArrayInput, gt: ArrayInput, *, tolerance: Tolerance,
                 spacing: Spacing = None, labels: None = None, regions: Regions,
                 connectivity: str = "face", backend: str = "auto",
                 surface: str = "voxel", image_border: str = "boundary") -> FloatArray: ...


@overload
def surface_dice(pred: ArrayInput, gt: ArrayInput, *, tolerance: Tolerance,
                 spacing: Spacing = None, labels: Labels | None = None,
                 regions: Regions | None = None, connectivity: str = "face",
                 backend: str = "auto", surface: str = "voxel",
                 image_border: str = "boundary") -> float | FloatArray: ...


@_documented
def surface_dice(pred: ArrayInput, gt: ArrayInput, *, tolerance: Tolerance,
                 spacing: Spacing = None, labels: Labels | None = None,
                 regions: Regions | None = None, connectivity: str = "face",
                 backend: str = "auto", surface: str = "voxel",
                 image_border: str = "boundary") -> float | FloatArray:
    r"""Normalised surface Dice (NSD) at tolerance :math:`\tau`.

    .. math::

        NSD_\tau = \frac{|\{p \in \partial P : d(p, \partial G) \le \tau\}|
                         + |\{g \in \partial G : d(g, \partial P) \le \tau\}|}
                        {|\partial P| + |\partial G|}

    counted over boundary voxels; with ``surface="surfel"``, DeepMind's
    area-weighted form (``compute_surface_dice_at_tolerance``), the counts
    replaced by the areas of the surface elements. Both masks empty gives NaN;
    exactly one empty gives 0.

    Parameters
    ----------{shared}
    tolerance : float, sequence of float or mapping
        :math:`\tau`, in the unit of ``spacing``; required, >= 0. One value for
        every label, or one per label (region): a sequence aligned with
        ``labels`` (``regions``), or a mapping ``{label: tolerance}``
        (``{region name: tolerance}``) with exactly the scored keys.{shared_tail}

    Returns
    -------
    float or ndarray of float64

    References
    ----------
    Nikolov et al., "Clinically applicable segmentation of head and neck
    anatomy for radiotherapy", JMIR 23(7), 2021.

    Examples
    --------
    >>> import numpy as np
    >>> pred = np.array([1, 1, 0, 0, 0], dtype=bool)
    >>> gt = np.array([0, 0, 0, 1, 0], dtype=bool)
    >>> surface_dice(pred, gt, tolerance=2.0)
    0.6666666666666666
    """
    kind = array_kind(pred, gt)
    check_backend_for(backend, kind)
    checked = _tolerances(tolerance, labels, regions)
    result = _compute_on(kind, pred, gt, spacing, labels, connectivity, backend, surface, regions,
                         image_border)
    if isinstance(checked, list):
        # one tolerance per label or region: the result is a list
        return np.array([r.surface_dice(t) for r, t in zip(cast(list[SurfaceDistances], result),
                                                           checked)], dtype=np.float64)
    scalar = checked
    return _per_label(result, lambda r: r.surface_dice(scalar))


def euclidean_distance_transform(mask: ArrayInput, *, spacing: Spacing = None,
                                 backend: str = "auto") -> FloatArray:
    r"""Exact Euclidean distance from every voxel to the nearest non-zero voxel of ``mask``.

    .. math::

        D(x) = \min_{y : mask(y) \ne 0} \lVert (x - y) \odot spacing \rVert_2

    Equal to ``scipy.ndimage.distance_transform_edt(mask == 0, sampling=spacing)``
    to float64 rounding (0 on the mask), computed with the separable
    Felzenszwalb-Huttenlocher algorithm in float64. An all-zero mask gives
    ``inf`` everywhere (SciPy's result is undefined there).

    Parameters
    ----------
    mask : array_like
        Any number of dimensions (at least one element); bool, integer or
        floating values, non-zero marking the sites. NaN is refused.
    spacing : float or sequence of float, optional
        Physical size of a voxel along each axis (default 1.0 each).
    backend : {"auto", "cython", "numba", "numpy"}
        Kernel implementation (``"numpy"`` calls SciPy).

    Returns
    -------
    ndarray of float64
        The shape of ``mask``, F-ordered when ``mask`` is.

    References
    ----------
    Felzenszwalb and Huttenlocher, "Distance transforms of sampled functions",
    Theory of Computing 8, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> euclidean_distance_transform(np.array([0, 1, 0, 0]), spacing=2.0)
    array([2., 0., 2., 4.])
    """
    check_backend(backend)
    if is_device(mask):
        raise ValueError("mask is on a GPU device, but euclidean_distance_transform runs on the "
                         "host only; move it there first (e.g. `mask.cpu()`)")
    mask = as_array(mask, "mask")
    check_not_empty(mask, "mask")
    if mask.dtype.kind == "f" and np.isnan(mask).any():
        raise ValueError("mask holds NaN values; mark the sites with non-zero finite values")
    shape = mask.shape
    mask = mask.reshape(1) if mask.ndim == 0 else mask
    spacing = check_spacing(spacing, mask.ndim)
    module = kernels(backend)
    transpose = mask.ndim > 1 and mask.flags.f_contiguous and not mask.flags.c_contiguous
    if transpose:
        mask, spacing = mask.T, spacing[::-1]
    sites = np.ascontiguousarray(mask != 0).view(np.uint8)
    field = module.edt(sites.reshape(-1), sites.shape, np.array(spacing, dtype=np.float64))
    field = field.reshape(sites.shape)
    return cast(FloatArray, (field.T if transpose else field).reshape(shape))
