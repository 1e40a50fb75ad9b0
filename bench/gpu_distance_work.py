"""How much work the device search does: a NumPy emulation of its visiting order.

``segmetrics._gpu._triton_distance.nearest_squared`` visits groups of tiles outward from a
start group and skips a group or tile by its bounding box. This script repeats that order
(all query blocks in lockstep) on the benchmark volumes, counts the 64 x 64 tiles of pairs
evaluated against all of them, and checks the minima against SciPy. No GPU is needed:

    python bench/gpu_distance_work.py 256    # or: ct
"""
import pathlib
import sys
import time

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from volumes import organ_pair  # noqa: E402

def boundary(mask):
    return mask & ~ndimage.binary_erosion(mask, border_value=0)


def _boxes(points, size):
    """Padded points as runs of ``size``, with each run's low and high corner."""
    padded = np.concatenate([points, np.repeat(points[-1:], -len(points) % size, 0)])
    runs = padded.reshape(-1, size, points.shape[1])
    return runs, runs.min(1), runs.max(1)


def emulate(query, target, spacing, block_q=64, block_t=64, group=16):
    """``(tiles evaluated, tiles in all, distances)`` of the kernel's search."""
    nq, nt = len(query), len(target)
    tiles, tile_lo, tile_hi = _boxes(target, block_t)
    n_tiles = len(tiles)
    _, group_lo, _ = _boxes(tile_lo, group)
    _, _, group_hi = _boxes(tile_hi, group)
    n_groups = len(group_lo)
    queries, _, _ = _boxes(query, block_q)
    queries = queries.astype(float)
    blocks = len(queries)
    shape = np.maximum(query.max(0), target.max(0)) + 1

    def linear(points):
        return (points[:, 0] * shape[1] + points[:, 1]) * shape[2] + points[:, 2]

    middle = query[np.minimum(np.arange(blocks) * block_q + block_q // 2, nq - 1)]
    start = np.minimum(np.searchsorted(linear(target), linear(middle)), nt - 1) // (
        block_t * group)
    best = np.full((blocks, block_q), np.inf)

    def bound(lo, hi, points):
        gap = np.maximum(np.maximum(lo[:, None, :] - points, points - hi[:, None, :]), 0)
        return ((gap * spacing) ** 2).sum(-1)

    evaluated = 0
    for step in range(n_groups):
        odd = step % 2
        g = (start + ((step + 1) // 2) * (2 * odd - 1) + n_groups * (1 - odd)) % n_groups
        enter = (bound(group_lo[g], group_hi[g], queries) < best).any(1)
        for member in range(group):
            tile = g * group + member
            active = np.flatnonzero(enter & (tile < n_tiles))
            if len(active) == 0:
                continue
            t = tile[active]
            keep = (bound(tile_lo[t], tile_hi[t], queries[active]) < best[active]).any(1)
            active, t = active[keep], t[keep]
            evaluated += len(active)
            squared = (((queries[active][:, :, None, :] - tiles[t][:, None, :, :]) * spacing)
                       ** 2).sum(-1)
            best[active] = np.minimum(best[active], squared.min(2))
    return evaluated, blocks * n_tiles, np.sqrt(best.reshape(-1)[:nq])


def main(case):
    if case == "256":
        pred, gt = organ_pair((256, 256, 256), np.random.default_rng(2))
        spacing = np.array([1.0, 1.0, 1.0])
    else:
        pred, gt = organ_pair((512, 512, 160), np.random.default_rng(3))
        spacing = np.array([0.8, 0.8, 2.5])
    bp, bg = boundary(pred.astype(bool)), boundary(gt.astype(bool))
    print(case, "boundary points", np.count_nonzero(bp), np.count_nonzero(bg), flush=True)
    for query, target, name in ((bp, bg, "pred->gt"), (bg, bp, "gt->pred")):
        began = time.time()
        evaluated, total, found = emulate(np.argwhere(query), np.argwhere(target), spacing)
        expected = ndimage.distance_transform_edt(~target, sampling=spacing)[query]
        print(f"{name}: {evaluated} of {total} tiles evaluated ({evaluated / total:.2%}), "
              f"{evaluated * 64 * 64} pairs; max |difference| from SciPy "
              f"{np.abs(found - expected).max():.2g}; {time.time() - began:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
