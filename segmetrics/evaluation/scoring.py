"""Scoring one case: read both masks, check their geometry, one confusion matrix for every
overlap metric and one :func:`segmetrics.surface_distances` call for every distance metric.

Statuses of a (case, label) row:

``ok``
    both prediction and ground truth hold the label.
``both_empty``
    neither holds it (overlap ratios are 0/0, distances NaN).
``empty_pred`` / ``empty_gt``
    only the ground truth / only the prediction holds it.
``missing``
    there is no prediction file: the case is scored as an empty prediction.
``error``
    the case could not be scored (unreadable file, shape, spacing or
    orientation mismatch); ``error`` holds the message and every metric is NaN.
"""
import math
import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from segmetrics import from_counts as _formulas
from segmetrics.evaluation.metrics import DISTANCE_METRICS

__all__ = ["CaseResult", "Record", "complete_records", "error_result", "fill_records",
           "mask_reader", "score_case", "score_guarded"]

#: ``threshold_jaccard``: Jaccard below this counts as 0 (ISIC 2018 task 1).
ISIC_JACCARD_THRESHOLD = 0.65


@dataclass(frozen=True)
class Record:
    """One row of ``metrics.csv``: a case and a label, its status and its metric values.

    ``diagonal`` (the image diagonal in physical units, the worst case that
    replaces an infinite distance in the summary) is kept for aggregation and
    is not a CSV column.
    """

    case: str
    label: object
    status: str
    error: str
    values: dict = field(default_factory=dict)
    diagonal: float = math.nan

    def row(self, metrics):
        """The CSV row: ``case, label, status, error`` then one value per metric."""
        label = "" if self.label is None else self.label
        return [self.case, label, self.status, self.error] + [
            repr(float(self.values.get(m, math.nan))) for m in metrics
        ]


class CaseResult(NamedTuple):
    """What scoring one case gives back to the runner: its records and what the resume
    state and the summary need (size, diagonal, labels present, warnings)."""

    name: str
    records: list
    n_voxels: object
    diagonal: float
    present: tuple
    warnings: tuple


def error_result(case, options, message):
    """A case that could not be scored: one ``error`` record per requested label."""
    labels = options.labels if options.labels is not None else (None,)
    records = [Record(case.name, label, "error", message,
                      {m: math.nan for m in options.metrics}) for label in labels]
    return CaseResult(case.name, records, None, math.nan, (), ())


class _CaseError(Exception):
    """A case that cannot be scored; the message goes to the CSV."""


def _rounded(values):
    return tuple(float(f"{float(v):.6g}") for v in values)


def _check_geometry(pred, gt, tolerance):
    """The spacing both masks share; mismatched shape, spacing or orientation is a case error."""
    if pred.labels.shape != gt.labels.shape:
        raise _CaseError(
            f"shape mismatch: prediction {pred.labels.shape}, ground truth {gt.labels.shape}"
        )
    spacing_p, spacing_g = pred.spacing, gt.spacing
    if spacing_p is not None and spacing_g is not None:
        if len(spacing_p) != len(spacing_g) or not np.allclose(
                spacing_p, spacing_g, rtol=tolerance, atol=0):
            raise _CaseError(
                f"spacing mismatch: prediction {_rounded(spacing_p)}, "
                f"ground truth {_rounded(spacing_g)} "
                f"(relative tolerance {tolerance})"
            )
    if pred.direction is not None and gt.direction is not None:
        if np.shape(pred.direction) != np.shape(gt.direction) or not np.allclose(
                pred.direction, gt.direction, atol=1e-4):
            raise _CaseError("orientation mismatch: the direction cosines of prediction and "
                             "ground truth differ")
    if pred.origin is not None and gt.origin is not None:
        scale = max(np.max(np.abs(spacing_g)) if spacing_g else 1.0, 1.0)
        if np.shape(pred.origin) != np.shape(gt.origin) or not np.allclose(
                pred.origin, gt.origin, atol=tolerance * scale):
            raise _CaseError(
                f"origin mismatch: prediction {np.round(pred.origin, 4).tolist()}, "
                f"ground truth {np.round(gt.origin, 4).tolist()}"
            )
    spacing = spacing_g if spacing_g is not None else spacing_p
    if spacing is None:
        spacing = (1.0,) * gt.labels.ndim
    if len(spacing) != gt.labels.ndim:
        raise _CaseError(f"spacing {tuple(spacing)} does not match the {gt.labels.ndim} axes "
                         "of the masks")
    return tuple(float(s) for s in spacing)


def _overlap_values(counts, options):
    """Every requested overlap metric from one set of counts (arrays in labels order)."""
    zd = options.zero_division
    values = {}
    wanted = set(options.metrics)
    if wanted & {"jaccard", "threshold_jaccard"}:
        jaccard = _formulas.jaccard(counts, zero_division=zd)
        values["jaccard"] = jaccard
        values["threshold_jaccard"] = np.where(jaccard >= ISIC_JACCARD_THRESHOLD, jaccard, 0.0)
        values["threshold_jaccard"] = np.where(np.isnan(jaccard), np.nan,
                                               values["threshold_jaccard"])
    for name in ("dice", "kappa", "sensitivity", "specificity", "precision", "accuracy"):
        if name in wanted:
            values[name] = getattr(_formulas, name)(counts, zero_division=zd)
    if "tversky" in wanted:
        values["tversky"] = _formulas.tversky(counts, alpha=options.tversky_alpha,
                                              beta=options.tversky_beta, zero_division=zd)
    return {m: np.atleast_1d(np.asarray(values[m], dtype=np.float64))
            for m in options.metrics if m in values}


def _distance_values(pred, gt, spacing, labels, options):
    """Every requested distance metric from one surface_distances call per case."""
    wanted = [m for m in options.metrics if m in DISTANCE_METRICS]
    if not wanted:
        return {}
    from segmetrics import surface_distances

    if options.ignore_index is not None:
        ignored = gt == options.ignore_index
        if ignored.any():
            pred = np.where(ignored, 0, pred)
            gt = np.where(ignored, 0, gt)
    pred, gt, spacing = without_length_one_axes(pred, gt, spacing,
                                                keep=2 if options.surface == "surfel" else 1)
    distances = surface_distances(pred, gt, spacing=spacing, labels=list(labels),
                                  surface=options.surface)
    getters = {
        "hd": lambda d: d.hausdorff(),
        "hd95": lambda d: d.hd95(),
        "assd": lambda d: d.assd(),
        "nsd": lambda d: d.surface_dice(options.nsd_tolerance),
    }
    return {m: np.array([float(getters[m](d)) for d in distances]) for m in wanted}


def without_length_one_axes(pred, gt, spacing, keep=1):
    """Views of both masks without their length-1 axes, and the spacing of the axes left.

    The distance metrics treat a length-1 axis as absent: a 2-D mask saved as
    an (X, Y, 1) volume scores as the (X, Y) image it is. Otherwise the two
    faces of the single slice would count as image edges, every foreground
    voxel would be a boundary voxel and the distances would describe the slab,
    not the shape. At least ``keep`` axes remain (the last ones): the surfel
    surface needs two.
    """
    keep = min(keep, pred.ndim)
    axes = [a for a, n in enumerate(pred.shape) if n != 1]
    if len(axes) < keep:
        axes = sorted(set(axes) | set(range(pred.ndim - keep, pred.ndim)))
    if len(axes) == pred.ndim:
        return pred, gt, spacing
    shape = tuple(pred.shape[a] for a in axes)
    return pred.reshape(shape), gt.reshape(shape), tuple(spacing[a] for a in axes)


def _status(n_pred, n_gt):
    if n_pred and n_gt:
        return "ok"
    if n_gt:
        return "empty_pred"
    if n_pred:
        return "empty_gt"
    return "both_empty"


def _records_from_counts(name, labels, counts, distances, diagonal, options, *, missing):
    values = _overlap_values(counts, options)
    values.update(distances)
    records = []
    for i, label in enumerate(labels):
        n_pred = int(counts.tp[i] + counts.fp[i])
        n_gt = int(counts.tp[i] + counts.fn[i])
        status = "missing" if missing else _status(n_pred, n_gt)
        error = "no prediction file for this case; scored as an empty prediction" if missing else ""
        row = {m: float(values[m][i]) if m in values else math.nan for m in options.metrics}
        records.append(Record(name, int(label), status, error, row, diagonal))
    return records


def score_case(case, options):
    """Score one case; never raises: a failure is a record with status ``error``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read = mask_reader(options)
        result = score_guarded(case, options, lambda: read(case.gt),
                                lambda: read(case.pred))
    messages = tuple(dict.fromkeys(str(w.message) for w in caught))
    return result._replace(warnings=messages)


def mask_reader(options):
    """``path -> Mask`` with the reading options of ``options``."""
    from segmetrics.io import read_mask

    options = dict(threshold=options.threshold, colormap=options.colormap,
                   spacing=options.spacing, binarize_above=options.binarize_above,
                   max_voxels=getattr(options, "max_voxels", None))
    return lambda path: read_mask(path, **options)


def score_guarded(case, options, gt_mask, pred_mask):
    """:func:`_score_masks`, with any failure turned into the case's ``error`` records."""
    try:
        return _score_masks(case, options, gt_mask, pred_mask)
    except Exception as exc:  # noqa: BLE001 - one bad case never stops the run
        from segmetrics.io import MaskError

        message = str(exc) if isinstance(exc, (MaskError, _CaseError)) else (
            f"{type(exc).__name__}: {exc}")
        return error_result(case, options, message)


def _score_masks(case, options, gt_mask, pred_mask):
    """Score a case whose masks ``gt_mask()`` and ``pred_mask()`` return (or raise)."""
    from segmetrics.overlap import confusion_matrix

    gt = gt_mask()
    missing = case.pred is None
    if missing:
        pred = gt._replace(labels=np.zeros_like(gt.labels))
    else:
        pred = pred_mask()
    spacing = _check_geometry(pred, gt, options.spacing_tolerance)
    diagonal = float(math.sqrt(sum((n * s) ** 2 for n, s in zip(gt.labels.shape, spacing))))
    pred_labels, gt_labels = pred.labels, gt.labels  # any layouts and label dtypes
    confusion = confusion_matrix(pred_labels, gt_labels, ignore_index=options.ignore_index)
    marginals = confusion.sum(axis=0) + confusion.sum(axis=1)
    present = tuple(int(v) for v in np.flatnonzero(marginals) if v != 0)
    labels = options.labels if options.labels is not None else present
    k = max([confusion.shape[0]] + [label + 1 for label in labels])
    padded = np.zeros((k, k), dtype=np.int64)
    padded[: confusion.shape[0], : confusion.shape[1]] = confusion
    n_voxels = int(padded.sum())
    counts = _formulas.per_label_counts(padded, labels) if labels else None
    records = []
    if labels:
        distances = _distance_values(pred_labels, gt_labels, spacing, labels, options)
        records = _records_from_counts(case.name, labels, counts, distances, diagonal, options,
                                       missing=missing)
    return CaseResult(case.name, records, n_voxels, diagonal, present, ())


def fill_records(name, labels, state, options):
    """Rows for labels a case does not hold (found in other cases): both empty, from its size."""
    n = len(labels)
    zeros = np.zeros(n, dtype=np.int64)
    counts = _formulas.Counts(zeros, zeros, zeros, np.full(n, state["n_voxels"], dtype=np.int64))
    distances = {m: np.full(n, math.nan) for m in options.metrics if m in DISTANCE_METRICS}
    return _records_from_counts(name, labels, counts, distances, state["diagonal"], options,
                                missing=state["missing"])


def complete_records(cases, kept_records, results, state, options):
    """Every case x label, sorted: fills labels a case lacks and expands error rows."""
    by_case = {}
    for record in kept_records:
        by_case.setdefault(record.case, []).append(record)
    for name, result in results.items():
        by_case[name] = list(result.records)
    if options.labels is not None:
        labels = options.labels
    else:
        found = {label for entry in state.values() for label in entry.get("present", ())}
        found |= {r.label for rs in by_case.values() for r in rs if r.label is not None}
        labels = tuple(sorted(found)) or (1,)
    records = []
    for case in cases:
        case_records = by_case.get(case.name, [])
        entry = state.get(case.name)
        if case_records and case_records[0].status == "error":
            first = case_records[0]
            records.extend(Record(case.name, label, "error", first.error,
                                  {m: math.nan for m in options.metrics}) for label in labels)
            continue
        have = {r.label for r in case_records}
        records.extend(r for r in case_records if r.label in labels)
        absent = [label for label in labels if label not in have]
        if absent and entry is not None and entry.get("n_voxels") is not None:
            records.extend(fill_records(case.name, absent, entry, options))
    records.sort(key=lambda r: (r.case, -1 if r.label is None else r.label))
    return records
