"""JAX adapter: ``jax.custom_vjp`` losses over :mod:`segmetrics.losses`.

Every function takes ``(input, target, **params)`` like its neutral
counterpart and works under ``jax.jit`` and ``jax.grad`` (also ``grad`` of
``grad``: the backward pass is itself written in differentiable JAX
operations). The parameters are static: pass them as Python values, not
traced arrays. :func:`hausdorff_dt_loss` computes its constant distance maps
on the host through ``jax.pure_callback``. With ``reduction='none'`` the
output is an array: differentiate it with ``jax.vjp`` (any cotangent of its
shape) or ``jax.jacrev``.

``import segmetrics`` never imports this module; use ``import segmetrics.jax``.

Example:

>>> import jax, jax.numpy as jnp
>>> import segmetrics.jax as smj
>>> logits = jnp.zeros((2, 3, 4, 4))
>>> labels = jnp.zeros((2, 4, 4), dtype=jnp.int32)
>>> grad = jax.jit(jax.grad(lambda x: smj.dice_loss(x, labels, activation="softmax")))(logits)
>>> grad.shape
(2, 3, 4, 4)
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Concatenate, cast

import jax

from segmetrics import losses as _losses
from segmetrics.losses import hausdorff as _hausdorff
from segmetrics.losses._common import (
    Activation,
    AnyArray,
    Loss,
    LossSpec,
    P,
    Reduction,
    activate,
    compute_dtype,
)

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = [
    "dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "generalized_dice_loss",
    "kappa_loss", "mcc_loss", "kappa_loss_zhang2019", "focal_loss", "weighted_cross_entropy_loss",
    "cross_entropy_loss", "hausdorff_dt_loss", "apply_spec",
]


@functools.partial(jax.custom_vjp, nondiff_argnums=(4,))
def apply_spec(input: jax.Array, target: jax.Array, mask: jax.Array | None,
               aux: jax.Array | None, spec: LossSpec) -> jax.Array:
    """The neutral forward of ``spec``, differentiated by its neutral backward."""
    return cast(jax.Array, spec.forward(input, target, mask, aux))


def _forward(input: jax.Array, target: jax.Array, mask: jax.Array | None,
             aux: jax.Array | None, spec: LossSpec) -> tuple[jax.Array, tuple[AnyArray, ...]]:
    return spec.forward(input, target, mask, aux), (input, target, mask, aux)


def _backward(spec: LossSpec, residuals: tuple[AnyArray, ...], grad_out: jax.Array
              ) -> tuple[jax.Array, None, None, None]:
    input, target, mask, aux = residuals
    return spec.backward(input, target, mask, aux, grad_out), None, None, None


apply_spec.defvjp(_forward, _backward)


def _adapt(loss: Loss[P]) -> Callable[Concatenate[jax.Array, jax.Array, P], jax.Array]:
    """``loss`` through :func:`apply_spec`, typed with ``loss``'s keyword parameters."""
    @functools.wraps(loss)
    def adapted(input: jax.Array, target: jax.Array, **params: Any) -> jax.Array:
        g, m, aux, spec = cast("Loss[...]", loss).prepare(input, target, **params)
        return apply_spec(input, g, m, aux, spec)
    adapted.__doc__ = (f"JAX version of :func:`segmetrics.losses.{loss.__name__}`, "
                       "usable under ``jit`` and ``grad``.")
    del adapted.__wrapped__
    return cast("Callable[Concatenate[jax.Array, jax.Array, P], jax.Array]", adapted)


dice_loss = _adapt(_losses.dice_loss)
jaccard_loss = _adapt(_losses.jaccard_loss)
tversky_loss = _adapt(_losses.tversky_loss)
focal_tversky_loss = _adapt(_losses.focal_tversky_loss)
generalized_dice_loss = _adapt(_losses.generalized_dice_loss)
kappa_loss = _adapt(_losses.kappa_loss)
mcc_loss = _adapt(_losses.mcc_loss)
kappa_loss_zhang2019 = _adapt(_losses.kappa_loss_zhang2019)
focal_loss = _adapt(_losses.focal_loss)
weighted_cross_entropy_loss = _adapt(_losses.weighted_cross_entropy_loss)
cross_entropy_loss = _adapt(_losses.cross_entropy_loss)


def hausdorff_dt_loss(input: jax.Array, target: jax.Array, *, alpha: float = 2.0,
                      spacing: Sequence[float] | None = None, mask: jax.Array | None = None,
                      ignore_index: int | None = None, activation: Activation | None = None,
                      reduction: Reduction = "mean") -> jax.Array:
    """JAX version of :func:`segmetrics.losses.hausdorff_dt_loss`, for ``jit`` and ``grad``.

    The distance maps are computed on the host by ``jax.pure_callback`` and
    held constant.
    """
    xp, g, m, spec = _hausdorff.build_spec(input, target, alpha=alpha, spacing=spacing, mask=mask,
                                           ignore_index=ignore_index, activation=activation,
                                           reduction=reduction)
    ct = compute_dtype(xp, input.dtype)
    p = jax.lax.stop_gradient(activate(xp, xp.astype(input, ct), activation))

    def host_field(p_host: npt.NDArray[Any], g_host: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return spec.field(p_host, g_host).astype(p_host.dtype)

    # jax does not annotate ShapeDtypeStruct's constructor
    shape = jax.ShapeDtypeStruct(p.shape, p.dtype)  # type: ignore[no-untyped-call]
    aux = jax.pure_callback(host_field, shape, p, jax.lax.stop_gradient(g))
    return apply_spec(input, g, m, aux, spec)

