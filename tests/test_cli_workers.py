"""Worker processes: a dying worker costs only its own case; Ctrl-C leaves a valid CSV."""
import csv
import signal
import subprocess
import sys
import time

import pytest
from cli_helpers import blob_pair, make_folders, read_csv, run_cli, score_or_die, write_png

from segmetrics import evaluate
from segmetrics.evaluation import Options, runners

pytest.importorskip("PIL")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("workers")
    preds, gts = make_folders(root)
    for i, name in enumerate(["a0", "a1", "a2", "die3", "a4", "a5", "a6", "a7", "a8", "a9"]):
        pred, gt = blob_pair((16, 16), (1,), seed=200 + i)
        write_png(preds / f"{name}.png", pred)
        write_png(gts / f"{name}.png", gt)
    return root


@pytest.mark.parametrize("chunk", [1, 3])
def test_a_dying_worker_fails_only_its_case(folder, monkeypatch, chunk):
    def chunks(cases, jobs):
        return [cases[i:i + chunk] for i in range(0, len(cases), chunk)]

    monkeypatch.setattr(runners, "chunks", chunks)
    cases, _ = evaluate.match_cases(folder / "preds", folder / "gts")
    settings = Options.build(metrics=("dice",), labels=(1,))
    results = []
    runners.run_cases(cases, settings, 2, results.append, work=score_or_die)
    statuses = {r.name: r.records[0].status for r in results}
    assert sorted(statuses) == sorted(c.name for c in cases)
    assert statuses.pop("die3") == "error"
    assert set(statuses.values()) <= {"ok", "empty_pred", "empty_gt", "both_empty"}
    died = next(r for r in results if r.name == "die3").records[0]
    assert "worker process" in died.error


def test_ctrl_c_exits_130_with_a_valid_csv_then_resume(folder, tmp_path):
    reference = tmp_path / "reference"
    done = run_cli(folder / "preds", folder / "gts", "-o", reference, "--metrics", "dice", "-q",
                   "-j", "1")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "segmetrics.cli", str(folder / "preds"), str(folder / "gts"),
         "-o", str(out), "--metrics", "dice", "-q", "-j", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    csv_path = out / "metrics.csv"
    while time.monotonic() < deadline and process.poll() is None:
        if csv_path.exists() and len(csv_path.read_text().splitlines()) >= 2:
            process.send_signal(signal.SIGINT)
            break
        time.sleep(0.005)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode in (130, 0), stderr
    if process.returncode == 130:
        assert "--resume" in stderr
    with open(csv_path, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["case", "label", "status", "error", "dice"]
    assert all(len(row) == 5 for row in rows)
    done = run_cli(folder / "preds", folder / "gts", "-o", out, "--metrics", "dice", "-q",
                   "--resume", "-j", "2")
    assert done.returncode == 0, done.stderr
    assert csv_path.read_bytes() == (reference / "metrics.csv").read_bytes()


def test_resume_with_more_labels_rescores(folder, tmp_path):
    out = tmp_path / "out"
    done = run_cli(folder / "preds", folder / "gts", "-o", out, "--metrics", "dice", "-q",
                   "--labels", "2", "-j", "1")
    assert done.returncode == 0, done.stderr
    done = run_cli(folder / "preds", folder / "gts", "-o", out, "--metrics", "dice", "-q",
                   "--labels", "1,2", "--resume", "-j", "1")
    assert done.returncode == 0, done.stderr
    rows = read_csv(out / "metrics.csv")
    assert {r["label"] for r in rows} == {"1", "2"}
    assert all(r["status"] != "both_empty" for r in rows if r["label"] == "1")


def test_small_cases_are_batched_and_keep_their_order(folder):
    cases, _ = evaluate.match_cases(folder / "preds", folder / "gts")
    many = cases * 8  # 80 small cases, 2 workers: batches of 80 // 16 = 5
    chunks = runners.chunks(many, 2)
    assert [len(c) for c in chunks] == [5] * 16
    assert [case for chunk in chunks for case in chunk] == many
