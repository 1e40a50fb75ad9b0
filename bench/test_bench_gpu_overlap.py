"""Overlap metrics on CUDA tensors: ours against the memory floor and the peers, one group per case.

Skipped unless PyTorch sees a CUDA device. Every timed function ends with
``torch.cuda.synchronize()``, so the time is the device's, not the launch's. The floor
reads both inputs once (``torch.count_nonzero`` of each, the column the issue calls
the floor; ``read`` is one max reduction per input). Each implementation records the
peak device memory it allocated beyond its inputs in ``extra_info["peak_extra_bytes"]``.
Run: ``bench/gpu_check.sh`` (or ``pytest bench/test_bench_gpu_overlap.py``).
"""
import importlib.util

import numpy as np
import pytest
from volumes import label_map_pair, organ_pair

import segmetrics

torch = pytest.importorskip("torch")
if not torch.cuda.is_available():
    pytest.skip("no CUDA device", allow_module_level=True)

OURS = ["segmetrics-triton", "segmetrics-torch"]
BINARY_CASES = {"binary Dice 256^3": (256, 256, 256), "binary Dice CT 512x512x160": (160, 512, 512)}
K = 14


@pytest.fixture(scope="module")
def binary_pairs():
    cases = {}
    for i, (name, shape) in enumerate(BINARY_CASES.items()):
        pred, gt = organ_pair(shape, np.random.default_rng(20 + i))
        cases[name] = (torch.from_numpy(pred).cuda(), torch.from_numpy(gt).cuda())
    return cases


@pytest.fixture(scope="module")
def labels_14():
    pred, gt = label_map_pair((256, 256, 256), K, np.random.default_rng(6))
    return torch.from_numpy(pred).cuda(), torch.from_numpy(gt).cuda()


def _timed(benchmark, function, role, *inputs):
    """Warm ``function`` (compiles kernels), record its extra peak memory, then time it."""
    def synced():
        result = function()
        torch.cuda.synchronize()
        return result

    synced()
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    synced()
    extra = torch.cuda.max_memory_allocated() - before
    input_bytes = max(t.numel() * t.element_size() for t in inputs)
    benchmark.extra_info.update(role=role, peak_extra_bytes=int(extra),
                                peak_extra_vs_one_input=extra / input_bytes)
    return benchmark(synced)


def _floor(benchmark, impl, pred, gt):
    if impl == "floor":
        return _timed(benchmark, lambda: (torch.count_nonzero(pred), torch.count_nonzero(gt)),
                      "floor", pred, gt)
    return _timed(benchmark, lambda: (pred.max(), gt.max()), "read", pred, gt)


def _peer(name):
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not installed")


@pytest.mark.parametrize("case", BINARY_CASES)
@pytest.mark.parametrize("impl", ["floor", "read", "torch", "monai", "torchmetrics", *OURS])
def test_gpu_binary_dice(benchmark, binary_pairs, case, impl):
    pred, gt = binary_pairs[case]
    benchmark.group = f"GPU {case}"
    p, g = pred.bool(), gt.bool()
    both = torch.count_nonzero(p & g).item()
    expected = 2 * both / (torch.count_nonzero(p).item() + torch.count_nonzero(g).item())
    if impl in ("floor", "read"):
        return _floor(benchmark, impl, pred, gt)
    if impl in OURS:
        backend = impl.split("-")[1]
        result = _timed(benchmark, lambda: segmetrics.dice(pred, gt, backend=backend), "ours",
                        pred, gt)
        assert result == pytest.approx(expected, rel=1e-12)
        return
    if impl == "torch":
        def plain():
            a, b = pred.bool(), gt.bool()
            return 2 * (a & b).sum() / (a.sum() + b.sum())
        result = _timed(benchmark, plain, "peer", pred, gt)
    elif impl == "monai":
        _peer("monai")
        from monai.metrics import compute_dice
        p5, g5 = pred[None, None], gt[None, None]
        result = _timed(benchmark, lambda: compute_dice(p5, g5, include_background=True), "peer",
                        pred, gt)
    else:
        _peer("torchmetrics")
        from torchmetrics.functional.segmentation import dice_score
        p4, g4 = pred.long()[None], gt.long()[None]
        result = _timed(benchmark, lambda: dice_score(p4, g4, num_classes=2,
                                                      include_background=False,
                                                      input_format="index"), "peer", pred, gt)
    assert float(result) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("impl", ["floor", "read", "torch-bincount", "torchmetrics", *OURS])
def test_gpu_confusion_matrix_14(benchmark, labels_14, impl):
    pred, gt = labels_14
    benchmark.group = f"GPU confusion matrix K={K} 256^3 uint8"
    expected = torch.bincount(gt.long().ravel() * K + pred.long().ravel(),
                              minlength=K * K).reshape(K, K).cpu().numpy()
    if impl in ("floor", "read"):
        return _floor(benchmark, impl, pred, gt)
    if impl in OURS:
        backend = impl.split("-")[1]
        result = _timed(benchmark, lambda: segmetrics.confusion_matrix(
            pred, gt, num_classes=K, backend=backend), "ours", pred, gt)
        np.testing.assert_array_equal(result, expected)
    elif impl == "torch-bincount":
        result = _timed(benchmark, lambda: torch.bincount(
            gt.long().ravel() * K + pred.long().ravel(), minlength=K * K).reshape(K, K), "peer",
            pred, gt)
        np.testing.assert_array_equal(result.cpu().numpy(), expected)
    else:
        _peer("torchmetrics")
        from torchmetrics.functional.segmentation import dice_score
        p4, g4 = pred.long()[None], gt.long()[None]
        result = _timed(benchmark, lambda: dice_score(p4, g4, num_classes=K,
                                                      include_background=True,
                                                      input_format="index"), "peer", pred, gt)
        assert result.shape[-1] == K


@pytest.mark.parametrize("impl", ["floor", *OURS])
def test_gpu_per_label_dice_14(benchmark, labels_14, impl):
    pred, gt = labels_14
    benchmark.group = f"GPU per-label Dice K={K} 256^3 uint8"
    if impl == "floor":
        return _floor(benchmark, impl, pred, gt)
    labels = list(range(1, K))
    result = _timed(benchmark, lambda: segmetrics.dice(pred, gt, labels=labels,
                                                       backend=impl.split("-")[1]), "ours", pred, gt)
    np.testing.assert_array_equal(result, segmetrics.dice(pred.cpu().numpy(), gt.cpu().numpy(),
                                                          labels=labels))
