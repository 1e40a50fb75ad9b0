"""Numba distance kernels: the Cython algorithms, JIT-compiled and cached.

Same names, arguments and return values as the reference and Cython kernels;
see ``segmetrics/_kernels/_cython/_distance.pyx`` for the data layout.
"""
import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)

SAMPLE_RUN = 4


@_jit
def _lower_bound(values, a, b, key):
    """The first index in ``[a, b)`` of sorted ``values`` whose value is not below ``key``."""
    while a < b:
        mid = (a + b) >> 1
        if values[mid] < key:
            a = mid + 1
        else:
            b = mid
    return a


@_jit
def _mask_bbox(mask):
    n0, n1, n2 = mask.shape
    lo0, hi0, lo1, hi1, lo2, hi2 = n0, -1, n1, -1, n2, -1
    zero = mask[0, 0, 0] ^ mask[0, 0, 0]
    bits = zero
    for i in range(n0):
        for j in range(n1):
            row_bits = zero
            for k in range(n2):
                row_bits |= mask[i, j, k]
            if row_bits == 0:
                continue
            bits |= row_bits
            lo0 = min(lo0, i)
            hi0 = i
            lo1 = min(lo1, j)
            hi1 = max(hi1, j)
            for k in range(n2):
                if mask[i, j, k] != 0:
                    lo2 = min(lo2, k)
                    break
            for k in range(n2 - 1, -1, -1):
                if mask[i, j, k] != 0:
                    hi2 = max(hi2, k)
                    break
    return bits, lo0, hi0, lo1, hi1, lo2, hi2


def mask_bbox(mask):
    bits, lo0, hi0, lo1, hi1, lo2, hi2 = _mask_bbox(mask)
    bits = int(np.asarray(bits).astype(np.uint64))
    if hi0 < 0:
        return (False, bits, 0, 0, 0, 0, 0, 0)
    return (True, bits, int(lo0), int(hi0) + 1, int(lo1), int(hi1) + 1, int(lo2), int(hi2) + 1)


@_jit
def _label_bboxes(labelmap, labels, boxes):
    n0, n1, n2 = labelmap.shape
    n_labels = labels.shape[0]
    for i in range(n0):
        for j in range(n1):
            k = 0
            while k < n2:  # one label look-up per run of equal values
                v = labelmap[i, j, k]
                k0 = k
                k += 1
                while k < n2 and labelmap[i, j, k] == v:
                    k += 1
                a = _lower_bound(labels, 0, n_labels, v)
                if a == n_labels or labels[a] != v:
                    continue
                boxes[a, 0] = min(boxes[a, 0], i)
                boxes[a, 1] = max(boxes[a, 1], i)
                boxes[a, 2] = min(boxes[a, 2], j)
                boxes[a, 3] = max(boxes[a, 3], j)
                boxes[a, 4] = min(boxes[a, 4], k0)
                boxes[a, 5] = max(boxes[a, 5], k - 1)


def label_bboxes(labelmap, labels, boxes):
    _label_bboxes(labelmap, labels, boxes)


@_jit
def _inside(m, value, i, j, k):
    if i < 0 or j < 0 or k < 0 or i >= m.shape[0] or j >= m.shape[1] or k >= m.shape[2]:
        return False
    return m[i, j, k] == value


@_jit
def _touches_background(m, value, i, j, k, ndim):
    """Whether one of the 3^ndim - 1 neighbours of (i, j, k) is not ``value``."""
    lo0 = -1 if ndim >= 3 else 0
    lo1 = -1 if ndim >= 2 else 0
    for a in range(lo0, -lo0 + 1):
        for b in range(lo1, -lo1 + 1):
            for c in range(-1, 2):
                if not _inside(m, value, i + a, j + b, k + c):
                    return True
    return False


@_jit
def _full_boundary_rows(mask, value, ndim):
    """The full-neighbourhood boundary, voxel by voxel."""
    n0, n1, n2 = mask.shape
    row_ptr = np.empty(n0 * n1 + 1, dtype=np.int64)
    cols = np.empty(max(16, n0 * n1 + n1 * n2 + n0 * n2), dtype=np.int32)
    n = 0
    row_ptr[0] = 0
    for i in range(n0):
        for j in range(n1):
            for k in range(n2):
                if mask[i, j, k] == value and _touches_background(mask, value, i, j, k, ndim):
                    if n == cols.shape[0]:
                        grown = np.empty(2 * n, dtype=np.int32)
                        grown[:n] = cols
                        cols = grown
                    cols[n] = k
                    n += 1
            row_ptr[i * n1 + j + 1] = n
    return row_ptr, cols[:n].copy()


@_jit
def _fill_plane(mask, value, i, plane):
    """``plane[j + 1, k + 1] = mask[i, j, k] == value``, read in memory order."""
    n1, n2 = mask.shape[1], mask.shape[2]
    if mask.strides[1] < mask.strides[2]:
        for k in range(n2):
            for j in range(n1):
                plane[j + 1, k + 1] = mask[i, j, k] == value
    else:
        for j in range(n1):
            for k in range(n2):
                plane[j + 1, k + 1] = mask[i, j, k] == value


@_jit
def _face_boundary_rows(mask, value, ndim):
    """The face-neighbourhood boundary a plane at a time, as in the Cython kernel."""
    n0, n1, n2 = mask.shape
    row_ptr = np.empty(n0 * n1 + 1, dtype=np.int64)
    cols = np.empty(max(16, n0 * n1 + n1 * n2 + n0 * n2), dtype=np.int32)
    planes = np.zeros((3, n1 + 2, n2 + 2), dtype=np.uint8)
    if ndim < 3:  # no axis 0: the missing planes are inside
        planes[0] = 1
        planes[2] = 1
    if ndim < 2:  # no axis 1: the frame rows are inside
        planes[:, 0, 1:n2 + 1] = 1
        planes[:, n1 + 1, 1:n2 + 1] = 1
    before, plane, after = 0, 1, 2
    edge = np.zeros(n2 + 2, dtype=np.uint8)
    n = 0
    row_ptr[0] = 0
    _fill_plane(mask, value, 0, planes[plane])
    for i in range(n0):
        if n + n1 * n2 > cols.shape[0]:
            grown = np.empty(max(2 * cols.shape[0], n + n1 * n2), dtype=np.int32)
            grown[:n] = cols[:n]
            cols = grown
        if ndim >= 3:
            if i + 1 < n0:
                _fill_plane(mask, value, i + 1, planes[after])
            else:
                planes[after] = 0
        b, c, a = planes[before], planes[plane], planes[after]
        for j in range(1, n1 + 1):
            for k in range(1, n2 + 1):
                edge[k] = c[j, k] & (1 ^ (c[j, k - 1] & c[j, k + 1] & c[j - 1, k] & c[j + 1, k]
                                          & b[j, k] & a[j, k]))
            for k in range(1, n2 + 1):
                if edge[k]:
                    cols[n] = k - 1
                    n += 1
            row_ptr[i * n1 + j] = n
        if ndim >= 3:
            before, plane, after = plane, after, before
    return row_ptr, cols[:n].copy()


def boundary_rows(mask, value, ndim, full):
    if not full:
        return _face_boundary_rows(mask, value, ndim)
    return _full_boundary_rows(mask, value, ndim)


@_jit
def _sq3(d0, d1, d2):
    # Summed in axis order, as scipy.ndimage.distance_transform_edt does.
    return d0 * d0 + d1 * d1 + d2 * d2


@_jit
def _scan_row(t_n1, row_ptr, cols, s2, i, j, qk, state, d0, d1):
    """Nearest point of row (i, j) to column ``qk``; ``state = [best, bi, bj, bk]``."""
    r = i * t_n1 + j
    a = row_ptr[r]
    b = row_ptr[r + 1]
    if a == b:
        return 1
    lo = _lower_bound(cols, a, b, qk)
    for c in range(lo - 1, lo + 1):
        if c < a or c >= b:
            continue
        d = _sq3(d0, d1, np.float64(cols[c] - qk) * s2)
        if d < state[0]:
            state[0] = d
            state[1] = i
            state[2] = j
            state[3] = cols[c]
    return 2


@_jit
def _scan_plane(t_n1, row_ptr, cols, s0, s1, s2, i, qi, qj, qk, state):
    d0 = np.float64(i - qi) * s0
    j_start = min(max(qj, 0), t_n1 - 1)
    probes = 0
    for j in range(j_start, t_n1):
        d1 = np.float64(j - qj) * s1
        if d0 * d0 + d1 * d1 >= state[0]:
            break
        probes += _scan_row(t_n1, row_ptr, cols, s2, i, j, qk, state, d0, d1)
    for j in range(j_start - 1, -1, -1):
        d1 = np.float64(j - qj) * s1
        if d0 * d0 + d1 * d1 >= state[0]:
            break
        probes += _scan_row(t_n1, row_ptr, cols, s2, i, j, qk, state, d0, d1)
    return probes


@_jit
def _directed(q_origin, q_n1, q_row_ptr, q_cols, t_origin, t_n0, t_n1, t_row_ptr, t_cols,
              spacing, out, sample_every, max_probes):
    s0, s1, s2 = spacing[0], spacing[1], spacing[2]
    state = np.empty(4, dtype=np.float64)  # best, bi, bj, bk (indices exact in float64)
    have_prev = False
    bi = bj = bk = 0
    probes = 0
    n = 0
    for r in range(q_row_ptr.shape[0] - 1):
        qi = q_origin[0] + r // q_n1 - t_origin[0]
        qj = q_origin[1] + r % q_n1 - t_origin[1]
        for idx in range(q_row_ptr[r], q_row_ptr[r + 1]):
            counted = True
            if sample_every > 1:
                if (n // SAMPLE_RUN) % sample_every != 0:
                    n += 1
                    have_prev = False
                    continue
                counted = n % SAMPLE_RUN != 0
            n += 1
            qk = q_origin[2] + q_cols[idx] - t_origin[2]
            state[0] = np.inf
            if have_prev:
                # The previous query's nearest voxel bounds this one's distance.
                state[0] = _sq3(np.float64(bi - qi) * s0, np.float64(bj - qj) * s1,
                                np.float64(bk - qk) * s2)
            state[1] = bi
            state[2] = bj
            state[3] = bk
            spent = 0
            i_start = min(max(qi, 0), t_n0 - 1)
            for i in range(i_start, t_n0):
                d0 = np.float64(i - qi) * s0
                if d0 * d0 >= state[0]:
                    break
                spent += _scan_plane(t_n1, t_row_ptr, t_cols, s0, s1, s2, i, qi, qj, qk, state)
            for i in range(i_start - 1, -1, -1):
                d0 = np.float64(i - qi) * s0
                if d0 * d0 >= state[0]:
                    break
                spent += _scan_plane(t_n1, t_row_ptr, t_cols, s0, s1, s2, i, qi, qj, qk, state)
            bi = np.int64(state[1])
            bj = np.int64(state[2])
            bk = np.int64(state[3])
            have_prev = True
            if counted:
                probes += spent
            out[idx] = np.sqrt(state[0])
            if max_probes > 0 and probes > max_probes:
                return -1
    return probes


def directed_distances(q_origin, q_n1, q_row_ptr, q_cols, t_origin, t_n0, t_n1, t_row_ptr,
                       t_cols, spacing, out, sample_every, max_probes):
    return int(_directed(q_origin, q_n1, q_row_ptr, q_cols, t_origin, t_n0, t_n1, t_row_ptr,
                         t_cols, spacing, out, sample_every, max_probes))


@_jit
def _envelope_pass(f, base, n, stride, s, v, z, g):
    """Felzenszwalb-Huttenlocher lower envelope along one line, as in the Cython kernel."""
    for q in range(n):
        g[q] = f[base + q * stride]
    k = -1
    sq = 0.0
    for q in range(n):
        fq = g[q]
        if fq == np.inf:
            continue
        while k >= 0:
            d = np.float64(q - v[k]) * s
            sq = (fq - g[v[k]] - d * d) / (2.0 * d)
            if k > 0 and sq + d <= z[k]:
                k -= 1
            else:
                break
        if k >= 0:
            z[k + 1] = sq
        k += 1
        v[k] = q
        if k == 0:
            z[0] = -np.inf
    if k < 0:
        return
    m = 0
    for q in range(n):
        while m < k and z[m + 1] < np.float64(q - v[m + 1]) * s:
            m += 1
        best = np.inf
        for c in range(m - 1, m + 2):
            if c < 0 or c > k:
                continue
            t = np.float64(q - v[c]) * s
            val = t * t + g[v[c]]
            best = min(best, val)
        f[base + q * stride] = best


@_jit
def _edt(mask, shape, spacing):
    size = mask.shape[0]
    out = np.empty(size, dtype=np.float64)
    for i in range(size):
        out[i] = 0.0 if mask[i] != 0 else np.inf
    longest = 1
    for n in shape:
        longest = max(longest, n)
    v = np.empty(longest, dtype=np.int64)
    z = np.empty(longest + 1, dtype=np.float64)
    g = np.empty(longest, dtype=np.float64)
    pre = 1
    for axis in range(shape.shape[0]):
        n = shape[axis]
        post = size // (pre * n)
        for a in range(pre):
            for c in range(post):
                _envelope_pass(out, a * n * post + c, n, post, spacing[axis], v, z, g)
        pre *= n
    for i in range(size):
        out[i] = np.sqrt(out[i])
    return out


def edt(mask, shape, spacing):
    if mask.shape[0] == 0:
        return np.empty(0, dtype=np.float64)
    return _edt(mask, np.asarray(shape, dtype=np.int64), spacing)
