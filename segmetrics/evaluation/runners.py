"""Running the per-case scoring: in this process, in local worker processes, or on Dask.

Every runner is an executor with one method, ``run(cases, options, on_result,
work=None)``: it scores ``cases`` and calls ``on_result`` in the calling
process once per case as each finishes, so ``metrics.csv`` is appended case by
case whatever runs the cases. :class:`LocalExecutor` (this module) runs them in
this process or a local process pool;
:class:`segmetrics.distributed.DaskExecutor` on a Dask cluster. Both share one
retry policy: the cases of a task whose worker died are rerun one case per
task (:func:`isolate`), so only the case that kills its worker becomes an
``error`` row (:func:`crashed`).

In this process, the next case is read on two threads while the current one is
scored (:func:`score_read_ahead`). ``jobs="auto"`` (the command's default)
starts there and moves the rest to worker processes only where that pays
(:func:`run_auto`).
"""
import os
import warnings
from typing import NamedTuple

from segmetrics.evaluation.scoring import error_result, mask_reader, score_case, score_guarded

__all__ = ["LocalExecutor", "chunks", "crashed", "isolate", "run_auto", "run_cases",
           "score_chunk", "score_read_ahead"]


class LocalExecutor:
    """Score cases in this process (``jobs=1``), in ``jobs`` worker processes, or ``"auto"``."""

    def __init__(self, jobs=1):
        self.jobs = jobs

    def run(self, cases, options, on_result, work=None):
        run_cases(cases, options, self.jobs, on_result, work)


def isolate(chunk):
    """The retry policy of every runner: the cases of a failed task, one task each."""
    return [[case] for case in chunk]


#: A task for a worker holds cases up to about this many bytes on disk (small cases are
#: batched so that process overhead does not dominate), and never more than
#: 1/8 of a worker's share of the cases (so the load stays balanced).
_CHUNK_BYTES = 8 << 20


def chunks(cases, jobs):
    """Consecutive groups of cases, one worker task each."""
    limit = max(1, len(cases) // (8 * jobs))
    groups, chunk, size = [], [], 0
    for case in cases:
        chunk.append(case)
        size += sum(os.path.getsize(p) for p in (case.pred, case.gt)
                    if p is not None and os.path.exists(p))
        if len(chunk) >= limit or size >= _CHUNK_BYTES:
            groups.append(chunk)
            chunk, size = [], 0
    if chunk:
        groups.append(chunk)
    return groups


def score_chunk(chunk, options, work):
    """The results of one worker task (a chunk of cases), read ahead unless ``work`` is custom."""
    if work is None or work is score_case:
        results = []
        score_read_ahead(chunk, options, results.append)
        return results
    return [work(case, options) for case in chunk]


#: ``jobs="auto"``: the first cases are scored in this process to time them ...
_AUTO_PROBE_CASES = 4
#: ... and worker processes start only if the rest would take longer than this in
#: this process (a spawned worker needs about a second to import and warm up) ...
_AUTO_POOL_SECONDS = 10.0
#: ... and the cases are small: larger ones already keep every core busy in this
#: process (threaded kernels, two reading threads).
_AUTO_POOL_MAX_VOXELS = 1 << 22


def run_auto(cases, options, on_result, cores=None):
    """``jobs="auto"``: in this process with read-ahead, worker processes only where they pay.

    The first :data:`_AUTO_PROBE_CASES` cases are scored in this process and
    timed. The rest go to ``min(cores, remaining)`` worker processes only when
    there are at least two cores, the cases average fewer than
    :data:`_AUTO_POOL_MAX_VOXELS` voxels, and the rest would take more than
    :data:`_AUTO_POOL_SECONDS` in this process; otherwise they stay here.
    Returns the number of worker processes used for the rest (1: none).
    """
    import time

    from segmetrics._layout import cpu_count

    cores = cpu_count() if cores is None else cores
    probe, rest = cases[:_AUTO_PROBE_CASES], cases[_AUTO_PROBE_CASES:]
    sizes = []

    def timed(result):
        if result.n_voxels is not None:
            sizes.append(result.n_voxels)
        on_result(result)

    start = time.perf_counter()
    score_read_ahead(probe, options, timed)
    per_case = (time.perf_counter() - start) / max(1, len(probe))
    jobs = _auto_jobs(cores, len(rest), per_case, sizes)
    run_cases(rest, options, jobs, on_result)
    return jobs


def _auto_jobs(cores, remaining, seconds_per_case, sizes):
    """Worker processes for the cases left after the probe (see :func:`run_auto`)."""
    if cores < 2 or remaining < 2 or not sizes:
        return 1
    if sum(sizes) / len(sizes) >= _AUTO_POOL_MAX_VOXELS:
        return 1
    if seconds_per_case * remaining < _AUTO_POOL_SECONDS:
        return 1
    return min(cores, remaining)


def run_cases(cases, options, jobs, on_result, work=None):
    """Score ``cases``, calling ``on_result`` as each finishes; at most 2 x jobs tasks in flight.

    ``jobs > 1`` uses spawned worker processes that ignore Ctrl-C (the main
    process handles it and stops submitting). Small cases travel in batches
    (:func:`chunks`). If a worker dies (killed, out of memory), the cases that
    were in flight are rerun one at a time in a fresh process each, so only the
    case that kills its worker becomes an error.
    """
    if jobs == "auto":
        run_auto(cases, options, on_result)
        return
    if jobs == 1 or len(cases) <= 1:
        if work is None:
            score_read_ahead(cases, options, on_result)
            return
        for case in cases:
            on_result(work(case, options))
        return
    work = score_case if work is None else work
    queue = list(reversed(chunks(cases, jobs)))
    while queue:
        suspects = _run_pool(queue, options, jobs, on_result, work)
        for chunk in isolate(suspects):
            _run_pool([chunk], options, 1, on_result, work, isolated=True)


class _Capture:
    """Warnings of each case while reading threads and the scoring run side by side.

    ``warnings.catch_warnings`` is process-wide, so per-case capture cannot be
    nested in threads; instead one capture spans the run and sends each warning
    to the list of the case its thread is working on (a thread-local sink).
    Warnings of other threads (none expected) are kept in ``orphans``.
    """

    def __init__(self):
        import threading

        self._local = threading.local()
        self.orphans = []

    def __enter__(self):
        self._context = warnings.catch_warnings()
        self._context.__enter__()
        warnings.simplefilter("always")
        warnings.showwarning = self._show
        return self

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)

    def _show(self, message, category, filename, lineno, file=None, line=None):
        sink = getattr(self._local, "sink", None)
        (self.orphans if sink is None else sink).append(str(message))

    def run(self, function, *args):
        """``(function(*args) or the exception it raised, warnings it issued)``."""
        self._local.sink = sink = []
        try:
            value = function(*args)
        except Exception as exc:  # noqa: BLE001 - re-raised where the value is used
            value = _Raised(exc)
        finally:
            self._local.sink = None
        return value, sink


class _Raised(NamedTuple):
    exception: BaseException


def _unwrap(value):
    if isinstance(value, _Raised):
        raise value.exception
    return value


def score_read_ahead(cases, options, on_result, depth=1):
    """Score ``cases`` in this process while the next ``depth`` cases are read.

    Two reading threads read and decompress the prediction and ground truth of
    the next cases (zlib, ISA-L and the kernels release the GIL) while this
    thread scores the current one, so the wall time approaches the larger of
    reading and scoring. At most ``depth + 1`` cases are in memory.
    """
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    read = mask_reader(options)
    upcoming = iter(cases)
    queue = deque()
    with _Capture() as capture, ThreadPoolExecutor(
            2, thread_name_prefix="segmetrics-read") as readers:

        def submit():
            case = next(upcoming, None)
            if case is not None:
                queue.append((case, readers.submit(capture.run, read, case.gt),
                              None if case.pred is None else
                              readers.submit(capture.run, read, case.pred)))

        for _ in range(depth):
            submit()
        while queue:
            case, gt_future, pred_future = queue.popleft()
            gt, gt_warnings = gt_future.result()
            pred, pred_warnings = (None, []) if pred_future is None else pred_future.result()
            submit()
            result, score_warnings = capture.run(
                score_guarded, case, options, lambda g=gt: _unwrap(g),
                lambda p=pred: _unwrap(p))
            del gt, pred
            messages = tuple(dict.fromkeys(gt_warnings + pred_warnings + score_warnings))
            on_result(_unwrap(result)._replace(warnings=messages))
    for message in dict.fromkeys(capture.orphans):
        warnings.warn(message, UserWarning, stacklevel=2)


def _init_worker(threads):
    """Ignore Ctrl-C (the main process handles it) and use this worker's share of the CPUs."""
    import signal

    from segmetrics._layout import set_num_threads

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_num_threads(threads)


def _run_pool(queue, options, jobs, on_result, work, isolated=False):
    """Run chunks popped from ``queue`` in one pool; return the in-flight cases if it breaks."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context("spawn")
    from segmetrics._layout import cpu_count

    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                               initargs=(max(1, cpu_count() // jobs),))
    pending = {}
    try:
        while queue or pending:
            while queue and len(pending) < 2 * jobs:
                chunk = queue.pop()
                pending[pool.submit(score_chunk, chunk, options, work)] = chunk
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    results = future.result()
                except BrokenProcessPool:
                    if isolated:
                        for case in pending.pop(future):
                            on_result(crashed(case, options))
                        continue
                    suspects = []
                    for f, chunk in pending.items():
                        if f.done() and f.exception() is None:
                            for result in f.result():
                                on_result(result)
                        else:
                            suspects.extend(chunk)
                    pending.clear()
                    return suspects
                pending.pop(future)
                for result in results:
                    on_result(result)
        return []
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def crashed(case, options):
    """The ``error`` result of a case whose worker died even when it ran alone."""
    message = ("the worker process scoring this case died (killed or out of memory; or, from "
               "Python, the calling script cannot be re-imported by a spawned worker: call "
               "evaluate_folder under `if __name__ == '__main__':`)")
    return error_result(case, options, message)
