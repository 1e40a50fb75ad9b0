"""clDice: the authors' definition, hand-checked cases, 0/0 rules, input checks."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import segmetrics

skeletonize = pytest.importorskip("skimage.morphology").skeletonize


def authors_cldice(v_p, v_l):
    """The reference code of Shit et al. (2021): ``cl_score(v, s) = sum(v * s) / sum(s)``.

    Its ``tprec`` is ``cl_score(v_p, skeleton(v_l))``: the paper's T_sens. The harmonic
    mean is symmetric, so the value is the paper's clDice.
    """
    def cl_score(v, s):
        return np.sum(v * s) / np.sum(s)

    tprec = cl_score(v_p, skeletonize(v_l))
    tsens = cl_score(v_l, skeletonize(v_p))
    return 2 * tprec * tsens / (tprec + tsens)


masks = st.one_of(
    hnp.array_shapes(min_dims=2, max_dims=2, min_side=3, max_side=14),
    hnp.array_shapes(min_dims=3, max_dims=3, min_side=3, max_side=7)).flatmap(
    lambda shape: st.tuples(hnp.arrays(np.bool_, shape), hnp.arrays(np.bool_, shape)))


@settings(max_examples=50, deadline=None)
@given(pair=masks)
def test_equals_the_authors_definition(pair):
    pred, gt = pair
    s_p, s_g = skeletonize(pred), skeletonize(gt)
    tprec, tsens = segmetrics.cldice_rates(pred, gt)
    if s_p.any():
        assert tprec == np.count_nonzero(s_p & gt) / np.count_nonzero(s_p)
    else:
        assert math.isnan(tprec)
    if s_g.any():
        assert tsens == np.count_nonzero(s_g & pred) / np.count_nonzero(s_g)
    else:
        assert math.isnan(tsens)
    value = segmetrics.cldice(pred, gt)
    if s_p.any() and s_g.any() and (tprec + tsens) > 0:
        np.testing.assert_allclose(value, authors_cldice(pred, gt), rtol=1e-12)


def test_hand_checked_2d_and_3d_cases():
    # a 3-wide bar and its own centreline as the prediction: clDice 1, Dice far from it
    gt = np.zeros((5, 12), bool)
    gt[1:4, 1:11] = True
    pred = skeletonize(gt)
    assert np.count_nonzero(pred) == 9 and segmetrics.cldice(pred, gt) == 1.0
    assert segmetrics.dice(pred, gt) == 18 / 39
    broken = pred.copy()
    broken[2, 5] = False  # a gap of one voxel in the centreline
    tprec, tsens = segmetrics.cldice_rates(broken, gt)
    assert (tprec, tsens) == (1.0, 8 / 9)
    assert segmetrics.cldice(broken, gt) == 2 * (8 / 9) / (1 + 8 / 9)
    tube = np.zeros((7, 7, 15), bool)
    tube[2:5, 2:5, 1:14] = True
    line = skeletonize(tube)
    assert line[3, 3].sum() == np.count_nonzero(line)  # Lee's skeleton: the tube's axis
    assert segmetrics.cldice(line, tube) == 1.0
    assert segmetrics.cldice(tube, tube) == 1.0


def test_zero_division_rules():
    empty = np.zeros((6, 6), bool)
    some = empty.copy()
    some[2, 1:5] = True
    assert math.isnan(segmetrics.cldice(empty, empty))
    assert segmetrics.cldice(empty, empty, zero_division=1.0) == 1.0
    assert segmetrics.cldice(empty, some) == 0.0
    assert segmetrics.cldice(some, empty) == 0.0
    far = empty.copy()
    far[5, 0] = True
    assert segmetrics.cldice(far, some) == 0.0
    tprec, tsens = segmetrics.cldice_rates(empty, some)
    assert math.isnan(tprec) and tsens == 0.0


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="2-D or 3-D"):
        segmetrics.cldice(np.ones(5, bool), np.ones(5, bool))
    with pytest.raises(ValueError, match="clDice need masks of 0/1"):
        segmetrics.cldice(np.full((3, 3), 255, np.uint8), np.ones((3, 3), bool))
    with pytest.raises(TypeError, match="pred must have a bool or integer dtype"):
        segmetrics.cldice(np.ones((3, 3)), np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="same shape"):
        segmetrics.cldice(np.ones((3, 3), bool), np.ones((3, 4), bool))


def test_docstring_examples_run():
    import doctest

    from segmetrics import topology

    result = doctest.testmod(topology)
    assert result.attempted > 0 and result.failed == 0
