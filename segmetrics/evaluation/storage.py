"""The output files of a folder evaluation and what ``--resume`` reads back.

``metrics.csv`` (one row per case and label) and the hidden resume state
(``.segmetrics-state.jsonl``, one JSON line per scored case: its size, diagonal,
labels present, row count and the options it was scored with,
:meth:`~segmetrics.evaluation.options.Options.state`) are appended case by case
and flushed, so an interrupted run leaves valid files; the final files are
written atomically.
"""
import csv
import json
import math
import os

from segmetrics.evaluation.metrics import DISTANCE_METRICS
from segmetrics.evaluation.options import SCHEMA_VERSION, UsageError
from segmetrics.evaluation.scoring import Record

__all__ = ["CSV_NAME", "STATE_NAME", "SUMMARY_NAME", "Writer", "atomic_csv", "atomic_text",
           "check_resumed_options", "read_previous", "still_valid"]

CSV_NAME = "metrics.csv"
SUMMARY_NAME = "summary.json"
STATE_NAME = ".segmetrics-state.jsonl"


def _columns(metrics):
    return ["case", "label", "status", "error", *metrics]


class Writer:
    """Appends each finished case to metrics.csv and the resume state, flushed at once."""

    def __init__(self, out_dir, metrics, kept_records, kept_state):
        self.csv_path = out_dir / CSV_NAME
        self.state_path = out_dir / STATE_NAME
        self.metrics = metrics
        atomic_csv(self.csv_path, metrics, kept_records)
        atomic_text(self.state_path, "".join(json.dumps(s) + "\n" for s in kept_state.values()))
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


def atomic_text(path, text):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def atomic_csv(path, metrics, records):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(_columns(metrics))
        writer.writerows(record.row(metrics) for record in records)
    os.replace(tmp, path)


def read_previous(out_dir, metrics):
    """Records and per-case state of an earlier (possibly interrupted) run, for --resume."""
    csv_path, state_path = out_dir / CSV_NAME, out_dir / STATE_NAME
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
            record = Record(case, _parsed_label(label), status, error,
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


def _parsed_label(text):
    """A CSV label: an int label, a region name (``--regions``), or None (empty)."""
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def check_resumed_options(out_dir, state, options):
    """Refuse to resume a run whose cases were scored with other options (no mixed rows).

    Each case's state records the options it was scored with. A state written
    before options were recorded holds at most ``surface`` (absent: voxel), and
    only that is compared; one without ``schema_version`` is of version 1.
    """
    current = options.state()
    changed = set()
    for entry in state.values():
        earlier = entry.get("options", {"surface": entry.get("surface", "voxel")})
        version = earlier.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise UsageError(
                f"--resume: the resume state in {out_dir} has schema version {version!r}, "
                f"this segmetrics writes version {SCHEMA_VERSION}; rerun without --resume"
            )
        changed.update(name for name, value in earlier.items() if current.get(name) != value)
    if "surface" in changed and not any(m in DISTANCE_METRICS for m in options.metrics):
        changed.discard("surface")
    if changed:
        listed = ", ".join(f"--{name.replace('_', '-')} (now {current.get(name)!r})"
                           for name in sorted(changed))
        raise UsageError(
            f"--resume: the cases in {out_dir / CSV_NAME} were scored with other values of "
            f"{listed}; rerun with the same options or without --resume"
        )


def still_valid(state, records, cases, options):
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
            if options.regions is not None:
                wanted = {name for name, _ in options.regions}
            else:
                wanted = present if options.labels is None else set(options.labels) & present
            if not wanted <= scored.get(case.name, set()):
                continue  # scored earlier for other labels
        valid[case.name] = entry
    return valid
