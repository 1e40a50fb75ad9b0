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
    """One-vs-rest :class:`Counts` (int64 arrays in ``labels`` order) from one pass."""
    pred, gt = checked_pair(pred, gt, threshold=None)
    num_classes = None
    if _layout.kernel_label_dtype(pred.dtype, gt.dtype).itemsize > 1:
        num_classes = int(max(pred.max(), gt.max(), 0)) + 1
        if num_classes > MAX_DENSE_CLASSES:
            return _sparse_label_counts(pred, gt, labels, ignore_index, backend)
    confusion = confusion_matrix(pred, gt, num_classes, ignore_index, backend)
    return _formulas.per_label_counts(padded(confusion, max(labels) + 1), labels)


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
    """Sum the kernel's K x K tables over flat pairs; also the count of out-of-range voxels."""
    def count(p, g):
        table = np.zeros((k, k), dtype=np.int64)
        return table, module.confusion_matrix(p, g, table, has_ignore, ignore)

    results = _layout.map_pairs(count, pairs, backend_name(module) != "numpy")
    return sum(table for table, _ in results), sum(bad for _, bad in results)


def _coded_pairs(pairs, labels, has_ignore, ignore):
    """Replace each voxel by its label's code: 1 + index in ``labels``, 0 for the rest.

    The ignored ground-truth value gets code ``len(labels) + 1``.
    """
    code_dtype = np.dtype(np.uint16) if len(labels) < 65535 else np.dtype(np.int64)
    for p, g in pairs:
        coded = []
        for values in (p, g):
            index = np.searchsorted(labels, values)
            found = labels[np.minimum(index, len(labels) - 1)] == values
            coded.append(np.where(found, index + 1, 0).astype(code_dtype))
        if has_ignore:
            coded[1][g == ignore] = len(labels) + 1
        yield coded[0], coded[1]


def _sparse_label_counts(pred, gt, labels, ignore_index, backend):
    """One-vs-rest counts of a few labels of a map whose labels are too large for a dense table."""
    has_ignore, ignore = ignore_args(ignore_index, gt.dtype)
    gt_min = gt.min(where=gt != ignore, initial=0) if has_ignore else gt.min()
    if pred.min() < 0 or gt_min < 0:
        raise ValueError(f"labels must be non-negative: {values_found(pred, 'pred')}; "
                         f"{values_found(gt, 'gt')}")
    module = kernels(backend)
    dtype = _layout.kernel_label_dtype(pred.dtype, gt.dtype)
    keys = np.unique(np.array([label for label in labels if fits_dtype(label, dtype)], dtype=dtype))
    ignore_code = len(keys) + 1
    pairs = _coded_pairs(_layout.flat_pairs(pred, gt, dtype, dtype), keys, has_ignore, ignore)
    table, _ = _count_pairs(module, pairs, ignore_code + 1, has_ignore, ignore_code)
    # A label the dtype cannot hold is absent: give it the ignore code's empty row and column.
    codes = [np.searchsorted(keys, label) + 1 if fits_dtype(label, dtype) else ignore_code
             for label in labels]
    return _formulas.per_label_counts(table, codes)


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
