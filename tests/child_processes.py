"""Targets of spawned and forkserver children, in a module the children can import.

A child started by ``spawn`` or ``forkserver`` imports its target by module name; test
modules are imported by pytest under names the child cannot resolve (``tests.test_x``),
but this module sits on the tests' ``pythonpath`` like the other helpers.
"""
import datetime

import numpy as np

import segmetrics
from segmetrics import Accumulator, _layout, distance

GLOO_METRICS = ["dice", "jaccard", "hd95", "nsd"]
GLOO_OPTIONS = dict(labels=[1, 2], nsd_tolerance=1.0, spacing=(1.0, 0.5))


def force_threads():
    """Send small inputs down the threaded paths of counting and distances."""
    _layout.PARALLEL_MIN_ELEMENTS = 16
    _layout._thread_count = lambda: 3
    distance._PARALLEL_MIN_QUERIES = 1
    distance._PARALLEL_MIN_VOXELS = 1


def pair():
    """A shifted, speckled 3-D mask pair."""
    rng = np.random.default_rng(5)
    gt = np.zeros((24, 40, 40), dtype=np.uint8)
    gt[4:20, 6:30, 8:34] = 1
    pred = np.roll(gt, (1, 2, -3), axis=(0, 1, 2))
    pred[rng.random(pred.shape) < 0.01] ^= 1
    return pred, gt


def scores():
    """Dice, Hausdorff and HD95 of :func:`pair`."""
    pred, gt = pair()
    return (segmetrics.dice(pred, gt), segmetrics.hausdorff(pred, gt, spacing=(2.0, 1.0, 0.5)),
            segmetrics.hd95(pred, gt))


def score_child(results, threaded):
    """Put :func:`scores` on ``results``; ``threaded``: re-apply the parent's patches."""
    if threaded:  # spawned children do not inherit the parent's monkeypatches
        force_threads()
    results.put(scores())


def gloo_batches():
    """Five label-map cases, one with an empty prediction (inf distances)."""
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 3, (5, 12, 10))
    pred = np.where(rng.random(gt.shape) < 0.2, rng.integers(0, 3, gt.shape), gt)
    pred[4] = 0
    return pred, gt


def gloo_rank(rank, rendezvous, results, timeout):
    """One rank of a two-process gloo group: accumulate its share of cases, then sync."""
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{rendezvous}", rank=rank, world_size=2,
                            timeout=datetime.timedelta(seconds=timeout))
    try:
        pred, gt = gloo_batches()
        acc = Accumulator(GLOO_METRICS, **GLOO_OPTIONS)
        if rank == 0:
            acc.update(pred[:2], gt[:2])
        else:  # rank 1 holds three cases, added one at a time
            for case in range(2, 5):
                acc.update_case(pred[case], gt[case])
        synced = acc.sync()
        empty = Accumulator(GLOO_METRICS, **GLOO_OPTIONS).sync()  # a process without cases
        results.put((rank, synced.compute(), synced.compute(aggregation="micro"),
                     synced.n_cases, acc.n_cases, empty.n_cases, synced.per_case()["dice"]))
    finally:
        dist.destroy_process_group()
