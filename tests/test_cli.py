"""End-to-end tests of segmetrics-eval on generated folders: values, statuses, exit codes, -j."""
import importlib.metadata
import math
import shutil

import numpy as np
import pytest
from cli_helpers import (
    blob_pair,
    make_folders,
    read_csv,
    read_summary,
    run_cli,
    same,
    value,
    write_nifti,
    write_png,
)

import segmetrics

pytest.importorskip("PIL")
OVERLAP = ["dice", "jaccard", "kappa", "tversky", "sensitivity", "specificity", "precision",
           "accuracy"]


def _library(metric, pred, gt, label, **kwargs):
    return float(getattr(segmetrics, metric)(pred, gt, labels=[label], **kwargs)[0])


def _expected_status(pred, gt, label):
    in_pred, in_gt = bool((pred == label).any()), bool((gt == label).any())
    return {(True, True): "ok", (False, True): "empty_pred", (True, False): "empty_gt",
            (False, False): "both_empty"}[in_pred, in_gt]


@pytest.fixture(scope="module")
def png_folder(tmp_path_factory):
    """Four 2D multi-label PNG pairs (labels 1..3), with the arrays kept for checking."""
    root = tmp_path_factory.mktemp("png")
    preds, gts = make_folders(root)
    arrays = {}
    for i in range(4):
        pred, gt = blob_pair((24, 30), (1, 2, 3), seed=i)
        write_png(preds / f"img{i}.png", pred)
        write_png(gts / f"img{i}.png", gt)
        arrays[f"img{i}"] = (pred, gt)
    return root, arrays


def test_png_values_equal_library_functions(png_folder, tmp_path):
    root, arrays = png_folder
    out = tmp_path / "out"
    done = run_cli(root / "preds", root / "gts", "-o", out, "--metrics", ",".join(OVERLAP),
                   "-j", "1")
    assert done.returncode == 0, done.stderr
    rows = read_csv(out / "metrics.csv")
    assert list(rows[0]) == ["case", "label", "status", "error", *OVERLAP]
    assert len(rows) == 4 * 3
    for row in rows:
        pred, gt = arrays[row["case"]]
        label = int(row["label"])
        assert row["status"] == _expected_status(pred, gt, label) and row["error"] == ""
        for metric in OVERLAP:
            assert same(value(row, metric), _library(metric, pred, gt, label)), (row, metric)
    summary = read_summary(out / "summary.json")
    dice = [value(r, "dice") for r in rows if r["label"] == "2"]
    stats = summary["per_label"]["2"]["dice"]
    assert stats["mean"] == pytest.approx(np.mean(dice), rel=1e-12)
    assert stats["median"] == pytest.approx(np.median(dice), rel=1e-12)
    assert stats["n_valid"] == 4 and stats["n_nan"] == 0
    assert summary["command_line"][0] == "segmetrics-eval"
    assert summary["segmetrics_version"] == segmetrics.__version__
    assert set(summary["definitions"]) == set(OVERLAP)
    assert "label" in done.stdout and "dice" in done.stdout  # the summary table


def test_jobs_give_identical_results(png_folder, tmp_path):
    root, _ = png_folder
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        done = run_cli(root / "preds", root / "gts", "-o", out, "--metrics", "dice,kappa",
                       "-j", jobs, "-q")
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""  # --quiet
        outputs.append(out)
    assert (outputs[0] / "metrics.csv").read_bytes() == (outputs[1] / "metrics.csv").read_bytes()
    first, second = (read_summary(o / "summary.json") for o in outputs)
    assert first["per_label"] == second["per_label"]
    assert first["all_labels"] == second["all_labels"]


def test_python_api_returns_the_csv_records(png_folder, tmp_path):
    root, arrays = png_folder
    result = segmetrics.evaluate_folder(root / "preds", root / "gts", out_dir=tmp_path,
                                        metrics=["dice", "jaccard"], labels=[1, 3])
    rows = read_csv(tmp_path / "metrics.csv")
    assert [(r.case, str(r.label), r.status) for r in result.records] == [
        (r["case"], r["label"], r["status"]) for r in rows]
    for record, row in zip(result.records, rows):
        assert record.values["dice"] == value(row, "dice")
    assert result.summary["labels"] == [1, 3]


@pytest.fixture(scope="module")
def nifti_folder(tmp_path_factory):
    """3D NIfTI pairs with anisotropic spacing, plus shape and spacing mismatches."""
    pytest.importorskip("nibabel")
    root = tmp_path_factory.mktemp("nifti")
    preds, gts = make_folders(root)
    spacing = (3.0, 0.7, 0.9)
    arrays = {}
    for i in range(3):
        pred, gt = blob_pair((10, 16, 14), (1, 2), seed=10 + i)
        write_nifti(preds / f"ct_{i}.nii.gz", pred, spacing)
        write_nifti(gts / f"ct_{i}.nii.gz", gt, spacing)
        arrays[f"ct_{i}"] = (pred, gt)
    pred, gt = blob_pair((10, 16, 14), (1, 2), seed=20)
    write_nifti(preds / "bad_shape.nii.gz", pred[:, :, :-1], spacing)
    write_nifti(gts / "bad_shape.nii.gz", gt, spacing)
    write_nifti(preds / "bad_spacing.nii.gz", pred, (2.0, 0.7, 0.9))
    write_nifti(gts / "bad_spacing.nii.gz", gt, spacing)
    write_nifti(preds / "bad_orientation.nii.gz", pred, (-spacing[0], *spacing[1:]))
    write_nifti(gts / "bad_orientation.nii.gz", gt, spacing)
    return root, arrays, spacing


def test_nifti_anisotropic_values_and_mismatches(nifti_folder, tmp_path):
    root, arrays, _ = nifti_folder
    out = tmp_path / "out"
    done = run_cli(root / "preds", root / "gts", "-o", out, "--metrics", "dice,jaccard,kappa",
                   "-j", "2", "-q")
    assert done.returncode == 1, done.stderr  # two cases fail
    rows = read_csv(out / "metrics.csv")
    by_case = {}
    for row in rows:
        by_case.setdefault(row["case"], []).append(row)
    for case, (pred, gt) in arrays.items():
        for row in by_case[case]:
            assert row["status"] == _expected_status(pred, gt, int(row["label"]))
            for metric in ("dice", "jaccard", "kappa"):
                assert same(value(row, metric), _library(metric, pred, gt, int(row["label"])))
    for case, word in (("bad_shape", "shape mismatch"), ("bad_spacing", "spacing mismatch"),
                       ("bad_orientation", "orientation mismatch")):
        assert [r["label"] for r in by_case[case]] == ["1", "2"]
        for row in by_case[case]:
            assert row["status"] == "error" and word in row["error"]
            assert math.isnan(value(row, "dice"))
    assert "bad_shape" in done.stderr


def test_spacing_override_and_tolerance(nifti_folder, tmp_path):
    root, _, _ = nifti_folder
    out = tmp_path / "out"
    done = run_cli(root / "preds", root / "gts", "-o", out, "--metrics", "dice", "-q",
                   "--spacing", "1,1,1", "-j", "1")
    # --spacing overrides both headers, so the spacing mismatch disappears; the shape one stays.
    assert done.returncode == 1
    statuses = {r["case"]: r["status"] for r in read_csv(out / "metrics.csv")}
    assert statuses["bad_spacing"] == "ok" and statuses["bad_shape"] == "error"


@pytest.fixture()
def status_folder(tmp_path):
    """One case per status, for labels 1 and 2."""
    preds, gts = make_folders(tmp_path)
    full = np.zeros((12, 12), dtype=np.uint8)
    full[2:7, 2:7] = 1
    full[8:11, 8:11] = 2
    only_one = np.where(full == 1, 1, 0).astype(np.uint8)
    empty = np.zeros_like(full)
    write_png(gts / "a_ok.png", full)
    write_png(preds / "a_ok.png", full)
    write_png(gts / "b_emptypred.png", full)
    write_png(preds / "b_emptypred.png", only_one)  # label 2 empty in pred, label 1 ok
    write_png(gts / "c_emptygt.png", only_one)
    write_png(preds / "c_emptygt.png", full)  # label 2 empty in gt
    write_png(gts / "d_bothempty.png", empty)
    write_png(preds / "d_bothempty.png", empty)
    write_png(gts / "e_missing.png", full)  # no prediction
    write_png(gts / "f_error.png", full)
    (preds / "f_error.png").write_bytes(b"this is not a PNG file")
    return tmp_path, full


def test_every_status_and_exit_code_1(status_folder):
    root, full = status_folder
    out = root / "out"
    done = run_cli(root / "preds", root / "gts", "-o", out, "--labels", "1,2",
                   "--metrics", "dice,jaccard", "-j", "1")
    assert done.returncode == 1
    rows = {(r["case"], r["label"]): r for r in read_csv(out / "metrics.csv")}
    expected = {
        ("a_ok", "1"): "ok", ("a_ok", "2"): "ok",
        ("b_emptypred", "1"): "ok", ("b_emptypred", "2"): "empty_pred",
        ("c_emptygt", "1"): "ok", ("c_emptygt", "2"): "empty_gt",
        ("d_bothempty", "1"): "both_empty", ("d_bothempty", "2"): "both_empty",
        ("e_missing", "1"): "missing", ("e_missing", "2"): "missing",
        ("f_error", "1"): "error", ("f_error", "2"): "error",
    }
    assert {key: row["status"] for key, row in rows.items()} == expected
    assert value(rows[("b_emptypred", "2")], "dice") == 0.0
    assert value(rows[("c_emptygt", "2")], "dice") == 0.0
    assert math.isnan(value(rows[("d_bothempty", "1")], "dice"))
    assert value(rows[("e_missing", "1")], "dice") == 0.0  # worst case: an empty prediction
    assert "no prediction" in rows[("e_missing", "1")]["error"]
    assert "f_error.png" in rows[("f_error", "1")]["error"]
    assert all(rows[k]["error"] == "" for k, s in expected.items() if s not in ("missing", "error"))
    summary = read_summary(out / "summary.json")
    assert summary["status_counts"] == {"ok": 4, "both_empty": 2, "empty_pred": 1,
                                        "empty_gt": 1, "missing": 2, "error": 2}
    # both_empty skipped, error left out, missing included as 0.
    stats = summary["per_label"]["1"]["dice"]
    assert stats["n_valid"] == 4 and stats["min"] == 0.0
    assert "e_missing" in done.stderr or "f_error" in done.stderr


def test_both_empty_include_counts_nan(status_folder):
    root, _ = status_folder
    out = root / "out"
    done = run_cli(root / "preds", root / "gts", "-o", out, "--labels", "1,2", "--metrics",
                   "dice", "--both-empty", "include", "-q", "-j", "1")
    assert done.returncode == 1
    stats = read_summary(out / "summary.json")["per_label"]["1"]["dice"]
    assert stats["n_nan"] == 1 and stats["n_valid"] == 4


def test_default_labels_fill_absent_labels_as_both_empty(tmp_path):
    preds, gts = make_folders(tmp_path)
    one = np.zeros((8, 8), dtype=np.uint8)
    one[1:4, 1:4] = 1
    three = one.copy()
    three[5:7, 5:7] = 3
    write_png(gts / "x.png", one)
    write_png(preds / "x.png", one)
    write_png(gts / "y.png", three)
    write_png(preds / "y.png", three)
    done = run_cli(preds, gts, "-o", tmp_path / "out", "--metrics", "dice,specificity", "-q",
                   "-j", "1")
    assert done.returncode == 0, done.stderr
    rows = {(r["case"], r["label"]): r for r in read_csv(tmp_path / "out" / "metrics.csv")}
    assert set(rows) == {("x", "1"), ("x", "3"), ("y", "1"), ("y", "3")}
    assert rows[("x", "3")]["status"] == "both_empty"
    assert value(rows[("x", "3")], "specificity") == _library("specificity", one, one, 3)


def test_exit_code_0_and_unmatched_prediction_warns(png_folder, tmp_path):
    root, _ = png_folder
    preds = tmp_path / "preds"
    shutil.copytree(root / "preds", preds)
    shutil.copy(preds / "img0.png", preds / "extra.png")
    done = run_cli(preds, root / "gts", "-o", tmp_path / "out", "--metrics", "dice", "-q")
    assert done.returncode == 0
    assert "extra" in done.stderr and "no ground truth" in done.stderr


@pytest.mark.parametrize("case", ["missing_folder", "no_pairs", "bad_metric", "bad_option",
                                  "bad_labels", "no_arguments", "existing_csv"])
def test_usage_errors_exit_2(case, png_folder, tmp_path):
    root, _ = png_folder
    preds, gts = root / "preds", root / "gts"
    out = tmp_path / "out"
    args = {
        "missing_folder": [tmp_path / "nowhere", gts, "-o", out],
        "no_pairs": [tmp_path, gts, "-o", out],
        "bad_metric": [preds, gts, "-o", out, "--metrics", "dice,volume"],
        "bad_option": [preds, gts, "-o", out, "--jobs", "many"],
        "bad_labels": [preds, gts, "-o", out, "--labels", "0,1", "--metrics", "dice"],
        "no_arguments": [],
        "existing_csv": [preds, gts, "-o", out, "--metrics", "dice"],
    }[case]
    if case == "existing_csv":
        out.mkdir()
        (out / "metrics.csv").write_text("case,label,status,error,dice\n")
    if case == "no_pairs":
        (tmp_path / "other.png").write_bytes((preds / "img0.png").read_bytes())
    done = run_cli(*args)
    assert done.returncode == 2, done.stderr
    assert "error" in done.stderr
    if case == "existing_csv":
        assert (out / "metrics.csv").read_text() == "case,label,status,error,dice\n"


def test_strip_suffix_and_pattern(tmp_path):
    preds, gts = make_folders(tmp_path)
    pred, gt = blob_pair((10, 10), (1,), seed=3)
    write_png(gts / "case7_seg.png", gt)
    write_png(preds / "case7_0000.png", pred)
    done = run_cli(preds, gts, "-o", tmp_path / "o1", "--metrics", "dice", "-q",
                   "--strip-suffix", "_seg", "--strip-suffix", "_0000")
    assert done.returncode == 0, done.stderr
    assert read_csv(tmp_path / "o1" / "metrics.csv")[0]["case"] == "case7"
    done = run_cli(preds, gts, "-o", tmp_path / "o2", "--metrics", "dice", "-q",
                   "--pattern", r"(?P<case>case\d+)")
    assert done.returncode == 0, done.stderr
    row = read_csv(tmp_path / "o2" / "metrics.csv")[0]
    assert row["case"] == "case7" and value(row, "dice") == _library("dice", pred, gt, 1)


def test_threshold_probability_maps_and_ignore_index(tmp_path):
    preds, gts = make_folders(tmp_path)
    rng = np.random.default_rng(5)
    probability = rng.random((6, 9, 9))
    gt = (rng.random((6, 9, 9)) > 0.5).astype(np.uint8)
    gt[0] = 255  # an ignored slab
    np.save(preds / "p.npy", probability)
    np.save(gts / "p.npy", gt)
    done = run_cli(preds, gts, "-o", tmp_path / "o1", "--metrics", "dice", "-q", "--labels", "1")
    assert done.returncode == 1
    row = read_csv(tmp_path / "o1" / "metrics.csv")[0]
    assert row["status"] == "error" and "--threshold" in row["error"]
    done = run_cli(preds, gts, "-o", tmp_path / "o2", "--metrics", "dice,jaccard", "-q",
                   "--labels", "1", "--threshold", "0.5", "--ignore-index", "255")
    assert done.returncode == 0, done.stderr
    row = read_csv(tmp_path / "o2" / "metrics.csv")[0]
    binary = (probability >= 0.5).astype(np.uint8)
    assert value(row, "dice") == _library("dice", binary, gt, 1, ignore_index=255)
    assert value(row, "jaccard") == _library("jaccard", binary, gt, 1, ignore_index=255)


def test_make_demo_then_score(tmp_path):
    done = run_cli("--make-demo", tmp_path / "demo")
    assert done.returncode == 0, done.stderr
    done = run_cli(tmp_path / "demo" / "preds", tmp_path / "demo" / "gts", "-o",
                   tmp_path / "demo" / "out", "--metrics", "dice,jaccard")
    assert done.returncode == 0, done.stderr
    assert len(read_csv(tmp_path / "demo" / "out" / "metrics.csv")) == 4 * 3


def test_console_script_is_declared():
    try:
        distribution = importlib.metadata.distribution("segmetrics")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("segmetrics is not installed (running from the source tree)")
    scripts = {ep.name: ep.value for ep in distribution.entry_points
               if ep.group == "console_scripts"}
    assert scripts.get("segmetrics-eval") == "segmetrics.cli:main"
    executable = shutil.which("segmetrics-eval")
    if executable is not None:
        import subprocess

        done = subprocess.run([executable, "--version"], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0 and segmetrics.__version__ in done.stdout


def test_jpeg_masks_refused_then_binarised_with_threshold(tmp_path):
    from PIL import Image

    preds, gts = make_folders(tmp_path)
    mask = np.zeros((16, 16), dtype=np.uint8)
    mask[3:12, 4:10] = 255
    Image.fromarray(mask).save(preds / "j.jpg", quality=90)
    write_png(gts / "j.png", mask)
    done = run_cli(preds, gts, "-o", tmp_path / "o1", "--metrics", "dice", "-q")
    assert done.returncode == 1
    row = read_csv(tmp_path / "o1" / "metrics.csv")[0]
    assert row["status"] == "error" and "lossy" in row["error"]
    done = run_cli(preds, gts, "-o", tmp_path / "o2", "--metrics", "dice", "-q",
                   "--threshold", "128")
    assert done.returncode == 0, done.stderr
    assert "warning" in done.stderr and "JPEG" in done.stderr
    row = read_csv(tmp_path / "o2" / "metrics.csv")[0]
    assert row["status"] == "ok" and value(row, "dice") == 1.0


def test_coloured_masks_with_colormap_and_tiff_stacks(tmp_path):
    from PIL import Image

    tifffile = pytest.importorskip("tifffile")
    preds, gts = make_folders(tmp_path)
    pred, gt = blob_pair((12, 14), (1, 2), seed=9)
    colours = {0: (0, 0, 0), 1: (255, 0, 0), 2: (0, 0, 255)}
    for folder, array in ((preds, pred), (gts, gt)):
        rgb = np.zeros(array.shape + (3,), dtype=np.uint8)
        for label, colour in colours.items():
            rgb[array == label] = colour
        Image.fromarray(rgb).save(folder / "rgb.png")
    vpred, vgt = blob_pair((4, 9, 10), (1, 2), seed=11)
    tifffile.imwrite(preds / "stack.tif", vpred, photometric="minisblack")
    tifffile.imwrite(gts / "stack.tif", vgt, photometric="minisblack")
    done = run_cli(preds, gts, "-o", tmp_path / "o1", "--metrics", "dice", "-q",
                   "--labels", "1,2")
    assert done.returncode == 1 and "--colormap" in done.stderr
    done = run_cli(preds, gts, "-o", tmp_path / "o2", "--metrics", "dice", "-q",
                   "--labels", "1,2", "--colormap", "1=255,0,0;2=0,0,255")
    assert done.returncode == 0, done.stderr
    rows = {(r["case"], r["label"]): r for r in read_csv(tmp_path / "o2" / "metrics.csv")}
    for label in (1, 2):
        assert same(value(rows[("rgb", str(label))], "dice"), _library("dice", pred, gt, label))
        assert same(value(rows[("stack", str(label))], "dice"),
                    _library("dice", vpred, vgt, label))
