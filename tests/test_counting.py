"""Counting kernels: every backend equals the brute-force oracle and scikit-learn, bit for bit."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from layouts import LAYOUTS, in_layout
from oracles import brute_binary_counts, brute_confusion
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

import segmetrics

LABEL_DTYPES = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"]
shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=7)


@st.composite
def label_pairs(draw, max_label=None):
    """Two label maps of one shape and (possibly different) dtypes, with labels in range."""
    shape = draw(shapes)
    dtypes = [draw(st.sampled_from(LABEL_DTYPES)) for _ in range(2)]
    top = min(np.iinfo(d).max for d in dtypes)
    top = min(top, max_label) if max_label is not None else min(top, 300)
    k = draw(st.integers(1, top + 1))
    pred, gt = (draw(hnp.arrays(d, shape, elements=st.integers(0, k - 1))) for d in dtypes)
    return pred, gt, k


@given(data=label_pairs(), layouts=st.tuples(st.sampled_from(LAYOUTS), st.sampled_from(LAYOUTS)))
def test_confusion_matrix_equals_oracle_in_every_backend_and_layout(data, layouts):
    pred, gt, k = data
    expected = brute_confusion(pred, gt, k)
    pred_view, gt_view = in_layout(pred, layouts[0]), in_layout(gt, layouts[1])
    for backend in segmetrics.BACKENDS:
        got = segmetrics.confusion_matrix(pred_view, gt_view, num_classes=k, backend=backend)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, expected, err_msg=backend)


@pytest.mark.filterwarnings("ignore:A single label was found:UserWarning")
@given(data=label_pairs(max_label=20))
def test_confusion_matrix_equals_sklearn_on_present_labels(data):
    pred, gt, _ = data
    present = np.union1d(pred.astype(np.int64).ravel(), gt.astype(np.int64).ravel())
    ours = segmetrics.confusion_matrix(pred, gt)
    assert ours.shape == (present.max() + 1,) * 2
    np.testing.assert_array_equal(
        ours[np.ix_(present, present)],
        sk_confusion_matrix(gt.astype(np.int64).ravel(), pred.astype(np.int64).ravel(),
                            labels=present),
    )


@given(data=label_pairs(max_label=6), ignore=st.integers(-1, 7))
def test_ignore_index_drops_ground_truth_voxels(data, ignore):
    pred, gt, k = data
    size = max(k, ignore + 1)
    expected = brute_confusion(pred, gt, size, ignore_index=ignore)
    for backend in segmetrics.BACKENDS:
        got = segmetrics.confusion_matrix(pred, gt, num_classes=size, ignore_index=ignore,
                                          backend=backend)
        np.testing.assert_array_equal(got, expected, err_msg=backend)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "uint16", "int16"])
def test_confusion_matrix_holds_labels_up_to_the_dtype_maximum(dtype, backend):
    top = min(int(np.iinfo(dtype).max), segmetrics.overlap.MAX_DENSE_CLASSES - 1)
    pred = np.array([top, 0, top, 1], dtype=dtype)
    gt = np.array([top, top, 0, 1], dtype=dtype)
    cm = segmetrics.confusion_matrix(pred, gt, backend=backend)
    assert cm.shape == (top + 1, top + 1)
    assert (cm[top, top], cm[top, 0], cm[0, top], cm[1, 1]) == (1, 1, 1, 1)
    assert cm.sum() == 4


@pytest.mark.parametrize("dtype", LABEL_DTYPES[2:])
def test_per_label_metrics_reach_the_dtype_maximum(dtype, backend):
    # Labels too large for a dense table are counted through a compact relabelling.
    top = int(np.iinfo(dtype).max)
    pred = np.array([top, 0, top, 1, 5, top], dtype=dtype)
    gt = np.array([top, top, 0, 1, 5, 3], dtype=dtype)
    counts = segmetrics.overlap._counts(pred, gt, [top, 1, 3, 9], None, 3, backend)
    expected = segmetrics.Counts(tp=[1, 1, 0, 0], fp=[1, 0, 0, 0], fn=[1, 0, 0, 0],
                                 tn=[2, 4, 5, 5])
    np.testing.assert_array_equal(np.array(counts), np.array(expected))
    with pytest.raises(ValueError, match="too large"):
        segmetrics.confusion_matrix(pred, gt, backend=backend)


@pytest.mark.parametrize("large", [False, True])
def test_a_negative_prediction_where_gt_is_ignored_is_not_counted(large, backend):
    """Dense table (labels up to 200) and compact relabelling (a label of 20000) agree:
    a negative prediction is accepted where the ground truth is ignored, refused elsewhere."""
    big = 20000 if large else 200
    pred = np.array([1, -3, 5, big, 0], dtype=np.int32)
    gt = np.array([1, 7, 5, big, 7], dtype=np.int32)
    got = segmetrics.dice(pred, gt, labels=[1, 5, big], ignore_index=7, backend=backend)
    np.testing.assert_array_equal(got, [1.0, 1.0, 1.0])
    batched = segmetrics.batch.dice(pred[None], gt[None], labels=[1, 5, big], ignore_index=7,
                                    backend=backend)
    np.testing.assert_array_equal(batched, [[1.0, 1.0, 1.0]])
    # counted voxels: refused, every message naming the value found
    with pytest.raises(ValueError, match="-3"):
        segmetrics.dice(pred, gt, labels=[1, 5, big], ignore_index=5, backend=backend)
    with pytest.raises(ValueError, match="-3"):
        segmetrics.batch.dice(pred[None], gt[None], labels=[1, 5, big], ignore_index=5,
                              backend=backend)


def test_default_num_classes_is_largest_counted_label_plus_one(backend):
    pred = np.array([0, 3, 3], dtype=np.uint16)
    gt = np.array([0, 1, 9], dtype=np.uint16)
    assert segmetrics.confusion_matrix(pred, gt, ignore_index=9, backend=backend).shape == (4, 4)
    zero_ignored = segmetrics.confusion_matrix(pred, gt, ignore_index=0, backend=backend)
    assert zero_ignored.shape == (10, 10)
    all_ignored = segmetrics.confusion_matrix(gt, gt * 0 + 5, ignore_index=5, backend=backend)
    assert all_ignored.shape == (0, 0)


@given(shape=shapes, dtypes=st.tuples(st.sampled_from(["bool", *LABEL_DTYPES]),
                                      st.sampled_from(["bool", *LABEL_DTYPES])),
       layouts=st.tuples(st.sampled_from(LAYOUTS), st.sampled_from(LAYOUTS)),
       seed=st.integers(0, 2**32 - 1), ignore=st.sampled_from([None, 2, 255]))
def test_binary_counts_equal_oracle(shape, dtypes, layouts, seed, ignore):
    rng = np.random.default_rng(seed)
    pred = rng.integers(0, 2, shape).astype(dtypes[0])
    gt = rng.integers(0, 2, shape).astype(dtypes[1])
    if ignore is not None and gt.dtype != bool and ignore <= np.iinfo(gt.dtype).max:
        gt[rng.random(shape) < 0.2] = ignore
    expected = brute_binary_counts(pred, gt, ignore_index=ignore)
    pred_view, gt_view = in_layout(pred, layouts[0]), in_layout(gt, layouts[1])
    for backend in segmetrics.BACKENDS:
        got = segmetrics.binary_counts(pred_view, gt_view, ignore_index=ignore, backend=backend)
        assert tuple(got) == expected, backend
        assert all(type(c) is int for c in got)


@given(shape=shapes, prob_dtype=st.sampled_from(["float16", "float32", "float64"]),
       layout=st.sampled_from(LAYOUTS), seed=st.integers(0, 2**32 - 1),
       threshold=st.sampled_from([0.0, 0.1, 0.5, 0.7, 1.0]), ignore=st.sampled_from([None, 7]))
def test_threshold_counts_equal_oracle(shape, prob_dtype, layout, seed, threshold, ignore):
    rng = np.random.default_rng(seed)
    # Values on the threshold itself must be classified like NumPy does.
    prob = rng.choice([0.0, 0.1, 0.5, 0.7, 1.0, 0.3, np.inf], size=shape).astype(prob_dtype)
    prob = np.where(rng.random(shape) < 0.5, rng.random(shape), prob).astype(prob_dtype)
    gt = rng.integers(0, 2, shape).astype(np.uint8)
    if ignore is not None:
        gt[rng.random(shape) < 0.2] = ignore
    expected = brute_binary_counts(prob >= prob.dtype.type(threshold), gt, ignore_index=ignore)
    for backend in segmetrics.BACKENDS:
        got = segmetrics.binary_counts(in_layout(prob, layout), gt, threshold=threshold,
                                       ignore_index=ignore, backend=backend)
        assert tuple(got) == expected, backend


def test_slab_and_thread_paths_equal_single_pass(small_chunks, rng):
    pred = rng.integers(0, 5, (9, 11, 13), dtype=np.uint8)
    gt = rng.integers(0, 5, (9, 11, 13), dtype=np.uint8)
    expected = brute_confusion(pred, gt, 5)
    for backend in segmetrics.BACKENDS:
        for pred_view, gt_view in ((pred, gt), (np.asfortranarray(pred), gt),
                                   (pred[::-1], gt[::-1])):
            got = segmetrics.confusion_matrix(pred_view, gt_view, num_classes=5, backend=backend)
            np.testing.assert_array_equal(got, expected, err_msg=backend)
        counts = segmetrics.binary_counts(pred > 2, gt > 2, backend=backend)
        assert tuple(counts) == brute_binary_counts(pred > 2, gt > 2)


def test_long_runs_and_noisy_blocks_count_alike(backend, rng):
    # Uniform 64-element blocks take the run-length fast path, noisy ones the scalar path.
    gt = np.repeat(rng.integers(0, 4, 300, dtype=np.uint8), rng.integers(1, 200, 300))
    pred = gt.copy()
    noisy = rng.random(gt.size) < 0.01
    pred[noisy] = rng.integers(0, 4, noisy.sum())
    got = segmetrics.confusion_matrix(pred, gt, num_classes=4, backend=backend)
    np.testing.assert_array_equal(got, brute_confusion(pred, gt, 4))


@pytest.mark.parametrize("backend", ["cython", "numba"])  # the threaded backends
def test_large_input_uses_threads_and_stays_exact(backend):
    rng = np.random.default_rng(7)
    gt = np.repeat(rng.integers(0, 14, 5000, dtype=np.uint8), 1000)
    pred = np.roll(gt, 333)
    expected = np.bincount(gt.astype(np.int64) * 14 + pred, minlength=196).reshape(14, 14)
    np.testing.assert_array_equal(segmetrics.confusion_matrix(pred, gt, backend=backend), expected)
    tp = int(np.count_nonzero((pred > 6) & (gt > 6)))
    assert segmetrics.binary_counts(pred > 6, gt > 6, backend=backend).tp == tp


def test_thread_limit_keeps_counts_exact(monkeypatch):
    from segmetrics import _layout
    monkeypatch.setattr(_layout, "PARALLEL_MIN_ELEMENTS", 16)
    gt = np.repeat(np.arange(5, dtype=np.uint8), 40)
    pred = np.roll(gt, 7)
    expected = brute_confusion(pred, gt, 5)
    try:
        for threads in (1, 2, 64):
            segmetrics.set_num_threads(threads)
            assert _layout._thread_count() == min(threads, _layout.cpu_count())
            np.testing.assert_array_equal(segmetrics.confusion_matrix(pred, gt), expected)
        segmetrics.set_num_threads(None)
        monkeypatch.setenv("SEGMETRICS_NUM_THREADS", "1")
        assert _layout._thread_count() == 1
        with pytest.raises(ValueError, match="threads must be >= 1"):
            segmetrics.set_num_threads(0)
    finally:
        segmetrics.set_num_threads(None)
