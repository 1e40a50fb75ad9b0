"""Score a generated prediction against a generated ground truth: ``python -m segmetrics.demo``.

A smoke run of the main job on built-in data, for a fresh install.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

import segmetrics


def demo_pair(shape: tuple[int, ...] = (96, 128, 128), seed: int = 0
              ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
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


def make_demo_folder(root: str | os.PathLike[str], *, n_cases: int = 4,
                     shape: Sequence[int] = (64, 64, 40),
                     spacing: Sequence[float] = (0.8, 0.8, 2.5)) -> tuple[str, str]:
    """Write ``n_cases`` demo pairs to ``root/preds`` and ``root/gts`` for ``segmetrics-eval``.

    NIfTI (``.nii.gz``, anisotropic ``spacing`` in the header) when nibabel is
    installed, else ``.npy``. The arrays are (x, y, z) with the slice axis last,
    as scanners write NIfTI, and ``shape`` and ``spacing`` follow that order.
    Returns the two folder paths.
    """
    import os

    preds, gts = os.path.join(root, "preds"), os.path.join(root, "gts")
    os.makedirs(preds, exist_ok=True)
    os.makedirs(gts, exist_ok=True)
    nibabel: Any
    try:
        import nibabel
    except ImportError:
        nibabel = None
    for i in range(n_cases):
        # the organs are drawn on (z, y, x) and stored as (x, y, z)
        pred, gt = (a.transpose() for a in demo_pair(tuple(shape)[::-1], seed=i))
        for folder, array in ((preds, pred), (gts, gt)):
            name = os.path.join(folder, f"case_{i:03d}")
            if nibabel is None:
                np.save(name + ".npy", array)
            else:
                nibabel.save(nibabel.Nifti1Image(array, np.diag([*spacing, 1.0])), name + ".nii.gz")
    return preds, gts


def main() -> None:
    pred, gt = demo_pair()
    labels = [1, 2, 3]
    print(f"demo volume {gt.shape}, labels {labels}, backend {segmetrics.available_backends()[0]}")
    for name in ("dice", "jaccard", "kappa", "sensitivity", "precision"):
        values = getattr(segmetrics, name)(pred, gt, labels=labels)
        print(f"{name:>12}: " + "  ".join(f"{v:.4f}" for v in values))
    print(f"{'kappa (K=4)':>12}: {segmetrics.kappa(pred, gt, multiclass=True):.4f}")


if __name__ == "__main__":
    main()
