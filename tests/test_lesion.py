"""Lesion-wise evaluation: brute-force oracles, labellers and kernels, edge cases, peers."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import segmetrics
from segmetrics import lesion

NAN = float("nan")

# --- oracles: textbook definitions on tiny arrays, no SciPy, no kernel ----------------------


def flood_components(mask, connectivity):
    """Components by breadth-first flood fill, numbered by first voxel in C order."""
    mask = np.asarray(mask, bool)
    labels = np.zeros(mask.shape, np.int64)
    offsets = [o for o in itertools.product((-1, 0, 1), repeat=mask.ndim)
               if any(o) and (connectivity == "full" or sum(map(abs, o)) == 1)]
    n = 0
    for start in zip(*np.nonzero(mask)):
        if labels[start]:
            continue
        n += 1
        labels[start] = n
        queue = [start]
        while queue:
            voxel = queue.pop()
            for o in offsets:
                q = tuple(v + d for v, d in zip(voxel, o))
                if all(0 <= c < s for c, s in zip(q, mask.shape)) and mask[q] and not labels[q]:
                    labels[q] = n
                    queue.append(q)
    return labels, n


def oracle(pred, gt, connectivity="face", criterion="iou", threshold=0.5, zero_division=NAN):
    """Every score by its definition, from per-lesion boolean masks."""
    gl, ng = flood_components(gt, connectivity)
    pl, npred = flood_components(pred, connectivity)
    G = [gl == i for i in range(1, ng + 1)]
    P = [pl == j for j in range(1, npred + 1)]
    pairs = []
    for i, g in enumerate(G):
        for j, p in enumerate(P):
            inter, union = int((g & p).sum()), int((g | p).sum())
            score = inter / union if criterion == "iou" else inter / int(g.sum())
            if inter and score > threshold:
                pairs.append((i, j, inter / union))
    matched_g = {i for i, _, _ in pairs}
    matched_p = {j for _, j, _ in pairs}
    dice = []
    for i, g in enumerate(G):
        union_p = np.zeros_like(g)
        for a, j, _ in pairs:
            if a == i:
                union_p |= P[j]
        dice.append(2 * (g & union_p).sum() / (g.sum() + union_p.sum()))
    div = lambda a, b: zero_division if b == 0 else a / b  # noqa: E731
    fp, fn = npred - len(matched_p), ng - len(matched_g)
    one_to_one = len(matched_g) == len(pairs) == len(matched_p)
    tp = len(pairs)
    return {
        "n_gt": ng, "n_pred": npred, "tp": len(matched_g), "tp_pred": len(matched_p), "fp": fp,
        "fn": fn, "recall": div(len(matched_g), ng), "precision": div(len(matched_p), npred),
        "f1": div(len(matched_g) + len(matched_p), ng + npred),
        "lesion_dice": div(sum(dice), ng + fp), "gt_dice": dice,
        "gt_voxels": [int(g.sum()) for g in G], "pred_voxels": [int(p.sum()) for p in P],
        "pairs": sorted((i, j) for i, j, _ in pairs),
        "pq": div(sum(v for _, _, v in pairs), tp + fp / 2 + fn / 2) if one_to_one else NAN,
        "sq": div(sum(v for _, _, v in pairs), tp) if one_to_one else NAN,
        "rq": div(tp, tp + fp / 2 + fn / 2) if one_to_one else NAN,
    }


def _sparse_masks(draw_shape):
    return draw_shape.flatmap(lambda shape: st.tuples(
        hnp.arrays(np.bool_, shape, elements=st.booleans()),
        hnp.arrays(np.bool_, shape, elements=st.booleans())))


small_shapes = st.one_of(
    hnp.array_shapes(min_dims=1, max_dims=1, min_side=1, max_side=12),
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=7),
    hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=4))


def _check_against_oracle(result, expected):
    for key in ("n_gt", "n_pred", "tp", "tp_pred", "fp", "fn"):
        assert getattr(result, key) == expected[key], key
    for key in ("recall", "precision", "f1", "lesion_dice", "pq", "sq", "rq"):
        np.testing.assert_allclose(getattr(result, key), expected[key], rtol=1e-12, err_msg=key)
    np.testing.assert_allclose(result.gt_dice, expected["gt_dice"], rtol=1e-12)
    assert result.gt_voxels.tolist() == expected["gt_voxels"]
    assert result.pred_voxels.tolist() == expected["pred_voxels"]
    assert sorted(zip(result.pair_gt.tolist(), result.pair_pred.tolist())) == expected["pairs"]


@settings(max_examples=60, deadline=None)
@given(masks=_sparse_masks(small_shapes), connectivity=st.sampled_from(lesion.CONNECTIVITY),
       rule=st.sampled_from([("iou", 0.5), ("iou", 0.2), ("overlap", 0.0), ("overlap", 0.5)]))
def test_scores_equal_their_definitions(masks, connectivity, rule):
    pred, gt = masks
    criterion, threshold = rule
    result = lesion.lesion_wise(pred, gt, connectivity=connectivity, criterion=criterion,
                                threshold=threshold, hd95=False)
    _check_against_oracle(result, oracle(pred, gt, connectivity, criterion, threshold))


@settings(max_examples=30, deadline=None)
@given(masks=_sparse_masks(small_shapes), connectivity=st.sampled_from(lesion.CONNECTIVITY))
def test_labellers_and_kernels_agree(masks, connectivity):
    pred, gt = masks
    results = []
    for labeller, backend in (("cc3d", "numba"), ("scipy", "numpy"), ("scipy", "numba")):
        if labeller == "cc3d" and lesion.LABELLER != "cc3d":
            continue
        saved, lesion.LABELLER = lesion.LABELLER, labeller
        try:
            results.append(lesion.lesion_wise(pred, gt, connectivity=connectivity,
                                              backend=backend, spacing=0.5, hd95=True))
        finally:
            lesion.LABELLER = saved
    for other in results[1:]:
        for field in ("gt_voxels", "pred_voxels", "pair_gt", "pair_pred", "pair_iou", "gt_dice",
                      "gt_hd95"):
            np.testing.assert_array_equal(getattr(other, field), getattr(results[0], field))
    labels, n = segmetrics.connected_components(gt, connectivity=connectivity)
    expected, n_expected = flood_components(gt, connectivity)
    assert n == n_expected
    np.testing.assert_array_equal(labels, expected)


def _best_total(pairs_scores):
    """Largest total score of a one-to-one subset of candidate pairs, by enumeration."""
    best = 0.0
    edges = list(pairs_scores.items())
    for k in range(len(edges) + 1):
        for subset in itertools.combinations(edges, k):
            gs = [g for (g, _), _ in subset]
            ps = [p for (_, p), _ in subset]
            if len(set(gs)) == len(gs) and len(set(ps)) == len(ps):
                best = max(best, sum(s for _, s in subset))
    return best


@settings(max_examples=40, deadline=None)
@given(masks=_sparse_masks(hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=5)),
       threshold=st.sampled_from([0.0, 0.1, 0.3]))
def test_one_to_one_matching_is_an_optimal_assignment(masks, threshold):
    pred, gt = masks
    many = lesion.lesion_wise(pred, gt, threshold=threshold, hd95=False)
    if len(many.pair_gt) > 9:
        return  # enumeration would be slow
    one = lesion.lesion_wise(pred, gt, threshold=threshold, one_to_one=True, hd95=False)
    assert one.one_to_one
    candidates = {(g, p): s for g, p, s in zip(many.pair_gt.tolist(), many.pair_pred.tolist(),
                                               many.pair_iou.tolist())}
    assert set(zip(one.pair_gt.tolist(), one.pair_pred.tolist())) <= set(candidates)
    np.testing.assert_allclose(one.pair_iou.sum(), _best_total(candidates), rtol=1e-12)
    if len(one.pair_gt):
        assert math.isfinite(one.pq)


# --- edge cases -------------------------------------------------------------------------------

def test_no_lesion_in_either_mask_is_zero_division():
    empty = np.zeros((4, 4), bool)
    result = lesion.lesion_wise(empty, empty)
    assert (result.n_gt, result.n_pred, result.tp, result.fp, result.fn) == (0, 0, 0, 0, 0)
    for key in ("recall", "precision", "f1", "lesion_dice", "pq", "sq", "rq"):
        assert math.isnan(getattr(result, key)), key
    assert lesion.lesion_wise(empty, empty, zero_division=1.0).pq == 1.0
    assert result.rows() == []


def test_all_missed_and_only_false_positives():
    gt = np.zeros((5, 5), bool)
    gt[0, 0] = gt[4, 4] = True
    empty = np.zeros_like(gt)
    missed = lesion.lesion_wise(empty, gt, hd95=True)
    assert (missed.tp, missed.fn, missed.recall, missed.f1, missed.lesion_dice, missed.pq) == (
        0, 2, 0.0, 0.0, 0.0, 0.0)
    assert math.isnan(missed.precision) and math.isnan(missed.sq)
    assert missed.gt_hd95.tolist() == [math.inf, math.inf]
    spurious = lesion.lesion_wise(gt, empty)
    assert (spurious.fp, spurious.precision, spurious.lesion_dice) == (2, 0.0, 0.0)
    assert spurious.pq == 0.0
    assert math.isnan(spurious.recall)


def test_touching_lesions_split_by_face_joined_by_full_connectivity():
    gt = np.zeros((4, 4, 4), bool)
    gt[1, 1, 1] = gt[2, 2, 2] = True  # corner-touching one-voxel lesions
    pred = gt.copy()
    face = lesion.lesion_wise(pred, gt, connectivity="face", hd95=True)
    full = lesion.lesion_wise(pred, gt, connectivity="full")
    assert (face.n_gt, face.tp, face.pq, face.lesion_dice) == (2, 2, 1.0, 1.0)
    assert (full.n_gt, full.tp, full.pq) == (1, 1, 1.0)
    assert face.gt_hd95.tolist() == [0.0, 0.0]


def test_one_voxel_lesions_and_border():
    gt = np.zeros(9, bool)
    gt[[0, 4, 8]] = True
    pred = np.zeros(9, bool)
    pred[[0, 5]] = True
    result = lesion.lesion_wise(pred, gt, criterion="overlap", threshold=0.0, spacing=2.0,
                                hd95=True)
    assert (result.tp, result.fp, result.fn) == (1, 1, 2)
    assert result.gt_volume.tolist() == [2.0, 2.0, 2.0]
    assert result.gt_hd95.tolist() == [0.0, math.inf, math.inf]


def test_hd95_per_lesion_equals_hd95_of_the_lesion_and_its_partners():
    rng = np.random.default_rng(3)
    gt = rng.random((12, 13, 9)) > 0.8
    pred = np.roll(gt, 1, axis=1) | (rng.random(gt.shape) > 0.93)
    spacing = (1.0, 0.7, 2.0)
    result = lesion.lesion_wise(pred, gt, connectivity="full", criterion="overlap",
                                threshold=0.0, spacing=spacing, hd95=True)
    gl, _ = flood_components(gt, "full")
    pl, _ = flood_components(pred, "full")
    for g in range(result.n_gt):
        partners = result.pair_pred[result.pair_gt == g] + 1
        expected = segmetrics.hd95(np.isin(pl, partners), gl == g + 1, spacing=spacing)
        assert result.gt_hd95[g] == expected


def test_rows_and_size_bins():
    gt = np.zeros((3, 12), bool)
    gt[0, 0:2] = True          # 2 voxels, found
    gt[0, 5:10] = True         # 5 voxels, missed
    pred = np.zeros_like(gt)
    pred[0, 0:2] = True
    pred[2, 11] = True         # false positive, 1 voxel
    result = lesion.lesion_wise(pred, gt, spacing=(1.0, 0.5), hd95=True)
    rows = result.rows(size_bins=[0, 1.5, 10])
    assert [(r["kind"], r["id"], r["voxels"], r["volume"], r["partners"], r["size_bin"])
            for r in rows] == [("gt", 1, 2, 1.0, "1", 0), ("gt", 2, 5, 2.5, "", 1),
                               ("pred", 1, 2, 1.0, "1", 0), ("pred", 2, 1, 0.5, "", 0)]
    assert rows[0]["dice"] == 1.0 and rows[0]["iou"] == 1.0 and rows[0]["hd95"] == 0.0
    assert rows[1]["dice"] == 0.0 and rows[1]["hd95"] == math.inf
    assert math.isnan(rows[2]["dice"]) and math.isnan(rows[2]["hd95"])
    assert math.isnan(lesion.lesion_wise(pred, gt).rows()[0]["hd95"])  # not computed
    bins = result.by_size([0, 1.5, 10])
    assert [(b["n_gt"], b["tp"], b["fn"], b["n_pred"], b["fp"]) for b in bins] == [
        (1, 1, 0, 2, 1), (1, 0, 1, 0, 0)]
    assert bins[0]["recall"] == 1.0 and bins[0]["precision"] == 0.5
    assert math.isnan(bins[1]["precision"])
    with pytest.raises(ValueError, match="size_bins must be at least two strictly increasing"):
        result.by_size([3, 1])


def test_instance_maps_keep_their_ids():
    gt = np.array([[0, 7, 7, 0, 3], [0, 7, 0, 0, 3]])
    pred = np.array([[0, 2, 2, 0, 0], [0, 2, 0, 0, 9]])
    result = lesion.lesion_wise(pred, gt, instances=True)
    assert result.gt_ids.tolist() == [7, 3] and result.pred_ids.tolist() == [2, 9]
    assert (result.tp, result.fp, result.fn) == (1, 1, 1)  # 3 and 9: IoU 1/2 is not > 1/2
    assert result.pair_iou.tolist() == [1.0]
    looser = lesion.lesion_wise(pred, gt, instances=True, threshold=0.4)
    assert looser.pair_iou.tolist() == [1.0, 0.5] and looser.pq == 0.75
    assert [r["partners"] for r in looser.rows()] == ["2", "9", "7", "3"]


def test_bad_input_is_refused():
    mask = np.zeros((3, 3), bool)
    with pytest.raises(ValueError, match="lesion-wise metrics need masks of 0/1"):
        lesion.lesion_wise(np.full((3, 3), 2), mask)
    with pytest.raises(ValueError, match="1-D, 2-D or 3-D"):
        lesion.lesion_wise(np.zeros((2,) * 4, bool), np.zeros((2,) * 4, bool))
    with pytest.raises(ValueError, match=r"threshold must lie in \[0, 1\)"):
        lesion.lesion_wise(mask, mask, threshold=1.0)
    with pytest.raises(ValueError, match="criterion must be one of"):
        lesion.lesion_wise(mask, mask, criterion="dice")
    with pytest.raises(ValueError, match="connectivity must be one of"):
        lesion.lesion_wise(mask, mask, connectivity=8)
    with pytest.raises(ValueError, match="backend must be one of"):
        lesion.lesion_wise(mask, mask, backend="cython")
    with pytest.raises(ValueError, match="instance ids must be non-negative"):
        lesion.lesion_wise(np.full((3, 3), -1), mask.astype(int), instances=True)
    with pytest.raises(TypeError, match="pred must have a bool or integer dtype"):
        lesion.lesion_wise(np.zeros((3, 3)), mask)
    with pytest.raises(ValueError, match="pass one_to_one=True"):
        lesion.panoptic_quality(mask, mask, threshold=0.3)
    assert math.isnan(lesion.panoptic_quality(mask, mask, threshold=0.3, one_to_one=True))


def test_not_one_to_one_has_no_panoptic_quality():
    gt = np.array([1, 1, 0, 1, 1])
    pred = np.array([1, 1, 1, 1, 1])  # one prediction covers two true lesions
    result = lesion.lesion_wise(pred, gt, criterion="overlap", threshold=0.0)
    assert not result.one_to_one and (result.tp, result.tp_pred) == (2, 1)
    assert math.isnan(result.pq) and math.isnan(result.sq) and math.isnan(result.rq)
    assert result.lesion_dice == 2 * (2 * 2 / 7) / 2


def test_docstring_examples_run():
    import doctest

    result = doctest.testmod(lesion)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("shape", [(3,), (3, 1), (1, 1, 3)])
def test_lines_label_alike_in_both_connectivities(shape):
    """On a line both connectivities are the same (cc3d 4.1 refuses 26 on one)."""
    mask = np.array([True, False, True]).reshape(shape)
    for connectivity in lesion.CONNECTIVITY:
        labels, n = lesion.connected_components(mask, connectivity=connectivity)
        assert n == 2
        assert np.array_equal(np.asarray(labels).reshape(-1), [1, 0, 2])
