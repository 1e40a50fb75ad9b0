"""Distance metrics in segmetrics-eval: anisotropic NIfTI, surface_distances values, worst case."""
import math

import numpy as np
import pytest
from cli_helpers import blob_pair, make_folders, read_csv, read_summary, run_cli, value, write_nifti

import segmetrics

if not hasattr(segmetrics, "surface_distances"):
    pytest.skip("segmetrics.surface_distances is not in this build (distance branch not merged)",
                allow_module_level=True)
pytest.importorskip("nibabel")

SPACING = (3.0, 0.7, 0.9)
#: NIfTI stores the spacing as float32: this is what the files hold and the CLI uses.
STORED = tuple(float(np.float32(s)) for s in SPACING)
SHAPE = (10, 16, 14)
DISTANCE = ["hd", "hd95", "assd", "nsd"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("distance")
    preds, gts = make_folders(root)
    arrays = {}
    for i in range(3):
        pred, gt = blob_pair(SHAPE, (1, 2), seed=30 + i)
        write_nifti(preds / f"ct_{i}.nii.gz", pred, SPACING)
        write_nifti(gts / f"ct_{i}.nii.gz", gt, SPACING)
        arrays[f"ct_{i}"] = (pred, gt)
    pred, gt = blob_pair(SHAPE, (1, 2), seed=40)
    pred[pred == 2] = 0  # label 2: empty prediction -> infinite distances
    write_nifti(preds / "ct_empty.nii.gz", pred, SPACING)
    write_nifti(gts / "ct_empty.nii.gz", gt, SPACING)
    arrays["ct_empty"] = (pred, gt)
    return root, arrays


def test_default_metrics_equal_library(folder, tmp_path):
    root, arrays = folder
    out = tmp_path / "out"
    done = run_cli(root / "preds", root / "gts", "-o", out, "--nsd-tolerance", "1.5", "-q",
                   "-j", "2")
    assert done.returncode == 0, done.stderr
    rows = read_csv(out / "metrics.csv")
    assert list(rows[0]) == ["case", "label", "status", "error", "dice", "jaccard", "hd95",
                             "assd", "nsd"]
    for row in rows:
        pred, gt = arrays[row["case"]]
        label = int(row["label"])
        (d,) = segmetrics.surface_distances(pred, gt, spacing=STORED, labels=[label])
        expected = {"hd95": d.hd95(), "assd": d.assd(), "nsd": d.surface_dice(1.5)}
        for metric, number in expected.items():
            got = value(row, metric)
            assert got == float(number) or (math.isnan(got) and math.isnan(number)), (row, metric)
        assert value(row, "dice") == float(segmetrics.dice(pred, gt, labels=[label])[0])


def test_inf_replaced_by_the_image_diagonal(folder, tmp_path):
    root, arrays = folder
    out = tmp_path / "out"
    done = run_cli(root / "preds", root / "gts", "-o", out, "--metrics", ",".join(DISTANCE),
                   "-q", "-j", "1")
    assert done.returncode == 0, done.stderr
    rows = {(r["case"], r["label"]): r for r in read_csv(out / "metrics.csv")}
    empty = rows[("ct_empty", "2")]
    assert empty["status"] == "empty_pred"
    assert value(empty, "hd") == math.inf and value(empty, "nsd") == 0.0
    summary = read_summary(out / "summary.json")
    stats = summary["per_label"]["2"]["hd"]
    assert stats["n_inf"] == 1 and stats["n_inf_replaced"] == 1
    diagonal = math.sqrt(sum((n * s) ** 2 for n, s in zip(SHAPE, STORED)))
    assert stats["max"] == pytest.approx(diagonal, rel=1e-12)
    finite = [value(r, "hd") for (c, lab), r in rows.items() if lab == "2" and c != "ct_empty"]
    assert stats["mean"] == pytest.approx(np.mean(finite + [diagonal]), rel=1e-12)
    assert "diagonal" in summary["aggregation"]["inf"]


def _expected(pred, gt, label, surface, tolerance):
    (d,) = segmetrics.surface_distances(pred, gt, spacing=STORED, labels=[label],
                                        surface=surface)
    return {"hd": d.hausdorff(), "hd95": d.hd95(), "assd": d.assd(),
            "nsd": d.surface_dice(tolerance)}


def _assert_rows_equal_library(rows, arrays, surface, tolerance):
    """CSV rows (dicts) or Records hold the library's values of every distance metric."""
    assert rows
    for row in rows:
        if isinstance(row, dict):
            case, label, got = row["case"], int(row["label"]), {m: value(row, m) for m in DISTANCE}
        else:
            case, label, got = row.case, row.label, row.values
        expected = _expected(*arrays[case], label, surface, tolerance)
        for metric, number in expected.items():
            assert got[metric] == float(number) or (
                math.isnan(got[metric]) and math.isnan(number)), (row, metric)


def test_surfel_equals_library(folder, tmp_path):
    root, arrays = folder
    out = tmp_path / "out"
    done = run_cli(root / "preds", root / "gts", "-o", out, "--metrics", ",".join(DISTANCE),
                   "--nsd-tolerance", "1.5", "--surface", "surfel", "-q", "-j", "2")
    assert done.returncode == 0, done.stderr
    rows = read_csv(out / "metrics.csv")
    _assert_rows_equal_library(rows, arrays, "surfel", 1.5)
    voxel = {(r["case"], r["label"]): _expected(*arrays[r["case"]], int(r["label"]), "voxel", 1.5)
             for r in rows}
    assert any(value(r, "assd") != voxel[(r["case"], r["label"])]["assd"] for r in rows
               if r["status"] == "ok")  # the option reached the library
    summary = read_summary(out / "summary.json")
    assert summary["options"]["surface"] == "surfel"
    assert summary["options"]["nsd_tolerance"] == 1.5
    assert list(summary["options"]).index("surface") == (
        list(summary["options"]).index("nsd_tolerance") + 1)
    for metric in ("hd95", "assd", "nsd"):
        assert "area-weighted" in summary["definitions"][metric]
    assert "surface elements" in summary["definitions"]["hd"]


def test_evaluate_folder_surface(folder):
    from segmetrics.evaluate import UsageError

    root, arrays = folder
    surfel = segmetrics.evaluate_folder(root / "preds", root / "gts", metrics=DISTANCE,
                                        nsd_tolerance=1.5, surface="surfel", n_resamples=0)
    _assert_rows_equal_library(surfel.records, arrays, "surfel", 1.5)
    assert surfel.summary["options"]["surface"] == "surfel"
    default = segmetrics.evaluate_folder(root / "preds", root / "gts", metrics=DISTANCE,
                                         nsd_tolerance=1.5, n_resamples=0)
    _assert_rows_equal_library(default.records, arrays, "voxel", 1.5)
    assert default.summary["options"]["surface"] == "voxel"
    assert "area-weighted" not in default.summary["definitions"]["assd"]
    with pytest.raises(UsageError, match="surface must be one of 'voxel', 'surfel'"):
        segmetrics.evaluate_folder(root / "preds", root / "gts", surface="mesh")


def test_surface_settings_pickle():
    import pickle

    from segmetrics.evaluation import Options

    settings = Options.build(metrics=("hd",), labels=(1,), zero_division=0.0, surface="surfel")
    assert pickle.loads(pickle.dumps(settings)) == settings
    assert Options.build(metrics=("hd",), labels=(1,)).surface == "voxel"


def test_cli_rejects_unknown_surface(folder, tmp_path):
    root, _ = folder
    done = run_cli(root / "preds", root / "gts", "-o", tmp_path / "out", "--surface", "mesh",
                   "-q")
    assert done.returncode == 2 and "--surface" in done.stderr and "surfel" in done.stderr


def test_surfel_1d_case_is_an_error_row(tmp_path):
    preds, gts = make_folders(tmp_path)
    np.save(preds / "line.npy", np.array([0, 1, 1, 0, 0], dtype=np.uint8))
    np.save(gts / "line.npy", np.array([0, 1, 1, 1, 0], dtype=np.uint8))
    result = segmetrics.evaluate_folder(preds, gts, metrics=["dice", "hd"], surface="surfel",
                                        n_resamples=0)
    (record,) = result.records
    assert record.status == "error" and "2-D or 3-D" in record.error
    voxel = segmetrics.evaluate_folder(preds, gts, metrics=["dice", "hd"], n_resamples=0)
    assert voxel.records[0].status == "ok" and voxel.records[0].values["hd"] == 1.0


def test_resume_refuses_the_other_surface(folder, tmp_path):
    root, arrays = folder
    out = tmp_path / "out"
    args = (root / "preds", root / "gts", "-o", out, "--metrics", "hd95", "-q", "-j", "1")
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    before = (out / "metrics.csv").read_bytes()
    done = run_cli(*args, "--resume", "--surface", "surfel")
    assert done.returncode == 2 and "--surface" in done.stderr and "--resume" in done.stderr
    assert (out / "metrics.csv").read_bytes() == before
    done = run_cli(*args, "--resume", "--surface", "voxel")
    assert done.returncode == 0, done.stderr
    assert (out / "metrics.csv").read_bytes() == before
    # overlap metrics only: the surface does not matter
    out2 = tmp_path / "out2"
    overlap = (root / "preds", root / "gts", "-o", out2, "--metrics", "dice", "-q", "-j", "1")
    assert run_cli(*overlap).returncode == 0
    done = run_cli(*overlap, "--resume", "--surface", "surfel")
    assert done.returncode == 0, done.stderr
