"""segmetrics.batch: every layout against a brute-force per-sample oracle, and the kernels."""
import doctest
import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segmetrics
from segmetrics import _layout, batch
from segmetrics._backends import kernels

BACKENDS = segmetrics.available_backends()


def brute_counts(pred, gt, labels=None, threshold=None, one_hot=False, ignore_index=None):
    """Counts ``(B, L, 4)`` from masks made with plain NumPy, one sample and label at a time."""
    channels = pred.dtype.kind == "f" or one_hot
    out = []
    for b in range(pred.shape[0]):
        if channels:
            chosen = range(pred.shape[1]) if labels is None else labels
            gt_one_hot = gt.shape == pred.shape
            valid = np.ones(pred.shape[2:], bool) if gt_one_hot or ignore_index is None else (
                gt[b] != ignore_index)
            if one_hot:
                masks = [pred[b, c] != 0 for c in chosen]
            elif threshold is not None:
                masks = [pred[b, c] >= pred.dtype.type(threshold) for c in chosen]
            else:
                top = np.argmax(pred[b], axis=0)
                masks = [top == c for c in chosen]
            truths = [gt[b, c] != 0 if gt_one_hot else gt[b] == c for c in chosen]
        else:
            valid = np.ones(gt.shape[1:], bool) if ignore_index is None else gt[b] != ignore_index
            if labels is None:
                masks, truths = [pred[b] != 0], [gt[b] != 0]
            else:
                masks = [pred[b] == v for v in labels]
                truths = [gt[b] == v for v in labels]
        rows = []
        for p, g in zip(masks, truths):
            p, g = p & valid, g & valid
            rows.append([np.sum(p & g), np.sum(p & ~g), np.sum(~p & g), np.sum(valid & ~p & ~g)])
        out.append(rows)
    out = np.array(out, dtype=np.int64)
    return out[:, 0] if not channels and labels is None else out


def stacked(counts):
    return np.stack([np.asarray(c) for c in counts], axis=-1)


def layout(array, order):
    if order == "F":
        return np.asfortranarray(array)
    if order == "strided":
        wide = np.repeat(array, 2, axis=-1)
        return wide[..., ::2]
    return array


@st.composite
def channel_batches(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    b = draw(st.integers(1, 3))
    c = draw(st.integers(1, 5))
    spatial = tuple(draw(st.lists(st.integers(1, 7), min_size=1, max_size=3)))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.float16]))
    scores = rng.random((b, c) + spatial).astype(dtype)
    if draw(st.booleans()):  # ties: argmax takes the first channel
        scores = np.round(scores * 2) / 2
    labels_map = rng.integers(0, c, (b,) + spatial)
    gt_dtype = draw(st.sampled_from([np.uint8, np.int16, np.int64, np.uint32]))
    if draw(st.booleans()):
        gt = (np.arange(c).reshape((1, c) + (1,) * len(spatial)) == labels_map[:, None])
        gt = gt.astype(draw(st.sampled_from([np.bool_, np.uint8, np.int64])))
        ignore = None
    else:
        gt = labels_map.astype(gt_dtype)
        ignore = draw(st.sampled_from([None, 0, c - 1, 200]))
    threshold = draw(st.sampled_from([None, 0.5, 0.25]))
    labels = draw(st.sampled_from([None, [c - 1], list(range(c))[::-1]]))
    order = draw(st.sampled_from(["C", "F", "strided"]))
    return layout(scores, order), layout(gt, order), labels, threshold, ignore


@settings(max_examples=40, deadline=None)
@given(channel_batches(), st.sampled_from(BACKENDS))
def test_channel_layout_equals_brute_force(case, backend):
    scores, gt, labels, threshold, ignore = case
    expected = brute_counts(scores, gt, labels, threshold, ignore_index=ignore)
    found = batch.counts(scores, gt, labels=labels, threshold=threshold, ignore_index=ignore,
                         backend=backend)
    np.testing.assert_array_equal(stacked(found), expected)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([np.bool_, np.uint8, np.int32]),
       st.booleans(), st.sampled_from(BACKENDS))
def test_one_hot_pred_equals_brute_force(seed, dtype, gt_one_hot, backend):
    rng = np.random.default_rng(seed)
    c = int(rng.integers(1, 4))
    pred = (rng.random((2, c, 5, 6)) < 0.4).astype(dtype)  # multi-hot is allowed
    labels_map = rng.integers(0, c, (2, 5, 6))
    gt = (np.arange(c)[None, :, None, None] == labels_map[:, None]).astype(dtype) if gt_one_hot \
        else labels_map
    ignore = None if gt_one_hot else 0
    expected = brute_counts(pred, gt, None, None, one_hot=True, ignore_index=ignore)
    found = batch.counts(pred, gt, one_hot=True, ignore_index=ignore, backend=backend)
    np.testing.assert_array_equal(stacked(found), expected)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([np.uint8, np.int16, np.int64, np.uint16]),
       st.sampled_from([None, [1], [0, 2, 7], [3, 3]]), st.sampled_from([None, 2]),
       st.sampled_from(["C", "F", "strided"]), st.sampled_from(BACKENDS))
def test_index_layout_equals_brute_force(seed, dtype, labels, ignore, order, backend):
    rng = np.random.default_rng(seed)
    high = 2 if labels is None else 5
    gt = rng.integers(0, high, (3, 4, 5, 3)).astype(dtype)
    pred = rng.integers(0, high, gt.shape).astype(dtype)
    if labels is None:
        ignore = None
    expected = brute_counts(pred, gt, labels, ignore_index=ignore)
    found = batch.counts(layout(pred, order), layout(gt, order), labels=labels,
                         ignore_index=ignore, backend=backend)
    np.testing.assert_array_equal(stacked(found), expected)


def test_index_layout_with_labels_beyond_a_dense_table():
    rng = np.random.default_rng(3)
    gt = rng.choice(np.array([0, 5, 70000, 123456], dtype=np.int64), (2, 30))
    pred = rng.choice(np.array([0, 5, 70000, 99], dtype=np.int64), (2, 30))
    labels = [70000, 5, 123456, 4]
    np.testing.assert_array_equal(stacked(batch.counts(pred, gt, labels=labels)),
                                  brute_counts(pred, gt, labels))


def test_binary_metrics_match_the_single_case_functions():
    rng = np.random.default_rng(4)
    pred = rng.random((4, 9, 8)) < 0.5
    gt = rng.random((4, 9, 8)) < 0.5
    for name in ("dice", "jaccard", "sensitivity", "specificity", "precision", "accuracy",
                 "kappa"):
        values = getattr(batch, name)(pred, gt)
        assert values.shape == (4,)
        expected = [getattr(segmetrics, name)(pred[b], gt[b]) for b in range(4)]
        np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(batch.tversky(pred, gt, alpha=1.0, beta=0.2),
                                  [segmetrics.tversky(p, g, alpha=1.0, beta=0.2)
                                   for p, g in zip(pred, gt)])


def test_metrics_are_b_by_labels_and_empty_cases_follow_zero_division():
    scores = np.zeros((2, 3, 4), dtype=np.float32)
    scores[:, 0] = 1.0  # argmax is channel 0 everywhere
    gt = np.zeros((2, 4), dtype=np.uint8)
    values = batch.dice(scores, gt)
    assert values.shape == (2, 3) and values.dtype == np.float64
    np.testing.assert_array_equal(values, [[1.0, np.nan, np.nan]] * 2)
    np.testing.assert_array_equal(batch.dice(scores, gt, zero_division=1.0), [[1.0, 1.0, 1.0]] * 2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_samples_split_into_pieces_across_threads(monkeypatch, backend):
    monkeypatch.setattr(batch, "_PIECE_MIN_VOXELS", 8)
    monkeypatch.setattr(_layout, "PARALLEL_MIN_ELEMENTS", 16)
    monkeypatch.setattr(_layout, "_thread_count", lambda: 3)
    rng = np.random.default_rng(5)
    scores = rng.random((1, 3, 40, 9)).astype(np.float32)
    gt = rng.integers(0, 3, (1, 40, 9))
    onehot = (np.arange(3)[None, :, None, None] == gt[:, None]).astype(np.uint8)
    assert len(batch._pieces(batch._Batch(scores, gt, None, None, False, None), 3)) == 3
    for g in (gt, onehot):
        for threshold in (None, 0.5):
            np.testing.assert_array_equal(
                stacked(batch.counts(scores, g, threshold=threshold, backend=backend)),
                brute_counts(scores, g, threshold=threshold))
    np.testing.assert_array_equal(stacked(batch.counts(gt, gt[::-1], labels=[0, 2])),
                                  brute_counts(gt, gt[::-1], [0, 2]))


def test_cpu_tensors_with_gradients_are_read_without_copies():
    torch = pytest.importorskip("torch")
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 5, 5, generator=generator, requires_grad=True)
    target = torch.randint(0, 3, (2, 5, 5), generator=generator)
    expected = brute_counts(logits.detach().numpy(), target.numpy())
    np.testing.assert_array_equal(stacked(batch.counts(logits, target)), expected)


def test_device_route_equals_the_host_path():
    """The per-sample route taken for device arrays, run here with NumPy arrays."""
    rng = np.random.default_rng(6)
    scores = rng.random((2, 3, 6, 5))
    gt = rng.integers(0, 3, (2, 6, 5))
    onehot = (np.arange(3)[None, :, None, None] == gt[:, None]).astype(np.uint8)
    cases = [(scores, gt, {}), (scores, onehot, {}), (scores, gt, {"threshold": 0.4}),
             (scores, onehot, {"labels": [2, 0]}), (gt, gt[::-1], {"labels": [1, 2]}),
             (gt > 1, gt < 1, {})]
    for pred, target, options in cases:
        options = {"threshold": None, "one_hot": False, "labels": None} | options
        np.testing.assert_array_equal(
            stacked(batch._device_counts(pred, target, options["labels"], options["threshold"],
                                         False, None, "auto")),
            stacked(batch.counts(pred, target, **options)))


@pytest.mark.parametrize("per_sample", [False, True])
def test_distances_per_sample_and_label(per_sample):
    rng = np.random.default_rng(7)
    scores = rng.random((3, 3, 12, 10))
    gt = rng.integers(0, 3, (3, 12, 10))
    onehot = (np.arange(3)[None, :, None, None] == gt[:, None]).astype(np.uint8)
    spacing = rng.uniform(0.5, 2.0, (3, 2)) if per_sample else (1.5, 0.5)
    rows = spacing if per_sample else [spacing] * 3
    top = scores.argmax(axis=1)
    expected = np.array([[segmetrics.hd95(top[b] == c, gt[b] == c, spacing=tuple(rows[b]))
                          for c in (1, 2)] for b in range(3)])
    for target in (gt, onehot):
        np.testing.assert_array_equal(
            batch.hd95(scores, target, spacing=spacing, labels=[1, 2]), expected)
    thresholded = np.array([[segmetrics.assd(scores[b, c] >= 0.7, gt[b] == c,
                                             spacing=tuple(rows[b])) for c in range(3)]
                            for b in range(3)])
    np.testing.assert_array_equal(batch.assd(scores, gt, spacing=spacing, threshold=0.7),
                                  thresholded)
    index = batch.surface_dice(top, gt, tolerance=1.0, spacing=spacing, labels=[0, 2])
    np.testing.assert_array_equal(index, [[segmetrics.surface_dice(
        top[b] == c, gt[b] == c, tolerance=1.0, spacing=tuple(rows[b])) for c in (0, 2)]
        for b in range(3)])
    binary = batch.hausdorff(top == 1, gt == 1, spacing=spacing)
    assert binary.shape == (3,)
    np.testing.assert_array_equal(binary, expected[:, 0] * 0 + [
        segmetrics.hausdorff(top[b] == 1, gt[b] == 1, spacing=tuple(rows[b])) for b in range(3)])


def test_distances_run_on_the_shared_threads(monkeypatch):
    monkeypatch.setattr(_layout, "_thread_count", lambda: 3)
    rng = np.random.default_rng(8)
    pred = rng.random((4, 10, 10)) < 0.3
    gt = rng.random((4, 10, 10)) < 0.3
    np.testing.assert_array_equal(batch.hausdorff(pred, gt),
                                  [segmetrics.hausdorff(p, g) for p, g in zip(pred, gt)])


@pytest.mark.parametrize("call, message", [
    (lambda: batch.dice(np.zeros(3, np.uint8), np.zeros(3, np.uint8)), "batch axis first"),
    (lambda: batch.dice(np.zeros((2, 3), np.uint8), np.zeros((2, 4), np.uint8)), "same shape"),
    (lambda: batch.dice(np.zeros((2, 3, 4)), np.zeros((2, 5), np.uint8)), "gt must be one-hot"),
    (lambda: batch.dice(np.full((1, 2, 3), np.nan), np.zeros((1, 3), np.uint8)), "NaN"),
    (lambda: batch.dice(np.full((1, 2, 3), np.nan), np.zeros((1, 3), np.uint8), threshold=0.5),
     "NaN"),
    (lambda: batch.dice(np.zeros((1, 2, 3)), np.full((1, 3), 2, np.uint8)), r"\[0, 2\)"),
    (lambda: batch.dice(np.zeros((1, 2, 3)), np.full((1, 2, 3), 3, np.uint8)), "0/1"),
    (lambda: batch.dice(np.zeros((1, 2, 3)), np.zeros((1, 3), np.uint8), labels=[2]),
     "channel indices"),
    (lambda: batch.dice(np.zeros((1, 3), np.uint8), np.zeros((1, 3), np.uint8), threshold=0.5),
     "threshold needs floating"),
    (lambda: batch.dice(np.zeros((1, 2, 3)), np.zeros((1, 2, 3), np.uint8), one_hot=True),
     "one_hot=True expects"),
    (lambda: batch.dice(np.zeros((1, 2, 3)), np.zeros((1, 2, 3), np.uint8), ignore_index=0),
     "ignore_index needs a label-map"),
    (lambda: batch.dice(np.full((1, 3), 2, np.uint8), np.zeros((1, 3), np.uint8)), "0/1"),
    (lambda: batch.dice(np.full((1, 3), -1, np.int16), np.zeros((1, 3), np.int16), labels=[1]),
     "non-negative"),
    (lambda: batch.hd95(np.zeros((2, 3), bool), np.zeros((2, 3), bool), spacing=np.ones((3, 1))),
     r"shape \(B, ndim\)"),
    (lambda: batch.dice(np.zeros((1, 3), bool), np.zeros((1, 3), bool), backend="triton"),
     "host arrays"),
])
def test_bad_input_is_refused_with_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


KERNEL_NAMES = ("argmax_onehot_counts", "argmax_confusion", "threshold_index_counts")


# Channel counts that take each path of the Cython kernels: the pair table by byte
# compares (<= 6), by byte histograms (<= 15), per voxel in a block (<= 253), and the
# per-voxel kernels of wider maps (> 253).
CHANNEL_COUNTS = [1, 2, 3, 4, 5, 6, 7, 12, 15, 16, 40, 253, 254, 300]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(CHANNEL_COUNTS), st.integers(0, 9000),
       st.sampled_from([np.float32, np.float64]), st.sampled_from([np.uint8, np.int64]))
def test_channel_kernels_equal_the_reference(seed, c, n, dtype, gt_dtype):
    # n spans several 4080-voxel blocks of the Cython kernels, start/stop cut them anywhere.
    rng = np.random.default_rng(seed)
    n = n if c < 40 else n // 20
    scores = np.round(rng.random((c, n)) * 4).astype(dtype)  # many ties
    if n and seed % 3 == 0:  # NaN is counted; the argmax of its voxel is unspecified
        scores[rng.integers(0, c), rng.integers(0, n)] = np.nan
    top = min(c + 1, 255) if gt_dtype == np.uint8 else c + 1
    labels_map = rng.integers(-1, top, n).astype(gt_dtype)
    onehot = (np.arange(c)[:, None] == labels_map[None]).astype(gt_dtype)
    start = int(rng.integers(0, n + 1))
    stop = int(rng.integers(start, n + 1))
    ignore = (bool(seed % 2), gt_dtype(min(c, top) - 1 if seed % 4 < 2 else top - 1))
    reference = kernels("numpy")
    for name in BACKENDS:
        module = kernels(name)
        for kernel, args, shape in [
                ("argmax_onehot_counts", (scores, onehot, start, stop), (c, 3)),
                ("argmax_confusion", (scores, labels_map, start, stop), (c, c)),
                ("threshold_index_counts", (scores, labels_map, 2.0, start, stop), (c, 3))]:
            extra = () if kernel == "argmax_onehot_counts" else ignore
            want, got = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
            assert getattr(module, kernel)(*args, got, *extra) == \
                getattr(reference, kernel)(*args, want, *extra), (name, kernel)
            if not np.isnan(scores[:, start:stop]).any():
                np.testing.assert_array_equal(got, want, err_msg=f"{name} {kernel}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("c", [1, 4, 9, 30])
def test_channel_kernels_count_full_blocks_exactly(c, dtype):
    """Every voxel of several whole blocks in one class: the 8-bit lane counters of the
    Cython kernels reach their limit in each block and must spill without loss."""
    n = 3 * 4080 + 37
    scores = np.zeros((c, n), dtype=dtype)
    scores[c - 1] = 1  # ties elsewhere: the argmax is channel c - 1 at every voxel
    labels_map = np.full(n, c - 1, dtype=np.uint8)
    onehot = (np.arange(c)[:, None] == labels_map[None]).astype(np.uint8)
    for name in BACKENDS:
        module = kernels(name)
        out = np.zeros((c, 3), np.int64)
        assert module.argmax_onehot_counts(scores, onehot, 0, n, out) == (1, 0)
        np.testing.assert_array_equal(out[c - 1], [n, n, n], err_msg=name)
        assert out[:c - 1].sum() == 0
        table = np.zeros((c, c), np.int64)
        assert module.argmax_confusion(scores, labels_map, 0, n, table, False, 0) == (0, 0)
        assert table[c - 1, c - 1] == n and table.sum() == n, name
        out = np.zeros((c, 3), np.int64)
        assert module.threshold_index_counts(scores, labels_map, 0.0, 0, n, out, False, 0) == (
            n, 0, 0)
        np.testing.assert_array_equal(out[:, 0], np.full(c, n), err_msg=name)
        np.testing.assert_array_equal(out[c - 1], [n, n, n], err_msg=name)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 4), st.integers(0, 300),
       st.sampled_from([np.float32, np.float64]), st.sampled_from([np.uint8, np.int64]))
def test_row_kernels_equal_the_reference(seed, rows, n, dtype, gt_dtype):
    rng = np.random.default_rng(seed)
    prob = rng.random((rows, n)).astype(dtype)
    if prob.size:
        prob.flat[rng.integers(0, prob.size)] = np.nan
    gt = rng.integers(0, 3 if seed % 2 else 2, (rows, n)).astype(gt_dtype)
    pred = rng.integers(0, 2, (rows, n)).astype(gt_dtype)
    reference = kernels("numpy")
    for name in BACKENDS:
        module = kernels(name)
        for kernel, args in [("threshold_rows", (prob, gt, 0.5)), ("binary_rows", (pred, gt))]:
            want, got = np.zeros((rows, 3), np.int64), np.zeros((rows, 3), np.int64)
            assert getattr(module, kernel)(*args, got) == getattr(reference, kernel)(*args, want)
            if gt.max(initial=0) <= 1:  # counts are defined for 0/1 values (the bits say so)
                np.testing.assert_array_equal(got, want, err_msg=f"{name} {kernel}")


@pytest.mark.parametrize("module", ["segmetrics.batch", "segmetrics.accumulate",
                                    "segmetrics._executor"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0
    assert result.failed == 0
