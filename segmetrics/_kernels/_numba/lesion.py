"""Numba kernel for lesion-wise evaluation: per-component tables and overlaps in two passes.

Same name, arguments and return values as ``_reference/lesion.py``.
"""
import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)


@_jit
def _component_tables(gt, pred, n_gt, n_pred):
    nz, ny, nx = gt.shape
    big = nz * ny * nx
    gt_volume = np.zeros(n_gt + 1, np.int64)
    pred_volume = np.zeros(n_pred + 1, np.int64)
    gt_first = np.full(n_gt + 1, big, np.int64)
    pred_first = np.full(n_pred + 1, big, np.int64)
    gt_box = np.empty((n_gt + 1, 6), np.int64)
    pred_box = np.empty((n_pred + 1, 6), np.int64)
    for b in (gt_box, pred_box):
        for axis in range(3):
            b[:, 2 * axis] = big
            b[:, 2 * axis + 1] = -1
    n_both = 0
    index = 0
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                g = gt[z, y, x]
                p = pred[z, y, x]
                if g:
                    if gt_volume[g] == 0:
                        gt_first[g] = index
                    gt_volume[g] += 1
                    _grow(gt_box, g, z, y, x)
                if p:
                    if pred_volume[p] == 0:
                        pred_first[p] = index
                    pred_volume[p] += 1
                    _grow(pred_box, p, z, y, x)
                    if g:
                        n_both += 1
                index += 1
    codes = np.empty(n_both, np.int64)
    if n_both:
        stride = n_pred + 1
        i = 0
        for z in range(nz):
            for y in range(ny):
                for x in range(nx):
                    g = gt[z, y, x]
                    p = pred[z, y, x]
                    if g and p:
                        codes[i] = np.int64(g) * stride + p
                        i += 1
    return gt_volume, gt_first, gt_box, pred_volume, pred_first, pred_box, codes


@_jit
def _grow(box, label, z, y, x):
    if z < box[label, 0]:
        box[label, 0] = z
    if z > box[label, 1]:
        box[label, 1] = z
    if y < box[label, 2]:
        box[label, 2] = y
    if y > box[label, 3]:
        box[label, 3] = y
    if x < box[label, 4]:
        box[label, 4] = x
    if x > box[label, 5]:
        box[label, 5] = x


def component_tables(gt, pred, n_gt, n_pred):
    """Volumes, first C-order voxel index and inclusive bounding box of every component
    of two 3-D C-contiguous label maps (ids ``1..n``), and the codes
    ``g * (n_pred + 1) + p`` of every voxel inside both a true and a predicted component.

    Returns ``(gt_volume, gt_first, gt_box, pred_volume, pred_first, pred_box, codes)``;
    the per-component arrays have ``n + 1`` rows (row 0 unused), boxes are
    ``(z0, z1, y0, y1, x0, x1)``.
    """
    return _component_tables(gt, pred, n_gt, n_pred)
