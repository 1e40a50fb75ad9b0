"""Bad input raises a clear error before any kernel runs; never a wrong number."""
import numpy as np
import pytest

import segmetrics
from segmetrics import _backends

MASK = np.array([[0, 1], [1, 0]], dtype=np.uint8)
LABELS = np.array([[0, 1], [2, 3]], dtype=np.uint8)


@pytest.mark.parametrize(("pred", "gt", "error", "match"), [
    (np.zeros((2, 2), bool), np.zeros((2, 3), bool), ValueError, r"same shape.*\(2, 2\).*\(2, 3\)"),
    (np.zeros((0, 3), bool), np.zeros((0, 3), bool), ValueError, "empty"),
    (np.zeros(4, np.float32), np.zeros(4, bool), TypeError, "threshold="),
    (np.zeros(4, bool), np.zeros(4, np.float64), TypeError, "gt must have a bool or integer"),
    (np.array(["a", "b"]), np.zeros(2, bool), TypeError, "pred must be an array of bool"),
    (np.zeros(2, complex), np.zeros(2, bool), TypeError, "pred must be an array"),
    (np.zeros(2, bool), np.array([None, None]), TypeError, "gt must be an array"),
    (MASK * 255, MASK, ValueError, r"pred holds the values \{0, 255\}.*mask > 0"),
    (MASK, LABELS, ValueError, r"gt holds the values \{0, 1, 2, 3\}.*labels="),
    (MASK.astype(np.int8) - 1, MASK, ValueError, r"\{-1, 0\}"),
])
def test_bad_binary_inputs_are_refused(pred, gt, error, match, backend):
    with pytest.raises(error, match=match):
        segmetrics.dice(pred, gt, backend=backend)


def test_nan_in_a_probability_map_is_refused(backend):
    prob = np.array([0.2, np.nan, 0.9])
    with pytest.raises(ValueError, match="NaN"):
        segmetrics.dice(prob, np.array([0, 1, 1]), threshold=0.5, backend=backend)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"threshold": float("nan")}, ValueError, "threshold must not be NaN"),
    ({"threshold": float("inf")}, ValueError, "threshold must be finite"),
    ({"threshold": "0.5"}, TypeError, "threshold must be a real number"),
    ({"threshold": 0.5, "labels": [1]}, ValueError, "cannot be used with labels"),
    ({"zero_division": "nan"}, TypeError, "zero_division"),
    ({"ignore_index": 1.5}, TypeError, "ignore_index must be an integer"),
    ({"backend": "cuda"}, ValueError, r"backend must be 'auto' or one of"),
])
def test_bad_options_are_refused(kwargs, error, match):
    pred = np.array([0.1, 0.9]) if "threshold" in kwargs else np.array([0, 1])
    with pytest.raises(error, match=match):
        segmetrics.dice(pred, np.array([0, 1]), **kwargs)


@pytest.mark.parametrize(("labels", "error", "match"), [
    ([], ValueError, "must not be empty"),
    ([-1, 2], ValueError, "each label must be >= 0"),
    ([1.5], TypeError, "each label must be an integer"),
    ("12", TypeError, "labels must be a 1-D sequence"),
    ([[1, 2]], TypeError, "labels must be a 1-D sequence"),
    ([True], TypeError, "each label must be an integer"),
])
def test_bad_labels_are_refused(labels, error, match):
    with pytest.raises(error, match=match):
        segmetrics.dice(LABELS, LABELS, labels=labels)


def test_label_maps_with_floats_are_refused():
    with pytest.raises(TypeError, match="pred must have a bool or integer dtype"):
        segmetrics.dice(LABELS.astype(np.float32), LABELS, labels=[1])


@pytest.mark.parametrize(("alpha", "beta", "error"), [
    (-0.1, 0.5, ValueError), (0.5, float("nan"), ValueError), (True, 0.5, TypeError)])
def test_bad_tversky_weights_are_refused(alpha, beta, error):
    with pytest.raises(error):
        segmetrics.tversky(MASK, MASK, alpha=alpha, beta=beta)


def test_labels_outside_num_classes_are_refused(backend):
    with pytest.raises(ValueError, match=r"not \[0, 3\).*gt holds the values \{0, 1, 2, 3\}"):
        segmetrics.confusion_matrix(LABELS, LABELS, num_classes=3, backend=backend)


def test_negative_labels_are_refused(backend):
    with pytest.raises(ValueError, match="non-negative"):
        segmetrics.confusion_matrix(LABELS.astype(np.int16) - 1, LABELS, backend=backend)
    with pytest.raises(ValueError, match=r"holds the values \{-1, 0, 1, 2\}"):
        segmetrics.dice(LABELS.astype(np.int8) - 1, LABELS, labels=[1], backend=backend)
    with pytest.raises(ValueError, match=r"holds the values \{-1, 0, 1, 2\}"):
        segmetrics.dice(LABELS.astype(np.int16) - 1, LABELS, labels=[1], backend=backend)


@pytest.mark.parametrize(("num_classes", "error"), [(0, ValueError), (2.0, TypeError),
                                                     (True, TypeError)])
def test_bad_num_classes_are_refused(num_classes, error):
    with pytest.raises(error, match="num_classes"):
        segmetrics.confusion_matrix(LABELS, LABELS, num_classes=num_classes)


def test_unavailable_backend_names_what_to_install(monkeypatch):
    monkeypatch.setitem(_backends._MODULES, "numba", "segmetrics._not_a_module")
    with pytest.raises(ImportError, match=r"pip install \"segmetrics\[numba\]\""):
        segmetrics.dice(MASK, MASK, backend="numba")
    assert "numba" not in segmetrics.available_backends()


def test_ignore_index_the_dtype_cannot_hold_matches_nothing():
    gt = np.array([1, 0, 1], dtype=np.uint8)
    assert segmetrics.binary_counts(gt, gt, ignore_index=-1) == (2, 0, 0, 1)
    assert segmetrics.binary_counts(gt, gt, ignore_index=300) == (2, 0, 0, 1)
