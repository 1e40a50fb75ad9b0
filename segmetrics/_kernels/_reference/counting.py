"""NumPy reference counting kernels: slow, obvious, and the oracle for the others.

Same names, arguments and return values as the Cython and Numba kernels.
"""
import numpy as np


def _valid_mask(gt, has_ignore, ignore):
    if has_ignore:
        return gt != ignore
    return np.ones(gt.shape, dtype=bool)


def _or_bits(*arrays):
    bits = 0
    for values in arrays:
        if values.size:
            bits |= int(np.bitwise_or.reduce(values).astype(np.uint64))
    return bits


def binary_counts(pred, gt, has_ignore, ignore):
    valid = _valid_mask(gt, has_ignore, ignore)
    fg_pred = (pred != 0) & valid
    fg_gt = (gt != 0) & valid
    return (
        int(np.count_nonzero(fg_pred)),
        int(np.count_nonzero(fg_gt)),
        int(np.count_nonzero(fg_pred & fg_gt)),
        int(np.count_nonzero(valid)),
        _or_bits(pred[valid], gt[valid]),
    )


def threshold_counts(prob, gt, threshold, has_ignore, ignore):
    valid = _valid_mask(gt, has_ignore, ignore)
    fg_pred = (prob >= prob.dtype.type(threshold)) & valid
    fg_gt = (gt != 0) & valid
    return (
        int(np.count_nonzero(fg_pred)),
        int(np.count_nonzero(fg_gt)),
        int(np.count_nonzero(fg_pred & fg_gt)),
        int(np.count_nonzero(valid)),
        _or_bits(gt[valid]),
        int(np.count_nonzero(np.isnan(prob))),
    )


def confusion_matrix(pred, gt, table, has_ignore, ignore):
    valid = _valid_mask(gt, has_ignore, ignore)
    k = table.shape[0]
    # Through Python ints: no wrap-around of large unsigned labels.
    g = gt[valid].astype(object)
    p = pred[valid].astype(object)
    in_range = (g >= 0) & (g < k) & (p >= 0) & (p < k)
    flat = (g[in_range] * k + p[in_range]).astype(np.int64)
    table += np.bincount(flat, minlength=k * k).reshape(k, k)
    return int(np.count_nonzero(~in_range))
