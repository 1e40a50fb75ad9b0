"""The output folder of a folder evaluation under faults (issue 14, items 4, 11, 12, 13, 21):
one run at a time, torn or stale rows rescored on --resume, a finished run left unchanged,
CSV cells safe to open in a spreadsheet."""
import csv
import json
import math
import os

import numpy as np
import pytest
from cli_helpers import run_cli

import segmetrics
from segmetrics.evaluation import UsageError
from segmetrics.evaluation.scoring import csv_text
from segmetrics.evaluation.storage import LOCK_NAME

fcntl = pytest.importorskip("fcntl")
N_CASES = 6


def _pair(seed):
    rng = np.random.default_rng(seed)
    gt = np.zeros((12, 12), dtype=np.uint8)
    gt[2:8, 3:9] = 1
    gt[9:11, 1:5] = 2
    pred = gt.copy()
    pred[rng.integers(0, 12, 6), rng.integers(0, 12, 6)] = rng.integers(0, 3, 6)
    return pred, gt


@pytest.fixture()
def folders(tmp_path):
    preds, gts = tmp_path / "preds", tmp_path / "gts"
    preds.mkdir()
    gts.mkdir()
    for i in range(N_CASES):
        pred, gt = _pair(i)
        np.save(preds / f"c{i}.npy", pred)
        np.save(gts / f"c{i}.npy", gt)
    return preds, gts


def _evaluate(preds, gts, out, **kwargs):
    return segmetrics.evaluate_folder(preds, gts, out_dir=out, metrics=["dice", "jaccard"],
                                      n_resamples=0, **kwargs)


def _csv_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


# item 4 -------------------------------------------------------------------------------


def test_a_second_run_on_a_locked_output_folder_is_refused(folders, tmp_path):
    preds, gts = folders
    out = tmp_path / "out"
    out.mkdir()
    with open(out / LOCK_NAME, "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # a run in progress
        with pytest.raises(UsageError, match="another segmetrics-eval run is writing to"):
            _evaluate(preds, gts, out)
        done = run_cli(preds, gts, "-o", out, "--metrics", "dice", "-q", "--resume", timeout=120)
        assert done.returncode == 2
        assert "another segmetrics-eval run" in done.stderr and "Traceback" not in done.stderr
        assert not (out / "metrics.csv").exists()
    _evaluate(preds, gts, out)  # the lock is gone with its holder
    assert len(_csv_rows(out / "metrics.csv")) == 1 + 2 * N_CASES


def test_final_files_go_through_unique_temporary_names(folders, tmp_path, monkeypatch):
    """Two writers of one output never share a temporary file (the crash of item 4)."""
    from segmetrics.evaluation import storage

    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(os.path.basename(src))
        return real_replace(src, dst)

    monkeypatch.setattr(storage.os, "replace", spy)
    preds, gts = folders
    _evaluate(preds, gts, tmp_path / "out")
    assert seen and all(name not in ("metrics.csv.tmp", "summary.json.tmp") for name in seen)
    assert len(set(seen)) == len(seen)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


# items 11, 12, 13 ----------------------------------------------------------------------


def test_a_torn_last_value_is_rescored_on_resume(folders, tmp_path):
    preds, gts = folders
    out = tmp_path / "out"
    reference = _evaluate(preds, gts, out)
    before = (out / "metrics.csv").read_bytes()
    rows = _csv_rows(out / "metrics.csv")
    # A full disk cut the last value of the last row: every row is there, the value a float.
    torn = rows[-1][:-1] + [rows[-1][-1][:5]]
    assert torn[-1] != rows[-1][-1] and math.isfinite(float(torn[-1]))
    text = before.decode().splitlines(keepends=True)
    (out / "metrics.csv").write_text("".join(text[:-1]) + ",".join(torn))
    resumed = _evaluate(preds, gts, out, resume=True)
    assert (out / "metrics.csv").read_bytes() == before
    assert resumed.summary["all_labels"] == reference.summary["all_labels"]


@pytest.mark.parametrize("field, value", [
    ("label", "x"), ("status", "okay"), ("dice", "0.5.1"), ("label", "-1"),
])
def test_a_row_with_a_bad_field_is_rescored(folders, tmp_path, field, value):
    preds, gts = folders
    out = tmp_path / "out"
    _evaluate(preds, gts, out)
    before = (out / "metrics.csv").read_bytes()
    rows = _csv_rows(out / "metrics.csv")
    rows[1][rows[0].index(field)] = value
    with open(out / "metrics.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    _evaluate(preds, gts, out, resume=True)
    assert (out / "metrics.csv").read_bytes() == before


def test_a_prediction_replaced_since_is_rescored(folders, tmp_path):
    preds, gts = folders
    out = tmp_path / "out"
    _evaluate(preds, gts, out)
    _, gt = _pair(0)
    np.save(preds / "c0.npy", gt)  # a perfect prediction now, same size
    info = os.stat(preds / "c0.npy")
    os.utime(preds / "c0.npy", ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))
    resumed = _evaluate(preds, gts, out, resume=True)
    dice = [r.values["dice"] for r in resumed.records if r.case == "c0"]
    assert dice == [1.0, 1.0]
    assert [row[4] for row in _csv_rows(out / "metrics.csv")[1:3]] == ["1.0", "1.0"]


def test_resuming_a_finished_run_changes_nothing(folders, tmp_path):
    preds, gts = folders
    # Label 2 only in c5's prediction: the other cases get filled rows at the end.
    pred, gt = _pair(5)
    pred[0, 0] = 3
    np.save(preds / "c5.npy", pred)
    np.save(preds / "c4.npy", np.zeros((3, 3), dtype=np.uint8))  # an error row
    out = tmp_path / "out"
    first = _evaluate(preds, gts, out)
    files = {name: (out / name).read_bytes()
             for name in ("metrics.csv", "summary.json", ".segmetrics-state.jsonl")}
    # Rescoring would now read other masks: same sizes and times, other content.
    for i in range(N_CASES):
        path = preds / f"c{i}.npy"
        info = os.stat(path)
        array = np.load(path)
        np.save(path, (array == 0).astype(array.dtype))
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    again = _evaluate(preds, gts, out, resume=True)
    for name, content in files.items():
        assert (out / name).read_bytes() == content, name
    metrics = ["dice", "jaccard"]
    assert [r.row(metrics) for r in again.records] == [r.row(metrics) for r in first.records]
    assert again.summary == first.summary


# item 21 -------------------------------------------------------------------------------


@pytest.mark.parametrize("name, shown", [
    ("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("a\tb", "a\\x09b"), ("\rx", "\\x0dx"), ("ok name", "ok name"), ("a\u2028b", "a\\u2028b"),
])
def test_csv_text_neutralises_formulas_and_control_characters(name, shown):
    assert csv_text(name) == shown
    assert csv_text(shown) == shown


def test_hostile_case_names_are_neutral_in_the_csv_and_real_in_json(tmp_path):
    preds, gts = tmp_path / "preds", tmp_path / "gts"
    preds.mkdir()
    gts.mkdir()
    names = ["=cmd|x", "+1", "-2", "@A1", "tab\tname"]
    pred, gt = _pair(0)
    for name in names:
        np.save(preds / f"{name}.npy", pred)
        np.save(gts / f"{name}.npy", gt)
    out = tmp_path / "out"
    result = _evaluate(preds, gts, out)
    cases = {row[0] for row in _csv_rows(out / "metrics.csv")[1:]}
    assert cases == {"'=cmd|x", "'+1", "'-2", "'@A1", "tab\\x09name"}
    assert {r.case for r in result.records} == set(names)
    before = (out / "metrics.csv").read_bytes()
    resumed = _evaluate(preds, gts, out, resume=True)  # neutral names map back to real ones
    assert {r.case for r in resumed.records} == set(names)
    assert (out / "metrics.csv").read_bytes() == before
    lines = (out / ".segmetrics-state.jsonl").read_text().splitlines()
    state = [json.loads(line) for line in lines]
    assert {entry["case"] for entry in state} == set(names)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_output_folder_is_a_usage_error(folders, tmp_path):
    preds, gts = folders
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        with pytest.raises(UsageError, match="cannot write to the output folder"):
            _evaluate(preds, gts, out)
    finally:
        out.chmod(0o700)
