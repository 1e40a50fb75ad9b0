"""Counting kernels over channel-first score maps: ``scores[c, i]`` for class c at voxel i.

One sample of a ``(B, C, *spatial)`` batch is a ``(C, N)`` C-contiguous array.
Each kernel reads the voxels ``[start, stop)`` of every channel once, in blocks
of ``BLOCK`` voxels: the argmax (or threshold) of a block is taken over all
channels at once into a one-byte-per-voxel buffer that stays in L1, then each
channel's ground truth of the block is counted against it with 8-bit lane
counters (SSE2 on x86-64, plain C elsewhere; a block is short enough that an
8-bit counter cannot overflow). The ``*_rows`` kernels count many rows (samples
x channels of a C-contiguous batch) in one call, so a batch of small images
costs one call. The argmax is the first channel holding the largest score, as
``numpy.argmax`` and ``torch.argmax`` choose. NaN scores are counted (the argmax
of a voxel holding one is unspecified); the wrappers refuse inputs that hold any.

Up to ``MAX_FAST_CHANNELS`` channels the blocked kernels run; more channels
(whose argmax does not fit a byte) take a per-voxel loop with the same results.

These kernels trust their inputs: ``segmetrics.batch`` has checked dtypes,
shapes, contiguity and bounds. A ground-truth label outside ``[0, C)`` (and not
ignored) is counted as bad and never written. One-hot counts are exact when
every value is 0 or 1 (the returned OR of all values says so; the wrappers
refuse anything else).
"""
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t

from segmetrics._kernels._cython._types cimport label_t, prob_t


cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    /* SM_NO_SIMD builds the plain-C loops only (how they are tested on x86-64). */
    #if (defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)) \\
        && !defined(SM_NO_SIMD)
    #include <emmintrin.h>
    #define SM_SSE2 1
    #else
    #define SM_SSE2 0
    #endif

    /* 255 groups of 16 voxels: an 8-bit lane adds at most 1 per group. */
    #define SM_BLOCK 4080
    /* Codes of the label-map buffer besides the labels [0, C). */
    #define SM_BAD 254
    #define SM_IGNORED 255

    #if SM_SSE2
    static inline int64_t sm_hsum8(__m128i v) {
        __m128i s = _mm_sad_epu8(v, _mm_setzero_si128());
        return (int64_t)_mm_cvtsi128_si32(s) + (int64_t)_mm_cvtsi128_si32(_mm_srli_si128(s, 8));
    }
    #endif

    #define SM_ARGMAX_TAIL(T)                                                      \\
        for (; i < m; i++) {                                                      \\
            const T* p = s + i;                                                   \\
            T top = p[0];                                                         \\
            uint8_t b = 0;                                                        \\
            nan += top != top;                                                    \\
            for (c = 1; c < C; c++) {                                             \\
                T x = p[c * stride];                                              \\
                nan += x != x;                                                    \\
                if (x > top) { top = x; b = (uint8_t)c; }                         \\
            }                                                                     \\
            best[i] = b;                                                          \\
        }

    /* best[i]: the first channel holding the largest score of voxel i (C <= 255);
       returns the number of NaN scores. */
    static int64_t sm_argmax_f32(const float* s, Py_ssize_t stride, Py_ssize_t C,
                                 Py_ssize_t m, uint8_t* best) {
        Py_ssize_t i = 0, c;
        int64_t nan = 0;
    #if SM_SSE2
        for (; i + 16 <= m; i += 16) {
            const float* p = s + i;
            __m128 t0 = _mm_loadu_ps(p), t1 = _mm_loadu_ps(p + 4);
            __m128 t2 = _mm_loadu_ps(p + 8), t3 = _mm_loadu_ps(p + 12);
            __m128 odd = _mm_or_ps(_mm_or_ps(_mm_cmpunord_ps(t0, t0), _mm_cmpunord_ps(t1, t1)),
                                   _mm_or_ps(_mm_cmpunord_ps(t2, t2), _mm_cmpunord_ps(t3, t3)));
            __m128i b0 = _mm_setzero_si128(), b1 = b0, b2 = b0, b3 = b0;
            for (c = 1; c < C; c++) {
                __m128i k = _mm_set1_epi32((int)c);
                __m128 x0, x1, x2, x3, g0, g1, g2, g3;
                p += stride;
                x0 = _mm_loadu_ps(p); x1 = _mm_loadu_ps(p + 4);
                x2 = _mm_loadu_ps(p + 8); x3 = _mm_loadu_ps(p + 12);
                odd = _mm_or_ps(odd, _mm_or_ps(
                    _mm_or_ps(_mm_cmpunord_ps(x0, x0), _mm_cmpunord_ps(x1, x1)),
                    _mm_or_ps(_mm_cmpunord_ps(x2, x2), _mm_cmpunord_ps(x3, x3))));
                /* strictly larger: ties keep the earlier channel; max_ps(x, t) is x > t ? x : t */
                g0 = _mm_cmpgt_ps(x0, t0); g1 = _mm_cmpgt_ps(x1, t1);
                g2 = _mm_cmpgt_ps(x2, t2); g3 = _mm_cmpgt_ps(x3, t3);
                t0 = _mm_max_ps(x0, t0); t1 = _mm_max_ps(x1, t1);
                t2 = _mm_max_ps(x2, t2); t3 = _mm_max_ps(x3, t3);
                #define SM_PICK(b, g) b = _mm_or_si128(_mm_andnot_si128(_mm_castps_si128(g), b), \\
                                                       _mm_and_si128(_mm_castps_si128(g), k))
                SM_PICK(b0, g0); SM_PICK(b1, g1); SM_PICK(b2, g2); SM_PICK(b3, g3);
                #undef SM_PICK
            }
            _mm_storeu_si128((__m128i*)(best + i),
                             _mm_packus_epi16(_mm_packs_epi32(b0, b1), _mm_packs_epi32(b2, b3)));
            if (_mm_movemask_ps(odd)) {
                Py_ssize_t j;
                for (c = 0; c < C; c++)
                    for (j = 0; j < 16; j++) { float x = s[c * stride + i + j]; nan += x != x; }
            }
        }
    #endif
        SM_ARGMAX_TAIL(float)
        return nan;
    }

    static int64_t sm_argmax_f64(const double* s, Py_ssize_t stride, Py_ssize_t C,
                                 Py_ssize_t m, uint8_t* best) {
        Py_ssize_t i = 0, c;
        int64_t nan = 0;
        SM_ARGMAX_TAIL(double)
        return nan;
    }

    /* out[3c..3c+2] += (#best == c, sum g[c], sum g[c] where best == c) over a one-hot
       uint8 block (row c at g + c * stride); returns the OR of the values. */
    static uint8_t sm_onehot_u8(const uint8_t* g, Py_ssize_t stride, Py_ssize_t C,
                                Py_ssize_t m, const uint8_t* best, int64_t* out) {
        Py_ssize_t c, i;
        uint8_t bits = 0;
        for (c = 0; c < C; c++) {
            const uint8_t* row = g + c * stride;
            int64_t n_pred = 0, n_gt = 0, n_both = 0;
            i = 0;
    #if SM_SSE2
            {
                __m128i k = _mm_set1_epi8((char)c), zero = _mm_setzero_si128();
                __m128i a_pred = zero, a_gt = zero, a_both = zero, a_bits = zero;
                uint8_t lanes[16];
                int j;
                for (; i + 16 <= m; i += 16) {
                    __m128i x = _mm_loadu_si128((const __m128i*)(row + i));
                    __m128i h = _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)(best + i)), k);
                    a_pred = _mm_sub_epi8(a_pred, h);
                    a_gt = _mm_add_epi8(a_gt, x);
                    a_both = _mm_add_epi8(a_both, _mm_and_si128(h, x));
                    a_bits = _mm_or_si128(a_bits, x);
                }
                n_pred = sm_hsum8(a_pred); n_gt = sm_hsum8(a_gt); n_both = sm_hsum8(a_both);
                _mm_storeu_si128((__m128i*)lanes, a_bits);
                for (j = 0; j < 16; j++) bits |= lanes[j];
            }
    #endif
            for (; i < m; i++) {
                uint8_t x = row[i], h = best[i] == c;
                bits |= x;
                n_pred += h;
                n_gt += x;
                n_both += h ? x : 0;
            }
            out[3 * c] += n_pred; out[3 * c + 1] += n_gt; out[3 * c + 2] += n_both;
        }
        return bits;
    }

    /* code[i] of a uint8 label map: the label if < C, SM_BAD if not, SM_IGNORED where it
       equals ignore (has_ignore); adds the valid and the bad voxels. */
    static void sm_codes_u8(const uint8_t* g, Py_ssize_t m, Py_ssize_t C, int has_ignore,
                            uint8_t ignore, uint8_t* code, int64_t* n_valid, int64_t* n_bad) {
        Py_ssize_t i = 0;
        int64_t s_valid = 0, s_bad = 0;
        uint8_t last = (uint8_t)(C - 1);
    #if SM_SSE2
        {
            __m128i top = _mm_set1_epi8((char)last), bad = _mm_set1_epi8((char)SM_BAD);
            __m128i ign = _mm_set1_epi8((char)ignore), ones = _mm_set1_epi8(-1);
            __m128i zero = _mm_setzero_si128(), a_valid = zero, a_bad = zero;
            for (; i + 16 <= m; i += 16) {
                __m128i x = _mm_loadu_si128((const __m128i*)(g + i));
                __m128i in = _mm_cmpeq_epi8(_mm_min_epu8(x, top), x);
                __m128i off = has_ignore ? _mm_cmpeq_epi8(x, ign) : zero;
                __m128i q = _mm_or_si128(_mm_and_si128(in, x), _mm_andnot_si128(in, bad));
                q = _mm_or_si128(q, off);  /* SM_IGNORED is all ones */
                _mm_storeu_si128((__m128i*)(code + i), q);
                a_valid = _mm_sub_epi8(a_valid, _mm_xor_si128(off, ones));
                a_bad = _mm_sub_epi8(a_bad, _mm_andnot_si128(_mm_or_si128(in, off), ones));
            }
            s_valid = sm_hsum8(a_valid);
            s_bad = sm_hsum8(a_bad);
        }
    #endif
        for (; i < m; i++) {
            int valid = !(has_ignore && g[i] == ignore), in = g[i] <= last;
            code[i] = valid ? (in ? g[i] : SM_BAD) : SM_IGNORED;
            s_valid += valid;
            s_bad += valid & !in;
        }
        *n_valid += s_valid;
        *n_bad += s_bad;
    }

    /* table (C x C, row-major, rows the labels) += the pairs (code[i], pick[i]) of the
       voxels whose code is a label (< C). Up to 15 channels a pair fits a byte and is
       counted by byte compares (up to 6 channels) or in four interleaved byte histograms
       (no store-to-load chain on one cell). */
    static void sm_pair_table(const uint8_t* code, const uint8_t* pick, Py_ssize_t C,
                              Py_ssize_t m, int64_t* table) {
        Py_ssize_t i, r, c;
        if (C <= 15) {
            uint32_t h[4][256];
            uint8_t pair[SM_BLOCK];
            uint8_t c8 = (uint8_t)C;
    #if SM_SSE2
            if (C <= 6) {  /* few pairs: one pass over the pair bytes per four pairs */
                Py_ssize_t n16 = m & ~(Py_ssize_t)15, c0;
                int j;
                __m128i high = _mm_set1_epi8((char)0xF0);
                /* codes SM_BAD and SM_IGNORED give rows 14 and 15, never counted here */
                for (i = 0; i < n16; i += 16) {
                    __m128i q = _mm_loadu_si128((const __m128i*)(code + i));
                    __m128i p = _mm_loadu_si128((const __m128i*)(pick + i));
                    _mm_storeu_si128((__m128i*)(pair + i),
                                     _mm_or_si128(_mm_and_si128(_mm_slli_epi16(q, 4), high), p));
                }
                for (; i < m; i++)
                    pair[i] = code[i] < c8 ? (uint8_t)((code[i] << 4) | pick[i]) : 255;
                for (r = 0; r < C; r++) {
                    for (c0 = 0; c0 < C; c0 += 4) {
                        __m128i k[4], a[4];
                        for (j = 0; j < 4; j++) {
                            k[j] = _mm_set1_epi8((char)((r << 4) | (c0 + j)));
                            a[j] = _mm_setzero_si128();
                        }
                        for (i = 0; i < n16; i += 16) {
                            __m128i x = _mm_loadu_si128((const __m128i*)(pair + i));
                            a[0] = _mm_sub_epi8(a[0], _mm_cmpeq_epi8(x, k[0]));
                            a[1] = _mm_sub_epi8(a[1], _mm_cmpeq_epi8(x, k[1]));
                            a[2] = _mm_sub_epi8(a[2], _mm_cmpeq_epi8(x, k[2]));
                            a[3] = _mm_sub_epi8(a[3], _mm_cmpeq_epi8(x, k[3]));
                        }
                        for (j = 0; j < 4 && c0 + j < C; j++)
                            table[r * C + c0 + j] += sm_hsum8(a[j]);
                    }
                }
                for (i = n16; i < m; i++)
                    if (pair[i] != 255) table[(pair[i] >> 4) * C + (pair[i] & 15)]++;
                return;
            }
    #endif
            for (i = 0; i < m; i++)
                pair[i] = code[i] < c8 ? (uint8_t)((code[i] << 4) | pick[i]) : 255;
            memset(h, 0, sizeof h);
            for (i = 0; i + 4 <= m; i += 4) {
                h[0][pair[i]]++; h[1][pair[i + 1]]++; h[2][pair[i + 2]]++; h[3][pair[i + 3]]++;
            }
            for (; i < m; i++) h[0][pair[i]]++;
            for (r = 0; r < C; r++)
                for (c = 0; c < C; c++)
                    table[r * C + c] += (int64_t)h[0][r * 16 + c] + h[1][r * 16 + c]
                                        + h[2][r * 16 + c] + h[3][r * 16 + c];
            return;
        }
        for (i = 0; i < m; i++)
            if (code[i] < C) table[code[i] * C + pick[i]]++;
    }

    /* out[3c..3c+2] += (#valid & s[c] >= t, #code == c, #both) over a block; returns the
       number of NaN scores (ignored voxels included). */
    #define SM_THRESHOLD_TAIL(T)                                                   \\
        for (; i < m; i++) {                                                      \\
            T x = row[i];                                                         \\
            int h = (x >= t) & (code[i] != SM_IGNORED), e = code[i] == c;          \\
            nan += x != x;                                                        \\
            n_pred += h; n_gt += e; n_both += h & e;                              \\
        }

    static int64_t sm_threshold_f32(const float* s, Py_ssize_t stride, Py_ssize_t C,
                                    Py_ssize_t m, float t, const uint8_t* code, int64_t* out) {
        Py_ssize_t c, i;
        int64_t nan = 0;
        for (c = 0; c < C; c++) {
            const float* row = s + c * stride;
            int64_t n_pred = 0, n_gt = 0, n_both = 0;
            i = 0;
    #if SM_SSE2
            {
                __m128i k = _mm_set1_epi8((char)c), zero = _mm_setzero_si128();
                __m128i ign = _mm_set1_epi8((char)SM_IGNORED);
                __m128i a_pred = zero, a_gt = zero, a_both = zero;
                __m128 tt = _mm_set1_ps(t), odd = _mm_setzero_ps();
                for (; i + 16 <= m; i += 16) {
                    __m128 x0 = _mm_loadu_ps(row + i), x1 = _mm_loadu_ps(row + i + 4);
                    __m128 x2 = _mm_loadu_ps(row + i + 8), x3 = _mm_loadu_ps(row + i + 12);
                    __m128i q = _mm_loadu_si128((const __m128i*)(code + i));
                    __m128i h = _mm_packs_epi16(
                        _mm_packs_epi32(_mm_castps_si128(_mm_cmpge_ps(x0, tt)),
                                        _mm_castps_si128(_mm_cmpge_ps(x1, tt))),
                        _mm_packs_epi32(_mm_castps_si128(_mm_cmpge_ps(x2, tt)),
                                        _mm_castps_si128(_mm_cmpge_ps(x3, tt))));
                    __m128i e = _mm_cmpeq_epi8(q, k);
                    odd = _mm_or_ps(odd, _mm_or_ps(
                        _mm_or_ps(_mm_cmpunord_ps(x0, x0), _mm_cmpunord_ps(x1, x1)),
                        _mm_or_ps(_mm_cmpunord_ps(x2, x2), _mm_cmpunord_ps(x3, x3))));
                    h = _mm_andnot_si128(_mm_cmpeq_epi8(q, ign), h);
                    a_pred = _mm_sub_epi8(a_pred, h);
                    a_gt = _mm_sub_epi8(a_gt, e);
                    a_both = _mm_sub_epi8(a_both, _mm_and_si128(h, e));
                }
                n_pred = sm_hsum8(a_pred); n_gt = sm_hsum8(a_gt); n_both = sm_hsum8(a_both);
                if (_mm_movemask_ps(odd)) {
                    Py_ssize_t j;
                    for (j = 0; j < i; j++) nan += row[j] != row[j];
                }
            }
    #endif
            SM_THRESHOLD_TAIL(float)
            out[3 * c] += n_pred; out[3 * c + 1] += n_gt; out[3 * c + 2] += n_both;
        }
        return nan;
    }

    static int64_t sm_threshold_f64(const double* s, Py_ssize_t stride, Py_ssize_t C,
                                    Py_ssize_t m, double t, const uint8_t* code, int64_t* out) {
        Py_ssize_t c, i;
        int64_t nan = 0;
        for (c = 0; c < C; c++) {
            const double* row = s + c * stride;
            int64_t n_pred = 0, n_gt = 0, n_both = 0;
            i = 0;
            SM_THRESHOLD_TAIL(double)
            out[3 * c] += n_pred; out[3 * c + 1] += n_gt; out[3 * c + 2] += n_both;
        }
        return nan;
    }
    """
    enum:
        SM_BLOCK
        SM_BAD
        SM_IGNORED
    int64_t sm_argmax_f32(const float* s, Py_ssize_t stride, Py_ssize_t C, Py_ssize_t m,
                          uint8_t* best) noexcept nogil
    int64_t sm_argmax_f64(const double* s, Py_ssize_t stride, Py_ssize_t C, Py_ssize_t m,
                          uint8_t* best) noexcept nogil
    uint8_t sm_onehot_u8(const uint8_t* g, Py_ssize_t stride, Py_ssize_t C, Py_ssize_t m,
                         const uint8_t* best, int64_t* out) noexcept nogil
    void sm_codes_u8(const uint8_t* g, Py_ssize_t m, Py_ssize_t C, int has_ignore,
                     uint8_t ignore, uint8_t* code, int64_t* n_valid, int64_t* n_bad) noexcept nogil
    void sm_pair_table(const uint8_t* code, const uint8_t* pick, Py_ssize_t C, Py_ssize_t m,
                       int64_t* table) noexcept nogil
    int64_t sm_threshold_f32(const float* s, Py_ssize_t stride, Py_ssize_t C, Py_ssize_t m,
                             float t, const uint8_t* code, int64_t* out) noexcept nogil
    int64_t sm_threshold_f64(const double* s, Py_ssize_t stride, Py_ssize_t C, Py_ssize_t m,
                             double t, const uint8_t* code, int64_t* out) noexcept nogil


cdef enum:
    # Channels whose argmax fits a byte next to the two label codes SM_BAD, SM_IGNORED.
    MAX_FAST_CHANNELS = 253


cdef inline int64_t _argmax_bytes(const prob_t* scores, Py_ssize_t stride, Py_ssize_t channels,
                                  Py_ssize_t m, uint8_t* best) noexcept nogil:
    if prob_t is float:
        return sm_argmax_f32(scores, stride, channels, m, best)
    else:
        return sm_argmax_f64(scores, stride, channels, m, best)


cdef inline void _label_codes(const label_t* gt, Py_ssize_t m, Py_ssize_t channels,
                              bint has_ignore, label_t ignore, uint8_t* code,
                              int64_t* n_valid, int64_t* n_bad) noexcept nogil:
    """``code[i]``: the label of voxel i, SM_BAD outside ``[0, C)``, SM_IGNORED where ignored."""
    cdef Py_ssize_t i
    cdef label_t g
    cdef uint32_t valid, inside, s_valid = 0, s_bad = 0
    cdef uint32_t keep = not has_ignore
    if label_t is uint8_t:
        sm_codes_u8(gt, m, channels, has_ignore, ignore, code, n_valid, n_bad)
    else:
        for i in range(m):
            g = gt[i]
            valid = keep | (g != ignore)
            inside = <uint64_t> g < <uint64_t> channels  # negative labels wrap to huge
            code[i] = ((<uint8_t> g if inside else <uint8_t> SM_BAD) if valid
                       else <uint8_t> SM_IGNORED)
            s_valid += valid
            s_bad += valid & (inside ^ 1)
        n_valid[0] += s_valid
        n_bad[0] += s_bad


def argmax_onehot_counts(const prob_t[:, ::1] scores, const label_t[:, ::1] onehot,
                         Py_ssize_t start, Py_ssize_t stop, int64_t[:, ::1] out):
    """Add ``(n_pred, n_gt, n_both)`` of each channel into ``out[c]``.

    The prediction of channel c is ``argmax(scores[:, i]) == c``; the ground
    truth is ``onehot[c, i]``, counted where it is 1 (the counts are exact when
    the OR of all values, returned, is 0 or 1; the wrapper checks).
    Returns ``(gt_bits, n_nan)``.
    """
    cdef Py_ssize_t channels = scores.shape[0], stride = scores.shape[1]
    cdef Py_ssize_t c, i, m, lo = start
    cdef uint8_t best[SM_BLOCK]
    cdef int64_t n_nan = 0
    cdef uint32_t s_pred, s_gt, s_both, hit
    cdef label_t bits = 0, g
    cdef const label_t* row
    if stop <= start:
        return 0, 0
    if channels > MAX_FAST_CHANNELS:
        return _argmax_onehot_counts_wide(scores, onehot, start, stop, out)
    with nogil:
        while lo < stop:
            m = min(<Py_ssize_t> SM_BLOCK, stop - lo)
            n_nan += _argmax_bytes(&scores[0, lo], stride, channels, m, best)
            if label_t is uint8_t:
                bits = bits | sm_onehot_u8(&onehot[0, lo], stride, channels, m, best, &out[0, 0])
            else:
                for c in range(channels):
                    row = &onehot[c, lo]
                    s_pred = 0
                    s_gt = 0
                    s_both = 0
                    for i in range(m):
                        g = row[i]
                        hit = best[i] == c
                        bits = bits | g
                        s_pred += hit
                        s_gt += <uint32_t> g
                        s_both += (<uint32_t> g) & (0u - hit)
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
    cdef Py_ssize_t m, lo = start
    cdef uint8_t best[SM_BLOCK]
    cdef uint8_t code[SM_BLOCK]
    cdef int64_t n_nan = 0, n_valid = 0, n_bad = 0
    if stop <= start:
        return 0, 0
    if channels > MAX_FAST_CHANNELS:
        return _argmax_confusion_wide(scores, gt, start, stop, table, has_ignore, ignore)
    with nogil:
        while lo < stop:
            m = min(<Py_ssize_t> SM_BLOCK, stop - lo)
            n_nan += _argmax_bytes(&scores[0, lo], stride, channels, m, best)
            _label_codes(&gt[lo], m, channels, has_ignore, ignore, code, &n_valid, &n_bad)
            sm_pair_table(code, best, channels, m, &table[0, 0])
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
    cdef Py_ssize_t channels = scores.shape[0], stride = scores.shape[1]
    cdef Py_ssize_t m, lo = start
    cdef uint8_t code[SM_BLOCK]
    cdef int64_t n_nan = 0, n_valid = 0, n_bad = 0
    cdef prob_t t = <prob_t> threshold
    if stop <= start:
        return 0, 0, 0
    if channels > MAX_FAST_CHANNELS:
        return _threshold_index_counts_wide(scores, gt, threshold, start, stop, out, has_ignore,
                                            ignore)
    with nogil:
        while lo < stop:
            m = min(<Py_ssize_t> SM_BLOCK, stop - lo)
            _label_codes(&gt[lo], m, channels, has_ignore, ignore, code, &n_valid,
                         &n_bad)
            if prob_t is float:
                n_nan += sm_threshold_f32(&scores[0, lo], stride, channels, m, t, code,
                                          &out[0, 0])
            else:
                n_nan += sm_threshold_f64(&scores[0, lo], stride, channels, m, t, code,
                                          &out[0, 0])
            lo += m
    return n_valid, n_bad, n_nan


# ---------------------------------------------------------------- more than 253 channels

cdef inline int32_t _argmax_voxel(const prob_t* scores, Py_ssize_t stride, Py_ssize_t channels,
                                  int64_t* n_nan) noexcept nogil:
    cdef Py_ssize_t c
    cdef prob_t top = scores[0], x
    cdef int32_t best = 0
    n_nan[0] += top != top
    for c in range(1, channels):
        x = scores[c * stride]
        n_nan[0] += x != x
        if x > top:
            top = x
            best = <int32_t> c
    return best


cdef _argmax_onehot_counts_wide(const prob_t[:, ::1] scores, const label_t[:, ::1] onehot,
                                Py_ssize_t start, Py_ssize_t stop, int64_t[:, ::1] out):
    cdef Py_ssize_t channels = scores.shape[0], stride = scores.shape[1], c, i
    cdef int64_t n_nan = 0
    cdef int32_t best
    cdef label_t bits = 0, g
    with nogil:
        for i in range(start, stop):
            best = _argmax_voxel(&scores[0, i], stride, channels, &n_nan)
            out[best, 0] += 1
            for c in range(channels):
                g = onehot[c, i]
                bits = bits | g
                out[c, 1] += <int64_t> g
            out[best, 2] += <int64_t> onehot[best, i]
    return <uint64_t> bits, n_nan


cdef _argmax_confusion_wide(const prob_t[:, ::1] scores, const label_t[::1] gt,
                            Py_ssize_t start, Py_ssize_t stop, int64_t[:, ::1] table,
                            bint has_ignore, label_t ignore):
    cdef Py_ssize_t channels = scores.shape[0], stride = scores.shape[1], i
    cdef int64_t n_nan = 0, n_bad = 0
    cdef int32_t best
    cdef label_t g
    with nogil:
        for i in range(start, stop):
            best = _argmax_voxel(&scores[0, i], stride, channels, &n_nan)
            g = gt[i]
            if has_ignore and g == ignore:
                continue
            if <uint64_t> g >= <uint64_t> channels:  # negative labels wrap to huge
                n_bad += 1
                continue
            table[<Py_ssize_t> g, best] += 1
    return n_bad, n_nan


cdef _threshold_index_counts_wide(const prob_t[:, ::1] scores, const label_t[::1] gt,
                                  double threshold, Py_ssize_t start, Py_ssize_t stop,
                                  int64_t[:, ::1] out, bint has_ignore, label_t ignore):
    cdef Py_ssize_t channels = scores.shape[0], c, i
    cdef int64_t n_valid = 0, n_bad = 0, n_nan = 0
    cdef prob_t t = <prob_t> threshold, x
    cdef label_t g
    cdef bint valid, fg_pred, fg_gt
    with nogil:
        for i in range(start, stop):
            g = gt[i]
            valid = not (has_ignore and g == ignore)
            n_valid += valid
            n_bad += valid and <uint64_t> g >= <uint64_t> channels
            for c in range(channels):
                x = scores[c, i]
                n_nan += x != x
                fg_pred = valid and x >= t
                fg_gt = valid and <uint64_t> g == <uint64_t> c
                out[c, 0] += fg_pred
                out[c, 1] += fg_gt
                out[c, 2] += fg_pred and fg_gt
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
