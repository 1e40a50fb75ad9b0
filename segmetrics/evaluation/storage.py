"""The output files of a folder evaluation and what ``--resume`` reads back.

``metrics.csv`` (one row per case and label) and the hidden resume state
(``.segmetrics-state.jsonl``, one JSON line per scored case: its size, diagonal,
labels present, the size and modification time of its two files, the count and
SHA-256 digest of its CSV rows and the options it was scored with,
:meth:`~segmetrics.evaluation.options.Options.state`) are appended case by case
and flushed, so an interrupted run leaves valid files; the final files are
written atomically (each through a temporary file of its own). A run holds an
exclusive lock on the output folder (:func:`locked_output`) from start to end.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, Union, cast

from segmetrics.evaluation.metrics import DISTANCE_METRICS, STATUSES
from segmetrics.evaluation.options import SCHEMA_VERSION, UsageError
from segmetrics.evaluation.scoring import Record, csv_text

if TYPE_CHECKING:
    from segmetrics.evaluation.matching import Case, StrPath
    from segmetrics.evaluation.options import Label, Options

__all__ = ["CSV_NAME", "LOCK_NAME", "STATE_NAME", "SUMMARY_NAME", "Writer", "atomic_csv",
           "atomic_text", "check_resumed_options", "file_fingerprints", "locked_output",
           "read_previous", "rows_digest", "still_valid"]

CSV_NAME = "metrics.csv"
SUMMARY_NAME = "summary.json"
STATE_NAME = ".segmetrics-state.jsonl"
LOCK_NAME = ".segmetrics.lock"

#: One case's line of the resume state (JSON values: see the module docstring).
StateEntry = dict[str, Any]
#: A file's fingerprint: ``[size, mtime_ns]``, ``"unreadable: ..."``, or None (no file).
Fingerprint = Union[list[int], str, None]


@contextlib.contextmanager
def locked_output(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the output folder; another run on it is a usage error.

    The lock (``flock`` on ``OUT/.segmetrics.lock``) is released when the
    block ends or the process dies, so a killed run never leaves a stale
    lock. Where ``fcntl`` is unavailable (Windows) or the file system has no
    locks, no lock is taken; an output folder that cannot be written is a usage
    error.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        handle = open(out_dir / LOCK_NAME, "a")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UsageError(f"cannot write to the output folder {out_dir}: "
                         f"{exc.strerror or exc}") from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"another segmetrics-eval run is writing to {out_dir} (it holds "
                f"{out_dir / LOCK_NAME}); wait for it to finish or choose another --out"
            ) from None
        except OSError:  # a file system without locks (some NFS mounts): run unlocked
            yield
            return
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def file_fingerprints(case: Case) -> dict[str, Fingerprint]:
    """``{"pred": [size, mtime_ns], "gt": [...]}`` of a case's files; None for a missing file.

    ``--resume`` rescores a case whose fingerprints changed since it was scored.
    """
    def fingerprint(path: StrPath | None) -> Fingerprint:
        if path is None:
            return None
        try:
            info = os.stat(path)
        except OSError as exc:
            return f"unreadable: {exc.strerror}"
        return [info.st_size, info.st_mtime_ns]

    return {"pred": fingerprint(case.pred), "gt": fingerprint(case.gt)}


def rows_digest(rows: Sequence[Sequence[str]]) -> str:
    """SHA-256 of a case's CSV rows (lists of the cells as written): ``--resume`` rescores
    a case whose rows in ``metrics.csv`` do not have it (a row torn by a full disk)."""
    return hashlib.sha256(json.dumps(rows).encode("utf-8", "surrogatepass")).hexdigest()


def _columns(metrics: Iterable[str]) -> list[str]:
    return ["case", "label", "status", "error", *metrics]


class Writer:
    """Appends each finished case to metrics.csv and the resume state, flushed at once."""

    def __init__(self, out_dir: Path, metrics: Sequence[str], kept_records: Iterable[Record],
                 kept_state: Mapping[str, StateEntry]) -> None:
        self.csv_path = out_dir / CSV_NAME
        self.state_path = out_dir / STATE_NAME
        self.metrics = metrics
        atomic_csv(self.csv_path, metrics, kept_records)
        atomic_text(self.state_path, "".join(json.dumps(s) + "\n" for s in kept_state.values()))
        self._csv = open(self.csv_path, "a", newline="", encoding="utf-8")  # noqa: SIM115
        self._writer = csv.writer(self._csv, lineterminator="\n")
        self._state = open(self.state_path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, state: StateEntry, rows: Iterable[Sequence[str]]) -> None:
        """Append a case: its state line, then its CSV rows (cells as :meth:`Record.row` gives)."""
        self._state.write(json.dumps(state) + "\n")
        self._state.flush()
        self._writer.writerows(rows)
        self._csv.flush()

    def close(self) -> None:
        self._csv.close()
        self._state.close()


@contextlib.contextmanager
def _replacing(path: Path, newline: str | None = None) -> Iterator[TextIO]:
    """A text file written beside ``path`` under a unique name, then renamed onto it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with open(fd, "w", newline=newline, encoding="utf-8") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_text(path: Path, text: str) -> None:
    with _replacing(path) as handle:
        handle.write(text)


def atomic_csv(path: Path, metrics: Sequence[str], records: Iterable[Record]) -> None:
    with _replacing(path, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(_columns(metrics))
        writer.writerows(record.row(metrics) for record in records)


def read_previous(out_dir: Path, metrics: Sequence[str]
                  ) -> tuple[list[Record], dict[str, StateEntry]]:
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
    state: dict[str, StateEntry] = {}
    if state_path.exists():
        for line in state_path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by the interruption
            if _valid_entry(entry):
                state[entry["case"]] = entry
    # The CSV holds each case name as csv_text wrote it; the state holds the real one.
    real_name = {csv_text(name): name for name in state}
    rows_by_case: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        if len(row) == len(rows[0]) and row[0] in real_name:
            rows_by_case.setdefault(real_name[row[0]], []).append(row)
    records: list[Record] = []
    kept_state: dict[str, StateEntry] = {}
    for case, case_rows in rows_by_case.items():
        entry = state[case]
        if entry["n_rows"] != len(case_rows) or entry["rows_sha256"] != rows_digest(case_rows):
            continue  # a row torn or changed since: rescore the case
        case_records = [_record(case, row, metrics, entry["diagonal"]) for row in case_rows]
        if None not in case_records:
            records.extend(cast("list[Record]", case_records))
            kept_state[case] = entry
    return records, kept_state


def _parsed_label(text: str) -> Label | None:
    """A CSV label: an int label, a region name (``--regions``), or None (empty)."""
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


_ENTRY_TYPES: dict[str, type] = {"case": str, "n_rows": int, "rows_sha256": str, "files": dict,
                "missing": bool, "present": list}


def _valid_entry(entry: object) -> bool:
    """Whether a state line has every field ``--resume`` relies on, with its type."""
    if not isinstance(entry, dict):
        return False
    if any(not isinstance(entry.get(key), kind) for key, kind in _ENTRY_TYPES.items()):
        return False
    diagonal = entry.get("diagonal")
    n_voxels = entry.get("n_voxels")
    return (isinstance(diagonal, (int, float)) or diagonal is None) and (
        n_voxels is None or (isinstance(n_voxels, int) and n_voxels >= 0))


def _record(case: str, row: Sequence[str], metrics: Sequence[str],
            diagonal: float | None) -> Record | None:
    """The record of a CSV row, or None if a field is not what the writer writes."""
    _, label, status, error, *values = row
    if status not in STATUSES:
        return None
    try:
        numbers = {m: float(v) for m, v in zip(metrics, values)}
    except ValueError:
        return None
    diagonal = math.nan if diagonal is None else float(diagonal)
    return Record(case, _parsed_label(label), status, error, numbers, diagonal)


def check_resumed_options(out_dir: Path, state: Mapping[str, StateEntry],
                          options: Options) -> None:
    """Refuse to resume a run whose cases were scored with other options (no mixed rows).

    Each case's state records the options it was scored with. A state written
    before options were recorded holds at most ``surface`` (absent: voxel), and
    only that is compared; one without ``schema_version`` is of version 1.
    """
    current = options.state()
    changed: set[str] = set()
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


def still_valid(state: Mapping[str, StateEntry], records: Iterable[Record],
                cases: Iterable[Case], options: Options) -> dict[str, StateEntry]:
    """The earlier run's cases that need no rescoring under the current cases and labels."""
    scored: dict[str, set[Label | None]] = {}
    for record in records:
        scored.setdefault(record.case, set()).add(record.label)
    valid: dict[str, StateEntry] = {}
    for case in cases:
        entry = state.get(case.name)
        if entry is None or entry.get("missing") != (case.pred is None):
            continue  # not scored yet, or a prediction appeared since
        if entry.get("files") != file_fingerprints(case):
            continue  # a file replaced or touched since it was scored
        if entry.get("n_voxels") is not None:
            present = set(entry.get("present", ()))
            if options.regions is not None:
                wanted: AbstractSet[Label | None] = {name for name, _ in options.regions}
            else:
                wanted = present if options.labels is None else set(options.labels) & present
            if not wanted <= scored.get(case.name, set()):
                continue  # scored earlier for other labels
        valid[case.name] = entry
    return valid
