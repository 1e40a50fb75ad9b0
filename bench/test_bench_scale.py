"""Engine overhead of Dask-distributed evaluation: cases per second, local -j 2 vs two Dask workers.

40 CT-like NIfTI cases (64 x 128 x 128 uint8, gzip, spacing 2.5 x 0.8 x 0.8 mm, three
organs), default metrics (dice, jaccard, hd95, assd, nsd), labels 1-3. The local
run starts its two spawned worker processes in every round (as the command
does); the Dask run uses a two-worker local cluster (processes, one thread each)
started once, as a long-lived cluster would be; its start-up time is reported
apart (``cluster_start_s``). ``-j 1`` (one process, no engine) is the floor of
the group. Each run is checked against a -j 1 run (identical
records), warmed up once, then timed three times.

Run: ``pytest bench/test_bench_scale.py --benchmark-only --benchmark-group-by=group``;
cases/s is in each benchmark's ``extra_info``.
"""
import time

import numpy as np
import pytest

import segmetrics
from segmetrics.demo import demo_pair

pytest.importorskip("pytest_benchmark")
nibabel = pytest.importorskip("nibabel")
distributed = pytest.importorskip("distributed")

N_CASES = 40
SHAPE, SPACING = (64, 128, 128), (2.5, 0.8, 0.8)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench_scale")
    preds, gts = root / "preds", root / "gts"
    preds.mkdir()
    gts.mkdir()
    affine = np.diag([*SPACING, 1.0])
    for i in range(N_CASES):
        pred, gt = demo_pair(SHAPE, seed=i)
        nibabel.save(nibabel.Nifti1Image(pred, affine), preds / f"case_{i:03d}.nii.gz")
        nibabel.save(nibabel.Nifti1Image(gt, affine), gts / f"case_{i:03d}.nii.gz")
    reference = segmetrics.evaluate_folder(preds, gts, labels=[1, 2, 3], jobs=1)
    return root, preds, gts, reference


@pytest.fixture(scope="module")
def client():
    started = time.perf_counter()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as connected:
        connected.wait_for_workers(2)
        connected.cluster_start_s = time.perf_counter() - started
        yield connected


@pytest.mark.parametrize("engine", ["local -j 1", "local -j 2", "dask 2 workers"])
def test_engine_overhead(benchmark, dataset, client, engine):
    root, preds, gts, reference = dataset
    out = root / f"out_{engine.replace(' ', '_')}"
    benchmark.group = f"scale {N_CASES} NIfTI {'x'.join(map(str, SHAPE))}"
    options = {"client": client} if engine.startswith("dask") else {"jobs": int(engine[-1])}

    def run():
        return segmetrics.evaluate_folder(preds, gts, out_dir=out, labels=[1, 2, 3],
                                          overwrite=True, **options)

    result = run()  # warm-up (imports in the workers)
    result = benchmark.pedantic(run, rounds=3, iterations=1)
    assert result.records == reference.records
    assert result.summary == reference.summary
    benchmark.extra_info["cases_per_second"] = N_CASES / benchmark.stats.stats.mean
    if engine.startswith("dask"):
        benchmark.extra_info["cluster_start_s"] = client.cluster_start_s
