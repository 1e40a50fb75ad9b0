"""Numba kernels over channel-first score maps: the Cython algorithms, JIT-compiled.

Same names, arguments and return values as the reference and Cython kernels.
"""
import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _argmax(scores, i):
    best = 0
    top = scores[0, i]
    nan = 0
    nan += top != top
    for c in range(1, scores.shape[0]):
        x = scores[c, i]
        nan += x != x
        if x > top:
            top = x
            best = c
    return best, nan


@_jit
def _argmax_onehot_counts(scores, onehot, start, stop, out):
    n_nan = 0
    bits = onehot[0, 0] ^ onehot[0, 0]
    for i in range(start, stop):
        best, nan = _argmax(scores, i)
        n_nan += nan
        out[best, 0] += 1
        for c in range(scores.shape[0]):
            g = onehot[c, i]
            bits |= g
            out[c, 1] += g
            if c == best:
                out[c, 2] += g
    return bits, n_nan


def argmax_onehot_counts(scores, onehot, start, stop, out):
    if stop <= start:
        return 0, 0
    bits, n_nan = _argmax_onehot_counts(scores, onehot, start, stop, out)
    return int(np.asarray(bits).astype(np.uint64)), int(n_nan)


@_jit
def _argmax_confusion(scores, gt, start, stop, table, has_ignore, ignore):
    n_nan = n_bad = 0
    channels = scores.shape[0]
    for i in range(start, stop):
        best, nan = _argmax(scores, i)
        n_nan += nan
        g = gt[i]
        if has_ignore and g == ignore:
            continue
        if g < 0 or g >= channels:
            n_bad += 1
            continue
        table[g, best] += 1
    return n_bad, n_nan


def argmax_confusion(scores, gt, start, stop, table, has_ignore, ignore):
    if stop <= start:
        return 0, 0
    n_bad, n_nan = _argmax_confusion(scores, gt, start, stop, table, has_ignore,
                                     gt.dtype.type(ignore))
    return int(n_bad), int(n_nan)


@_jit
def _threshold_index_counts(scores, gt, threshold, start, stop, out, has_ignore, ignore):
    n_valid = n_bad = n_nan = 0
    channels = scores.shape[0]
    for i in range(start, stop):
        g = gt[i]
        valid = not (has_ignore and g == ignore)
        n_valid += valid
        n_bad += valid and (g < 0 or g >= channels)
        for c in range(channels):
            x = scores[c, i]
            n_nan += x != x
            fg_pred = valid and x >= threshold
            fg_gt = valid and g == c
            out[c, 0] += fg_pred
            out[c, 1] += fg_gt
            out[c, 2] += fg_pred and fg_gt
    return n_valid, n_bad, n_nan


def threshold_index_counts(scores, gt, threshold, start, stop, out, has_ignore, ignore):
    if stop <= start:
        return 0, 0, 0
    return tuple(int(v) for v in _threshold_index_counts(
        scores, gt, scores.dtype.type(threshold), start, stop, out, has_ignore,
        gt.dtype.type(ignore)))


@_jit
def _threshold_rows(prob, gt, threshold, out):
    n_nan = 0
    bits = gt[0, 0] ^ gt[0, 0]
    for r in range(prob.shape[0]):
        for i in range(prob.shape[1]):
            x = prob[r, i]
            g = gt[r, i]
            fg = x >= threshold
            bits |= g
            n_nan += x != x
            out[r, 0] += fg
            out[r, 1] += g
            if fg:
                out[r, 2] += g
    return bits, n_nan


def threshold_rows(prob, gt, threshold, out):
    if prob.size == 0:
        return 0, 0
    bits, n_nan = _threshold_rows(prob, gt, prob.dtype.type(threshold), out)
    return int(np.asarray(bits).astype(np.uint64)), int(n_nan)


@_jit
def _binary_rows(pred, gt, out):
    bits = pred[0, 0] ^ pred[0, 0]
    for r in range(pred.shape[0]):
        for i in range(pred.shape[1]):
            a = pred[r, i]
            g = gt[r, i]
            bits |= a | g
            out[r, 0] += a
            out[r, 1] += g
            out[r, 2] += a & g
    return bits


def binary_rows(pred, gt, out):
    if pred.size == 0:
        return 0
    return int(np.asarray(_binary_rows(pred, gt, out)).astype(np.uint64))
