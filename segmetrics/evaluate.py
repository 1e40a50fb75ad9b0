"""Score a folder of predictions against a folder of ground truths.

:func:`evaluate_folder` matches cases by file name, scores each case in a
worker (one confusion matrix for every overlap metric, one
:func:`segmetrics.surface_distances` call for every distance metric), appends
the rows of each case to ``OUT/metrics.csv`` as soon as it finishes, and
writes ``OUT/summary.json`` at the end. ``segmetrics-eval`` is a thin command
line over it (:mod:`segmetrics.cli`).

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
import csv
import dataclasses
import json
import math
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from segmetrics import from_counts as _formulas
from segmetrics._validate import check_choice, check_confidence, check_int, check_real

__all__ = [
    "DEFAULT_METRICS", "DISTANCE_METRICS", "METRICS", "OVERLAP_METRICS", "PRESETS", "STATUSES",
    "SURFACES", "Case", "Evaluation", "Record", "UsageError", "evaluate_folder", "match_cases",
    "score_case", "summarize",
]

OVERLAP_METRICS = (
    "dice", "jaccard", "threshold_jaccard", "kappa", "tversky", "sensitivity", "specificity",
    "precision", "accuracy",
)
DISTANCE_METRICS = ("hd", "hd95", "assd", "nsd")
METRICS = OVERLAP_METRICS + DISTANCE_METRICS
DEFAULT_METRICS = ("dice", "jaccard", "hd95", "assd", "nsd")
#: Surfaces of the distance metrics (``surface`` of :func:`segmetrics.surface_distances`).
SURFACES = ("voxel", "surfel")
STATUSES = ("ok", "both_empty", "empty_pred", "empty_gt", "missing", "error")
#: Statuses whose values enter the summary (both_empty too with ``both_empty="include"``).
_SCORED = ("ok", "empty_pred", "empty_gt", "missing")
CSV_NAME = "metrics.csv"
SUMMARY_NAME = "summary.json"
_STATE_NAME = ".segmetrics-state.jsonl"
_ISIC_JACCARD_THRESHOLD = 0.65

DEFINITIONS = {
    "dice": "2 TP / (2 TP + FP + FN)",
    "jaccard": "TP / (TP + FP + FN)",
    "threshold_jaccard": "jaccard if jaccard >= 0.65 else 0 (ISIC 2018 task 1)",
    "kappa": "Cohen's kappa of the one-vs-rest 2x2 table: "
             "2 (TP TN - FN FP) / ((TP + FP)(FP + TN) + (TP + FN)(FN + TN))",
    "tversky": "TP / (TP + alpha FP + beta FN)",
    "sensitivity": "TP / (TP + FN)",
    "specificity": "TN / (TN + FP)",
    "precision": "TP / (TP + FP)",
    "accuracy": "(TP + TN) / (TP + FP + FN + TN)",
    "hd": "Hausdorff distance between the surfaces, physical units (max of both directions)",
    "hd95": "95th percentile Hausdorff distance, physical units",
    "assd": "average symmetric surface distance, physical units",
    "nsd": "normalised surface Dice at tolerance nsd_tolerance (physical units)",
}

#: What ``surface="surfel"`` adds to the definitions of the distance metrics.
_SURFEL_DEFINITIONS = {
    "hd": "; between the surface elements of DeepMind's surface-distance (points on the "
          "voxel-corner grid)",
    "hd95": "; area-weighted (DeepMind's weighted percentile, larger of the two directed "
            "95th percentiles) over the surface elements of DeepMind's surface-distance "
            "(points on the voxel-corner grid weighted by contour length (2-D) or surface "
            "area (3-D))",
    "assd": "; area-weighted mean of both directed sets over the surface elements of "
            "DeepMind's surface-distance (points on the voxel-corner grid weighted by "
            "contour length (2-D) or surface area (3-D))",
    "nsd": "; area-weighted over the surface elements of DeepMind's surface-distance "
           "(points on the voxel-corner grid weighted by contour length (2-D) or surface "
           "area (3-D))",
}

#: Named option sets; the options a preset fixes override the caller's.
PRESETS = {
    "isic": {
        "metrics": ("threshold_jaccard", "jaccard", "dice", "accuracy", "sensitivity",
                    "specificity"),
        "labels": (1,),
        "binarize_above": 128,
        "zero_division": 1.0,
        "both_empty": "include",
        "pattern": r"ISIC_[0-9]{7}",
    },
}


class UsageError(ValueError):
    """The call itself is wrong (missing folder, no pairs, bad option): nothing was scored."""


class Case(NamedTuple):
    """A case to score: its name, the prediction file (None if missing) and the ground truth."""

    name: str
    pred: object
    gt: object


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


class Evaluation(NamedTuple):
    """What :func:`evaluate_folder` returns: the CSV records and the summary."""

    records: list
    summary: dict


@dataclass(frozen=True)
class _Settings:
    """Everything a worker needs to score one case; picklable."""

    metrics: tuple
    labels: object
    threshold: object
    colormap: object
    spacing: object
    ignore_index: object
    nsd_tolerance: float
    zero_division: float
    binarize_above: object
    tversky_alpha: float
    tversky_beta: float
    spacing_tolerance: float
    surface: str = "voxel"


class _CaseResult(NamedTuple):
    name: str
    records: list
    n_voxels: object
    diagonal: float
    present: tuple
    warnings: tuple


# ---------------------------------------------------------------- matching

def _case_key(stem, strip_suffixes, pattern):
    if pattern is not None:
        found = pattern.search(stem)
        if found is None:
            return None
        if "case" in pattern.groupindex:
            return found.group("case")
        return found.group(1) if pattern.groups else found.group(0)
    for suffix in strip_suffixes:
        if suffix and stem.endswith(suffix) and len(stem) > len(suffix):
            return stem[: -len(suffix)]
    return stem


def _index_folder(folder, role, strip_suffixes, pattern):
    from segmetrics.io import split_extension

    index = {}
    ignored = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith(".") or not entry.is_file():
            continue
        stem, ext = split_extension(entry.name)
        if not ext:
            continue
        key = _case_key(stem, strip_suffixes, pattern)
        if key is None:
            ignored.append(entry.name)
            continue
        if key in index:
            raise UsageError(
                f"two {role} files map to case {key!r}: {index[key].name} and {entry.name}; "
                "rename one or adjust --strip-suffix/--pattern"
            )
        index[key] = Path(entry.path)
    if ignored:
        warnings.warn(f"{len(ignored)} {role} files do not match --pattern and are ignored "
                      f"(first: {ignored[0]})", UserWarning, stacklevel=3)
    return index


def match_cases(pred_dir, gt_dir, *, strip_suffixes=(), pattern=None):
    """Pair prediction and ground-truth files by case name.

    The case name is the file name without its extension (``.nii.gz`` counts
    as one), after removing the first matching suffix of ``strip_suffixes``
    (e.g. ``"_seg"``, ``"_segmentation"``, ``"_0000"``), or, with
    ``pattern``, the regular-expression match in it (group ``case`` if
    named, else group 1, else the whole match). The same rule applies to both
    folders. Files with other extensions and hidden files are skipped.

    Returns
    -------
    cases : list of Case
        One per ground truth, sorted by name; ``pred`` is None when no
        prediction matches.
    unmatched : list of str
        Case names of predictions without a ground truth.

    Raises
    ------
    UsageError
        If a folder does not exist, has no mask files, or two files of one
        folder map to the same case.
    """
    if isinstance(strip_suffixes, str):
        strip_suffixes = (strip_suffixes,)
    if isinstance(pattern, str):
        try:
            pattern = re.compile(pattern)
        except re.error as exc:
            raise UsageError(f"pattern is not a valid regular expression: {exc}") from None
    for folder, role in ((pred_dir, "prediction"), (gt_dir, "ground-truth")):
        if not Path(folder).is_dir():
            raise UsageError(f"{role} folder {str(folder)!r} does not exist or is not a folder")
    preds = _index_folder(pred_dir, "prediction", strip_suffixes, pattern)
    gts = _index_folder(gt_dir, "ground-truth", strip_suffixes, pattern)
    if not gts:
        raise UsageError(f"no ground-truth mask files found in {str(gt_dir)!r}")
    cases = [Case(name, preds.get(name), gts[name]) for name in sorted(gts)]
    if not any(case.pred is not None for case in cases):
        raise UsageError(
            f"no prediction in {str(pred_dir)!r} matches a ground truth in {str(gt_dir)!r} "
            "(cases are matched by file name without extension; see --strip-suffix/--pattern)"
        )
    unmatched = sorted(set(preds) - set(gts))
    return cases, unmatched


# ---------------------------------------------------------------- one case

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


def _overlap_values(counts, settings):
    """Every requested overlap metric from one set of counts (arrays in labels order)."""
    zd = settings.zero_division
    values = {}
    wanted = set(settings.metrics)
    if wanted & {"jaccard", "threshold_jaccard"}:
        jaccard = _formulas.jaccard(counts, zero_division=zd)
        values["jaccard"] = jaccard
        values["threshold_jaccard"] = np.where(jaccard >= _ISIC_JACCARD_THRESHOLD, jaccard, 0.0)
        values["threshold_jaccard"] = np.where(np.isnan(jaccard), np.nan,
                                               values["threshold_jaccard"])
    for name in ("dice", "kappa", "sensitivity", "specificity", "precision", "accuracy"):
        if name in wanted:
            values[name] = getattr(_formulas, name)(counts, zero_division=zd)
    if "tversky" in wanted:
        values["tversky"] = _formulas.tversky(counts, alpha=settings.tversky_alpha,
                                              beta=settings.tversky_beta, zero_division=zd)
    return {m: np.atleast_1d(np.asarray(values[m], dtype=np.float64))
            for m in settings.metrics if m in values}


def _distance_values(pred, gt, spacing, labels, settings):
    """Every requested distance metric from one surface_distances call per case."""
    wanted = [m for m in settings.metrics if m in DISTANCE_METRICS]
    if not wanted:
        return {}
    from segmetrics import surface_distances

    if settings.ignore_index is not None:
        ignored = gt == settings.ignore_index
        if ignored.any():
            pred = np.where(ignored, 0, pred)
            gt = np.where(ignored, 0, gt)
    distances = surface_distances(pred, gt, spacing=spacing, labels=list(labels),
                                  surface=settings.surface)
    getters = {
        "hd": lambda d: d.hausdorff(),
        "hd95": lambda d: d.hd95(),
        "assd": lambda d: d.assd(),
        "nsd": lambda d: d.surface_dice(settings.nsd_tolerance),
    }
    return {m: np.array([float(getters[m](d)) for d in distances]) for m in wanted}


def _status(n_pred, n_gt):
    if n_pred and n_gt:
        return "ok"
    if n_gt:
        return "empty_pred"
    if n_pred:
        return "empty_gt"
    return "both_empty"


def _records_from_counts(name, labels, counts, distances, diagonal, settings, *, missing):
    values = _overlap_values(counts, settings)
    values.update(distances)
    records = []
    for i, label in enumerate(labels):
        n_pred = int(counts.tp[i] + counts.fp[i])
        n_gt = int(counts.tp[i] + counts.fn[i])
        status = "missing" if missing else _status(n_pred, n_gt)
        error = "no prediction file for this case; scored as an empty prediction" if missing else ""
        row = {m: float(values[m][i]) if m in values else math.nan for m in settings.metrics}
        records.append(Record(name, int(label), status, error, row, diagonal))
    return records


def score_case(case, settings):
    """Score one case; never raises: a failure is a record with status ``error``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read = _mask_reader(settings)
        result = _score_guarded(case, settings, lambda: read(case.gt),
                                lambda: read(case.pred))
    messages = tuple(dict.fromkeys(str(w.message) for w in caught))
    return result._replace(warnings=messages)


def _mask_reader(settings):
    """``path -> Mask`` with the reading options of ``settings``."""
    from segmetrics.io import read_mask

    options = dict(threshold=settings.threshold, colormap=settings.colormap,
                   spacing=settings.spacing, binarize_above=settings.binarize_above)
    return lambda path: read_mask(path, **options)


def _score_guarded(case, settings, gt_mask, pred_mask):
    """:func:`_score_masks`, with any failure turned into the case's ``error`` records."""
    try:
        return _score_masks(case, settings, gt_mask, pred_mask)
    except Exception as exc:  # noqa: BLE001 - one bad case never stops the run
        from segmetrics.io import MaskError

        message = str(exc) if isinstance(exc, (MaskError, _CaseError)) else (
            f"{type(exc).__name__}: {exc}")
        labels = settings.labels if settings.labels is not None else (None,)
        records = [Record(case.name, label, "error", message,
                          {m: math.nan for m in settings.metrics}) for label in labels]
        return _CaseResult(case.name, records, None, math.nan, (), ())


def _score_masks(case, settings, gt_mask, pred_mask):
    """Score a case whose masks ``gt_mask()`` and ``pred_mask()`` return (or raise)."""
    from segmetrics.overlap import confusion_matrix

    gt = gt_mask()
    missing = case.pred is None
    if missing:
        pred = gt._replace(labels=np.zeros_like(gt.labels))
    else:
        pred = pred_mask()
    spacing = _check_geometry(pred, gt, settings.spacing_tolerance)
    diagonal = float(math.sqrt(sum((n * s) ** 2 for n, s in zip(gt.labels.shape, spacing))))
    pred_labels, gt_labels = pred.labels, gt.labels  # any layouts and label dtypes
    confusion = confusion_matrix(pred_labels, gt_labels, ignore_index=settings.ignore_index)
    marginals = confusion.sum(axis=0) + confusion.sum(axis=1)
    present = tuple(int(v) for v in np.flatnonzero(marginals) if v != 0)
    labels = settings.labels if settings.labels is not None else present
    k = max([confusion.shape[0]] + [label + 1 for label in labels])
    padded = np.zeros((k, k), dtype=np.int64)
    padded[: confusion.shape[0], : confusion.shape[1]] = confusion
    n_voxels = int(padded.sum())
    counts = _formulas.per_label_counts(padded, labels) if labels else None
    records = []
    if labels:
        distances = _distance_values(pred_labels, gt_labels, spacing, labels, settings)
        records = _records_from_counts(case.name, labels, counts, distances, diagonal, settings,
                                       missing=missing)
    return _CaseResult(case.name, records, n_voxels, diagonal, present, ())


def _fill_records(name, labels, state, settings):
    """Rows for labels a case does not hold (found in other cases): both empty, from its size."""
    n = len(labels)
    zeros = np.zeros(n, dtype=np.int64)
    counts = _formulas.Counts(zeros, zeros, zeros, np.full(n, state["n_voxels"], dtype=np.int64))
    distances = {m: np.full(n, math.nan) for m in settings.metrics if m in DISTANCE_METRICS}
    return _records_from_counts(name, labels, counts, distances, state["diagonal"], settings,
                                missing=state["missing"])


# ---------------------------------------------------------------- output files

def _columns(metrics):
    return ["case", "label", "status", "error", *metrics]


class _Writer:
    """Appends each finished case to metrics.csv and the resume state, flushed at once."""

    def __init__(self, out_dir, metrics, kept_records, kept_state):
        self.csv_path = out_dir / CSV_NAME
        self.state_path = out_dir / _STATE_NAME
        self.metrics = metrics
        _atomic_csv(self.csv_path, metrics, kept_records)
        _atomic_text(self.state_path, "".join(json.dumps(s) + "\n" for s in kept_state.values()))
        self._csv = open(self.csv_path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.writer(self._csv, lineterminator="\n")
        self._state = open(self.state_path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, state, records):
        self._state.write(json.dumps(state) + "\n")
        self._state.flush()
        self._writer.writerows(record.row(self.metrics) for record in records)
        self._csv.flush()

    def close(self):
        self._csv.close()
        self._state.close()


def _atomic_text(path, text):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _atomic_csv(path, metrics, records):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(_columns(metrics))
        writer.writerows(record.row(metrics) for record in records)
    os.replace(tmp, path)


def _read_previous(out_dir, metrics):
    """Records and per-case state of an earlier (possibly interrupted) run, for --resume."""
    csv_path, state_path = out_dir / CSV_NAME, out_dir / _STATE_NAME
    if not csv_path.exists():
        return [], {}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return [], {}
    if rows[0] != _columns(metrics):
        raise UsageError(
            f"--resume: {csv_path} has columns {rows[0]}, but these options give "
            f"{_columns(metrics)}; rerun with the same --metrics or without --resume"
        )
    state = {}
    if state_path.exists():
        for line in state_path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by the interruption
            state[entry["case"]] = entry
    by_case = {}
    for row in rows[1:]:
        if len(row) != len(rows[0]):
            continue  # a row cut by the interruption
        case, label, status, error, *values = row
        try:
            record = Record(case, int(label) if label else None, status, error,
                            {m: float(v) for m, v in zip(metrics, values)},
                            state.get(case, {}).get("diagonal", math.nan))
        except ValueError:
            continue
        by_case.setdefault(case, []).append(record)
    records, kept_state = [], {}
    for case, case_records in by_case.items():
        entry = state.get(case)
        if entry is not None and entry["n_rows"] == len(case_records):
            records.extend(case_records)
            kept_state[case] = entry
    return records, kept_state


def _scoring_options(settings):
    """The options that change a case's values, as JSON values, recorded with each case
    for ``--resume`` (``metrics`` are checked by the CSV columns; a case scored for
    other ``labels`` is rescored)."""
    options = dataclasses.asdict(settings)
    del options["metrics"], options["labels"]
    return _json_safe(options)


def _check_resumed_options(out_dir, state, settings):
    """Refuse to resume a run whose cases were scored with other options (no mixed rows).

    Each case's state records the options it was scored with. A state written
    before options were recorded holds at most ``surface`` (absent: voxel), and
    only that is compared.
    """
    current = _scoring_options(settings)
    changed = set()
    for entry in state.values():
        earlier = entry.get("options", {"surface": entry.get("surface", "voxel")})
        changed.update(name for name, value in earlier.items() if current.get(name) != value)
    if "surface" in changed and not any(m in DISTANCE_METRICS for m in settings.metrics):
        changed.discard("surface")
    if changed:
        listed = ", ".join(f"--{name.replace('_', '-')} (now {current.get(name)!r})"
                           for name in sorted(changed))
        raise UsageError(
            f"--resume: the cases in {out_dir / CSV_NAME} were scored with other values of "
            f"{listed}; rerun with the same options or without --resume"
        )


# ---------------------------------------------------------------- summary

def _stats(values, diagonals, bootstrap):
    values = np.asarray(values, dtype=np.float64)
    diagonals = np.asarray(diagonals, dtype=np.float64)
    nan = np.isnan(values)
    inf = np.isinf(values)
    replaced = np.where(inf, diagonals, values)
    usable = replaced[~np.isnan(replaced)]
    stats = {"n_valid": int((~nan & ~inf).sum()), "n_nan": int(nan.sum()),
             "n_inf": int(inf.sum()), "n_inf_replaced": int((inf & ~np.isnan(diagonals)).sum())}
    if usable.size:
        q25, median, q75 = np.percentile(usable, [25, 50, 75])
        stats.update(mean=float(usable.mean()), std=float(usable.std()), median=float(median),
                     iqr=float(q75 - q25), min=float(usable.min()), max=float(usable.max()))
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
        values). Infinite values are replaced by the case's image diagonal; NaN
        values are left out and counted; ``error`` rows are left out.
    """
    bootstrap = _check_bootstrap(confidence, n_resamples, seed)
    statuses = _SCORED + (("both_empty",) if both_empty == "include" else ())
    used = [r for r in records if r.status in statuses and r.label is not None]
    per_label = {}
    for label in sorted({r.label for r in records if r.label is not None}):
        rows = [r for r in used if r.label == label]
        per_label[str(label)] = {
            m: _stats([r.values[m] for r in rows], [r.diagonal for r in rows], bootstrap)
            for m in metrics
        }
    all_labels = {m: _stats([r.values[m] for r in used], [r.diagonal for r in used], bootstrap)
                  for m in metrics}
    status_counts = {s: sum(r.status == s for r in records) for s in STATUSES}
    return {"per_label": per_label, "all_labels": all_labels, "status_counts": status_counts}


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


# ---------------------------------------------------------------- running

#: A task for a worker holds cases up to about this many bytes on disk (small cases are
#: batched so that process overhead does not dominate), and never more than
#: 1/8 of a worker's share of the cases (so the load stays balanced).
_CHUNK_BYTES = 8 << 20


def _chunks(cases, jobs):
    """Consecutive groups of cases, one worker task each."""
    limit = max(1, len(cases) // (8 * jobs))
    chunks, chunk, size = [], [], 0
    for case in cases:
        chunk.append(case)
        size += sum(os.path.getsize(p) for p in (case.pred, case.gt)
                    if p is not None and os.path.exists(p))
        if len(chunk) >= limit or size >= _CHUNK_BYTES:
            chunks.append(chunk)
            chunk, size = [], 0
    if chunk:
        chunks.append(chunk)
    return chunks


def _score_chunk(chunk, settings, work):
    if work is None or work is score_case:
        results = []
        _score_read_ahead(chunk, settings, results.append)
        return results
    return [work(case, settings) for case in chunk]


#: ``jobs="auto"``: the first cases are scored in this process to time them ...
_AUTO_PROBE_CASES = 4
#: ... and worker processes start only if the rest would take longer than this in
#: this process (a spawned worker needs about a second to import and warm up) ...
_AUTO_POOL_SECONDS = 10.0
#: ... and the cases are small: larger ones already keep every core busy in this
#: process (threaded kernels, two reading threads).
_AUTO_POOL_MAX_VOXELS = 1 << 22


def _run_auto(cases, settings, on_result, cores=None):
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
    _score_read_ahead(probe, settings, timed)
    per_case = (time.perf_counter() - start) / max(1, len(probe))
    jobs = _auto_jobs(cores, len(rest), per_case, sizes)
    _run_cases(rest, settings, jobs, on_result)
    return jobs


def _auto_jobs(cores, remaining, seconds_per_case, sizes):
    """Worker processes for the cases left after the probe (see :func:`_run_auto`)."""
    if cores < 2 or remaining < 2 or not sizes:
        return 1
    if sum(sizes) / len(sizes) >= _AUTO_POOL_MAX_VOXELS:
        return 1
    if seconds_per_case * remaining < _AUTO_POOL_SECONDS:
        return 1
    return min(cores, remaining)


def _run_cases(cases, settings, jobs, on_result, work=None):
    """Score ``cases``, calling ``on_result`` as each finishes; at most 2 x jobs tasks in flight.

    ``jobs > 1`` uses spawned worker processes that ignore Ctrl-C (the main
    process handles it and stops submitting). Small cases travel in batches
    (:func:`_chunks`). If a worker dies (killed, out of memory), the cases that
    were in flight are rerun one at a time in a fresh process each, so only the
    case that kills its worker becomes an error.
    """
    if jobs == "auto":
        _run_auto(cases, settings, on_result)
        return
    if jobs == 1 or len(cases) <= 1:
        if work is None:
            _score_read_ahead(cases, settings, on_result)
            return
        for case in cases:
            on_result(work(case, settings))
        return
    work = score_case if work is None else work
    queue = list(reversed(_chunks(cases, jobs)))
    while queue:
        suspects = _run_pool(queue, settings, jobs, on_result, work)
        for case in suspects:
            _run_pool([[case]], settings, 1, on_result, work, isolated=True)


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


def _score_read_ahead(cases, settings, on_result, depth=1):
    """Score ``cases`` in this process while the next ``depth`` cases are read.

    Two reading threads read and decompress the prediction and ground truth of
    the next cases (zlib, ISA-L and the kernels release the GIL) while this
    thread scores the current one, so the wall time approaches the larger of
    reading and scoring. At most ``depth + 1`` cases are in memory.
    """
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    read = _mask_reader(settings)
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
                _score_guarded, case, settings, lambda g=gt: _unwrap(g),
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


def _run_pool(queue, settings, jobs, on_result, work, isolated=False):
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
                pending[pool.submit(_score_chunk, chunk, settings, work)] = chunk
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    results = future.result()
                except BrokenProcessPool:
                    if isolated:
                        for case in pending.pop(future):
                            on_result(_crashed(case, settings))
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


def _crashed(case, settings):
    labels = settings.labels if settings.labels is not None else (None,)
    message = ("the worker process scoring this case died (killed or out of memory; or, from "
               "Python, the calling script cannot be re-imported by a spawned worker: call "
               "evaluate_folder under `if __name__ == '__main__':`)")
    records = [Record(case.name, label, "error", message, {m: math.nan for m in settings.metrics})
               for label in labels]
    return _CaseResult(case.name, records, None, math.nan, (), ())


def _progress_bar(enabled, total, initial):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, initial=initial, unit="case", dynamic_ncols=True, file=sys.stderr)


def _check_metrics(metrics):
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    metrics = tuple(dict.fromkeys(metrics))
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise UsageError(f"metrics must be names from {', '.join(METRICS)}; got {list(metrics)}")
    if any(m in DISTANCE_METRICS for m in metrics):
        import segmetrics

        if not hasattr(segmetrics, "surface_distances"):
            raise UsageError(
                f"distance metrics ({', '.join(m for m in metrics if m in DISTANCE_METRICS)}) "
                "need segmetrics.surface_distances, which this build of segmetrics lacks; "
                "choose overlap metrics with --metrics"
            )
    return metrics


def _settings(metrics, labels, threshold, colormap, spacing, ignore_index, nsd_tolerance,
              zero_division, binarize_above, tversky_alpha, tversky_beta, spacing_tolerance,
              surface="voxel"):
    from segmetrics.io import parse_colormap

    try:
        if labels is not None:
            if isinstance(labels, str):
                labels = [int(v) for v in labels.split(",") if v.strip()]
            labels = tuple(check_int(v, "each label", minimum=1) for v in labels)
            if not labels:
                raise ValueError("labels must not be empty")
        if threshold is not None:
            threshold = check_real(threshold, "threshold")
        if spacing is not None:
            spacing = tuple(check_real(s, "each spacing value", minimum=0.0) for s in spacing)
            if not all(s > 0 for s in spacing):
                raise ValueError(f"spacing values must be > 0; got {spacing}")
        if ignore_index is not None:
            ignore_index = check_int(ignore_index, "ignore_index")
        nsd_tolerance = check_real(nsd_tolerance, "nsd_tolerance", minimum=0.0)
        zero_division = check_real(zero_division, "zero_division", allow_nan=True)
        if colormap is not None:
            colormap = parse_colormap(colormap)
        tversky_alpha = check_real(tversky_alpha, "tversky_alpha", minimum=0.0)
        tversky_beta = check_real(tversky_beta, "tversky_beta", minimum=0.0)
        spacing_tolerance = check_real(spacing_tolerance, "spacing_tolerance", minimum=0.0)
        surface = check_choice(surface, "surface", SURFACES)
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    return _Settings(metrics, labels, threshold, colormap, spacing, ignore_index, nsd_tolerance,
                     zero_division, binarize_above, tversky_alpha, tversky_beta,
                     spacing_tolerance, surface)


def evaluate_folder(pred_dir, gt_dir, *, out_dir=None, metrics=DEFAULT_METRICS, labels=None,
                    threshold=None, ignore_index=None, spacing=None, nsd_tolerance=1.0,
                    colormap=None, strip_suffixes=(), pattern=None, preset=None,
                    both_empty="skip", zero_division=math.nan, tversky_alpha=0.5,
                    tversky_beta=0.5, spacing_tolerance=1e-3, jobs=1, resume=False,
                    overwrite=False, progress=False, command_line=None, client=None,
                    confidence=0.95, n_resamples=10_000, seed=0, surface="voxel"):
    """Score every prediction in a folder against its ground truth.

    Parameters
    ----------
    pred_dir, gt_dir : str or path-like
        Folders of prediction and ground-truth masks, matched by case name
        (see :func:`match_cases`).
    out_dir : str or path-like, optional
        Where ``metrics.csv`` and ``summary.json`` go. Without it nothing is
        written and ``resume`` is unavailable.
    metrics : sequence of str or comma-separated str
        From :data:`METRICS`; default :data:`DEFAULT_METRICS`.
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
    nsd_tolerance : float
        Tolerance of the normalised surface Dice, in physical units.
    colormap : dict or str, optional
        Colour -> label table for RGB masks (:func:`segmetrics.io.parse_colormap`).
    strip_suffixes, pattern
        Case-name rules (see :func:`match_cases`).
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
        the first cases show that would pay (:func:`_run_auto`; the rule is
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
    >>> root = tempfile.mkdtemp()
    >>> for sub in ("preds", "gts"):
    ...     os.mkdir(os.path.join(root, sub))
    >>> np.save(os.path.join(root, "gts", "a.npy"), np.array([[0, 1], [1, 1]], dtype=np.uint8))
    >>> np.save(os.path.join(root, "preds", "a.npy"), np.array([[0, 1], [0, 1]], dtype=np.uint8))
    >>> result = evaluate_folder(os.path.join(root, "preds"), os.path.join(root, "gts"),
    ...                          metrics=["dice", "jaccard"])
    >>> [(r.case, r.label, r.status, round(r.values["dice"], 3)) for r in result.records]
    [('a', 1, 'ok', 0.8)]
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
        bootstrap = _check_bootstrap(confidence, n_resamples, seed)
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    metrics = _check_metrics(metrics)
    settings = _settings(metrics, labels, threshold, colormap, spacing, ignore_index,
                         nsd_tolerance, zero_division, binarize_above, tversky_alpha,
                         tversky_beta, spacing_tolerance, surface)
    cases, unmatched = match_cases(pred_dir, gt_dir, strip_suffixes=strip_suffixes,
                                   pattern=pattern)
    if unmatched:
        shown = ", ".join(unmatched[:5]) + (", ..." if len(unmatched) > 5 else "")
        warnings.warn(f"{len(unmatched)} predictions have no ground truth and are not scored: "
                      f"{shown}", UserWarning, stacklevel=2)

    out = Path(out_dir) if out_dir is not None else None
    kept_records, state = [], {}
    if out is not None:
        if out.exists() and not out.is_dir():
            raise UsageError(f"output {str(out)!r} exists and is not a folder")
        out.mkdir(parents=True, exist_ok=True)
        if resume:
            kept_records, state = _read_previous(out, metrics)
            _check_resumed_options(out, state, settings)
        elif (out / CSV_NAME).exists() and not overwrite:
            raise UsageError(f"{out / CSV_NAME} exists: pass --resume to continue that run "
                             "or --overwrite to replace it")
    elif resume:
        raise UsageError("resume needs an output folder (out_dir)")
    state = _still_valid(state, kept_records, cases, settings)
    kept_records = [r for r in kept_records if r.case in state]
    todo = [case for case in cases if case.name not in state]

    results = {}
    writer = _Writer(out, metrics, kept_records, state) if out is not None else None
    bar = _progress_bar(progress, len(cases), len(cases) - len(todo))
    emitted = set()

    options = _scoring_options(settings)

    def on_result(result):
        entry = {"case": result.name, "n_voxels": result.n_voxels, "diagonal": result.diagonal,
                 "present": list(result.present), "n_rows": len(result.records),
                 "missing": cases_by_name[result.name].pred is None,
                 "options": options}
        results[result.name] = result
        state[result.name] = entry
        if writer is not None:
            writer.write(entry, result.records)
        for message in result.warnings:
            if message not in emitted:
                emitted.add(message)
                deferred.append(f"{result.name}: {message}")
        if bar is not None:
            bar.update(1)

    cases_by_name = {case.name: case for case in cases}
    deferred = []  # the cases' warnings, issued once the scoring threads are done
    try:
        if client is not None:
            from segmetrics.distributed import run_cases

            run_cases(todo, settings, client, on_result)
        else:
            _run_cases(todo, settings, jobs, on_result)
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
        for message in deferred:
            warnings.warn(message, UserWarning, stacklevel=2)

    records = _complete_records(cases, kept_records, results, state, settings)
    summary = _summary_document(records, settings, both_empty=both_empty, preset=preset,
                                pred_dir=pred_dir, gt_dir=gt_dir, n_cases=len(cases),
                                unmatched=unmatched, command_line=command_line,
                                bootstrap=bootstrap)
    summary = _json_safe(summary)
    if out is not None:
        _atomic_csv(out / CSV_NAME, metrics, records)
        _atomic_text(out / _STATE_NAME,
                     "".join(json.dumps(state[c.name]) + "\n" for c in cases if c.name in state))
        _atomic_text(out / SUMMARY_NAME, json.dumps(summary, indent=2) + "\n")
    return Evaluation(records, summary)


def _summary_document(records, settings, *, both_empty, preset, pred_dir, gt_dir, n_cases,
                      unmatched, command_line, bootstrap):
    """The content of summary.json: statistics, the policy behind them and what was run."""
    metrics = settings.metrics
    definitions = {m: DEFINITIONS[m] for m in metrics}
    if "nsd" in definitions:
        definitions["nsd"] += f" = {settings.nsd_tolerance}"
    if settings.surface == "surfel":
        for m in DISTANCE_METRICS:
            if m in definitions:
                definitions[m] += _SURFEL_DEFINITIONS[m]
    if "tversky" in definitions:
        definitions["tversky"] += (f" with alpha = {settings.tversky_alpha}, "
                                   f"beta = {settings.tversky_beta}")
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
        "options": {
            "threshold": settings.threshold,
            "binarize_above": settings.binarize_above,
            "ignore_index": settings.ignore_index,
            "spacing": settings.spacing,
            "nsd_tolerance": settings.nsd_tolerance,
            "surface": settings.surface,
            "zero_division": settings.zero_division,
            "tversky_alpha": settings.tversky_alpha,
            "tversky_beta": settings.tversky_beta,
            "spacing_tolerance": settings.spacing_tolerance,
        },
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
        "definitions": definitions,
        "bootstrap": {**bootstrap, "method": "percentile"},
        **summarize(records, metrics, both_empty=both_empty, **bootstrap),
    }


def _check_bootstrap(confidence, n_resamples, seed):
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


def _still_valid(state, records, cases, settings):
    """The earlier run's cases that need no rescoring under the current cases and labels."""
    scored = {}
    for record in records:
        scored.setdefault(record.case, set()).add(record.label)
    valid = {}
    for case in cases:
        entry = state.get(case.name)
        if entry is None or entry.get("missing") != (case.pred is None):
            continue  # not scored yet, or a prediction appeared since
        if entry.get("n_voxels") is not None:
            present = set(entry.get("present", ()))
            wanted = present if settings.labels is None else set(settings.labels) & present
            if not wanted <= scored.get(case.name, set()):
                continue  # scored earlier for other labels
        valid[case.name] = entry
    return valid


def _complete_records(cases, kept_records, results, state, settings):
    """Every case x label, sorted: fills labels a case lacks and expands error rows."""
    by_case = {}
    for record in kept_records:
        by_case.setdefault(record.case, []).append(record)
    for name, result in results.items():
        by_case[name] = list(result.records)
    if settings.labels is not None:
        labels = settings.labels
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
                                  {m: math.nan for m in settings.metrics}) for label in labels)
            continue
        have = {r.label for r in case_records}
        records.extend(r for r in case_records if r.label in labels)
        absent = [label for label in labels if label not in have]
        if absent and entry is not None and entry.get("n_voxels") is not None:
            records.extend(_fill_records(case.name, absent, entry, settings))
    records.sort(key=lambda r: (r.case, -1 if r.label is None else r.label))
    return records


def _version():
    import segmetrics

    return segmetrics.__version__
