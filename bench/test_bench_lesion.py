"""Lesion-wise evaluation of a 256^3 pair with 200 lesions per mask, in one group.

The floor is what any lesion-wise evaluation has to do: one confusion-matrix pass
(``segmetrics.binary_counts``) plus one connected-components labelling of each mask
(with the labeller ``segmetrics.lesion`` uses). The target (issue 16) is at most 3x
that floor for ``lesion_wise`` and at least 10x faster than panoptica. Every benchmark
checks its detection counts against an independent NumPy/SciPy computation.
Run: ``pytest bench/test_bench_lesion.py --benchmark-only``.
"""
import numpy as np
import pytest

import segmetrics
from segmetrics import lesion

SHAPE = (256, 256, 256)
N_LESIONS = 200


def _ball(mask, centre, radius):
    r = int(np.ceil(radius))
    window = tuple(slice(c - r, c + r + 1) for c in centre)
    grid = np.ogrid[tuple(slice(-r, r + 1) for _ in centre)]
    mask[window] |= sum(g * g for g in grid) <= radius * radius


def lesion_pair(rng):
    """200 separated balls (radius 2-8) per mask: 184 found with a shift and a size change,
    16 true lesions missed and 16 false positives, one per cell of a jittered 6x6x6 grid."""
    cells = np.array(np.meshgrid(*[np.arange(6)] * 3, indexing="ij")).reshape(3, -1).T
    cells = cells[rng.permutation(len(cells))]
    size = SHAPE[0] // 6
    gt = np.zeros(SHAPE, bool)
    pred = np.zeros(SHAPE, bool)
    for k, cell in enumerate(cells):
        radius = rng.uniform(2, 8)
        centre = cell * size + size // 2 + rng.integers(-8, 9, 3)
        if k < N_LESIONS - 16:
            _ball(gt, centre, radius)
            _ball(pred, centre + rng.integers(-2, 3, 3), max(1.5, radius + rng.uniform(-1, 1)))
        elif k < N_LESIONS:
            _ball(gt, centre, radius)
        else:
            _ball(pred, centre, radius)
    return pred, gt


@pytest.fixture(scope="module")
def lesions_256():
    pred, gt = lesion_pair(np.random.default_rng(16))
    return pred, gt, _expected_counts(pred, gt)


def _expected_counts(pred, gt):
    """TP/FP/FN at IoU > 0.5 from SciPy labels and np.unique over overlapping voxels."""
    from scipy import ndimage

    g, n_gt = ndimage.label(gt)
    p, n_pred = ndimage.label(pred)
    both = (g > 0) & (p > 0)
    codes, inter = np.unique(g[both].astype(np.int64) * (n_pred + 1) + p[both],
                             return_counts=True)
    gv, pv = np.bincount(g.ravel()), np.bincount(p.ravel())
    gi, pj = codes // (n_pred + 1), codes % (n_pred + 1)
    matched = inter / (gv[gi] + pv[pj] - inter) > 0.5
    tp = int(matched.sum())
    return n_gt, n_pred, tp, n_pred - tp, n_gt - tp


def _warm(function):
    function()
    return function


@pytest.mark.parametrize("impl", ["floor", "lesion_wise", "lesion_wise+hd95", "panoptica"])
def test_lesion_wise_256(benchmark, lesions_256, impl):
    pred, gt, expected = lesions_256
    benchmark.group = f"lesion-wise 256^3, {N_LESIONS} lesions per mask"
    n_gt, n_pred, tp, fp, fn = expected
    assert (n_gt, n_pred) == (N_LESIONS, N_LESIONS)
    if impl == "floor":
        benchmark.extra_info["role"] = "floor"

        def floor():
            segmetrics.binary_counts(pred, gt)
            return lesion._label(gt, "face")[1], lesion._label(pred, "face")[1]

        assert benchmark(_warm(floor)) == (n_gt, n_pred)
        return
    if impl.startswith("lesion_wise"):
        benchmark.extra_info["role"] = "ours"
        hd95 = impl.endswith("hd95")
        result = benchmark(_warm(lambda: segmetrics.lesion_wise(pred, gt, hd95=hd95)))
        assert (result.tp, result.fp, result.fn) == (tp, fp, fn)
        if hd95:
            assert np.isfinite(result.gt_hd95).sum() == tp
        return
    panoptica = pytest.importorskip("panoptica")
    from panoptica.utils.citation_reminder import disable_citation_reminder

    disable_citation_reminder()
    benchmark.extra_info["role"] = "peer"
    evaluator = panoptica.Panoptica_Evaluator(
        expected_input=panoptica.InputType.SEMANTIC,
        instance_approximator=panoptica.ConnectedComponentsInstanceApproximator(
            cca_backend=panoptica.CCABackend.cc3d),
        instance_matcher=panoptica.NaiveThresholdMatching(matching_threshold=0.5,
                                                          strict_threshold=True),
        instance_metrics=[panoptica.Metric.IOU, panoptica.Metric.DSC],
        global_metrics=[panoptica.Metric.DSC], decision_metric=None, log_times=False,
        verbose=False)
    # panoptica's default 3-D labelling is 26-connected; the balls are separated, so the
    # components are the same as with face connectivity
    result = benchmark.pedantic(
        lambda: evaluator.evaluate(pred.astype(np.uint8), gt.astype(np.uint8),
                                   verbose=False)["ungrouped"], rounds=3, iterations=1)
    assert (result.tp, result.fp, result.fn) == (tp, fp, fn)
