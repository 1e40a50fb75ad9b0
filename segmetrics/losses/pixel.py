r"""Per-element losses from logits: weighted (binary) cross-entropy, softmax
cross-entropy and focal loss.

Everything is computed in log space from the logits :math:`x`:
:math:`\log p = -\mathrm{softplus}(-x)`, :math:`\log(1-p) = -\mathrm{softplus}(x)`,
so values and gradients stay finite for logits of :math:`\pm 100` in float32
and, for the focal loss, for :math:`\gamma < 1`. The losses are means over the
valid elements (:math:`N` counts them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from collections.abc import Sequence
from typing import Any, Callable, Literal, TypeVar, cast

from segmetrics._validate import check_real
from segmetrics.losses._common import (
    Activation,
    AnyArray,
    Array,
    ClassWeight,
    LossValue,
    Namespace,
    Reduction,
    activate,
    as_constant,
    astype,
    channel_weights,
    check_activation,
    check_class_weight,
    check_reduction,
    compute_dtype,
    log_sigmoid,
    log_softmax,
    loss_function,
    namespace,
    prepare,
    scalars,
    size,
    upstream,
    with_background,
    without_background,
)

_F = TypeVar("_F", bound=Callable[..., object])
_Prepared = tuple[AnyArray, AnyArray | None, None, "PixelSpec"]   # target, mask, aux, spec
_WithGradient = tuple[AnyArray, AnyArray | None]   # a loss, and its gradient when asked

__all__ = ["weighted_cross_entropy_loss", "cross_entropy_loss", "focal_loss"]


def _channel_vector(xp: Namespace, values: Sequence[float], like: AnyArray) -> AnyArray:
    return xp.reshape(as_constant(xp, values, like), (1, len(values)) + (1,) * (like.ndim - 2))


def _sigmoid_and_logs(xp: Namespace, x: AnyArray
                      ) -> tuple[AnyArray, AnyArray, AnyArray, AnyArray]:
    """``p = sigmoid(x)``, ``q = sigmoid(-x)``, ``-log p`` and ``-log q``, each to full
    relative precision for any finite ``x``, from two sigmoid passes and one ``log1p``.

    For values only: the clipped terms have the wrong derivative at ``x = 0``, so the
    differentiable path uses :func:`log_sigmoid` instead.
    """
    q, neg_log_p = _sigmoid_and_positive_part(xp, -x)
    p, neg_log_q = _sigmoid_and_positive_part(xp, x)
    log_big = _log_sigmoid_of_abs(xp, p, q)
    neg_log_p -= log_big                        # -log p = max(-x, 0) - log sigmoid(|x|)
    neg_log_q -= log_big
    return p, q, neg_log_p, neg_log_q


def _sigmoid_and_positive_part(xp: Namespace, v: AnyArray) -> tuple[AnyArray, AnyArray]:
    return activate(xp, v, "sigmoid"), xp.clip(v, min=0.0)


def _log_sigmoid_of_abs(xp: Namespace, p: AnyArray, q: AnyArray) -> AnyArray:
    """log sigmoid(|x|) = log(1 - sigmoid(-|x|)), from ``p`` and ``q``."""
    small = xp.minimum(p, q)
    small *= scalars(xp, small, -1.0)[0]
    return xp.log1p(small)


def _power(xp: Namespace, base: AnyArray, neg_log_base: AnyArray, gamma: float) -> AnyArray:
    """``base ** gamma``: by multiplication for an integer ``gamma``, else as
    ``exp(-gamma * neg_log_base)``."""
    if float(gamma).is_integer():
        return base ** gamma
    return xp.exp(neg_log_base * -gamma)


def _times(array: AnyArray, *factors: AnyArray | float | None) -> AnyArray:
    """``array`` times those ``factors`` that are neither ``None`` nor the float 1."""
    for factor in factors:
        if factor is not None and not (isinstance(factor, float) and factor == 1.0):
            array = array * factor
    return array


def _log_one_minus_softmax(xp: Namespace, log_p: AnyArray) -> tuple[AnyArray, AnyArray]:
    r"""``(log(1 - p), dominant)`` from ``log_p = log_softmax(x)`` over axis 1, to full
    relative precision and with finite derivatives of every order for finite logits.

    A channel with :math:`p_c \le e^{-1/2}` (all but at most one per pixel) gets
    ``log1p(-p_c)``; the one channel above (``dominant``), whose :math:`1 - p_c` would
    cancel, gets the log-sum-exp of the *other* channels' ``log_p``. Each branch sees
    safe values where it is not taken, so no NaN leaks into a derivative.
    """
    dominant = log_p > -0.5                                 # p > 0.607: at most one channel
    rest = xp.log1p(-xp.exp(xp.where(dominant, xp.full_like(log_p, -1.0), log_p)))
    others = xp.where(dominant, xp.full_like(log_p, -math.inf), log_p)
    top = xp.max(others, axis=1, keepdims=True)             # finite: C > 1 channels
    lse = top + xp.log(xp.sum(xp.exp(others - top), axis=1, keepdims=True))
    return xp.where(dominant, lse, rest), dominant


def _neg_log_p_over_q(xp: Namespace, log_p: AnyArray, q: AnyArray, dominant: AnyArray
                      ) -> AnyArray:
    r""":math:`r = -\log p / (1 - p)`, which tends to 1 as :math:`p \to 1`: from
    ``log1p(-q)`` for the dominant channel (where ``q`` may underflow to 0, giving 1),
    from ``log_p`` elsewhere (where :math:`q > 0.39`)."""
    positive = xp.logical_and(dominant, q > 0)
    half = xp.full_like(q, 0.5)                 # a safe stand-in where a branch is not taken
    top = xp.where(positive, q, half)
    top = xp.where(positive, -xp.log1p(-top) / top, xp.ones_like(q))
    rest = xp.where(dominant, half, q)
    return xp.where(dominant, top, -log_p / rest)


_SOFTMAX_KINDS = ("cross_entropy", "softmax_focal")    # per-pixel losses summed over channels


@dataclass(frozen=True)
class PixelSpec:
    r"""Validated, hashable parameters of a per-element loss and its maths.

    The binary losses (``bce`` and ``focal``) share one per-element form: with
    :math:`p = \sigma(x)`, :math:`q = 1 - p`,
    :math:`L = w_+ g\, q^\gamma (-\log p) + w_- (1 - g)\, p^\gamma (-\log q)`
    (:math:`\gamma = 0` for the binary cross-entropy) and
    :math:`\partial L/\partial x = w_- (1 - g) D_- - w_+ g D_+`, where
    :math:`D_+ = q^\gamma (q - \gamma p \log p)` and
    :math:`D_- = p^\gamma (p - \gamma q \log q)`.
    """

    fusable = True      # the torch adapter may run it through torch.compile (not a field)

    kind: str
    weights: tuple[float, ...]
    pos_weight: float | None = None   # None: (N - G)/G per channel from the target
    alpha: float | None = None
    gamma: float = 0.0
    reduction: str = "mean"
    drop_background: bool = False    # include_background=False: 'none' leaves channel 0 out

    def _state(self, xp: Namespace, x: AnyArray, g: AnyArray, m: AnyArray | None
               ) -> tuple[AnyArray, AnyArray | None, AnyArray | float]:
        xc = astype(xp, x, compute_dtype(xp, x.dtype))
        pixels = float(size(x.shape[2:]) * x.shape[0])
        uniform = all(w == 1.0 for w in self.weights)
        w = None if uniform else _channel_vector(xp, self.weights, xc)
        valid = m if w is None else (w if m is None else m * w)
        kept = sum(1.0 for w_c in self.weights if w_c != 0)
        if self.kind in _SOFTMAX_KINDS:
            count = pixels if m is None else xp.sum(m[:, :1, ...])
        elif m is None:
            count = pixels * kept
        elif m.shape[1] == 1:
            count = xp.sum(m) * kept
        else:
            keep = [1.0 if w_c != 0 else 0.0 for w_c in self.weights]
            count = xp.sum(m * _channel_vector(xp, keep, xc))
        return xc, valid, count

    def _positive_weight(self, xp: Namespace, g: AnyArray, m: AnyArray | None, like: AnyArray
                         ) -> AnyArray | float:
        if self.pos_weight is not None:
            return self.pos_weight
        axes = (0,) + tuple(range(2, g.ndim))
        gm = g if m is None else g * m
        positives = xp.sum(gm, axis=axes, keepdims=True)
        total = (xp.sum(xp.ones_like(like), axis=axes, keepdims=True) if m is None
                 else xp.sum(m + xp.zeros_like(like), axis=axes, keepdims=True))
        ratio = (total - positives) / xp.where(positives > 0, positives, xp.ones_like(positives))
        return xp.where(positives > 0, ratio, xp.ones_like(ratio))

    def _term_weights(self, xp: Namespace, g: AnyArray, m: AnyArray | None, like: AnyArray
                      ) -> tuple[AnyArray | float, float]:
        """``(w_+, w_-)``: floats, or per-channel arrays for ``pos_weight='auto'``."""
        if self.kind == "bce":
            return self._positive_weight(xp, g, m, like), 1.0
        if self.alpha is None:
            return 1.0, 1.0
        return self.alpha, 1.0 - self.alpha

    def _binary_terms(self, xp: Namespace, xc: AnyArray, g: AnyArray, m: AnyArray | None,
                      gradient: bool) -> _WithGradient:
        """Per-element ``L`` and (when asked) ``dL/dx`` as plain expressions, so that
        both can be differentiated again; the powers are ``exp(gamma * log)``."""
        log_p, log_q = log_sigmoid(xp, xc), log_sigmoid(xp, -xc)
        w_pos, w_neg = self._term_weights(xp, g, m, xc)
        g_pos, g_neg = _times(g, w_pos), _times(1.0 - g, w_neg)
        gamma = self.gamma
        focus_pos = xp.exp(gamma * log_q) if gamma else 1.0            # q^gamma
        focus_neg = xp.exp(gamma * log_p) if gamma else 1.0            # p^gamma
        loss = -(g_pos * focus_pos * log_p + g_neg * focus_neg * log_q)
        if not gradient:
            return loss, None
        p, q = xp.exp(log_p), xp.exp(log_q)
        d_pos = q - gamma * (p * log_p) if gamma else q
        d_neg = p - gamma * (q * log_q) if gamma else p
        return loss, g_neg * focus_neg * d_neg - g_pos * focus_pos * d_pos

    def _binary_fused(self, xp: Namespace, xc: AnyArray, g: AnyArray, m: AnyArray | None,
                      valid: AnyArray | None, per_element: bool = False
                      ) -> tuple[AnyArray, AnyArray]:
        """The summed loss (the per-element loss with ``per_element``) and its gradient,
        first order only: the same formulas as :meth:`_binary_terms`, with one ``log1p``
        and in-place updates of fresh temporaries instead of a new array per operation."""
        loss_neg, loss_pos, grad_neg, grad_pos = self._focused_terms(xp, xc)
        w_pos, w_neg = self._term_weights(xp, g, m, xc)
        one, = scalars(xp, g, 1.0)
        g_pos = _times(g, w_pos, valid)
        g_neg = _times(one - g, w_neg, valid)
        grad_neg *= g_neg
        grad_pos *= g_pos
        grad_neg -= grad_pos
        loss_neg *= g_neg
        loss_pos *= g_pos
        loss_neg += loss_pos
        if per_element:
            return without_background(loss_neg, self.drop_background, 1), grad_neg
        return xp.sum(loss_neg), grad_neg

    def _focused_terms(self, xp: Namespace, xc: AnyArray
                       ) -> tuple[AnyArray, AnyArray, AnyArray, AnyArray]:
        """Fresh arrays ``(L_-, L_+, D_-, D_+)``: the unweighted per-element losses of a
        negative and a positive target, and the derivatives of ``L_-`` and ``-L_+``."""
        p, q, loss_pos, loss_neg = _sigmoid_and_logs(xp, xc)    # -log p, -log q so far
        gamma = self.gamma
        if not gamma:
            return loss_neg, loss_pos, p, q
        focus_pos = _power(xp, q, loss_neg, gamma)              # q^gamma
        focus_neg = _power(xp, p, loss_pos, gamma)              # p^gamma
        loss_pos *= focus_pos
        loss_neg *= focus_neg
        focus_pos *= q
        focus_neg *= p
        grad_pos, grad_neg = p, q       # p and q are not needed again: reuse their memory
        gamma, = scalars(xp, xc, gamma)
        grad_pos *= loss_pos                                    # D_+ = gamma p L_+ + q^(gamma+1)
        grad_pos *= gamma
        grad_pos += focus_pos
        grad_neg *= loss_neg                                    # D_- = gamma q L_- + p^(gamma+1)
        grad_neg *= gamma
        grad_neg += focus_neg
        return loss_neg, loss_pos, grad_neg, grad_pos

    def _cross_entropy(self, xp: Namespace, xc: AnyArray, g: AnyArray, valid: AnyArray | None,
                       gradient: bool, per_element: bool = False) -> _WithGradient:
        """The summed loss (the per-pixel loss with ``per_element``) and (when asked)
        its gradient ``s sum_c(w g) - w g``."""
        log_soft = log_softmax(xp, xc)
        weighted = g if valid is None else valid * g
        if per_element:
            loss = -xp.sum(weighted * log_soft, axis=1)
        else:
            loss = -xp.sum(weighted * log_soft)
        if not gradient:
            return loss, None
        return loss, xp.exp(log_soft) * xp.sum(weighted, axis=1, keepdims=True) - weighted

    def _softmax_focal(self, xp: Namespace, xc: AnyArray, g: AnyArray, valid: AnyArray | None,
                       gradient: bool, per_element: bool = False) -> _WithGradient:
        """As :meth:`_cross_entropy` for the softmax focal loss (which it is at gamma = 0):
        the summed loss ``-sum_c u_c q_c^gamma log p_c`` (per pixel with ``per_element``)
        and (when asked) its gradient ``D - p sum_c D_c``, where ``u = valid * g`` and
        ``D_c = -u_c q_c^gamma (1 + gamma p_c r_c)``, ``r = -log p / q``: plain expressions,
        differentiable again."""
        gamma = self.gamma
        if not gamma:
            return self._cross_entropy(xp, xc, g, valid, gradient, per_element)
        log_p = log_softmax(xp, xc)
        log_q, dominant = _log_one_minus_softmax(xp, log_p)
        weighted = g if valid is None else valid * g
        focused = weighted * xp.exp(gamma * log_q)                  # u q^gamma
        if per_element:
            loss = -xp.sum(focused * log_p, axis=1)
        else:
            loss = -xp.sum(focused * log_p)
        if not gradient:
            return loss, None
        p, q = xp.exp(log_p), xp.exp(log_q)
        d = -focused * (1.0 + gamma * (p * _neg_log_p_over_q(xp, log_p, q, dominant)))
        return loss, d - p * xp.sum(d, axis=1, keepdims=True)

    def _upstream(self, xp: Namespace, grad_out: Any, count: AnyArray | float | None,
                  like: AnyArray) -> AnyArray:
        """What multiplies the summed loss's gradient ``like``: ``grad_out`` over the
        count for 'mean', ``grad_out`` for 'sum', and for 'none' ``grad_out`` (of the
        unreduced loss's shape) broadcast against ``like``."""
        if self.reduction == "mean":
            return grad_out / count
        if self.reduction == "sum":
            return grad_out
        shape = tuple(like.shape)
        if self.kind in _SOFTMAX_KINDS:
            pixels = upstream(xp, grad_out, shape[:1] + shape[2:], like)
            return xp.expand_dims(pixels, axis=1)
        drop = self.drop_background
        kept = upstream(xp, grad_out, (shape[0], shape[1] - drop) + shape[2:], like)
        return with_background(xp, kept, drop, 1)

    def forward(self, x: AnyArray, g: AnyArray, m: AnyArray | None, aux: None) -> AnyArray:
        xp = namespace(x, g, m)
        xc, valid, count = self._state(xp, x, g, m)
        none = self.reduction == "none"
        if self.kind == "cross_entropy":
            total = self._cross_entropy(xp, xc, g, valid, False, none)[0]
        elif self.kind == "softmax_focal":
            total = self._softmax_focal(xp, xc, g, valid, False, none)[0]
        else:
            loss, _ = self._binary_terms(xp, xc, g, m, False)
            loss = loss if valid is None else valid * loss
            total = without_background(loss, self.drop_background, 1) if none else xp.sum(loss)
        return total / count if self.reduction == "mean" else total

    def backward(self, x: AnyArray, g: AnyArray, m: AnyArray | None, aux: None,
                 grad_out: Any) -> AnyArray:
        xp = namespace(x, g, m)
        xc, valid, count = self._state(xp, x, g, m)
        if self.kind == "cross_entropy":
            _, grad = self._cross_entropy(xp, xc, g, valid, True)
        elif self.kind == "softmax_focal":
            _, grad = self._softmax_focal(xp, xc, g, valid, True)
        else:
            _, grad = self._binary_terms(xp, xc, g, m, True)
            grad = grad if valid is None else grad * valid
        return astype(xp, grad * self._upstream(xp, grad_out, count, grad), x.dtype)

    def forward_cached(self, x: AnyArray, g: AnyArray, m: AnyArray | None, aux: None
                       ) -> tuple[AnyArray, tuple[AnyArray, AnyArray]]:
        """The loss, and its summed gradient with ``1/N`` for :meth:`backward_cached`
        (a first-order-only backward), from one pass."""
        xp = namespace(x, g, m)
        xc, valid, count = self._state(xp, x, g, m)
        none = self.reduction == "none"
        if self.kind == "cross_entropy":
            total, grad = self._cross_entropy(xp, xc, g, valid, True, none)
        elif self.kind == "softmax_focal":
            total, grad = self._softmax_focal(xp, xc, g, valid, True, none)
        else:
            total, grad = self._binary_fused(xp, xc, g, m, valid, none)
        if self.reduction == "mean":
            if isinstance(count, float):
                count, = scalars(xp, xc, count)
            one, = scalars(xp, xc, 1.0)
            one = one if hasattr(one, "shape") else as_constant(xp, one, xc)
            return total / count, (grad, one / count)
        return total, (grad, as_constant(xp, 1.0, xc))

    def backward_cached(self, x: AnyArray, g: AnyArray, m: AnyArray | None, aux: None,
                        cache: tuple[AnyArray, AnyArray], grad_out: Any) -> AnyArray:
        """dL/dx from the cached summed gradient; not differentiable again."""
        xp = namespace(x, g, m)
        grad, inverse_count = cache
        if self.reduction == "none":
            return astype(xp, grad * self._upstream(xp, grad_out, None, grad), x.dtype)
        return astype(xp, grad * (grad_out * inverse_count), x.dtype)


def _build(kind: str, input: AnyArray, target: AnyArray, *, mask: AnyArray | None,
           ignore_index: int | None, include_background: bool, weight: ClassWeight | None,
           reduction: Reduction, **extra: Any) -> _Prepared:
    xp = namespace(input, target, mask)
    g, m = prepare(xp, input, target, mask, ignore_index)
    channels = input.shape[1]
    weights = channel_weights(check_class_weight(weight, channels), include_background, channels)
    drop = not include_background and kind not in _SOFTMAX_KINDS
    return g, m, None, PixelSpec(kind, weights, **extra, reduction=check_reduction(reduction),
                                 drop_background=drop)


def _build_wce(input: AnyArray, target: AnyArray, *, pos_weight: Literal["auto"] | float,
               **params: Any) -> _Prepared:
    fixed: float | None = None      # None: from the target
    if isinstance(pos_weight, str):
        if pos_weight != "auto":
            raise ValueError(f"pos_weight must be 'auto' or a number; got {pos_weight!r}")
    else:
        fixed = check_real(pos_weight, "pos_weight", minimum=0.0)
    return _build("bce", input, target, pos_weight=fixed, **params)


def _build_ce(input: AnyArray, target: AnyArray, **params: Any) -> _Prepared:
    if input.shape[1] < 2:
        raise ValueError(
            "cross_entropy_loss applies a softmax over the channels, which is constant for a "
            "single channel; use weighted_cross_entropy_loss (sigmoid) for binary outputs")
    return _build("cross_entropy", input, target, **params)


def _build_focal(input: AnyArray, target: AnyArray, *, alpha: float | None, gamma: float,
                 activation: Activation, **params: Any) -> _Prepared:
    activation = check_activation(activation, input.shape[1], ("sigmoid", "softmax"))
    if alpha is not None:
        alpha = check_real(alpha, "alpha", minimum=0.0)
        if alpha > 1:
            raise ValueError(f"alpha must be in [0, 1]; got {alpha}")
    gamma = check_real(gamma, "gamma", minimum=0.0)
    if activation == "sigmoid":
        return _build("focal", input, target, alpha=alpha, gamma=gamma, **params)
    g, m, aux, spec = _build("softmax_focal", input, target, gamma=gamma, **params)
    if alpha is not None:           # as MONAI: 1 - alpha for channel 0, alpha for the others
        weights = (spec.weights[0] * (1.0 - alpha),) + tuple(w * alpha for w in spec.weights[1:])
        if not any(weights):
            raise ValueError("alpha, weight and include_background leave no channel to average")
        spec = replace(spec, weights=weights, alpha=alpha)
    return g, m, aux, spec


_PARAMETERS = """input : array
        Logits, shape ``(B, C, *spatial)``, any array API array; fp16/bf16
        inputs are computed in float32.
    target : array
        The shape of ``input`` (0/1 or soft targets in [0, 1]), or an integer
        label map of shape ``(B, *spatial)`` or ``(B, 1, *spatial)`` when ``C > 1``.
    mask : array, optional
        Non-zero where an element counts; shape ``(B, *spatial)``,
        ``(B, 1, *spatial)`` or that of ``input``.
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    include_background : bool, default True
        False leaves channel 0 out.
    weight : sequence of float, optional
        One non-negative weight per channel, multiplying that channel's terms
        (the mean still divides by the number of valid elements).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        'mean': the sum of the (weighted) per-element losses over the valid
        elements divided by their number :math:`N`; 'sum': that sum; 'none':
        the per-element losses (see Returns), 0 at masked or ignored elements."""

_RETURNS_BINARY = """array
        0-d for ``reduction='mean'`` or ``'sum'``; with ``'none'`` the
        per-element losses, shape ``(B, C', *spatial)``, :math:`C'` the
        channels without channel 0 when ``include_background=False``."""

_RETURNS_SOFTMAX = """array
        0-d for ``reduction='mean'`` or ``'sum'``; with ``'none'`` the
        per-pixel losses (summed over the channels), shape ``(B, *spatial)``."""


def _doc(function: _F) -> _F:
    function.__doc__ = (cast(str, function.__doc__).replace("{parameters}", _PARAMETERS)
                        .replace("{returns_binary}", _RETURNS_BINARY)
                        .replace("{returns_softmax}", _RETURNS_SOFTMAX))
    return function


@loss_function(_build_wce)
@_doc
def weighted_cross_entropy_loss(input: Array, target: Array, *,
                                pos_weight: Literal["auto"] | float = "auto",
                                mask: Array | None = None, ignore_index: int | None = None,
                                include_background: bool = True,
                                weight: ClassWeight | None = None,
                                reduction: Reduction = "mean") -> LossValue:
    r"""Binary cross-entropy from logits, per channel, with a positive-class weight.

    .. math:: L = -\frac{1}{N} \sum_i [w\, g_i \log p_i + (1 - g_i) \log(1 - p_i)],
              \quad p_i = \sigma(x_i)

    With ``pos_weight='auto'`` (equation 9 of *Technical report on seg CNN and
    loss*, Jing Zhang, 2019, corrected), :math:`w = (N - G)/G` per channel over
    the whole batch, from the ground truth and held constant (1 for a channel
    without positives).
    Gradient: :math:`\partial L/\partial x_i = -[w g_i (1 - p_i) - (1 - g_i) p_i]/N`.
    ``pos_weight=1`` is ``torch.nn.BCEWithLogitsLoss``.

    Parameters
    ----------
    {parameters}
    pos_weight : 'auto' or float, default 'auto'
        The weight :math:`w` of the positive terms.

    Returns
    -------
    {returns_binary}

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[0.0, 0.0]]])
    >>> g = np.array([[[1.0, 0.0]]])
    >>> round(float(weighted_cross_entropy_loss(x, g)), 6)
    0.693147
    """


@loss_function(_build_ce)
@_doc
def cross_entropy_loss(input: Array, target: Array, *, mask: Array | None = None,
                       ignore_index: int | None = None, include_background: bool = True,
                       weight: ClassWeight | None = None,
                       reduction: Reduction = "mean") -> LossValue:
    r"""Softmax cross-entropy over the channels, from logits.

    .. math:: L = -\frac{1}{N} \sum_i \sum_c w_c\, g_{ci} \log \mathrm{softmax}(x_i)_c

    :math:`N` is the number of valid pixels. Gradient:
    :math:`\partial L/\partial x_{ci} = -[w_c g_{ci} - s_{ci} \sum_k w_k g_{ki}]/N`.
    Without weights and with hard labels this is ``torch.nn.CrossEntropyLoss``;
    with ``weight`` PyTorch divides by the summed weights of the labels instead of :math:`N`.

    Parameters
    ----------
    {parameters}

    Returns
    -------
    {returns_softmax}

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((1, 2, 3))
    >>> labels = np.array([[0, 1, 1]])
    >>> round(float(cross_entropy_loss(x, labels)), 6)
    0.693147
    """


@loss_function(_build_focal)
@_doc
def focal_loss(input: Array, target: Array, *, alpha: float | None = None, gamma: float = 2.0,
               activation: Activation = "sigmoid", mask: Array | None = None,
               ignore_index: int | None = None, include_background: bool = True,
               weight: ClassWeight | None = None,
               reduction: Reduction = "mean") -> LossValue:
    r"""Focal loss (Lin et al. 2017) from logits: per channel (sigmoid, the default) or
    over the channels (softmax).

    With ``activation='sigmoid'``, :math:`p_i = \sigma(x_i)` per element and channel:

    .. math:: FL = -\frac{1}{N} \sum_i [\alpha g_i (1-p_i)^\gamma \log p_i
              + (1-\alpha)(1-g_i)\, p_i^\gamma \log(1-p_i)]

    equation 11 of *Technical report on seg CNN and loss* (Jing Zhang, 2019)
    corrected (its focusing factors used :math:`g`,
    and its inner minus sign rewarded false positives). The logarithms come
    from the logits, and the powers are computed as
    :math:`\exp(\gamma \log\sigma(\pm x))` (by multiplication for an integer
    :math:`\gamma` in the first-order backward), so the loss and
    :math:`\partial FL/\partial x_i = -[\alpha g_i (1-p_i)^\gamma ((1-p_i) - \gamma p_i \log p_i)
    + (1-\alpha)(1-g_i) p_i^\gamma (\gamma (1-p_i)\log(1-p_i) - p_i)]/N`
    are finite for :math:`\gamma < 1` and logits of :math:`\pm 100`.

    With ``activation='softmax'``, :math:`p_{ci} = \mathrm{softmax}(x_i)_c` over the
    channels, :math:`q = 1 - p`, and :math:`N` counts the valid pixels:

    .. math:: FL = -\frac{1}{N} \sum_i \sum_c a_c w_c g_{ci}\, q_{ci}^\gamma \log p_{ci},
              \qquad \frac{\partial FL}{\partial x_{ki}} = \frac1N \Big[D_{ki}
              - p_{ki} \sum_c D_{ci}\Big],

    :math:`D_{ci} = -a_c w_c g_{ci}\, q_{ci}^\gamma (1 - \gamma\, p_{ci} \log p_{ci} / q_{ci})`,
    with :math:`a_0 = 1 - \alpha` and :math:`a_c = \alpha` for :math:`c \ge 1`
    (1 without ``alpha``), as MONAI's ``FocalLoss(use_softmax=True)``. :math:`\log p` is
    ``log_softmax`` and :math:`\log q` is computed without cancellation, so the loss and
    gradient are finite for :math:`\gamma < 1` and logits of :math:`\pm 100`; at
    :math:`\gamma = 0` it is :func:`cross_entropy_loss` with class weights :math:`a_c w_c`.

    Parameters
    ----------
    {parameters}
    alpha : float in [0, 1], optional
        Sigmoid: weight of the positive terms (negatives get :math:`1 - \alpha`).
        Softmax: weight of the classes 1, ..., C-1 (channel 0, the background, gets
        :math:`1 - \alpha`). ``None`` (default) weighs everything by 1, as MONAI's
        default does.
    gamma : float, default 2
        Focusing exponent, >= 0; 0 gives cross-entropy.
    activation : {'sigmoid', 'softmax'}, default 'sigmoid'
        'sigmoid': a binary focal loss per channel; 'softmax': the multi-class focal
        loss over the channels (needs ``C > 1``). With 'softmax',
        ``include_background=False`` gives channel 0 weight 0 (the softmax still runs
        over every channel), as in :func:`cross_entropy_loss`.

    Returns
    -------
    array
        0-d for ``reduction='mean'`` or ``'sum'``; with ``'none'`` the per-element
        losses: for 'sigmoid' of shape ``(B, C', *spatial)``, :math:`C'` the channels
        without channel 0 when ``include_background=False``; for 'softmax' per pixel
        (summed over the channels), shape ``(B, *spatial)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[0.0, 0.0]]])
    >>> g = np.array([[[1.0, 0.0]]])
    >>> round(float(focal_loss(x, g, gamma=0.0)), 6)
    0.693147
    >>> x = np.zeros((1, 2, 3))
    >>> labels = np.array([[0, 1, 1]])
    >>> round(float(focal_loss(x, labels, gamma=2.0, activation="softmax")), 6)
    0.173287
    """
