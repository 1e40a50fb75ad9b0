"""Slow, obvious versions of the distance metrics, named like the API.

Two layers: ``brute_directed`` compares every pair of boundary voxels (tiny
inputs only) and checks the SciPy layer, which is the issue's definition:
``distance_transform_edt(~boundary_other, sampling=spacing)`` sampled at the
boundary voxels, boundaries found by erosion with the outside as background.
"""
import math

import numpy as np
from scipy import ndimage


def boundary(mask, connectivity="face", image_border="boundary"):
    """Foreground voxels with a background neighbour; outside the image is background
    unless ``image_border="ignored"`` (then it counts as foreground: no boundary there)."""
    mask = np.asarray(mask, dtype=bool)
    rank = mask.ndim if connectivity == "full" else 1
    structure = ndimage.generate_binary_structure(mask.ndim, rank)
    outside = int(image_border == "ignored")
    return mask & ~ndimage.binary_erosion(mask, structure, border_value=outside)


def directed(query_boundary, target_boundary, spacing):
    """Distances (C order of the query voxels) from each query voxel to the target set."""
    if not query_boundary.any():
        return np.empty(0)
    if not target_boundary.any():
        return np.full(np.count_nonzero(query_boundary), np.inf)
    field = ndimage.distance_transform_edt(~target_boundary, sampling=spacing)
    return field[query_boundary]


def brute_directed(query_boundary, target_boundary, spacing):
    q = np.argwhere(query_boundary)
    t = np.argwhere(target_boundary)
    if q.size == 0:
        return np.empty(0)
    if t.size == 0:
        return np.full(len(q), np.inf)
    offsets = (q[:, None, :] - t[None, :, :]) * np.asarray(spacing, dtype=np.float64)
    return np.sqrt((offsets ** 2).sum(-1)).min(axis=1)


def surface_distances(pred, gt, spacing=None, connectivity="face", image_border="boundary"):
    """``(pred_to_gt, gt_to_pred)``."""
    spacing = (1.0,) * np.ndim(pred) if spacing is None else spacing
    bp = boundary(pred, connectivity, image_border)
    bg = boundary(gt, connectivity, image_border)
    return directed(bp, bg, spacing), directed(bg, bp, spacing)


def _empty_rule(a, b, one_empty):
    if a.size == 0 and b.size == 0:
        return math.nan
    if a.size == 0 or b.size == 0:
        return one_empty
    return None


def hausdorff(pred, gt, spacing=None, percentile=None, hd_mode="max", connectivity="face"):
    a, b = surface_distances(pred, gt, spacing, connectivity)
    empty = _empty_rule(a, b, math.inf)
    if empty is not None:
        return empty
    if percentile is None:
        return float(max(a.max(), b.max()))
    if hd_mode == "pooled":
        return float(np.percentile(np.concatenate((a, b)), percentile))
    return float(max(np.percentile(a, percentile), np.percentile(b, percentile)))


def assd(pred, gt, spacing=None, connectivity="face"):
    a, b = surface_distances(pred, gt, spacing, connectivity)
    empty = _empty_rule(a, b, math.inf)
    return empty if empty is not None else float(np.concatenate((a, b)).mean())


def surface_dice(pred, gt, tolerance, spacing=None, connectivity="face"):
    a, b = surface_distances(pred, gt, spacing, connectivity)
    empty = _empty_rule(a, b, 0.0)
    if empty is not None:
        return empty
    return (np.count_nonzero(a <= tolerance) + np.count_nonzero(b <= tolerance)) / (a.size + b.size)


def euclidean_distance_transform(mask, spacing=None):
    mask = np.asarray(mask)
    if not mask.any():
        return np.full(mask.shape, np.inf)
    return ndimage.distance_transform_edt(mask == 0, sampling=spacing)


def surfel_codes(mask):
    """DeepMind's neighbour code of every voxel corner (shape + 1 per axis).

    The corner between voxels ``c - 1`` and ``c`` sums, over its ``2**ndim``
    voxels at offsets ``o`` (0 for ``c - 1``, 1 for ``c``), ``2**(2**ndim - 1 -
    int("o_0 o_1 ...", 2))`` for each foreground voxel; outside is background.
    """
    mask = np.asarray(mask, dtype=bool)
    ndim = mask.ndim
    padded = np.pad(mask.astype(np.int64), 1)
    weights = (2 ** np.arange(2 ** ndim)[::-1]).reshape((2,) * ndim)
    codes = np.zeros(tuple(n + 1 for n in mask.shape), dtype=np.int64)
    for offset in np.ndindex(*weights.shape):
        codes += weights[offset] * padded[tuple(slice(o, o + n + 1)
                                                for o, n in zip(offset, mask.shape))]
    return codes


def surfel_distances(pred, gt, spacing=None):
    """``(pred_to_gt, gt_to_pred, pred_codes, gt_codes)`` between surface points.

    Surface points are corners whose code is neither all-0 nor all-1, in C order
    of the corner grid; distances by SciPy's EDT on that grid.
    """
    spacing = (1.0,) * np.ndim(pred) if spacing is None else spacing
    full = 2 ** (2 ** np.ndim(pred)) - 1
    cp, cg = surfel_codes(pred), surfel_codes(gt)
    sp, sg = (cp > 0) & (cp < full), (cg > 0) & (cg < full)
    return directed(sp, sg, spacing), directed(sg, sp, spacing), cp[sp], cg[sg]
