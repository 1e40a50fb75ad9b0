"""The tables of *Technical report on seg CNN and loss* from the run records, in Markdown and CSV.

Each run record (:meth:`train.RunResult.row`) holds the per-split means over
images; a table cell is the mean and the sample standard deviation (``ddof=1``;
0 with one seed) of those per-seed means.

* Table 12: loss x (train, test) x (loss, accuracy, Dice, IoU, kappa, HD95).
* Tables 8-9: head (sigmoid, softmax) x loss, same columns.
* Table 10: model x (parameters, seconds per run, metrics).
"""
import csv
import math

import numpy as np

from .losses import LOSSES

SPLIT_COLUMNS = ("loss", "accuracy", "dice", "iou", "kappa", "hd95")
HEADERS = {"loss": "loss", "accuracy": "acc.", "dice": "Dice", "iou": "IoU", "kappa": "κ",
           "hd95": "HD95 (px)"}


def _mean_std(values):
    values = np.asarray(values, dtype=float)
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return float(values.mean()), std


def _format(mean, std, column):
    digits = 1 if column.endswith("hd95") or column == "seconds" else 3
    if column == "parameters":
        return f"{int(mean):,}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def summarise(rows, group_by, columns):
    """One dict per group of ``group_by`` keys (in first-seen order): n_seeds and, per
    column, ``<column>_mean`` and ``<column>_std``; ``<split>_empty`` is summed."""
    groups = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in group_by), []).append(row)
    out = []
    for key, members in groups.items():
        record = dict(zip(group_by, key), n_seeds=len(members))
        for column in columns:
            mean, std = _mean_std([m[column] for m in members])
            record[f"{column}_mean"], record[f"{column}_std"] = mean, std
        for split in ("train", "test"):
            if f"{split}_empty" in members[0]:
                record[f"{split}_empty"] = int(sum(m[f"{split}_empty"] for m in members))
        out.append(record)
    return out


def split_columns():
    return [f"{split}_{c}" for split in ("train", "test") for c in SPLIT_COLUMNS]


def markdown(records, label_columns, columns, *, labels=None, counts=()):
    """A Markdown table: the label columns, ``mean ± std`` of each of ``columns``, then
    the plain values of the ``counts`` columns (e.g. ``test_empty``)."""
    labels = labels or {}
    head = [labels.get(c, c) for c in label_columns]
    head += [_column_header(c) for c in columns] + [labels.get(c, c) for c in counts]
    lines = ["| " + " | ".join(head) + " |",
             "|" + "|".join(["---"] * len(label_columns)
                            + ["---:"] * (len(columns) + len(counts))) + "|"]
    for record in records:
        cells = [str(record[c]) for c in label_columns]
        cells += [_format(record[f"{c}_mean"], record[f"{c}_std"], c) for c in columns]
        cells += [str(record[c]) for c in counts]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _column_header(column):
    if column in ("parameters", "seconds"):
        return {"parameters": "parameters", "seconds": "s / run"}[column]
    split, metric = column.split("_", 1)
    return f"{split} {HEADERS[metric]}"


def write_csv(path, records):
    """Write ``records`` (dicts with the same keys) to ``path``."""
    if not records:
        raise ValueError(f"no records to write to {path}")
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        for record in records:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) and math.isfinite(v) else v)
                             for k, v in record.items()})


def table12(rows):
    """Loss comparison records (U-Net, sigmoid head), in registry order."""
    rows = [r for r in rows if r["experiment"] == "losses"]
    records = summarise(rows, ["loss"], split_columns())
    order = list(LOSSES)
    records.sort(key=lambda r: order.index(r["loss"]))
    for record in records:
        record["loss_function"] = LOSSES[record["loss"]].label
    return records


def table_heads(rows):
    """Sigmoid vs softmax head records (FC-DenseNet), per loss."""
    rows = [r for r in rows if r["experiment"] == "heads"]
    return summarise(rows, ["loss", "head"], split_columns())


def table_models(rows, model_loss):
    """U-Net vs FC-DenseNet records (sigmoid head, ``model_loss``)."""
    rows = [r for r in rows if r["head"] == "sigmoid" and r["loss"] == model_loss
            and r["experiment"] in ("losses", "heads")]
    records = summarise(rows, ["model"], ["parameters", "seconds"] + split_columns())
    for record in records:
        record["loss"] = model_loss
    return records
