"""Label regions (unions of labels): overlap metrics from the one confusion table, distance
metrics on the union masks; host, Dask and device inputs against a per-voxel brute force."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracles import brute_binary_counts

import segmetrics
from segmetrics import from_counts, rates, regions

OVERLAP = [segmetrics.dice, segmetrics.jaccard, segmetrics.kappa, segmetrics.sensitivity,
           segmetrics.specificity, segmetrics.precision, segmetrics.accuracy,
           rates.mcc, rates.volume_similarity, rates.npv, rates.balanced_accuracy,
           rates.relative_volume_difference, rates.markedness]


def brute_region_counts(pred, gt, labels, ignore_index=None):
    """Per-voxel loop over the union masks."""
    return brute_binary_counts(np.isin(pred, labels), np.isin(gt, labels), ignore_index) \
        if ignore_index is None else _brute_ignored(pred, gt, labels, ignore_index)


def _brute_ignored(pred, gt, labels, ignore_index):
    tp = fp = fn = tn = 0
    for p, g in zip(np.ravel(pred).tolist(), np.ravel(gt).tolist()):
        if g == ignore_index:
            continue
        p, g = p in labels, g in labels
        tp += p and g
        fp += p and not g
        fn += g and not p
        tn += not p and not g
    return tp, fp, fn, tn


region_sets = st.lists(st.sets(st.integers(0, 6), min_size=1, max_size=4).map(sorted),
                       min_size=1, max_size=4)


def named(sets):
    return {f"R{i}": labels for i, labels in enumerate(sets)}


@st.composite
def label_pairs(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(ndim))
    dtype = draw(st.sampled_from([np.uint8, np.int16, np.int32, np.int64]))
    top = draw(st.integers(0, 5))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    pred = rng.integers(0, top + 1, shape).astype(dtype)
    gt = rng.integers(0, top + 1, shape).astype(dtype)
    if draw(st.booleans()):
        pred = np.asfortranarray(pred)
    return pred, gt


@settings(max_examples=40, deadline=None)
@given(label_pairs(), region_sets, st.sampled_from([None, 0, 2]),
       st.sampled_from(["cython", "numba", "numpy"]))
def test_region_counts_equal_brute_force(pair, sets, ignore_index, backend):
    pred, gt = pair
    expected = [brute_region_counts(pred, gt, labels, ignore_index) for labels in sets]
    for metric in OVERLAP:
        got = metric(pred, gt, regions=named(sets), ignore_index=ignore_index, backend=backend)
        assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (len(sets),)
        formula = getattr(from_counts, metric.__name__)
        want = [float(formula(from_counts.Counts(*c))) for c in expected]
        np.testing.assert_array_equal(got, want, err_msg=metric.__name__)


@settings(max_examples=30, deadline=None)
@given(label_pairs(), region_sets)
def test_region_equals_binary_metric_of_union_masks(pair, sets):
    pred, gt = pair
    got = rates.fbeta(pred, gt, regions=named(sets), beta=2.0)
    want = [rates.fbeta(np.isin(pred, s), np.isin(gt, s), beta=2.0) for s in sets]
    np.testing.assert_array_equal(got, want)
    got = segmetrics.tversky(pred, gt, regions=named(sets), alpha=0.3, beta=0.7)
    want = [segmetrics.tversky(np.isin(pred, s), np.isin(gt, s), alpha=0.3, beta=0.7)
            for s in sets]
    np.testing.assert_array_equal(got, want)
    got = rates.absolute_volume_difference(pred, gt, regions=named(sets), voxel_volume=0.5)
    want = [0.5 * abs(int(np.isin(pred, s).sum()) - int(np.isin(gt, s).sum())) for s in sets]
    np.testing.assert_array_equal(got, want)


def test_region_of_one_label_is_the_label():
    rng = np.random.default_rng(1)
    pred, gt = rng.integers(0, 4, (6, 7)), rng.integers(0, 4, (6, 7))
    got = segmetrics.dice(pred, gt, regions={"a": [1], "b": [3], "c": [2]})
    np.testing.assert_array_equal(got, segmetrics.dice(pred, gt, labels=[1, 3, 2]))


def test_brats_regions_in_order_and_absent_labels():
    gt = np.array([0, 1, 2, 3, 3, 2, 0, 1])
    pred = np.array([0, 1, 3, 3, 0, 2, 2, 1])
    got = segmetrics.dice(pred, gt, regions=regions.BRATS)
    # WT: pred {1,2,3,5,6,7}, gt {1,2,3,4,5,7}: tp 5 -> 10/12; TC: pred {1,2,3,7}, gt {1,3,4,7}:
    # tp 3 -> 6/8; ET: pred {2,3}, gt {3,4}: tp 1 -> 2/4.
    np.testing.assert_array_equal(got, [10 / 12, 6 / 8, 2 / 4])
    # A region of labels the maps do not hold is empty in both: 0/0.
    got = segmetrics.dice(pred, gt, regions={"none": [7, 200]}, zero_division=-1.0)
    np.testing.assert_array_equal(got, [-1.0])


def test_generalized_dice_over_regions():
    gt = np.array([0, 1, 2, 3, 3, 2, 0, 1])
    pred = np.array([0, 1, 3, 3, 0, 2, 2, 1])
    counts = regions.region_counts(segmetrics.confusion_matrix(pred, gt),
                                   list(regions.BRATS.values()))
    assert rates.generalized_dice(pred, gt, regions=regions.BRATS) == \
        float(from_counts.generalized_dice(counts))


def test_dask_regions_equal_host():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(2)
    pred = rng.integers(0, 5, (9, 10)).astype(np.uint8)
    gt = rng.integers(0, 5, (9, 10)).astype(np.uint8)
    host = rates.mcc(pred, gt, regions=regions.BRATS, ignore_index=4)
    chunked = rates.mcc(da.from_array(pred, chunks=(4, 3)), da.from_array(gt, chunks=(5, 5)),
                        regions=regions.BRATS, ignore_index=4)
    np.testing.assert_array_equal(host, chunked)


def test_device_regions_equal_host(device):
    torch = pytest.importorskip("torch")
    pytest.importorskip("triton")
    rng = np.random.default_rng(3)
    pred = rng.integers(0, 5, (7, 9)).astype(np.uint8)
    gt = rng.integers(0, 5, (7, 9)).astype(np.uint8)
    for backend in ("triton", "torch"):
        got = segmetrics.jaccard(torch.from_numpy(pred).to(device),
                                 torch.from_numpy(gt).to(device), regions=regions.BRATS,
                                 backend=backend)
        np.testing.assert_array_equal(got, segmetrics.jaccard(pred, gt, regions=regions.BRATS))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"regions": [[1, 2]]}, TypeError, "regions must be a mapping"),
    ({"regions": {}}, ValueError, "at least one region"),
    ({"regions": {"WT": []}}, ValueError, "region 'WT'"),
    ({"regions": {"WT": [-1]}}, ValueError, "region 'WT'"),
    ({"regions": {1: [1]}}, TypeError, "region name"),
    ({"regions": {"WT": [1]}, "labels": [1]}, ValueError, "not both"),
    ({"regions": {"WT": [1]}, "threshold": 0.5}, ValueError, "threshold"),
])
def test_bad_regions_are_refused(kwargs, error, match):
    pred = np.array([0.2, 0.7]) if "threshold" in kwargs else np.array([0, 1])
    with pytest.raises(error, match=match):
        segmetrics.dice(pred, np.array([1, 1]), **kwargs)


def test_multiclass_kappa_refuses_regions():
    with pytest.raises(ValueError, match="multiclass"):
        segmetrics.kappa(np.array([0, 1]), np.array([1, 1]), regions={"a": [1]}, multiclass=True)


@settings(max_examples=25, deadline=None)
@given(label_pairs(), region_sets, st.sampled_from(["hausdorff", "hd95", "assd", "nsd"]))
def test_distance_regions_equal_union_masks(pair, sets, metric):
    pred, gt = pair
    spacing = tuple(0.5 + i for i in range(pred.ndim))
    call = {
        "hausdorff": lambda p, g, **k: segmetrics.hausdorff(p, g, spacing=spacing, **k),
        "hd95": lambda p, g, **k: segmetrics.hd95(p, g, spacing=spacing, **k),
        "assd": lambda p, g, **k: segmetrics.assd(p, g, spacing=spacing, **k),
        "nsd": lambda p, g, **k: segmetrics.surface_dice(p, g, spacing=spacing, tolerance=1.0,
                                                         **k),
    }[metric]
    got = call(pred, gt, regions=named(sets))
    assert got.shape == (len(sets),)
    want = [call(np.isin(pred, s), np.isin(gt, s)) for s in sets]
    np.testing.assert_array_equal(got, want)


def test_surface_distances_regions_brute_force():
    import oracles_distance as oracle

    rng = np.random.default_rng(4)
    pred, gt = rng.integers(0, 4, (6, 8)), rng.integers(0, 4, (6, 8))
    found = segmetrics.surface_distances(pred, gt, regions=regions.BRATS, spacing=(1.0, 2.0))
    assert len(found) == 3
    for d, labels in zip(found, regions.BRATS.values()):
        bp = oracle.boundary(np.isin(pred, labels))
        bg = oracle.boundary(np.isin(gt, labels))
        np.testing.assert_allclose(d.pred_to_gt, oracle.brute_directed(bp, bg, (1.0, 2.0)),
                                   rtol=1e-15)
        np.testing.assert_allclose(d.gt_to_pred, oracle.brute_directed(bg, bp, (1.0, 2.0)),
                                   rtol=1e-15)


def test_distance_regions_refuse_float_maps_and_labels_together():
    with pytest.raises(TypeError, match="binarise a probability map"):
        segmetrics.hd95(np.array([0.5, 1.0]), np.array([1, 1]), regions={"a": [1]})
    with pytest.raises(ValueError, match="not both"):
        segmetrics.assd(np.array([0, 1]), np.array([1, 1]), regions={"a": [1]}, labels=[1])


@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), dtype=st.sampled_from([np.uint8, np.int32]))
def test_device_distance_regions_equal_host(device, seed, dtype):
    torch = pytest.importorskip("torch")
    pytest.importorskip("triton")
    rng = np.random.default_rng(seed)
    pred = rng.integers(0, 4, (5, 6, 4)).astype(dtype)
    gt = rng.integers(0, 4, (5, 6, 4)).astype(dtype)
    tp, tg = torch.from_numpy(pred).to(device), torch.from_numpy(gt).to(device)
    region_map = {"WT": [1, 2, 3], "ET": [3], "big": [3, 300]}
    got = segmetrics.hausdorff(tp, tg, regions=region_map, backend="torch")
    want = segmetrics.hausdorff(pred, gt, regions=region_map)
    np.testing.assert_allclose(got, want, rtol=4 * np.finfo(np.float64).eps)
    got = segmetrics.surface_dice(tp, tg, regions=region_map, tolerance={"WT": 1.0, "ET": 0.5,
                                                                          "big": 2.0})
    want = segmetrics.surface_dice(pred, gt, regions=region_map, tolerance=[1.0, 0.5, 2.0])
    np.testing.assert_array_equal(got, want)


def test_parse_regions():
    assert regions.parse_regions("brats") == {"WT": (1, 2, 3), "TC": (1, 3), "ET": (3,)}
    assert regions.parse_regions("BraTS") == regions.BRATS
    assert regions.parse_regions(" WT=1,2,3; TC = 1,3 ;ET=3;") == {
        "WT": (1, 2, 3), "TC": (1, 3), "ET": (3,)}
    for bad in ("WT", "WT=", "WT=a", "=1", "WT=1;WT=2", "WT=-1", ""):
        with pytest.raises(ValueError, match="regions|region"):
            regions.parse_regions(bad)


def test_region_counts_of_a_table():
    confusion = np.arange(16).reshape(4, 4)
    counts = regions.region_counts(confusion, [(1, 3), (2,), (9,)])
    n = confusion.sum()
    assert counts.tp.tolist() == [5 + 7 + 13 + 15, 10, 0]
    assert counts.fn.tolist() == [4 + 6 + 12 + 14, 8 + 9 + 11, 0]
    assert counts.fp.tolist() == [1 + 3 + 9 + 11, 2 + 6 + 14, 0]
    assert (counts.tp + counts.fp + counts.fn + counts.tn).tolist() == [n, n, n]
    assert math.isnan(from_counts.dice(from_counts.Counts(*(c[2] for c in counts))))


def test_docstring_examples():
    import doctest

    result = doctest.testmod(regions)
    assert result.attempted >= 5 and result.failed == 0


def test_dask_distance_regions_equal_host():
    da = pytest.importorskip("dask.array")
    rng = np.random.default_rng(6)
    pred = rng.integers(0, 4, (9, 10)).astype(np.uint8)
    gt = rng.integers(0, 4, (9, 10)).astype(np.uint8)
    got = segmetrics.hd95(da.from_array(pred, chunks=4), da.from_array(gt, chunks=5),
                          regions=regions.BRATS, spacing=(1.0, 0.5))
    np.testing.assert_array_equal(got, segmetrics.hd95(pred, gt, regions=regions.BRATS,
                                                       spacing=(1.0, 0.5)))
