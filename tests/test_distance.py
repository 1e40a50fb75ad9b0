"""Distance metrics: differential tests against the SciPy oracle, analytic cases,
backends, layouts, edge cases and bad inputs."""
import doctest
import math
import pickle

import numpy as np
import oracles_distance as oracle
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segmetrics
from segmetrics import _surfel, distance
from segmetrics._backends import available_backends

EPS = np.finfo(np.float64).eps
RTOL = 4 * EPS
BACKENDS = [b for b in available_backends() if b in segmetrics.BACKENDS]  # host backends
METHODS = ("auto", "search", "edt")
FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def assert_distances(got, expected):
    assert got.dtype == np.float64
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)


def random_mask(rng, shape, kind):
    if kind == "empty":
        return np.zeros(shape, dtype=bool)
    if kind == "full":
        return np.ones(shape, dtype=bool)
    if kind == "voxel":
        mask = np.zeros(shape, dtype=bool)
        mask[tuple(rng.integers(0, n) for n in shape)] = True
        return mask
    if kind == "thin":  # one-voxel-thick slab along a random axis
        mask = np.zeros(shape, dtype=bool)
        axis = rng.integers(0, len(shape))
        index = [slice(None)] * len(shape)
        index[axis] = rng.integers(0, shape[axis])
        mask[tuple(index)] = True
        return mask
    if kind == "corner":  # touches the image border
        mask = np.zeros(shape, dtype=bool)
        mask[tuple(slice(0, max(1, n // 2)) for n in shape)] = True
        return mask
    density = {"sparse": 0.05, "half": 0.5, "dense": 0.9}[kind]
    return rng.random(shape) < density


def layout(array, how):
    if how == "F":
        return np.asfortranarray(array)
    if how == "reversed":
        return np.ascontiguousarray(array[(slice(None, None, -1),) * array.ndim])[
            (slice(None, None, -1),) * array.ndim]
    if how == "strided":
        big = np.zeros(tuple(2 * n for n in array.shape), dtype=array.dtype)
        big[(slice(None, None, 2),) * array.ndim] = array
        return big[(slice(None, None, 2),) * array.ndim]
    return np.ascontiguousarray(array)


KINDS = ("empty", "full", "voxel", "thin", "corner", "sparse", "half", "dense")
SPACINGS = st.floats(0.25, 4.0, allow_nan=False, allow_infinity=False)


@st.composite
def mask_pairs(draw, ndims=(1, 2, 3)):
    ndim = draw(st.sampled_from(ndims))
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=ndim, max_size=ndim)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    pred = random_mask(rng, shape, draw(st.sampled_from(KINDS)))
    gt = random_mask(rng, shape, draw(st.sampled_from(KINDS)))
    spacing = tuple(draw(st.lists(SPACINGS, min_size=ndim, max_size=ndim)))
    return pred, gt, spacing


@FAST
@given(data=mask_pairs(), connectivity=st.sampled_from(("face", "full")),
       how=st.sampled_from(("C", "F", "reversed", "strided")),
       backend=st.sampled_from(BACKENDS), method=st.sampled_from(METHODS),
       dtype=st.sampled_from((bool, np.uint8, np.int16, np.int64, ">i4")))
def test_directed_distances_match_scipy(data, connectivity, how, backend, method, dtype):
    pred, gt, spacing = data
    expected = oracle.surface_distances(pred, gt, spacing, connectivity)
    p = layout(pred.astype(dtype), how)
    g = layout(gt.astype(dtype), how)
    got = distance._compute(p, g, spacing, None, connectivity, backend, method=method)
    assert isinstance(got, segmetrics.SurfaceDistances)
    assert got.spacing == tuple(spacing)
    assert_distances(got.pred_to_gt, expected[0])
    assert_distances(got.gt_to_pred, expected[1])


@FAST
@given(data=mask_pairs(), connectivity=st.sampled_from(("face", "full")),
       how=st.sampled_from(("C", "F", "reversed", "strided")),
       backend=st.sampled_from(BACKENDS), method=st.sampled_from(METHODS),
       dtype=st.sampled_from((bool, np.uint8, ">i4")))
def test_ignored_image_border_matches_scipy(data, connectivity, how, backend, method, dtype):
    """image_border="ignored": erosion with the outside as foreground (SimpleITK's contour)."""
    pred, gt, spacing = data
    expected = oracle.surface_distances(pred, gt, spacing, connectivity, "ignored")
    got = distance._compute(layout(pred.astype(dtype), how), layout(gt.astype(dtype), how),
                            spacing, None, connectivity, backend, method=method,
                            image_border="ignored")
    assert_distances(got.pred_to_gt, expected[0])
    assert_distances(got.gt_to_pred, expected[1])


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), ndim=st.sampled_from((2, 3)),
       connectivity=st.sampled_from(("face", "full")), backend=st.sampled_from(BACKENDS))
def test_ignored_image_border_per_label(seed, ndim, connectivity, backend):
    """Each label's box is padded with its own edge: neighbouring labels stay boundaries."""
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(2, 9, size=ndim))
    pred, gt = (rng.integers(0, 3, size=shape).astype(np.int16) for _ in range(2))
    spacing = tuple(rng.uniform(0.5, 2.0, size=ndim))
    got = segmetrics.surface_distances(pred, gt, spacing=spacing, labels=[1, 2],
                                       connectivity=connectivity, backend=backend,
                                       image_border="ignored")
    for label, result in zip((1, 2), got):
        expected = oracle.surface_distances(pred == label, gt == label, spacing, connectivity,
                                            "ignored")
        assert_distances(result.pred_to_gt, expected[0])
        assert_distances(result.gt_to_pred, expected[1])


def test_image_border_choices_are_checked():
    mask = np.eye(4, dtype=bool)
    with pytest.raises(ValueError, match="image_border"):
        segmetrics.hd95(mask, mask, image_border="open")
    with pytest.raises(ValueError, match="image_border applies to surface='voxel'"):
        segmetrics.hd95(mask, mask, surface="surfel", image_border="ignored")
    # a mask filling the image has no boundary once the border is not one
    full = np.ones((4, 4), dtype=bool)
    assert segmetrics.surface_distances(full, full, image_border="ignored").pred_to_gt.size == 0
    assert segmetrics.surface_distances(full, full).pred_to_gt.size == 12


@settings(max_examples=25, deadline=None)
@given(data=mask_pairs(ndims=(2, 3)))
def test_scipy_oracle_matches_brute_force(data):
    pred, gt, spacing = data
    bp, bg = oracle.boundary(pred), oracle.boundary(gt)
    np.testing.assert_allclose(oracle.directed(bp, bg, spacing),
                               oracle.brute_directed(bp, bg, spacing), rtol=RTOL)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), ndim=st.sampled_from((1, 2, 3)),
       kind=st.sampled_from(KINDS), connectivity=st.sampled_from(("face", "full")),
       transposed=st.booleans(), value=st.integers(1, 3))
def test_boundary_rows_agree_on_wide_boxes(seed, ndim, kind, connectivity, transposed, value):
    """The compiled boundary extraction equals the reference on boxes many words wide,
    whichever view axis is contiguous."""
    rng = np.random.default_rng(seed)
    shape = (1,) * (3 - ndim) + tuple(rng.integers(1, 90, size=ndim))
    labels = random_mask(rng, shape, kind) * rng.integers(1, 4, size=shape)
    volume = labels.astype(np.uint8)
    if transposed:
        volume = np.ascontiguousarray(volume.transpose(0, 2, 1)).transpose(0, 2, 1)
    full = connectivity == "full"
    expected = distance.kernels("numpy").boundary_rows(volume, np.uint8(value), ndim, full)
    for backend in BACKENDS:
        got = distance.kernels(backend).boundary_rows(volume, np.uint8(value), ndim, full)
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])


@FAST
@given(data=mask_pairs(), percentile=st.one_of(st.none(), st.floats(0, 100)),
       hd_mode=st.sampled_from(("max", "pooled")), tolerance=st.floats(0, 6))
def test_metrics_match_oracle(data, percentile, hd_mode, tolerance):
    pred, gt, spacing = data
    d = segmetrics.surface_distances(pred, gt, spacing=spacing)
    expected = oracle.hausdorff(pred, gt, spacing, percentile, hd_mode)
    assert d.hausdorff(percentile, hd_mode) == pytest.approx(expected, rel=RTOL, nan_ok=True)
    assert segmetrics.hausdorff(pred, gt, spacing=spacing, percentile=percentile,
                                hd_mode=hd_mode) == pytest.approx(expected, rel=RTOL, nan_ok=True)
    assert segmetrics.hd95(pred, gt, spacing=spacing, hd_mode=hd_mode) == pytest.approx(
        oracle.hausdorff(pred, gt, spacing, 95, hd_mode), rel=RTOL, nan_ok=True)
    assert segmetrics.assd(pred, gt, spacing=spacing) == pytest.approx(
        oracle.assd(pred, gt, spacing), rel=RTOL, nan_ok=True)
    assert segmetrics.surface_dice(pred, gt, tolerance=tolerance, spacing=spacing) == (
        pytest.approx(oracle.surface_dice(pred, gt, tolerance, spacing), nan_ok=True))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), ndim=st.sampled_from((2, 3)),
       backend=st.sampled_from(BACKENDS), dtype=st.sampled_from((np.uint8, np.uint16, np.int64)),
       labels=st.lists(st.integers(0, 5), min_size=1, max_size=4))
def test_label_maps_match_per_label_masks(seed, ndim, backend, dtype, labels):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(2, 9, size=ndim))
    pred = rng.integers(0, 4, size=shape).astype(dtype)
    gt = rng.integers(0, 5, size=shape).astype(dtype)
    spacing = tuple(rng.uniform(0.3, 3.0, size=ndim))
    results = segmetrics.surface_distances(pred, gt, spacing=spacing, labels=labels,
                                           backend=backend)
    assert isinstance(results, list) and len(results) == len(labels)
    for label, result in zip(labels, results):
        expected = oracle.surface_distances(pred == label, gt == label, spacing)
        assert_distances(result.pred_to_gt, expected[0])
        assert_distances(result.gt_to_pred, expected[1])
    hd = segmetrics.hausdorff(pred, gt, spacing=spacing, labels=labels, backend=backend)
    assert hd.dtype == np.float64 and hd.shape == (len(labels),)
    np.testing.assert_array_equal(hd, [r.hausdorff() for r in results])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", METHODS)
def test_far_apart_objects_and_large_offsets(backend, method):
    pred = np.zeros((40, 30, 50), dtype=bool)
    gt = np.zeros_like(pred)
    pred[2:6, 3:7, 1:5] = True
    gt[30:38, 20:29, 35:49] = True
    gt[0, 29, 49] = True  # a far corner voxel
    spacing = (0.8, 1.3, 2.5)
    got = distance._compute(pred, gt, spacing, None, "face", backend, method=method)
    expected = oracle.surface_distances(pred, gt, spacing)
    assert_distances(got.pred_to_gt, expected[0])
    assert_distances(got.gt_to_pred, expected[1])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("path", ("sampled-search", "sampled-edt", "budget-exceeded",
                                  "parallel-slabs", "parallel-over-budget"))
def test_cost_model_paths(monkeypatch, backend, path):
    """Whatever the cost model and the threading decide, the distances are the same."""
    rng = np.random.default_rng(7)
    pred = rng.random((12, 14, 16)) < 0.3
    gt = np.zeros_like(pred)
    gt[3:9, 2:12, 5:15] = True
    monkeypatch.setattr(distance, "_SAMPLE_MIN_QUERIES",
                        1 if path.startswith("sampled") else 10**9)
    monkeypatch.setattr(distance, "_SAMPLE_RUNS", 4)
    if path.startswith("parallel"):
        monkeypatch.setattr(distance, "_PARALLEL_MIN_QUERIES", 1)
        monkeypatch.setattr(distance._layout, "_thread_count", lambda: 3)
    if path in ("sampled-edt", "budget-exceeded", "parallel-over-budget"):
        monkeypatch.setattr(distance, "_EDT_PROBES_PER_VOXEL_PASS", 1e-12)
    spacing = (0.9, 1.7, 0.6)
    got = segmetrics.surface_distances(pred, gt, spacing=spacing, backend=backend)
    expected = oracle.surface_distances(pred, gt, spacing)
    assert_distances(got.pred_to_gt, expected[0])
    assert_distances(got.gt_to_pred, expected[1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_voxels_known_distance(backend):
    pred = np.zeros((6, 8, 9), dtype=bool)
    gt = np.zeros_like(pred)
    pred[1, 2, 3] = True
    gt[4, 6, 3] = True
    assert segmetrics.hausdorff(pred, gt, backend=backend) == 5.0
    assert segmetrics.hausdorff(pred, gt, spacing=(2.0, 0.5, 7.0), backend=backend) == math.sqrt(40)
    assert segmetrics.assd(pred, gt, spacing=(2.0, 0.5, 7.0), backend=backend) == math.sqrt(40)
    assert segmetrics.surface_dice(pred, gt, tolerance=math.sqrt(40), spacing=(2, 0.5, 7),
                                   backend=backend) == 1.0
    assert segmetrics.surface_dice(pred, gt, tolerance=6.33, spacing=(2, 0.5, 7),
                                   backend=backend) == 1.0
    assert segmetrics.surface_dice(pred, gt, tolerance=6.32, spacing=(2, 0.5, 7),
                                   backend=backend) == 0.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_concentric_cubes(backend):
    """A cube inside a cube k voxels larger on every side: HD is the corner-to-corner gap."""
    k, spacing = 3, (0.7, 1.1, 2.0)
    gt = np.zeros((20, 20, 20), dtype=bool)
    pred = np.zeros_like(gt)
    gt[6:14, 6:14, 6:14] = True
    pred[3:17, 3:17, 3:17] = True
    d = segmetrics.surface_distances(pred, gt, spacing=spacing, backend=backend)
    assert d.hausdorff() == pytest.approx(math.sqrt(sum((k * s) ** 2 for s in spacing)), rel=RTOL)
    # inner voxels on an axis-0 face are k * 0.7 from the outer face; the worst inner voxel
    # is at most 6 rows of 0.7 from an outer axis-0 face, nearer than any other face
    assert d.gt_to_pred.min() == pytest.approx(k * 0.7, rel=RTOL)
    assert d.gt_to_pred.max() == pytest.approx(6 * 0.7, rel=RTOL)


@pytest.mark.parametrize("backend", BACKENDS)
def test_concentric_spheres(backend):
    """Digital spheres of radii 8 and 12: every distance is 4 within a voxel's diagonal."""
    grid = np.indices((31, 31, 31)) - 15
    radius = np.sqrt((grid ** 2).sum(0))
    inner, outer = radius <= 8, radius <= 12
    d = segmetrics.surface_distances(outer, inner, backend=backend)
    for values in (d.pred_to_gt, d.gt_to_pred):
        assert np.all(np.abs(values - 4.0) <= math.sqrt(3))
    assert segmetrics.hausdorff(outer, inner, backend=backend) == pytest.approx(
        oracle.hausdorff(outer, inner), rel=RTOL)


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_mask_rules(backend):
    empty = np.zeros((5, 6), dtype=bool)
    one = empty.copy()
    one[2, 3] = True
    both = segmetrics.surface_distances(empty, empty, backend=backend)
    assert both.pred_to_gt.size == 0 and both.gt_to_pred.size == 0
    for value in (both.hausdorff(), both.hd95(), both.assd(), both.surface_dice(1.0),
                  segmetrics.hausdorff(empty, empty, backend=backend),
                  segmetrics.surface_dice(empty, empty, tolerance=1.0, backend=backend)):
        assert math.isnan(value)
    for pred, gt in ((empty, one), (one, empty)):
        d = segmetrics.surface_distances(pred, gt, backend=backend)
        assert d.hausdorff() == math.inf
        assert d.hausdorff(50, "pooled") == math.inf
        assert d.hd95() == math.inf
        assert d.assd() == math.inf
        assert d.surface_dice(100.0) == 0.0
        assert segmetrics.hd95(pred, gt, backend=backend) == math.inf
        assert segmetrics.surface_dice(pred, gt, tolerance=3.0, backend=backend) == 0.0
    d = segmetrics.surface_distances(one, empty, backend=backend)
    np.testing.assert_array_equal(d.pred_to_gt, [np.inf])
    assert d.gt_to_pred.shape == (0,) and d.gt_to_pred.dtype == np.float64


def test_return_types_and_identical_masks():
    mask = np.zeros((7, 7), dtype=bool)
    mask[2:5, 1:6] = True
    for value in (segmetrics.hausdorff(mask, mask), segmetrics.hd95(mask, mask),
                  segmetrics.assd(mask, mask),
                  segmetrics.surface_dice(mask, mask, tolerance=0)):
        assert type(value) is float
    assert segmetrics.hausdorff(mask, mask) == 0.0
    assert segmetrics.surface_dice(mask, mask, tolerance=0) == 1.0
    full = np.ones((4, 5), dtype=bool)
    assert segmetrics.hausdorff(full, full) == 0.0
    assert "SurfaceDistances(" in repr(segmetrics.surface_distances(mask, mask))


@pytest.mark.parametrize("surface", ("voxel", "surfel"))
def test_surface_distances_pickle_in_c_order(surface):
    """A result still in search order (rows along a non-last axis) pickles in C order."""
    rng = np.random.default_rng(3)
    pred, gt = rng.random((2, 9, 8, 7)) < 0.5
    spacing = (1.0, 0.5, 2.0)  # rows along axis 1: the search order is not C order
    d = segmetrics.surface_distances(pred, gt, spacing=spacing, surface=surface)
    copy = pickle.loads(pickle.dumps(d))
    expected = segmetrics.surface_distances(pred, gt, spacing=spacing, surface=surface)
    np.testing.assert_array_equal(copy.pred_to_gt, expected.pred_to_gt)
    np.testing.assert_array_equal(copy.gt_to_pred, expected.gt_to_pred)
    assert copy.spacing == d.spacing and copy.hd95() == expected.hd95()
    if surface == "voxel":
        np.testing.assert_allclose(copy.pred_to_gt, oracle.surface_distances(
            pred, gt, spacing)[0], rtol=RTOL)


def test_labels_absent_and_out_of_dtype():
    pred = np.array([[0, 1], [1, 1]], dtype=np.uint8)
    gt = np.array([[0, 1], [0, 1]], dtype=np.uint8)
    hd = segmetrics.hausdorff(pred, gt, labels=[1, 300, 1, 7])
    assert hd[0] == hd[2] == segmetrics.hausdorff(pred == 1, gt == 1)
    assert math.isnan(hd[1]) and math.isnan(hd[3])
    assert segmetrics.surface_dice(pred, gt, tolerance=0, labels=[2]).tolist() == [np.nan] or \
        math.isnan(segmetrics.surface_dice(pred, gt, tolerance=0, labels=[2])[0])


# ---------------------------------------------------------------- surface="surfel"

@FAST
@given(data=mask_pairs(ndims=(2, 3)), how=st.sampled_from(("C", "F", "reversed", "strided")),
       backend=st.sampled_from(BACKENDS), method=st.sampled_from(METHODS),
       dtype=st.sampled_from((bool, np.uint8, ">i4")))
def test_surfel_distances_match_scipy(data, how, backend, method, dtype):
    """Surface points on the corner grid, in C order, their distances and their weights."""
    pred, gt, spacing = data
    a, b, pred_codes, gt_codes = oracle.surfel_distances(pred, gt, spacing)
    p = layout(pred.astype(dtype), how)
    g = layout(gt.astype(dtype), how)
    got = distance._compute(p, g, spacing, None, "face", backend, method=method,
                            surface="surfel")
    assert_distances(got.pred_to_gt, a)
    assert_distances(got.gt_to_pred, b)
    table = _surfel.area_table(spacing)
    np.testing.assert_array_equal(got.pred_weights, table[pred_codes])
    np.testing.assert_array_equal(got.gt_weights, table[gt_codes])


def test_surfel_area_table_facts():
    """Lengths and areas of the simplest cells, and complements sharing a surface."""
    s0, s1 = 0.5, 3.0
    lengths = _surfel.area_table((s0, s1))
    half_diagonal = 0.5 * math.sqrt(s0 * s0 + s1 * s1)
    assert lengths[0] == lengths[15] == 0.0
    assert lengths[0b0001] == lengths[0b1000] == lengths[0b0111] == half_diagonal
    assert lengths[0b0011] == s1 and lengths[0b0101] == s0  # a row, a column of two voxels
    assert lengths[0b0110] == 2 * half_diagonal  # diagonal voxels are cut off one by one
    areas = _surfel.area_table((1.0, 1.0, 1.0))
    assert areas[0] == areas[255] == 0.0
    assert areas[1] == pytest.approx(math.sqrt(3) / 8, rel=RTOL)  # one corner voxel
    assert areas[0b11110000] == 1.0  # four voxels on one side: a unit square
    assert areas[0b11000000] == pytest.approx(math.sqrt(2) / 2, rel=RTOL)
    for spacing in ((1.0, 1.0, 1.0), (0.8, 1.1, 2.5)):
        areas = _surfel.area_table(spacing)
        np.testing.assert_allclose(areas, areas[::-1], rtol=RTOL)  # code ^ 255: same surface
    assert _surfel.area_table((2.0, 1.0, 1.0))[0b11110000] == 1.0  # a face across axis 0
    assert _surfel.area_table((1.0, 2.0, 3.0))[0b11110000] == 6.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_surfel_analytic_cases(backend):
    s0, s1 = 0.7, 1.9
    rect = np.zeros((8, 9), dtype=bool)
    rect[2:5, 1:8] = True  # 3 x 7 voxels
    d = segmetrics.surface_distances(rect, rect, spacing=(s0, s1), surface="surfel",
                                     backend=backend)
    perimeter = 2 * 2 * s0 + 2 * 6 * s1 + 2 * math.sqrt(s0 * s0 + s1 * s1)  # corners chamfered
    assert d.pred_weights.sum() == pytest.approx(perimeter, rel=1e-14)
    assert d.hausdorff() == d.assd() == 0.0 and d.surface_dice(0.0) == 1.0
    box = np.zeros((6, 7, 8), dtype=bool)
    a, b, c = 3, 4, 5
    box[1:1 + a, 2:2 + b, 1:1 + c] = True
    d = segmetrics.surface_distances(box, box, surface="surfel", backend=backend)
    faces = 2 * ((a - 1) * (b - 1) + (b - 1) * (c - 1) + (a - 1) * (c - 1))
    edges = 4 * (a - 1 + b - 1 + c - 1) * math.sqrt(2) / 2
    assert d.gt_weights.sum() == pytest.approx(faces + edges + math.sqrt(3), rel=1e-14)
    # two single voxels 5 apart along the last axis: corners 4 and 5 apart, equal areas
    pred = np.zeros((2, 2, 8), dtype=bool)
    gt = pred.copy()
    pred[0, 0, 0] = gt[0, 0, 5] = True
    d = segmetrics.surface_distances(pred, gt, spacing=(1.0, 1.0, 2.0), surface="surfel",
                                     backend=backend)
    np.testing.assert_array_equal(d.pred_to_gt, [10, 8] * 4)  # C order of the 8 corners
    assert (d.hausdorff(), d.hd95(), d.hausdorff(50), d.assd()) == (10.0, 10.0, 8.0, 9.0)
    assert d.surface_dice(8.0) == 0.5
    assert segmetrics.hd95(pred, gt, spacing=(1.0, 1.0, 2.0), surface="surfel") == 10.0


def test_weighted_percentile():
    values = np.array([3.0, 1.0, 2.0, 2.0])
    weights = np.array([1.0, 1.0, 1.0, 1.0])
    percentile = _surfel.weighted_percentile
    assert [percentile(values, weights, p) for p in (0, 25, 26, 50, 75, 76, 100)] == [
        1, 1, 2, 2, 2, 3, 3]  # the first value whose cumulative share reaches p / 100
    heavy = np.array([1.0, 1.0, 1.0, 5.0])
    assert percentile(values, heavy, 87) == 2.0 and percentile(values, heavy, 88) == 3.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_surfel_empty_mask_rules(backend):
    empty = np.zeros((5, 6, 2), dtype=bool)
    one = empty.copy()
    one[2, 3, 1] = True
    kwargs = {"surface": "surfel", "backend": backend}
    both = segmetrics.surface_distances(empty, empty, **kwargs)
    assert both.pred_weights.size == both.gt_weights.size == 0
    for value in (both.hausdorff(), both.hd95(), both.assd(), both.surface_dice(1.0),
                  segmetrics.assd(empty, empty, **kwargs)):
        assert math.isnan(value)
    for pred, gt in ((empty, one), (one, empty)):
        d = segmetrics.surface_distances(pred, gt, **kwargs)
        assert d.hausdorff() == d.hd95() == d.hausdorff(50, "pooled") == d.assd() == math.inf
        assert d.surface_dice(100.0) == 0.0
        assert segmetrics.surface_dice(pred, gt, tolerance=3.0, **kwargs) == 0.0
    d = segmetrics.surface_distances(one, empty, **kwargs)
    np.testing.assert_array_equal(d.pred_to_gt, [np.inf] * 8)
    assert d.gt_to_pred.shape == d.gt_weights.shape == (0,)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), ndim=st.sampled_from((2, 3)),
       backend=st.sampled_from(BACKENDS), labels=st.lists(st.integers(0, 5), min_size=1,
                                                          max_size=3))
def test_surfel_label_maps_match_per_label_masks(seed, ndim, backend, labels):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(2, 8, size=ndim))
    pred = rng.integers(0, 4, size=shape).astype(np.uint16)
    gt = rng.integers(0, 5, size=shape).astype(np.uint16)
    spacing = tuple(rng.uniform(0.3, 3.0, size=ndim))
    results = segmetrics.surface_distances(pred, gt, spacing=spacing, labels=labels,
                                           backend=backend, surface="surfel")
    for label, result in zip(labels, results):
        one = segmetrics.surface_distances(pred == label, gt == label, spacing=spacing,
                                           surface="surfel")
        np.testing.assert_array_equal(result.pred_to_gt, one.pred_to_gt)
        np.testing.assert_array_equal(result.gt_weights, one.gt_weights)
    hd95 = segmetrics.hd95(pred, gt, spacing=spacing, labels=labels, surface="surfel")
    np.testing.assert_array_equal(hd95, [r.hd95() for r in results])
    nsd = segmetrics.surface_dice(pred, gt, tolerance=1.0, spacing=spacing, labels=labels,
                                  surface="surfel")
    np.testing.assert_array_equal(nsd, [r.surface_dice(1.0) for r in results])


def test_voxel_mode_has_no_weights():
    d = segmetrics.surface_distances(MASK, MASK)
    assert d.pred_weights is None and d.gt_weights is None
    assert "surfel" not in repr(d)
    assert "surface='surfel'" in repr(segmetrics.surface_distances(MASK, MASK, surface="surfel"))


# ---------------------------------------------------------------- bad inputs

MASK = np.zeros((4, 5), dtype=bool)
MASK[1:3, 1:4] = True


@pytest.mark.parametrize("kwargs, error, match", [
    ({"spacing": (1.0,)}, ValueError, "one value per array axis"),
    ({"spacing": (1.0, 2.0, 3.0)}, ValueError, "one value per array axis"),
    ({"spacing": (1.0, -2.0)}, ValueError, "> 0"),
    ({"spacing": (1.0, 0.0)}, ValueError, "> 0"),
    ({"spacing": (1.0, float("nan"))}, ValueError, "NaN"),
    ({"spacing": (1.0, float("inf"))}, ValueError, "finite"),
    ({"spacing": "1,2"}, TypeError, "spacing"),
    ({"spacing": ((1.0, 2.0),)}, TypeError, "spacing"),
    ({"connectivity": "edge"}, ValueError, "connectivity"),
    ({"connectivity": 1}, ValueError, "connectivity"),
    ({"hd_mode": "mean"}, ValueError, "hd_mode"),
    ({"percentile": 101}, ValueError, "percentile"),
    ({"percentile": -1}, ValueError, "percentile"),
    ({"percentile": float("nan")}, ValueError, "percentile"),
    ({"percentile": "95"}, TypeError, "percentile"),
    ({"backend": "cuda"}, ValueError, "backend"),
    ({"surface": "mesh"}, ValueError, "surface"),
    ({"surface": None}, ValueError, "surface"),
    ({"surface": "surfel", "connectivity": "full"}, ValueError, "connectivity"),
    ({"labels": []}, ValueError, "labels"),
    ({"labels": [-1]}, ValueError, "label"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        segmetrics.hausdorff(MASK, MASK, **kwargs)


def test_bad_masks():
    with pytest.raises(ValueError, match="same shape"):
        segmetrics.hd95(MASK, MASK[:, :4])
    with pytest.raises(ValueError, match="mask > 0"):
        segmetrics.hd95(MASK.astype(np.uint8) * 255, MASK)
    with pytest.raises(ValueError, match="0/1"):
        segmetrics.assd(MASK, MASK.astype(np.int8) * -1)
    with pytest.raises(TypeError, match="bool or integer"):
        segmetrics.hausdorff(MASK.astype(float), MASK)
    with pytest.raises(TypeError, match="bool or integer"):
        segmetrics.hausdorff(MASK, MASK.astype(np.float32))
    with pytest.raises(ValueError, match="empty"):
        segmetrics.hausdorff(np.zeros((0, 3), bool), np.zeros((0, 3), bool))
    with pytest.raises(ValueError, match="1-D, 2-D or 3-D"):
        segmetrics.hausdorff(np.zeros((2,) * 4, bool), np.zeros((2,) * 4, bool))
    with pytest.raises(ValueError, match="1-D, 2-D or 3-D"):
        segmetrics.hausdorff(np.bool_(True), np.bool_(True))
    with pytest.raises(TypeError, match="dtype"):
        segmetrics.hausdorff(np.array(["a"]), np.array(["b"]))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        segmetrics.hausdorff(np.ones(3, bool), np.ones(3, bool), surface="surfel")


def test_tolerance_checks():
    with pytest.raises(TypeError, match="tolerance"):
        segmetrics.surface_dice(MASK, MASK)  # pylint: disable=missing-kwoa
    with pytest.raises(ValueError, match="tolerance"):
        segmetrics.surface_dice(MASK, MASK, tolerance=-0.5)
    with pytest.raises(ValueError, match="tolerance"):
        segmetrics.surface_dice(MASK, MASK, tolerance=float("nan"))
    d = segmetrics.surface_distances(MASK, MASK)
    with pytest.raises(ValueError, match="tolerance"):
        d.surface_dice(-1)
    with pytest.raises(ValueError, match="hd_mode"):
        d.hd95("median")


def test_errors_come_before_work(monkeypatch):
    """String options are validated before any kernel runs."""
    monkeypatch.setattr(distance, "_compute", None)
    with pytest.raises(ValueError, match="hd_mode"):
        segmetrics.hausdorff(MASK, MASK, hd_mode="x")
    with pytest.raises(ValueError, match="tolerance"):
        segmetrics.surface_dice(MASK, MASK, tolerance=-1)


# ---------------------------------------------------------------- EDT

@FAST
@given(seed=st.integers(0, 2**32 - 1), ndim=st.integers(1, 4), backend=st.sampled_from(BACKENDS),
       how=st.sampled_from(("C", "F", "strided")), kind=st.sampled_from(KINDS),
       dtype=st.sampled_from((bool, np.uint8, np.int32, np.float32)),
       data=st.data())
def test_edt_matches_scipy(seed, ndim, backend, how, kind, dtype, data):
    rng = np.random.default_rng(seed)
    shape = tuple(int(n) for n in rng.integers(1, 8 if ndim < 4 else 5, size=ndim))
    mask = random_mask(rng, shape, kind)
    spacing = tuple(data.draw(st.lists(SPACINGS, min_size=ndim, max_size=ndim)))
    got = distance.euclidean_distance_transform(layout(mask.astype(dtype), how), spacing=spacing,
                                                backend=backend)
    expected = oracle.euclidean_distance_transform(mask, spacing)
    assert got.shape == mask.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_edt_edges(backend):
    edt = distance.euclidean_distance_transform
    assert np.all(edt(np.zeros((3, 4)), backend=backend) == np.inf)
    assert edt(np.array(5), backend=backend) == 0.0
    np.testing.assert_array_equal(edt([0, 1, 0, 0], spacing=2.0, backend=backend), [2, 0, 2, 4])
    line = np.zeros(1500, dtype=bool)
    line[[3, 1400]] = True  # long lines keep exact intersections
    np.testing.assert_allclose(edt(line, spacing=0.3, backend=backend),
                               oracle.euclidean_distance_transform(line, (0.3,)), rtol=RTOL)
    with pytest.raises(ValueError, match="NaN"):
        edt(np.array([0.0, np.nan]), backend=backend)
    with pytest.raises(ValueError, match="one value per array axis"):
        edt(np.zeros((2, 2)), spacing=(1, 2, 3), backend=backend)
    with pytest.raises(ValueError, match="empty"):
        edt(np.zeros((0,)), backend=backend)


# ---------------------------------------------------------------- imports and docs

def test_import_is_light():
    import subprocess
    import sys

    code = ("import sys, segmetrics, segmetrics.distance; "
            "print('scipy' in sys.modules, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_docstring_examples():
    failures, tried = doctest.testmod(distance, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 5 and failures == 0
