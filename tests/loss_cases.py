"""Shared inputs and the catalogue of losses for the loss tests."""
import numpy as np

from segmetrics import losses as L

# name -> (neutral loss, parameters, activation used for the region losses' inputs)
REGION = {
    "dice": (L.dice_loss, {}),
    "jaccard": (L.jaccard_loss, {}),
    "tversky": (L.tversky_loss, {"alpha": 0.3, "beta": 0.7}),
    "focal_tversky": (L.focal_tversky_loss, {"alpha": 0.3, "beta": 0.7, "gamma": 0.75}),
    "generalized_dice": (L.generalized_dice_loss, {}),
    "generalized_dice_zero": (L.generalized_dice_loss, {"absent": "zero", "weight_type": "simple"}),
    "kappa": (L.kappa_loss, {}),
    "kappa_multiclass": (L.kappa_loss, {"multiclass": True, "activation": "softmax"}),
    "mcc": (L.mcc_loss, {}),
    "kappa_zhang2019": (L.kappa_loss_zhang2019, {"smooth_nr": 1e-5, "smooth_dr": 1e-5}),
}
PIXEL = {
    "weighted_ce": (L.weighted_cross_entropy_loss, {}),
    "bce_pos_weight": (L.weighted_cross_entropy_loss, {"pos_weight": 3.0}),
    "cross_entropy": (L.cross_entropy_loss, {}),
    "focal": (L.focal_loss, {"alpha": 0.25, "gamma": 2.0}),
    "focal_gamma_half": (L.focal_loss, {"gamma": 0.5}),
    "focal_softmax": (L.focal_loss, {"activation": "softmax", "alpha": 0.25, "gamma": 2.0}),
    "focal_softmax_gamma_half": (L.focal_loss, {"activation": "softmax", "gamma": 0.5}),
}
# per-pixel losses over the channels: 'none' gives (B, *spatial), N counts pixels
PER_PIXEL = {"cross_entropy", "focal_softmax", "focal_softmax_gamma_half"}
ALL = {**REGION, **PIXEL}
SHAPE = (2, 3, 3, 4)


def logits(rng, shape=SHAPE, scale=1.5):
    return rng.normal(size=shape) * scale


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def inputs_for(name, x):
    """What the loss takes: logits for pixel losses and softmax cases, probabilities otherwise."""
    params = dict(ALL[name][1])
    if name in PIXEL or params.get("activation"):
        return x, params
    return sigmoid(x), params


def targets(rng, kind, *, absent=False, shape=SHAPE):
    """Targets of shape ``shape``: 'onehot', 'soft' or 'labels' (integer map); with
    ``absent`` class 1 never occurs."""
    b, c, *spatial = shape
    labels = rng.integers(0, c, size=(b, *spatial))
    if absent:
        labels[labels == 1] = 2
    if kind == "labels":
        return labels
    if kind == "onehot":
        return (labels[:, None] == np.arange(c).reshape(1, c, *([1] * len(spatial)))).astype(float)
    soft = rng.random(shape) + 0.05
    if absent:
        soft[:, 1] = 0.0
    return soft / soft.sum(axis=1, keepdims=True)


def random_mask(rng, shape=SHAPE):
    b, _, *spatial = shape
    mask = rng.random((b, *spatial)) < 0.7
    mask.flat[0] = True
    return mask


def finite_difference(function, x, upstream, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += eps
        down[index] -= eps
        grad[index] = (float(function(up)) - float(function(down))) / (2 * eps)
    return grad * upstream
