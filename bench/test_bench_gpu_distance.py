"""HD95 of tensors on a CUDA device: segmetrics' device backends against the host path and MONAI.

Two cases, each one benchmark group: an organ-like pair on a 256^3 grid (spacing 1) and
on a CT grid of 512 x 512 x 160 (spacing 0.8, 0.8, 2.5 mm), both from ``volumes.organ_pair``.
In each group: ``triton`` and ``torch`` (the device backends, on the tensors), ``host``
(what a caller does today: copy both tensors to the host, then the CPU path) and MONAI's
``compute_hausdorff_distance`` on the same CUDA tensors when MONAI is installed. Every
timed function ends with ``torch.cuda.synchronize()``; every result is checked against
the host path (rtol 4 eps). ``extra_info["peak_extra_bytes"]`` is the peak device memory
allocated by one call beyond what was allocated before it (PyTorch's allocator counts;
Triton's own launch buffers are not included), and ``peak_extra_share`` the same as a
share of one input's bytes.

Skipped without CUDA. Target (issue 11): HD95 on the CT pair <= 15 ms on an H200.
"""
import importlib
import warnings

import numpy as np
import pytest
from volumes import organ_pair

import segmetrics

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

RTOL = 4 * np.finfo(np.float64).eps
SLOW = {"rounds": 1, "iterations": 1, "warmup_rounds": 1}
CASES = {
    "256": ((256, 256, 256), (1.0, 1.0, 1.0), 2),
    "ct": ((512, 512, 160), (0.8, 0.8, 2.5), 3),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    shape, spacing, seed = CASES[request.param]
    pred, gt = organ_pair(shape, np.random.default_rng(seed))
    expected = segmetrics.hd95(pred, gt, spacing=spacing)
    return request.param, torch.from_numpy(pred).cuda(), torch.from_numpy(gt).cuda(), spacing, \
        expected


def _synchronized(function):
    def run():
        value = function()
        torch.cuda.synchronize()
        return value
    return run


def _peak_extra_bytes(function):
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    function()
    return torch.cuda.max_memory_allocated() - before


def _record(benchmark, function, pred, role, slow=False):
    benchmark.extra_info["role"] = role
    run = _synchronized(function)
    run()  # warm-up: kernel compilation, allocator
    extra = _peak_extra_bytes(run)
    benchmark.extra_info["peak_extra_bytes"] = int(extra)
    benchmark.extra_info["peak_extra_share"] = extra / (pred.numel() * pred.element_size())
    return benchmark.pedantic(run, **SLOW) if slow else benchmark(run)


@pytest.mark.parametrize("backend", ("triton", "torch"))
def test_hd95_device(benchmark, case, backend):
    name, pred, gt, spacing, expected = case
    benchmark.group = f"gpu-hd95-{name}"
    value = _record(benchmark, lambda: segmetrics.hd95(pred, gt, spacing=spacing,
                                                       backend=backend),
                    pred, "ours", slow=backend == "torch")
    assert value == pytest.approx(expected, rel=RTOL, abs=0)


def test_hd95_host_copy(benchmark, case):
    name, pred, gt, spacing, expected = case
    benchmark.group = f"gpu-hd95-{name}"
    value = _record(benchmark, lambda: segmetrics.hd95(pred.cpu().numpy(), gt.cpu().numpy(),
                                                       spacing=spacing),
                    pred, "ours")
    assert value == expected


def test_hd95_monai(benchmark, case):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metrics = importlib.import_module("monai.metrics")
    except ImportError:
        pytest.skip("monai is not installed")
    name, pred, gt, spacing, expected = case
    benchmark.group = f"gpu-hd95-{name}"

    def one_hot(mask):
        return torch.stack((mask == 0, mask == 1))[None]

    def run():
        return float(metrics.compute_hausdorff_distance(one_hot(pred), one_hot(gt),
                                                        percentile=95, spacing=spacing))

    value = _record(benchmark, run, pred, "peer", slow=True)
    assert value == pytest.approx(expected, rel=1e-6)
