"""Bootstrap intervals in the summary, segmetrics-eval compare, and the HTML report."""
import csv
import json
import math
from html.parser import HTMLParser

import numpy as np
import pytest
from cli_helpers import blob_pair, make_folders, read_csv, run_cli, write_png

from segmetrics import evaluate
from segmetrics.evaluation.metrics import SCORED_STATUSES
from segmetrics.stats import bootstrap_mean_ci

pytest.importorskip("PIL")

N_CASES = 12


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Two models on the same ground truths: B shifts every other prediction further."""
    root = tmp_path_factory.mktemp("stats")
    preds, gts = make_folders(root)
    preds_b = root / "preds_b"
    preds_b.mkdir()
    for i in range(N_CASES):
        pred, gt = blob_pair((32, 32), (1, 2), seed=400 + i)
        if i == 3:
            pred[pred == 2] = 0  # empty prediction of label 2: HD95 is inf
        write_png(gts / f"c{i:02d}.png", gt)
        if i != 9:  # c09: no prediction from model A
            write_png(preds / f"c{i:02d}.png", pred)
        write_png(preds_b / f"c{i:02d}.png", np.roll(pred, 2 * (i % 2), axis=0))
    (preds / "zz_broken.png").write_bytes(b"not a png")
    (gts / "zz_broken.png").write_bytes(b"not a png")
    return root


@pytest.fixture(scope="module")
def cli_run(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    done = run_cli(folder / "preds", folder / "gts", "-o", out, "--metrics", "dice,hd95",
                   "-j", "1", "--report", out / "report.html")
    assert done.returncode == 1, done.stderr  # c09 missing, zz_broken unreadable
    return out, done


def _used_values(rows, label, metric, diagonals):
    values = []
    for row in rows:
        if row["label"] != label or row["status"] not in SCORED_STATUSES:
            continue
        value = float(row[metric])
        value = diagonals[row["case"]] if math.isinf(value) else value
        if not math.isnan(value):
            values.append(value)
    return values


def test_summary_holds_the_bootstrap_interval_of_each_mean(folder, cli_run):
    out, done = cli_run
    summary = json.loads((out / "summary.json").read_text())
    rows = read_csv(out / "metrics.csv")
    diagonal = math.hypot(32, 32)
    diagonals = {row["case"]: diagonal for row in rows}
    assert summary["bootstrap"] == {"confidence": 0.95, "n_resamples": 10000, "seed": 0,
                                    "method": "percentile"}
    assert "percentile-bootstrap" in summary["aggregation"]["ci"]
    assert summary["per_label"]["2"]["hd95"]["n_inf_replaced"] == 2  # c03 and missing c09
    for label in ("1", "2"):
        for metric in ("dice", "hd95"):
            stats = summary["per_label"][label][metric]
            values = _used_values(rows, label, metric, diagonals)
            assert stats["mean"] == pytest.approx(np.mean(values), rel=1e-12)
            low, high = bootstrap_mean_ci(values)
            assert (stats["ci_low"], stats["ci_high"]) == pytest.approx((low, high), rel=1e-12)
            assert stats["ci_low"] <= stats["mean"] <= stats["ci_high"]
    assert "[95% bootstrap CI]" in done.stdout
    dice = summary["per_label"]["1"]["dice"]
    mean, low = dice["mean"], dice["ci_low"]
    assert f"{mean:.4f}" in done.stdout and f"[{low:.4f}, " in done.stdout


def test_bootstrap_options_and_no_intervals(folder, tmp_path):
    kwargs = {"metrics": ["dice"], "labels": [1], "jobs": 1}
    wide = evaluate.evaluate_folder(folder / "preds", folder / "gts", confidence=0.99, **kwargs)
    narrow = evaluate.evaluate_folder(folder / "preds", folder / "gts", confidence=0.5,
                                      **kwargs)
    wide, narrow = wide.summary["per_label"]["1"]["dice"], narrow.summary["per_label"]["1"]["dice"]
    assert wide["ci_low"] < narrow["ci_low"] < narrow["ci_high"] < wide["ci_high"]
    none = evaluate.evaluate_folder(folder / "preds", folder / "gts", n_resamples=0, **kwargs)
    assert "ci_low" not in none.summary["per_label"]["1"]["dice"]
    with pytest.raises(evaluate.UsageError, match="confidence"):
        evaluate.evaluate_folder(folder / "preds", folder / "gts", confidence=95, **kwargs)
    done = run_cli(folder / "preds", folder / "gts", "-o", tmp_path, "--metrics", "dice",
                   "--bootstrap-resamples", "0", "-j", "1")
    assert "bootstrap CI" not in done.stdout and "mean (std) per label" in done.stdout


def test_compare_cli(folder, tmp_path):
    from scipy.stats import wilcoxon

    done = run_cli("compare", folder / "preds", folder / "preds_b", folder / "gts", "-o",
                   tmp_path, "--metrics", "dice,hd95", "-j", "1")
    assert done.returncode == 1, done.stderr  # model A misses c09
    assert "differences are A - B" in done.stdout and "wilcoxon p" in done.stdout
    for name in ("a", "b"):
        assert (tmp_path / name / "metrics.csv").exists()
    a = {(r["case"], r["label"]): r for r in read_csv(tmp_path / "a" / "metrics.csv")}
    b = {(r["case"], r["label"]): r for r in read_csv(tmp_path / "b" / "metrics.csv")}
    rows = read_csv(tmp_path / "comparison.csv")
    assert [(r["metric"], r["label"]) for r in rows] == [
        (m, label) for m in ("dice", "hd95") for label in ("1", "2", "all")]
    document = json.loads((tmp_path / "comparison.json").read_text())
    assert len(document["rows"]) == len(rows) and "wilcoxon" in document["method"]["wilcoxon_p"]
    summary_a = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert document["options"] == summary_a["options"]
    assert document["options"]["surface"] == "voxel"
    assert document["definitions"] == summary_a["definitions"]
    for row in rows:
        metric, label = row["metric"], row["label"]
        keys = [k for k in a if (label == "all" or k[1] == label)
                and a[k]["status"] in SCORED_STATUSES and b[k]["status"] in SCORED_STATUSES]
        diagonal = math.hypot(32, 32)
        va = np.array([float(a[k][metric]) for k in keys])
        vb = np.array([float(b[k][metric]) for k in keys])
        va, vb = np.where(np.isinf(va), diagonal, va), np.where(np.isinf(vb), diagonal, vb)
        keep = ~(np.isnan(va) | np.isnan(vb))
        va, vb = va[keep], vb[keep]
        assert int(row["n_cases"]) == va.size
        assert float(row["mean_difference"]) == pytest.approx(np.mean(va - vb), rel=1e-12)
        better = (va - vb) if metric == "dice" else (vb - va)
        assert int(row["a_wins"]) == int((better > 0).sum())
        assert int(row["b_wins"]) == int((better < 0).sum())
        assert float(row["ci_low"]) <= float(row["mean_difference"]) <= float(row["ci_high"])
        if np.any(va != vb):
            assert float(row["wilcoxon_p"]) == pytest.approx(wilcoxon(va, vb).pvalue)
    assert any(int(r["a_wins"]) > 0 for r in rows)


def test_a_folder_named_like_a_file_still_evaluates(folder, tmp_path):
    """The plain invocation is unchanged (only the exact word ``compare`` is a subcommand)."""
    done = run_cli(folder / "preds", folder / "gts", "-o", tmp_path, "--metrics", "dice",
                   "-j", "1", "-q")
    assert done.returncode == 1
    assert (tmp_path / "metrics.csv").exists() and not (tmp_path / "comparison.csv").exists()


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.links, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.links.extend(v for k, v in attrs if k in ("src", "href") and v)

    def handle_data(self, data):
        self.text.append(data)


def test_report_is_self_contained_and_lists_labels_and_worst_cases(folder, cli_run):
    pytest.importorskip("matplotlib")
    out, _ = cli_run
    text = (out / "report.html").read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(text)
    parser.close()
    body = " ".join(parser.text)
    assert parser.tags.count("img") == 2  # dice and hd95
    assert all(link.startswith("data:image/png;base64,") for link in parser.links)
    assert "http://" not in text and "https://" not in text
    assert "<link" not in text and "<script" not in text
    rows = read_csv(out / "metrics.csv")
    for label in ("1", "2"):
        assert f"label {label}" in body
        scored = sorted((float(r["dice"]), r["case"]) for r in rows
                        if r["label"] == label and r["status"] in SCORED_STATUSES
                        and not math.isnan(float(r["dice"])))
        worst_section = text.split(f"<h3>label {label}</h3>")[1].split("</table>")[0]
        for _, case in scored[:5]:
            assert f"<td>{case}</td>" in worst_section
    assert "c09" in body and "missing" in body and "zz_broken" in body
    assert "2 TP / (2 TP + FP + FN)" in body
    assert "segmetrics-eval" in body and "--report" in body


def test_write_report_from_python(folder, tmp_path):
    pytest.importorskip("matplotlib")
    from segmetrics.report import write_report

    run = evaluate.evaluate_folder(folder / "preds", folder / "gts", metrics=["jaccard"],
                                   jobs=1)
    path = write_report(tmp_path / "sub" / "r.html", run, n_worst=2)
    text = path.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 1  # jaccard only: no distance plot
    assert "(called from Python)" in text


def test_compare_records_rejects_a_bad_policy():
    from segmetrics.compare import compare_records

    with pytest.raises(ValueError, match="both_empty"):
        compare_records([], [], ["dice"], both_empty="sometimes")


def test_summary_csv_header_unchanged(cli_run):
    out, _ = cli_run
    with open(out / "metrics.csv", newline="") as handle:
        assert next(csv.reader(handle)) == ["case", "label", "status", "error", "dice", "hd95"]
