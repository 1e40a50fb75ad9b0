"""Numba kernel for lesion-wise evaluation: per-component tables and overlaps in one pass.

Same name, arguments and return values as ``_reference/lesion.py``.
"""
import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True)

BLOCK = 256


@_jit
def _component_tables(gt, pred, shape, n_gt, n_pred):
    ny, nx = shape[1], shape[2]
    big = gt.size
    gt_volume = np.zeros(n_gt + 1, np.int64)
    pred_volume = np.zeros(n_pred + 1, np.int64)
    gt_first = np.full(n_gt + 1, big, np.int64)
    pred_first = np.full(n_pred + 1, big, np.int64)
    gt_box = np.empty((n_gt + 1, 6), np.int64)
    pred_box = np.empty((n_pred + 1, 6), np.int64)
    for axis in range(3):
        gt_box[:, 2 * axis] = big
        gt_box[:, 2 * axis + 1] = -1
        pred_box[:, 2 * axis] = big
        pred_box[:, 2 * axis + 1] = -1
    codes = np.empty(1024, np.int64)
    n_both = 0
    stride = n_pred + 1
    for start in range(0, big, BLOCK):
        stop = min(start + BLOCK, big)
        # Skip blocks of background with a vectorisable OR reduction.
        any_fg = gt[start] ^ gt[start]
        for i in range(start, stop):
            any_fg |= gt[i] | pred[i]
        if any_fg == 0:
            continue
        for i in range(start, stop):
            g = gt[i]
            p = pred[i]
            if g == 0 and p == 0:
                continue
            z = i // (ny * nx)
            y = (i // nx) % ny
            x = i % nx
            if g:
                if gt_volume[g] == 0:
                    gt_first[g] = i
                gt_volume[g] += 1
                _grow(gt_box, g, z, y, x)
            if p:
                if pred_volume[p] == 0:
                    pred_first[p] = i
                pred_volume[p] += 1
                _grow(pred_box, p, z, y, x)
                if g:
                    if n_both == codes.size:
                        grown = np.empty(2 * codes.size, np.int64)
                        grown[:n_both] = codes
                        codes = grown
                    codes[n_both] = np.int64(g) * stride + p
                    n_both += 1
    return gt_volume, gt_first, gt_box, pred_volume, pred_first, pred_box, codes[:n_both].copy()


@_jit
def _grow(box, label, z, y, x):
    box[label, 0] = min(box[label, 0], z)
    box[label, 1] = max(box[label, 1], z)
    box[label, 2] = min(box[label, 2], y)
    box[label, 3] = max(box[label, 3], y)
    box[label, 4] = min(box[label, 4], x)
    box[label, 5] = max(box[label, 5], x)


def component_tables(gt, pred, n_gt, n_pred):
    """Volumes, first C-order voxel index and inclusive bounding box of every component
    of two 3-D C-contiguous label maps (ids ``1..n``), and the codes
    ``g * (n_pred + 1) + p`` of every voxel inside both a true and a predicted component,
    in C order.

    Returns ``(gt_volume, gt_first, gt_box, pred_volume, pred_first, pred_box, codes)``;
    the per-component arrays have ``n + 1`` rows (row 0 unused), boxes are
    ``(z0, z1, y0, y1, x0, x1)``.
    """
    shape = np.array(gt.shape, dtype=np.int64)
    return _component_tables(gt.reshape(-1), pred.reshape(-1), shape, n_gt, n_pred)
