"""Triton kernels for the distance metrics; contracts as in :mod:`segmetrics._gpu._torch_distance`.

``boundary_mask`` reads each voxel and its neighbours once, through the input's
own strides (no copy of F-ordered or strided inputs), and writes one byte per
voxel.

``nearest_squared`` is an exact tiled all-pairs search with pruning. The
targets (in C order of their voxels, so consecutive points are spatially
close) are cut into tiles of ``BLOCK_T`` points and groups of ``GROUP`` tiles,
each with its bounding box. A program takes ``BLOCK_Q`` consecutive queries,
keeps their running minima in registers and visits the groups outward from
the one holding the query block's C-order position; a group, and then a tile,
is skipped when the squared distance from each query to its bounding box is
not below that query's current minimum. Every pair that is not skipped is
evaluated in float64, ``((q0 - t0) s0)^2 + ((q1 - t1) s1)^2 + ((q2 - t2) s2)^2``;
the box bound is the same expression with each difference replaced by the
distance to the box along the axis, never larger, so a skipped tile cannot
hold a smaller value (the kernels are launched with ``enable_fp_fusion=False``:
no fused multiply-add makes one expression round differently from the other).
Nothing larger than the boundary point lists and their tile boxes is allocated.
"""
import torch
import triton
import triton.language as tl

BOUNDARY_BLOCK = 1024
BLOCK_Q = 64
BLOCK_T = 64
GROUP = 16


@triton.jit
def _boundary_kernel(volume, out, value, total, n0, n1, n2, s0, s1, s2,
                     NDIM: tl.constexpr, FULL: tl.constexpr, BLOCK: tl.constexpr):
    offsets = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    valid = offsets < total
    k = offsets % n2
    rows = offsets // n2
    j = rows % n1
    i = rows // n1
    inside = valid & (tl.load(volume + i * s0 + j * s1 + k * s2, mask=valid, other=0) == value)
    interior = inside
    for d0 in tl.static_range(3):
        for d1 in tl.static_range(3):
            for d2 in tl.static_range(3):
                moved = (d0 - 1) * (d0 - 1) + (d1 - 1) * (d1 - 1) + (d2 - 1) * (d2 - 1)
                real_axes = ((d0 == 1) or (NDIM == 3)) and ((d1 == 1) or (NDIM >= 2))
                if (moved > 0) and real_axes:
                    if (moved == 1) or FULL:
                        ni = i + (d0 - 1)
                        nj = j + (d1 - 1)
                        nk = k + (d2 - 1)
                        present = ((ni >= 0) & (ni < n0) & (nj >= 0) & (nj < n1)
                                   & (nk >= 0) & (nk < n2))
                        neighbour = tl.load(volume + ni * s0 + nj * s1 + nk * s2,
                                            mask=inside & present, other=0)
                        interior = interior & present & (neighbour == value)
    boundary = inside & (interior == 0)
    tl.store(out + offsets, boundary.to(tl.uint8), mask=valid)


@triton.jit
def _could_improve(boxes, qi, qj, qk, s0, s1, s2, best, valid):
    """Whether a point in the box ``(lo0, hi0, lo1, hi1, lo2, hi2)`` at ``boxes`` could be
    nearer than ``best`` to some query: the squared distance to the box is a lower bound."""
    g0 = tl.maximum(tl.maximum(tl.load(boxes).to(tl.float64) - qi,
                               qi - tl.load(boxes + 1).to(tl.float64)), 0.0) * s0
    g1 = tl.maximum(tl.maximum(tl.load(boxes + 2).to(tl.float64) - qj,
                               qj - tl.load(boxes + 3).to(tl.float64)), 0.0) * s1
    g2 = tl.maximum(tl.maximum(tl.load(boxes + 4).to(tl.float64) - qk,
                               qk - tl.load(boxes + 5).to(tl.float64)), 0.0) * s2
    bound = g0 * g0 + g1 * g1 + g2 * g2
    return tl.sum((valid & (bound < best)).to(tl.int32), axis=0) > 0


@triton.jit
def _nearest_kernel(query, nq, target, nt, tile_boxes, group_boxes, start_groups, spacing, out,
                    n_tiles, n_groups, BLOCK_Q: tl.constexpr, BLOCK_T: tl.constexpr,
                    GROUP: tl.constexpr):
    # Coordinates are converted to float64 once (exactly: they are below 2**31), so every
    # difference below is exact and each product rounds once, as on the host.
    block = tl.program_id(0)
    q = block * BLOCK_Q + tl.arange(0, BLOCK_Q)
    valid = q < nq
    qi = tl.load(query + q, mask=valid, other=0).to(tl.float64)
    qj = tl.load(query + nq + q, mask=valid, other=0).to(tl.float64)
    qk = tl.load(query + 2 * nq + q, mask=valid, other=0).to(tl.float64)
    s0 = tl.load(spacing)
    s1 = tl.load(spacing + 1)
    s2 = tl.load(spacing + 2)
    best = tl.full([BLOCK_Q], float("inf"), tl.float64)
    start = tl.load(start_groups + block)
    for step in range(0, n_groups):
        # Groups start, start + 1, start - 1, start + 2, ... (mod n_groups): each once.
        odd = step % 2
        group = (start + ((step + 1) // 2) * (2 * odd - 1) + n_groups * (1 - odd)) % n_groups
        if _could_improve(group_boxes + 6 * group, qi, qj, qk, s0, s1, s2, best, valid):
            for member in range(0, GROUP):
                tile = group * GROUP + member
                if tile < n_tiles:
                    if _could_improve(tile_boxes + 6 * tile, qi, qj, qk, s0, s1, s2, best,
                                      valid):
                        t = tile * BLOCK_T + tl.arange(0, BLOCK_T)
                        ti = tl.load(target + t).to(tl.float64)
                        tj = tl.load(target + nt + t).to(tl.float64)
                        tk = tl.load(target + 2 * nt + t).to(tl.float64)
                        d0 = (qi[:, None] - ti[None, :]) * s0
                        d1 = (qj[:, None] - tj[None, :]) * s1
                        d2 = (qk[:, None] - tk[None, :]) * s2
                        squared = d0 * d0 + d1 * d1 + d2 * d2
                        best = tl.minimum(best, tl.min(squared, axis=1))
    tl.store(out + q, best, mask=valid)


def boundary_mask(volume, value, ndim, full):
    if volume.dtype == torch.bool:
        volume = volume.view(torch.uint8)
    out = torch.empty(volume.shape, dtype=torch.uint8, device=volume.device)
    total = volume.numel()
    grid = (triton.cdiv(total, BOUNDARY_BLOCK),)
    _boundary_kernel[grid](volume, out, value, total, *volume.shape, *volume.stride(),
                           NDIM=ndim, FULL=full, BLOCK=BOUNDARY_BLOCK,
                           enable_fp_fusion=False)
    return out


def _padded(points, multiple):
    """``points`` with the last one repeated up to a multiple of ``multiple``: the
    repeats change no minimum and keep every box tight."""
    extra = -points.shape[1] % multiple
    if extra:
        points = torch.cat((points, points[:, -1:].expand(points.shape[0], extra)), dim=1)
    return points.contiguous()


def _boxes(points, size):
    """``(n, 6)`` int32 boxes ``lo0, hi0, lo1, hi1, lo2, hi2`` of consecutive runs of ``size``."""
    runs = points.reshape(3, -1, size)
    return torch.stack((runs.amin(dim=2), runs.amax(dim=2)), dim=2).permute(1, 0, 2).reshape(
        -1, 6).contiguous()


def _linear(points, shape):
    """C-order positions of ``(3, n)`` points in a volume of ``shape``."""
    points = points.to(torch.int64)
    return (points[0] * shape[1] + points[1]) * shape[2] + points[2]


def nearest_squared(query, target, spacing, shape):
    nq, nt = query.shape[1], target.shape[1]
    target = _padded(target, BLOCK_T)
    tile_boxes = _boxes(target, BLOCK_T)
    n_tiles = tile_boxes.shape[0]
    runs = _padded(tile_boxes.T, GROUP).T.reshape(-1, GROUP, 3, 2)
    group_boxes = torch.stack((runs[..., 0].amin(dim=1), runs[..., 1].amax(dim=1)),
                              dim=2).reshape(-1, 6).contiguous()
    blocks = triton.cdiv(nq, BLOCK_Q)
    middles = query[:, torch.clamp(torch.arange(blocks, device=query.device) * BLOCK_Q
                                   + BLOCK_Q // 2, max=nq - 1)]
    nearest = torch.searchsorted(_linear(target[:, :nt], shape), _linear(middles, shape))
    start_groups = (torch.clamp(nearest, max=nt - 1) // (BLOCK_T * GROUP)).to(torch.int32)
    out = torch.empty(nq, dtype=torch.float64, device=query.device)
    _nearest_kernel[(blocks,)](query, nq, target, target.shape[1], tile_boxes, group_boxes,
                               start_groups, spacing, out, n_tiles, group_boxes.shape[0],
                               BLOCK_Q=BLOCK_Q, BLOCK_T=BLOCK_T, GROUP=GROUP,
                               enable_fp_fusion=False)
    return out
