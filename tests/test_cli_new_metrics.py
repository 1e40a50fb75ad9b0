"""segmetrics-eval with the counts family, lesion-wise scores, clDice, label regions and
per-label NSD tolerances: every value equals the API's on the same masks."""
import json

import numpy as np
import pytest
from cli_helpers import make_folders, read_csv, run_cli

import segmetrics
from segmetrics import from_counts, rates
from segmetrics.evaluation import REGISTRY, UsageError, evaluate_folder
from segmetrics.evaluation.metrics import LESION_METRICS, OVERLAP_METRICS, TOPOLOGY_METRICS
from segmetrics.lesion import LesionResult, lesion_wise
from segmetrics.regions import BRATS

pytest.importorskip("skimage")

COUNTS_FAMILY = ["volume_similarity", "absolute_volume_difference",
                 "relative_volume_difference", "mcc", "false_positive_rate",
                 "false_negative_rate", "npv", "false_discovery_rate", "balanced_accuracy",
                 "fbeta", "informedness", "markedness", "prevalence"]
LESION = ["lesion_f1", "lesion_recall", "lesion_precision", "lesion_dice", "pq"]
SPACING = (1.0, 2.0)


def brats_pair(seed):
    """A BraTS-like label map (1 core, 2 oedema, 3 enhancing) and a perturbed prediction."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((16, 18), dtype=np.uint8)
    gt[2:9, 2:10] = 2
    gt[3:7, 3:8] = 1
    gt[4:6, 4:6] = 3
    gt[11:14, 12:16] = 2
    pred = gt.copy()
    pred[rng.integers(0, 16, 12), rng.integers(0, 18, 12)] = rng.integers(0, 4, 12)
    pred[12:15, 1:4] = 1
    return pred, gt


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("new_metrics")
    preds, gts = make_folders(root)
    pairs = {}
    for i, case in enumerate(("c1", "c2", "c3")):
        pred, gt = brats_pair(i)
        np.save(preds / f"{case}.npy", pred)
        np.save(gts / f"{case}.npy", gt)
        pairs[case] = (pred, gt)
    return root, pairs


def test_registry_is_complete():
    for name in OVERLAP_METRICS:
        if name != "threshold_jaccard":
            assert callable(getattr(from_counts, name)), name
    for name in LESION_METRICS:
        assert isinstance(getattr(LesionResult, REGISTRY[name].attribute), property), name
    assert set(COUNTS_FAMILY) <= set(OVERLAP_METRICS)
    assert set(LESION) == set(LESION_METRICS)
    assert TOPOLOGY_METRICS == ("cldice",)


def test_cli_regions_end_to_end(folders, tmp_path):
    root, pairs = folders
    metrics = ["dice", "mcc", "fbeta", "absolute_volume_difference", *LESION, "cldice",
               "hd95", "nsd"]
    done = run_cli(root / "preds", root / "gts", "-o", tmp_path / "out", "--regions", "brats",
                   "--metrics", ",".join(metrics), "--spacing", "1,2", "--fbeta-beta", "2",
                   "--nsd-tolerance", "WT=2.0,TC=0.5,3.0", "--bootstrap-resamples", "0", "-q")
    assert done.returncode == 0, done.stderr
    rows = read_csv(tmp_path / "out" / "metrics.csv")
    assert [(r["case"], r["label"]) for r in rows] == [
        (case, region) for case in ("c1", "c2", "c3") for region in ("WT", "TC", "ET")]
    tolerance = {"WT": 2.0, "TC": 0.5, "ET": 3.0}
    for case, (pred, gt) in pairs.items():
        got = {r["label"]: r for r in rows if r["case"] == case}
        expected = {
            "dice": segmetrics.dice(pred, gt, regions=BRATS),
            "mcc": rates.mcc(pred, gt, regions=BRATS),
            "fbeta": rates.fbeta(pred, gt, regions=BRATS, beta=2.0),
            "absolute_volume_difference": rates.absolute_volume_difference(
                pred, gt, regions=BRATS, voxel_volume=2.0),
            "hd95": segmetrics.hd95(pred, gt, regions=BRATS, spacing=SPACING),
            "nsd": segmetrics.surface_dice(pred, gt, regions=BRATS, spacing=SPACING,
                                           tolerance=tolerance),
        }
        for i, (region, labels) in enumerate(BRATS.items()):
            p, g = np.isin(pred, labels), np.isin(gt, labels)
            result = lesion_wise(p, g, spacing=SPACING)
            want = {m: float(v[i]) for m, v in expected.items()}
            want.update({m: float(getattr(result, REGISTRY[m].attribute)) for m in LESION})
            want["cldice"] = segmetrics.cldice(p, g)
            for metric, value in want.items():
                assert float(got[region][metric]) == pytest.approx(value, rel=1e-15, abs=0), \
                    (case, region, metric)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["options"]["regions"] == {"WT": [1, 2, 3], "TC": [1, 3], "ET": [3]}
    assert summary["options"]["nsd_tolerances"] == {"WT": 2.0, "TC": 0.5}
    assert summary["options"]["nsd_tolerance"] == 3.0
    assert set(summary["per_label"]) == {"WT", "TC", "ET"}
    assert "beta = 2.0" in summary["definitions"]["fbeta"]


def test_resume_keeps_region_rows(folders, tmp_path):
    root, _ = folders
    args = [root / "preds", root / "gts", "-o", tmp_path / "out", "--regions",
            "WT=1,2,3;ET=3", "--metrics", "dice,lesion_f1", "--bootstrap-resamples", "0", "-q"]
    assert run_cli(*args).returncode == 0
    first = read_csv(tmp_path / "out" / "metrics.csv")
    resumed = run_cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert read_csv(tmp_path / "out" / "metrics.csv") == first
    assert [r["label"] for r in first[:2]] == ["WT", "ET"]


def test_labels_with_new_metrics_and_per_label_tolerance(folders):
    root, pairs = folders
    metrics = [*COUNTS_FAMILY, *LESION, "cldice", "nsd"]
    result = evaluate_folder(root / "preds", root / "gts", metrics=metrics, labels=[1, 2, 3, 4],
                             spacing=SPACING, nsd_tolerance={1: 0.5, 2: 2.0, 3: 1.0, 4: 1.0},
                             n_resamples=0)
    for case, (pred, gt) in pairs.items():
        records = {r.label: r for r in result.records if r.case == case}
        assert records[4].status == "both_empty"
        for label in (1, 2, 3):
            p, g = pred == label, gt == label
            want = {m: float(getattr(rates, m)(pred, gt, labels=[label])[0])
                    for m in COUNTS_FAMILY if m not in ("absolute_volume_difference",)}
            want["absolute_volume_difference"] = float(rates.absolute_volume_difference(
                p, g, voxel_volume=2.0))
            lesions = lesion_wise(p, g, spacing=SPACING)
            want.update({m: float(getattr(lesions, REGISTRY[m].attribute)) for m in LESION})
            want["cldice"] = segmetrics.cldice(p, g)
            want["nsd"] = segmetrics.surface_dice(p, g, spacing=SPACING,
                                                  tolerance={1: 0.5, 2: 2.0, 3: 1.0}[label])
            for metric, value in want.items():
                assert records[label].values[metric] == pytest.approx(value, rel=1e-15), \
                    (case, label, metric)
        # Label 4 is in no mask: lesion and topology scores are 0/0.
        assert all(np.isnan(records[4].values[m]) for m in [*LESION, "cldice"])
        assert records[4].values["absolute_volume_difference"] == 0.0


def test_label_absent_from_one_case_gets_both_empty_row(tmp_path):
    preds, gts = make_folders(tmp_path)
    a = np.zeros((8, 8), dtype=np.uint8)
    a[1:4, 1:4] = 1
    b = a.copy()
    b[5:7, 5:7] = 2
    for case, mask in (("a", a), ("b", b)):
        np.save(preds / f"{case}.npy", mask)
        np.save(gts / f"{case}.npy", mask)
    result = evaluate_folder(preds, gts, metrics=["lesion_f1", "cldice", "mcc"],
                             zero_division=-1.0, n_resamples=0)
    rows = {(r.case, r.label): r for r in result.records}
    assert rows[("a", 2)].status == "both_empty"
    assert rows[("a", 2)].values == {"lesion_f1": -1.0, "cldice": -1.0, "mcc": -1.0}
    assert rows[("b", 2)].values["lesion_f1"] == 1.0


@pytest.mark.parametrize("args, message", [
    (["--regions", "WT"], "--regions must be a preset"),
    (["--regions", "brats", "--labels", "1"], "not both"),
    (["--regions", "brats", "--nsd-tolerance", "XX=1.0"], "not a region"),
    (["--nsd-tolerance", "1=abc"], "nsd_tolerance must be a number"),
    (["--nsd-tolerance", "1=-1"], "nsd_tolerance of 1"),
    (["--metrics", "lesion_f2"], "lesion_f1"),
    (["--fbeta-beta", "0"], "fbeta_beta must be > 0"),
])
def test_usage_errors(folders, tmp_path, capsys, args, message):
    from segmetrics.cli import main

    root, _ = folders
    code = main([str(root / "preds"), str(root / "gts"), "-o", str(tmp_path / "out"), "-q",
                 *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_options_build_refuses_bad_regions():
    with pytest.raises(UsageError, match="region 'WT'"):
        evaluate_folder(".", ".", regions={"WT": []})


def test_compare_with_regions(folders):
    from segmetrics.compare import compare_folders

    root, _ = folders
    result = compare_folders(root / "preds", root / "gts", root / "gts", regions="brats",
                             metrics=["dice", "lesion_dice"], n_resamples=0)
    rows = {(r["metric"], r["label"]): r for r in result.rows}
    assert set(rows) == {(m, label) for m in ("dice", "lesion_dice")
                         for label in ("WT", "TC", "ET", "all")}
    assert all(r["n_cases"] == (9 if r["label"] == "all" else 3) for r in result.rows)
    assert all(r["mean_b"] == 1.0 and r["mean_a"] < 1.0 for r in result.rows)
