"""Memory layout of two same-shape device tensors, walked together without a copy.

Counting is order-independent as long as both tensors are walked in the same
order. :func:`strided_pieces` permutes both into ``pred``'s memory order, drops
unit axes and merges axes that are contiguous in both, so a C-, F- or any
same-layout pair becomes one flat run (the kernels' contiguous fast path) and a
strided slice or a mixed-layout pair keeps at most a few (size, stride) axes
that the Triton kernels follow with index arithmetic. Nothing is copied; pairs
that still need more than :data:`MAX_DIMS` axes are split into pieces along
their leading axes. :func:`flat_slabs` gives the PyTorch reference 1-D slabs
whose copies (for non-contiguous pairs only) are bounded by ``SLAB_ELEMENTS``.
"""
import itertools
import math

MAX_DIMS = 4
SLAB_ELEMENTS = 1 << 24


def _merged_axes(pred, gt):
    """``(sizes, pred_strides, gt_strides)``: pred's memory order, unit axes dropped, merged."""
    axes = [d for d in range(pred.dim()) if pred.shape[d] != 1]
    axes.sort(key=lambda d: (pred.stride(d), gt.stride(d)), reverse=True)
    sizes, p_strides, g_strides = [], [], []
    for d in axes:
        size, ps, gs = pred.shape[d], pred.stride(d), gt.stride(d)
        if sizes and p_strides[-1] == ps * size and g_strides[-1] == gs * size:
            sizes[-1] *= size
            p_strides[-1], g_strides[-1] = ps, gs
        else:
            sizes.append(size)
            p_strides.append(ps)
            g_strides.append(gs)
    return sizes or [1], p_strides or [1], g_strides or [1]


def strided_pieces(pred, gt):
    """Yield ``(pred_view, gt_view, sizes, pred_strides, gt_strides)`` covering the pair.

    ``sizes`` has at most :data:`MAX_DIMS` entries; element ``i`` (in row-major order of
    ``sizes``) of a piece sits at ``sum(index * stride)`` from each view's first element.
    A piece with ``sizes == [n]`` and unit strides is contiguous in both tensors.
    """
    sizes, p_strides, g_strides = _merged_axes(pred, gt)
    lead = max(0, len(sizes) - MAX_DIMS)
    if lead == 0:
        yield pred, gt, sizes, p_strides, g_strides
        return
    p_all = pred.as_strided(sizes, p_strides)
    g_all = gt.as_strided(sizes, g_strides)
    for index in itertools.product(*(range(s) for s in sizes[:lead])):
        yield (p_all[index], g_all[index], sizes[lead:], p_strides[lead:], g_strides[lead:])


def is_flat(sizes, p_strides, g_strides):
    return len(sizes) == 1 and p_strides[0] == 1 and g_strides[0] == 1


def flat_slabs(pred, gt, elements=SLAB_ELEMENTS):
    """Yield pairs of 1-D tensors covering ``pred`` and ``gt`` element for element.

    Views when both share one contiguous layout; otherwise slabs along the leading
    merged axis, each copied by ``reshape`` with at most about ``elements`` elements
    (or one row of the leading axis, if a row is larger).
    """
    sizes, p_strides, g_strides = _merged_axes(pred, gt)
    p_all = pred.as_strided(sizes, p_strides)
    g_all = gt.as_strided(sizes, g_strides)
    if is_flat(sizes, p_strides, g_strides):
        for start in range(0, sizes[0], elements):
            yield p_all[start:start + elements], g_all[start:start + elements]
        return
    row = math.prod(sizes[1:])
    rows = max(1, elements // row)
    for start in range(0, sizes[0], rows):
        yield (p_all[start:start + rows].reshape(-1), g_all[start:start + rows].reshape(-1))
