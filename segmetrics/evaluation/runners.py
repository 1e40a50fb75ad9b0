"""Running the per-case scoring: in this process, in local worker processes, or on Dask.

Every runner is an executor with one method, ``run(cases, options, on_result,
work=None)``: it scores ``cases`` and calls ``on_result`` in the calling
process once per case as each finishes, so ``metrics.csv`` is appended case by
case whatever runs the cases. :class:`LocalExecutor` (this module) runs them in
this process or a local process pool;
:class:`segmetrics.distributed.DaskExecutor` on a Dask cluster. Both share one
retry policy: the cases of a task whose worker died are rerun one case per
task (:func:`isolate`), so only the case that kills its worker becomes an
``error`` row (:func:`crashed`). Locally the pool is replaced once and the cases
in flight are retried there in bulk; worker processes exit when the main
process dies; a case that outlives ``case_timeout`` is an ``error`` row.

In this process, the next case is read on two threads while the current one is
scored (:func:`score_read_ahead`). ``jobs="auto"`` (the command's default)
starts there and moves the rest to worker processes only where that pays
(:func:`run_auto`).
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar, Union, cast

from segmetrics.evaluation.scoring import error_result, mask_reader, score_case, score_guarded

if TYPE_CHECKING:
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor
    from queue import SimpleQueue

    from segmetrics.evaluation.matching import Case
    from segmetrics.evaluation.options import Options
    from segmetrics.evaluation.scoring import CaseResult

    #: Called in the calling process with each case's result, as each finishes.
    OnResult = Callable[[CaseResult], None]
    #: The per-case scoring function (default :func:`score_case`).
    Work = Callable[[Case, Options], CaseResult]

#: ``jobs``: a number of worker processes, or ``"auto"``.
Jobs = Union[int, Literal["auto"]]
_T = TypeVar("_T")

__all__ = ["LocalExecutor", "chunks", "crashed", "isolate", "run_auto", "run_cases",
           "score_chunk", "score_read_ahead"]


class LocalExecutor:
    """Score cases in this process (``jobs=1``), in ``jobs`` worker processes, or ``"auto"``."""

    def __init__(self, jobs: Jobs = 1) -> None:
        self.jobs = jobs

    def run(self, cases: Sequence[Case], options: Options, on_result: OnResult,
            work: Work | None = None) -> None:
        run_cases(cases, options, self.jobs, on_result, work)


def isolate(chunk: Iterable[Case]) -> list[list[Case]]:
    """The retry policy of every runner: the cases of a failed task, one task each."""
    return [[case] for case in chunk]


#: A task for a worker holds cases up to about this many bytes on disk (small cases are
#: batched so that process overhead does not dominate), and never more than
#: 1/8 of a worker's share of the cases (so the load stays balanced).
_CHUNK_BYTES = 8 << 20


def chunks(cases: Sequence[Case], jobs: int) -> list[list[Case]]:
    """Consecutive groups of cases, one worker task each."""
    limit = max(1, len(cases) // (8 * jobs))
    groups: list[list[Case]] = []
    chunk: list[Case] = []
    size = 0
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


def score_chunk(chunk: Sequence[Case], options: Options,
                work: Work | None) -> list[CaseResult]:
    """The results of one worker task (a chunk of cases), read ahead unless ``work`` is custom."""
    if work is None or work is score_case:
        results: list[CaseResult] = []
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


def run_auto(cases: Sequence[Case], options: Options, on_result: OnResult,
             cores: int | None = None) -> int:
    """``jobs="auto"``: in this process with read-ahead, worker processes only where they pay.

    All cases go through one read-ahead pipeline in this process
    (:func:`score_read_ahead`). The first :data:`_AUTO_PROBE_CASES` are timed;
    after them the pipeline stops and the rest go to ``min(cores, remaining)``
    worker processes only when there are at least two cores, the cases average
    fewer than :data:`_AUTO_POOL_MAX_VOXELS` voxels, and the rest would take
    more than :data:`_AUTO_POOL_SECONDS` in this process; otherwise the same
    pipeline goes on, so a small folder costs what ``jobs=1`` costs.
    Returns the number of worker processes used for the rest (1: none).
    """
    import time

    from segmetrics._executor import cpu_count

    cores = cpu_count() if cores is None else cores
    n_probe = min(_AUTO_PROBE_CASES, len(cases))
    sizes: list[int | None] = []
    jobs: list[int] = []
    start = time.perf_counter()

    def timed(result: CaseResult) -> None:
        if len(sizes) < n_probe:
            sizes.append(result.n_voxels)
        on_result(result)

    def after_probe() -> bool:
        """True (stop this pipeline) once the probe is scored and a pool pays."""
        if jobs or len(sizes) < n_probe:
            return False
        per_case = (time.perf_counter() - start) / max(1, n_probe)
        jobs.append(_auto_jobs(cores, len(cases) - n_probe, per_case,
                               [n for n in sizes if n is not None]))
        return jobs[0] > 1

    scored = score_read_ahead(cases, options, timed, stop=after_probe)
    if scored == len(cases):
        return 1
    run_cases(cases[scored:], options, jobs[0], on_result)
    return jobs[0]


def _auto_jobs(cores: int, remaining: int, seconds_per_case: float, sizes: Sequence[int]) -> int:
    """Worker processes for the cases left after the probe (see :func:`run_auto`)."""
    if cores < 2 or remaining < 2 or not sizes:
        return 1
    if sum(sizes) / len(sizes) >= _AUTO_POOL_MAX_VOXELS:
        return 1
    if seconds_per_case * remaining < _AUTO_POOL_SECONDS:
        return 1
    return min(cores, remaining)


class _Capture:
    """Warnings of each case while reading threads and the scoring run side by side.

    ``warnings.catch_warnings`` is process-wide, so per-case capture cannot be
    nested in threads; instead one capture spans the run and sends each warning
    to the list of the case its thread is working on (a thread-local sink).
    Warnings of other threads (none expected) are kept in ``orphans``.
    """

    def __init__(self) -> None:
        import threading

        self._local = threading.local()
        self.orphans: list[str] = []

    def __enter__(self) -> _Capture:
        self._context = warnings.catch_warnings()
        self._context.__enter__()
        warnings.simplefilter("always")
        warnings.showwarning = self._show
        return self

    def __exit__(self, *exc: Any) -> None:
        return self._context.__exit__(*exc)

    def _show(self, message: Warning | str, category: type[Warning], filename: str,
              lineno: int, file: Any = None, line: str | None = None) -> None:
        sink = getattr(self._local, "sink", None)
        (self.orphans if sink is None else sink).append(str(message))

    def run(self, function: Callable[..., _T], *args: Any) -> tuple[_T | _Raised, list[str]]:
        """``(function(*args) or the exception it raised, warnings it issued)``."""
        sink: list[str]
        value: _T | _Raised
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


def _unwrap(value: _T | _Raised) -> _T:
    if isinstance(value, _Raised):
        raise value.exception
    return value


class _Readers:
    """Reading threads that never hold up the process: daemon threads fed by one queue.

    A read that outlives the case timeout (a file on a hung network mount) is
    abandoned: :meth:`replace` starts a thread in place of the one it blocks,
    and the process can still exit (daemon threads are not joined).
    """

    def __init__(self, n: int) -> None:
        import queue

        self._queue: SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None]
        self._queue = queue.SimpleQueue()
        self._n = 0
        for _ in range(n):
            self.replace()

    def replace(self) -> None:
        import threading

        self._n += 1  # one stop signal per thread ever started: an abandoned one that
        # comes back takes one and ends too
        threading.Thread(target=self._serve, name="segmetrics-read", daemon=True).start()

    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, function, args = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(function(*args))
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                    future.set_exception(exc)

    def submit(self, function: Callable[..., _T], *args: Any) -> Future[_T]:
        from concurrent.futures import Future

        future: Future[_T] = Future()
        self._queue.put((future, function, args))
        return future

    def close(self) -> None:
        for _ in range(self._n):
            self._queue.put(None)


def _timeout_message(seconds: float) -> str:
    return (f"the case took longer than the case timeout ({seconds:g} s; --case-timeout / "
            "case_timeout=) and was stopped")


def score_read_ahead(cases: Iterable[Case], options: Options, on_result: OnResult,
                     depth: int = 1, stop: Callable[[], bool] | None = None) -> int:
    """Score ``cases`` in this process while the next ``depth`` cases are read.

    Two reading threads read and decompress the prediction and ground truth of
    the next cases (zlib, ISA-L and the kernels release the GIL) while this
    thread scores the current one, so the wall time approaches the larger of
    reading and scoring. At most ``depth + 1`` cases are in memory. A case whose
    reading is not done ``options.case_timeout`` seconds after it became the
    current one is an ``error`` row; its reading thread is abandoned.

    ``stop``, if given, is called after each case's result; when it returns
    True no further case is scored (reads in flight are dropped). Returns the
    number of cases whose result was handed to ``on_result``.
    """
    import time
    from collections import deque
    from concurrent.futures import TimeoutError as FutureTimeout

    read = mask_reader(options)
    timeout = getattr(options, "case_timeout", None)
    upcoming = iter(cases)
    queue: deque[tuple[Case, Future[tuple[Any, list[str]]],
                       Future[tuple[Any, list[str]]] | None]] = deque()
    readers = _Readers(2)
    scored = 0
    try:
        with _Capture() as capture:

            def submit() -> None:
                case = next(upcoming, None)
                if case is not None:
                    queue.append((case, readers.submit(capture.run, read, case.gt),
                                  None if case.pred is None else
                                  readers.submit(capture.run, read, case.pred)))

            for _ in range(depth):
                submit()
            while queue:
                case, gt_future, pred_future = queue.popleft()
                deadline = None if timeout is None else time.monotonic() + timeout
                try:
                    gt, gt_warnings = gt_future.result(_left(deadline))
                    pred, pred_warnings = ((None, []) if pred_future is None
                                           else pred_future.result(_left(deadline)))
                except FutureTimeout:
                    for future in (gt_future, pred_future):
                        if future is not None and not future.cancel() and not future.done():
                            readers.replace()
                    submit()
                    on_result(error_result(case, options,
                                           _timeout_message(cast(float, timeout))))
                    scored += 1
                    if stop is not None and stop():
                        break
                    continue
                submit()
                result, score_warnings = capture.run(
                    score_guarded, case, options, lambda g=gt: _unwrap(g),
                    lambda p=pred: _unwrap(p))
                del gt, pred
                messages = tuple(dict.fromkeys(gt_warnings + pred_warnings + score_warnings))
                on_result(_unwrap(result)._replace(warnings=messages))
                scored += 1
                if stop is not None and stop():
                    break
    finally:
        readers.close()
    for message in dict.fromkeys(capture.orphans):
        warnings.warn(message, UserWarning, stacklevel=2)
    return scored


def _left(deadline: float | None) -> float | None:
    import time

    return None if deadline is None else max(0.0, deadline - time.monotonic())


def _init_worker(threads: int, parent: int | None = None) -> None:
    """Ignore Ctrl-C (the main process handles it), use this worker's share of the CPUs,
    and exit when the parent process dies (however it dies)."""
    import signal

    from segmetrics._executor import set_num_threads

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_num_threads(threads)
    if parent is not None:
        _exit_with_parent(parent)


#: Seconds between two checks of a worker that its parent process is alive.
_PARENT_POLL = 1.0


def _exit_with_parent(parent: int) -> None:
    """End this process when ``parent`` dies: at once on Linux, within a second elsewhere.

    Linux sends SIGKILL to the worker when its parent dies
    (``prctl(PR_SET_PDEATHSIG)``); everywhere, a daemon thread polls the parent
    id, which changes once the worker is orphaned.
    """
    import signal
    import sys
    import threading
    import time

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the thread below still watches
            pass
    if os.getppid() != parent:  # the parent died before the line above ran
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(_PARENT_POLL)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="segmetrics-parent-watch", daemon=True).start()


class _Task(NamedTuple):
    """Cases scored by one worker call, and how many pool breaks they were caught in."""

    cases: list[Case]
    strikes: int = 0
    timed_out: bool = False


#: Seconds added to every task's time limit in a worker pool (starting a worker).
_TIMEOUT_SLACK = 10.0


def run_cases(cases: Sequence[Case], options: Options, jobs: Jobs, on_result: OnResult,
              work: Work | None = None) -> None:
    """Score ``cases``, calling ``on_result`` as each finishes; at most 2 x jobs tasks in flight.

    ``jobs > 1`` uses spawned worker processes that ignore Ctrl-C (the main
    process handles it and stops submitting) and exit when the main process
    dies. Small cases travel in batches (:func:`chunks`). If a worker dies
    (killed, out of memory) or a task outlives its time limit
    (``options.case_timeout`` per case), the pool is replaced by a fresh one
    and the cases in flight are retried there in bulk, one case per task; only
    the cases in flight at a second break are rerun one at a time, in one
    single-worker pool, so that only the case that kills its worker becomes
    an error.
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
    from collections import deque

    work = score_case if work is None else work
    queue = deque(_Task(chunk) for chunk in chunks(cases, jobs))
    suspects: deque[_Task] = deque()
    while queue:
        for task in _run_pool(queue, options, jobs, on_result, work):
            if task.timed_out and len(task.cases) == 1:  # late on its own: no retry
                on_result(crashed(task.cases[0], options, timed_out=True))
            elif task.strikes >= 1 and len(task.cases) == 1:
                suspects.append(task._replace(strikes=task.strikes + 1))
            else:  # retried in bulk, one case per task, ahead of the rest
                queue.extendleft(_Task([case], task.strikes + 1, task.timed_out)
                                 for case in reversed(task.cases))
    while suspects:
        for task in _run_pool(suspects, options, 1, on_result, work, in_flight=1):
            on_result(crashed(task.cases[0], options, timed_out=task.timed_out))


def _run_pool(queue: deque[_Task], options: Options, jobs: int, on_result: OnResult, work: Work,
              in_flight: int | None = None) -> list[_Task]:
    """Run tasks popped from ``queue`` in one pool; return the tasks in flight if it breaks.

    A task in flight longer than ``options.case_timeout`` per case (plus the
    longest task ahead of it and :data:`_TIMEOUT_SLACK`) breaks the pool: its
    workers are killed.
    """
    import multiprocessing
    import time
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    from segmetrics._executor import cpu_count

    in_flight = 2 * jobs if in_flight is None else in_flight
    timeout = getattr(options, "case_timeout", None)
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker,
                               initargs=(max(1, cpu_count() // jobs), os.getpid()))
    pending: dict[Future[list[CaseResult]], tuple[_Task, float | None]] = {}
    longest = max((len(task.cases) for task in queue), default=1)
    try:
        while queue or pending:
            while queue and len(pending) < in_flight:
                task = queue.popleft()
                future = pool.submit(score_chunk, task.cases, options, work)
                ahead = longest if in_flight > 1 else 0
                deadline = (None if timeout is None else
                            time.monotonic() + timeout * (len(task.cases) + ahead)
                            + _TIMEOUT_SLACK)
                pending[future] = (task, deadline)
            deadlines = [d for _, d in pending.values() if d is not None]
            wait_for = None if not deadlines else max(0.0, min(deadlines) - time.monotonic())
            done, _ = wait(pending, timeout=wait_for, return_when=FIRST_COMPLETED)
            if not done:
                now = time.monotonic()
                late = [f for f, (_, d) in pending.items() if d is not None and d <= now]
                if late:
                    for future in late:
                        task, deadline = pending[future]
                        pending[future] = (task._replace(timed_out=True), deadline)
                    _kill_workers(pool)
                continue
            for future in done:
                try:
                    results = future.result()
                except BrokenProcessPool:
                    return _collect(pending, on_result)
                pending.pop(future)
                for result in results:
                    on_result(result)
        return []
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


def _collect(pending: dict[Future[list[CaseResult]], tuple[_Task, float | None]],
             on_result: OnResult) -> list[_Task]:
    """After a break: hand on the results that made it, return the tasks that did not."""
    broken: list[_Task] = []
    for future, (task, _) in pending.items():
        if future.done() and future.exception() is None:
            for result in future.result():
                on_result(result)
        else:
            broken.append(task)
    pending.clear()
    return broken


def _kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's worker processes (a task outlived its time limit); the pool breaks."""
    for process in list(getattr(pool, "_processes", {}).values()):
        try:
            process.kill()
        except (OSError, AttributeError):
            pass


def crashed(case: Case, options: Options, timed_out: bool = False) -> CaseResult:
    """The ``error`` result of a case whose worker died even when it ran alone."""
    if timed_out:
        return error_result(case, options,
                            _timeout_message(cast(float, options.case_timeout)))
    message = ("the worker process scoring this case died (killed or out of memory; or, from "
               "Python, the calling script cannot be re-imported by a spawned worker: call "
               "evaluate_folder under `if __name__ == '__main__':`)")
    return error_result(case, options, message)
