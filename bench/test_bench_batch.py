"""Batched Dice and the Accumulator's update() against the floor and the peers.

- ``batched dice (16,4,128^3)``: float32 probabilities ``(16, 4, 128, 128, 128)``
  against uint8 one-hot targets, argmax over the channels, per-sample per-class
  Dice. The floor reads both arrays once; MONAI's ``DiceMetric`` gets the same
  tensors, with the argmax and one-hot conversion it needs (``monai``) and without
  it, on a prediction binarised beforehand (``monai-metric-only``).
- ``update (32,1,256,256)``: ``Accumulator.update`` on float32 probabilities with a
  threshold against a uint8 mask, against one ``segmetrics.dice`` call on the
  same arrays and ``segmetrics.batch.dice``.

- ``ours-1-thread``: the same call on one thread (``segmetrics.set_num_threads(1)``),
  to compare the kernel with the floor, which ``np.count_nonzero`` reads on one thread.
- ``batched dice ... vs uint8 label map``: the same scores against the label map
  ``(16, 128, 128, 128)``, by argmax and by ``threshold=1.0``; the floor reads the
  scores and the label map once.

Targets (issue 15): ours ≤ 1.3× the floor and ≥ 10× faster than ``monai``;
``update`` ≤ 1.2× the plain ``dice``. Run:
``pytest bench/test_bench_batch.py --benchmark-only``.
"""
import importlib.util

import numpy as np
import pytest

import segmetrics
from segmetrics import batch

BIG_ROUNDS = 3


@pytest.fixture(scope="module")
def batch_3d():
    rng = np.random.default_rng(11)
    labels = np.zeros((16, 128, 128, 128), dtype=np.uint8)
    grid = np.ogrid[:128, :128, :128]
    for b in range(16):
        for label in (1, 2, 3):
            centre = rng.uniform(30, 98, 3)
            radii = rng.uniform(10, 25, 3)
            inside = sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre, radii)) < 1
            labels[b][inside] = label
    scores = rng.random((16, 4, 128, 128, 128), dtype=np.float32)
    np.put_along_axis(scores, labels[:, None].astype(np.int64), np.float32(1.5), axis=1)
    flip = rng.random(labels.shape) < 0.05  # 5% of voxels get another class
    scores[:, 0][flip] = np.float32(2.0)
    onehot = (np.arange(4, dtype=np.uint8)[None, :, None, None, None]
              == labels[:, None]).astype(np.uint8)
    return scores, onehot, labels


def _expected(scores, labels):
    rows = []
    for b in range(scores.shape[0]):
        top = scores[b].argmax(axis=0)
        rows.append([2 * np.sum((top == c) & (labels[b] == c))
                     / (np.sum(top == c) + np.sum(labels[b] == c)) for c in range(4)])
    return np.array(rows)


@pytest.mark.parametrize("impl", ["floor", "ours", "ours-1-thread", "monai", "monai-metric-only"])
def test_batched_dice(benchmark, batch_3d, impl):
    scores, onehot, labels = batch_3d
    benchmark.group = "batched dice (16,4,128^3) float32 vs one-hot"
    if impl == "floor":
        benchmark.extra_info["role"] = "floor"
        as_bytes = [scores.reshape(-1).view(np.uint8), onehot.reshape(-1)]
        benchmark.pedantic(lambda: [np.count_nonzero(a) for a in as_bytes], rounds=BIG_ROUNDS,
                           warmup_rounds=1)
        return
    expected = _expected(scores, labels)
    if impl.startswith("ours"):
        benchmark.extra_info["role"] = "ours"
        if impl == "ours-1-thread":  # the kernel's own speed, against the one-thread floor
            segmetrics.set_num_threads(1)
        try:
            result = benchmark.pedantic(lambda: batch.dice(scores, onehot), rounds=BIG_ROUNDS,
                                        warmup_rounds=1)
        finally:
            segmetrics.set_num_threads(None)
        np.testing.assert_allclose(result, expected, rtol=1e-12)
        return
    if importlib.util.find_spec("monai") is None:
        pytest.skip("monai is not installed")
    import torch
    from monai.metrics import DiceMetric

    benchmark.extra_info["role"] = "peer"
    metric = DiceMetric(include_background=True, reduction="none")
    probs = torch.from_numpy(scores)
    target = torch.from_numpy(onehot)
    if impl == "monai":
        def run():
            top = probs.argmax(dim=1, keepdim=True)
            pred = torch.zeros_like(probs).scatter_(1, top, 1.0)
            return metric(pred, target)
    else:
        binarised = torch.zeros_like(probs).scatter_(1, probs.argmax(dim=1, keepdim=True), 1.0)

        def run():
            return metric(binarised, target)
    result = benchmark.pedantic(run, rounds=1, iterations=1, warmup_rounds=0)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("impl", ["floor", "argmax", "threshold"])
def test_batched_dice_label_map(benchmark, batch_3d, impl):
    scores, _, labels = batch_3d
    benchmark.group = "batched dice (16,4,128^3) float32 vs uint8 label map"
    if impl == "floor":
        benchmark.extra_info["role"] = "floor"
        as_bytes = [scores.reshape(-1).view(np.uint8), labels.reshape(-1)]
        benchmark.pedantic(lambda: [np.count_nonzero(a) for a in as_bytes], rounds=BIG_ROUNDS,
                           warmup_rounds=1)
        return
    benchmark.extra_info["role"] = "ours"
    threshold = 1.0 if impl == "threshold" else None
    result = benchmark.pedantic(lambda: batch.dice(scores, labels, threshold=threshold),
                                rounds=BIG_ROUNDS, warmup_rounds=1)
    if impl == "argmax":
        np.testing.assert_allclose(result, _expected(scores, labels), rtol=1e-12)
    else:
        fg = scores >= np.float32(1.0)
        truth = labels[:, None] == np.arange(4)[None, :, None, None, None]
        axes = (2, 3, 4)
        np.testing.assert_allclose(
            result, 2 * (fg & truth).sum(axis=axes) / (fg.sum(axis=axes) + truth.sum(axis=axes)),
            rtol=1e-12)


@pytest.fixture(scope="module")
def batch_2d():
    rng = np.random.default_rng(12)
    gt = np.zeros((32, 1, 256, 256), dtype=np.uint8)
    gt[:, :, 64:192, 80:200] = 1
    noise = rng.random(gt.shape, dtype=np.float32) * np.float32(0.6)
    probs = np.where(gt == 1, np.float32(0.3) + noise, noise)
    return probs, gt


@pytest.mark.parametrize("impl", ["floor", "dice", "batch.dice", "update"])
def test_update_overhead(benchmark, batch_2d, impl):
    probs, gt = batch_2d
    benchmark.group = "update (32,1,256,256) float32 threshold 0.5"
    top = probs >= np.float32(0.5)
    if impl == "floor":
        benchmark.extra_info["role"] = "floor"
        as_bytes = [probs.reshape(-1).view(np.uint8), gt.reshape(-1)]
        benchmark(lambda: [np.count_nonzero(a) for a in as_bytes])
        return
    benchmark.extra_info["role"] = "ours"
    if impl == "dice":
        result = benchmark(lambda: segmetrics.dice(probs, gt, threshold=0.5))
        tp = np.sum(top & (gt == 1))
        assert result == pytest.approx(2 * tp / (top.sum() + gt.sum()), rel=1e-12)
    elif impl == "batch.dice":
        result = benchmark(lambda: batch.dice(probs, gt, threshold=0.5))
        assert result.shape == (32, 1)
    else:
        acc = segmetrics.Accumulator(["dice"], threshold=0.5)

        def update():
            acc.reset()
            acc.update(probs, gt)
        benchmark(update)
        assert acc.n_cases == 32
        np.testing.assert_array_equal(acc.per_case()["dice"][:, 0],
                                      [segmetrics.dice(p, g, threshold=0.5)
                                       for p, g in zip(probs, gt)])
