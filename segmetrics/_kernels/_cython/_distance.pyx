"""Distance kernels: bounding boxes, boundary rows, surface distances and the EDT.

These kernels trust their inputs: the wrappers in ``segmetrics.distance`` have
checked dtypes, shapes and spacing. Volumes arrive as 3-D views (a 2-D mask is
``(1, H, W)``, with ``ndim`` telling which leading axes are padding), rows run
along the last axis. A boundary is stored row by row: ``row_ptr`` (length
``n0 * n1 + 1``) and the sorted last-axis positions ``cols`` of each row, in the
frame of the box it was extracted from.

Squared distances are summed axis 0 first, as ``scipy.ndimage`` does, so a
distance between the same two voxels is bitwise equal to SciPy's.
"""
import numpy as np

from libc.math cimport INFINITY, sqrt
from libc.stdint cimport (int8_t, int16_t, int32_t, int64_t, uint8_t,
                          uint16_t, uint32_t, uint64_t)
from libc.stdlib cimport free, malloc

from segmetrics._kernels._cython._types cimport label_t

cdef enum:
    # Consecutive queries per sampled run when estimating the search cost; the
    # first of each run has no warm bound and is not counted.
    SAMPLE_RUN = 4
    # Lines gathered together by the distance transform's passes across memory.
    BLOCK = 16


def mask_bbox(const label_t[:, :, :] mask):
    """Return ``(found, bits, lo0, hi0, lo1, hi1, lo2, hi2)`` of the non-zero voxels.

    ``hi`` is exclusive; ``bits`` is the OR of every value, so the caller can
    refuse masks that are not 0/1.
    """
    cdef Py_ssize_t n0 = mask.shape[0], n1 = mask.shape[1], n2 = mask.shape[2]
    cdef Py_ssize_t i, j, k, lo0 = n0, hi0 = -1, lo1 = n1, hi1 = -1, lo2 = n2, hi2 = -1
    cdef label_t bits = 0, row_bits
    cdef const label_t* row
    cdef bint contiguous = mask.strides[2] == sizeof(label_t)
    if n0 == 0 or n1 == 0 or n2 == 0:
        return False, 0, 0, 0, 0, 0, 0, 0
    with nogil:
        for i in range(n0):
            for j in range(n1):
                row_bits = 0
                if contiguous:
                    row = &mask[i, j, 0]
                    for k in range(n2):
                        row_bits = row_bits | row[k]
                else:
                    for k in range(n2):
                        row_bits = row_bits | mask[i, j, k]
                if row_bits == 0:
                    continue
                bits = bits | row_bits
                if i < lo0:
                    lo0 = i
                hi0 = i
                if j < lo1:
                    lo1 = j
                if j > hi1:
                    hi1 = j
                for k in range(n2):
                    if mask[i, j, k] != 0:
                        if k < lo2:
                            lo2 = k
                        break
                for k in range(n2 - 1, -1, -1):
                    if mask[i, j, k] != 0:
                        if k > hi2:
                            hi2 = k
                        break
    if hi0 < 0:
        return False, <uint64_t> bits, 0, 0, 0, 0, 0, 0
    return True, <uint64_t> bits, lo0, hi0 + 1, lo1, hi1 + 1, lo2, hi2 + 1


def label_bboxes(const label_t[:, :, :] labelmap, const label_t[::1] labels,
                 int64_t[:, ::1] boxes):
    """Fill ``boxes[l] = (lo0, hi0, lo1, hi1, lo2, hi2)`` for each sorted label.

    One pass over the map, run by run along the last axis; a label absent from
    it keeps ``lo > hi``. ``boxes`` must come in as ``(shape0, -1, shape1, -1,
    shape2, -1)`` rows; ``hi`` is inclusive.
    """
    cdef Py_ssize_t n0 = labelmap.shape[0], n1 = labelmap.shape[1], n2 = labelmap.shape[2]
    cdef Py_ssize_t n_labels = labels.shape[0], stride = labelmap.strides[2]
    cdef Py_ssize_t i, j, k, k0, a, b, mid, index
    cdef const char* row
    cdef label_t v
    with nogil:
        for i in range(n0):
            for j in range(n1):
                row = <const char*> &labelmap[i, j, 0]
                k = 0
                while k < n2:
                    v = (<const label_t*> (row + k * stride))[0]
                    k0 = k
                    k += 1
                    while k < n2 and (<const label_t*> (row + k * stride))[0] == v:
                        k += 1
                    a = 0
                    b = n_labels
                    while a < b:
                        mid = (a + b) >> 1
                        if labels[mid] < v:
                            a = mid + 1
                        else:
                            b = mid
                    if a == n_labels or labels[a] != v:
                        continue
                    index = a
                    if i < boxes[index, 0]:
                        boxes[index, 0] = i
                    if i > boxes[index, 1]:
                        boxes[index, 1] = i
                    if j < boxes[index, 2]:
                        boxes[index, 2] = j
                    if j > boxes[index, 3]:
                        boxes[index, 3] = j
                    if k0 < boxes[index, 4]:
                        boxes[index, 4] = k0
                    if k - 1 > boxes[index, 5]:
                        boxes[index, 5] = k - 1


cdef struct Volume:
    const char* data
    Py_ssize_t n0, n1, n2, s0, s1, s2  # shape, strides in bytes


cdef inline bint _at(const Volume* m, label_t value, Py_ssize_t i,
                     Py_ssize_t j, Py_ssize_t k) noexcept nogil:
    """Whether (i, j, k) lies in the box and holds ``value``."""
    if i < 0 or j < 0 or k < 0 or i >= m.n0 or j >= m.n1 or k >= m.n2:
        return False
    return (<const label_t*> (m.data + i * m.s0 + j * m.s1 + k * m.s2))[0] == value


cdef inline bint _touches_background(const Volume* m, label_t value, Py_ssize_t i,
                                     Py_ssize_t j, Py_ssize_t k, int ndim) noexcept nogil:
    """Whether one of the 3^ndim - 1 neighbours of (i, j, k) is not ``value``."""
    cdef int a, b, c, lo0 = -1 if ndim >= 3 else 0, lo1 = -1 if ndim >= 2 else 0
    for a in range(lo0, -lo0 + 1):
        for b in range(lo1, -lo1 + 1):
            for c in range(-1, 2):
                if not _at(m, value, i + a, j + b, k + c):
                    return True
    return False


def boundary_rows(const label_t[:, :, :] mask, label_t value, int ndim, bint full):
    """Boundary voxels of ``mask == value`` as ``(row_ptr, cols)``.

    ``mask`` is the bounding box of the object (outside it is background);
    ``ndim`` is the number of real axes (the last ``ndim`` of the view);
    ``full`` selects the 3^ndim - 1 neighbourhood instead of the 2 ndim faces.
    """
    if not full:
        return _face_boundary_rows(mask, value, ndim)
    return _full_boundary_rows(mask, value, ndim)


def _full_boundary_rows(const label_t[:, :, :] mask, label_t value, int ndim):
    """:func:`boundary_rows` for the full neighbourhood, voxel by voxel."""
    cdef Py_ssize_t n0 = mask.shape[0], n1 = mask.shape[1], n2 = mask.shape[2]
    cdef Py_ssize_t i, j, k, n = 0, capacity = max(16, n0 * n1 + n1 * n2 + n0 * n2)
    cdef int64_t[::1] row_ptr = np.empty(n0 * n1 + 1, dtype=np.int64)
    cols_array = np.empty(capacity, dtype=np.int32)
    cdef int32_t[::1] cols = cols_array
    cdef bint grow = False
    cdef Volume m
    cdef const char* row
    m.data = <const char*> &mask[0, 0, 0]
    m.n0, m.n1, m.n2 = n0, n1, n2
    m.s0, m.s1, m.s2 = mask.strides[0], mask.strides[1], mask.strides[2]
    row_ptr[0] = 0
    i = j = k = 0
    while True:
        with nogil:
            while i < n0:
                while j < n1:
                    row = m.data + i * m.s0 + j * m.s1
                    while k < n2:
                        if ((<const label_t*> (row + k * m.s2))[0] == value
                                and _touches_background(&m, value, i, j, k, ndim)):
                            if n == capacity:
                                grow = True
                                break
                            cols[n] = <int32_t> k
                            n += 1
                        k += 1
                    if grow:
                        break
                    row_ptr[i * n1 + j + 1] = n
                    k = 0
                    j += 1
                if grow:
                    break
                j = 0
                i += 1
        if not grow:
            break
        grow = False
        capacity *= 2
        cols_array = np.resize(cols_array, capacity)
        cols = cols_array
    return np.asarray(row_ptr), cols_array[:n].copy()


cdef void _fill_plane(const label_t[:, :, :] mask, label_t value, Py_ssize_t i,
                      uint8_t* plane, Py_ssize_t width) noexcept nogil:
    """``plane[(j + 1) * width + k + 1] = mask[i, j, k] == value``, read in memory order."""
    cdef Py_ssize_t n1 = mask.shape[1], n2 = mask.shape[2], j, k
    if mask.strides[1] < mask.strides[2]:
        for k in range(n2):
            for j in range(n1):
                plane[(j + 1) * width + k + 1] = mask[i, j, k] == value
    else:
        for j in range(n1):
            for k in range(n2):
                plane[(j + 1) * width + k + 1] = mask[i, j, k] == value


def _face_boundary_rows(const label_t[:, :, :] mask, label_t value, int ndim):
    """:func:`boundary_rows` for the face neighbourhood, a plane at a time.

    Three planes of 0/1 flags with a one-voxel frame (outside the box is
    background) are kept; each row's boundary is ``centre & ~(all six face
    neighbours)``, a branch-free loop the compiler vectorises. An axis the
    input does not have (``ndim < 3``: axis 0, ``ndim < 2``: axis 1) has no
    neighbours along it: its frame and the missing planes are filled with 1.
    """
    cdef Py_ssize_t n0 = mask.shape[0], n1 = mask.shape[1], n2 = mask.shape[2]
    cdef Py_ssize_t width = n2 + 2, area = (n1 + 2) * (n2 + 2)
    cdef Py_ssize_t i, j, k, n = 0, capacity = max(16, n0 * n1 + n1 * n2 + n0 * n2)
    cdef int64_t[::1] row_ptr = np.empty(n0 * n1 + 1, dtype=np.int64)
    cols_array = np.empty(capacity, dtype=np.int32)
    cdef int32_t[::1] cols = cols_array
    buffers_array = np.zeros((3, area), dtype=np.uint8)
    cdef uint8_t[:, ::1] buffers = buffers_array
    cdef Py_ssize_t words = (n2 + 2 + 7) // 8, w
    cdef uint64_t[::1] edge_words = np.zeros(words, dtype=np.uint64)
    cdef uint8_t* edge = <uint8_t*> &edge_words[0]
    cdef uint8_t* before = &buffers[0, 0]
    cdef uint8_t* plane = &buffers[1, 0]
    cdef uint8_t* after = &buffers[2, 0]
    cdef uint8_t* swap
    cdef const uint8_t* c
    cdef const uint8_t* up
    cdef const uint8_t* down
    cdef const uint8_t* b
    cdef const uint8_t* a
    if ndim < 3:
        buffers_array[0] = 1
        buffers_array[2] = 1
    if ndim < 2:
        buffers_array[:, 1:n2 + 1] = 1
        buffers_array[:, area - width + 1:area - 1] = 1
    row_ptr[0] = 0
    with nogil:
        _fill_plane(mask, value, 0, plane, width)
    for i in range(n0):
        if n + n1 * n2 > capacity:
            capacity = max(2 * capacity, n + n1 * n2)
            cols_array = np.resize(cols_array, capacity)
            cols = cols_array
        with nogil:
            if ndim >= 3:
                if i + 1 < n0:
                    _fill_plane(mask, value, i + 1, after, width)
                else:
                    for k in range(area):
                        after[k] = 0
            for j in range(n1):
                c = plane + (j + 1) * width
                up = c - width
                down = c + width
                b = before + (j + 1) * width
                a = after + (j + 1) * width
                for k in range(1, n2 + 1):
                    edge[k] = c[k] & (1 ^ (c[k - 1] & c[k + 1] & up[k] & down[k] & b[k] & a[k]))
                for w in range(words):
                    if edge_words[w] == 0:
                        continue
                    for k in range(8 * w, 8 * w + 8):
                        if edge[k]:
                            cols[n] = <int32_t> (k - 1)
                            n += 1
                row_ptr[i * n1 + j + 1] = n
            if ndim >= 3:
                swap = before
                before = plane
                plane = after
                after = swap
    return np.asarray(row_ptr), cols_array[:n].copy()


cdef inline double _sq3(double d0, double d1, double d2) noexcept nogil:
    # Summed in axis order, as scipy.ndimage.distance_transform_edt does.
    return d0 * d0 + d1 * d1 + d2 * d2


cdef inline Py_ssize_t _lower_bound(const int32_t* cols, Py_ssize_t a, Py_ssize_t b,
                                    int64_t key) noexcept nogil:
    cdef Py_ssize_t mid
    while a < b:
        mid = (a + b) >> 1
        if cols[mid] < key:
            a = mid + 1
        else:
            b = mid
    return a


cdef inline int64_t _clamp(int64_t x, int64_t lo, int64_t hi) noexcept nogil:
    return lo if x < lo else (hi if x > hi else x)


cdef struct Target:
    int64_t n0, n1
    const int64_t* row_ptr
    const int32_t* cols
    double s0, s1, s2


cdef inline int64_t _scan_row(const Target* t, int64_t i, int64_t j, int64_t qk, double lb,
                              double* best, int64_t* bi, int64_t* bj,
                              int64_t* bk) noexcept nogil:
    """Nearest point of row (i, j) to column ``qk``; returns the probes spent.

    ``lb = d0 * d0 + d1 * d1``, so ``lb + d2 * d2`` sums in axis order like SciPy.
    """
    cdef int64_t r = i * t.n1 + j
    cdef Py_ssize_t a = t.row_ptr[r], b = t.row_ptr[r + 1], pos, c
    cdef double d, d2
    if a == b:
        return 1
    if b - a <= 8:
        pos = a
        while pos < b and t.cols[pos] < qk:
            pos += 1
    else:
        pos = _lower_bound(t.cols, a, b, qk)
    for c in range(pos - 1, pos + 1):
        if c < a or c >= b:
            continue
        d2 = <double> (t.cols[c] - qk) * t.s2
        d = lb + d2 * d2
        if d < best[0]:
            best[0] = d
            bi[0] = i
            bj[0] = j
            bk[0] = t.cols[c]
    return 2


cdef inline int64_t _scan_plane(const Target* t, int64_t i, int64_t qi, int64_t qj, int64_t qk,
                         double* best, int64_t* bi, int64_t* bj,
                         int64_t* bk) noexcept nogil:
    cdef double d0 = <double> (i - qi) * t.s0, d1, lb
    cdef int64_t j, j_start = _clamp(qj, 0, t.n1 - 1), probes = 0
    for j in range(j_start, t.n1):
        d1 = <double> (j - qj) * t.s1
        lb = d0 * d0 + d1 * d1
        if lb >= best[0]:
            break
        probes += _scan_row(t, i, j, qk, lb, best, bi, bj, bk)
    for j in range(j_start - 1, -1, -1):
        d1 = <double> (j - qj) * t.s1
        lb = d0 * d0 + d1 * d1
        if lb >= best[0]:
            break
        probes += _scan_row(t, i, j, qk, lb, best, bi, bj, bk)
    return probes


cdef int64_t _nearest(const Target* t, int64_t qi, int64_t qj, int64_t qk, double* best,
                      int64_t* bi, int64_t* bj, int64_t* bk) noexcept nogil:
    """Search planes outward from ``qi`` while a closer point can exist."""
    cdef int64_t i, i_start = _clamp(qi, 0, t.n0 - 1), probes = 0
    cdef double d0
    for i in range(i_start, t.n0):
        d0 = <double> (i - qi) * t.s0
        if d0 * d0 >= best[0]:
            break
        probes += _scan_plane(t, i, qi, qj, qk, best, bi, bj, bk)
    for i in range(i_start - 1, -1, -1):
        d0 = <double> (i - qi) * t.s0
        if d0 * d0 >= best[0]:
            break
        probes += _scan_plane(t, i, qi, qj, qk, best, bi, bj, bk)
    return probes


def directed_distances(const int64_t[::1] q_origin, int64_t q_n1,
                       const int64_t[::1] q_row_ptr, const int32_t[::1] q_cols,
                       const int64_t[::1] t_origin, int64_t t_n0, int64_t t_n1,
                       const int64_t[::1] t_row_ptr, const int32_t[::1] t_cols,
                       const double[::1] spacing, double[::1] out,
                       int64_t sample_every, int64_t max_probes):
    """Distance from each query boundary voxel to the nearest target boundary voxel.

    Rows of the target are searched outward from each query, starting from the
    bound given by the previous query's nearest voxel, until the row's lower
    bound reaches the best distance found. With ``sample_every > 1`` only runs
    of queries are searched (to estimate the cost) and ``out`` is scratch.
    Returns the probes spent (rows visited plus binary searches), or -1 once
    ``max_probes`` (when > 0) is exceeded. The target must not be empty.
    """
    cdef Target t
    cdef int64_t n_rows = q_row_ptr.shape[0] - 1, r, qi, qj, qk, probes = 0, spent
    cdef int64_t bi = -1, bj = 0, bk = 0, n = 0
    cdef Py_ssize_t idx
    cdef double best, d0, d1, d2
    cdef bint counted, exceeded = False
    t.n0 = t_n0
    t.n1 = t_n1
    t.row_ptr = &t_row_ptr[0]
    t.cols = &t_cols[0]
    t.s0 = spacing[0]
    t.s1 = spacing[1]
    t.s2 = spacing[2]
    with nogil:
        for r in range(n_rows):
            qi = q_origin[0] + r // q_n1 - t_origin[0]
            qj = q_origin[1] + r % q_n1 - t_origin[1]
            for idx in range(q_row_ptr[r], q_row_ptr[r + 1]):
                counted = True
                if sample_every > 1:
                    if (n // SAMPLE_RUN) % sample_every != 0:
                        n += 1
                        bi = -1
                        continue
                    counted = n % SAMPLE_RUN != 0
                n += 1
                qk = q_origin[2] + q_cols[idx] - t_origin[2]
                best = INFINITY
                if bi >= 0:
                    # The previous query's nearest voxel bounds this one's distance.
                    best = _sq3(<double> (bi - qi) * t.s0, <double> (bj - qj) * t.s1,
                                <double> (bk - qk) * t.s2)
                spent = _nearest(&t, qi, qj, qk, &best, &bi, &bj, &bk)
                if counted:
                    probes += spent
                out[idx] = sqrt(best)
                if max_probes > 0 and probes > max_probes:
                    exceeded = True
                    break
            if exceeded:
                break
    return -1 if exceeded else probes


cdef void _envelope_pass(double* f, Py_ssize_t n, Py_ssize_t stride, double s,
                         int64_t* v, double* z, double* g) noexcept nogil:
    """Felzenszwalb-Huttenlocher lower envelope along one line, in place.

    ``f[q * stride]`` holds squared distances (inf where unknown). Parabola
    intersections are kept relative to their right site, so their error does not
    grow with the line's length; the final value is the smallest of the chosen
    parabola and its two neighbours, each evaluated as ``t * t + f``.
    """
    cdef Py_ssize_t q, k = -1, m, c
    cdef double fq, d, sq, best, t, val
    for q in range(n):
        g[q] = f[q * stride]
    for q in range(n):
        fq = g[q]
        if fq == INFINITY:
            continue
        while k >= 0:
            d = <double> (q - v[k]) * s
            sq = (fq - g[v[k]] - d * d) / (2.0 * d)  # intersection, relative to q
            # pop v[k] if the new parabola wins before v[k] starts winning
            if k > 0 and sq + d <= z[k]:
                k -= 1
            else:
                break
        if k >= 0:
            z[k + 1] = sq  # where q starts to win, relative to q = v[k + 1]
        k += 1
        v[k] = q
        if k == 0:
            z[0] = -INFINITY
    if k < 0:
        return
    m = 0
    for q in range(n):
        while m < k and z[m + 1] < <double> (q - v[m + 1]) * s:
            m += 1
        best = INFINITY
        for c in range(m - 1, m + 2):
            if c < 0 or c > k:
                continue
            t = <double> (q - v[c]) * s
            val = t * t + g[v[c]]
            if val < best:
                best = val
        f[q * stride] = best


def edt(const uint8_t[::1] mask, shape, const double[::1] spacing):
    """Exact Euclidean distance transform of a C-ordered N-d mask given flat.

    Returns the flat float64 distances from every voxel to the nearest non-zero
    voxel (inf everywhere when there is none). Separable: one envelope pass per
    axis, axis 0 first, then a square root.
    """
    cdef Py_ssize_t size = mask.shape[0], i, a, c0, b, q, nb, pre, post, n
    cdef Py_ssize_t ndim = len(shape), axis, longest = max([1] + list(shape))
    cdef double* row
    out_array = np.empty(size, dtype=np.float64)
    cdef double[::1] out = out_array
    cdef double s
    cdef int64_t* v
    cdef double* z
    cdef double* g
    cdef double* block
    if size == 0:
        return out_array
    v = <int64_t*> malloc(longest * sizeof(int64_t))
    z = <double*> malloc((longest + 1) * sizeof(double))
    g = <double*> malloc(longest * sizeof(double))
    block = <double*> malloc(BLOCK * longest * sizeof(double))
    if v == NULL or z == NULL or g == NULL or block == NULL:
        free(v)
        free(z)
        free(g)
        free(block)
        raise MemoryError()
    try:
        with nogil:
            for i in range(size):
                out[i] = 0.0 if mask[i] != 0 else INFINITY
        for axis in range(ndim):
            n = shape[axis]
            pre = 1
            for a in range(axis):
                pre *= shape[a]
            post = size // (pre * n)
            s = spacing[axis]
            with nogil:
                for a in range(pre):
                    if post == 1:
                        _envelope_pass(&out[a * n], n, 1, s, v, z, g)
                        continue
                    # Lines across memory: gather BLOCK of them at a time, so each
                    # cache line read serves BLOCK lines, run each, scatter back.
                    c0 = 0
                    while c0 < post:
                        nb = min(<Py_ssize_t> BLOCK, post - c0)
                        row = &out[a * n * post + c0]
                        for q in range(n):
                            for b in range(nb):
                                block[b * n + q] = row[q * post + b]
                        for b in range(nb):
                            _envelope_pass(&block[b * n], n, 1, s, v, z, g)
                        for q in range(n):
                            for b in range(nb):
                                row[q * post + b] = block[b * n + q]
                        c0 += nb
        with nogil:
            for i in range(size):
                out[i] = sqrt(out[i])
    finally:
        free(v)
        free(z)
        free(g)
        free(block)
    return out_array
