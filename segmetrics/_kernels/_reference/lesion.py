"""NumPy reference of the lesion-wise kernel (see ``_numba/lesion.py`` for the contract)."""
import numpy as np


def _tables(labels, n):
    flat = labels.reshape(-1).astype(np.int64)
    volume = np.bincount(flat, minlength=n + 1)
    volume[0] = 0
    big = labels.size
    first = np.full(n + 1, big, np.int64)
    at = np.flatnonzero(flat)
    np.minimum.at(first, flat[at], at)
    box = np.empty((n + 1, 6), np.int64)
    box[:, 0::2] = big
    box[:, 1::2] = -1
    coords = np.unravel_index(at, labels.shape)
    for axis in range(3):
        np.minimum.at(box[:, 2 * axis], flat[at], coords[axis])
        np.maximum.at(box[:, 2 * axis + 1], flat[at], coords[axis])
    first[volume == 0] = big
    return volume, first, box


def component_tables(gt, pred, n_gt, n_pred):
    gt_volume, gt_first, gt_box = _tables(gt, n_gt)
    pred_volume, pred_first, pred_box = _tables(pred, n_pred)
    g = gt.reshape(-1).astype(np.int64)
    p = pred.reshape(-1).astype(np.int64)
    both = (g > 0) & (p > 0)
    codes = g[both] * (n_pred + 1) + p[both]
    return gt_volume, gt_first, gt_box, pred_volume, pred_first, pred_box, codes
