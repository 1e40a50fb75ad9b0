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
