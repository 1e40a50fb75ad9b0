"""Counting kernels: binary TP/FP/FN/TN and K x K confusion matrices.

These kernels trust their inputs: the wrappers in ``segmetrics.overlap`` have
checked dtypes, shapes and contiguity. Label values are checked here only as
far as memory safety needs it: a label outside ``[0, K)`` is counted as bad and
never written, and the wrapper turns a non-zero bad count into an error.
"""
from libc.stdint cimport (int8_t, int16_t, int32_t, int64_t, uint8_t,
                          uint16_t, uint32_t, uint64_t)

from segmetrics._kernels._cython._types cimport label_t, prob_t


cdef enum:
    # Elements compared at once when looking for a block of one label pair.
    RUN_BLOCK = 64
    # Elements summed into 16-bit counters before they spill into 64-bit ones.
    SUM_BLOCK = 4096


def binary_counts(const label_t[::1] pred, const label_t[::1] gt,
                  bint has_ignore, label_t ignore):
    """Return ``(n_pred, n_gt, n_both, n_valid, value_bits)`` over valid voxels.

    ``value_bits`` is the bitwise OR of every valid value of both masks. The
    counts are sums of the values, so they are foreground counts only when
    ``value_bits <= 1``; the caller refuses every other mask.
    """
    cdef Py_ssize_t n = pred.shape[0]
    cdef int64_t n_pred = 0, n_gt = 0, n_both = 0, n_valid = n
    cdef label_t bits = 0
    if n == 0:
        return 0, 0, 0, 0, 0
    with nogil:
        if has_ignore:
            _binary_counts_ignoring(&pred[0], &gt[0], n, ignore,
                                    &n_pred, &n_gt, &n_both, &n_valid, &bits)
        else:
            _binary_counts_all(&pred[0], &gt[0], n,
                               &n_pred, &n_gt, &n_both, &bits)
    return n_pred, n_gt, n_both, n_valid, <uint64_t> bits


cdef void _binary_counts_all(const label_t* pred, const label_t* gt,
                             Py_ssize_t n, int64_t* n_pred, int64_t* n_gt,
                             int64_t* n_both, label_t* bits) noexcept nogil:
    cdef Py_ssize_t start, stop, i
    cdef uint16_t s_pred, s_gt, s_both
    cdef label_t p, g, acc = 0
    start = 0
    while start < n:
        stop = min(start + SUM_BLOCK, n)
        s_pred = 0
        s_gt = 0
        s_both = 0
        for i in range(start, stop):
            p = pred[i]
            g = gt[i]
            acc = acc | p | g
            s_pred += p
            s_gt += g
            s_both += p & g
        n_pred[0] += s_pred
        n_gt[0] += s_gt
        n_both[0] += s_both
        start = stop
    bits[0] = acc


cdef void _binary_counts_ignoring(const label_t* pred, const label_t* gt,
                                  Py_ssize_t n, label_t ignore,
                                  int64_t* n_pred, int64_t* n_gt,
                                  int64_t* n_both, int64_t* n_valid,
                                  label_t* bits) noexcept nogil:
    cdef Py_ssize_t start, stop, i
    cdef uint16_t s_pred, s_gt, s_both, s_valid
    cdef label_t p, g, valid, acc = 0
    n_valid[0] = 0
    start = 0
    while start < n:
        stop = min(start + SUM_BLOCK, n)
        s_pred = 0
        s_gt = 0
        s_both = 0
        s_valid = 0
        for i in range(start, stop):
            p = pred[i]
            g = gt[i]
            valid = g != ignore
            p = p * valid
            g = g * valid
            acc = acc | p | g
            s_valid += valid
            s_pred += p
            s_gt += g
            s_both += p & g
        n_pred[0] += s_pred
        n_gt[0] += s_gt
        n_both[0] += s_both
        n_valid[0] += s_valid
        start = stop
    bits[0] = acc


def threshold_counts(const prob_t[::1] prob, const label_t[::1] gt,
                     double threshold, bint has_ignore, label_t ignore):
    """Like :func:`binary_counts` with ``prob >= threshold`` as the prediction.

    The ground-truth counts are sums of its values, meaningful when
    ``gt_bits <= 1`` as in :func:`binary_counts`.

    The threshold is compared in the probability map's own precision, as
    NumPy does. Returns ``(n_pred, n_gt, n_both, n_valid, gt_bits, n_nan)``;
    NaN probabilities are counted, not classified.
    """
    cdef Py_ssize_t n = prob.shape[0], start = 0, stop, i
    cdef int64_t n_pred = 0, n_gt = 0, n_both = 0, n_valid = 0, n_nan = 0
    # 32-bit block sums: the same lane width as float32, so the loop vectorises.
    cdef uint32_t s_pred, s_gt, s_both, s_valid, s_nan
    cdef label_t bits = 0, g, valid
    cdef prob_t t = <prob_t> threshold, x
    cdef uint32_t fg_pred
    with nogil:
        while start < n:
            stop = min(start + SUM_BLOCK, n)
            s_pred = 0
            s_gt = 0
            s_both = 0
            s_valid = 0
            s_nan = 0
            if has_ignore:
                for i in range(start, stop):
                    x = prob[i]
                    valid = gt[i] != ignore
                    g = gt[i] * valid
                    fg_pred = (x >= t) & valid
                    bits = bits | g
                    s_nan += x != x
                    s_valid += valid
                    s_pred += fg_pred
                    s_gt += g
                    s_both += fg_pred & g
            else:
                s_valid = stop - start
                for i in range(start, stop):
                    x = prob[i]
                    g = gt[i]
                    fg_pred = x >= t
                    bits = bits | g
                    s_nan += x != x
                    s_pred += fg_pred
                    s_gt += g
                    s_both += fg_pred & g
            n_pred += s_pred
            n_gt += s_gt
            n_both += s_both
            n_valid += s_valid
            n_nan += s_nan
            start = stop
    return n_pred, n_gt, n_both, n_valid, <uint64_t> bits, n_nan


def confusion_matrix(const label_t[::1] pred, const label_t[::1] gt,
                     int64_t[:, ::1] table, bint has_ignore, label_t ignore):
    """Add the (gt, pred) pair counts into ``table`` (rows gt, columns pred).

    Returns the number of valid voxels whose label lies outside
    ``[0, table.shape[0])``; those are not counted in the table.
    """
    cdef Py_ssize_t n = pred.shape[0]
    cdef int64_t bad
    if n == 0:
        return 0
    with nogil:
        bad = _count_label_runs(&pred[0], &gt[0], n, &table[0, 0],
                                table.shape[0], has_ignore, ignore)
    return bad


cdef inline int64_t _flush_run(label_t g, label_t p, int64_t run,
                               int64_t* table, Py_ssize_t k,
                               bint has_ignore, label_t ignore) noexcept nogil:
    if has_ignore and g == ignore:
        return 0
    # Negative labels wrap to huge unsigned values, so one comparison each.
    if <uint64_t> g >= <uint64_t> k or <uint64_t> p >= <uint64_t> k:
        return run
    table[<Py_ssize_t> g * k + <Py_ssize_t> p] += run
    return 0


cdef int64_t _count_label_runs(const label_t* pred, const label_t* gt,
                               Py_ssize_t n, int64_t* table, Py_ssize_t k,
                               bint has_ignore, label_t ignore) noexcept nogil:
    # Label maps are long runs of one (gt, pred) pair: count run lengths and
    # add each run once, skipping whole blocks that continue the current run.
    cdef Py_ssize_t i = 0, j
    cdef label_t cur_p = pred[0], cur_g = gt[0], p, g, diff
    cdef int64_t run = 0, bad = 0
    while i + RUN_BLOCK <= n:
        diff = 0
        for j in range(RUN_BLOCK):
            diff = diff | (pred[i + j] ^ cur_p) | (gt[i + j] ^ cur_g)
        if diff == 0:
            run += RUN_BLOCK
        else:
            for j in range(RUN_BLOCK):
                p = pred[i + j]
                g = gt[i + j]
                if p != cur_p or g != cur_g:
                    bad += _flush_run(cur_g, cur_p, run, table, k, has_ignore, ignore)
                    cur_p = p
                    cur_g = g
                    run = 0
                run += 1
        i += RUN_BLOCK
    while i < n:
        p = pred[i]
        g = gt[i]
        if p != cur_p or g != cur_g:
            bad += _flush_run(cur_g, cur_p, run, table, k, has_ignore, ignore)
            cur_p = p
            cur_g = g
            run = 0
        run += 1
        i += 1
    bad += _flush_run(cur_g, cur_p, run, table, k, has_ignore, ignore)
    return bad
