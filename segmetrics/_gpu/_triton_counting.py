"""Triton counting kernels for device tensors: one pass over both inputs, no copy.

Same names, arguments and return values as the PyTorch reference
:mod:`segmetrics._gpu._torch_counting`. Each program walks a grid-stride range of
blocks, keeps per-lane int32 counts in registers, reduces them once and adds the
totals to int64 counters with integer atomics (exact and order-independent).
Inputs keep their own dtypes and layouts: a pair sharing one contiguous layout
is read as flat memory, any other pair through its (merged) sizes and strides
(:mod:`segmetrics._gpu._layout`). ``bool`` tensors are read as ``uint8``.

The confusion kernel builds a per-program histogram of ``gt * K + pred``
(``tl.histogram``) with one spare bin for ignored and out-of-range voxels; it
runs for ``K <= MAX_CLASSES`` (at most 2048 bins). Larger tables are counted by
the PyTorch reference (``torch.bincount`` slab by slab): that is the rule.
"""
import torch
import triton
import triton.language as tl

from segmetrics._gpu import _torch_counting
from segmetrics._gpu._layout import MAX_DIMS, is_flat, strided_pieces

MAX_CLASSES = 32
# Sizes and strides vary from call to call: one compiled variant per dtype pair and flags.
_VARYING = ["n", "k", "s1", "s2", "s3", "p0", "p1", "p2", "p3", "g0", "g1", "g2", "g3"]
BLOCK = 1024
MAX_PROGRAMS = 4096

# The sparse relabelling and the label range are reductions PyTorch does well.
coded_confusion = _torch_counting.coded_confusion
label_range = _torch_counting.label_range


@triton.jit
def _offsets(offs, s1, s2, s3, t0, t1, t2, t3, FLAT: tl.constexpr):
    """Memory offsets of the row-major indices ``offs`` of a (?, s1, s2, s3) view."""
    if FLAT:
        where = offs
    else:
        i3 = offs % s3
        rest = offs // s3
        i2 = rest % s2
        rest = rest // s2
        i1 = rest % s1
        i0 = rest // s1
        where = i0 * t0 + i1 * t1 + i2 * t2 + i3 * t3
    return where


@triton.jit
def _not_binary(values):
    return (values != 0) & (values != 1)


@triton.jit(do_not_specialize=_VARYING[:1] + _VARYING[2:])
def _binary_counts_kernel(p_ptr, g_ptr, out_ptr, threshold_ptr, ignore_ptr, n,
                          s1, s2, s3, p0, p1, p2, p3, g0, g1, g2, g3,
                          THRESHOLD: tl.constexpr, HAS_IGNORE: tl.constexpr,
                          FLAT: tl.constexpr, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    step = tl.num_programs(0).to(tl.int64) * BLOCK
    lanes = tl.arange(0, BLOCK)
    n_pred = tl.zeros([BLOCK], dtype=tl.int32)
    n_gt = tl.zeros([BLOCK], dtype=tl.int32)
    n_both = tl.zeros([BLOCK], dtype=tl.int32)
    n_valid = tl.zeros([BLOCK], dtype=tl.int32)
    n_bad = tl.zeros([BLOCK], dtype=tl.int32)
    n_nan = tl.zeros([BLOCK], dtype=tl.int32)
    for start in range(pid.to(tl.int64) * BLOCK, n, step):
        offs = start + lanes
        inside = offs < n
        p = tl.load(p_ptr + _offsets(offs, s1, s2, s3, p0, p1, p2, p3, FLAT), mask=inside, other=0)
        g = tl.load(g_ptr + _offsets(offs, s1, s2, s3, g0, g1, g2, g3, FLAT), mask=inside, other=0)
        valid = inside
        if HAS_IGNORE:
            valid = valid & (g != tl.load(ignore_ptr))
        if THRESHOLD:
            fg_pred = (p >= tl.load(threshold_ptr)) & valid
            bad = _not_binary(g) & valid
            n_nan += ((p != p) & inside).to(tl.int32)
        else:
            fg_pred = (p != 0) & valid
            bad = (_not_binary(p) | _not_binary(g)) & valid
        fg_gt = (g != 0) & valid
        n_pred += fg_pred.to(tl.int32)
        n_gt += fg_gt.to(tl.int32)
        n_both += (fg_pred & fg_gt).to(tl.int32)
        n_valid += valid.to(tl.int32)
        n_bad += bad.to(tl.int32)
    tl.atomic_add(out_ptr + 0, tl.sum(n_pred.to(tl.int64), axis=0))
    tl.atomic_add(out_ptr + 1, tl.sum(n_gt.to(tl.int64), axis=0))
    tl.atomic_add(out_ptr + 2, tl.sum(n_both.to(tl.int64), axis=0))
    tl.atomic_add(out_ptr + 3, tl.sum(n_valid.to(tl.int64), axis=0))
    tl.atomic_add(out_ptr + 4, tl.sum(n_bad.to(tl.int64), axis=0))
    if THRESHOLD:
        tl.atomic_add(out_ptr + 5, tl.sum(n_nan.to(tl.int64), axis=0))


@triton.jit(do_not_specialize=_VARYING)
def _confusion_kernel(p_ptr, g_ptr, table_ptr, bad_ptr, ignore_ptr, k, n,
                      s1, s2, s3, p0, p1, p2, p3, g0, g1, g2, g3,
                      HAS_IGNORE: tl.constexpr, FLAT: tl.constexpr, BINS: tl.constexpr,
                      BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    step = tl.num_programs(0).to(tl.int64) * BLOCK
    lanes = tl.arange(0, BLOCK)
    spare = BINS - 1
    histogram = tl.zeros([BINS], dtype=tl.int32)
    n_bad = tl.zeros([BLOCK], dtype=tl.int32)
    for start in range(pid.to(tl.int64) * BLOCK, n, step):
        offs = start + lanes
        inside = offs < n
        p = tl.load(p_ptr + _offsets(offs, s1, s2, s3, p0, p1, p2, p3, FLAT), mask=inside, other=0)
        g = tl.load(g_ptr + _offsets(offs, s1, s2, s3, g0, g1, g2, g3, FLAT), mask=inside, other=0)
        valid = inside
        if HAS_IGNORE:
            valid = valid & (g != tl.load(ignore_ptr))
        p = p.to(tl.int64)
        g = g.to(tl.int64)
        in_range = valid & (g >= 0) & (g < k) & (p >= 0) & (p < k)
        bins = tl.where(in_range, g * k + p, spare).to(tl.int32)
        histogram += tl.histogram(bins, BINS)
        n_bad += (valid & ~in_range).to(tl.int32)
    edges = tl.arange(0, BINS)
    tl.atomic_add(table_ptr + edges, histogram.to(tl.int64), mask=edges < k * k)
    tl.atomic_add(bad_ptr, tl.sum(n_bad.to(tl.int64), axis=0))


def _as_loadable(tensor):
    return tensor.view(torch.uint8) if tensor.dtype == torch.bool else tensor


def _launch(kernel, pred, gt, head, **constants):
    """Run ``kernel`` over every strided piece of the pair: ``kernel(p, g, *head, n, ...)``."""
    for p, g, sizes, p_strides, g_strides in strided_pieces(pred, gt):
        n = 1
        for size in sizes:
            n *= size
        pad = MAX_DIMS - len(sizes)
        sizes = [1] * pad + list(sizes)
        p_strides = [0] * pad + list(p_strides)
        g_strides = [0] * pad + list(g_strides)
        flat = is_flat(sizes[pad:], p_strides[pad:], g_strides[pad:])
        grid = (max(1, min(triton.cdiv(n, BLOCK), MAX_PROGRAMS)),)
        kernel[grid](_as_loadable(p), _as_loadable(g), *head, n, *sizes[1:], *p_strides,
                     *g_strides, FLAT=flat, BLOCK=BLOCK, **constants)


def binary_counts(pred, gt, ignore):
    """``[n_pred, n_gt, n_both, n_valid, n_not_binary]`` (see the PyTorch reference)."""
    out = torch.zeros(5, dtype=torch.int64, device=pred.device)
    ignore_arg = out if ignore is None else _as_loadable(ignore)
    _launch(_binary_counts_kernel, pred, gt, (out, out, ignore_arg), THRESHOLD=False,
            HAS_IGNORE=ignore is not None)
    return out


def threshold_counts(prob, gt, threshold, ignore):
    """``[n_pred, n_gt, n_both, n_valid, n_not_binary, n_nan]`` (see the PyTorch reference)."""
    out = torch.zeros(6, dtype=torch.int64, device=prob.device)
    ignore_arg = out if ignore is None else _as_loadable(ignore)
    _launch(_binary_counts_kernel, prob, gt, (out, threshold, ignore_arg), THRESHOLD=True,
            HAS_IGNORE=ignore is not None)
    return out


def confusion_matrix(pred, gt, k, ignore):
    """``(table, n_out_of_range)`` (see the PyTorch reference); the reference for K > 32."""
    if k > MAX_CLASSES:
        return _torch_counting.confusion_matrix(pred, gt, k, ignore)
    table = torch.zeros(k * k, dtype=torch.int64, device=pred.device)
    n_bad = torch.zeros(1, dtype=torch.int64, device=pred.device)
    ignore_arg = n_bad if ignore is None else _as_loadable(ignore)
    bins = triton.next_power_of_2(k * k + 1)
    _launch(_confusion_kernel, pred, gt, (table, n_bad, ignore_arg, k),
            HAS_IGNORE=ignore is not None, BINS=bins)
    return table.reshape(k, k), n_bad
