"""Forward + backward time of the losses on a (8, 4, 256, 256) float32 batch (CPU, or CUDA
when available): the segmetrics torch adapter vs PyTorch autograd of the same formula vs
MONAI (skipped when MONAI is absent). Each benchmark group holds one loss, so the ratios
come from one run; each benchmark checks its result against the float64 reference.

The 'call overhead' groups time the same on a small (1, 2, 64, 64) batch on the CPU, where
the work is a few microseconds and what is measured is the Python cost of a call
(argument binding, validation, spec building, dispatch): the target is at most 1.2x
plain autograd's call.

Run: ``pytest bench/test_bench_losses.py --benchmark-only``; ``python bench/report.py``
turns its JSON into the tables of docs/benchmarks.md (autograd has the 'floor' role).
"""
import itertools
import os
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
smt = pytest.importorskip("segmetrics.torch")

SHAPE = (8, 4, 256, 256)
DEVICE = os.environ.get("SEGMETRICS_BENCH_DEVICE", "cuda" if torch.cuda.is_available() else "cpu")
if os.environ.get("SEGMETRICS_BENCH_THREADS"):               # e.g. 1 on a shared machine
    torch.set_num_threads(int(os.environ["SEGMETRICS_BENCH_THREADS"]))
LOSSES = ["dice", "tversky", "focal"]
IMPLEMENTATIONS = ["segmetrics", "autograd", "monai"]


SMALL = (1, 2, 64, 64)


def _data(shape=SHAPE, device=DEVICE):
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=shape).astype(np.float32), device=device)
    labels = torch.tensor(rng.integers(0, shape[1], size=(shape[0], 1) + shape[2:]),
                          device=device)
    onehot = torch.zeros(shape, device=device).scatter_(1, labels, 1.0)
    return x, onehot


# -- plain PyTorch autograd of the same formulas (the "no slower than" floor) --------------

def _autograd_tversky(x, g, alpha, beta, smooth=1e-5):
    p = torch.softmax(x, dim=1)
    i = (p * g).sum(dim=(2, 3))
    fp = p.sum(dim=(2, 3)) - i
    fn = g.sum(dim=(2, 3)) - i
    return (1 - (i + smooth) / (i + alpha * fp + beta * fn + smooth)).mean()


def _autograd_dice(x, g, smooth=1e-5):
    p = torch.softmax(x, dim=1)
    i = (p * g).sum(dim=(2, 3))
    return (1 - (2 * i + smooth) / (p.sum(dim=(2, 3)) + g.sum(dim=(2, 3)) + smooth)).mean()


def _autograd_focal(x, g, gamma=2.0):
    log_p = torch.nn.functional.logsigmoid(x)
    log_q = torch.nn.functional.logsigmoid(-x)
    return -(g * torch.exp(gamma * log_q) * log_p
             + (1 - g) * torch.exp(gamma * log_p) * log_q).mean()


def _implementation(loss, name):
    if name == "segmetrics":
        return {"dice": smt.DiceLoss(activation="softmax"),
                "tversky": smt.TverskyLoss(alpha=0.3, beta=0.7, activation="softmax"),
                "focal": smt.FocalLoss(gamma=2.0)}[loss]
    if name == "autograd":
        return {"dice": _autograd_dice,
                "tversky": lambda x, g: _autograd_tversky(x, g, 0.3, 0.7),
                "focal": _autograd_focal}[loss]
    monai = pytest.importorskip("monai.losses")
    return {"dice": monai.DiceLoss(softmax=True),
            "tversky": monai.TverskyLoss(softmax=True, alpha=0.3, beta=0.7),
            "focal": monai.FocalLoss(gamma=2.0)}[loss]


def _reference(loss, x, g):
    """Float64 value and gradient of the formula, by plain autograd."""
    x64 = x.double().requires_grad_()
    f = {"dice": _autograd_dice, "tversky": lambda a, b: _autograd_tversky(a, b, 0.3, 0.7),
         "focal": _autograd_focal}[loss]
    value = f(x64, g.double())
    value.backward()
    return value.item(), x64.grad


def _sync():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


ROLES = {"segmetrics": "ours", "autograd": "floor", "monai": "peer"}


def _warm_up(step, seconds=0.5):
    """Run ``step`` for ``seconds`` (at least twice): a fresh process needs about half a
    second of this work before its times settle, which would otherwise penalise
    whichever benchmark comes first."""
    start = time.perf_counter()
    for count in itertools.count():
        step()
        if count >= 1 and time.perf_counter() - start > seconds:
            return


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_forward_backward(benchmark, loss, impl):
    x, g = _data()
    function = _implementation(loss, impl)
    benchmark.group = f"loss forward+backward {loss} {tuple(SHAPE)} float32 {DEVICE}"
    # "floor" here is plain autograd of the same formula: the time to be no slower than
    benchmark.extra_info.update(device=DEVICE, shape=SHAPE, role=ROLES[impl])

    def step():
        xg = x.detach().requires_grad_()
        value = function(xg, g)
        value.backward()
        _sync()
        return value.detach(), xg.grad

    _warm_up(step)
    value, grad = benchmark(step)
    expected_value, expected_grad = _reference(loss, x, g)
    assert value.item() == pytest.approx(expected_value, rel=1e-4)
    torch.testing.assert_close(grad.double(), expected_grad, rtol=1e-3,
                               atol=1e-4 * float(expected_grad.abs().max()))


@pytest.mark.parametrize("impl", ["segmetrics", "autograd"])
@pytest.mark.parametrize("loss", LOSSES)
def test_small_batch_call_overhead(benchmark, loss, impl):
    """Forward + backward of one small CPU batch: the per-call Python cost."""
    x, g = _data(SMALL, "cpu")
    function = _implementation(loss, impl)
    benchmark.group = f"loss call overhead {loss} {SMALL} float32 cpu"
    benchmark.extra_info.update(device="cpu", shape=SMALL, role=ROLES[impl])

    def step():
        xg = x.detach().requires_grad_()
        value = function(xg, g)
        value.backward()
        return value.detach(), xg.grad

    _warm_up(step)
    value, grad = benchmark.pedantic(step, rounds=2000, warmup_rounds=200)
    expected_value, expected_grad = _reference(loss, x, g)
    assert value.item() == pytest.approx(expected_value, rel=1e-5)
    torch.testing.assert_close(grad.double(), expected_grad, rtol=1e-4,
                               atol=1e-5 * float(expected_grad.abs().max()))
