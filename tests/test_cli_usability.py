"""What a new user tripped over (issue 13), and the runners behind the default -j."""
import dataclasses
import json
import math

import numpy as np
import pytest
from cli_helpers import blob_pair, make_folders, read_csv, run_cli, write_nifti, write_png

import segmetrics
from segmetrics import io
from segmetrics.evaluation import SCHEMA_VERSION, Options, UsageError, runners

nibabel = pytest.importorskip("nibabel")


# ---------------------------------------------------------------- --spacing and the header

def test_spacing_contradicting_the_header_warns_once(tmp_path):
    pred, gt = blob_pair((12, 10, 6), (1,), seed=1)
    preds, gts = make_folders(tmp_path)
    for name in ("a", "b"):
        write_nifti(preds / f"{name}.nii.gz", pred, (0.8, 0.8, 2.5))
        write_nifti(gts / f"{name}.nii.gz", gt, (0.8, 0.8, 2.5))
    done = run_cli(preds, gts, "-o", tmp_path / "out", "--spacing", "2.5,0.8,0.8",
                   "--metrics", "dice", "-q", "-j", "1")
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if "contradicts" in line]
    assert len(warned) == 1, done.stderr
    assert "(2.5, 0.8, 0.8)" in warned[0] and "(0.8, 0.8, 2.5)" in warned[0]


def test_spacing_equal_to_the_header_up_to_float32_rounding_is_silent(tmp_path):
    _, gt = blob_pair((6, 5, 4), (1,), seed=2)
    write_nifti(tmp_path / "m.nii.gz", gt, (0.8, 0.8, 2.5))  # stored as float32
    mask = io.read_mask(tmp_path / "m.nii.gz", spacing=(0.8, 0.8, 2.5))  # warnings are errors
    assert mask.spacing == (0.8, 0.8, 2.5)
    with pytest.warns(UserWarning, match="contradicts the file header"):
        io.read_mask(tmp_path / "m.nii.gz", spacing=(0.8, 0.8, 2.6))


def test_spacing_help_names_the_axis_order():
    done = run_cli("--help")
    assert "axis order" in done.stdout and "0.8,0.8,2.5" in done.stdout
    assert "3,0.8,0.8" not in done.stdout


def test_demo_niftis_are_x_y_z_with_the_slice_axis_last(tmp_path):
    from segmetrics.demo import make_demo_folder

    _, gts = make_demo_folder(tmp_path, n_cases=1)
    image = nibabel.load(f"{gts}/case_000.nii.gz")
    assert image.shape == (64, 64, 40)
    assert image.header.get_zooms() == pytest.approx((0.8, 0.8, 2.5))


# ---------------------------------------------------------------- length-1 axes

@pytest.mark.parametrize("surface", ["voxel", "surfel"])
def test_a_2d_mask_saved_as_x_y_1_scores_as_the_2d_mask(tmp_path, surface):
    pred, gt = blob_pair((24, 20), (1,), seed=3)
    flat, volume = tmp_path / "flat", tmp_path / "volume"
    for root in (flat, volume):
        root.mkdir()
        preds, gts = make_folders(root)
        if root is flat:  # (X, Y) with its spacing given
            np.save(preds / "a.npy", pred)
            np.save(gts / "a.npy", gt)
        else:  # the same image as an (X, Y, 1) NIfTI volume
            write_nifti(preds / "a.nii.gz", pred[..., None], (0.5, 0.75, 3.0))
            write_nifti(gts / "a.nii.gz", gt[..., None], (0.5, 0.75, 3.0))
    metrics = ["dice", "hd", "hd95", "assd", "nsd"]
    runs = [segmetrics.evaluate_folder(root / "preds", root / "gts", metrics=metrics, jobs=1,
                                       n_resamples=0, surface=surface,
                                       spacing=(0.5, 0.75) if root is flat else None).records[0]
            for root in (flat, volume)]
    expected = segmetrics.surface_distances(pred == 1, gt == 1, spacing=(0.5, 0.75),
                                            surface=surface)
    assert runs[0].values["hd95"] == pytest.approx(expected.hd95(), rel=1e-12)
    for metric in metrics:
        assert runs[1].values[metric] == pytest.approx(runs[0].values[metric], rel=1e-12), metric


# ---------------------------------------------------------------- NaN and --threshold

def test_a_probability_map_with_nan_says_both_facts_at_once(tmp_path):
    preds, gts = make_folders(tmp_path)
    probabilities = np.full((6, 6), 0.25, dtype=np.float32)
    probabilities[2, 2] = np.nan
    np.save(preds / "a.npy", probabilities)
    np.save(gts / "a.npy", np.eye(6, dtype=np.uint8))
    (record,) = segmetrics.evaluate_folder(preds, gts, metrics=["dice"], jobs=1,
                                           n_resamples=0).records
    assert record.status == "error"
    assert "--threshold" in record.error and "1 of them NaN" in record.error
    with pytest.raises(io.MaskError, match="NaN"):
        io.read_mask(preds / "a.npy", threshold=0.5)


# ---------------------------------------------------------------- runners and -j

def test_auto_jobs_rule():
    small, large = [100_000] * 4, [50_000_000] * 4
    assert runners._auto_jobs(1, 100, 1.0, small) == 1  # one core
    assert runners._auto_jobs(4, 100, 0.01, small) == 1  # the rest takes 1 s here
    assert runners._auto_jobs(4, 100, 1.0, large) == 1  # large cases use every core here
    assert runners._auto_jobs(4, 100, 1.0, small) == 4
    assert runners._auto_jobs(4, 3, 10.0, small) == 3


def test_jobs_auto_and_1_give_the_same_rows(tmp_path):
    preds, gts = make_folders(tmp_path)
    for i in range(6):
        pred, gt = blob_pair((16, 16), (1, 2), seed=40 + i)
        write_png(preds / f"c{i}.png", pred)
        write_png(gts / f"c{i}.png", gt)
    runs = [segmetrics.evaluate_folder(preds, gts, jobs=jobs, n_resamples=0).records
            for jobs in (1, "auto")]
    assert runs[0] == runs[1]
    assert run_cli(preds, gts, "-o", tmp_path / "o", "-j", "0").returncode == 2


def test_auto_scores_each_case_once_whether_or_not_a_pool_takes_the_rest(tmp_path,
                                                                          monkeypatch):
    preds, gts = make_folders(tmp_path)
    for i in range(7):
        pred, gt = blob_pair((16, 16), (1, 2), seed=80 + i)
        write_png(preds / f"c{i}.png", pred)
        write_png(gts / f"c{i}.png", gt)
    expected = segmetrics.evaluate_folder(preds, gts, jobs=1, n_resamples=0).records
    handed, run_cases = [], runners.run_cases

    def spy(cases, options, jobs, on_result, work=None):
        if jobs != "auto":
            handed.append((cases, jobs))
            jobs = 1  # the pool's own tests are in test_cli_workers.py
        run_cases(cases, options, jobs, on_result, work)

    monkeypatch.setattr(runners, "run_cases", spy)
    for pool_jobs in (1, 3):
        handed.clear()
        monkeypatch.setattr(runners, "_auto_jobs", lambda *args, j=pool_jobs: j)
        records = segmetrics.evaluate_folder(preds, gts, jobs="auto", n_resamples=0).records
        assert records == expected
        # one pipeline when no pool pays; else the probe here and exactly the rest there
        assert [(len(c), j) for c, j in handed] == ([] if pool_jobs == 1 else [(3, 3)])


def test_read_ahead_gives_each_warning_to_its_own_case(tmp_path):
    preds, gts = make_folders(tmp_path)
    for i in range(5):
        pred, gt = blob_pair((16, 16), (1,), seed=60 + i)
        write_png(preds / f"c{i}.png", pred)
        write_png(gts / f"c{i}.png", gt)
    (preds / "c2.png").unlink()
    from PIL import Image

    Image.fromarray(blob_pair((16, 16), (1,), seed=62)[0] * 255).save(preds / "c2.jpg")
    with pytest.warns(UserWarning) as caught:
        segmetrics.evaluate_folder(preds, gts, metrics=["dice"], jobs=1, threshold=128,
                                   n_resamples=0)
    jpeg = [str(w.message) for w in caught if "JPEG" in str(w.message)]
    assert jpeg and all(message.startswith("c2: ") for message in jpeg)


# ---------------------------------------------------------------- options and resume state

def test_options_are_frozen_and_the_resume_state_has_a_schema_version(tmp_path):
    options = Options.build(metrics="dice,hd95", labels="1,2", spacing=(1, 2))
    assert options.metrics == ("dice", "hd95") and options.labels == (1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.labels = (3,)
    assert options.state()["schema_version"] == SCHEMA_VERSION
    with pytest.raises(UsageError, match="nsd_tolerance"):
        Options.build(nsd_tolerance=-1)

    preds, gts = make_folders(tmp_path)
    pred, gt = blob_pair((8, 8), (1,), seed=5)
    np.save(preds / "a.npy", pred)
    np.save(gts / "a.npy", gt)
    out = tmp_path / "out"
    segmetrics.evaluate_folder(preds, gts, out_dir=out, metrics=["dice"], n_resamples=0)
    state = out / ".segmetrics-state.jsonl"
    entry = json.loads(state.read_text())
    assert entry["options"]["schema_version"] == SCHEMA_VERSION
    entry["options"]["schema_version"] = SCHEMA_VERSION + 1
    state.write_text(json.dumps(entry) + "\n")
    with pytest.raises(UsageError, match="schema version"):
        segmetrics.evaluate_folder(preds, gts, out_dir=out, metrics=["dice"], resume=True,
                                   n_resamples=0)
    assert math.isfinite(float(read_csv(out / "metrics.csv")[0]["dice"]))


def test_import_segmetrics_does_not_load_the_evaluation_layer():
    import subprocess
    import sys

    code = ("import sys, segmetrics; "
            "print(sorted(m for m in sys.modules if m.startswith('segmetrics.') and "
            "m.split('.')[1] in ('evaluation', 'evaluate', 'cli', 'io', 'distributed')))")
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True).stdout.strip()
    assert loaded == "[]"
    assert "evaluate_folder" in segmetrics.__all__
    assert segmetrics.evaluate_folder is segmetrics.evaluation.evaluate_folder
