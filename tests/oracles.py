"""Brute-force oracles: per-voxel Python loops, too slow for anything but tiny inputs.

They are the first layer of the test oracles: brute force, then the NumPy
reference backend, then the compiled backends, each checked against the one before.
"""
import numpy as np


def brute_confusion(pred, gt, num_classes, ignore_index=None):
    """Dense (K, K) table by a per-voxel loop; rows ground truth."""
    table = np.zeros((num_classes, num_classes), dtype=np.int64)
    for p, g in zip(np.asarray(pred).ravel().tolist(), np.asarray(gt).ravel().tolist()):
        if ignore_index is not None and g == ignore_index:
            continue
        table[int(g), int(p)] += 1
    return table


def brute_binary_counts(pred_fg, gt, ignore_index=None):
    """(tp, fp, fn, tn) of a boolean prediction against a 0/1 ground truth."""
    tp = fp = fn = tn = 0
    for p, g in zip(np.asarray(pred_fg).ravel().tolist(), np.asarray(gt).ravel().tolist()):
        if ignore_index is not None and g == ignore_index:
            continue
        p, g = bool(p), bool(g)
        tp += p and g
        fp += p and not g
        fn += g and not p
        tn += not p and not g
    return tp, fp, fn, tn
