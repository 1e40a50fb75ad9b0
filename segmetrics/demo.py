"""Score a generated prediction against a generated ground truth: ``python -m segmetrics.demo``.

A smoke run of the main job on built-in data, for a fresh install.
"""
import numpy as np

import segmetrics


def demo_pair(shape=(96, 128, 128), seed=0):
    """A CT-like pair of label maps with three organs; the prediction is shifted and eroded."""
    rng = np.random.default_rng(seed)
    grid = np.indices(shape, sparse=True)
    gt = np.zeros(shape, dtype=np.uint8)
    pred = np.zeros(shape, dtype=np.uint8)
    for label in (1, 2, 3):
        centre = rng.uniform(0.3, 0.7, size=len(shape)) * shape
        radius = rng.uniform(0.1, 0.2) * min(shape)
        shift = rng.integers(-3, 4, size=len(shape))
        gt[sum((g - c) ** 2 for g, c in zip(grid, centre)) < radius ** 2] = label
        pred[sum((g - c - s) ** 2 for g, c, s in zip(grid, centre, shift)) < (0.9 * radius) ** 2] = label
    return pred, gt


def main():
    pred, gt = demo_pair()
    labels = [1, 2, 3]
    print(f"demo volume {gt.shape}, labels {labels}, backend {segmetrics.available_backends()[0]}")
    for name in ("dice", "jaccard", "kappa", "sensitivity", "precision"):
        values = getattr(segmetrics, name)(pred, gt, labels=labels)
        print(f"{name:>12}: " + "  ".join(f"{v:.4f}" for v in values))
    print(f"{'kappa (K=4)':>12}: {segmetrics.kappa(pred, gt, multiclass=True):.4f}")


if __name__ == "__main__":
    main()
