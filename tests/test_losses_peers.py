"""Parity with MONAI, segmentation_models_pytorch and kornia on shared inputs.

The peer values and gradients were recorded by ``tests/make_loss_fixtures.py``
(peer versions stored in the fixture), so these tests need no peer installed.
Known differences are encoded as transforms and documented in docs/losses.md.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from segmetrics import losses as L
from segmetrics.losses._common import activate, activation_backward

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "loss_peers.npz"
DATA = np.load(FIXTURE, allow_pickle=False)
CASES = sorted(k[:-5] for k in DATA.files if k.endswith(".meta"))


def _ours(meta, x, target):
    function = getattr(L, meta["loss"])
    params = meta["params"]
    if meta["transform"] == "softmax_merge":
        p = activate(np, x, "softmax")
        b = x.shape[0]
        value, res = function.forward(p.reshape(b, 1, -1), target.reshape(b, 1, -1), **params)
        grad_p = function.backward(res, 1.0).reshape(x.shape)
        return float(value), activation_backward(np, p, grad_p, "softmax")
    if meta["transform"] == "smp_zero_absent":
        # smp multiplies the loss of each class absent from the target by 0 and still
        # divides by C: that is our class-weighted mean with weight 0 for absent classes,
        # times (number of present classes) / C.
        channels = x.shape[1]
        present = [float((target == c).any()) for c in range(channels)]
        value, res = function.forward(x, target, weight=present, **params)
        scale = sum(present) / channels
        return float(value) * scale, function.backward(res, scale)
    value, res = function.forward(x, target, **params)
    return float(value), function.backward(res, 1.0)


def test_fixture_records_the_peer_versions():
    versions = json.loads(str(DATA["versions"]))
    assert set(versions) >= {"monai", "segmentation_models_pytorch", "kornia", "torch"}


@pytest.mark.parametrize("case", CASES)
def test_matches_peer_value_and_gradient(case):
    meta = json.loads(str(DATA[f"{case}.meta"]))
    x, target = DATA[f"{case}.input"], DATA[f"{case}.target"]
    value, grad = _ours(meta, x, target)
    expected = DATA[f"{case}.grad"]
    if meta["transform"] == "peer_nan_gradient":
        assert np.isnan(expected).any() and np.all(np.isfinite(grad)), meta["note"]
        finite = np.isfinite(expected)
        grad, expected = grad[finite], expected[finite]
    assert value == pytest.approx(meta["value"], rel=meta["rtol"], abs=1e-12), meta["note"]
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(grad, expected, rtol=meta["rtol"] * 10,
                               atol=max(1e-13, meta["rtol"] * scale), err_msg=meta["note"])


def test_smp_absent_class_difference_is_real():
    """Without the transform, smp and segmetrics differ when a class is absent."""
    meta = json.loads(str(DATA["smp_dice_absent_class.meta"]))
    x, target = DATA["smp_dice_absent_class.input"], DATA["smp_dice_absent_class.target"]
    ours = float(L.dice_loss(x, target, **meta["params"]))
    assert ours > meta["value"] + 0.1
