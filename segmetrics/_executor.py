"""The kernels' threads: how many to use, and the one pool every module shares.

The compiled kernels release the GIL, so counting slabs, boundary extraction,
distance searches and the samples of a batch all run on one
``ThreadPoolExecutor``, made on first use. A process forked after the pool ran
(a PyTorch ``DataLoader`` worker, ``multiprocessing`` with the fork start method)
inherits the pool object but none of its threads; the hook registered with
``os.register_at_fork`` forgets it in the child, which makes a fresh one on
first use instead of waiting forever on threads that do not exist.

A function mapped on the pool that maps again (a batch sample whose counting is
split into slabs) runs the inner map in its own thread, so no pool thread ever
waits for another and the pool cannot deadlock on itself.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import TypeVar
from concurrent.futures import ThreadPoolExecutor

from segmetrics._validate import check_int

__all__ = ["cpu_count", "map_threads", "set_num_threads", "thread_count"]

T = TypeVar("T")
R = TypeVar("R")

_pool = None
_pool_size = 0
_lock = threading.Lock()
_worker = threading.local()  # ``_worker.active`` is True in the pool's threads
_thread_limit = None


def cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def set_num_threads(threads: int | None) -> None:
    """Let the compiled kernels use at most ``threads`` threads (``None``: every CPU).

    The default is the ``SEGMETRICS_NUM_THREADS`` environment variable if set, else
    every CPU. Worker processes that share a machine should split its CPUs.

    Examples
    --------
    >>> import segmetrics
    >>> segmetrics.set_num_threads(2)
    >>> segmetrics.set_num_threads(None)
    """
    global _thread_limit
    if threads is not None:
        threads = check_int(threads, "threads", minimum=1)
    _thread_limit = threads


def thread_count() -> int:
    """The number of threads the kernels may use now."""
    limit = _thread_limit
    if limit is None:
        limit = check_int(int(os.environ.get("SEGMETRICS_NUM_THREADS", "0")) or cpu_count(),
                          "SEGMETRICS_NUM_THREADS", minimum=1)
    return min(limit, cpu_count())


def _mark_worker():
    _worker.active = True


def _pool_of(threads):
    """The shared pool, grown to at least ``threads`` threads."""
    global _pool, _pool_size
    with _lock:
        if _pool is None or _pool_size < threads:
            if _pool is not None:
                _pool.shutdown(wait=False)  # work already queued on it still runs
            _pool = ThreadPoolExecutor(threads, thread_name_prefix="segmetrics",
                                       initializer=_mark_worker)
            _pool_size = threads
        return _pool


def map_threads(function: Callable[[T], R], items: Iterable[T], threads: int) -> list[R]:
    """``[function(item) for item in items]``, on up to ``threads`` pool threads.

    Each thread takes the next item when it finishes one, so uneven items balance.

    Runs in the calling thread when there is one item, ``threads < 2``, or the
    caller is itself one of the pool's threads.
    """
    items = list(items)
    if len(items) < 2 or threads < 2 or getattr(_worker, "active", False):
        return [function(item) for item in items]
    queue = iter(enumerate(items))
    queue_lock = threading.Lock()

    def drain(_):
        done = []
        while True:
            with queue_lock:
                job = next(queue, None)
            if job is None:
                return done
            done.append((job[0], function(job[1])))

    results = [None] * len(items)
    for done in _pool_of(threads).map(drain, range(min(threads, len(items)))):
        for index, result in done:
            results[index] = result
    return results


def _forget_pool_in_child():
    """After ``fork``: the pool's threads are gone, so drop it and its lock."""
    global _pool, _pool_size, _lock, _worker
    _pool = None
    _pool_size = 0
    _lock = threading.Lock()
    _worker = threading.local()


if hasattr(os, "register_at_fork"):  # not on Windows, which cannot fork
    os.register_at_fork(after_in_child=_forget_pool_in_child)
