"""NumPy/SciPy reference distance kernels: slow, obvious, and the oracle for the others.

Same names, arguments and return values as the Cython and Numba kernels. The
directed distances here are the definition itself: SciPy's exact distance
transform of the target boundary, sampled at the query boundary voxels.
SciPy is imported when a kernel runs, never at ``import segmetrics``.
"""
import itertools

import numpy as np


def mask_bbox(mask):
    nonzero = mask != 0
    bits = int(np.bitwise_or.reduce(mask, axis=None).astype(np.uint64)) if mask.size else 0
    if not nonzero.any():
        return (False, bits, 0, 0, 0, 0, 0, 0)
    box = []
    for axis in range(3):
        others = tuple(a for a in range(3) if a != axis)
        present = np.flatnonzero(nonzero.any(axis=others))
        box += [int(present[0]), int(present[-1]) + 1]
    return (True, bits, *box)


def label_bboxes(labelmap, labels, boxes):
    for index, label in enumerate(labels):
        where = np.nonzero(labelmap == label)
        if where[0].size:
            for axis in range(3):
                boxes[index, 2 * axis] = min(boxes[index, 2 * axis], where[axis].min())
                boxes[index, 2 * axis + 1] = max(boxes[index, 2 * axis + 1], where[axis].max())


def _boundary_mask(mask, value, ndim, full):
    """Foreground voxels with a background neighbour; outside the box is background."""
    fg = np.pad(np.asarray(mask) == value, 1)
    n0, n1, n2 = mask.shape
    interior = fg.copy()
    ranges = [(-1, 0, 1) if axis >= 3 - ndim else (0,) for axis in range(3)]
    for offset in itertools.product(*ranges):
        if not full and sum(map(abs, offset)) != 1:
            continue
        if offset == (0, 0, 0):
            continue
        shifted = fg[1 + offset[0]:1 + offset[0] + n0, 1 + offset[1]:1 + offset[1] + n1,
                     1 + offset[2]:1 + offset[2] + n2]
        interior[1:-1, 1:-1, 1:-1] &= shifted
    return fg[1:-1, 1:-1, 1:-1] & ~interior[1:-1, 1:-1, 1:-1]


def boundary_rows(mask, value, ndim, full):
    boundary = _boundary_mask(mask, value, ndim, full)
    n0, n1, n2 = mask.shape
    rows = boundary.reshape(n0 * n1, n2)
    counts = np.count_nonzero(rows, axis=1)
    row_ptr = np.zeros(n0 * n1 + 1, dtype=np.int64)
    np.cumsum(counts, out=row_ptr[1:])
    cols = np.nonzero(rows)[1].astype(np.int32)
    return row_ptr, cols


def _coords(origin, n1, row_ptr, cols):
    rows = np.repeat(np.arange(row_ptr.shape[0] - 1), np.diff(row_ptr))
    return rows // n1 + origin[0], rows % n1 + origin[1], cols.astype(np.int64) + origin[2]


def directed_distances(q_origin, q_n1, q_row_ptr, q_cols, t_origin, t_n0, t_n1, t_row_ptr,
                       t_cols, spacing, out, sample_every, max_probes):
    if sample_every > 1:
        return 0  # no search to estimate: the reference always transforms
    from scipy import ndimage

    q = _coords(q_origin, q_n1, q_row_ptr, q_cols)
    t = _coords(t_origin, t_n1, t_row_ptr, t_cols)
    lo = [min(a.min(), b.min()) for a, b in zip(q, t)]
    hi = [max(a.max(), b.max()) + 1 for a, b in zip(q, t)]
    not_boundary = np.ones([h - l for l, h in zip(lo, hi)], dtype=bool)
    not_boundary[tuple(c - l for c, l in zip(t, lo))] = False
    field = ndimage.distance_transform_edt(not_boundary, sampling=spacing)
    out[:] = field[tuple(c - l for c, l in zip(q, lo))]
    return 0


def edt(mask, shape, spacing):
    from scipy import ndimage

    mask = np.asarray(mask).reshape(shape)
    if not mask.any():
        return np.full(mask.size, np.inf)
    return ndimage.distance_transform_edt(mask == 0, sampling=spacing).reshape(-1)
