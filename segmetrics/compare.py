"""Paired comparison of two models scored on the same ground truths.

:func:`compare_folders` scores each prediction folder with
:func:`segmetrics.evaluate_folder` (same options for both) and
:func:`compare_records` pairs the two sets of records by (case, label): for each
metric and label, the per-case differences A - B, their mean with a
percentile-bootstrap interval, the Wilcoxon signed-rank p-value and the number
of cases each model wins (:func:`segmetrics.stats.paired_comparison`).

A pair enters the comparison when both rows would enter the summary (``error``
rows are left out, ``both_empty`` rows only with ``both_empty="include"``),
after the summary's replacement of an infinite distance by the case's image
diagonal; a pair where either value is NaN is left out and counted
(``n_dropped``).
"""
from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Union, cast

import numpy as np

from segmetrics.evaluation.metrics import HIGHER_IS_BETTER, SCORED_STATUSES, worst_case
from segmetrics.evaluation.summary import json_safe

if TYPE_CHECKING:
    from segmetrics.evaluation.folder import Evaluation
    from segmetrics.evaluation.scoring import Record

#: A folder: a path string or a path-like object.
PathLike = Union[str, "os.PathLike[str]"]

__all__ = ["HIGHER_IS_BETTER", "Comparison", "compare_folders", "compare_records",
           "comparison_table"]

COMPARISON_CSV = "comparison.csv"
COMPARISON_JSON = "comparison.json"
COLUMNS = ("metric", "label", "n_cases", "n_dropped", "higher_is_better", "mean_a", "mean_b",
           "mean_difference", "ci_low", "ci_high", "wilcoxon_p", "a_wins", "b_wins", "ties")


class Comparison(NamedTuple):
    """What :func:`compare_folders` returns: the comparison rows and both evaluations."""

    rows: list[dict[str, Any]]
    a: Evaluation
    b: Evaluation


def _worst_case_value(record: Record, metric: str) -> float:
    value: float = worst_case(record.values.get(metric, math.nan), record.diagonal)
    return value


def compare_records(records_a: Iterable[Record], records_b: Iterable[Record],
                    metrics: Iterable[str], *, both_empty: str = "skip", confidence: float = 0.95,
                    n_resamples: int = 10_000, seed: int = 0) -> list[dict[str, Any]]:
    """Compare two models' records, paired by (case, label); one row per metric and label.

    Parameters
    ----------
    records_a, records_b : sequence of segmetrics.evaluation.Record
        The records of model A and model B on the same ground truths.
    metrics : sequence of str
    both_empty : {"skip", "include"}
        Whether pairs of ``both_empty`` rows are compared.
    confidence, n_resamples, seed
        Of the bootstrap interval of the mean difference.

    Returns
    -------
    list of dict
        Keys :data:`COLUMNS`; ``label`` is ``"all"`` for the rows pooled over
        labels. Differences are A - B; ``a_wins`` counts the cases where A is
        better (higher or lower, by :data:`~segmetrics.evaluation.HIGHER_IS_BETTER`).
    """
    from segmetrics.stats import paired_comparison

    if both_empty not in ("skip", "include"):
        raise ValueError(f"both_empty must be 'skip' or 'include'; got {both_empty!r}")
    statuses = set(SCORED_STATUSES) | ({"both_empty"} if both_empty == "include" else set())
    b_by_key = {(r.case, r.label): r for r in records_b}
    pairs = [(a, b_by_key[(a.case, a.label)]) for a in records_a
             if a.label is not None and (a.case, a.label) in b_by_key]
    pairs = [(a, b) for a, b in pairs if a.status in statuses and b.status in statuses]
    # scored labels are ints (the rows of a whole case, label None, are left out)
    labels = sorted(cast("set[int]", {a.label for a, _ in pairs} | {r.label for r in records_a
                                                                      if r.label is not None}))
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        higher = HIGHER_IS_BETTER[metric]
        for label in [*labels, "all"]:
            chosen = [p for p in pairs if label == "all" or p[0].label == label]
            a = np.array([_worst_case_value(x, metric) for x, _ in chosen], dtype=np.float64)
            b = np.array([_worst_case_value(y, metric) for _, y in chosen], dtype=np.float64)
            keep = ~(np.isnan(a) | np.isnan(b))
            result = paired_comparison(a[keep], b[keep], higher_is_better=higher,
                                       confidence=confidence, n_resamples=max(1, n_resamples),
                                       seed=seed)
            rows.append({
                "metric": metric, "label": str(label), "n_cases": result.n_cases,
                "n_dropped": int((~keep).sum()), "higher_is_better": higher,
                "mean_a": float(a[keep].mean()) if keep.any() else math.nan,
                "mean_b": float(b[keep].mean()) if keep.any() else math.nan,
                "mean_difference": result.mean_difference, "ci_low": result.ci_low,
                "ci_high": result.ci_high, "wilcoxon_p": result.wilcoxon_p,
                "a_wins": result.a_wins, "b_wins": result.b_wins, "ties": result.ties,
            })
    return rows


def _fmt(value: object, digits: int = 4) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else (
        f"{value:.{digits}g}" if isinstance(value, float) else str(value))


def comparison_table(rows: Iterable[Mapping[str, Any]], *, confidence: float = 0.95) -> str:
    """A human-readable table of :func:`compare_records` rows."""
    header = ["metric", "label", "n", "mean A", "mean B", "A - B",
              f"{confidence * 100:g}% CI", "wilcoxon p", "A wins", "B wins", "ties"]
    table = [header]
    for row in rows:
        table.append([row["metric"], row["label"], str(row["n_cases"]), _fmt(row["mean_a"]),
                      _fmt(row["mean_b"]), _fmt(row["mean_difference"]),
                      f"[{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]",
                      _fmt(row["wilcoxon_p"], 3), str(row["a_wins"]), str(row["b_wins"]),
                      str(row["ties"])])
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in table)


def compare_folders(pred_dir_a: PathLike, pred_dir_b: PathLike, gt_dir: PathLike, *,
                    out_dir: PathLike | None = None, **options: Any) -> Comparison:
    """Score two prediction folders against one ground-truth folder and compare them.

    Parameters
    ----------
    pred_dir_a, pred_dir_b, gt_dir : str or path-like
    out_dir : str or path-like, optional
        Where ``a/`` and ``b/`` (each model's ``metrics.csv`` and
        ``summary.json``), ``comparison.csv`` and ``comparison.json`` go.
    **options
        Passed to :func:`segmetrics.evaluate_folder` for both models
        (``metrics``, ``labels``, ``surface``, ``both_empty``, ``confidence``,
        ``n_resamples``, ``seed``, ``jobs``, ``client``, ...).

    Returns
    -------
    Comparison
        ``rows`` (see :func:`compare_records`), and ``a`` and ``b``, the two
        :class:`segmetrics.evaluation.Evaluation` results.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = tmp.name
    >>> for sub in ("a", "b", "gts"):
    ...     os.mkdir(os.path.join(root, sub))
    >>> gt = np.array([[0, 1], [1, 1]], dtype=np.uint8)
    >>> for i in range(3):
    ...     np.save(os.path.join(root, "gts", f"c{i}.npy"), gt)
    ...     np.save(os.path.join(root, "a", f"c{i}.npy"), gt)
    ...     np.save(os.path.join(root, "b", f"c{i}.npy"), np.eye(2, dtype=np.uint8))
    >>> result = compare_folders(os.path.join(root, "a"), os.path.join(root, "b"),
    ...                          os.path.join(root, "gts"), metrics=["dice"])
    >>> row = result.rows[0]
    >>> row["label"], row["n_cases"], round(row["mean_difference"], 3), row["a_wins"]
    ('1', 3, 0.6, 3)
    >>> tmp.cleanup()
    """
    from segmetrics.evaluation import UsageError, evaluate_folder

    try:
        import scipy.stats  # noqa: F401 - the Wilcoxon test, checked before any scoring
    except ImportError:
        raise UsageError("comparing models needs scipy (pip install scipy)") from None
    command_line = options.pop("command_line", None)
    out = Path(out_dir) if out_dir is not None else None
    evaluations = []
    for name, pred_dir in (("a", pred_dir_a), ("b", pred_dir_b)):
        evaluations.append(evaluate_folder(
            pred_dir, gt_dir, out_dir=None if out is None else out / name,
            command_line=command_line, **options))
    a, b = evaluations
    if a.summary["metrics"] != b.summary["metrics"]:
        raise UsageError("the two evaluations scored different metrics")
    bootstrap: dict[str, Any] = {k: options[k] for k in ("confidence", "n_resamples", "seed") if k in options}
    both_empty = "include" if a.summary["aggregation"]["both_empty"] == "included" else "skip"
    rows = compare_records(a.records, b.records, a.summary["metrics"], both_empty=both_empty,
                           **bootstrap)
    if out is not None:
        _write(out, rows, a, b, pred_dir_a, pred_dir_b, gt_dir, command_line, bootstrap)
    return Comparison(rows, a, b)


def _write(out: Path, rows: list[dict[str, Any]], a: Evaluation, b: Evaluation,
           pred_dir_a: PathLike, pred_dir_b: PathLike, gt_dir: PathLike, command_line: Any,
           bootstrap: Mapping[str, Any]) -> None:
    with open(out / COMPARISON_CSV, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([repr(row[c]) if isinstance(row[c], float) else row[c]
                          for c in COLUMNS] for row in rows)
    document = {
        "command_line": command_line,
        "a": str(pred_dir_a), "b": str(pred_dir_b), "ground_truths": str(gt_dir),
        "options": a.summary["options"],          # the same for both evaluations
        "definitions": a.summary["definitions"],
        "method": {
            "difference": "A - B per (case, label), paired by case name",
            "pairs": "both rows enter the summaries (error rows left out, both_empty per "
                     "--both-empty); an infinite distance is replaced by the case's image "
                     "diagonal; pairs with a NaN value are left out (n_dropped)",
            "ci": "percentile bootstrap of the mean difference "
                  f"(confidence {bootstrap.get('confidence', 0.95)}, "
                  f"{bootstrap.get('n_resamples', 10_000)} resamples, "
                  f"seed {bootstrap.get('seed', 0)})",
            "wilcoxon_p": "two-sided Wilcoxon signed-rank test (scipy.stats.wilcoxon); "
                          "1 when every difference is 0",
            "wins": "a_wins: cases where A is better (higher, or lower for hd, hd95, assd)",
        },
        "status_counts": {"a": a.summary["status_counts"], "b": b.summary["status_counts"]},
        "rows": rows,
    }
    text = json.dumps(json_safe(document), indent=2) + "\n"
    (out / COMPARISON_JSON).write_text(text, encoding="utf-8")
