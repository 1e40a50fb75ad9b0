"""A self-contained HTML report of a folder evaluation (``segmetrics-eval --report``).

One file, readable offline: the plots are PNG images embedded as base64
``data:`` URIs, the style sheet is inline and nothing is loaded from the
network. It holds the summary per label (mean, 95% CI, median), per-label
box plots with every case drawn as a point (Dice and HD95, or the first
overlap and distance metrics scored), the worst cases per label, the empty,
missing and failed cases, the definitions and aggregation policy, and the
command line. Matplotlib (Agg backend) is imported only here.
"""
from __future__ import annotations

import base64
import html
import io
import math
import os
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from segmetrics.evaluation.metrics import (
    DISTANCE_METRICS,
    HIGHER_IS_BETTER,
    SCORED_STATUSES,
    worst_case,
)

if TYPE_CHECKING:
    from segmetrics.evaluation.folder import Evaluation
    from segmetrics.evaluation.options import Label
    from segmetrics.evaluation.scoring import Record

__all__ = ["render_report", "write_report"]

_STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.6em; text-align: left; }
th { background: #eee; }
code, pre { background: #f4f4f4; padding: 0.1em 0.3em; }
pre { white-space: pre-wrap; padding: 0.5em; }
"""
_PROBLEM_STATUSES = ("error", "missing", "empty_pred", "empty_gt")


def _plot_metrics(metrics: Sequence[str]) -> list[str]:
    """Dice and HD95 when scored, else the first overlap and the first distance metric."""
    chosen: list[str] = []
    for preferred, family in (("dice", [m for m in metrics if m not in DISTANCE_METRICS]),
                              ("hd95", [m for m in metrics if m in DISTANCE_METRICS])):
        if preferred in metrics:
            chosen.append(preferred)
        elif family:
            chosen.append(family[0])
    return chosen


def _usable(records: Iterable[Record], metric: str,
            statuses: Collection[str]) -> npt.NDArray[np.float64]:
    values: list[float] = []
    for r in records:
        if r.status not in statuses:
            continue
        v = r.values.get(metric, math.nan)
        v = worst_case(v, r.diagonal)
        if not math.isnan(v):
            values.append(v)
    return np.asarray(values, dtype=np.float64)


def _figure_png(records: Sequence[Record], metric: str, labels: Sequence[Label],
                statuses: Collection[str]) -> str:
    from matplotlib.figure import Figure  # no pyplot: renders with Agg, no GUI backend

    data = [_usable([r for r in records if r.label == label], metric, statuses)
            for label in labels]
    figure = Figure(figsize=(max(4.0, 1.2 * len(labels) + 2), 3.5), dpi=96)
    axes = figure.subplots()
    positions = list(range(1, len(labels) + 1))
    shown = [d if d.size else np.array([np.nan]) for d in data]
    axes.boxplot(shown, positions=positions, widths=0.5, showfliers=False)
    rng = np.random.default_rng(0)
    for x, values in zip(positions, data):
        axes.plot(x + rng.uniform(-0.15, 0.15, values.size), values, "o", alpha=0.5,
                  markersize=3, color="tab:blue")
    axes.set_xticks(positions, [str(label) for label in labels])
    axes.set_xlabel("label")
    axes.set_ylabel(metric)
    axes.set_title(f"{metric} per label (one point per case)")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _table(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _num(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:.4g}"


def _worst(records: Iterable[Record], metric: str, statuses: Collection[str],
           n: int) -> list[Record]:
    """The ``n`` worst (case, label) rows by ``metric`` (lowest, or highest for distances)."""
    scored = [(r, worst_case(r.values.get(metric, math.nan), r.diagonal))
              for r in records if r.status in statuses]
    scored = [(r, v) for r, v in scored if not math.isnan(v)]
    scored.sort(key=lambda rv: (rv[1] if HIGHER_IS_BETTER[metric] else -rv[1], rv[0].case))
    return [r for r, _ in scored[:n]]


def render_report(evaluation: Evaluation, *, n_worst: int = 5,
                  title: str = "segmetrics evaluation report") -> str:
    """The HTML text of the report of an :class:`~segmetrics.evaluation.Evaluation`.

    Parameters
    ----------
    evaluation : segmetrics.evaluation.Evaluation
        What :func:`segmetrics.evaluate_folder` returned.
    n_worst : int
        Worst cases listed per label (by the first plotted metric).
    title : str

    Returns
    -------
    str
    """
    records, summary = evaluation.records, evaluation.summary
    metrics = summary["metrics"]
    labels = sorted({r.label for r in records if r.label is not None})
    statuses = set(SCORED_STATUSES) | (
        {"both_empty"} if summary["aggregation"]["both_empty"] == "included" else set())
    parts = [f"<h1>{html.escape(title)}</h1>"]
    command = summary.get("command_line")
    parts.append("<p>Command line: <code>"
                 + html.escape(" ".join(command) if command else "(called from Python)")
                 + "</code></p>")
    parts.append(_table(["predictions", "ground truths", "cases", "segmetrics"],
                        [[summary["predictions"], summary["ground_truths"], summary["n_cases"],
                          summary["segmetrics_version"]]]))
    parts.append("<h2>Summary</h2>")
    counts = ", ".join(f"{s}: {n}" for s, n in summary["status_counts"].items() if n)
    parts.append(f"<p>Rows by status: {html.escape(counts)}</p>")
    rows = []
    for label, per_metric in [*summary["per_label"].items(), ("all", summary["all_labels"])]:
        for metric in metrics:
            s = per_metric[metric]
            ci = (f"[{_num(s.get('ci_low'))}, {_num(s.get('ci_high'))}]"
                  if "ci_low" in s else "-")
            rows.append([label, metric, _num(s["mean"]), ci, _num(s["std"]), _num(s["median"]),
                         s["n_valid"], s["n_nan"]])
    parts.append(_table(["label", "metric", "mean", "CI of the mean", "std", "median",
                         "n valid", "n NaN"], rows))
    plotted = _plot_metrics(metrics)
    if plotted and labels:
        parts.append("<h2>Distributions per label</h2>")
        parts.append("<p>The values the summary aggregates: an infinite distance is drawn at "
                     "the case's image diagonal, NaN values are left out.</p>")
        for metric in plotted:
            png = _figure_png(records, metric, labels, statuses)
            parts.append(f'<p><img alt="{html.escape(metric)} per label" '
                         f'src="data:image/png;base64,{png}"></p>')
    if plotted:
        key = plotted[0]
        parts.append(f"<h2>Worst cases per label (by {html.escape(key)})</h2>")
        for label in labels:
            worst = _worst([r for r in records if r.label == label], key, statuses, n_worst)
            parts.append(f"<h3>label {label}</h3>")
            parts.append(_table(["case", "status", *metrics],
                                [[r.case, r.status, *(_num(r.values[m]) for m in metrics)]
                                 for r in worst]))
    problems = [r for r in records if r.status in _PROBLEM_STATUSES]
    parts.append("<h2>Empty, missing and failed cases</h2>")
    if problems:
        parts.append(_table(["case", "label", "status", "error"],
                            [[r.case, "" if r.label is None else r.label, r.status, r.error]
                             for r in problems]))
    else:
        parts.append("<p>None: every case has a prediction and was scored.</p>")
    parts.append("<h2>Definitions</h2>")
    parts.append(_table(["metric", "definition"], list(summary["definitions"].items())))
    parts.append("<h2>Aggregation</h2>")
    parts.append(_table(["rule", "policy"], list(summary["aggregation"].items())))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def write_report(path: str | os.PathLike[str], evaluation: Evaluation, *,
                 n_worst: int = 5) -> Path:
    """Write :func:`render_report` of ``evaluation`` to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True)
    path.write_text(render_report(evaluation, n_worst=n_worst), encoding="utf-8")
    return path
