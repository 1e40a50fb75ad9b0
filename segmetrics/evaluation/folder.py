"""Score a folder of predictions against a folder of ground truths: the orchestration.

:func:`evaluate_folder` matches cases by file name
(:mod:`~segmetrics.evaluation.matching`), scores each case
(:mod:`~segmetrics.evaluation.scoring`) on a runner
(:mod:`~segmetrics.evaluation.runners`, :mod:`segmetrics.distributed`), appends
the rows of each case to ``OUT/metrics.csv`` as soon as it finishes
(:mod:`~segmetrics.evaluation.storage`), and writes ``OUT/summary.json`` at the
end (:mod:`~segmetrics.evaluation.summary`). ``segmetrics-eval`` is a thin
command line over it (:mod:`segmetrics.cli`).
"""
from __future__ import annotations

import contextlib
import json
import math
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, cast

from segmetrics._validate import check_int
from segmetrics.evaluation import storage
from segmetrics.evaluation.matching import match_cases
from segmetrics.evaluation.metrics import DEFAULT_METRICS
from segmetrics.evaluation.options import DEFAULT_CASE_TIMEOUT, PRESETS, Options, UsageError
from segmetrics.evaluation.runners import LocalExecutor
from segmetrics.evaluation.scoring import complete_records
from segmetrics.evaluation.summary import check_bootstrap, json_safe, summary_document

if TYPE_CHECKING:
    import re

    from distributed import Client

    from segmetrics.distributed import DaskExecutor
    from segmetrics.evaluation.matching import Case, StrPath
    from segmetrics.evaluation.options import Label
    from segmetrics.evaluation.runners import Jobs
    from segmetrics.evaluation.scoring import CaseResult, Record
    from segmetrics.evaluation.storage import StateEntry

__all__ = ["Evaluation", "evaluate_folder"]


class Evaluation(NamedTuple):
    """What :func:`~segmetrics.evaluate_folder` returns: the CSV records and the summary."""

    records: list[Record]
    summary: dict[str, Any]


class _ProgressBar(Protocol):
    """What is used of a tqdm progress bar."""

    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


def evaluate_folder(pred_dir: StrPath, gt_dir: StrPath, *, out_dir: StrPath | None = None,
                    metrics: str | Iterable[str] = DEFAULT_METRICS,
                    labels: str | Iterable[int] | None = None, threshold: float | None = None,
                    ignore_index: int | None = None, spacing: Iterable[float] | None = None,
                    nsd_tolerance: float | str | Mapping[Label, float] = 1.0,
                    colormap: str | dict[Any, Any] | None = None,
                    strip_suffixes: str | Iterable[str] = (),
                    pattern: str | re.Pattern[str] | None = None, preset: str | None = None,
                    both_empty: str = "skip", zero_division: float = math.nan,
                    tversky_alpha: float = 0.5, tversky_beta: float = 0.5,
                    spacing_tolerance: float = 1e-3, jobs: Jobs = 1, resume: bool = False,
                    overwrite: bool = False, progress: bool = False,
                    command_line: Iterable[str] | None = None, client: Client | None = None,
                    confidence: float = 0.95, n_resamples: int = 10_000, seed: int = 0,
                    surface: str = "voxel",
                    regions: str | Mapping[str, Iterable[int]] | None = None,
                    fbeta_beta: float = 1.0, max_voxels: int | Literal["auto"] | None = "auto",
                    case_timeout: float | None = DEFAULT_CASE_TIMEOUT) -> Evaluation:
    """Score every prediction in a folder against its ground truth.

    Parameters
    ----------
    pred_dir, gt_dir : str or path-like
        Folders of prediction and ground-truth masks, matched by case name
        (see :func:`~segmetrics.evaluation.match_cases`).
    out_dir : str or path-like, optional
        Where ``metrics.csv`` and ``summary.json`` go. Without it nothing is
        written and ``resume`` is unavailable.
    metrics : sequence of str or comma-separated str
        From :data:`~segmetrics.evaluation.metrics.METRICS`; default
        :data:`~segmetrics.evaluation.metrics.DEFAULT_METRICS`.
    labels : sequence of int, optional
        Labels to score; default every non-zero label present in any ground
        truth or prediction (a case lacking one gets a ``both_empty`` row).
    threshold : float, optional
        Binarise probability maps and JPEG masks at ``value >= threshold``.
    ignore_index : int, optional
        Ground-truth label whose voxels are not counted (overlap metrics) and
        are set to background in both masks (distance metrics).
    spacing : sequence of float, optional
        Voxel size per array axis, overriding the files' headers (NumPy and
        image files have none: unit spacing is used without it).
    nsd_tolerance : float, mapping or str
        Tolerance of the normalised surface Dice, in physical units: one for
        every label, or per label as ``{label: tolerance}`` (``{region name:
        tolerance}`` with ``regions``) or ``"1=2.0,2=1.0"``; labels not named
        use the bare number of the text (``"1.5,1=2.0"``), else 1.0.
    colormap : dict or str, optional
        Colour -> label table for RGB masks (:func:`segmetrics.io.parse_colormap`).
    strip_suffixes, pattern
        Case-name rules (see :func:`~segmetrics.evaluation.match_cases`).
    preset : {"isic"}, optional
        ISIC 2018 task 1: binarise both masks at ``> 128``, score label 1
        with threshold_jaccard (jaccard, set to 0 below 0.65), jaccard, dice,
        accuracy, sensitivity and specificity, 0/0 giving 1, every image
        averaged (both-empty included). Overrides the options it sets.
    both_empty : {"skip", "include"}
        Whether both-empty rows enter the summary statistics.
    zero_division : float
        Value of an overlap ratio whose denominator is 0 (default NaN).
    tversky_alpha, tversky_beta : float
        Weights of false positives and false negatives in the Tversky index.
    spacing_tolerance : float
        Relative tolerance when comparing the spacing of prediction and ground truth.
    jobs : int or "auto"
        Worker processes; results are identical for every value. ``1`` scores
        in this process, reading the next case on two threads while the
        current one is scored. ``"auto"`` starts that way and moves the rest
        of a folder of many small cases to one worker process per core when
        the first cases show that would pay (:func:`segmetrics.evaluation.runners.run_auto`; the rule is
        in the CLI docs). Workers are spawned, so a script calling this with
        ``jobs > 1`` or ``"auto"`` needs the usual
        ``if __name__ == "__main__":`` guard.
    resume : bool
        Keep the complete cases of an earlier run's ``metrics.csv`` and score
        only the others.
    overwrite : bool
        Replace an existing ``metrics.csv`` (otherwise that is a usage error).
    progress : bool
        Show a tqdm progress bar on stderr (if tqdm is installed).
    command_line : list of str, optional
        Recorded in the summary.
    client : distributed.Client, optional
        Score the cases on this Dask cluster instead of local processes
        (``jobs`` is then ignored). The workers read the files themselves, so
        they need the folders at the same paths; only each case's records
        travel back (:mod:`segmetrics.distributed`). The outputs are those of
        a local run.
    confidence : float
        Coverage of the bootstrap confidence interval of each mean in the
        summary (``ci_low``, ``ci_high``), in (0, 1); default 0.95.
    n_resamples : int
        Bootstrap resamples (default 10000); 0 leaves the intervals out.
    seed : int
        Seed of the bootstrap (same seed and values: same interval).
    surface : {"voxel", "surfel"}
        Surface definition of the distance metrics, the ``surface`` of
        :func:`segmetrics.surface_distances`: ``"voxel"`` (default) between
        boundary voxels; ``"surfel"`` between DeepMind surface-distance's
        area-weighted surface elements on the voxel-corner grid, to reproduce
        numbers computed with that package (2-D and 3-D masks only: a 1-D case
        becomes an ``error`` row). ``--resume`` refuses to continue a run
        scored with the other one.
    regions : mapping or str, optional
        Score unions of labels instead of labels: ``{"WT": [1, 2, 3], ...}``,
        ``"WT=1,2,3;TC=1,3;ET=3"`` or the preset ``"brats"`` (WT = 1,2,3,
        TC = 1,3, ET = 3, nnU-Net's BraTS regions). The ``label`` of each row is
        then the region name, rows in ``regions`` order. Not with ``labels``.
    fbeta_beta : float
        The beta of the ``fbeta`` metric (> 0; default 1, which is Dice).
    max_voxels : int, "auto" or None
        A file whose header declares more voxels is not read: its case is an
        ``error`` row. ``"auto"`` (default): about 1/32 of this machine's
        memory per worker process (:func:`segmetrics.io.default_max_voxels`);
        None: no limit.
    case_timeout : float or None
        Seconds a case may take before it becomes an ``error`` row (default
        900; None or 0: no limit). With worker processes the worker scoring
        it is stopped; in this process (``jobs=1``) the limit covers reading.

    Returns
    -------
    Evaluation
        ``records`` (the rows of ``metrics.csv``, sorted by case and label)
        and ``summary`` (the content of ``summary.json``).

    Raises
    ------
    UsageError
        For a missing folder, no matching pairs or a bad option.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = tmp.name
    >>> for sub in ("preds", "gts"):
    ...     os.mkdir(os.path.join(root, sub))
    >>> np.save(os.path.join(root, "gts", "a.npy"), np.array([[0, 1], [1, 1]], dtype=np.uint8))
    >>> np.save(os.path.join(root, "preds", "a.npy"), np.array([[0, 1], [0, 1]], dtype=np.uint8))
    >>> result = evaluate_folder(os.path.join(root, "preds"), os.path.join(root, "gts"),
    ...                          metrics=["dice", "jaccard"])
    >>> [(r.case, r.label, r.status, round(r.values["dice"], 3)) for r in result.records]
    [('a', 1, 'ok', 0.8)]
    >>> tmp.cleanup()
    """
    if preset is not None:
        if preset not in PRESETS:
            raise UsageError(f"preset must be one of {', '.join(PRESETS)}; got {preset!r}")
        chosen = PRESETS[preset]
        metrics, labels = chosen["metrics"], chosen["labels"]
        zero_division, both_empty = chosen["zero_division"], chosen["both_empty"]
        pattern = pattern if pattern is not None else chosen["pattern"]
        binarize_above = chosen["binarize_above"]
    else:
        binarize_above = None
    if both_empty not in ("skip", "include"):
        raise UsageError(f"both_empty must be 'skip' or 'include'; got {both_empty!r}")
    try:
        if jobs != "auto":
            jobs = check_int(jobs, "jobs", minimum=1)
        bootstrap = check_bootstrap(confidence, n_resamples, seed)
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    options = Options.build(
        metrics=metrics, labels=labels, threshold=threshold, colormap=colormap, spacing=spacing,
        ignore_index=ignore_index, nsd_tolerance=nsd_tolerance, zero_division=zero_division,
        binarize_above=binarize_above, tversky_alpha=tversky_alpha, tversky_beta=tversky_beta,
        spacing_tolerance=spacing_tolerance, surface=surface, regions=regions,
        fbeta_beta=fbeta_beta, max_voxels=_max_voxels(max_voxels, jobs, client),
        case_timeout=case_timeout)
    metrics = options.metrics
    cases, unmatched = match_cases(pred_dir, gt_dir, strip_suffixes=strip_suffixes,
                                   pattern=pattern)
    if unmatched:
        shown = ", ".join(unmatched[:5]) + (", ..." if len(unmatched) > 5 else "")
        warnings.warn(f"{len(unmatched)} predictions have no ground truth and are not scored: "
                      f"{shown}", UserWarning, stacklevel=2)

    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        if out.exists() and not out.is_dir():
            raise UsageError(f"output {str(out)!r} exists and is not a folder")
        out.mkdir(parents=True, exist_ok=True)
    elif resume:
        raise UsageError("resume needs an output folder (out_dir)")
    lock = storage.locked_output(out) if out is not None else contextlib.nullcontext()
    with lock:
        records, state = _evaluate(
            cases, options, out, resume=resume, overwrite=overwrite, progress=progress,
            client=client, jobs=jobs)
        summary = json_safe(summary_document(
            records, options, both_empty=both_empty, preset=preset, pred_dir=pred_dir,
            gt_dir=gt_dir, n_cases=len(cases), unmatched=unmatched, command_line=command_line,
            bootstrap=bootstrap))
        if out is not None:
            storage.atomic_csv(out / storage.CSV_NAME, metrics, records)
            storage.atomic_text(out / storage.STATE_NAME,
                                "".join(json.dumps(state[c.name]) + "\n"
                                        for c in cases if c.name in state))
            storage.atomic_text(out / storage.SUMMARY_NAME, json.dumps(summary, indent=2) + "\n")
    return Evaluation(records, summary)


def _evaluate(cases: Sequence[Case], options: Options, out: Path | None, *, resume: bool,
              overwrite: bool, progress: bool, client: Client | None, jobs: Jobs
              ) -> tuple[list[Record], dict[str, StateEntry]]:
    """Score the cases an earlier run did not (all without ``resume``); with ``out``, append
    each case to its files as it finishes. Returns every record, sorted, and the final state
    (whose row counts and digests describe the final CSV, so resuming it changes nothing)."""
    metrics = options.metrics
    kept_records: list[Record] = []
    state: dict[str, StateEntry] = {}
    if out is not None:
        if resume:
            kept_records, state = storage.read_previous(out, metrics)
            storage.check_resumed_options(out, state, options)
        elif (out / storage.CSV_NAME).exists() and not overwrite:
            raise UsageError(f"{out / storage.CSV_NAME} exists: pass --resume to continue that run "
                             "or --overwrite to replace it")
    state = storage.still_valid(state, kept_records, cases, options)
    kept_records = [r for r in kept_records if r.case in state]
    todo = [case for case in cases if case.name not in state]
    fingerprints = {case.name: storage.file_fingerprints(case) for case in todo}

    results: dict[str, CaseResult] = {}
    writer = storage.Writer(out, metrics, kept_records, state) if out is not None else None
    bar = _progress_bar(progress, len(cases), len(cases) - len(todo))
    emitted: set[str] = set()

    scored_with = options.state()

    def on_result(result: CaseResult) -> None:
        rows = [record.row(metrics) for record in result.records]
        entry = {"case": result.name, "n_voxels": result.n_voxels, "diagonal": result.diagonal,
                 "present": list(result.present), "n_rows": len(rows),
                 "rows_sha256": storage.rows_digest(rows),
                 "missing": cases_by_name[result.name].pred is None,
                 "files": fingerprints[result.name], "options": scored_with}
        results[result.name] = result
        state[result.name] = entry
        if writer is not None:
            writer.write(entry, rows)
        for message in result.warnings:
            if message not in emitted:
                emitted.add(message)
                deferred.append(f"{result.name}: {message}")
        if bar is not None:
            bar.update(1)

    cases_by_name = {case.name: case for case in cases}
    deferred: list[str] = []  # the cases' warnings, issued once the scoring threads are done
    try:
        _executor(client, jobs).run(todo, options, on_result)
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
        for message in deferred:
            warnings.warn(message, UserWarning, stacklevel=3)

    records = complete_records(cases, kept_records, results, state, options)
    rows_by_case: dict[str, list[list[str]]] = {}
    for record in records:
        rows_by_case.setdefault(record.case, []).append(record.row(metrics))
    for name, entry in state.items():
        rows = rows_by_case.get(name, [])
        state[name] = {**entry, "n_rows": len(rows), "rows_sha256": storage.rows_digest(rows)}
    return records, state


def _max_voxels(max_voxels: int | Literal["auto"] | None, jobs: Jobs,
                client: Client | None) -> int | None:
    """``max_voxels="auto"``: sized to this machine's memory and the worker processes."""
    if not (isinstance(max_voxels, str) and max_voxels == "auto"):
        return max_voxels
    from segmetrics._executor import cpu_count
    from segmetrics.io import default_max_voxels

    workers = 1 if client is not None else cpu_count() if jobs == "auto" else jobs
    return default_max_voxels(workers)


def _executor(client: Client | None, jobs: Jobs) -> LocalExecutor | DaskExecutor:
    """The runner: a Dask cluster's when a client is given, else this machine's."""
    if client is not None:
        from segmetrics.distributed import DaskExecutor

        return DaskExecutor(client)
    return LocalExecutor(jobs)


def _progress_bar(enabled: bool, total: int, initial: int) -> _ProgressBar | None:
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return cast("_ProgressBar", tqdm(total=total, initial=initial, unit="case",
                                     dynamic_ncols=True, file=sys.stderr))
