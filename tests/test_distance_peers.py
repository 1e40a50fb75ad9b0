"""Distance metrics against MONAI, DeepMind surface-distance, medpy and SimpleITK.

Each peer is skipped when it is not installed. Where a peer's definition
differs from ours (see the conventions page), the test states the relation
that must hold instead of equality.
"""
import math

import numpy as np
import pytest

import segmetrics

# Peers warn about their own dependencies (SciPy namespaces, torch APIs): not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::FutureWarning")]

SPACING = (0.8, 1.1, 2.5)


def blob_pair(seed=0, shape=(40, 36, 24)):
    """Two overlapping blobs away from the image border."""
    rng = np.random.default_rng(seed)
    grid = np.indices(shape).astype(float)
    centre = np.array(shape) / 2

    def blob(offset, radii):
        rel = [(g - c - o) / r for g, c, o, r in zip(grid, centre, offset, radii)]
        return sum(r * r for r in rel) + 0.1 * rng.standard_normal(shape) <= 1.0

    gt = blob((0, 0, 0), (12, 10, 6))
    pred = blob((2, -1, 1), (11, 11, 5))
    for mask in (gt, pred):
        mask[[0, -1]] = False
        mask[:, [0, -1]] = False
        mask[:, :, [0, -1]] = False
    return pred, gt


def test_monai_equals_ours():
    torch = pytest.importorskip("torch")
    metrics = pytest.importorskip("monai.metrics")
    pred, gt = blob_pair()

    def one_hot(mask):
        return torch.from_numpy(np.stack([~mask, mask])[None].astype(np.float64))

    d = segmetrics.surface_distances(pred, gt, spacing=SPACING)
    hd = metrics.compute_hausdorff_distance(one_hot(pred), one_hot(gt), spacing=SPACING)
    hd95 = metrics.compute_hausdorff_distance(one_hot(pred), one_hot(gt), percentile=95,
                                              spacing=SPACING)
    assd = metrics.compute_average_surface_distance(one_hot(pred), one_hot(gt), symmetric=True,
                                                    spacing=SPACING)
    nsd = metrics.compute_surface_dice(one_hot(pred), one_hot(gt), class_thresholds=[2.0],
                                       spacing=SPACING)
    # MONAI: face-connected erosion boundaries, SciPy EDT, max of directed percentiles
    assert d.hausdorff() == pytest.approx(float(hd), rel=1e-6)
    assert d.hd95() == pytest.approx(float(hd95), rel=1e-6)
    assert d.assd() == pytest.approx(float(assd), rel=1e-6)
    assert d.surface_dice(2.0) == pytest.approx(float(nsd), rel=1e-6)


def test_medpy_pooled_percentile():
    binary = pytest.importorskip("medpy.metric.binary")
    pred, gt = blob_pair(1)
    d = segmetrics.surface_distances(pred, gt, spacing=SPACING)
    # medpy pools both directed sets for hd95: our hd_mode="pooled"
    assert d.hd95(hd_mode="pooled") == pytest.approx(
        binary.hd95(pred, gt, voxelspacing=SPACING), rel=1e-12)
    assert d.hausdorff() == pytest.approx(binary.hd(pred, gt, voxelspacing=SPACING), rel=1e-12)
    assert d.assd() == pytest.approx(binary.assd(pred, gt, voxelspacing=SPACING), rel=1e-12)


def test_medpy_border_and_empty_masks():
    """Same boundary at the image border; medpy raises on an empty mask where we give inf."""
    binary = pytest.importorskip("medpy.metric.binary")
    pred = np.ones((6, 7), dtype=bool)
    gt = pred.copy()
    gt[:, -1] = False
    assert segmetrics.hausdorff(pred, gt) == binary.hd(pred, gt) == 1.0
    with pytest.raises(RuntimeError):
        binary.hd(np.zeros_like(pred), gt)
    assert segmetrics.hausdorff(np.zeros_like(pred), gt) == math.inf


def test_deepmind_surfels_within_a_voxel_diagonal():
    surface_distance = pytest.importorskip("surface_distance")
    pred, gt = blob_pair(2)
    ours = segmetrics.surface_distances(pred, gt, spacing=SPACING)
    theirs = surface_distance.compute_surface_distances(gt, pred, spacing_mm=SPACING)
    # Surface elements sit between voxels, ours at voxel centres: each set moves by at most
    # half a voxel diagonal, so the Hausdorff distances differ by at most one diagonal.
    diagonal = math.sqrt(sum(s * s for s in SPACING))
    assert abs(ours.hausdorff() - surface_distance.compute_robust_hausdorff(theirs, 100)) <= diagonal


def test_simpleitk_hausdorff_on_disjoint_boxes():
    sitk = pytest.importorskip("SimpleITK")
    pred = np.zeros((20, 18, 16), dtype=np.uint8)
    gt = np.zeros_like(pred)
    pred[2:7, 3:9, 2:5] = 1
    gt[11:17, 5:15, 8:14] = 1

    def image(mask):
        img = sitk.GetImageFromArray(mask)
        img.SetSpacing(SPACING[::-1])  # SimpleITK orders axes x, y, z
        return img

    hd_filter = sitk.HausdorffDistanceImageFilter()
    hd_filter.Execute(image(pred), image(gt))
    # SimpleITK measures between whole masks; for disjoint convex objects that equals
    # the boundary-based value
    assert segmetrics.hausdorff(pred, gt, spacing=SPACING) == pytest.approx(
        hd_filter.GetHausdorffDistance(), rel=1e-9)
