"""--resume after an interrupted run: the partial CSV is valid; only unscored cases are scored."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from cli_helpers import blob_pair, make_folders, read_csv, run_cli, write_png

from segmetrics.evaluation.storage import rows_digest

pytest.importorskip("PIL")
N_CASES = 12


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    preds, gts = make_folders(root)
    for i in range(N_CASES):
        pred, gt = blob_pair((16, 16), (1, 2), seed=100 + i)
        write_png(preds / f"c{i:02d}.png", pred)
        write_png(gts / f"c{i:02d}.png", gt)
    reference = root / "reference"
    done = run_cli(preds, gts, "-o", reference, "--metrics", "dice,jaccard", "-q", "-j", "1")
    assert done.returncode == 0, done.stderr
    return root, (reference / "metrics.csv").read_bytes()


def _interrupt(reference_csv, out, n_kept, reference_state):
    """The output an interrupted run leaves: n_kept complete cases, then a row cut mid-way."""
    lines = reference_csv.decode().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    cases = sorted({row.split(",")[0] for row in rows})[:n_kept]
    kept = [row for row in rows if row.split(",")[0] in cases]
    out.mkdir()
    cut = rows[len(kept)][:12]  # the next row, half-written
    (out / "metrics.csv").write_text(header + "".join(kept) + cut)
    state = [line for line in reference_state.read_text().splitlines(keepends=True)
             if json.loads(line)["case"] in cases]
    (out / ".segmetrics-state.jsonl").write_text("".join(state))
    return cases


def test_resume_scores_only_the_remaining_cases(folder, tmp_path):
    root, reference = folder
    out = tmp_path / "out"
    kept = _interrupt(reference, out, n_kept=5,
                      reference_state=root / "reference" / ".segmetrics-state.jsonl")
    # Mark a kept row (and its digest in the state, so the row stays valid): if --resume
    # rescored that case, the mark would disappear.
    text = (out / "metrics.csv").read_text()
    first_row = text.splitlines()[1].split(",")
    marked = ",".join(first_row[:4] + ["0.125", first_row[5]])
    (out / "metrics.csv").write_text(text.replace(text.splitlines()[1], marked, 1))
    state_path = out / ".segmetrics-state.jsonl"
    entries = [json.loads(line) for line in state_path.read_text().splitlines()]
    case_rows = [row.split(",") for row in (out / "metrics.csv").read_text().splitlines()[1:]
                 if row.split(",")[0] == kept[0]]
    entries[0]["rows_sha256"] = rows_digest(case_rows)
    state_path.write_text("".join(json.dumps(entry) + "\n" for entry in entries))
    done = run_cli(root / "preds", root / "gts", "-o", out, "--metrics", "dice,jaccard", "-q",
                   "--resume", "-j", "2")
    assert done.returncode == 0, done.stderr
    rows = read_csv(out / "metrics.csv")
    assert rows[0]["case"] == kept[0] and rows[0]["dice"] == "0.125"
    restored = (out / "metrics.csv").read_text().replace(marked, ",".join(first_row), 1)
    assert restored.encode() == reference


def test_resume_refuses_other_metrics(folder, tmp_path):
    root, reference = folder
    out = tmp_path / "out"
    _interrupt(reference, out, n_kept=2,
               reference_state=root / "reference" / ".segmetrics-state.jsonl")
    done = run_cli(root / "preds", root / "gts", "-o", out, "--metrics", "dice", "-q",
                   "--resume")
    assert done.returncode == 2 and "--resume" in done.stderr


@pytest.mark.parametrize("changed, flag", [
    (("--zero-division", "0"), "--zero-division"),
    (("--threshold", "0.5"), "--threshold"),
    (("--spacing", "0.5,0.5"), "--spacing"),
])
def test_resume_refuses_other_scoring_options(folder, tmp_path, changed, flag):
    """Rows scored with other options are never mixed with new ones."""
    root, _ = folder
    out = tmp_path / "out"
    args = (root / "preds", root / "gts", "-o", out, "--metrics", "dice,jaccard", "-q", "-j", "1")
    assert run_cli(*args).returncode == 0
    before = (out / "metrics.csv").read_bytes()
    done = run_cli(*args, *changed, "--resume")
    assert done.returncode == 2 and flag in done.stderr and "--resume" in done.stderr
    assert (out / "metrics.csv").read_bytes() == before
    done = run_cli(*args, "--resume")
    assert done.returncode == 0, done.stderr
    assert (out / "metrics.csv").read_bytes() == before


def test_killed_run_leaves_a_valid_csv_and_resume_completes_it(folder, tmp_path):
    root, reference = folder
    out = tmp_path / "out"
    command = [sys.executable, "-m", "segmetrics.cli", str(root / "preds"), str(root / "gts"),
               "-o", str(out), "--metrics", "dice,jaccard", "-q", "-j", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    csv_path = out / "metrics.csv"
    while time.monotonic() < deadline and process.poll() is None:
        if csv_path.exists() and len(csv_path.read_text().splitlines()) >= 3:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    process.wait(timeout=60)
    with open(csv_path, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["case", "label", "status", "error", "dice", "jaccard"]
    complete = [row for row in rows[1:] if len(row) == 6]
    assert all(np.isfinite(float(row[4])) for row in complete)
    done = run_cli(root / "preds", root / "gts", "-o", out, "--metrics", "dice,jaccard", "-q",
                   "--resume", "-j", "1")
    assert done.returncode == 0, done.stderr
    assert csv_path.read_bytes() == reference
