"""The counts family: brute-force oracles, scikit-learn and MONAI parity, 0/0 rules, label maps."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import segmetrics
from segmetrics import from_counts

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=7)
binary_masks = shapes.flatmap(
    lambda shape: st.tuples(hnp.arrays(np.bool_, shape), hnp.arrays(np.bool_, shape)))
NAN = float("nan")


def _div(a, b):
    return NAN if b == 0 else a / b


def oracle(name, pred, gt, beta=1.0):
    """The textbook definition of each metric, on Python ints, NaN where it is 0/0."""
    p, g = pred.ravel().tolist(), gt.ravel().tolist()
    tp = sum(a and b for a, b in zip(p, g))
    fp = sum(a and not b for a, b in zip(p, g))
    fn = sum(b and not a for a, b in zip(p, g))
    tn = sum(not a and not b for a, b in zip(p, g))
    vp, vg, n = tp + fp, tp + fn, len(p)
    tpr, tnr = _div(tp, vg), _div(tn, tn + fp)
    ppv, npv = _div(tp, vp), _div(tn, tn + fn)
    if name == "volume_similarity":
        return NAN if vp + vg == 0 else 1 - abs(vp - vg) / (vp + vg)
    if name == "absolute_volume_difference":
        return abs(vp - vg)
    if name == "relative_volume_difference":
        return (math.inf if vp else NAN) if vg == 0 else (vp - vg) / vg
    if name == "mcc":
        den = vp * vg * (tn + fp) * (tn + fn)
        return NAN if den == 0 else (tp * tn - fp * fn) / math.sqrt(den)
    if name == "false_positive_rate":
        return _div(fp, fp + tn)
    if name == "false_negative_rate":
        return _div(fn, vg)
    if name == "npv":
        return npv
    if name == "false_discovery_rate":
        return _div(fp, vp)
    if name == "balanced_accuracy":
        rates = [r for r in (tpr, tnr) if not math.isnan(r)]
        return sum(rates) / len(rates) if rates else NAN
    if name == "fbeta":
        b2 = beta * beta
        return _div((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp)
    if name == "informedness":
        return tpr + tnr - 1
    if name == "markedness":
        return ppv + npv - 1
    if name == "prevalence":
        return _div(vg, n)
    raise AssertionError(name)


RATES = ["volume_similarity", "absolute_volume_difference", "relative_volume_difference", "mcc",
         "false_positive_rate", "false_negative_rate", "npv", "false_discovery_rate",
         "balanced_accuracy", "fbeta", "informedness", "markedness", "prevalence"]


@settings(max_examples=60, deadline=None)
@given(masks=binary_masks, beta=st.sampled_from([0.5, 1.0, 2.0, 3.7]))
def test_every_rate_equals_its_brute_force_definition(masks, beta):
    pred, gt = masks
    for name in RATES:
        params = {"beta": beta} if name == "fbeta" else {}
        value = getattr(segmetrics, name)(pred, gt, **params)
        assert isinstance(value, float), name
        np.testing.assert_allclose(value, oracle(name, pred, gt, beta), rtol=1e-12, atol=1e-15,
                                   err_msg=name)


@settings(max_examples=30, deadline=None)
@given(data=shapes.flatmap(lambda shape: st.tuples(
    hnp.arrays(np.uint8, shape, elements=st.integers(0, 4)),
    hnp.arrays(np.uint8, shape, elements=st.integers(0, 4)))))
def test_labels_score_each_label_one_vs_rest(data):
    pred, gt = data
    labels = [3, 1, 0, 7]
    for name in RATES:
        params = {} if name == "absolute_volume_difference" else {"zero_division": -2.0}
        per_label = getattr(segmetrics, name)(pred, gt, labels=labels, **params)
        for label, value in zip(labels, per_label):
            expected = getattr(segmetrics, name)(pred == label, gt == label, **params)
            np.testing.assert_allclose(value, expected, rtol=1e-12, err_msg=name)


def test_from_counts_takes_arrays_and_sums():
    counts = from_counts.Counts(np.array([3, 0]), np.array([1, 0]), np.array([2, 0]),
                                np.array([10, 5]))
    np.testing.assert_allclose(from_counts.mcc(counts, zero_division=0.0),
                               [(30 - 2) / math.sqrt(4 * 5 * 11 * 12), 0.0])
    np.testing.assert_allclose(from_counts.fbeta(counts, beta=2.0), [15 / (15 + 8 + 1), NAN])
    assert from_counts.absolute_volume_difference(counts, voxel_volume=2.5).tolist() == [2.5, 0]


def test_zero_division_rules():
    empty = np.zeros(5, bool)
    full = np.ones(5, bool)
    some = np.array([1, 1, 0, 0, 0], bool)
    # both empty: every rate that needs a foreground is 0/0
    for name in ["volume_similarity", "relative_volume_difference", "mcc", "false_negative_rate",
                 "false_discovery_rate", "fbeta", "informedness", "markedness"]:
        assert math.isnan(getattr(segmetrics, name)(empty, empty)), name
        assert getattr(segmetrics, name)(empty, empty, zero_division=0.25) == 0.25, name
    assert segmetrics.absolute_volume_difference(empty, empty) == 0.0
    assert segmetrics.prevalence(empty, empty) == 0.0
    assert segmetrics.balanced_accuracy(empty, empty) == 1.0  # TNR, the one defined rate
    assert segmetrics.balanced_accuracy(some, empty) == 0.6
    assert segmetrics.relative_volume_difference(some, empty) == math.inf
    assert segmetrics.relative_volume_difference(empty, some) == -1.0
    assert math.isnan(segmetrics.false_positive_rate(empty, full))
    assert math.isnan(segmetrics.npv(full, some))
    assert math.isnan(segmetrics.mcc(full, some))
    assert segmetrics.volume_similarity(empty, some) == 0.0
    assert segmetrics.false_negative_rate(empty, some) == 1.0
    # an all-ignored input counts nothing
    assert math.isnan(segmetrics.prevalence(some, np.zeros(5, np.uint8), ignore_index=0))
    assert math.isnan(segmetrics.balanced_accuracy(some, np.zeros(5, np.uint8), ignore_index=0))


def test_bad_parameters_are_refused():
    pred = gt = np.array([1, 0])
    with pytest.raises(ValueError, match="beta must be > 0"):
        segmetrics.fbeta(pred, gt, beta=0.0)
    with pytest.raises(TypeError, match="beta must be a real number"):
        segmetrics.fbeta(pred, gt, beta="2")
    with pytest.raises(ValueError, match="voxel_volume must be >= 0"):
        segmetrics.absolute_volume_difference(pred, gt, voxel_volume=-1.0)
    with pytest.raises(ValueError, match="weight must be one of"):
        segmetrics.generalized_dice(pred, gt, weight="cubic")
    with pytest.raises(ValueError, match="binary metrics need masks"):
        segmetrics.mcc(np.array([0, 2]), gt)


def test_threshold_and_dask_inputs_reach_the_rates():
    rng = np.random.default_rng(0)
    prob = rng.random((6, 7)).astype(np.float32)
    gt = rng.random((6, 7)) > 0.5
    assert segmetrics.mcc(prob, gt, threshold=0.5) == segmetrics.mcc(prob >= 0.5, gt)
    da = pytest.importorskip("dask.array")
    value = segmetrics.fbeta(da.from_array(prob >= 0.5, chunks=3), da.from_array(gt, chunks=3),
                             beta=2.0)
    assert value == segmetrics.fbeta(prob >= 0.5, gt, beta=2.0)


# --- peers ---------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(max_examples=40, deadline=None)
@given(masks=binary_masks, beta=st.sampled_from([0.5, 2.0]))
def test_equal_sklearn_where_defined(masks, beta):
    from sklearn.metrics import balanced_accuracy_score, fbeta_score, matthews_corrcoef

    pred, gt = masks
    y_true, y_pred = gt.ravel(), pred.ravel()
    ours = segmetrics.mcc(pred, gt, zero_division=0.0)  # sklearn's 0/0 value
    np.testing.assert_allclose(ours, matthews_corrcoef(y_true, y_pred), atol=1e-12)
    np.testing.assert_allclose(segmetrics.fbeta(pred, gt, beta=beta, zero_division=0.0),
                               fbeta_score(y_true, y_pred, beta=beta, zero_division=0.0),
                               rtol=1e-12)
    np.testing.assert_allclose(segmetrics.balanced_accuracy(pred, gt),
                               balanced_accuracy_score(y_true, y_pred), rtol=1e-12)


MONAI_NAMES = {
    "false_positive_rate": "fall out", "false_negative_rate": "miss rate",
    "npv": "negative predictive value", "false_discovery_rate": "false discovery rate",
    "balanced_accuracy": "balanced accuracy", "mcc": "matthews correlation coefficient",
    "informedness": "informedness", "markedness": "markedness",
}


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=12, deadline=None)
@given(masks=binary_masks)
def test_equal_monai_confusion_matrix_metric_where_both_defined(masks):
    torch = pytest.importorskip("torch")
    metrics = pytest.importorskip("monai.metrics")
    pred, gt = masks
    as_batch = lambda m: torch.as_tensor(m.reshape(1, 1, -1).astype(np.float32))  # noqa: E731
    matrix = metrics.get_confusion_matrix(as_batch(pred), as_batch(gt), include_background=True)
    for ours, theirs in MONAI_NAMES.items():
        expected = float(metrics.compute_confusion_matrix_metric(theirs, matrix).reshape(()))
        value = getattr(segmetrics, ours)(pred, gt)
        if math.isnan(expected):
            # MONAI's only divergence: balanced accuracy with a one-class ground truth
            assert math.isnan(value) or ours == "balanced_accuracy", ours
            continue
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6, err_msg=ours)


# --- generalised Dice ----------------------------------------------------------------------

def gds_oracle(pred, gt, labels):
    weights, inter, total = [], [], []
    for label in labels:
        g, p = gt == label, pred == label
        weights.append(math.inf if g.sum() == 0 else 1.0 / float(g.sum()) ** 2)
        inter.append(float((g & p).sum()))
        total.append(float(g.sum() + p.sum()))
    finite = [w for w in weights if w != math.inf]
    weights = [(max(finite) if finite else 1.0) if w == math.inf else w for w in weights]
    den = sum(w * t for w, t in zip(weights, total))
    return NAN if den == 0 else 2 * sum(w * i for w, i in zip(weights, inter)) / den


@settings(max_examples=40, deadline=None)
@given(data=shapes.flatmap(lambda shape: st.tuples(
    hnp.arrays(np.uint8, shape, elements=st.integers(0, 3)),
    hnp.arrays(np.uint8, shape, elements=st.integers(0, 3)))))
def test_generalized_dice_equals_its_definition_and_monai(data):
    pred, gt = data
    labels = [1, 2, 3]
    value = segmetrics.generalized_dice(pred, gt, labels=labels)
    np.testing.assert_allclose(value, gds_oracle(pred, gt, labels), rtol=1e-12)
    torch = pytest.importorskip("torch")
    metrics = pytest.importorskip("monai.metrics")
    one_hot = lambda m: torch.as_tensor(  # noqa: E731
        np.stack([m.ravel() == k for k in range(4)])[None].astype(np.float64))
    theirs = float(metrics.compute_generalized_dice(one_hot(pred), one_hot(gt),
                                                    include_background=False,
                                                    sum_over_classes=True).reshape(()))
    if math.isnan(value):
        assert theirs == 1.0  # MONAI's 0/0 value; ours is zero_division
    else:
        np.testing.assert_allclose(value, theirs, rtol=1e-6)  # MONAI weighs in float32


def test_generalized_dice_of_one_label_is_dice_and_weights_differ():
    pred = np.array([0, 1, 1, 2, 2, 2])
    gt = np.array([0, 1, 2, 2, 2, 2])
    assert segmetrics.generalized_dice(pred == 2, gt == 2) == segmetrics.dice(pred == 2, gt == 2)
    uniform = segmetrics.generalized_dice(pred, gt, labels=[1, 2], weight="uniform")
    assert uniform == (2 * (1 + 3)) / (3 + 7)
    simple = segmetrics.generalized_dice(pred, gt, labels=[1, 2], weight="simple")
    assert simple == pytest.approx(2 * (1 + 3 / 4) / (3 + 7 / 4), rel=1e-15)
    assert math.isnan(segmetrics.generalized_dice(pred, gt, labels=[5, 6]))
    assert segmetrics.generalized_dice(pred, gt, labels=[5, 6], zero_division=1.0) == 1.0


def test_docstring_examples_run():
    import doctest

    from segmetrics import rates

    for module in (rates, from_counts):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0
