r"""The Hausdorff distance-transform loss of Karimi and Salcudean (2019).

.. math:: L = \frac{1}{N} \sum_i m_i (p_i - g_i)^2 (d_{P,i}^\alpha + d_{G,i}^\alpha)

:math:`d_P` and :math:`d_G` are, at every element, the Euclidean distance to
the nearest element of the other class of the binarised prediction
(:math:`p > 1/2`) and target (:math:`g > 1/2`), per sample and channel. They
are computed on the CPU with :func:`segmetrics.distance.euclidean_distance_transform`
and held constant, so
:math:`\partial L/\partial p_i = 2 m_i (p_i - g_i)(d_{P,i}^\alpha + d_{G,i}^\alpha)/N`.
A mask that is empty or fills its whole sample has a zero distance map.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from segmetrics._validate import check_real
from segmetrics.losses._common import (
    Activation,
    AnyArray,
    Array,
    LossValue,
    Namespace,
    Reduction,
    astype,
    activate,
    activation_backward,
    check_activation,
    check_reduction,
    compute_dtype,
    device_of,
    loss_function,
    namespace,
    prepare,
    upstream,
)

__all__ = ["hausdorff_dt_loss", "distance_field"]


def _to_host(array: AnyArray) -> npt.NDArray[Any]:
    """A NumPy copy of ``array`` (detached from any autograd graph)."""
    if hasattr(array, "detach"):
        array = array.detach()
    if hasattr(array, "cpu"):
        array = array.cpu()
    try:
        return np.asarray(array)
    except (TypeError, ValueError, RuntimeError):
        return np.from_dlpack(array)


def _boundary_distance(mask: npt.NDArray[np.bool_], spacing: Sequence[float] | None
                       ) -> npt.NDArray[np.float64]:
    """Distance of each element to the nearest element of the other class."""
    from segmetrics.distance import euclidean_distance_transform as transform

    if not mask.any() or mask.all():
        return np.zeros(mask.shape)
    return transform(mask, spacing=spacing) + transform(~mask, spacing=spacing)


def distance_field(p: npt.ArrayLike, g: npt.ArrayLike, *, alpha: float = 2.0,
                   spacing: Sequence[float] | None = None) -> npt.NDArray[np.float64]:
    r"""The constant weight :math:`d_P^\alpha + d_G^\alpha` of the loss, on the host.

    Parameters
    ----------
    p, g : array_like
        Probabilities and targets, shape ``(B, C, *spatial)``; binarised at 1/2.
    alpha : float, default 2
        Exponent of the distances.
    spacing : sequence of float, optional
        Physical size of an element along each spatial axis.

    Returns
    -------
    ndarray of float64
        Shape ``(B, C, *spatial)``.
    """
    p = np.asarray(p)
    g = np.asarray(g)
    field = np.zeros(p.shape, dtype=np.float64)
    for b in range(p.shape[0]):
        for c in range(p.shape[1]):
            for binary in (p[b, c] > 0.5, g[b, c] > 0.5):
                field[b, c] += _boundary_distance(binary, spacing) ** alpha
    return field


@dataclass(frozen=True)
class HausdorffSpec:
    """Validated, hashable parameters of the distance-transform loss and its maths."""

    activation: Activation | None
    alpha: float
    spacing: tuple[float, ...] | None
    reduction: Reduction = "mean"

    def _state(self, x: AnyArray, g: AnyArray, m: AnyArray | None, aux: AnyArray
               ) -> tuple[Namespace, AnyArray, AnyArray, AnyArray | float]:
        xp = namespace(x, g, m, aux)
        xc = astype(xp, x, compute_dtype(xp, x.dtype))
        p = activate(xp, xc, self.activation)
        weight = aux if m is None else aux * m
        count = float(math.prod(x.shape)) if m is None else xp.sum(m + xp.zeros_like(xc))
        return xp, p, weight, count

    def forward(self, x: AnyArray, g: AnyArray, m: AnyArray | None, aux: AnyArray) -> AnyArray:
        xp, p, weight, count = self._state(x, g, m, aux)
        diff = p - g
        if self.reduction == "none":
            return diff * diff * weight
        total = xp.sum(diff * diff * weight)
        return total / count if self.reduction == "mean" else total

    def backward(self, x: AnyArray, g: AnyArray, m: AnyArray | None, aux: AnyArray,
                 grad_out: Any) -> AnyArray:
        xp, p, weight, count = self._state(x, g, m, aux)
        if self.reduction == "mean":
            grad_out = grad_out / count
        elif self.reduction == "none":
            grad_out = upstream(xp, grad_out, tuple(p.shape), p)
        grad_p = 2.0 * (p - g) * weight * grad_out
        return astype(xp, activation_backward(xp, p, grad_p, self.activation), x.dtype)

    def field(self, p: npt.ArrayLike, g: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """:func:`distance_field` of host arrays, for this spec's ``alpha`` and ``spacing``."""
        return distance_field(p, g, alpha=self.alpha, spacing=self.spacing)


def build_spec(input: AnyArray, target: AnyArray, *, alpha: float,
               spacing: Sequence[float] | None, mask: AnyArray | None, ignore_index: int | None,
               activation: Activation | None, reduction: Reduction = "mean"
               ) -> tuple[Namespace, AnyArray, AnyArray | None, HausdorffSpec]:
    """Prepared target, mask and the spec, without the distance field."""
    xp = namespace(input, target, mask)
    g, m = prepare(xp, input, target, mask, ignore_index)
    check_activation(activation, input.shape[1])
    alpha = check_real(alpha, "alpha", minimum=0.0)
    if spacing is not None:
        spacing = tuple(check_real(s, "each spacing value", minimum=0.0) for s in spacing)
        if len(spacing) != input.ndim - 2:
            raise ValueError(f"spacing must have one value per spatial axis ({input.ndim - 2}); "
                             f"got {len(spacing)}")
        if not all(spacing):
            raise ValueError("spacing values must be > 0")
    return xp, g, m, HausdorffSpec(activation, alpha, spacing, check_reduction(reduction))


def _build(input: AnyArray, target: AnyArray, **params: Any
           ) -> tuple[AnyArray, AnyArray | None, AnyArray, HausdorffSpec]:
    xp, g, m, spec = build_spec(input, target, **params)
    ct = compute_dtype(xp, input.dtype)
    p = activate(xp, astype(xp, input, ct), spec.activation)
    field = spec.field(_to_host(p), _to_host(g))
    aux = xp.asarray(field, dtype=ct, device=device_of(input))
    return g, m, aux, spec


@loss_function(_build)
def hausdorff_dt_loss(input: Array, target: Array, *, alpha: float = 2.0,
                      spacing: Sequence[float] | None = None, mask: Array | None = None,
                      ignore_index: int | None = None, activation: Activation | None = None,
                      reduction: Reduction = "mean") -> LossValue:
    r"""Hausdorff distance-transform loss (Karimi and Salcudean 2019).

    .. math:: L = \frac{1}{N} \sum_i (p_i - g_i)^2 (d_{P,i}^\alpha + d_{G,i}^\alpha)

    :math:`d_P`, :math:`d_G`: distance from each element to the nearest
    element of the other class of the prediction binarised at 1/2 and of the
    target, per sample and channel, computed on the CPU with the package's
    distance kernels (one device-to-host copy of the probabilities) and held
    constant. Gradient:
    :math:`\partial L/\partial p_i = 2 (p_i - g_i)(d_{P,i}^\alpha + d_{G,i}^\alpha)/N`.

    Parameters
    ----------
    input : array
        Shape ``(B, C, *spatial)``: probabilities, or logits with ``activation``.
    target : array
        The shape of ``input``, or an integer label map when ``C > 1``.
    alpha : float, default 2
        Exponent of the distances.
    spacing : sequence of float, optional
        Physical size of an element along each spatial axis.
    mask : array, optional
        Non-zero where an element counts.
    ignore_index : int, optional
        Elements whose label equals it are masked out.
    activation : {None, 'sigmoid', 'softmax'}, default None
        Applied to ``input`` first.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        'mean': the sum over the valid elements divided by their number
        :math:`N`; 'sum': that sum; 'none': the per-element terms.

    Returns
    -------
    array
        0-d for ``reduction='mean'`` or ``'sum'``; with ``'none'`` the
        per-element terms :math:`(p_i - g_i)^2 (d_{P,i}^\alpha + d_{G,i}^\alpha)`,
        shape ``(B, C, *spatial)``, 0 at masked or ignored elements.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.zeros((1, 1, 5, 5)); g[0, 0, 1:4, 1:4] = 1
    >>> float(hausdorff_dt_loss(g, g))
    0.0
    """
