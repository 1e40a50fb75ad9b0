"""The summary of a folder evaluation: statistics per label and over all labels, and the
content of ``summary.json`` (the statistics, the policy behind them and what was run)."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, Union, overload

import numpy as np
import numpy.typing as npt

from segmetrics._validate import check_confidence, check_int
from segmetrics.evaluation.metrics import (
    DISTANCE_METRICS,
    SCORED_STATUSES,
    STATUSES,
    definitions,
    worst_case_array,
)

if TYPE_CHECKING:
    import os

    from segmetrics.evaluation.options import Options
    from segmetrics.evaluation.scoring import Record

__all__ = ["json_safe", "summarize", "summary_document"]

#: The statistics of one metric: counts (int), mean, std, ... (float, or None without values).
Stats = dict[str, Union[float, None]]


class Bootstrap(TypedDict):
    """The settings of the bootstrap intervals (:func:`check_bootstrap`)."""

    confidence: float
    n_resamples: int
    seed: int


def _stats(values: Sequence[float], diagonals: Sequence[float] | None,
           bootstrap: Bootstrap) -> Stats:
    """Statistics of one metric's values; ``diagonals=None`` (an overlap metric) keeps
    infinite values as they are: only distances are replaced by the image diagonal."""
    array = np.asarray(values, dtype=np.float64)
    nan = np.isnan(array)
    inf = np.isinf(array)
    worst: npt.NDArray[np.float64]
    if diagonals is None:
        worst = np.full(array.shape, np.nan)
        replaced = array
    else:
        worst = np.asarray(diagonals, dtype=np.float64)
        replaced = worst_case_array(array, worst)
    usable = replaced[~np.isnan(replaced)]
    stats: Stats = {"n_valid": int((~nan & ~inf).sum()), "n_nan": int(nan.sum()),
             "n_inf": int(inf.sum()), "n_inf_replaced": int((inf & ~np.isnan(worst)).sum())}
    if usable.size:
        with np.errstate(invalid="ignore"):  # an infinite overlap value: inf - inf is NaN
            q25, median, q75 = np.percentile(usable, [25, 50, 75])
            stats.update(mean=float(usable.mean()), std=float(usable.std()),
                         median=float(median), iqr=float(q75 - q25), min=float(usable.min()),
                         max=float(usable.max()))
    else:
        stats.update(mean=None, std=None, median=None, iqr=None, min=None, max=None)
    if bootstrap["n_resamples"]:
        from segmetrics.stats import bootstrap_mean_ci

        low, high = bootstrap_mean_ci(usable, **bootstrap) if usable.size else (None, None)
        stats.update(ci_low=low, ci_high=high)
    return stats


def summarize(records: Sequence[Record], metrics: Sequence[str], *, both_empty: str = "skip",
              confidence: float = 0.95, n_resamples: int = 10_000,
              seed: int = 0) -> dict[str, Any]:
    """Per-label and all-label statistics of each metric over the records.

    Parameters
    ----------
    records : sequence of Record
    metrics : sequence of str
    both_empty : {"skip", "include"}
        Whether ``both_empty`` rows enter the statistics.
    confidence, n_resamples, seed
        The percentile-bootstrap interval of each mean
        (:func:`segmetrics.stats.bootstrap_mean_ci`), computed on the values
        the mean is computed on; ``n_resamples=0`` leaves it out.

    Returns
    -------
    dict
        ``{"per_label": {label: {metric: stats}}, "all_labels": {metric: stats},
        "status_counts": {...}}``; each ``stats`` holds mean, std (population),
        median, iqr, min, max (None without usable values) and n_valid, n_nan,
        n_inf, n_inf_replaced, and ci_low, ci_high (NaN/None with fewer than two
        values). Infinite distances are replaced by the case's image diagonal; NaN
        values are left out and counted; ``error`` rows are left out.
    """
    bootstrap = check_bootstrap(confidence, n_resamples, seed)
    statuses = SCORED_STATUSES + (("both_empty",) if both_empty == "include" else ())
    used = [r for r in records if r.status in statuses and r.label is not None]
    per_label: dict[str, dict[str, Stats]] = {}
    for label in sorted({r.label for r in records if r.label is not None}):
        rows = [r for r in used if r.label == label]
        per_label[str(label)] = {m: _stats([r.values[m] for r in rows], _diagonals(m, rows),
                                           bootstrap) for m in metrics}
    all_labels = {m: _stats([r.values[m] for r in used], _diagonals(m, used), bootstrap)
                  for m in metrics}
    status_counts = {s: sum(r.status == s for r in records) for s in STATUSES}
    return {"per_label": per_label, "all_labels": all_labels, "status_counts": status_counts}


def _diagonals(metric: str, records: Iterable[Record]) -> list[float] | None:
    """The worst cases replacing infinite values: image diagonals for distance metrics only."""
    return [r.diagonal for r in records] if metric in DISTANCE_METRICS else None


@overload
def json_safe(value: dict[Any, Any]) -> dict[str, Any]: ...
@overload
def json_safe(value: list[Any] | tuple[Any, ...]) -> list[Any]: ...
@overload
def json_safe(value: object) -> object: ...
def json_safe(value: object) -> object:
    """``value`` as JSON writes it: NaN becomes null, infinities ``"inf"``/``"-inf"``, keys
    text, tuples lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def summary_document(records: Sequence[Record], options: Options, *, both_empty: str,
                     preset: str | None, pred_dir: str | os.PathLike[str],
                     gt_dir: str | os.PathLike[str], n_cases: int, unmatched: Sequence[str],
                     command_line: Iterable[str] | None, bootstrap: Bootstrap
                     ) -> dict[str, Any]:
    """The content of summary.json: statistics, the policy behind them and what was run."""
    metrics = options.metrics
    return {
        "segmetrics_version": _version(),
        "command_line": list(command_line) if command_line is not None else None,
        "predictions": str(pred_dir),
        "ground_truths": str(gt_dir),
        "preset": preset,
        "n_cases": n_cases,
        "unmatched_predictions": unmatched,
        "labels": sorted({r.label for r in records if r.label is not None}),
        "metrics": list(metrics),
        "options": options.summary(),
        "aggregation": {
            "both_empty": "included" if both_empty == "include" else "skipped",
            "error": "skipped (counted in status_counts)",
            "missing": "scored as an empty prediction (worst case) and included",
            "nan": "left out of the statistics and counted (n_nan)",
            "inf": "replaced by the worst case, the case's image diagonal in physical units "
                   "(n_inf_replaced counts the replacements)",
            "std": "population standard deviation (ddof=0)",
            "iqr": "75th minus 25th percentile, linear interpolation",
            "all_labels": "pooled over every (case, label) row",
            "ci": _ci_description(bootstrap),
        },
        "definitions": definitions(metrics, options),
        "bootstrap": {**bootstrap, "method": "percentile"},
        **summarize(records, metrics, both_empty=both_empty, **bootstrap),
    }


def check_bootstrap(confidence: float, n_resamples: int, seed: int) -> Bootstrap:
    return {"confidence": check_confidence(confidence),
            "n_resamples": check_int(n_resamples, "n_resamples", minimum=0),
            "seed": check_int(seed, "seed", minimum=0)}


def _ci_description(bootstrap: Bootstrap) -> str:
    if not bootstrap["n_resamples"]:
        return "not computed (n_resamples = 0)"
    return (f"{bootstrap['confidence'] * 100:g}% percentile-bootstrap interval of the mean "
            f"(ci_low, ci_high): {bootstrap['n_resamples']} resamples of the values the mean "
            f"is computed on (after the inf replacement, NaN left out), "
            f"numpy default_rng seed {bootstrap['seed']}; null with fewer than 2 values")


def _version() -> str:
    import segmetrics

    return segmetrics.__version__
