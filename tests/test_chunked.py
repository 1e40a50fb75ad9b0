"""Dask arrays, e.g. over a Zarr store: per-chunk counts summed equal the in-memory result."""
import numpy as np
import pytest

import segmetrics

da = pytest.importorskip("dask.array")
zarr = pytest.importorskip("zarr")


@pytest.fixture
def zarr_pair(tmp_path, rng):
    gt = rng.integers(0, 6, (20, 18, 16), dtype=np.uint8)
    pred = np.where(rng.random(gt.shape) < 0.8, gt, rng.integers(0, 6, gt.shape)).astype(np.uint8)
    arrays = []
    for name, values, chunks in (("pred", pred, (7, 9, 16)), ("gt", gt, (5, 5, 5))):
        store = zarr.open_array(str(tmp_path / f"{name}.zarr"), mode="w", shape=values.shape,
                                chunks=chunks, dtype=values.dtype)
        store[...] = values
        arrays.append(da.from_zarr(str(tmp_path / f"{name}.zarr")))
    return pred, gt, arrays[0], arrays[1]


def test_confusion_matrix_of_zarr_volumes_equals_in_memory(zarr_pair, backend):
    pred, gt, pred_lazy, gt_lazy = zarr_pair
    expected = segmetrics.confusion_matrix(pred, gt, backend=backend)
    np.testing.assert_array_equal(segmetrics.confusion_matrix(pred_lazy, gt_lazy, backend=backend),
                                  expected)
    np.testing.assert_array_equal(
        segmetrics.confusion_matrix(pred_lazy, gt, num_classes=8, ignore_index=2, backend=backend),
        segmetrics.confusion_matrix(pred, gt, num_classes=8, ignore_index=2, backend=backend))


def test_metrics_of_zarr_volumes_equal_in_memory(zarr_pair):
    pred, gt, pred_lazy, gt_lazy = zarr_pair
    np.testing.assert_array_equal(segmetrics.dice(pred_lazy, gt_lazy, labels=[1, 5, 9]),
                                  segmetrics.dice(pred, gt, labels=[1, 5, 9]))
    assert segmetrics.kappa(pred_lazy, gt_lazy, multiclass=True) == segmetrics.kappa(
        pred, gt, multiclass=True)
    assert segmetrics.jaccard(pred_lazy > 2, gt_lazy > 2) == segmetrics.jaccard(pred > 2, gt > 2)
    prob = da.from_array(pred / 5.0, chunks=(4, 6, 16))
    assert segmetrics.binary_counts(prob, gt_lazy > 2, threshold=0.5) == segmetrics.binary_counts(
        pred / 5.0, gt > 2, threshold=0.5)


def test_bad_chunked_input_is_refused(zarr_pair):
    pred, gt, pred_lazy, gt_lazy = zarr_pair
    with pytest.raises(ValueError, match="same shape"):
        segmetrics.dice(pred_lazy[:5], gt_lazy, labels=[1])
    with pytest.raises(ValueError, match=r"pred holds the values"):
        segmetrics.dice(pred_lazy, gt_lazy > 2)
