"""Numba counting kernels: the Cython algorithms, JIT-compiled and cached.

Same names, arguments and return values as the reference and Cython kernels.
"""
import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)

RUN_BLOCK = 64


@_jit
def _binary_counts(pred, gt):
    # Sums of values: foreground counts when the OR of all values is 0 or 1.
    n_pred = n_gt = n_both = 0
    bits = pred[0] ^ pred[0]
    for i in range(pred.shape[0]):
        p = pred[i]
        g = gt[i]
        bits |= p | g
        n_pred += p
        n_gt += g
        n_both += p & g
    return n_pred, n_gt, n_both, pred.shape[0], bits


@_jit
def _binary_counts_ignoring(pred, gt, ignore):
    n_pred = n_gt = n_both = n_valid = 0
    bits = zero_pred = pred[0] ^ pred[0]
    zero_gt = gt[0] ^ gt[0]
    for i in range(pred.shape[0]):
        g = gt[i]
        valid = g != ignore
        p = pred[i] if valid else zero_pred
        g = g if valid else zero_gt
        bits |= p | g
        n_valid += valid
        n_pred += p
        n_gt += g
        n_both += p & g
    return n_pred, n_gt, n_both, n_valid, bits


def binary_counts(pred, gt, has_ignore, ignore):
    if pred.shape[0] == 0:
        return 0, 0, 0, 0, 0
    if has_ignore:
        *counts, bits = _binary_counts_ignoring(pred, gt, gt.dtype.type(ignore))
    else:
        *counts, bits = _binary_counts(pred, gt)
    return (*map(int, counts), int(np.asarray(bits).astype(np.uint64)))


@_jit
def _threshold_counts(prob, gt, threshold, has_ignore, ignore):
    n_pred = n_gt = n_both = n_valid = n_nan = 0
    bits = gt[0] ^ gt[0]
    for i in range(prob.shape[0]):
        x = prob[i]
        g = gt[i]
        n_nan += x != x
        if has_ignore and g == ignore:
            continue
        fg_pred = x >= threshold
        fg_gt = g != 0
        bits |= g
        n_valid += 1
        n_pred += fg_pred
        n_gt += fg_gt
        n_both += fg_pred & fg_gt
    return n_pred, n_gt, n_both, n_valid, bits, n_nan


def threshold_counts(prob, gt, threshold, has_ignore, ignore):
    if prob.shape[0] == 0:
        return 0, 0, 0, 0, 0, 0
    result = _threshold_counts(prob, gt, prob.dtype.type(threshold),
                               has_ignore, gt.dtype.type(ignore))
    n_pred, n_gt, n_both, n_valid, bits, n_nan = result
    return (int(n_pred), int(n_gt), int(n_both), int(n_valid),
            int(np.asarray(bits).astype(np.uint64)), int(n_nan))


@_jit
def _flush_run(g, p, run, table, has_ignore, ignore):
    if has_ignore and g == ignore:
        return 0
    k = table.shape[0]
    if g < 0 or p < 0 or g >= k or p >= k:
        return run
    table[g, p] += run
    return 0


@_jit
def _count_label_runs(pred, gt, table, has_ignore, ignore):
    # Label maps are long runs of one (gt, pred) pair: count run lengths and
    # add each run once, skipping whole blocks that continue the current run.
    n = pred.shape[0]
    cur_p = pred[0]
    cur_g = gt[0]
    run = 0
    bad = 0
    i = 0
    while i + RUN_BLOCK <= n:
        diff = cur_p ^ cur_p
        for j in range(RUN_BLOCK):
            diff |= (pred[i + j] ^ cur_p) | (gt[i + j] ^ cur_g)
        if diff == 0:
            run += RUN_BLOCK
        else:
            for j in range(RUN_BLOCK):
                p = pred[i + j]
                g = gt[i + j]
                if p != cur_p or g != cur_g:
                    bad += _flush_run(cur_g, cur_p, run, table, has_ignore, ignore)
                    cur_p = p
                    cur_g = g
                    run = 0
                run += 1
        i += RUN_BLOCK
    while i < n:
        p = pred[i]
        g = gt[i]
        if p != cur_p or g != cur_g:
            bad += _flush_run(cur_g, cur_p, run, table, has_ignore, ignore)
            cur_p = p
            cur_g = g
            run = 0
        run += 1
        i += 1
    bad += _flush_run(cur_g, cur_p, run, table, has_ignore, ignore)
    return bad


def confusion_matrix(pred, gt, table, has_ignore, ignore):
    if pred.shape[0] == 0:
        return 0
    return int(_count_label_runs(pred, gt, table, has_ignore, gt.dtype.type(ignore)))
