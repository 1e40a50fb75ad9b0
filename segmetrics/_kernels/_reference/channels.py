"""NumPy reference kernels over channel-first score maps: the oracle for the others.

Same names, arguments and return values as the Cython and Numba kernels;
``scores`` is ``(C, N)``, only the voxels ``[start, stop)`` are counted.
"""
import numpy as np


def _argmax(scores, start, stop):
    block = scores[:, start:stop]
    # NaN never wins: it is counted, and the wrappers refuse it.
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
