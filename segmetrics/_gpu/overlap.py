"""Confusion counts of device arrays, computed on their device: the device path of
:mod:`segmetrics.overlap`, with the host path's functions, rules and messages.

The inputs are viewed as PyTorch tensors (DLPack for CuPy and JAX, no copy),
checked (shapes and dtypes from metadata, values from the kernels' counts) and
counted by the Triton kernels or the PyTorch reference. What crosses to the
host: the few counts (a handful of integers), the K x K table, and, only when
an input is refused, at most nine distinct values of each array for the message.
"""
from segmetrics import from_counts as _formulas
from segmetrics import _layout
from segmetrics._backends import device_kernels
from segmetrics._gpu._checks import (
    checked_pair,
    few_values,
    found,
    ignore_value,
    numpy_dtype,
    threshold_value,
)
from segmetrics._host_overlap import (
    MAX_DENSE_CLASSES,
    NAN_MESSAGE,
    NON_BINARY_FIXES,
    check_dense,
    counts_of_labels,
    refuse_out_of_range,
    trim_to_present_labels,
)
from segmetrics._validate import fits_dtype, refuse_non_binary
from segmetrics.from_counts import Counts

# Labels a first confusion pass assumes when K is not given; a label outside
# [0, GUESS_CLASSES) costs a second pass with the true K (after a min/max pass).
GUESS_CLASSES = 32


def binary_counts(pred, gt, threshold, ignore_index, backend):
    """:class:`Counts` of two binary masks, or of a probability map thresholded at ``threshold``."""
    pred, gt = checked_pair(pred, gt, threshold=threshold)
    module = device_kernels(backend, "counting")
    ignore = ignore_value(ignore_index, gt)
    if threshold is None:
        n_pred, n_gt, n_both, n_valid, n_bad = module.binary_counts(pred, gt, ignore).tolist()
        arrays = {"pred": pred, "gt": gt}
    else:
        totals = module.threshold_counts(pred, gt, threshold_value(threshold, pred), ignore)
        n_pred, n_gt, n_both, n_valid, n_bad, n_nan = totals.tolist()
        if n_nan:
            raise ValueError(NAN_MESSAGE)
        arrays = {"gt": gt}
    if n_bad:
        refuse_non_binary({name: few_values(array) for name, array in arrays.items()},
                          "binary metrics", NON_BINARY_FIXES)
    return Counts(tp=n_both, fp=n_pred - n_both, fn=n_gt - n_both,
                  tn=n_valid - n_pred - n_gt + n_both)


def confusion_matrix(pred, gt, num_classes, ignore_index, backend):
    """The K x K int64 NumPy table (rows ground truth); ``num_classes=None`` trims to present labels."""
    pred, gt = checked_pair(pred, gt, threshold=None)
    module = device_kernels(backend, "counting")
    return _confusion(module, pred, gt, num_classes, ignore_value(ignore_index, gt))


def _confusion(module, pred, gt, num_classes, ignore, guess=True):
    """The checked table; without ``num_classes``, a first pass with ``GUESS_CLASSES`` if ``guess``."""
    if num_classes is not None:
        check_dense(num_classes)
        return _checked_table(module, pred, gt, num_classes, ignore, num_classes)
    if guess:
        table, n_bad = module.confusion_matrix(pred, gt, GUESS_CLASSES, ignore)
        if not n_bad.item():
            return trim_to_present_labels(table.cpu().numpy())
    _, pred_max, _, _, gt_max_counted = module.label_range(pred, gt, ignore).tolist()
    k = max(pred_max, gt_max_counted, 0) + 1
    check_dense(k)
    return trim_to_present_labels(_checked_table(module, pred, gt, k, ignore, None))


def _checked_table(module, pred, gt, k, ignore, num_classes):
    table, n_bad = module.confusion_matrix(pred, gt, k, ignore)
    n_bad = n_bad.item()
    if n_bad:
        refuse_out_of_range(n_bad, num_classes, found(pred, "pred"), found(gt, "gt"))
    return table.cpu().numpy()


def label_counts(pred, gt, labels, ignore_index, backend):
    """One-vs-rest :class:`Counts` (int64 arrays in ``labels`` order) from one pass.

    A first pass assumes labels below ``GUESS_CLASSES``; otherwise the host path's
    rule follows: a dense table up to ``MAX_DENSE_CLASSES`` labels, a compact
    relabelling of the labels asked for beyond.
    """
    pred, gt = checked_pair(pred, gt, threshold=None)
    module = device_kernels(backend, "counting")
    ignore = ignore_value(ignore_index, gt)
    table, n_bad = module.confusion_matrix(pred, gt, GUESS_CLASSES, ignore)
    if n_bad.item():
        return _wide_label_counts(module, pred, gt, labels, ignore)
    return counts_of_labels(table.cpu().numpy(), labels)


def _wide_label_counts(module, pred, gt, labels, ignore):
    """Labels beyond the first guess: the host path's dense or sparse rule, on the device."""
    num_classes = None
    if _layout.kernel_label_dtype(numpy_dtype(pred), numpy_dtype(gt)).itemsize > 1:
        pred_min, pred_max, gt_max, gt_min_counted, _ = module.label_range(pred, gt, ignore).tolist()
        num_classes = max(pred_max, gt_max, 0) + 1
        if num_classes > MAX_DENSE_CLASSES:
            return _sparse_label_counts(module, pred, gt, labels, ignore,
                                        min(pred_min, gt_min_counted))
    # The first pass with GUESS_CLASSES labels has already failed: no second guess.
    confusion = _confusion(module, pred, gt, num_classes, ignore, guess=False)
    return counts_of_labels(confusion, labels)


def _sparse_label_counts(module, pred, gt, labels, ignore, lowest):
    """One-vs-rest counts of a few labels of a map whose labels are too large for a dense table."""
    import torch

    if lowest < 0:
        raise ValueError(f"labels must be non-negative: {found(pred, 'pred')}; {found(gt, 'gt')}")
    dtype = _layout.kernel_label_dtype(numpy_dtype(pred), numpy_dtype(gt))
    keys = sorted({label for label in labels if fits_dtype(label, dtype)})
    table = module.coded_confusion(pred, gt, torch.tensor(keys, dtype=torch.int64,
                                                          device=pred.device), ignore)
    absent = len(keys) + 1
    codes = [keys.index(label) + 1 if fits_dtype(label, dtype) else absent for label in labels]
    return _formulas.per_label_counts(table.cpu().numpy(), codes)
