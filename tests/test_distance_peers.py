"""Distance metrics against MONAI, DeepMind surface-distance, medpy and SimpleITK.

Each peer is skipped when it is not installed. Where a peer's definition
differs from ours (see the conventions page), the test states the relation
that must hold instead of equality.
"""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segmetrics
from segmetrics import _surfel, distance
from segmetrics._backends import available_backends

HOST_BACKENDS = [b for b in available_backends() if b in segmetrics.BACKENDS]

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
    theirs_hd = surface_distance.compute_robust_hausdorff(theirs, 100)
    assert abs(ours.hausdorff() - theirs_hd) <= diagonal


# DeepMind's own definition: surface="surfel" must give its numbers to float rounding.

SURFEL_RTOL = 1e-12
KINDS = ("voxel", "thin", "corner", "box", "full", "sparse", "half")


def _mask(rng, shape, kind):
    mask = np.zeros(shape, dtype=bool)
    if kind == "voxel":
        mask[tuple(rng.integers(0, n) for n in shape)] = True
    elif kind == "thin":  # one voxel thick along a random axis
        index = [slice(None)] * len(shape)
        axis = rng.integers(0, len(shape))
        index[axis] = rng.integers(0, shape[axis])
        mask[tuple(index)] = True
    elif kind == "corner":  # touches the image border
        mask[tuple(slice(0, max(1, n // 2)) for n in shape)] = True
    elif kind == "box":
        lo = [rng.integers(0, n) for n in shape]
        mask[tuple(slice(a, rng.integers(a + 1, n + 1)) for a, n in zip(lo, shape))] = True
    elif kind == "full":
        mask[...] = True
    else:
        mask = rng.random(shape) < {"sparse": 0.1, "half": 0.5}[kind]
    if not mask.any():  # surface-distance 0.1 fails on NumPy 2 for an empty mask
        mask[tuple(n // 2 for n in shape)] = True
    return mask


@st.composite
def surfel_cases(draw):
    ndim = draw(st.sampled_from((2, 3)))
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=ndim, max_size=ndim)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pred = _mask(rng, shape, draw(st.sampled_from(KINDS)))
    gt = _mask(rng, shape, draw(st.sampled_from(KINDS)))
    spacing = draw(st.one_of(
        st.just((1.0,) * ndim),
        st.lists(st.sampled_from((0.5, 1.0, 2.0, 3.0)), min_size=ndim, max_size=ndim),
        st.lists(st.floats(0.25, 4.0), min_size=ndim, max_size=ndim)))
    return pred, gt, tuple(spacing)


def _theirs_hd(surface_distance, theirs, percentile):
    """DeepMind's robust HD; a tie of its cumulative area share with ``percentile / 100``
    goes either way by the last bit of its areas (ours may differ there), so the values at
    ``percentile * (1 +- 1e-12)`` are accepted too."""
    return {surface_distance.compute_robust_hausdorff(theirs, p)
            for p in (percentile, percentile * (1 - 1e-12), min(100.0, percentile * (1 + 1e-12)))}


def _close_to_one_of(value, candidates):
    return any(value == pytest.approx(c, rel=SURFEL_RTOL, abs=0) for c in candidates)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=surfel_cases(), backend=st.sampled_from(HOST_BACKENDS),
       method=st.sampled_from(("auto", "search", "edt")), percentile=st.floats(0, 100),
       tolerance=st.sampled_from((0.0, 0.5, 1.0, 1.5, 2.0, 3.7)))
def test_surfel_mode_equals_deepmind(case, backend, method, percentile, tolerance):
    surface_distance = pytest.importorskip("surface_distance")
    pred, gt, spacing = case
    theirs = surface_distance.compute_surface_distances(gt, pred, spacing_mm=spacing)
    d = distance._compute(pred, gt, spacing, None, "face", backend, method=method,
                          surface="surfel")
    # the same surface points, distances and areas (theirs sorted by distance)
    for ours, weights, key in ((d.pred_to_gt, d.pred_weights, "pred"),
                               (d.gt_to_pred, d.gt_weights, "gt")):
        other = "gt" if key == "pred" else "pred"
        np.testing.assert_allclose(np.sort(ours), theirs[f"distances_{key}_to_{other}"],
                                   rtol=SURFEL_RTOL, atol=0)
        np.testing.assert_allclose(np.sort(weights), np.sort(theirs[f"surfel_areas_{key}"]),
                                   rtol=SURFEL_RTOL, atol=0)
    assert d.hausdorff() == pytest.approx(
        surface_distance.compute_robust_hausdorff(theirs, 100), rel=SURFEL_RTOL)
    assert _close_to_one_of(d.hd95(), _theirs_hd(surface_distance, theirs, 95.0))
    assert _close_to_one_of(d.hausdorff(percentile), _theirs_hd(surface_distance, theirs,
                                                                percentile))
    assert d.surface_dice(tolerance) == pytest.approx(
        surface_distance.compute_surface_dice_at_tolerance(theirs, tolerance), rel=SURFEL_RTOL)
    # DeepMind returns both directed averages; our ASSD pools them, weighted by area
    gt_to_pred, pred_to_gt = surface_distance.compute_average_surface_distance(theirs)
    assert np.average(d.gt_to_pred, weights=d.gt_weights) == pytest.approx(gt_to_pred,
                                                                           rel=SURFEL_RTOL)
    assert np.average(d.pred_to_gt, weights=d.pred_weights) == pytest.approx(pred_to_gt,
                                                                             rel=SURFEL_RTOL)
    area_gt, area_pred = theirs["surfel_areas_gt"].sum(), theirs["surfel_areas_pred"].sum()
    assert d.assd() == pytest.approx(
        (gt_to_pred * area_gt + pred_to_gt * area_pred) / (area_gt + area_pred),
        rel=SURFEL_RTOL)


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (0.8, 1.1, 2.5), (3.0, 0.3, 1.7),
                                     (1.0, 1.0), (0.8, 2.5), (3.3, 0.7)])
def test_surfel_tables_equal_deepmind(spacing):
    lookup_tables = pytest.importorskip("surface_distance.lookup_tables")
    ours = _surfel.area_table(spacing)
    if len(spacing) == 2:
        np.testing.assert_array_equal(
            ours, lookup_tables.create_table_neighbour_code_to_contour_length(spacing))
    else:  # the same triangles' areas, summed in another order: the last bit may differ
        np.testing.assert_allclose(
            ours, lookup_tables.create_table_neighbour_code_to_surface_area(spacing),
            rtol=4 * np.finfo(np.float64).eps, atol=0)


def test_surfel_blobs_and_labels_equal_deepmind():
    surface_distance = pytest.importorskip("surface_distance")
    pred, gt = blob_pair(3)
    pred[0, 5:9, 3:6] = True  # touch the border too
    theirs = surface_distance.compute_surface_distances(gt, pred, spacing_mm=SPACING)
    kwargs = {"spacing": SPACING, "surface": "surfel"}
    assert segmetrics.hausdorff(pred, gt, **kwargs) == pytest.approx(
        surface_distance.compute_robust_hausdorff(theirs, 100), rel=SURFEL_RTOL)
    assert segmetrics.hd95(pred, gt, **kwargs) == pytest.approx(
        surface_distance.compute_robust_hausdorff(theirs, 95), rel=SURFEL_RTOL)
    assert segmetrics.surface_dice(pred, gt, tolerance=2.0, **kwargs) == pytest.approx(
        surface_distance.compute_surface_dice_at_tolerance(theirs, 2.0), rel=SURFEL_RTOL)
    labels_pred = pred.astype(np.uint8) + 2 * (gt & ~pred)
    labels_gt = gt.astype(np.uint8) + 2 * (pred & ~gt)
    ours = segmetrics.hd95(labels_pred, labels_gt, labels=[1, 2], **kwargs)
    for value, label in zip(ours, (1, 2)):
        per_label = surface_distance.compute_surface_distances(
            labels_gt == label, labels_pred == label, spacing_mm=SPACING)
        assert value == pytest.approx(surface_distance.compute_robust_hausdorff(per_label, 95),
                                      rel=SURFEL_RTOL)


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


def border_blobs(seed, shape):
    """Smoothed-noise blobs, many of them cut by the image border."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    return (ndimage.gaussian_filter(rng.random(shape), 1.5) > 0.5).astype(np.uint8)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("shape", [(20, 17), (20, 17, 13)])
@pytest.mark.parametrize("away_from_border", [False, True])
def test_seg_metrics_equals_full_pooled_open_border(seed, shape, away_from_border):
    """seg-metrics' hd, hd95 and msd are ours with connectivity="full", hd_mode="pooled"
    and image_border="ignored" (its distances pass through float32, hence the tolerance).
    Away from the border, image_border makes no difference."""
    seg_metrics = pytest.importorskip("seg_metrics.seg_metrics")
    spacing = SPACING[:len(shape)]
    pred, gt = border_blobs(seed, shape), border_blobs(seed + 100, shape)
    if away_from_border:
        for mask in (pred, gt):
            for axis in range(mask.ndim):
                np.moveaxis(mask, axis, 0)[[0, -1]] = 0
    assert pred.any() and gt.any()
    theirs = seg_metrics.computeQualityMeasures(  # SimpleITK orders the spacing x, y, z
        pred, gt, spacing=spacing[::-1], metrics_names=["hd", "hd95", "msd"])
    options = dict(spacing=spacing, connectivity="full", image_border="ignored")
    rtol = 4 * float(np.finfo(np.float32).eps)
    assert segmetrics.hd95(pred, gt, hd_mode="pooled", **options) == pytest.approx(
        theirs["hd95"], rel=rtol)
    assert segmetrics.hausdorff(pred, gt, **options) == pytest.approx(theirs["hd"], rel=rtol)
    assert segmetrics.assd(pred, gt, **options) == pytest.approx(theirs["msd"], rel=rtol)
    default_border = segmetrics.hd95(pred, gt, spacing=spacing, connectivity="full",
                                     hd_mode="pooled")
    if away_from_border:
        assert default_border == pytest.approx(theirs["hd95"], rel=rtol)
