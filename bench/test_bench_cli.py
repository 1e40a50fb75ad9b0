"""Throughput of segmetrics-eval (evaluate_folder): cases per second, -j 1 and -j 2.

Two datasets: 200 2D PNG cases (256 x 256, three labels) and 20 CT-like NIfTI
cases (100 x 256 x 256 uint8, gzip, spacing 2.5 x 0.8 x 0.8 mm, three organs).
Each run is checked against the library functions, warmed up once, then timed
three times (each round starts its own worker processes, which is counted). nnU-Net's
``compute_metrics_on_folder`` (Dice only) joins the group when nnunetv2 is installed.

Run: ``pytest bench/test_bench_cli.py --benchmark-only --benchmark-group-by=group``;
cases/s is in each benchmark's ``extra_info``.
"""
import numpy as np
import pytest

import segmetrics
from segmetrics.demo import demo_pair
from segmetrics.evaluation import DEFAULT_METRICS

pytest.importorskip("pytest_benchmark")
nibabel = pytest.importorskip("nibabel")
Image = pytest.importorskip("PIL.Image")

N_2D, N_3D = 200, 20
SHAPE_3D, SPACING_3D = (100, 256, 256), (2.5, 0.8, 0.8)
METRIC_SETS = {"dice": ["dice"], "default": list(DEFAULT_METRICS)}


@pytest.fixture(scope="module")
def datasets(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench_cli")
    folders = {}
    first = {}
    for name, n in (("png_2d", N_2D), ("nifti_3d", N_3D)):
        preds, gts = root / name / "preds", root / name / "gts"
        preds.mkdir(parents=True)
        gts.mkdir(parents=True)
        for i in range(n):
            if name == "png_2d":
                pred, gt = demo_pair((256, 256), seed=i)
                Image.fromarray(pred).save(preds / f"case_{i:03d}.png")
                Image.fromarray(gt).save(gts / f"case_{i:03d}.png")
            else:
                pred, gt = demo_pair(SHAPE_3D, seed=i)
                affine = np.diag([*SPACING_3D, 1.0])
                nibabel.save(nibabel.Nifti1Image(pred, affine), preds / f"case_{i:03d}.nii.gz")
                nibabel.save(nibabel.Nifti1Image(gt, affine), gts / f"case_{i:03d}.nii.gz")
            if i == 0:
                first[name] = (pred, gt)
        folders[name] = (preds, gts)
    return root, folders, first


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("metric_set", sorted(METRIC_SETS))
@pytest.mark.parametrize("dataset", ["png_2d", "nifti_3d"])
def test_segmetrics_eval(benchmark, datasets, dataset, metric_set, jobs):
    root, folders, first = datasets
    preds, gts = folders[dataset]
    metrics = METRIC_SETS[metric_set]
    out = root / f"out_{dataset}_{metric_set}_{jobs}"
    benchmark.group = f"cli {dataset} {metric_set}"

    def run():
        return segmetrics.evaluate_folder(preds, gts, out_dir=out, metrics=metrics,
                                          labels=[1, 2, 3], jobs=jobs, overwrite=True)

    result = run()  # warm-up (imports, spawned workers' first import)
    result = benchmark.pedantic(run, rounds=3, iterations=1)
    n = N_2D if dataset == "png_2d" else N_3D
    assert len(result.records) == 3 * n
    assert {r.status for r in result.records} <= {"ok", "both_empty", "empty_pred", "empty_gt"}
    pred, gt = first[dataset]
    expected = segmetrics.dice(pred, gt, labels=[1, 2, 3])
    got = [r.values["dice"] for r in result.records if r.case == "case_000"]
    np.testing.assert_array_equal(got, expected)
    seconds = benchmark.stats.stats.mean
    benchmark.extra_info["cases_per_second"] = n / seconds
    benchmark.extra_info["jobs"] = jobs


@pytest.mark.parametrize("dataset", ["png_2d", "nifti_3d"])
def test_nnunet_compute_metrics_on_folder(benchmark, datasets, dataset):
    evaluation = pytest.importorskip("nnunetv2.evaluation.evaluate_predictions")
    root, folders, _ = datasets
    preds, gts = folders[dataset]
    benchmark.group = f"cli {dataset} dice"
    if dataset == "png_2d":
        from nnunetv2.imageio.natural_image_reader_writer import NaturalImage2DIO as Reader
        ending = ".png"
    else:
        from nnunetv2.imageio.simpleitk_reader_writer import SimpleITKIO as Reader
        ending = ".nii.gz"

    def run():
        return evaluation.compute_metrics_on_folder(
            str(gts), str(preds), str(root / f"nnunet_{dataset}.json"), Reader(), ending,
            [1, 2, 3], num_processes=2)

    run()
    benchmark.pedantic(run, rounds=1, iterations=1)
    n = N_2D if dataset == "png_2d" else N_3D
    benchmark.extra_info["cases_per_second"] = n / benchmark.stats.stats.mean
