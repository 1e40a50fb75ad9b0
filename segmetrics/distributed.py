"""Run the per-case tasks of :func:`segmetrics.evaluate_folder` on a Dask distributed cluster.

The seam is the executor interface of the local runners
(:mod:`segmetrics.evaluation.runners`): :class:`DaskExecutor` ``.run`` (and
:func:`run_cases`) takes the cases to score and calls ``on_result`` in the
calling process as each case finishes, so ``metrics.csv`` is still appended
case by case and the outputs are those of a local run.

What travels over the network per task: the :class:`~segmetrics.evaluation.Case`
(a name and two file paths), the scoring :class:`~segmetrics.evaluation.Options`
(a small frozen dataclass)
and, back, the case's records (one row of floats per label). Workers read the
mask files themselves, so every worker needs the prediction and ground-truth
folders at the same absolute paths (shared storage) and ``segmetrics``
installed. Start workers with one thread each (``dask worker ADDRESS
--nworkers N --nthreads 1``): the kernels use their own threads, and the
warnings a case raises are collected per process.

If a worker dies, the scheduler reruns its tasks on the other workers; a task
that kills ``allowed_failures`` workers in a row (Dask's setting, default 3)
comes back as :class:`distributed.KilledWorker`, and its cases are then rerun
one task each (the retry policy of every runner,
:func:`segmetrics.evaluation.runners.isolate`) so only the case that kills
workers becomes an ``error`` row.
Each case is reported to ``on_result`` exactly once.

``dask.distributed`` is imported only when one of these functions is called.
"""
from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client, Future

    from segmetrics.evaluation.matching import Case
    from segmetrics.evaluation.options import Options
    from segmetrics.evaluation.runners import OnResult, Work
    from segmetrics.evaluation.scoring import CaseResult

__all__ = ["DaskExecutor", "connect", "run_cases"]


def _total_threads(client: Client) -> int:
    try:
        threads: int = sum(client.nthreads().values())  # {worker address: threads}
        return max(1, threads)
    except Exception:  # noqa: BLE001 - a scheduler without workers yet
        return 1


class DaskExecutor:
    """Score cases on the workers of a Dask ``client`` (the executor interface of
    :class:`segmetrics.evaluation.runners.LocalExecutor`)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def run(self, cases: Sequence[Case], options: Options, on_result: OnResult,
            work: Work | None = None) -> None:
        run_cases(cases, options, self.client, on_result, work)


def _submit(client: Client, chunks: Iterable[list[Case]], settings: Options, work: Work | None,
            tag: str) -> dict[Future[list[CaseResult]], list[Case]]:
    from segmetrics.evaluation.runners import score_chunk

    futures: dict[Future[list[CaseResult]], list[Case]] = {}
    for i, chunk in enumerate(chunks):
        key = f"segmetrics-{tag}-{i}-{chunk[0].name}"
        future = client.submit(score_chunk, chunk, settings, work, key=key, pure=False)
        futures[future] = chunk
    return futures


def run_cases(cases: Sequence[Case], settings: Options, client: Client, on_result: OnResult,
              work: Work | None = None) -> None:
    """Score ``cases`` on the workers of ``client``, calling ``on_result`` as each finishes.

    Parameters
    ----------
    cases : list of Case
    settings : segmetrics.evaluation.Options
    client : distributed.Client
        Connected to the cluster whose workers score the cases.
    on_result : callable
        Called in this process with each case's result, once per case, in the
        order cases finish.
    work : callable, optional
        The per-case function (default :func:`segmetrics.evaluation.score_case`);
        it must be importable on the workers.
    """
    from distributed import KilledWorker, as_completed

    from segmetrics.evaluation.runners import chunks, crashed, isolate

    if not cases:
        return
    # workers resolve relative paths against their own working folder: send absolute ones
    cases = [case._replace(pred=None if case.pred is None else Path(case.pred).absolute(),
                           gt=Path(case.gt).absolute()) for case in cases]
    tag = uuid.uuid4().hex[:12]
    pending = _submit(client, chunks(cases, _total_threads(client)), settings, work, tag)
    retried: set[str] = set()
    try:
        completed = as_completed(list(pending))
        for future in completed:
            chunk = pending.pop(future)
            try:
                results = future.result()
            except KilledWorker:
                first = chunk[0].name
                if len(chunk) > 1 or first not in retried:
                    # rerun the cases one task each: only the culprit fails
                    retried.update(case.name for case in chunk)
                    alone = _submit(client, isolate(chunk), settings, work,
                                    f"{tag}-retry-{first}")
                    pending.update(alone)
                    completed.update(list(alone))
                else:
                    on_result(crashed(chunk[0], settings))
                future.release()
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. segmetrics missing on a worker
                for case in chunk:
                    on_result(_task_failed(case, settings, exc))
                future.release()
                continue
            future.release()
            for result in results:
                on_result(result)
    except BaseException:
        client.cancel(list(pending), force=True)
        raise


def _task_failed(case: Case, settings: Options, exc: BaseException) -> CaseResult:
    """Error records for a case whose task raised on the worker (not in the scoring)."""
    from segmetrics.evaluation.scoring import error_result

    return error_result(case, settings,
                        f"the Dask task failed on the worker: {type(exc).__name__}: {exc}")


@contextlib.contextmanager
def connect(scheduler: str | None = None, local_workers: int | None = None, *,
            threads_per_worker: int = 1) -> Iterator[Client]:
    """A Dask client for ``--scheduler`` or ``--dask-local``, closed on exit.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    local_workers : int, optional
        Start a local cluster of this many worker processes instead (bound to
        127.0.0.1, no dashboard).
    threads_per_worker : int
        Threads of each local worker process.

    Yields
    ------
    distributed.Client
    """
    if (scheduler is None) == (local_workers is None):
        raise ValueError("give exactly one of scheduler and local_workers")
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=local_workers, threads_per_worker=threads_per_worker,
                      processes=True, host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        yield client
