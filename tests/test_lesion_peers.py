"""Lesion-wise evaluation against peers where the definitions coincide (conventions page)."""
import inspect
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from segmetrics import lesion


def _masks(shape_strategy, density):
    return shape_strategy.flatmap(lambda shape: st.tuples(
        hnp.arrays(np.bool_, shape, elements=st.floats(0, 1).map(lambda u: u < density)),
        hnp.arrays(np.bool_, shape, elements=st.floats(0, 1).map(lambda u: u < density))))


def brats_2023_transcription(pred, gt):
    """BraTS 2023 lesion-wise Dice as its evaluation script computes it, without the GT
    dilation (dilation factor 0) and without the volume threshold: 26-connected components,
    a predicted component matches every GT lesion it touches, FPs count 0, both empty is 1."""
    from scipy import ndimage

    structure = ndimage.generate_binary_structure(3, 3)
    gt_cc, n_gt = ndimage.label(gt, structure)
    pred_cc, _ = ndimage.label(pred, structure)
    tp, scores = [], []
    for g in range(1, n_gt + 1):
        gt_tmp = gt_cc == g
        hits = np.unique(pred_cc[gt_tmp])
        hits = hits[hits != 0]
        tp.extend(hits.tolist())
        pred_tmp = np.isin(pred_cc, hits)
        scores.append(2 * (pred_tmp & gt_tmp).sum() / (pred_tmp.sum() + gt_tmp.sum()))
    fp = np.unique(pred_cc[~np.isin(pred_cc, tp + [0])])
    denominator = n_gt + len(fp)
    return (sum(scores) / denominator if denominator else 1.0), len(fp)


@settings(max_examples=25, deadline=None)
@given(masks=_masks(hnp.array_shapes(min_dims=3, max_dims=3, min_side=2, max_side=6), 0.3))
def test_brats_2023_rule_without_dilation(masks):
    pred, gt = masks
    ours = lesion.lesion_wise(pred, gt, connectivity="full", criterion="overlap", threshold=0.0)
    expected, n_fp = brats_2023_transcription(pred, gt)
    assert ours.fp == n_fp
    np.testing.assert_allclose(ours.lesion_dice if ours.n_gt + ours.n_pred else 1.0, expected,
                               rtol=1e-12)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(max_examples=8, deadline=None)
@given(masks=st.one_of(
    _masks(hnp.array_shapes(min_dims=3, max_dims=3, min_side=3, max_side=6), 0.35),
    _masks(hnp.array_shapes(min_dims=2, max_dims=2, min_side=3, max_side=9), 0.4)))
def test_panoptica_detection_and_panoptic_quality(masks):
    panoptica = pytest.importorskip("panoptica")
    from panoptica.utils.citation_reminder import disable_citation_reminder

    disable_citation_reminder()
    pred, gt = masks
    evaluator = panoptica.Panoptica_Evaluator(
        expected_input=panoptica.InputType.SEMANTIC,
        instance_approximator=panoptica.ConnectedComponentsInstanceApproximator(),
        instance_matcher=panoptica.NaiveThresholdMatching(matching_threshold=0.5,
                                                          strict_threshold=True),
        instance_metrics=[panoptica.Metric.IOU], global_metrics=[panoptica.Metric.DSC],
        decision_metric=None, log_times=False, verbose=False)
    theirs = evaluator.evaluate(pred.astype(np.uint8), gt.astype(np.uint8),
                                verbose=False)["ungrouped"]
    # panoptica labels 3-D inputs with cc3d's default 26-connectivity, 2-D with SciPy's 4
    ours = lesion.lesion_wise(pred, gt, connectivity="full" if gt.ndim == 3 else "face")
    assert (ours.tp, ours.fp, ours.fn) == (theirs.tp, theirs.fp, theirs.fn)
    assert (ours.n_gt, ours.n_pred) == (theirs.n_ref_instances, theirs.n_pred_instances)
    for name in ("pq", "rq", "sq"):
        value, expected = getattr(ours, name), getattr(theirs, name)
        if name == "sq" and ours.tp == 0 and ours.n_gt + ours.n_pred:
            assert math.isnan(value) and expected == 0.0  # panoptica: SQ 0 without a match
            continue
        np.testing.assert_allclose(value, expected, rtol=1e-12, err_msg=name)


def test_panoptica_default_matches_at_iou_one_half_and_we_do_not():
    panoptica = pytest.importorskip("panoptica")
    from panoptica.utils.citation_reminder import disable_citation_reminder

    disable_citation_reminder()
    gt = np.array([[1, 1, 0, 0]], np.uint8)
    pred = np.array([[1, 0, 0, 0]], np.uint8)  # IoU exactly 1/2
    evaluator = panoptica.Panoptica_Evaluator(
        expected_input=panoptica.InputType.SEMANTIC,
        instance_approximator=panoptica.ConnectedComponentsInstanceApproximator(),
        instance_matcher=panoptica.NaiveThresholdMatching(),
        instance_metrics=[panoptica.Metric.IOU],
        global_metrics=[panoptica.Metric.DSC], decision_metric=None, log_times=False,
        verbose=False)
    assert evaluator.evaluate(pred, gt, verbose=False)["ungrouped"].tp == 1
    assert lesion.lesion_wise(pred, gt).tp == 0  # Kirillov et al.: IoU strictly above 1/2


@pytest.mark.filterwarnings("ignore:Voronoi computation is running on CPU:UserWarning")
def test_monai_per_component_dice_where_it_coincides():
    """MONAI's ``per_component`` scores each GT component's Voronoi cell. With separated
    lesions, each prediction inside its lesion's cell and no false positive, that is the
    mean Dice of the GT lesions, our ``lesion_dice`` with any-overlap matching."""
    torch = pytest.importorskip("torch")
    metrics = pytest.importorskip("monai.metrics")
    gt = np.zeros((16, 16, 16), bool)
    pred = np.zeros_like(gt)
    gt[2:5, 2:6, 2:5] = True
    pred[2:5, 3:7, 2:4] = True
    gt[10:14, 10:13, 9:14] = True
    pred[11:14, 10:14, 9:13] = True
    gt[2:4, 12:15, 11:13] = True  # missed lesion: Dice 0 in both
    ours = lesion.lesion_wise(pred, gt, criterion="overlap", threshold=0.0)
    one_hot = lambda m: torch.as_tensor(np.stack([~m, m])[None].astype(np.float32))  # noqa: E731
    if "per_component" not in inspect.signature(metrics.DiceMetric).parameters:
        pytest.skip("this MONAI has no per_component Dice")
    metric = metrics.DiceMetric(include_background=False, per_component=True)
    theirs = float(metric(one_hot(pred), one_hot(gt)).reshape(()))
    assert ours.fp == 0
    np.testing.assert_allclose(ours.lesion_dice, theirs, rtol=1e-6)
