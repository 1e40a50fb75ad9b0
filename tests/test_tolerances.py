"""Per-label NSD tolerances and directed HD / HD95 / ASSD, against the brute-force oracle."""
import math

import numpy as np
import oracles_distance as oracle
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segmetrics

DIRECTIONS = ("symmetric", "pred_to_gt", "gt_to_pred")


@st.composite
def label_maps(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 6)) for _ in range(ndim))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    pred = rng.integers(0, 4, shape).astype(draw(st.sampled_from([np.uint8, np.int32])))
    gt = rng.integers(0, 4, shape).astype(pred.dtype)
    spacing = tuple(draw(st.sampled_from([0.5, 1.0, 1.7])) for _ in range(ndim))
    return pred, gt, spacing


def brute_sets(pred, gt, spacing):
    bp, bg = oracle.boundary(pred), oracle.boundary(gt)
    return oracle.brute_directed(bp, bg, spacing), oracle.brute_directed(bg, bp, spacing)


def brute_nsd(a, b, tolerance):
    if a.size == 0 and b.size == 0:
        return math.nan
    if a.size == 0 or b.size == 0:
        return 0.0
    return (np.count_nonzero(a <= tolerance) + np.count_nonzero(b <= tolerance)) / (a.size + b.size)


def brute_directed_metric(a, b, direction, reduce):
    if a.size == 0 and b.size == 0:
        return math.nan
    if a.size == 0 or b.size == 0:
        return math.inf
    sets = {"symmetric": (a, b), "pred_to_gt": (a,), "gt_to_pred": (b,)}[direction]
    return reduce(sets)


@settings(max_examples=30, deadline=None)
@given(label_maps(), st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.7, 2.5]), min_size=3,
                              max_size=3))
def test_per_label_tolerance_equals_brute_force(maps, tolerances):
    pred, gt, spacing = maps
    labels = [1, 2, 3]
    expected = [brute_nsd(*brute_sets(pred == label, gt == label, spacing), t)
                for label, t in zip(labels, tolerances)]
    as_list = segmetrics.surface_dice(pred, gt, labels=labels, spacing=spacing,
                                      tolerance=tolerances)
    as_dict = segmetrics.surface_dice(pred, gt, labels=labels, spacing=spacing,
                                      tolerance=dict(zip(labels[::-1], tolerances[::-1])))
    as_array = segmetrics.surface_dice(pred, gt, labels=labels, spacing=spacing,
                                       tolerance=np.array(tolerances))
    np.testing.assert_array_equal(as_list, expected)
    np.testing.assert_array_equal(as_dict, expected)
    np.testing.assert_array_equal(as_array, expected)


def test_scalar_tolerance_unchanged():
    rng = np.random.default_rng(0)
    pred, gt = rng.integers(0, 3, (7, 8)), rng.integers(0, 3, (7, 8))
    np.testing.assert_array_equal(
        segmetrics.surface_dice(pred, gt, labels=[1, 2], tolerance=1.0),
        segmetrics.surface_dice(pred, gt, labels=[1, 2], tolerance=[1.0, 1.0]))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"tolerance": [1.0, 2.0]}, TypeError, "real number for binary masks"),
    ({"tolerance": {1: 1.0}}, TypeError, "real number for binary masks"),
    ({"tolerance": [1.0], "labels": [1, 2]}, ValueError, "one value per label"),
    ({"tolerance": {1: 1.0}, "labels": [1, 2]}, ValueError, r"missing \[2\]"),
    ({"tolerance": {1: 1.0, 2: 1.0, 5: 1.0}, "labels": [1, 2]}, ValueError, r"not scored \[5\]"),
    ({"tolerance": [1.0, -1.0], "labels": [1, 2]}, ValueError, "each tolerance"),
    ({"tolerance": {1: 1.0, 2: math.nan}, "labels": [1, 2]}, ValueError, "tolerance"),
    ({"tolerance": {"WT": 1.0}, "regions": {"WT": [1], "ET": [2]}}, ValueError,
     r"missing \['ET'\]"),
    ({"tolerance": "1.0", "labels": [1]}, TypeError, "tolerance"),
])
def test_bad_tolerances_are_refused(kwargs, error, match):
    pred = np.array([0, 1, 2, 1]) if "labels" in kwargs or "regions" in kwargs else \
        np.array([0, 1, 1, 0])
    with pytest.raises(error, match=match):
        segmetrics.surface_dice(pred, np.array([1, 1, 0, 0]), **kwargs)


@settings(max_examples=30, deadline=None)
@given(label_maps(), st.sampled_from(DIRECTIONS), st.sampled_from(["voxel", "surfel"]))
def test_directed_metrics_equal_brute_force(maps, direction, surface):
    pred, gt, spacing = maps
    if surface == "surfel" and pred.ndim == 1:
        surface = "voxel"
    labels = [1, 2]
    if surface == "voxel":
        sets = [brute_sets(pred == label, gt == label, spacing) for label in labels]
        weights = [(None, None)] * len(labels)
    else:
        found = segmetrics.surface_distances(pred, gt, labels=labels, spacing=spacing,
                                             surface="surfel")
        sets = [(d.pred_to_gt, d.gt_to_pred) for d in found]
        weights = [(d.pred_weights, d.gt_weights) for d in found]

    def hd(s):
        return float(max(x.max() for x in s))

    def p95(s, w):
        if w[0] is None:
            return float(max(np.percentile(x, 95) for x in s))
        from segmetrics._surfel import weighted_percentile
        chosen = {"symmetric": (0, 1), "pred_to_gt": (0,), "gt_to_pred": (1,)}[direction]
        return max(weighted_percentile(s[i], w[j], 95) for i, j in zip(range(len(s)), chosen))

    def mean(s, w):
        if w[0] is None:
            return float(np.concatenate(s).mean())
        chosen = {"symmetric": (0, 1), "pred_to_gt": (0,), "gt_to_pred": (1,)}[direction]
        ws = [w[j] for j in chosen]
        return float(sum(np.dot(x, v) for x, v in zip(s, ws)) / sum(v.sum() for v in ws))

    want_hd = [brute_directed_metric(a, b, direction, hd) for a, b in sets]
    want_95 = [brute_directed_metric(a, b, direction, lambda s, w=w: p95(s, w))
               for (a, b), w in zip(sets, weights)]
    want_mean = [brute_directed_metric(a, b, direction, lambda s, w=w: mean(s, w))
                 for (a, b), w in zip(sets, weights)]
    kwargs = dict(labels=labels, spacing=spacing, direction=direction, surface=surface)
    np.testing.assert_allclose(segmetrics.hausdorff(pred, gt, **kwargs), want_hd, rtol=1e-14)
    np.testing.assert_allclose(segmetrics.hd95(pred, gt, **kwargs), want_95, rtol=1e-14)
    np.testing.assert_allclose(segmetrics.assd(pred, gt, **kwargs), want_mean, rtol=1e-14)


def test_directed_by_hand():
    # pred: one voxel at 0; gt: voxels at 0 and 4 -> pred_to_gt {0}, gt_to_pred {0, 4}.
    pred = np.array([1, 0, 0, 0, 0], dtype=bool)
    gt = np.array([1, 0, 0, 0, 1], dtype=bool)
    assert segmetrics.hausdorff(pred, gt, direction="pred_to_gt") == 0.0
    assert segmetrics.hausdorff(pred, gt, direction="gt_to_pred") == 4.0
    assert segmetrics.hausdorff(pred, gt) == 4.0
    assert segmetrics.assd(pred, gt, direction="pred_to_gt") == 0.0
    assert segmetrics.assd(pred, gt, direction="gt_to_pred") == 2.0
    assert segmetrics.assd(pred, gt) == 4.0 / 3.0
    assert segmetrics.hd95(pred, gt, direction="gt_to_pred") == np.percentile([0.0, 4.0], 95)
    d = segmetrics.surface_distances(pred, gt)
    assert d.hausdorff(percentile=50, direction="gt_to_pred", hd_mode="pooled") == 2.0


def test_directed_empty_rule():
    empty = np.zeros(4, dtype=bool)
    one = np.array([0, 1, 0, 0], dtype=bool)
    for direction in DIRECTIONS:
        assert math.isnan(segmetrics.hausdorff(empty, empty, direction=direction))
        assert segmetrics.hd95(one, empty, direction=direction) == math.inf
        assert segmetrics.assd(empty, one, direction=direction) == math.inf


def test_bad_direction_is_refused():
    mask = np.array([0, 1], dtype=bool)
    for function in (segmetrics.hausdorff, segmetrics.hd95, segmetrics.assd):
        with pytest.raises(ValueError, match="direction must be one of"):
            function(mask, mask, direction="forward")
    with pytest.raises(ValueError, match="direction"):
        segmetrics.surface_distances(mask, mask).assd(direction="both")


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), direction=st.sampled_from(DIRECTIONS))
def test_device_directed_equal_host(device, seed, direction):
    torch = pytest.importorskip("torch")
    pytest.importorskip("triton")
    rng = np.random.default_rng(seed)
    pred = rng.integers(0, 3, (6, 5, 4)).astype(np.uint8)
    gt = rng.integers(0, 3, (6, 5, 4)).astype(np.uint8)
    tp, tg = torch.from_numpy(pred).to(device), torch.from_numpy(gt).to(device)
    kwargs = dict(labels=[1, 2], spacing=(1.0, 0.5, 2.0), direction=direction)
    rtol = 4 * np.finfo(np.float64).eps
    for function in (segmetrics.hausdorff, segmetrics.hd95, segmetrics.assd):
        np.testing.assert_allclose(function(tp, tg, backend="torch", **kwargs),
                                   function(pred, gt, **kwargs), rtol=rtol)
    np.testing.assert_array_equal(
        segmetrics.surface_dice(tp, tg, labels=[1, 2], tolerance={1: 0.5, 2: 2.0}),
        segmetrics.surface_dice(pred, gt, labels=[1, 2], tolerance=[0.5, 2.0]))


def _peer_blobs():
    rng = np.random.default_rng(5)
    grid = np.indices((30, 28, 16)).astype(float)
    centre = np.array((15.0, 14.0, 8.0))

    def blob(offset, radii):
        rel = [(g - c - o) / r for g, c, o, r in zip(grid, centre, offset, radii)]
        return sum(r * r for r in rel) + 0.1 * rng.standard_normal(grid.shape[1:]) <= 1.0

    gt = np.where(blob((0, 0, 0), (9, 8, 5)), 1, 0) + np.where(blob((3, 2, 0), (4, 4, 3)), 1, 0)
    pred = np.where(blob((1, -1, 1), (8, 9, 4)), 1, 0) + np.where(blob((2, 3, 1), (4, 3, 3)), 1, 0)
    for labels in (gt, pred):
        labels[[0, -1]] = 0
        labels[:, [0, -1]] = 0
        labels[:, :, [0, -1]] = 0
    return pred.astype(np.uint8), gt.astype(np.uint8)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
def test_monai_directed_and_per_class_tolerances():
    torch = pytest.importorskip("torch")
    metrics = pytest.importorskip("monai.metrics")
    pred, gt = _peer_blobs()
    spacing = (0.8, 1.1, 2.5)

    def one_hot(labels):
        return torch.from_numpy(np.stack([labels == c for c in range(3)])[None].astype(float))

    p, g = one_hot(pred), one_hot(gt)
    # MONAI's directed forms measure from y_pred to y: our pred_to_gt.
    hd = metrics.compute_hausdorff_distance(p, g, spacing=spacing, directed=True)
    hd95 = metrics.compute_hausdorff_distance(p, g, percentile=95, spacing=spacing,
                                              directed=True)
    asd = metrics.compute_average_surface_distance(p, g, symmetric=False, spacing=spacing)
    kwargs = dict(labels=[1, 2], spacing=spacing, direction="pred_to_gt")
    np.testing.assert_allclose(segmetrics.hausdorff(pred, gt, **kwargs), hd[0], rtol=1e-6)
    np.testing.assert_allclose(segmetrics.hd95(pred, gt, **kwargs), hd95[0], rtol=1e-6)
    np.testing.assert_allclose(segmetrics.assd(pred, gt, **kwargs), asd[0], rtol=1e-6)
    nsd = metrics.compute_surface_dice(p, g, class_thresholds=[1.0, 2.5], spacing=spacing)
    np.testing.assert_allclose(
        segmetrics.surface_dice(pred, gt, labels=[1, 2], spacing=spacing,
                                tolerance={1: 1.0, 2: 2.5}), nsd[0], rtol=1e-6)


def test_medpy_directed_asd():
    binary = pytest.importorskip("medpy.metric.binary")
    pred, gt = _peer_blobs()
    p, g = pred == 1, gt == 1
    # medpy.asd(result, reference): mean distance from the result's surface to the reference's.
    assert segmetrics.assd(p, g, spacing=(0.8, 1.1, 2.5), direction="pred_to_gt") == \
        pytest.approx(binary.asd(p, g, voxelspacing=(0.8, 1.1, 2.5)), rel=1e-12)
    assert segmetrics.assd(p, g, spacing=(0.8, 1.1, 2.5), direction="gt_to_pred") == \
        pytest.approx(binary.asd(g, p, voxelspacing=(0.8, 1.1, 2.5)), rel=1e-12)
