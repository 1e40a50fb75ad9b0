"""NumPy reference kernels over channel-first score maps: the oracle for the others.

Same names, arguments and return values as the Cython and Numba kernels;
``scores`` is ``(C, N)``, only the voxels ``[start, stop)`` are counted.
"""
import numpy as np


def _argmax(scores, start, stop):
    block = scores[:, start:stop]
    # NaN is counted and the wrappers refuse it; the argmax of such a voxel is unspecified.
    return np.argmax(np.where(np.isnan(block), -np.inf, block), axis=0), int(np.isnan(block).sum())


def argmax_onehot_counts(scores, onehot, start, stop, out):
    if stop <= start:
        return 0, 0
    best, n_nan = _argmax(scores, start, stop)
    g = onehot[:, start:stop].astype(np.int64)
    for c in range(scores.shape[0]):
        hit = best == c
        out[c] += (int(hit.sum()), int(g[c].sum()), int(g[c][hit].sum()))
    bits = int(np.bitwise_or.reduce(onehot[:, start:stop], axis=None).astype(np.uint64))
    return bits, n_nan


def argmax_confusion(scores, gt, start, stop, table, has_ignore, ignore):
    if stop <= start:
        return 0, 0
    best, n_nan = _argmax(scores, start, stop)
    g = gt[start:stop].astype(object)  # no wrap-around of large unsigned labels
    valid = ~(g == ignore) if has_ignore else np.ones(g.shape, dtype=bool)
    in_range = valid & (g >= 0) & (g < scores.shape[0])
    np.add.at(table, (g[in_range].astype(np.int64), best[in_range]), 1)
    return int(np.count_nonzero(valid & ~in_range)), n_nan


def threshold_index_counts(scores, gt, threshold, start, stop, out, has_ignore, ignore):
    if stop <= start:
        return 0, 0, 0
    block = scores[:, start:stop]
    g = gt[start:stop].astype(object)
    valid = ~(g == ignore) if has_ignore else np.ones(g.shape, dtype=bool)
    fg_pred = (block >= block.dtype.type(threshold)) & valid
    for c in range(scores.shape[0]):
        fg_gt = (g == c) & valid
        out[c] += (int(fg_pred[c].sum()), int(fg_gt.sum()), int((fg_pred[c] & fg_gt).sum()))
    n_bad = int(np.count_nonzero(valid & ((g < 0) | (g >= scores.shape[0]))))
    return int(valid.sum()), n_bad, int(np.isnan(block).sum())


def threshold_rows(prob, gt, threshold, out):
    fg = prob >= prob.dtype.type(threshold)
    g = gt.astype(np.int64)
    out[:, 0] += fg.sum(axis=1)
    out[:, 1] += g.sum(axis=1)
    out[:, 2] += np.where(fg, g, 0).sum(axis=1)
    bits = int(np.bitwise_or.reduce(gt, axis=None).astype(np.uint64)) if gt.size else 0
    return bits, int(np.isnan(prob).sum())


def binary_rows(pred, gt, out):
    p, g = pred.astype(np.int64), gt.astype(np.int64)
    out[:, 0] += p.sum(axis=1)
    out[:, 1] += g.sum(axis=1)
    out[:, 2] += (pred & gt).astype(np.int64).sum(axis=1)
    if not pred.size:
        return 0
    return int((np.bitwise_or.reduce(pred, axis=None) | np.bitwise_or.reduce(gt, axis=None))
               .astype(np.uint64))
