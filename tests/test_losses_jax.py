"""The JAX adapter: custom_vjp gradients against JAX's own autodiff of the forward,
under jit, and second derivatives."""
import numpy as np
import pytest
from loss_cases import ALL, PIXEL, inputs_for, logits, random_mask, targets

jax = pytest.importorskip("jax")
smj = pytest.importorskip("segmetrics.jax")
jnp = jax.numpy

from segmetrics import losses as L  # noqa: E402

jax.config.update("jax_enable_x64", True)

NAMES = {name: getattr(smj, ALL[name][0].__name__) for name in ALL}


def _case(name, seed, target="soft", shape=(2, 3, 3, 4)):
    rng = np.random.default_rng(seed)
    x, params = inputs_for(name, logits(rng, shape=shape))
    params["mask"] = jnp.asarray(random_mask(rng, shape))
    return jnp.asarray(x), jnp.asarray(targets(rng, target, shape=shape)), params


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("name", sorted(ALL))
def test_custom_vjp_matches_autodiff_of_the_forward(name, batch):
    x, g, params = _case(name, 21)
    if batch and name in PIXEL:
        params = dict(params, mask=None)      # pixel losses have no batch flag: vary the mask
    elif batch:
        params["batch"] = True
    ours = jax.jit(jax.grad(lambda v: NAMES[name](v, g, **params)))(x)
    gd, m, aux, spec = ALL[name][0].prepare(x, g, **params)
    reference = jax.grad(lambda v: spec.forward(v, gd, m, aux))(x)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(reference), rtol=1e-10, atol=1e-13)
    value = jax.jit(lambda v: NAMES[name](v, g, **params))(x)
    assert float(value) == pytest.approx(float(ALL[name][0](np.asarray(x), np.asarray(g),
                                                            **{**params, "mask": None if params[
                                                                "mask"] is None else np.asarray(
                                                                params["mask"])})), rel=1e-12)


@pytest.mark.parametrize("name", ["dice", "kappa", "mcc", "generalized_dice", "focal",
                                  "cross_entropy", "focal_softmax", "focal_softmax_gamma_half"])
def test_second_derivatives_match_autodiff(name):
    x, g, params = _case(name, 22)
    v = jnp.asarray(np.random.default_rng(1).normal(size=x.shape))

    def hvp(f):
        return jax.grad(lambda y: jnp.vdot(jax.grad(f)(y), v))(x)

    gd, m, aux, spec = ALL[name][0].prepare(x, g, **params)
    ours = hvp(lambda y: NAMES[name](y, g, **params))
    reference = hvp(lambda y: spec.forward(y, gd, m, aux))
    np.testing.assert_allclose(np.asarray(ours), np.asarray(reference), rtol=1e-9, atol=1e-12)


def test_label_maps_under_jit():
    rng = np.random.default_rng(23)
    x = jnp.asarray(logits(rng))
    labels = jnp.asarray(targets(rng, "labels"), dtype=jnp.int32)
    f = jax.jit(lambda v: smj.kappa_loss(v, labels, multiclass=True, activation="softmax"))
    grad = jax.jit(jax.grad(lambda v: smj.kappa_loss(v, labels, multiclass=True,
                                                     activation="softmax")))(x)
    assert np.isfinite(float(f(x))) and grad.shape == x.shape


def test_hausdorff_under_jit_and_grad():
    rng = np.random.default_rng(24)
    x = jnp.asarray(logits(rng, shape=(2, 2, 6, 5)))
    g = jnp.asarray(targets(rng, "onehot", shape=(2, 2, 6, 5)))
    f = jax.jit(lambda v: smj.hausdorff_dt_loss(v, g, activation="softmax"))
    value = f(x)
    expected = L.hausdorff_dt_loss(np.asarray(x), np.asarray(g), activation="softmax")
    assert float(value) == pytest.approx(float(expected), rel=1e-12)
    grad = jax.jit(jax.grad(lambda v: smj.hausdorff_dt_loss(v, g, activation="softmax")))(x)
    _, res = L.hausdorff_dt_loss.forward(np.asarray(x), np.asarray(g), activation="softmax")
    np.testing.assert_allclose(np.asarray(grad), L.hausdorff_dt_loss.backward(res, 1.0),
                               rtol=1e-10, atol=1e-13)


def test_float32_and_bfloat16():
    rng = np.random.default_rng(25)
    x = jnp.asarray(logits(rng), dtype=jnp.bfloat16)
    g = jnp.asarray(targets(rng, "onehot"), dtype=jnp.bfloat16)
    value, grad = jax.value_and_grad(lambda v: smj.dice_loss(v, g, activation="softmax"))(x)
    assert value.dtype == jnp.float32 and grad.dtype == jnp.bfloat16


def test_docstring_examples_run():
    import doctest
    result = doctest.testmod(smj)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("reduction", ["sum", "none"])
@pytest.mark.parametrize("name", sorted(ALL))
def test_vjp_of_every_reduction(name, reduction):
    """jax.vjp with a random cotangent of the loss's shape against JAX's own autodiff of
    the forward and the neutral backward; under jit."""
    x, g, params = _case(name, 26)
    params = dict(params, reduction=reduction)
    if name not in PIXEL and name != "kappa_multiclass":
        params["include_background"] = False
    value, vjp = jax.vjp(jax.jit(lambda v: NAMES[name](v, g, **params)), x)
    gd, m, aux, spec = ALL[name][0].prepare(x, g, **params)
    expected_value, reference_vjp = jax.vjp(lambda v: spec.forward(v, gd, m, aux), x)
    assert value.shape == expected_value.shape
    np.testing.assert_allclose(np.asarray(value), np.asarray(expected_value), rtol=1e-12)
    cotangent = jnp.asarray(np.random.default_rng(2).uniform(0.5, 2.0, size=value.shape))
    (ours,) = vjp(cotangent)
    (reference,) = reference_vjp(cotangent)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(reference), rtol=1e-10, atol=1e-13)
    _, res = ALL[name][0].forward(np.asarray(x), np.asarray(g), **{
        **params, "mask": np.asarray(params["mask"])})
    np.testing.assert_allclose(np.asarray(ours), ALL[name][0].backward(res, np.asarray(
        cotangent)), rtol=1e-10, atol=1e-13)


def test_hausdorff_unreduced_under_jit_and_vjp():
    rng = np.random.default_rng(27)
    x = jnp.asarray(logits(rng, shape=(2, 2, 6, 5)))
    g = jnp.asarray(targets(rng, "onehot", shape=(2, 2, 6, 5)))
    value, vjp = jax.vjp(jax.jit(lambda v: smj.hausdorff_dt_loss(
        v, g, activation="softmax", reduction="none")), x)
    assert value.shape == x.shape
    cotangent = jnp.asarray(rng.uniform(size=x.shape))
    _, res = L.hausdorff_dt_loss.forward(np.asarray(x), np.asarray(g), activation="softmax",
                                         reduction="none")
    np.testing.assert_allclose(np.asarray(value), L.hausdorff_dt_loss(
        np.asarray(x), np.asarray(g), activation="softmax", reduction="none"), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(vjp(cotangent)[0]),
                               L.hausdorff_dt_loss.backward(res, np.asarray(cotangent)),
                               rtol=1e-10, atol=1e-13)


def test_softmax_focal_grad_matches_autodiff_of_its_formula():
    """jax.grad of the adapter against JAX's autodiff of the loss written out in jnp."""
    rng = np.random.default_rng(28)
    x = jnp.asarray(logits(rng, scale=3.0))
    g = jnp.asarray(targets(rng, "soft"))
    mask = jnp.asarray(random_mask(rng))
    a = jnp.asarray([0.75, 0.25, 0.25]).reshape(1, 3, 1, 1)

    def formula(v):
        log_p = jax.nn.log_softmax(v, axis=1)
        pixels = -jnp.sum(a * g * (1 - jnp.exp(log_p)) ** 2.0 * log_p, axis=1)
        return jnp.sum(pixels * mask) / jnp.sum(mask)

    f = jax.jit(lambda v: smj.focal_loss(v, g, activation="softmax", alpha=0.25, mask=mask))
    assert float(f(x)) == pytest.approx(float(formula(x)), rel=1e-12)
    np.testing.assert_allclose(np.asarray(jax.grad(f)(x)), np.asarray(jax.grad(formula)(x)),
                               rtol=1e-10, atol=1e-13)


def test_softmax_focal_float32_extreme_logits_under_jit():
    x = jnp.asarray([[[100.0, -100.0], [-100.0, 100.0], [0.0, 0.0]]], dtype=jnp.float32)
    g = jnp.asarray([[[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]]], dtype=jnp.float32)
    for gamma in (0.25, 2.0):
        value, grad = jax.jit(jax.value_and_grad(lambda v, gamma=gamma: smj.focal_loss(
            v, g, activation="softmax", gamma=gamma)))(x)
        assert grad.dtype == jnp.float32
        assert np.isfinite(float(value)) and np.all(np.isfinite(np.asarray(grad)))
