"""segmetrics.Accumulator: both aggregations, the inf rule, merging, pickling, errors."""
import math
import pickle

import numpy as np
import pytest

import segmetrics
from segmetrics import Accumulator


def _cases(seed=0, n=7):
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(n):
        gt = rng.integers(0, 3, (9, 8))
        pred = np.where(rng.random(gt.shape) < 0.3, rng.integers(0, 3, gt.shape), gt)
        cases.append((pred, gt))
    # both empty for label 2; label 2 predicted where absent
    cases.append((np.zeros((9, 8), int), np.zeros((9, 8), int)))
    cases.append((np.full((9, 8), 2), np.ones((9, 8), int)))
    return cases


def test_mean_and_micro_equal_per_case_and_summed_counts():
    cases = _cases()
    acc = Accumulator(["dice", "jaccard", "kappa"], labels=[1, 2])
    for pred, gt in cases:
        acc.update_case(pred, gt)
    per_case = np.array([segmetrics.dice(p, g, labels=[1, 2]) for p, g in cases])
    np.testing.assert_array_equal(acc.per_case()["dice"], per_case)
    np.testing.assert_allclose(acc.compute()["dice"], np.nanmean(per_case, axis=0), rtol=1e-15)
    summed = [segmetrics.confusion_matrix(p, g, num_classes=3) for p, g in cases]
    counts = segmetrics.from_counts.per_label_counts(sum(summed), [1, 2])
    micro = acc.compute(aggregation="micro")
    np.testing.assert_array_equal(micro["dice"], segmetrics.from_counts.dice(counts))
    np.testing.assert_array_equal(micro["kappa"], segmetrics.from_counts.kappa(counts))
    np.testing.assert_array_equal(np.stack(acc.counts(), -1), np.stack(counts, -1))
    assert acc.n_cases == len(cases)


def test_both_empty_cases_follow_zero_division():
    empty = np.zeros((1, 4, 4), np.uint8)
    hit = np.ones((1, 4, 4), np.uint8)
    nan_policy = Accumulator(["dice"])
    one_policy = Accumulator(["dice"], zero_division=1.0)
    for acc in (nan_policy, one_policy):
        acc.update(empty, empty)
        acc.update(hit, hit)
        acc.update(hit, empty)
    assert nan_policy.compute()["dice"] == 0.5  # the both-empty case is left out
    assert one_policy.compute()["dice"] == pytest.approx(2 / 3)  # (1 + 1 + 0) / 3
    assert math.isnan(Accumulator(["dice"]).merge(nan_policy).per_case()["dice"][0])


def test_batches_cases_and_merges_give_the_same_state():
    cases = _cases(1)
    preds = np.stack([p for p, _ in cases])
    gts = np.stack([g for _, g in cases])
    metrics = ["dice", "precision", "hd95", "assd", "nsd"]
    options = dict(labels=[1, 2], spacing=(1.0, 2.0), nsd_tolerance=1.5)
    whole = Accumulator(metrics, **options)
    whole.update(preds, gts)
    first, second = Accumulator(metrics, **options), Accumulator(metrics, **options)
    first.update(preds[:3], gts[:3])
    for pred, gt in cases[3:]:
        second.update_case(pred, gt)
    merged = first.merge(pickle.loads(pickle.dumps(second)))
    for aggregation in ("mean", "micro"):
        got, want = merged.compute(aggregation=aggregation), whole.compute(aggregation=aggregation)
        for name in metrics:
            np.testing.assert_array_equal(got[name], want[name])


def test_distance_inf_is_replaced_by_the_image_diagonal():
    gt = np.zeros((2, 10, 20), np.uint8)
    gt[:, 2:5, 3:9] = 1
    pred = gt.copy()
    pred[1] = 0  # second case: prediction empty -> hd inf
    pred[0, 2:5, 9] = 1
    acc = Accumulator(["hd", "dice"], spacing=(2.0, 0.5))
    acc.update(pred, gt)
    per_case = acc.per_case()["hd"]
    assert per_case[1] == math.inf
    hd0 = segmetrics.hausdorff(pred[0], gt[0], spacing=(2.0, 0.5))
    diagonal = math.hypot(10 * 2.0, 20 * 0.5)
    assert acc.compute()["hd"] == pytest.approx((hd0 + diagonal) / 2, rel=1e-15)
    both_empty = Accumulator(["hd"])
    both_empty.update(np.zeros((1, 3, 3), bool), np.zeros((1, 3, 3), bool))
    assert math.isnan(both_empty.compute()["hd"])


def test_channel_batches_and_reset():
    rng = np.random.default_rng(2)
    scores = rng.random((4, 3, 6, 6)).astype(np.float32)
    gt = rng.integers(0, 3, (4, 6, 6))
    acc = Accumulator(["dice"])
    acc.update(scores, gt)
    np.testing.assert_array_equal(acc.per_case()["dice"], segmetrics.batch.dice(scores, gt))
    assert acc.compute()["dice"].shape == (3,)
    acc.reset()
    assert acc.n_cases == 0
    with pytest.raises(ValueError, match="holds no cases"):
        acc.compute()


@pytest.mark.parametrize("make, message", [
    (lambda: Accumulator(["dice", "f1"]), "each metric must be one of"),
    (lambda: Accumulator(["nsd"]), "nsd_tolerance"),
    (lambda: Accumulator(["dice"], aggregation="macro"), "aggregation must be one of"),
    (lambda: Accumulator([]), "at least one"),
])
def test_bad_settings_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_mismatched_batches_and_merges_are_refused():
    acc = Accumulator(["dice"], labels=[1])
    acc.update(np.ones((1, 3), int), np.ones((1, 3), int))
    with pytest.raises(ValueError, match="different metrics, labels or settings"):
        acc.merge(Accumulator(["dice"], labels=[1, 2]))
    with pytest.raises(TypeError, match="must be an Accumulator"):
        acc.merge({"dice": 1.0})
    channels = Accumulator(["dice"])
    channels.update(np.zeros((1, 2, 3), np.float32), np.zeros((1, 3), np.uint8))
    with pytest.raises(ValueError, match="this batch has 3 labels"):
        channels.update(np.zeros((1, 3, 3), np.float32), np.zeros((1, 3), np.uint8))
