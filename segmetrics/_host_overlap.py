"""Confusion counts of host arrays (NumPy arrays, lists, CPU tensors) on a host backend.

The host path of :mod:`segmetrics.overlap`: each function validates the pair,
flattens it into kernel inputs (views where the layouts allow, bounded slab
copies otherwise) and counts with the Cython, Numba or NumPy kernels. The same
three functions exist for chunked arrays (:mod:`segmetrics._chunked`) and device
arrays (:mod:`segmetrics._gpu.overlap`).
"""
import numpy as np

from segmetrics import _layout
from segmetrics import from_counts as _formulas
from segmetrics._backends import backend_name, kernels
from segmetrics._validate import (
    as_array,
    check_label_dtype,
    check_not_empty,
    check_optional_int,
    check_probability_dtype,
    check_same_shape,
    fits_dtype,
    refuse_non_binary,
    values_found,
)
from segmetrics.from_counts import Counts

MAX_DENSE_CLASSES = 8192
NON_BINARY_FIXES = ("Binarise a 0/255 mask with `mask > 0`, pass threshold= for a "
                    "probability map, or pass labels=[...] to score a label map per label")
NAN_MESSAGE = "pred holds NaN values; a probability map with NaN cannot be thresholded"


def checked_pair(pred, gt, *, threshold):
    pred = as_array(pred, "pred")
    gt = as_array(gt, "gt")
    check_same_shape(pred, gt)
    check_not_empty(gt, "gt")
    if threshold is None:
        check_label_dtype(pred, "pred")
    else:
        check_probability_dtype(pred, "pred")
    check_label_dtype(gt, "gt")
    return pred, gt


def ignore_args(ignore_index, gt_dtype):
    """Kernel arguments ``(has_ignore, ignore)``; a label the dtype cannot hold never matches."""
    ignore_index = check_optional_int(ignore_index, "ignore_index")
    if ignore_index is None or not fits_dtype(ignore_index, gt_dtype):
        return False, 0
    return True, ignore_index


def binary_counts(pred, gt, threshold, ignore_index, backend):
    """:class:`Counts` of two binary masks, or of a probability map thresholded at ``threshold``."""
    pred, gt = checked_pair(pred, gt, threshold=threshold)
    has_ignore, ignore = ignore_args(ignore_index, gt.dtype)
    module = kernels(backend)
    parallel = backend_name(module) != "numpy"
    gt_dtype = _layout.kernel_label_dtype(gt.dtype)
    if threshold is None:
        pred_dtype = gt_dtype = _layout.kernel_label_dtype(pred.dtype, gt.dtype)

        def count(p, g):
            return module.binary_counts(p, g, has_ignore, ignore)
    else:
        pred_dtype = _layout.kernel_probability_dtype(pred.dtype)
        # Round the threshold to pred's own precision, as NumPy's comparison does.
        threshold = float(pred.dtype.type(threshold))

        def count(p, g):
            return module.threshold_counts(p, g, threshold, has_ignore, ignore)

    pairs = _layout.flat_pairs(pred, gt, pred_dtype, gt_dtype)
    results = _layout.map_pairs(count, pairs, parallel)
    n_pred, n_gt, n_both, n_valid = (sum(r[i] for r in results) for i in range(4))
    value_bits = 0
    for result in results:
        value_bits |= result[4]
    if threshold is not None and sum(r[5] for r in results):
        raise ValueError(NAN_MESSAGE)
    if value_bits & ~1:
        arrays = {"gt": gt} if threshold is not None else {"pred": pred, "gt": gt}
        refuse_non_binary(arrays, "binary metrics", NON_BINARY_FIXES)
    return Counts(tp=n_both, fp=n_pred - n_both, fn=n_gt - n_both,
                  tn=n_valid - n_pred - n_gt + n_both)


def confusion_matrix(pred, gt, num_classes, ignore_index, backend):
    """The K x K int64 table (rows ground truth); ``num_classes=None`` trims to present labels."""
    pred, gt = checked_pair(pred, gt, threshold=None)
    has_ignore, ignore = ignore_args(ignore_index, gt.dtype)
    module = kernels(backend)
    dtype = _layout.kernel_label_dtype(pred.dtype, gt.dtype)
    k = num_classes if num_classes is not None else _label_bound(pred, gt, dtype, has_ignore, ignore)
    check_dense(k)
    pairs = _layout.flat_pairs(pred, gt, dtype, dtype)
    confusion, n_bad = _count_pairs(module, pairs, k, has_ignore, ignore)
    if n_bad:
        refuse_out_of_range(n_bad, num_classes, values_found(pred, "pred"),
                            values_found(gt, "gt"))
    if num_classes is None:
        confusion = trim_to_present_labels(confusion)
    return confusion


def label_counts(pred, gt, labels, ignore_index, backend):
    """One-vs-rest :class:`Counts` (int64 arrays in ``labels`` order) from one pass.

    The table is sized by the labels the maps hold, never by the labels asked
    for: a label beyond it is absent (:func:`counts_of_labels`). Maps holding
    labels too large for a dense table are counted through a compact
    relabelling of the labels asked for (:func:`_sparse_label_counts`).
    """
    pred, gt = checked_pair(pred, gt, threshold=None)
    num_classes = None
    if _layout.kernel_label_dtype(pred.dtype, gt.dtype).itemsize > 1:
        num_classes = int(max(pred.max(), gt.max(), 0)) + 1
        if num_classes > MAX_DENSE_CLASSES:
            return _sparse_label_counts(pred, gt, labels, ignore_index, backend)
    confusion = confusion_matrix(pred, gt, num_classes, ignore_index, backend)
    return counts_of_labels(confusion, labels)


def label_table(pred, gt, labels, ignore_index, backend):
    """The ``len(labels)`` square confusion table of ``labels`` (rows ground truth), in order.

    Voxels holding other labels are left out, as scikit-learn's ``labels``
    does. Sized by the labels asked for, whatever values the maps hold; a list
    of more than ``MAX_DENSE_CLASSES`` labels is refused.
    """
    check_dense(len(labels))
    pred, gt = checked_pair(pred, gt, threshold=None)
    num_classes = None
    if _layout.kernel_label_dtype(pred.dtype, gt.dtype).itemsize > 1:
        num_classes = int(max(pred.max(), gt.max(), 0)) + 1
    if num_classes is None or num_classes <= MAX_DENSE_CLASSES:
        return table_of_labels(confusion_matrix(pred, gt, num_classes, ignore_index, backend),
                               labels)
    keys, codes, pairs, has_ignore = _coded(pred, gt, labels, ignore_index)
    table, _ = _count_pairs(kernels(backend), pairs, len(keys) + 2, has_ignore, len(keys) + 1)
    return table[np.ix_(codes, codes)]


def multiclass_table(pred, gt, ignore_index, backend):
    """A confusion table holding every label present (for ``kappa(multiclass=True)``).

    The dense table when the labels fit one; otherwise the table of the labels
    present only (:func:`present_labels`, :func:`label_table`): its all-zero rows
    and columns left out, which changes no multi-class kappa.
    """
    pred, gt = checked_pair(pred, gt, threshold=None)
    if _layout.kernel_label_dtype(pred.dtype, gt.dtype).itemsize == 1 or (
            int(max(pred.max(), gt.max(), 0)) < MAX_DENSE_CLASSES):
        return confusion_matrix(pred, gt, None, ignore_index, backend)
    return label_table(pred, gt, present_labels(pred, gt, ignore_index), ignore_index, backend)


def present_labels(pred, gt, ignore_index):
    """The sorted labels held by the counted voxels of either map, as a tuple of ints."""
    pred, gt = np.asarray(pred), np.asarray(gt)
    has_ignore, ignore = ignore_args(ignore_index, gt.dtype)
    if has_ignore:
        counted = gt != ignore
        pred, gt = pred[counted], gt[counted]
    found = np.union1d(np.unique(pred), np.unique(gt))
    if found.size and found[0] < 0:
        raise ValueError(f"labels must be non-negative: {values_found(pred, 'pred')}; "
                         f"{values_found(gt, 'gt')}")
    return tuple(int(v) for v in found)


def table_of_labels(confusion, labels):
    """The rows and columns of ``labels`` of a table, zero for a label beyond it."""
    k = confusion.shape[0]
    places = [i for i, label in enumerate(labels) if label < k]
    inside = [labels[i] for i in places]
    table = np.zeros((len(labels), len(labels)), dtype=np.int64)
    table[np.ix_(places, places)] = confusion[np.ix_(inside, inside)]
    return table


def counts_of_labels(confusion, labels):
    """One-vs-rest :class:`Counts` of ``labels`` from a table; a label beyond it is absent.

    Needs no table larger than ``confusion``: a label ``>= K`` gets
    ``tp = fp = fn = 0`` and ``tn`` the total, so the metrics give their
    0/0 value (``zero_division``, NaN by default) without a table sized by
    the largest label asked for.
    """
    k = confusion.shape[0]
    if k == 0:  # every voxel ignored: nothing was counted
        zero = np.zeros(len(labels), dtype=np.int64)
        return Counts(zero, zero, zero, zero)
    inside = np.array([label < k for label in labels], dtype=bool)
    counts = _formulas.per_label_counts(confusion, [label if label < k else 0 for label in labels])
    zero = np.zeros(len(labels), dtype=np.int64)
    return Counts(np.where(inside, counts.tp, zero), np.where(inside, counts.fp, zero),
                  np.where(inside, counts.fn, zero),
                  np.where(inside, counts.tn, np.int64(confusion.sum())))


def check_dense(k):
    """Refuse a K x K table too large to hold."""
    if k > MAX_DENSE_CLASSES:
        raise ValueError(
            f"a {k} x {k} confusion matrix is too large to hold (labels up to {k - 1}); "
            "pass labels=[...] to the metric functions, which count only the labels asked for"
        )


def refuse_out_of_range(n_bad, num_classes, pred_values, gt_values):
    expected = f"[0, {num_classes})" if num_classes is not None else "non-negative"
    raise ValueError(f"{n_bad} voxels hold labels that are not {expected}: "
                     f"{pred_values}; {gt_values}")


def _count_pairs(module, pairs, k, has_ignore, ignore):
    """Sum the kernel's K x K tables over flat pairs; also the count of out-of-range voxels.

    The kernel adds into one table per thread (:func:`segmetrics._layout.reduce_pairs`),
    so the extra memory is bounded by the thread count, not the number of slabs.
    """
    def count(p, g, table):
        return module.confusion_matrix(p, g, table, has_ignore, ignore)

    tables, bad = _layout.reduce_pairs(count, pairs, backend_name(module) != "numpy",
                                       lambda: np.zeros((k, k), dtype=np.int64))
    total = tables[0] if tables else np.zeros((k, k), dtype=np.int64)
    for table in tables[1:]:
        total += table
    return total, sum(bad)


#: Elements coded at once by the compact relabelling: bounds its temporary arrays.
CODE_CHUNK = 1 << 20


def _coded_pairs(pairs, labels, has_ignore, ignore):
    """Replace each voxel by its label's code: 1 + index in ``labels``, 0 for the rest.

    The ignored ground-truth value gets code ``len(labels) + 1``. Long pairs
    are coded ``CODE_CHUNK`` elements at a time.
    """
    code_dtype = np.dtype(np.uint16) if len(labels) < 65534 else np.dtype(np.int64)
    for p_all, g_all in pairs:
        for start in range(0, p_all.shape[0], CODE_CHUNK):
            p, g = p_all[start:start + CODE_CHUNK], g_all[start:start + CODE_CHUNK]
            coded = []
            for values in (p, g):
                index = np.searchsorted(labels, values)
                found = labels[np.minimum(index, len(labels) - 1)] == values
                coded.append(np.where(found, index + 1, 0).astype(code_dtype))
            if has_ignore:
                coded[1][g == ignore] = len(labels) + 1
            yield coded[0], coded[1]


def _coded(pred, gt, labels, ignore_index):
    """The compact relabelling of a pair: sorted keys, the code of each label (the
    ignore code, an empty row and column, for a label the dtype cannot hold), the coded
    flat pairs and whether an ignore value is counted out."""
    has_ignore, ignore = ignore_args(ignore_index, gt.dtype)
    if has_ignore:  # ignored voxels are not counted, so any prediction there is accepted
        counted = gt != ignore
        pred_min = pred.min(where=counted, initial=0)
        gt_min = gt.min(where=counted, initial=0)
    else:
        pred_min, gt_min = pred.min(), gt.min()
    if pred_min < 0 or gt_min < 0:
        raise ValueError(f"labels must be non-negative: {values_found(pred, 'pred')}; "
                         f"{values_found(gt, 'gt')}")
    dtype = _layout.kernel_label_dtype(pred.dtype, gt.dtype)
    info = np.iinfo(dtype)
    fits = np.array([info.min <= label <= info.max for label in labels], dtype=bool)
    held = np.array([label for label, f in zip(labels, fits) if f], dtype=dtype)
    keys = np.unique(held)
    ignore_code = len(keys) + 1
    codes = np.full(len(labels), ignore_code, dtype=np.intp)
    codes[fits] = np.searchsorted(keys, held) + 1
    pairs = _coded_pairs(_layout.flat_pairs(pred, gt, dtype, dtype), keys, has_ignore, ignore)
    return keys, codes, pairs, has_ignore


def _sparse_label_counts(pred, gt, labels, ignore_index, backend):
    """One-vs-rest counts of labels of a map whose labels are too large for a dense table.

    Each voxel is coded by its label's place among the labels asked for
    (:func:`_coded_pairs`); three histograms of the codes (both, prediction,
    ground truth) give every label's counts, so memory grows with the number
    of labels, not its square.
    """
    keys, codes, pairs, has_ignore = _coded(pred, gt, labels, ignore_index)
    ignore_code = len(keys) + 1
    size = ignore_code + 1
    both, in_pred, in_gt = (np.zeros(size, dtype=np.int64) for _ in range(3))
    n_valid = 0
    for p, g in pairs:
        if has_ignore:
            counted = g != ignore_code
            p, g = p[counted], g[counted]
        both += np.bincount(g[p == g], minlength=size)
        in_pred += np.bincount(p, minlength=size)
        in_gt += np.bincount(g, minlength=size)
        n_valid += p.shape[0]
    in_pred[ignore_code] = in_gt[ignore_code] = both[ignore_code] = 0
    tp = both[codes]
    fp = in_pred[codes] - tp
    fn = in_gt[codes] - tp
    return Counts(tp, fp, fn, n_valid - tp - fp - fn)


def _label_bound(pred, gt, dtype, has_ignore, ignore):
    """An upper bound on the counted labels, so the kernel's table holds them all."""
    if dtype.itemsize == 1:
        return 256 if dtype.kind == "u" else 128
    gt_max = gt.max(where=gt != ignore, initial=0) if has_ignore else gt.max()
    return int(max(pred.max(), gt_max, 0)) + 1


def trim_to_present_labels(confusion):
    present = np.flatnonzero(confusion.sum(axis=0) + confusion.sum(axis=1))
    k = int(present[-1]) + 1 if present.size else 0
    return np.ascontiguousarray(confusion[:k, :k])


def padded(confusion, k):
    """``confusion`` grown with zero rows and columns to at least k x k."""
    k = max(confusion.shape[0], k)
    grown = np.zeros((k, k), dtype=np.int64)
    grown[:confusion.shape[0], :confusion.shape[0]] = confusion
    return grown
