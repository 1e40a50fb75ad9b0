"""PyTorch reference counting kernels for device tensors: plain tensor operations.

The device analogue of the NumPy reference backend, and the oracle the Triton
kernels are tested against. Same names, arguments and return values as
:mod:`segmetrics._gpu._triton_counting`. Inputs are same-shape tensors of any
layout on one device, already validated; ``ignore`` is None or a one-element
tensor of ``gt``'s dtype, ``threshold`` a one-element tensor of ``prob``'s dtype.
Results stay on the device as small int64 tensors. The work goes slab by slab
(:func:`segmetrics._gpu._layout.flat_slabs`), so the temporaries are bounded by
the slab size, not the volume.
"""
import torch

from segmetrics._gpu._layout import flat_slabs


def _valid(g, ignore):
    if ignore is None:
        return torch.ones_like(g, dtype=torch.bool)
    return g != ignore


def _not_binary(values):
    return (values != 0) & (values != 1)


def binary_counts(pred, gt, ignore):
    """``[n_pred, n_gt, n_both, n_valid, n_not_binary]`` over the voxels not ignored.

    ``n_not_binary`` counts valid voxels where ``pred`` or ``gt`` is neither 0 nor 1;
    the other counts are only meaningful when it is 0.
    """
    totals = torch.zeros(5, dtype=torch.int64, device=pred.device)
    for p, g in flat_slabs(pred, gt):
        valid = _valid(g, ignore)
        fg_pred = (p != 0) & valid
        fg_gt = (g != 0) & valid
        not_binary = (_not_binary(p) | _not_binary(g)) & valid
        totals += torch.stack([fg_pred.sum(), fg_gt.sum(), (fg_pred & fg_gt).sum(), valid.sum(),
                               not_binary.sum()])
    return totals


def threshold_counts(prob, gt, threshold, ignore):
    """``[n_pred, n_gt, n_both, n_valid, n_not_binary, n_nan]``, foreground ``prob >= threshold``.

    ``n_not_binary`` counts valid ``gt`` voxels neither 0 nor 1; ``n_nan`` counts NaN
    in ``prob`` over every voxel, ignored or not.
    """
    totals = torch.zeros(6, dtype=torch.int64, device=prob.device)
    for p, g in flat_slabs(prob, gt):
        valid = _valid(g, ignore)
        fg_pred = (p >= threshold) & valid
        fg_gt = (g != 0) & valid
        totals += torch.stack([fg_pred.sum(), fg_gt.sum(), (fg_pred & fg_gt).sum(), valid.sum(),
                               (_not_binary(g) & valid).sum(), torch.isnan(p).sum()])
    return totals


def confusion_matrix(pred, gt, k, ignore):
    """``(table, n_out_of_range)``: the K x K int64 table (rows ``gt``) and a 1-element count.

    A valid voxel whose ``pred`` or ``gt`` label lies outside ``[0, k)`` is not counted
    in the table but in ``n_out_of_range``.
    """
    table = torch.zeros(k * k, dtype=torch.int64, device=pred.device)
    n_bad = torch.zeros(1, dtype=torch.int64, device=pred.device)
    for p, g in flat_slabs(pred, gt):
        valid = _valid(g, ignore)
        p, g = p.to(torch.int64), g.to(torch.int64)
        in_range = valid & (g >= 0) & (g < k) & (p >= 0) & (p < k)
        table += torch.bincount(g[in_range] * k + p[in_range], minlength=k * k)
        n_bad += (valid & ~in_range).sum()
    return table.reshape(k, k), n_bad


def coded_confusion(pred, gt, keys, ignore):
    """The confusion table of label codes: 1 + index in the sorted ``keys``, 0 for the rest.

    ``keys`` is a sorted int64 tensor. The table is ``(len(keys) + 2)`` square; ignored
    voxels are not counted, and the last code's row and column stay empty (the code of
    a label absent from the arrays).
    """
    k = len(keys) + 2
    table = torch.zeros(k * k, dtype=torch.int64, device=pred.device)
    for p, g in flat_slabs(pred, gt):
        valid = _valid(g, ignore)
        codes = []
        for values in (p[valid].to(torch.int64), g[valid].to(torch.int64)):
            index = torch.searchsorted(keys, values)
            found = keys[index.clamp(max=len(keys) - 1)] == values
            codes.append(torch.where(found, index + 1, 0))
        table += torch.bincount(codes[1] * k + codes[0], minlength=k * k)
    return table.reshape(k, k)


def label_range(pred, gt, ignore):
    """``[pred_min, pred_max, gt_max, gt_min_counted, gt_max_counted]`` as an int64 tensor.

    The counted extremes are over the ``gt`` voxels not ignored, together with 0.
    """
    lows, highs = [], []
    for p, g in flat_slabs(pred, gt):
        valid = _valid(g, ignore)
        p, g = p.to(torch.int64), g.to(torch.int64)
        counted = torch.where(valid, g, 0)
        lows.append(torch.stack([p.min(), counted.min()]))
        highs.append(torch.stack([p.max(), g.max(), counted.max()]))
    low, high = torch.stack(lows).amin(0), torch.stack(highs).amax(0)
    return torch.stack([low[0], high[0], high[1], low[1], high[2]])
