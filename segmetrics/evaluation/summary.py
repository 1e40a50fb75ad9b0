"""The summary of a folder evaluation: statistics per label and over all labels, and the
content of ``summary.json`` (the statistics, the policy behind them and what was run)."""
import math

import numpy as np

from segmetrics._validate import check_confidence, check_int
from segmetrics.evaluation.metrics import (
    DISTANCE_METRICS,
    SCORED_STATUSES,
    STATUSES,
    definitions,
    worst_case_array,
)

__all__ = ["json_safe", "summarize", "summary_document"]


def _stats(values, diagonals, bootstrap):
    """Statistics of one metric's values; ``diagonals=None`` (an overlap metric) keeps
    infinite values as they are: only distances are replaced by the image diagonal."""
    values = np.asarray(values, dtype=np.float64)
    nan = np.isnan(values)
    inf = np.isinf(values)
    if diagonals is None:
        diagonals = np.full(values.shape, np.nan)
        replaced = values
    else:
        diagonals = np.asarray(diagonals, dtype=np.float64)
        replaced = worst_case_array(values, diagonals)
    usable = replaced[~np.isnan(replaced)]
    stats = {"n_valid": int((~nan & ~inf).sum()), "n_nan": int(nan.sum()),
             "n_inf": int(inf.sum()), "n_inf_replaced": int((inf & ~np.isnan(diagonals)).sum())}
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


def summarize(records, metrics, *, both_empty="skip", confidence=0.95, n_resamples=10_000,
              seed=0):
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
    per_label = {}
    for label in sorted({r.label for r in records if r.label is not None}):
        rows = [r for r in used if r.label == label]
        per_label[str(label)] = {m: _stats([r.values[m] for r in rows], _diagonals(m, rows),
                                           bootstrap) for m in metrics}
    all_labels = {m: _stats([r.values[m] for r in used], _diagonals(m, used), bootstrap)
                  for m in metrics}
    status_counts = {s: sum(r.status == s for r in records) for s in STATUSES}
    return {"per_label": per_label, "all_labels": all_labels, "status_counts": status_counts}


def _diagonals(metric, records):
    """The worst cases replacing infinite values: image diagonals for distance metrics only."""
    return [r.diagonal for r in records] if metric in DISTANCE_METRICS else None


def json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def summary_document(records, options, *, both_empty, preset, pred_dir, gt_dir, n_cases,
                      unmatched, command_line, bootstrap):
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


def check_bootstrap(confidence, n_resamples, seed):
    return {"confidence": check_confidence(confidence),
            "n_resamples": check_int(n_resamples, "n_resamples", minimum=0),
            "seed": check_int(seed, "seed", minimum=0)}


def _ci_description(bootstrap):
    if not bootstrap["n_resamples"]:
        return "not computed (n_resamples = 0)"
    return (f"{bootstrap['confidence'] * 100:g}% percentile-bootstrap interval of the mean "
            f"(ci_low, ci_high): {bootstrap['n_resamples']} resamples of the values the mean "
            f"is computed on (after the inf replacement, NaN left out), "
            f"numpy default_rng seed {bootstrap['seed']}; null with fewer than 2 values")


def _version():
    import segmetrics

    return segmetrics.__version__
