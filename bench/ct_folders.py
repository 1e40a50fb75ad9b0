"""Generated folders of CT-like label maps saved as NIfTI, for the segmetrics-eval benchmarks.

Each case is a ground truth of three organ-like blobs (labels 1-3) in a
512 x 512 x 160 uint8 volume, axes (x, y, z) with spacing (0.8, 0.8, 2.5) mm as
scanners write them, and a prediction whose organs are shifted and resized by a
few voxels. Blobs are drawn inside their bounding boxes only, so writing a
folder costs about as much as compressing it. Seeded: every run writes the same
voxels. ``SEGMETRICS_BENCH_CT_SHAPE`` (e.g. ``256,256,80``) makes the volumes
smaller for a quick run.
"""
import os

import numpy as np

CT_SHAPE = (512, 512, 160)
CT_SPACING = (0.8, 0.8, 2.5)


def ct_shape():
    """The volume shape: :data:`CT_SHAPE` unless ``SEGMETRICS_BENCH_CT_SHAPE`` says otherwise."""
    text = os.environ.get("SEGMETRICS_BENCH_CT_SHAPE")
    if not text:
        return CT_SHAPE
    return tuple(int(v) for v in text.split(","))


def _draw_blob(volume, label, centre, radii, rng):
    """Set an ellipsoid with a wobbling surface to ``label``, touching only its box."""
    lo = [max(0, int(c - r * 1.2)) for c, r in zip(centre, radii)]
    hi = [min(n, int(c + r * 1.2) + 1) for c, r, n in zip(centre, radii, volume.shape)]
    grid = np.ogrid[tuple(slice(a, b) for a, b in zip(lo, hi))]
    r2 = sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre, radii))
    wobble = sum(0.08 * np.sin(g * rng.uniform(0.05, 0.2) + rng.uniform(0, 6.3)) for g in grid)
    box = volume[tuple(slice(a, b) for a, b in zip(lo, hi))]
    box[r2 < 1.0 + wobble] = label


def ct_pair(shape, seed):
    """``(pred, gt)``: uint8 label maps of three organs, the prediction slightly off."""
    rng = np.random.default_rng(seed)
    gt = np.zeros(shape, dtype=np.uint8, order="F")
    pred = np.zeros(shape, dtype=np.uint8, order="F")
    for label in (1, 2, 3):
        centre = rng.uniform(0.3, 0.7, 3) * shape
        radii = rng.uniform(0.08, 0.18, 3) * shape
        _draw_blob(gt, label, centre, radii, rng)
        _draw_blob(pred, label, centre + rng.uniform(-3, 3, 3), radii * rng.uniform(0.95, 1.05),
                   rng)
    return pred, gt


def write_ct_folder(root, n_cases, shape=None, spacing=CT_SPACING):
    """Write ``root/preds`` and ``root/gts`` with ``n_cases`` NIfTI pairs; reuse a full folder."""
    import nibabel

    shape = ct_shape() if shape is None else tuple(shape)
    preds, gts = root / "preds", root / "gts"
    preds.mkdir(parents=True, exist_ok=True)
    gts.mkdir(parents=True, exist_ok=True)
    affine = np.diag([*spacing, 1.0])
    for i in range(n_cases):
        name = f"case_{i:03d}.nii.gz"
        if (preds / name).exists() and (gts / name).exists():
            continue
        pred, gt = ct_pair(shape, seed=i)
        nibabel.save(nibabel.Nifti1Image(pred, affine), str(preds / name))
        nibabel.save(nibabel.Nifti1Image(gt, affine), str(gts / name))
    return preds, gts


def read_folder(*folders):
    """Read every ``.nii.gz`` of the folders as nibabel does (the read-only floor)."""
    import nibabel

    total = 0
    for folder in folders:
        for path in sorted(folder.glob("*.nii.gz")):
            total += int(np.asanyarray(nibabel.load(str(path)).dataobj).shape[0])
    return total
