"""segmetrics.torch_sync: a real two-process gloo group on the CPU, under timeouts."""
import multiprocessing
import queue as queue_module

import numpy as np
import pytest
from child_processes import GLOO_METRICS as METRICS
from child_processes import GLOO_OPTIONS as OPTIONS
from child_processes import gloo_batches as _batches
from child_processes import gloo_rank

from segmetrics import Accumulator

pytest.importorskip("torch")

TIMEOUT = 120


def test_two_process_gloo_group_syncs_counts_and_cases(tmp_path):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=gloo_rank,
                                 args=(rank, tmp_path / "rendezvous", results, TIMEOUT))
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
