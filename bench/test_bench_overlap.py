"""Overlap kernels against the memory-bandwidth floor and the peers, one group per input.

The floor is ``np.count_nonzero`` over both inputs: reading the memory once.
Every benchmark checks its result against an independent NumPy computation.
Run: ``pytest bench/test_bench_overlap.py --benchmark-only``; ``bench/report.py`` turns
the JSON into the table in docs/benchmarks.md.
"""
import importlib.util

import numpy as np
import pytest

import segmetrics

COMPILED = ["cython", "numba"]
CASES = {
    "binary 512^2": "binary_2d",
    "binary 256^3": "binary_256",
    "binary CT 300x512x512": "binary_ct",
}


def _expected_binary(pred, gt):
    p, g = pred.astype(bool), gt.astype(bool)
    return 2 * np.count_nonzero(p & g) / (np.count_nonzero(p) + np.count_nonzero(g))


def _expected_confusion(pred, gt, k):
    return np.bincount(gt.ravel().astype(np.int64) * k + pred.ravel(), minlength=k * k).reshape(k, k)


def _floor(benchmark, *arrays):
    """Read every byte of the inputs once (``count_nonzero`` is SIMD on bytes)."""
    benchmark.extra_info["role"] = "floor"
    as_bytes = [a.reshape(-1).view(np.uint8) for a in arrays]
    benchmark(lambda: [np.count_nonzero(b) for b in as_bytes])


def _warm(function):
    function()  # compiles Numba kernels (cached) and starts the thread pool before timing
    return function


# --- binary Dice ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("impl", ["floor", *COMPILED, "numpy-bincount", "sklearn", "torchmetrics",
                                  "monai"])
def test_binary_dice(benchmark, request, case, impl):
    pred, gt = request.getfixturevalue(CASES[case])
    benchmark.group = f"dice {case}"
    expected = _expected_binary(pred, gt)
    if impl == "floor":
        return _floor(benchmark, pred, gt)
    if impl in COMPILED:
        result = benchmark(_warm(lambda: segmetrics.dice(pred, gt, backend=impl)))
    elif impl == "numpy-bincount":
        def bincount_dice():
            cm = np.bincount((2 * gt + pred).ravel(), minlength=4)
            return 2 * cm[3] / (2 * cm[3] + cm[1] + cm[2])
        result = benchmark(bincount_dice)
    elif impl == "sklearn":
        metrics = pytest.importorskip("sklearn.metrics")
        if gt.size > 20_000_000:
            pytest.skip("scikit-learn takes minutes at this size")
        result = benchmark.pedantic(lambda: metrics.f1_score(gt.ravel(), pred.ravel()),
                                    rounds=1, iterations=1)
    else:
        result = _torch_peer(benchmark, impl, pred, gt)
    benchmark.extra_info["role"] = "ours" if impl in COMPILED else "peer"
    assert result == pytest.approx(expected, rel=1e-6)


def _torch_peer(benchmark, impl, pred, gt):
    if importlib.util.find_spec(impl) is None or importlib.util.find_spec("torch") is None:
        pytest.skip(f"{impl} is not installed")
    import torch
    p = torch.from_numpy(pred.astype(bool))[None, None]
    g = torch.from_numpy(gt.astype(bool))[None, None]
    if impl == "torchmetrics":
        from torchmetrics.functional.segmentation import dice_score
        return float(benchmark(lambda: dice_score(p.long()[:, 0], g.long()[:, 0], num_classes=2,
                                                  include_background=False, input_format="index")))
    from monai.metrics import compute_dice
    return float(benchmark(lambda: compute_dice(p, g, include_background=True)))


@pytest.mark.parametrize("impl", ["floor", *COMPILED, "numpy"])
def test_thresholded_probability_dice(benchmark, probability_256, impl):
    prob, gt = probability_256
    benchmark.group = "dice float32 probability 256^3, threshold 0.5"
    expected = _expected_binary(prob >= 0.5, gt)
    if impl == "floor":
        return _floor(benchmark, prob, gt)
    if impl in COMPILED:
        result = benchmark(_warm(lambda: segmetrics.dice(prob, gt, threshold=0.5, backend=impl)))
    else:
        result = benchmark(lambda: _expected_binary(prob >= 0.5, gt))
    benchmark.extra_info["role"] = "ours" if impl in COMPILED else "peer"
    assert result == pytest.approx(expected, rel=1e-12)


# --- confusion matrices ----------------------------------------------------------------------

@pytest.mark.parametrize(("case", "k"), [("labels_k4", 4), ("labels_k14", 14)])
@pytest.mark.parametrize("impl", ["floor", *COMPILED, "numpy-bincount", "sklearn"])
def test_confusion_matrix(benchmark, request, case, k, impl):
    pred, gt = request.getfixturevalue(case)
    benchmark.group = f"confusion matrix K={k} 256^3 uint8"
    expected = _expected_confusion(pred, gt, k)
    if impl == "floor":
        return _floor(benchmark, pred, gt)
    if impl in COMPILED:
        result = benchmark(_warm(lambda: segmetrics.confusion_matrix(pred, gt, num_classes=k,
                                                                     backend=impl)))
    elif impl == "numpy-bincount":
        result = benchmark(lambda: _expected_confusion(pred, gt, k))
    else:
        metrics = pytest.importorskip("sklearn.metrics")
        result = benchmark.pedantic(
            lambda: metrics.confusion_matrix(gt.ravel(), pred.ravel(), labels=np.arange(k)),
            rounds=1, iterations=1)
    benchmark.extra_info["role"] = "ours" if impl in COMPILED else "peer"
    np.testing.assert_array_equal(result, expected)


def test_import_time(benchmark):
    """``import segmetrics`` in a fresh interpreter, minus an empty interpreter's start-up."""
    import subprocess
    import sys
    import time

    def start(code):
        begin = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - begin

    benchmark.group = "import"
    empty = min(start("pass") for _ in range(5))
    with_import = min(start("import segmetrics") for _ in range(5))
    benchmark.extra_info["import_seconds"] = with_import - empty
    benchmark.pedantic(lambda: start("import segmetrics"), rounds=3, iterations=1)
    assert with_import - empty < 5.0
