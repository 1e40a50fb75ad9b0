"""Device reference for the distance kernels: plain PyTorch operations.

The obviously correct analogue of the NumPy backend, with the kernel names and
contracts of :mod:`segmetrics._gpu._triton_distance`:

``boundary_mask(volume, value, ndim, full)``
    ``volume`` is a 3-D view (leading axes of size 1 for 1-D and 2-D arrays,
    any strides); returns a C-contiguous uint8 tensor of its shape, 1 where
    ``volume == value`` and a face (or, with ``full``, any) neighbour along the
    last ``ndim`` axes is not ``value`` or lies outside the image.
``nearest_squared(query, target, spacing, shape)``
    ``query`` (3, nq) and ``target`` (3, nt) int32 voxel coordinates (``nt >= 1``),
    ``spacing`` a float64 tensor of 3 values; returns float64 (nq,): for each
    query the smallest ``sum_a ((q_a - t_a) * spacing_a) ** 2`` over the targets,
    summed in axis order. ``shape`` is the 3-D volume shape the coordinates index.
"""
import itertools

import torch

# Query x target pairs evaluated at once: the temporaries stay near 4 * 8 bytes per pair.
_PAIRS_PER_BLOCK = 1 << 20


def boundary_mask(volume, value, ndim, full):
    inside = volume == value
    padded = torch.nn.functional.pad(inside[None].to(torch.uint8),
                                     (1, 1, 1, 1, 1, 1)[:2 * ndim]).bool()[0]
    shape = inside.shape
    interior = inside.clone()
    for offset in itertools.product((-1, 0, 1), repeat=ndim):
        moved = sum(o != 0 for o in offset)
        if moved == 0 or (moved > 1 and not full):
            continue
        index = [slice(None)] * (3 - ndim) + [
            slice(1 + o, 1 + o + n) for o, n in zip(offset, shape[3 - ndim:])]
        interior &= padded[tuple(index)]
    return (inside & ~interior).to(torch.uint8).contiguous()


def nearest_squared(query, target, spacing, shape):
    nq, nt = query.shape[1], target.shape[1]
    out = torch.empty(nq, dtype=torch.float64, device=query.device)
    t_chunk = max(1, min(nt, _PAIRS_PER_BLOCK))
    q_chunk = max(1, _PAIRS_PER_BLOCK // t_chunk)
    for q0 in range(0, nq, q_chunk):
        q = query[:, q0:q0 + q_chunk]
        best = torch.full((q.shape[1],), torch.inf, dtype=torch.float64, device=query.device)
        for t0 in range(0, nt, t_chunk):
            t = target[:, t0:t0 + t_chunk]
            squared = None
            for axis in range(3):
                offset = (q[axis, :, None] - t[axis, None, :]).to(torch.float64) * spacing[axis]
                squared = offset * offset if squared is None else squared + offset * offset
            best = torch.minimum(best, squared.amin(dim=1))
        out[q0:q0 + q_chunk] = best
    return out
