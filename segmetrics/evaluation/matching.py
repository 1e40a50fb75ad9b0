"""Pairing prediction and ground-truth files by case name."""
from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple, Union

from segmetrics.evaluation.options import UsageError
from segmetrics.io import display_name

__all__ = ["Case", "match_cases"]

#: A file path: text or a path-like object.
StrPath = Union[str, "os.PathLike[str]"]


class Case(NamedTuple):
    """A case to score: its name, the prediction file (None if missing) and the ground truth."""

    name: str
    pred: StrPath | None
    gt: StrPath


def _case_key(stem: str, strip_suffixes: Iterable[str], pattern: re.Pattern[str] | None
              ) -> str | None:
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


def _is_file(entry: os.DirEntry[str]) -> bool:
    """Whether a folder entry is a file to score: a file, or a link that cannot be followed.

    A symbolic-link loop or an unreadable link raises in ``is_file``; it is
    kept as a case so that reading it gives that case an ``error`` row.
    """
    try:
        return entry.is_file() or (entry.is_symlink() and not os.path.exists(entry.path))
    except OSError:
        return True


def _entries(folder: StrPath, role: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        raise UsageError(f"cannot read the {role} folder {display_name(str(folder))!r}: "
                         f"{exc.strerror or exc}") from None


def _index_folder(folder: StrPath, role: str, strip_suffixes: Iterable[str],
                  pattern: re.Pattern[str] | None) -> dict[str, Path]:
    from segmetrics.io import split_extension

    index: dict[str, Path] = {}
    ignored: list[str] = []
    for entry in _entries(folder, role):
        if entry.name.startswith(".") or not _is_file(entry):
            continue
        # A name that is not UTF-8 is matched and reported by its escaped spelling.
        stem, ext = split_extension(display_name(entry.name))
        if not ext:
            continue
        key = _case_key(stem, strip_suffixes, pattern)
        if key is None:
            ignored.append(entry.name)
            continue
        if key in index:
            raise UsageError(
                f"two {role} files map to case {key!r}: {display_name(index[key].name)} and "
                f"{display_name(entry.name)}; "
                "rename one or adjust --strip-suffix/--pattern"
            )
        index[key] = Path(entry.path)
    if ignored:
        warnings.warn(f"{len(ignored)} {role} files do not match --pattern and are ignored "
                      f"(first: {display_name(ignored[0])})", UserWarning, stacklevel=3)
    return index


def match_cases(pred_dir: StrPath, gt_dir: StrPath, *, strip_suffixes: str | Iterable[str] = (),
                pattern: str | re.Pattern[str] | None = None) -> tuple[list[Case], list[str]]:
    """Pair prediction and ground-truth files by case name.

    The case name is the file name without its extension (``.nii.gz`` counts
    as one), after removing the first matching suffix of ``strip_suffixes``
    (e.g. ``"_seg"``, ``"_segmentation"``, ``"_0000"``), or, with
    ``pattern``, the regular-expression match in it (group ``case`` if
    named, else group 1, else the whole match). The same rule applies to both
    folders. Files with other extensions and hidden files are skipped. A name
    that is not valid UTF-8 gets its undecodable bytes spelled ``\\xNN``
    (:func:`segmetrics.io.display_name`); the file itself is still read. A
    link that cannot be followed (a loop, a dangling link) is a case whose
    reading fails: an ``error`` row.

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
        If a folder does not exist or cannot be read, has no mask files, or
        two files of one folder map to the same case.
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
