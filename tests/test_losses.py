"""The framework-neutral losses: gradients by finite differences, properties,
edge cases and argument checks (NumPy and array_api_strict arrays)."""
import sys

import numpy as np
import pytest
from loss_cases import (
    ALL,
    PER_PIXEL,
    PIXEL,
    REGION,
    SHAPE,
    finite_difference,
    inputs_for,
    logits,
    random_mask,
    sigmoid,
    targets,
)

from segmetrics import losses as L


@pytest.fixture
def rng():
    return np.random.default_rng(20261127)


REDUCTIONS = ["mean", "sum", "none"]


def check_gradient(function, x, g, params, rng):
    """The analytic backward against finite differences of ``sum(upstream * loss)``,
    with a random upstream gradient of the loss's shape (0-d unless reduction='none')."""
    value, residuals = function.forward(x, g, **params)
    shape = np.shape(value)
    upstream = rng.uniform(0.5, 2.0, size=shape) if shape else float(rng.uniform(0.5, 2.0))
    analytic = function.backward(residuals, upstream)
    assert np.all(np.isfinite(value))
    assert analytic.shape == x.shape and analytic.dtype == x.dtype
    numeric = finite_difference(
        lambda v: np.sum(np.asarray(function(v, g, **params)) * upstream), x, 1.0)
    # the differences of an unreduced or summed loss cancel ~N times larger values
    atol = 1e-8 * max(1.0, float(np.abs(numeric).max()))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("absent", [False, True], ids=["all-present", "absent-class"])
@pytest.mark.parametrize("masked", [False, True], ids=["no-mask", "mask"])
@pytest.mark.parametrize("batch", [False, True], ids=["per-sample", "batch"])
@pytest.mark.parametrize("target", ["onehot", "soft"])
@pytest.mark.parametrize("name", sorted(REGION))
def test_region_gradient_matches_finite_differences(name, target, batch, masked, absent,
                                                    reduction, rng):
    function = REGION[name][0]
    x, params = inputs_for(name, logits(rng))
    g = targets(rng, target, absent=absent)
    params.update(batch=batch, mask=random_mask(rng) if masked else None, reduction=reduction)
    check_gradient(function, x, g, params, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("absent", [False, True], ids=["all-present", "absent-class"])
@pytest.mark.parametrize("masked", [False, True], ids=["no-mask", "mask"])
@pytest.mark.parametrize("target", ["onehot", "soft", "labels"])
@pytest.mark.parametrize("name", sorted(PIXEL))
def test_pixel_gradient_matches_finite_differences(name, target, masked, absent, reduction, rng):
    function = PIXEL[name][0]
    x, params = inputs_for(name, logits(rng, scale=3.0))
    g = targets(rng, target, absent=absent)
    params.update(mask=random_mask(rng) if masked else None, reduction=reduction)
    check_gradient(function, x, g, params, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("activation", [None, "sigmoid", "softmax"])
@pytest.mark.parametrize("name", sorted(n for n in REGION if n != "kappa_multiclass"))
def test_region_gradient_through_activations_and_options(name, activation, reduction, rng):
    function, params = REGION[name]
    x = logits(rng)
    x = sigmoid(x) if activation is None else x
    params = dict(params, activation=activation, reduction=reduction)
    if "weight_type" not in params and name != "generalized_dice":
        params.update(weight=[0.5, 2.0, 1.0])
    params.update(include_background=False, ignore_index=3, smooth_nr=0.1, smooth_dr=0.2)
    g = targets(rng, "labels")
    g[0, 0, 0] = 3
    check_gradient(function, x, g, params, rng)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hausdorff_gradient_with_the_distance_maps_held_constant(reduction, rng):
    x = logits(rng, shape=(2, 2, 5, 6))
    g = targets(rng, "onehot", shape=(2, 2, 5, 6))
    for params in ({"activation": "sigmoid"}, {"activation": "softmax", "alpha": 1.0,
                                                 "mask": random_mask(rng, (2, 2, 5, 6)),
                                                 "spacing": (1.0, 2.5)}):
        value, res = L.hausdorff_dt_loss.forward(x, g, reduction=reduction, **params)
        assert np.all(np.isfinite(value)) and np.sum(value) > 0
        assert np.shape(value) == (x.shape if reduction == "none" else ())
        upstream = rng.uniform(0.5, 2.0, size=np.shape(value))
        analytic = L.hausdorff_dt_loss.backward(res, upstream)
        numeric = finite_difference(
            lambda v, r=res: np.sum(r.spec.forward(v, r.target, r.mask, r.aux) * upstream),
            x, 1.0)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
        if "mask" in params:
            assert reduction != "none" or np.all(value[~np.broadcast_to(
                params["mask"][:, None], x.shape)] == 0)


def test_hausdorff_distance_field_matches_scipy():
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(3)
    p = rng.random((2, 1, 7, 5))
    g = (rng.random((2, 1, 7, 5)) > 0.6).astype(float)
    g[1] = 0.0                                               # empty target: zero map
    field = L.hausdorff.distance_field(p, g, alpha=2.0, spacing=(1.0, 0.5))
    expected = np.zeros_like(field)
    for b in range(2):
        for binary in (p[b, 0] > 0.5, g[b, 0] > 0.5):
            if binary.any() and not binary.all():
                d = (ndimage.distance_transform_edt(binary, sampling=(1.0, 0.5))
                     + ndimage.distance_transform_edt(~binary, sampling=(1.0, 0.5)))
                expected[b, 0] += d ** 2
    np.testing.assert_allclose(field, expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- properties

def _hard(rng, shape=SHAPE):
    return targets(rng, "onehot", shape=shape)


def test_kappa_loss_on_hard_labels_is_one_minus_cohen_kappa(rng):
    metrics = pytest.importorskip("sklearn.metrics")
    labels_true = targets(rng, "labels")
    labels_pred = targets(rng, "labels")
    onehot = lambda lab: (lab[:, None] == np.arange(3).reshape(1, 3, 1, 1)).astype(float)  # noqa: E731
    loss = L.kappa_loss(onehot(labels_pred), labels_true, multiclass=True, batch=True,
                        smooth_nr=0, smooth_dr=0)
    expected = metrics.cohen_kappa_score(labels_true.ravel(), labels_pred.ravel())
    assert float(loss) == pytest.approx(1 - expected, abs=1e-12)
    for c in range(3):
        binary = L.kappa_loss(onehot(labels_pred)[:, c:c + 1], onehot(labels_true)[:, c:c + 1],
                              batch=True, smooth_nr=0, smooth_dr=0)
        expected = metrics.cohen_kappa_score(labels_true.ravel() == c, labels_pred.ravel() == c)
        assert float(binary) == pytest.approx(1 - expected, abs=1e-12)
    # and it agrees with the package's own metric
    import segmetrics
    kappa = segmetrics.kappa(labels_pred, labels_true, multiclass=True)
    assert float(loss) == pytest.approx(1 - kappa, abs=1e-12)


def test_kappa_is_at_most_dice(rng):
    for _ in range(5):
        p, g = sigmoid(logits(rng)), targets(rng, "soft")
        kappa = L.kappa_loss(p, g, smooth_nr=0, smooth_dr=0)
        dice = L.dice_loss(p, g, smooth_nr=0, smooth_dr=0)
        assert float(kappa) >= float(dice) - 1e-12
    g = _hard(rng)
    assert float(L.kappa_loss(g, g)) == float(L.dice_loss(g, g)) == 0.0


def test_tversky_half_half_is_dice_and_one_one_is_jaccard(rng):
    # Exact without smoothing: Tversky adds s to I, Dice to 2I.
    p, g = sigmoid(logits(rng)), targets(rng, "soft")
    s = {"smooth_nr": 0.0, "smooth_dr": 0.0}
    for batch in (False, True):
        assert float(L.tversky_loss(p, g, batch=batch, **s)) == pytest.approx(
            float(L.dice_loss(p, g, batch=batch, **s)), rel=1e-12)
        assert float(L.tversky_loss(p, g, alpha=1.0, beta=1.0, batch=batch)) == pytest.approx(
            float(L.jaccard_loss(p, g, batch=batch)), rel=1e-12)
        assert float(L.focal_tversky_loss(p, g, gamma=1.0, batch=batch)) == pytest.approx(
            float(L.tversky_loss(p, g, batch=batch)), rel=1e-12)


@pytest.mark.parametrize("absent", [False, True])
@pytest.mark.parametrize("name", sorted(n for n in REGION if n != "kappa_zhang2019"))
def test_region_loss_of_a_perfect_hard_prediction_is_zero(name, absent, rng):
    function, params = REGION[name]
    g = targets(rng, "onehot", absent=absent)
    params = {k: v for k, v in params.items() if k != "activation"}
    for batch in (False, True):
        value, res = function.forward(g, g, batch=batch, **params)
        assert float(value) == pytest.approx(0.0, abs=1e-12)


def test_zhang2019_reproduces_the_errata_counter_example():
    g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    p = np.array([[[1.0, 0.0, 1.0, 0.0]]])
    assert float(L.kappa_loss_zhang2019(p, g)) == pytest.approx(1 - 1 / 3.5, rel=1e-12)
    assert float(L.kappa_loss_zhang2019(p, g)) == pytest.approx(0.7142857142857143)
    assert float(L.kappa_loss(p, g, smooth_nr=0, smooth_dr=0)) == pytest.approx(1.0)  # kappa = 0
    # its value at a perfect prediction depends on the foreground size
    small, large = np.zeros((1, 1, 10)), np.zeros((1, 1, 10))
    small[..., :1] = 1
    large[..., :6] = 1
    assert float(L.kappa_loss_zhang2019(small, small)) != float(
        L.kappa_loss_zhang2019(large, large))


def test_smoothing_is_additive_not_multiplicative():
    g = np.array([[[1.0, 0.0, 0.0, 0.0]]])
    p = np.array([[[0.5, 0.5, 0.0, 0.0]]])
    value = float(L.dice_loss(p, g, smooth_nr=2.0, smooth_dr=3.0))
    assert value == pytest.approx(1 - (2 * 0.5 + 2) / (1 + 1 + 3))


def test_mask_counts_only_valid_elements(rng):
    p, g = sigmoid(logits(rng)), targets(rng, "onehot")
    mask = np.zeros(SHAPE[:1] + SHAPE[2:], dtype=bool)
    mask[:, :2, :] = True
    for function in (L.kappa_loss, L.mcc_loss, L.dice_loss, L.focal_loss,
                     L.weighted_cross_entropy_loss):
        masked = function(p, g, mask=mask)
        cropped = function(p[:, :, :2], g[:, :, :2])
        assert float(masked) == pytest.approx(float(cropped), rel=1e-12), function.__name__


def test_ignore_index_on_label_maps_equals_the_mask(rng):
    x = logits(rng)
    labels = targets(rng, "labels")
    ignored = labels.copy()
    ignored[:, 0, :] = 255
    for function in (L.dice_loss, L.kappa_loss, L.cross_entropy_loss):
        params = {"activation": "softmax"} if function is not L.cross_entropy_loss else {}
        a = function(x, ignored, ignore_index=255, **params)
        b = function(x, labels, mask=ignored != 255, **params)
        assert float(a) == pytest.approx(float(b), rel=1e-12)


def test_generalized_dice_absent_class_policies(rng):
    p = sigmoid(logits(rng))
    g = targets(rng, "onehot", absent=True)
    with_max = L.generalized_dice_loss(p, g, absent="max")
    with_zero = L.generalized_dice_loss(p, g, absent="zero")
    p_clean = p.copy()
    p_clean[:, 1] = 0.0
    assert float(L.generalized_dice_loss(p_clean, g, absent="zero")) == pytest.approx(
        float(with_zero))                       # 'zero' ignores false positives there
    assert float(with_max) > float(L.generalized_dice_loss(p_clean, g, absent="max"))


def test_focal_loss_is_finite_for_extreme_logits_and_low_gamma():
    x = np.array([[[100.0, -100.0, 100.0, -100.0, 0.0]]], dtype=np.float32)
    g = np.array([[[1.0, 0.0, 0.0, 1.0, 1.0]]], dtype=np.float32)
    for gamma in (0.0, 0.25, 0.5, 2.0):
        value, res = L.focal_loss.forward(x, g, gamma=gamma, alpha=0.25)
        grad = L.focal_loss.backward(res, 1.0)
        assert np.isfinite(value) and np.all(np.isfinite(grad)), gamma
        assert grad.dtype == np.float32
    value = L.focal_loss(x, g, gamma=0.0)
    assert float(value) == pytest.approx(float(L.weighted_cross_entropy_loss(x, g, pos_weight=1.0)))


def test_weighted_cross_entropy_weight_comes_from_the_ground_truth(rng):
    x = logits(rng)
    g = targets(rng, "onehot")
    n = g[:, 0].size
    pos = g.sum(axis=(0, 2, 3))
    explicit = np.mean([float(L.weighted_cross_entropy_loss(
        x[:, c:c + 1], g[:, c:c + 1], pos_weight=(n - pos[c]) / pos[c])) for c in range(3)])
    assert float(L.weighted_cross_entropy_loss(x, g)) == pytest.approx(explicit, rel=1e-12)


def test_cross_entropy_equals_log_softmax_reference(rng):
    x = logits(rng)
    labels = targets(rng, "labels")
    log_p = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    expected = -np.take_along_axis(log_p, labels[:, None], axis=1).mean()
    assert float(L.cross_entropy_loss(x, labels)) == pytest.approx(expected, rel=1e-12)


# -------------------------------------------------------------- array API

def test_array_api_strict_arrays_give_the_numpy_values(rng):
    xps = pytest.importorskip("array_api_strict")
    for name in sorted(ALL):
        function = ALL[name][0]
        x, params = inputs_for(name, logits(rng))
        g = targets(rng, "onehot")
        mask = random_mask(rng)
        value, res = function.forward(x, g, mask=mask, **params)
        grad = function.backward(res, 0.7)
        sx, sg, sm = xps.asarray(x), xps.asarray(g), xps.asarray(mask)
        s_value, s_res = function.forward(sx, sg, mask=sm, **params)
        s_grad = function.backward(s_res, 0.7)
        assert isinstance(s_grad, type(sx)) and s_grad.dtype == xps.float64
        assert float(s_value) == pytest.approx(float(value), rel=1e-12), name
        np.testing.assert_allclose(np.from_dlpack(s_grad), grad, rtol=1e-10, atol=1e-14)
    labels = xps.asarray(targets(rng, "labels"))
    assert float(L.dice_loss(xps.asarray(logits(rng)), labels, activation="softmax")) > 0


def test_float32_stays_float32(rng):
    x = logits(rng).astype(np.float32)
    g = targets(rng, "onehot").astype(np.float32)
    for name in sorted(ALL):
        x_in, params = inputs_for(name, x)
        value, res = ALL[name][0].forward(x_in.astype(np.float32), g, **params)
        assert value.dtype == np.float32, name
        assert ALL[name][0].backward(res, np.float32(1)).dtype == np.float32


# ------------------------------------------------------------ bad arguments

@pytest.mark.parametrize("function", [L.dice_loss, L.kappa_loss, L.generalized_dice_loss,
                                      L.hausdorff_dt_loss])
def test_one_channel_softmax_is_refused(function):
    x = np.zeros((2, 1, 4, 4))
    with pytest.raises(ValueError, match="single channel"):
        function(x, x, activation="softmax")


def test_single_channel_cross_entropy_is_refused():
    with pytest.raises(ValueError, match="single channel"):
        L.cross_entropy_loss(np.zeros((2, 1, 4)), np.zeros((2, 1, 4)))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"activation": "relu"}, ValueError, "activation"),
    ({"smooth_nr": -1.0}, ValueError, "smooth_nr"),
    ({"smooth_dr": float("nan")}, ValueError, "smooth_dr"),
    ({"batch": 1}, TypeError, "batch"),
    ({"weight": [1.0, 2.0]}, ValueError, "one value per channel"),
    ({"weight": [0.0, 0.0, 0.0]}, ValueError, "all zero"),
    ({"weight": [1.0, -1.0, 1.0]}, ValueError, "weight"),
    ({"include_background": "no"}, TypeError, "include_background"),
    ({"ignore_index": 1.5}, TypeError, "ignore_index"),
    ({"alpha": 0.5}, TypeError, "alpha"),
])
def test_bad_region_arguments_are_refused_with_their_name(kwargs, error, match):
    x = np.full((2, 3, 4), 0.3)
    with pytest.raises(error, match=match):
        L.dice_loss(x, x, **kwargs)


def test_bad_shapes_and_dtypes_are_refused():
    x = np.full((2, 3, 4), 0.3)
    with pytest.raises(ValueError, match="target must have the shape"):
        L.dice_loss(x, np.zeros((2, 3, 5)))
    with pytest.raises(TypeError, match="label map"):
        L.dice_loss(x, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="mask must have shape"):
        L.dice_loss(x, x, mask=np.ones((2, 5), dtype=bool))
    with pytest.raises(TypeError, match="floating"):
        L.dice_loss(np.ones((2, 3, 4), dtype=int), x)
    with pytest.raises(ValueError, match="at least 2 axes"):
        L.dice_loss(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="empty"):
        L.dice_loss(np.ones((2, 0, 4)), np.ones((2, 0, 4)))


def test_loss_specific_arguments_are_checked():
    x = np.full((2, 3, 4), 0.3)
    with pytest.raises(ValueError, match="multiclass"):
        L.kappa_loss(x, x, multiclass=True, include_background=False)
    with pytest.raises(ValueError, match="weight"):
        L.kappa_loss(x, x, multiclass=True, weight=[1, 1, 1])
    with pytest.raises(ValueError, match="weight_type"):
        L.generalized_dice_loss(x, x, weight_type="cube")
    with pytest.raises(ValueError, match="absent"):
        L.generalized_dice_loss(x, x, absent="skip")
    with pytest.raises(ValueError, match="gamma"):
        L.focal_tversky_loss(x, x, gamma=0.0)
    with pytest.raises(ValueError, match="alpha"):
        L.focal_loss(x, x, alpha=1.5)
    with pytest.raises(ValueError, match="pos_weight"):
        L.weighted_cross_entropy_loss(x, x, pos_weight="balanced")
    with pytest.raises(ValueError, match="spacing"):
        L.hausdorff_dt_loss(x, x, spacing=(1.0, 2.0))
    with pytest.raises(ValueError, match="include_background"):
        L.dice_loss(x[:, :1], x[:, :1], include_background=False)


def test_importing_the_losses_is_light():
    import subprocess
    code = ("import sys, segmetrics, segmetrics.losses; "
            "print(','.join(m for m in ('torch', 'jax', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("module", ["segmetrics.losses.region", "segmetrics.losses.pixel",
                                    "segmetrics.losses.hausdorff"])
def test_loss_docstring_examples_run(module):
    import doctest
    import importlib
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("name", sorted(ALL))
def test_cached_path_on_array_api_strict_arrays(name, rng):
    """The first-order path updates fresh temporaries in place: with the standard's
    in-place operators, on arrays that allow nothing else."""
    xps = pytest.importorskip("array_api_strict")
    function = ALL[name][0]
    x, params = inputs_for(name, logits(rng, scale=3.0))
    g_prep, m, aux, spec = function.prepare(x, targets(rng, "soft"), mask=random_mask(rng),
                                            **params)
    strict = [None if a is None else xps.asarray(a) for a in (x, g_prep, m, aux)]
    value, cache = spec.forward_cached(*strict)
    grad = spec.backward_cached(*strict, cache, 0.7)
    assert float(value) == pytest.approx(float(spec.forward(x, g_prep, m, aux)), rel=1e-12)
    np.testing.assert_allclose(np.from_dlpack(grad), spec.backward(x, g_prep, m, aux, 0.7),
                               rtol=1e-10, atol=1e-15)


def test_focal_first_order_path_is_finite_and_exact_in_float32():
    x = np.array([[[100.0, -100.0, 100.0, -100.0, 0.0, 20.0, -20.0, 3.0]]], dtype=np.float32)
    g = np.array([[[1.0, 0.0, 0.0, 1.0, 1.0, 0.3, 0.7, 0.5]]], dtype=np.float32)
    for gamma in (0.0, 0.25, 2.0):
        g_prep, m, aux, spec = L.focal_loss.prepare(x, g, gamma=gamma, alpha=0.25)
        value, cache = spec.forward_cached(x, g_prep, m, aux)
        grad = spec.backward_cached(x, g_prep, m, aux, cache, np.float32(1))
        assert grad.dtype == np.float32 and np.all(np.isfinite(grad)) and np.isfinite(value)
        x64, g64 = x.astype(np.float64), g.astype(np.float64)
        spec64 = L.focal_loss.prepare(x64, g64, gamma=gamma, alpha=0.25)[3]
        assert float(value) == pytest.approx(float(spec64.forward(x64, g64, None, None)),
                                             rel=1e-6)
        np.testing.assert_allclose(grad, spec64.backward(x64, g64, None, None, 1.0),
                                   rtol=1e-5, atol=1e-30)


def test_sigmoid_and_its_logs_keep_full_relative_precision_in_float32():
    import array_api_compat.numpy as xp

    from segmetrics.losses.pixel import _sigmoid_and_logs
    x = np.linspace(-100, 100, 200001).astype(np.float32)
    x64 = x.astype(np.float64)
    p = 1 / (1 + np.exp(-x64))
    expected = (p, 1 / (1 + np.exp(x64)), np.logaddexp(0, -x64), np.logaddexp(0, x64))
    for got, want in zip(_sigmoid_and_logs(xp, x), expected):
        normal = want > np.finfo(np.float32).tiny
        np.testing.assert_allclose(got[normal], want[normal], rtol=1e-6)


@pytest.mark.parametrize("name", sorted(ALL))
def test_first_order_cached_backward_equals_the_recomputing_backward(name, rng):
    function = ALL[name][0]
    x, params = inputs_for(name, logits(rng, scale=3.0))
    g = targets(rng, "soft")
    g_prep, m, aux, spec = function.prepare(x, g, mask=random_mask(rng), **params)
    value, cache = spec.forward_cached(x, g_prep, m, aux)
    assert float(value) == pytest.approx(float(spec.forward(x, g_prep, m, aux)), rel=1e-12)
    np.testing.assert_allclose(spec.backward_cached(x, g_prep, m, aux, cache, 0.7),
                               spec.backward(x, g_prep, m, aux, 0.7), rtol=1e-10, atol=1e-15)


# ---------------------------------------------------------------- reductions

REDUCTION_OPTIONS = {
    "plain": {}, "weight": {"weight": [0.5, 2.0, 1.0]},
    "no-background": {"include_background": False},
    "no-background-weight": {"include_background": False, "weight": [3.0, 1.0, 4.0]},
    "zero-weight": {"weight": [0.0, 1.0, 3.0]},
}


def _grouped(name):
    return name.startswith("generalized_dice") or name == "kappa_multiclass"


def _reduction_cases():
    """Region loss x options, leaving out what a loss does not take: grouped losses have
    no per-class weight, and multi-class kappa is over all classes."""
    for name in sorted(REGION):
        for option_id, options in REDUCTION_OPTIONS.items():
            if _grouped(name) and "weight" in options:
                continue
            if name == "kappa_multiclass" and options:
                continue
            yield pytest.param(name, options, id=f"{name}-{option_id}")


@pytest.mark.parametrize("batch", [False, True], ids=["per-sample", "batch"])
@pytest.mark.parametrize("name, options", list(_reduction_cases()))
def test_region_reductions_are_consistent(name, options, batch, rng):
    """'none' is the per-cell losses times the class weights scaled to average 1 over the
    output channels: they sum to 'sum' and average to 'mean' (which is unchanged)."""
    function, params = REGION[name]
    grouped = _grouped(name)
    x, params = inputs_for(name, logits(rng))
    g = targets(rng, "soft")
    params = dict(params, batch=batch, mask=random_mask(rng), **options)
    mean = function(x, g, **params)
    assert float(function(x, g, reduction="mean", **params)) == float(mean)
    total = function(x, g, reduction="sum", **params)
    cells = function(x, g, reduction="none", **params)
    channels = 3 - (not options.get("include_background", True))
    if grouped:
        expected_shape = () if batch else (2,)
    else:
        expected_shape = (channels,) if batch else (2, channels)
    assert np.shape(cells) == expected_shape and np.shape(total) == ()
    assert float(np.sum(cells)) == pytest.approx(float(total), rel=1e-12)
    assert float(np.mean(cells)) == pytest.approx(float(mean), rel=1e-12)
    if not grouped:         # the unweighted per-cell losses, times the scaled weights
        w = np.asarray(options.get("weight", [1.0, 1.0, 1.0]), dtype=float)
        if not options.get("include_background", True):
            w = w[1:]
        plain = function(x, g, reduction="none", **{
            k: v for k, v in params.items() if k not in ("weight", "include_background")})
        plain = plain[..., 3 - channels:]
        np.testing.assert_allclose(cells, plain * w * channels / w.sum(), rtol=1e-12)


@pytest.mark.parametrize("options", [{}, {"weight": [0.5, 2.0, 1.0]},
                                     {"include_background": False}])
@pytest.mark.parametrize("name", sorted(PIXEL))
def test_pixel_reductions_are_consistent(name, options, rng):
    """'none' is the per-element (weighted) losses, 0 where masked; 'sum' their sum and
    'mean' that sum over the number of valid elements (unchanged)."""
    function = PIXEL[name][0]
    x, params = inputs_for(name, logits(rng, scale=3.0))
    mask = random_mask(rng)
    g = targets(rng, "soft")
    params = dict(params, mask=mask, **options)
    mean = function(x, g, **params)
    total = function(x, g, reduction="sum", **params)
    elements = function(x, g, reduction="none", **params)
    if name in PER_PIXEL:
        assert elements.shape == (2, 3, 4)
        count = mask.sum()
        assert np.all(elements[~mask] == 0)
    else:
        channels = 3 - (not options.get("include_background", True))
        assert elements.shape == (2, channels, 3, 4)
        count = mask.sum() * channels
        assert np.all(elements[np.broadcast_to(~mask[:, None], elements.shape)] == 0)
    assert float(np.sum(elements)) == pytest.approx(float(total), rel=1e-12)
    assert float(total) / count == pytest.approx(float(mean), rel=1e-12)
    if "weight" in options and name not in PER_PIXEL:
        plain = function(x, g, reduction="none", mask=mask, **{
            k: v for k, v in params.items() if k not in ("weight", "mask")})
        np.testing.assert_allclose(
            elements, plain * np.reshape(options["weight"], (1, 3, 1, 1)), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["sum", "none"])
@pytest.mark.parametrize("name", sorted(ALL))
def test_cached_path_for_every_reduction(name, reduction, rng):
    function = ALL[name][0]
    x, params = inputs_for(name, logits(rng, scale=3.0))
    params = dict(params, reduction=reduction, mask=random_mask(rng))
    if name not in PIXEL:
        params["include_background"] = name == "kappa_multiclass"
    g_prep, m, aux, spec = function.prepare(x, targets(rng, "soft"), **params)
    value, cache = spec.forward_cached(x, g_prep, m, aux)
    np.testing.assert_allclose(value, spec.forward(x, g_prep, m, aux), rtol=1e-12)
    upstream = rng.uniform(0.5, 2.0, size=np.shape(value))
    np.testing.assert_allclose(spec.backward_cached(x, g_prep, m, aux, cache, upstream),
                               spec.backward(x, g_prep, m, aux, upstream),
                               rtol=1e-10, atol=1e-15)
    xps = pytest.importorskip("array_api_strict")
    strict = [None if a is None else xps.asarray(a) for a in (x, g_prep, m, aux)]
    s_value, s_cache = spec.forward_cached(*strict)
    np.testing.assert_allclose(np.from_dlpack(s_value), value, rtol=1e-12)
    np.testing.assert_allclose(
        np.from_dlpack(spec.backward_cached(*strict, s_cache, xps.asarray(upstream))),
        spec.backward(x, g_prep, m, aux, upstream), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("function", [L.dice_loss, L.generalized_dice_loss, L.focal_loss,
                                      L.cross_entropy_loss, L.hausdorff_dt_loss])
def test_bad_reduction_is_refused(function):
    x = np.full((2, 3, 4), 0.3)
    for bad in ("avg", "Mean", None, 1):
        with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none'"):
            function(x, x, reduction=bad)


def test_unreduced_backward_checks_the_upstream_shape(rng):
    x, g = sigmoid(logits(rng)), targets(rng, "soft")
    value, res = L.dice_loss.forward(x, g, reduction="none")
    with pytest.raises(ValueError, match="grad_out must have the loss's shape"):
        L.dice_loss.backward(res, np.ones((3, 2)))
    # a number is every cell's upstream gradient: the gradient of the sum
    np.testing.assert_allclose(L.dice_loss.backward(res, 1.0),
                               L.dice_loss.backward(L.dice_loss.forward(
                                   x, g, reduction="sum")[1], 1.0), rtol=1e-12)


# ------------------------------------------------------------ softmax focal

def _softmax_focal_reference(x, g, alpha=None, gamma=2.0, weight=None, mask=None):
    """-sum_c a_c w_c g_c (1 - p_c)^gamma log p_c per pixel, in float64 from the formula."""
    c = x.shape[1]
    log_p = x - np.log(np.exp(x - x.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)) \
        - x.max(axis=1, keepdims=True)
    a = np.ones(c) if alpha is None else np.array([1 - alpha] + [alpha] * (c - 1))
    w = a * (np.ones(c) if weight is None else np.asarray(weight, dtype=float))
    w = w.reshape((1, c) + (1,) * (x.ndim - 2))
    pixels = -np.sum(w * g * (1 - np.exp(log_p)) ** gamma * log_p, axis=1)
    return pixels if mask is None else pixels * mask


@pytest.mark.parametrize("options", [{}, {"alpha": 0.25}, {"gamma": 0.5, "weight": [0.5, 2, 1]},
                                     {"gamma": 3.0, "alpha": 0.7, "mask": True}])
def test_softmax_focal_matches_its_formula(options, rng):
    x, g = logits(rng, scale=3.0), targets(rng, "soft")
    options = dict(options)
    if options.pop("mask", False):
        options["mask"] = random_mask(rng)
    pixels = _softmax_focal_reference(x, g, **options)
    count = pixels.size if "mask" not in options else options["mask"].sum()
    kwargs = dict(options, activation="softmax")
    np.testing.assert_allclose(L.focal_loss(x, g, reduction="none", **kwargs), pixels,
                               rtol=1e-12, atol=1e-300)
    assert float(L.focal_loss(x, g, **kwargs)) == pytest.approx(pixels.sum() / count, rel=1e-12)
    assert float(L.focal_loss(x, g, reduction="sum", **kwargs)) == pytest.approx(
        pixels.sum(), rel=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"weight": [0.5, 2.0, 1.0], "alpha": 0.3},
                                     {"include_background": False, "ignore_index": 2}])
def test_softmax_focal_at_gamma_zero_is_cross_entropy_exactly(options, reduction, rng):
    """Bit for bit, value and gradient, with alpha folded into the class weights."""
    x, labels = logits(rng, scale=3.0), targets(rng, "labels")
    mask = random_mask(rng)
    options = dict(options, reduction=reduction, mask=mask)
    alpha = options.pop("alpha", None)
    focal, f_res = L.focal_loss.forward(x, labels, activation="softmax", gamma=0.0, alpha=alpha,
                                        **options)
    if alpha is not None:
        options["weight"] = [w * a for w, a in zip(options["weight"], [1 - alpha, alpha, alpha])]
    ce, c_res = L.cross_entropy_loss.forward(x, labels, **options)
    upstream = rng.uniform(0.5, 2.0, size=np.shape(ce))
    assert np.array_equal(focal, ce)
    assert np.array_equal(L.focal_loss.backward(f_res, upstream),
                          L.cross_entropy_loss.backward(c_res, upstream))


def test_softmax_focal_alpha_weighs_background_by_one_minus_alpha(rng):
    x, g = logits(rng), targets(rng, "soft")
    for alpha in (0.0, 0.25, 1.0):
        a = L.focal_loss(x, g, activation="softmax", alpha=alpha, weight=[2.0, 1.0, 3.0])
        b = L.focal_loss(x, g, activation="softmax",
                         weight=[2.0 * (1 - alpha), alpha, 3.0 * alpha])
        assert float(a) == pytest.approx(float(b), rel=1e-14, abs=1e-300)
    with pytest.raises(ValueError, match="alpha, weight and include_background"):
        L.focal_loss(x, g, activation="softmax", alpha=0.0, include_background=False)


@pytest.mark.parametrize("gamma", [0.0, 0.25, 0.5, 2.0])
def test_softmax_focal_is_finite_and_exact_in_float32_for_extreme_logits(gamma):
    x = np.array([[[100.0, -100.0, 0.0, 30.0, 8.0, -3.0, 100.0],
                   [-100.0, 100.0, 0.0, -30.0, -6.0, 2.0, 100.0],
                   [0.0, -100.0, 0.0, 1.0, -7.0, 2.5, -100.0]]], dtype=np.float32)
    g = np.array([[[1.0, 1.0, 1.0, 1.0, 1.0, 0.2, 0.0],
                   [0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 1.0],
                   [0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0]]], dtype=np.float32)
    x64, g64 = x.astype(np.float64), g.astype(np.float64)
    params = {"activation": "softmax", "gamma": gamma, "alpha": 0.25}
    value64, res64 = L.focal_loss.forward(x64, g64, **params)
    grad64 = L.focal_loss.backward(res64, 1.0)
    value, res = L.focal_loss.forward(x, g, **params)
    grad = L.focal_loss.backward(res, np.float32(1))
    g_prep, m, aux, spec = L.focal_loss.prepare(x, g, **params)
    c_value, cache = spec.forward_cached(x, g_prep, m, aux)
    c_grad = spec.backward_cached(x, g_prep, m, aux, cache, np.float32(1))
    for v, d in ((value, grad), (c_value, c_grad)):
        assert v.dtype == d.dtype == np.float32
        assert np.isfinite(v) and np.all(np.isfinite(d))
        assert float(v) == pytest.approx(float(value64), rel=1e-6)
        np.testing.assert_allclose(d, grad64, rtol=2e-5, atol=1e-6 * np.abs(grad64).max())


def test_one_minus_softmax_keeps_full_relative_precision_in_float32():
    import array_api_compat.numpy as xp

    from segmetrics.losses.pixel import _log_one_minus_softmax
    rng = np.random.default_rng(5)
    x = (rng.normal(size=(4000, 3)) * rng.choice([1.0, 5.0, 30.0], size=(4000, 1))
         ).astype(np.float32)
    log_p = L.pixel.log_softmax(xp, x)
    x64 = x.astype(np.float64)
    got, _ = _log_one_minus_softmax(xp, log_p)
    for c in range(3):      # log(1 - p_c) = logsumexp of the other logits - logsumexp of all
        others = np.delete(x64, c, axis=1)
        want = np.logaddexp.reduce(others, axis=1) - np.logaddexp.reduce(x64, axis=1)
        np.testing.assert_allclose(got[:, c], want, rtol=1e-5, atol=2e-6)


def test_focal_activation_is_checked():
    x = np.zeros((2, 3, 4))
    for bad in (None, "relu", "Softmax"):
        with pytest.raises(ValueError, match="activation must be 'sigmoid' or 'softmax'"):
            L.focal_loss(x, x, activation=bad)
    with pytest.raises(ValueError, match="single channel"):
        L.focal_loss(x[:, :1], x[:, :1], activation="softmax")
