"""Counting kernels over channel-first score maps: ``scores[c, i]`` for class c at voxel i.

One sample of a ``(B, C, *spatial)`` batch is a ``(C, N)`` C-contiguous array.
Each kernel reads the voxels ``[start, stop)`` of every channel once, in blocks
small enough for the per-voxel argmax to stay in cache, and adds its counts into
``out``/``table``. The ``*_rows`` kernels count many rows (samples x channels of
a C-contiguous batch) in one call, so a batch of small images costs one call.
The argmax is the first channel holding the largest score, as ``numpy.argmax``
and ``torch.argmax`` choose. NaN scores are counted (the argmax
of a voxel holding one is unspecified); the wrappers refuse inputs that hold any.

These kernels trust their inputs: ``segmetrics.batch`` has checked dtypes,
shapes, contiguity and bounds. A ground-truth label outside ``[0, C)`` (and not
ignored) is counted as bad and never written.
"""
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t

from segmetrics._kernels._cython._types cimport label_t, prob_t


cdef enum:
    BLOCK = 1024


cdef inline int64_t _argmax_block(const prob_t* scores, Py_ssize_t stride, Py_ssize_t channels,
                                  Py_ssize_t m, prob_t* top, int32_t* best) noexcept nogil:
    """``best[i]``: the argmax channel of voxel i of the block; returns the NaN count."""
    cdef Py_ssize_t c, i
    cdef const prob_t* row
    cdef prob_t x, t
    cdef int32_t b, channel, mask
    cdef bint larger
    cdef uint32_t nan = 0
    for i in range(m):
        x = scores[i]
        nan += x != x
        top[i] = x
        best[i] = 0
    for c in range(1, channels):
        row = scores + c * stride
        channel = <int32_t> c
        for i in range(m):
            # Loads before the selects, 32-bit lanes, the index select as a bit mask:
            # gcc vectorises this loop (it does not if-convert an integer select).
            x = row[i]
            t = top[i]
            b = best[i]
            nan += x != x
            larger = x > t
            mask = -(<int32_t> larger)
            top[i] = x if larger else t
            best[i] = (channel & mask) | (b & ~mask)
    return nan


def argmax_onehot_counts(const prob_t[:, ::1] scores, const label_t[:, ::1] onehot,
                         Py_ssize_t start, Py_ssize_t stop, int64_t[:, ::1] out):
    """Add ``(n_pred, n_gt, n_both)`` of each channel into ``out[c]``.

    The prediction of channel c is ``argmax(scores[:, i]) == c``; the ground
    truth is ``onehot[c, i]``, summed as a value (a count when the OR of all
    values is 0 or 1, which the wrapper checks). Returns ``(gt_bits, n_nan)``.
    """
    cdef Py_ssize_t channels = scores.shape[0], stride = scores.shape[1]
    cdef Py_ssize_t c, i, m, lo = start
    cdef prob_t top[BLOCK]
    cdef int32_t best[BLOCK]
    cdef int64_t n_nan = 0
    cdef uint32_t s_pred, s_gt, s_both, hit
    cdef int32_t channel
    cdef label_t bits = 0, g
    cdef const label_t* row
    if stop <= start:
        return 0, 0
    with nogil:
        while lo < stop:
            m = min(<Py_ssize_t> BLOCK, stop - lo)
            n_nan += _argmax_block(&scores[0, lo], stride, channels, m, top, best)
            for c in range(channels):
                row = &onehot[c, lo]
                channel = <int32_t> c  # a 32-bit comparison, so the loop vectorises
                s_pred = 0
                s_gt = 0
                s_both = 0
                for i in range(m):
                    g = row[i]
                    hit = best[i] == channel
                    bits = bits | g
                    s_pred += hit
                    s_gt += <uint32_t> g
                    s_both += (<uint32_t> g) & hit
                out[c, 0] += s_pred
                out[c, 1] += s_gt
                out[c, 2] += s_both
            lo += m
    return <uint64_t> bits, n_nan


def argmax_confusion(const prob_t[:, ::1] scores, const label_t[::1] gt,
                     Py_ssize_t start, Py_ssize_t stop, int64_t[:, ::1] table,
                     bint has_ignore, label_t ignore):
    """Add the ``(gt, argmax)`` pair counts into ``table`` (C x C, rows gt).

    Returns ``(n_bad, n_nan)``: valid voxels whose label lies outside ``[0, C)``
    (not counted) and NaN scores.
    """
    cdef Py_ssize_t channels = scores.shape[0], stride = scores.shape[1]
    cdef Py_ssize_t i, m, lo = start
    cdef prob_t top[BLOCK]
    cdef int32_t best[BLOCK]
    cdef int64_t n_nan = 0, n_bad = 0
    cdef label_t g
    if stop <= start:
        return 0, 0
    with nogil:
        while lo < stop:
            m = min(<Py_ssize_t> BLOCK, stop - lo)
            n_nan += _argmax_block(&scores[0, lo], stride, channels, m, top, best)
            for i in range(m):
                g = gt[lo + i]
                if has_ignore and g == ignore:
                    continue
                if <uint64_t> g >= <uint64_t> channels:  # negative labels wrap to huge
                    n_bad += 1
                    continue
                table[<Py_ssize_t> g, best[i]] += 1
            lo += m
    return n_bad, n_nan


def threshold_index_counts(const prob_t[:, ::1] scores, const label_t[::1] gt, double threshold,
                           Py_ssize_t start, Py_ssize_t stop, int64_t[:, ::1] out,
                           bint has_ignore, label_t ignore):
    """Add ``(n_pred, n_gt, n_both)`` of each channel into ``out[c]``.

    The prediction of channel c is ``scores[c, i] >= threshold`` (compared in the
    scores' precision), its ground truth ``gt[i] == c``; voxels whose ``gt``
    equals ``ignore`` are not counted. Returns ``(n_valid, n_bad, n_nan)``:
    bad voxels hold a label outside ``[0, C)`` and are counted as no class.
    """
    cdef Py_ssize_t channels = scores.shape[0]
    cdef Py_ssize_t c, i
    cdef int64_t n_valid = 0, n_bad = 0, n_nan = 0
    cdef int64_t s_pred, s_gt, s_both
    cdef prob_t t = <prob_t> threshold, x
    cdef label_t g
    cdef bint valid, fg_pred, fg_gt
    cdef const prob_t* row
    if stop <= start:
        return 0, 0, 0
    with nogil:
        for i in range(start, stop):
            g = gt[i]
            valid = not (has_ignore and g == ignore)
            n_valid += valid
            n_bad += valid and <uint64_t> g >= <uint64_t> channels
        for c in range(channels):
            row = &scores[c, 0]
            s_pred = 0
            s_gt = 0
            s_both = 0
            for i in range(start, stop):
                x = row[i]
                g = gt[i]
                n_nan += x != x
                valid = not (has_ignore and g == ignore)
                fg_pred = valid and x >= t
                fg_gt = valid and <int64_t> g == c
                s_pred += fg_pred
                s_gt += fg_gt
                s_both += fg_pred and fg_gt
            out[c, 0] += s_pred
            out[c, 1] += s_gt
            out[c, 2] += s_both
    return n_valid, n_bad, n_nan


cdef enum:
    # Elements summed into 32-bit counters before they spill into 64-bit ones.
    ROW_BLOCK = 1 << 20


def threshold_rows(const prob_t[:, ::1] prob, const label_t[:, ::1] gt, double threshold,
                   int64_t[:, ::1] out):
    """Add ``(n_pred, n_gt, n_both)`` of every row into ``out[r]``, in one call.

    Row r is one sample's channel (``prob[r] >= threshold``, compared in the
    probabilities' precision) against ``gt[r]``, summed as values (counts when the
    OR of all values is 0 or 1). Returns ``(gt_bits, n_nan)``.
    """
    cdef Py_ssize_t rows = prob.shape[0], n = prob.shape[1], r, i, lo, hi
    cdef prob_t t = <prob_t> threshold, x
    cdef uint32_t s_pred, s_gt, s_both, s_nan, fg
    cdef int64_t n_nan = 0
    cdef label_t bits = 0, g
    cdef const prob_t* p
    cdef const label_t* q
    with nogil:
        for r in range(rows):
            p = &prob[r, 0] if n else NULL
            q = &gt[r, 0] if n else NULL
            lo = 0
            while lo < n:
                hi = min(lo + <Py_ssize_t> ROW_BLOCK, n)
                s_pred = 0
                s_gt = 0
                s_both = 0
                s_nan = 0
                for i in range(lo, hi):
                    x = p[i]
                    g = q[i]
                    fg = x >= t
                    bits = bits | g
                    s_nan += x != x
                    s_pred += fg
                    s_gt += <uint32_t> g
                    s_both += fg & (<uint32_t> g)
                out[r, 0] += s_pred
                out[r, 1] += s_gt
                out[r, 2] += s_both
                n_nan += s_nan
                lo = hi
    return <uint64_t> bits, n_nan


def binary_rows(const label_t[:, ::1] pred, const label_t[:, ::1] gt, int64_t[:, ::1] out):
    """Add ``(n_pred, n_gt, n_both)`` of every row into ``out[r]``, values summed (counts
    when the OR of all values, returned, is 0 or 1)."""
    cdef Py_ssize_t rows = pred.shape[0], n = pred.shape[1], r, i, lo, hi
    cdef uint32_t s_pred, s_gt, s_both
    cdef label_t bits = 0, a, g
    cdef const label_t* p
    cdef const label_t* q
    with nogil:
        for r in range(rows):
            p = &pred[r, 0] if n else NULL
            q = &gt[r, 0] if n else NULL
            lo = 0
            while lo < n:
                hi = min(lo + <Py_ssize_t> ROW_BLOCK, n)
                s_pred = 0
                s_gt = 0
                s_both = 0
                for i in range(lo, hi):
                    a = p[i]
                    g = q[i]
                    bits = bits | a | g
                    s_pred += <uint32_t> a
                    s_gt += <uint32_t> g
                    s_both += <uint32_t> (a & g)
                out[r, 0] += s_pred
                out[r, 1] += s_gt
                out[r, 2] += s_both
                lo = hi
    return <uint64_t> bits
