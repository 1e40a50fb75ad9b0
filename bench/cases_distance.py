"""Synthetic volumes for the distance benchmarks (seeded, built once per session)."""
import numpy as np

CT_SHAPE = (512, 512, 160)
CT_SPACING = (0.8, 0.8, 2.5)


def _ellipsoid(shape, centre, radii, spacing, wobble=0.0, seed=0):
    """A smooth organ-like blob: an ellipsoid whose radius varies with direction."""
    grids = np.ogrid[tuple(slice(0, n) for n in shape)]
    rel = [(g - c) * s / r for g, c, r, s in zip(grids, centre, radii, spacing)]
    radius2 = sum(r * r for r in rel)
    if wobble:
        rng = np.random.default_rng(seed)
        a, b, c = rng.uniform(0.5, 1.5, size=3)
        radius2 = radius2 * (1.0 + wobble * np.sin(a * 6 * rel[0] + b * 4 * rel[1]) *
                             np.cos(c * 5 * rel[2]))
    return radius2 <= 1.0


def ct_pair():
    """A liver-like ground truth and a prediction off by a few voxels, with a bump."""
    gt = _ellipsoid(CT_SHAPE, (260, 200, 80), (95.0, 80.0, 110.0), CT_SPACING, 0.15, seed=1)
    pred = _ellipsoid(CT_SHAPE, (262, 203, 81), (93.0, 82.0, 108.0), CT_SPACING, 0.17, seed=2)
    pred |= _ellipsoid(CT_SHAPE, (330, 180, 60), (12.0, 12.0, 15.0), CT_SPACING)
    return pred, gt


def displaced_pair():
    """Worst case: the prediction ~30 mm away plus a distant false-positive blob."""
    pred, gt = ct_pair()
    pred = np.roll(pred, (30, 20, 4), axis=(0, 1, 2))
    pred |= _ellipsoid(CT_SHAPE, (60, 450, 140), (10.0, 10.0, 12.0), CT_SPACING)
    return pred, gt


def label_maps(n_labels=14, size=256, seed=0):
    """Two 256^3 label maps of ``n_labels`` organ-like blobs; pred is a perturbed copy."""
    rng = np.random.default_rng(seed)
    shape = (size,) * 3
    gt = np.zeros(shape, dtype=np.uint8)
    pred = np.zeros(shape, dtype=np.uint8)
    for label in range(1, n_labels + 1):
        centre = rng.uniform(40, size - 40, size=3)
        radii = rng.uniform(12, 35, size=3)
        gt[_ellipsoid(shape, centre, radii, (1.0, 1.0, 1.0), 0.1, seed=label)] = label
        shift = centre + rng.normal(0, 1.5, size=3)
        pred[_ellipsoid(shape, shift, radii * rng.uniform(0.93, 1.07, size=3), (1.0, 1.0, 1.0),
                        0.12, seed=100 + label)] = label
    return pred, gt


def lesion_2d(size=512):
    """A 2-D lesion pair on a 512 x 512 image (spacing 0.7 mm)."""
    gt = _ellipsoid((size, size), (250, 270), (40.0, 28.0), (0.7, 0.7), 0.2, seed=3)
    pred = _ellipsoid((size, size), (253, 266), (38.0, 30.0), (0.7, 0.7), 0.25, seed=4)
    return pred, gt
