"""segmetrics.torch_sync: a real two-process gloo group on the CPU, under timeouts."""
import datetime
import multiprocessing
import queue as queue_module

import numpy as np
import pytest

from segmetrics import Accumulator

pytest.importorskip("torch")

TIMEOUT = 120
METRICS = ["dice", "jaccard", "hd95", "nsd"]
OPTIONS = dict(labels=[1, 2], nsd_tolerance=1.0, spacing=(1.0, 0.5))


def _batches():
    rng = np.random.default_rng(0)
    gt = rng.integers(0, 3, (5, 12, 10))
    pred = np.where(rng.random(gt.shape) < 0.2, rng.integers(0, 3, gt.shape), gt)
    pred[4] = 0  # an empty prediction: inf distances
    return pred, gt


def _rank(rank, rendezvous, results):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{rendezvous}", rank=rank, world_size=2,
                            timeout=datetime.timedelta(seconds=TIMEOUT))
    try:
        pred, gt = _batches()
        acc = Accumulator(METRICS, **OPTIONS)
        if rank == 0:
            acc.update(pred[:2], gt[:2])
        else:  # rank 1 holds three cases, added one at a time
            for case in range(2, 5):
                acc.update_case(pred[case], gt[case])
        synced = acc.sync()
        empty = Accumulator(METRICS, **OPTIONS).sync()  # a process without cases
        results.put((rank, synced.compute(), synced.compute(aggregation="micro"),
                     synced.n_cases, acc.n_cases, empty.n_cases, synced.per_case()["dice"]))
    finally:
        dist.destroy_process_group()


def test_two_process_gloo_group_syncs_counts_and_cases(tmp_path):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=_rank, args=(rank, tmp_path / "rendezvous", results))
                 for rank in range(2)]
    for process in processes:
        process.start()
    found = {}
    try:
        for _ in processes:
            rank, *values = results.get(timeout=TIMEOUT)
            found[rank] = values
    except queue_module.Empty:
        pass
    finally:
        for process in processes:
            process.join(TIMEOUT)
            if process.is_alive():
                process.kill()
                process.join()
    assert sorted(found) == [0, 1], "a rank did not finish its collective calls"
    assert all(process.exitcode == 0 for process in processes)

    pred, gt = _batches()
    single = Accumulator(METRICS, **OPTIONS)
    single.update(pred, gt)
    for rank in (0, 1):
        mean, micro, n_cases, local_cases, empty_cases, per_case_dice = found[rank]
        assert (n_cases, local_cases, empty_cases) == (5, 2 if rank == 0 else 3, 0)
        np.testing.assert_array_equal(per_case_dice, single.per_case()["dice"])
        for name in METRICS:
            np.testing.assert_array_equal(mean[name], single.compute()[name])
            np.testing.assert_array_equal(micro[name], single.compute(aggregation="micro")[name])


def test_sync_without_a_process_group_is_a_copy():
    acc = Accumulator(["dice"])
    acc.update(np.ones((2, 3), bool), np.ones((2, 3), bool))
    copied = acc.sync()
    assert copied is not acc and copied.n_cases == 2
    assert copied.compute() == acc.compute()
