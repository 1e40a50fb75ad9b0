"""segmetrics-eval at the speed of reading the files (issue 13's table), and the default -j.

One module-scoped folder of six CT-like pairs (512 x 512 x 160 uint8, axes
(x, y, z), spacing (0.8, 0.8, 2.5) mm, nibabel ``.nii.gz``; :mod:`ct_folders`)
and one of eight small 3-D cases (about 0.4 M voxels each). In each group the
floor is measured in the same run: reading the same files with nibabel
(``np.asanyarray(img.dataobj)``), as the issue's table does.

Targets (ratios in ``extra_info``):

* six CT pairs, ``--metrics dice``: at most 1.25 x the read-only time;
  default metrics (dice, jaccard, hd95, assd, nsd): at most 1.6 x;
* small folder: the default ``-j`` (``auto``) at least as fast as ``-j 1``;
* ``SEGMETRICS_BENCH_CT_CASES=20``: 20 CT pairs, ``-j 2`` against ``-j 1``.

Sizes: ``SEGMETRICS_BENCH_CT_SHAPE`` (e.g. ``256,256,80``) and
``SEGMETRICS_BENCH_CT_CASES`` (default 6); these benchmarks are not run in CI.

Run: ``pytest bench/test_bench_cli_speed.py --benchmark-only --benchmark-group-by=group``
(or ``python bench/test_bench_cli_speed.py`` for one plain run printing the ratios, and
``python bench/test_bench_cli_speed.py jobs`` for the ``-j`` table).
"""
import os
import time
from pathlib import Path

import pytest
from ct_folders import ct_shape, read_folder, write_ct_folder

import segmetrics
from segmetrics.evaluation import DEFAULT_METRICS

N_CT = int(os.environ.get("SEGMETRICS_BENCH_CT_CASES", "6"))
SMALL_SHAPE, N_SMALL = (96, 96, 44), 8
METRIC_SETS = {"dice": ["dice"], "default": list(DEFAULT_METRICS)}
TARGETS = {"dice": 1.25, "default": 1.6}


def small_folder(root):
    """Eight small 3-D cases (about 0.4 M voxels), written as .nii.gz."""
    return write_ct_folder(root, N_SMALL, shape=SMALL_SHAPE)


def run_eval(preds, gts, out, metrics, jobs):
    return segmetrics.evaluate_folder(preds, gts, out_dir=out, metrics=metrics, jobs=jobs,
                                      overwrite=True, n_resamples=0)


def timed(function, rounds=1):
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.fixture(scope="module")
def ct(tmp_path_factory):
    nibabel = pytest.importorskip("nibabel")
    root = tmp_path_factory.mktemp("bench_ct")
    preds, gts = write_ct_folder(root, N_CT)
    del nibabel
    return root, preds, gts


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    pytest.importorskip("nibabel")
    root = tmp_path_factory.mktemp("bench_small")
    preds, gts = small_folder(root)
    return root, preds, gts


@pytest.mark.parametrize("metric_set", sorted(METRIC_SETS))
def test_ct_folder_against_reading(benchmark, ct, metric_set):
    root, preds, gts = ct
    benchmark.group = f"cli speed: {N_CT} CT pairs, {metric_set}"
    read_folder(preds, gts)  # warm the page cache and the imports
    floor = timed(lambda: read_folder(preds, gts), rounds=2)
    metrics = METRIC_SETS[metric_set]
    result = run_eval(preds, gts, root / "out", metrics, 1)  # warm-up
    benchmark.pedantic(lambda: run_eval(preds, gts, root / "out", metrics, 1), rounds=2,
                       iterations=1)
    assert len(result.records) == 3 * N_CT
    benchmark.extra_info["read_only_seconds"] = floor
    benchmark.extra_info["ratio_to_reading"] = benchmark.stats.stats.min / floor
    benchmark.extra_info["target_ratio"] = TARGETS[metric_set]


@pytest.mark.parametrize("jobs", [1, 2])
def test_ct_folder_jobs(benchmark, ct, jobs):
    root, preds, gts = ct
    benchmark.group = f"cli speed: {N_CT} CT pairs, dice, -j"
    benchmark.pedantic(lambda: run_eval(preds, gts, root / f"out_j{jobs}", ["dice"], jobs),
                       rounds=1, iterations=1, warmup_rounds=1)
    benchmark.extra_info["jobs"] = jobs


@pytest.mark.parametrize("jobs", [1, "auto"])
def test_small_folder_default_jobs(benchmark, small, jobs):
    root, preds, gts = small
    benchmark.group = "cli speed: small folder, default metrics, -j"
    result = benchmark.pedantic(
        lambda: run_eval(preds, gts, root / f"out_{jobs}", METRIC_SETS["default"], jobs),
        rounds=3, iterations=1, warmup_rounds=1)
    assert len(result.records) == 3 * N_SMALL
    benchmark.extra_info["jobs"] = jobs


def main():
    """One plain run of the table, printing the times and ratios."""
    import tempfile

    root = Path(os.environ.get("SEGMETRICS_BENCH_DIR") or tempfile.mkdtemp())
    preds, gts = write_ct_folder(root / "ct", N_CT)
    read_folder(preds, gts)
    floor = timed(lambda: read_folder(preds, gts), rounds=2)
    from segmetrics.io import read_mask

    own = timed(lambda: [read_mask(p) for f in (preds, gts)
                         for p in sorted(f.glob("*.nii.gz"))], rounds=2)
    print(f"{N_CT} CT pairs {ct_shape()}: "
          f"nibabel read-only {floor:.2f} s; segmetrics.io.read_mask read-only {own:.2f} s")
    for name, metrics in METRIC_SETS.items():
        for jobs in (1, "auto", 2):
            run_eval(preds, gts, root / "out", metrics, jobs)
            seconds = timed(lambda: run_eval(preds, gts, root / "out", metrics, jobs), 2)
            print(f"  --metrics {name:7s} -j {jobs!s:4s}: {seconds:6.2f} s = "
                  f"{seconds / floor:.2f} x reading (target {TARGETS[name]})")
    preds, gts = small_folder(root / "small")
    for jobs in (1, "auto"):
        run_eval(preds, gts, root / "out_small", METRIC_SETS["default"], jobs)
        seconds = timed(lambda: run_eval(preds, gts, root / "out_small",
                                         METRIC_SETS["default"], jobs), 3)
        print(f"small folder ({N_SMALL} x {SMALL_SHAPE}), default metrics, -j {jobs}: "
              f"{seconds:.2f} s")


def serial_run(preds, gts, out, metrics):
    """``-j 1`` as it was before read-ahead: one thread reads, then scores, case after case."""
    from segmetrics.evaluation import runners
    from segmetrics.evaluation.scoring import score_case

    def one_by_one(cases, options, on_result, depth=1, stop=None):
        for case in cases:
            on_result(score_case(case, options))
        return len(cases)

    original = runners.score_read_ahead
    runners.score_read_ahead = one_by_one
    segmetrics.set_num_threads(1)
    try:
        return run_eval(preds, gts, out, metrics, 1)
    finally:
        runners.score_read_ahead = original
        segmetrics.set_num_threads(None)


def jobs_table():
    """``-j 1``, ``-j 2`` and ``-j auto`` on ``SEGMETRICS_BENCH_CT_CASES`` CT pairs (issue
    target: 20 pairs, ``-j 2`` or the default >= 1.6x faster than ``-j 1``), with the
    single-threaded serial run as a second reference. Minimum of two timed runs each."""
    import tempfile

    root = Path(os.environ.get("SEGMETRICS_BENCH_DIR") or tempfile.mkdtemp())
    preds, gts = write_ct_folder(root / f"ct{N_CT}", N_CT)
    read_folder(preds, gts)
    floor = timed(lambda: read_folder(preds, gts), rounds=2)
    print(f"{N_CT} CT pairs {ct_shape()}, {os.cpu_count()} CPUs: nibabel read-only "
          f"{floor:.2f} s")
    for name, metrics in METRIC_SETS.items():
        runs = {"serial": lambda: serial_run(preds, gts, root / "out", metrics)}
        runs.update({f"-j {jobs}": (lambda jobs=jobs: run_eval(preds, gts, root / "out",
                                                                metrics, jobs))
                     for jobs in (1, 2, "auto")})
        seconds = {}
        for label, run in runs.items():
            run()
            seconds[label] = timed(run, rounds=2)
        print(f"  --metrics {name}: " + "; ".join(
            f"{label} {t:.2f} s" for label, t in seconds.items()))
        print(f"    -j 1 / -j 2 = {seconds['-j 1'] / seconds['-j 2']:.2f}; "
              f"-j 1 / -j auto = {seconds['-j 1'] / seconds['-j auto']:.2f}; "
              f"serial / -j 1 = {seconds['serial'] / seconds['-j 1']:.2f}; "
              f"serial / -j auto = {seconds['serial'] / seconds['-j auto']:.2f}")


if __name__ == "__main__":
    import sys

    jobs_table() if sys.argv[1:] == ["jobs"] else main()
