"""The shared thread pool in child processes: forked, spawned, forkserver, DataLoader workers.

A forked child inherits the pool object without its threads; before the pool was
rebuilt after ``fork`` the child's first threaded call waited forever. Every child
here runs under a timeout, so a regression fails instead of hanging.
"""
import multiprocessing
import queue as queue_module
import warnings

import numpy as np
import pytest
from child_processes import pair as _pair
from child_processes import score_child, scores as _scores

import segmetrics
from segmetrics import _executor, _layout, distance

TIMEOUT = 60


@pytest.fixture
def threaded(monkeypatch):
    monkeypatch.setattr(_layout, "PARALLEL_MIN_ELEMENTS", 16)
    monkeypatch.setattr(_layout, "_thread_count", lambda: 3)
    monkeypatch.setattr(distance, "_PARALLEL_MIN_QUERIES", 1)
    monkeypatch.setattr(distance, "_PARALLEL_MIN_VOXELS", 1)


def _run_child(method):
    context = multiprocessing.get_context(method)
    results = context.Queue()
    process = context.Process(target=score_child, args=(results, method != "fork"))
    with warnings.catch_warnings():  # Python >= 3.12 warns on fork with threads running
        warnings.simplefilter("ignore", DeprecationWarning)
        process.start()
    try:
        value = results.get(timeout=TIMEOUT)
    except queue_module.Empty:
        value = None
    process.join(TIMEOUT)
    if process.is_alive():
        process.kill()
        process.join()
    assert value is not None, f"the {method} child did not finish its metric calls in {TIMEOUT} s"
    assert process.exitcode == 0
    return value


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_child_process_scores_after_the_pool_ran(threaded, method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method on this platform")
    expected = _scores()
    assert _executor._pool is not None, "the parent's calls should have started the pool"
    assert _run_child(method) == expected


def test_pool_is_forgotten_in_a_forked_child(threaded):
    _scores()
    parent_pool = _executor._pool
    assert parent_pool is not None
    context = multiprocessing.get_context("fork")
    results = context.Queue()

    def report():
        results.put(_executor._pool is None)

    process = context.Process(target=report)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        process.start()
    assert results.get(timeout=TIMEOUT) is True
    process.join(TIMEOUT)
    assert _executor._pool is parent_pool


def test_nested_maps_run_in_the_calling_pool_thread():
    def outer(item):
        return _executor.map_threads(lambda x: x * item, range(4), threads=3)

    assert _executor.map_threads(outer, range(5), threads=3) == [
        [x * item for x in range(4)] for item in range(5)]


class _MetricDataset:
    """Each item scores a shifted copy of the pair in the worker."""

    def __init__(self):
        self.pred, self.gt = _pair()

    def __len__(self):
        return 4

    def __getitem__(self, index):
        pred = np.roll(self.pred, index, axis=2)
        return np.array([segmetrics.dice(pred, self.gt),
                         segmetrics.hausdorff(pred, self.gt)])


def test_dataloader_workers_score(threaded):
    torch = pytest.importorskip("torch")
    dataset = _MetricDataset()
    expected = np.stack([dataset[i] for i in range(len(dataset))])
    assert _executor._pool is not None
    loader = torch.utils.data.DataLoader(dataset, batch_size=2, num_workers=2,
                                         timeout=TIMEOUT, multiprocessing_context="fork")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        got = np.concatenate([batch.numpy() for batch in loader])
    np.testing.assert_array_equal(got, expected)
