"""Synthetic, realistic benchmark volumes: smooth organ-like blobs with noisy borders.

Seeded, so every run and every machine benchmarks the same voxels.
"""
import numpy as np


def _blob(shape, centre, radii, rng, roughness=0.08):
    """An ellipsoid whose surface is perturbed by low-frequency noise."""
    grid = np.ogrid[tuple(slice(0, s) for s in shape)]
    r2 = sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre, radii))
    wobble = sum(roughness * np.sin(g * rng.uniform(0.05, 0.2) + rng.uniform(0, 6.3))
                 for g in grid)
    return r2 < 1.0 + wobble


def organ_pair(shape, rng):
    """A binary ground-truth organ and a slightly shifted, resized prediction."""
    centre = np.array(shape) / 2
    radii = np.array(shape) * 0.3
    gt = _blob(shape, centre, radii, rng)
    pred = _blob(shape, centre + rng.uniform(-3, 3, len(shape)), radii * 0.97, rng)
    return pred.astype(np.uint8), gt.astype(np.uint8)


def label_map_pair(shape, num_labels, rng):
    """A K-label CT-like map (background 0) and a prediction with displaced organs."""
    gt = np.zeros(shape, dtype=np.uint8)
    pred = np.zeros(shape, dtype=np.uint8)
    for label in range(1, num_labels):
        centre = rng.uniform(0.25, 0.75, len(shape)) * shape
        radii = rng.uniform(0.06, 0.16, len(shape)) * shape
        gt[_blob(shape, centre, radii, rng)] = label
        pred[_blob(shape, centre + rng.uniform(-2, 2, len(shape)), radii, rng)] = label
    return pred, gt


def probability_map(mask, rng):
    """float32 probabilities that are high inside ``mask`` and low outside."""
    noise = rng.random(mask.shape, dtype=np.float32) * np.float32(0.4)
    return np.where(mask, np.float32(0.6) + noise, noise)
