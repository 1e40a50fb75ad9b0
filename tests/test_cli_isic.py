"""--preset isic gives the numbers of the isic-challenge-scoring package on the same folder."""
import warnings

import numpy as np
import pytest
from cli_helpers import make_folders, read_csv, read_summary, run_cli, value

Image = pytest.importorskip("PIL.Image")

METRICS = ["threshold_jaccard", "jaccard", "dice", "accuracy", "sensitivity", "specificity"]


@pytest.fixture(scope="module")
def isic_folder(tmp_path_factory):
    """ISIC-named greyscale masks with values around the 128 cut, plus the edge cases."""
    root = tmp_path_factory.mktemp("isic")
    preds, gts = make_folders(root)
    (gts / "LICENSE.txt").write_text("not a mask")
    rng = np.random.default_rng(7)
    shape = (30, 40)
    for i in range(8):
        gt = np.zeros(shape, dtype=np.uint8)
        pred = np.zeros(shape, dtype=np.uint8)
        if i != 6:  # case 6: both empty
            a, b = rng.integers(2, 12, size=2)
            gt[a:a + 15, b:b + 20] = 255
        if i not in (5, 6):  # case 5: empty prediction
            c, d = rng.integers(2, 12, size=2)
            # greyscale prediction: 128 is background, 129 and up foreground
            pred[c:c + 14, d:d + 22] = rng.choice([128, 129, 200, 255], size=(14, 22))
        Image.fromarray(gt).save(gts / f"ISIC_{i:07d}_segmentation.png")
        Image.fromarray(pred).save(preds / f"ISIC_{i:07d}.png")
    return root


def _hand(pred, gt):
    """ISIC 2018 task 1 per image, by hand: binarise at > 128, 0/0 gives 1."""
    p, g = pred > 128, gt > 128
    tp, fp = int((p & g).sum()), int((p & ~g).sum())
    fn, tn = int((~p & g).sum()), int((~p & ~g).sum())

    def ratio(a, b):
        return 1.0 if b == 0 else a / b

    jaccard = ratio(tp, tp + fp + fn)
    return {"threshold_jaccard": jaccard if jaccard >= 0.65 else 0.0, "jaccard": jaccard,
            "dice": ratio(2 * tp, 2 * tp + fp + fn), "accuracy": (tp + tn) / p.size,
            "sensitivity": ratio(tp, tp + fn), "specificity": ratio(tn, tn + fp)}


def test_isic_preset_per_image_values(isic_folder, tmp_path):
    out = tmp_path / "out"
    done = run_cli(isic_folder / "preds", isic_folder / "gts", "-o", out, "--preset", "isic",
                   "-q", "-j", "1")
    assert done.returncode == 0, done.stderr
    rows = read_csv(out / "metrics.csv")
    assert list(rows[0])[4:] == METRICS
    assert [r["case"] for r in rows] == [f"ISIC_{i:07d}" for i in range(8)]
    for row in rows:
        number = row["case"]
        with Image.open(isic_folder / "preds" / f"{number}.png") as p, \
                Image.open(isic_folder / "gts" / f"{number}_segmentation.png") as g:
            expected = _hand(np.asarray(p), np.asarray(g))
        for metric in METRICS:
            assert value(row, metric) == pytest.approx(expected[metric], rel=1e-15, abs=0)
    assert {r["status"] for r in rows} >= {"ok", "both_empty", "empty_pred"}


def test_isic_preset_equals_isic_challenge_scoring(isic_folder, tmp_path):
    scoring = pytest.importorskip("isic_challenge_scoring.segmentation")
    from pathlib import Path

    out = tmp_path / "out"
    done = run_cli(isic_folder / "preds", isic_folder / "gts", "-o", out, "--preset", "isic",
                   "-q", "-j", "2")
    assert done.returncode == 0, done.stderr
    summary = read_summary(out / "summary.json")
    with warnings.catch_warnings():
        # the reference package calls pandas APIs that newer pandas deprecates
        warnings.simplefilter("ignore")
        reference = scoring.SegmentationScore.from_dir(Path(isic_folder / "gts"),
                                                       Path(isic_folder / "preds"))
    for metric in METRICS:
        ours = summary["per_label"]["1"][metric]["mean"]
        assert ours == pytest.approx(float(reference.macro_average[metric]), rel=1e-12, abs=0)
    assert summary["preset"] == "isic"
    assert summary["per_label"]["1"]["threshold_jaccard"]["n_valid"] == 8
