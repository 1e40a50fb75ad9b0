r"""Per-element losses from logits: weighted (binary) cross-entropy, softmax
cross-entropy and focal loss.

Everything is computed in log space from the logits :math:`x`:
:math:`\log p = -\mathrm{softplus}(-x)`, :math:`\log(1-p) = -\mathrm{softplus}(x)`,
so values and gradients stay finite for logits of :math:`\pm 100` in float32
and, for the focal loss, for :math:`\gamma < 1`. The losses are means over the
valid elements (:math:`N` counts them).
"""
import math
from dataclasses import dataclass

from segmetrics._validate import check_real
from segmetrics.losses._common import (
    astype,
    as_constant,
    channel_weights,
    check_class_weight,
    compute_dtype,
    loss_function,
    namespace,
    prepare,
    log_sigmoid,
)

__all__ = ["weighted_cross_entropy_loss", "cross_entropy_loss", "focal_loss"]


def _channel_vector(xp, values, like):
    return xp.reshape(as_constant(xp, values, like), (1, len(values)) + (1,) * (like.ndim - 2))


@dataclass(frozen=True)
class PixelSpec:
    """Validated, hashable parameters of a per-element loss and its maths."""

    kind: str
    weights: tuple
    pos_weight: object = None      # float, or None: (N - G)/G per channel from the target
    alpha: object = None
    gamma: float = 2.0

    def _state(self, x, g, m):
        xp = namespace(x, g, m)
        xc = astype(xp, x, compute_dtype(xp, x.dtype))
        pixels = float(math.prod(x.shape[2:]) * x.shape[0])
        uniform = all(w == 1.0 for w in self.weights)
        w = None if uniform else _channel_vector(xp, self.weights, xc)
        valid = m if w is None else (w if m is None else m * w)
        kept = sum(1.0 for w_c in self.weights if w_c != 0)
        if self.kind == "cross_entropy":
            count = pixels if m is None else xp.sum(m[:, :1, ...])
        elif m is None:
            count = pixels * kept
        elif m.shape[1] == 1:
            count = xp.sum(m) * kept
        else:
            keep = [1.0 if w_c != 0 else 0.0 for w_c in self.weights]
            count = xp.sum(m * _channel_vector(xp, keep, xc))
        return xp, xc, valid, count

    def _positive_weight(self, xp, g, m, like):
        if self.pos_weight is not None:
            return self.pos_weight
        axes = (0,) + tuple(range(2, g.ndim))
        gm = g if m is None else g * m
        positives = xp.sum(gm, axis=axes, keepdims=True)
        total = (xp.sum(xp.ones_like(like), axis=axes, keepdims=True) if m is None
                 else xp.sum(m + xp.zeros_like(like), axis=axes, keepdims=True))
        ratio = (total - positives) / xp.where(positives > 0, positives, xp.ones_like(positives))
        return xp.where(positives > 0, ratio, xp.ones_like(ratio))

    def _terms(self, xp, xc, g, m, gradient, differentiable=True):
        """``(u, du)``: the per-element loss terms are ``-u`` (before masking and the
        1/N mean) and, when asked, their derivatives with respect to the logits ``-du``.
        With ``differentiable=False`` the result need not be differentiable again, which
        allows a few cheaper operations (powers of probabilities that may be 0)."""
        if self.kind == "cross_entropy":
            top = xp.max(xc, axis=1, keepdims=True)
            shifted = xc - top
            log_sum = xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
            log_soft = shifted - log_sum
            return g * log_soft, (xp.exp(log_soft) if gradient else None)   # finished later
        log_p, log_q = log_sigmoid(xp, xc), log_sigmoid(xp, -xc)
        if self.kind == "bce":
            pw = self._positive_weight(xp, g, m, xc)
            g_pos = g if isinstance(pw, float) and pw == 1.0 else pw * g
            g_neg = 1.0 - g
            u = g_pos * log_p + g_neg * log_q
            if not gradient:
                return u, None
            return u, g_pos * xp.exp(log_q) - g_neg * xp.exp(log_p)
        gamma = self.gamma
        g_pos = g if self.alpha is None else self.alpha * g
        g_neg = 1.0 - g if self.alpha is None else (1.0 - self.alpha) * (1.0 - g)
        if gradient:
            p, q = xp.exp(log_p), xp.exp(log_q)                       # q = 1 - p, accurate
        if not gamma:
            focus_pos = focus_neg = None
        elif gradient and not differentiable:
            focus_pos, focus_neg = q ** gamma, p ** gamma
        else:
            focus_pos = xp.exp(gamma * log_q)                          # (1 - p)^gamma
            focus_neg = xp.exp(gamma * log_p)                          # p^gamma
        t_pos = log_p if focus_pos is None else focus_pos * log_p
        t_neg = log_q if focus_neg is None else focus_neg * log_q
        u = g_pos * t_pos + g_neg * t_neg
        if not gradient:
            return u, None
        d_pos = q - gamma * (p * log_p) if gamma else q
        d_neg = gamma * (q * log_q) - p if gamma else -p
        if focus_pos is not None:
            d_pos = focus_pos * d_pos
            d_neg = focus_neg * d_neg
        return u, g_pos * d_pos + g_neg * d_neg

    def _finish(self, xp, x, g, valid, count, du, scale):
        if self.kind == "cross_entropy":
            weighted = g if valid is None else valid * g
            du = weighted - du * xp.sum(weighted, axis=1, keepdims=True)
        elif valid is not None:
            du = du * valid
        return astype(xp, du * (-scale / count), x.dtype)

    def forward(self, x, g, m, aux):
        xp, xc, valid, count = self._state(x, g, m)
        u, _ = self._terms(xp, xc, g, m, False)
        return -xp.sum(u if valid is None else valid * u) / count

    def backward(self, x, g, m, aux, grad_out):
        xp, xc, valid, count = self._state(x, g, m)
        _, du = self._terms(xp, xc, g, m, True)
        return self._finish(xp, x, g, valid, count, du, grad_out)

    def forward_cached(self, x, g, m, aux):
        """The loss and its gradient for a unit upstream gradient, from one pass
        (for :meth:`backward_cached`, a first-order-only backward)."""
        xp, xc, valid, count = self._state(x, g, m)
        u, du = self._terms(xp, xc, g, m, True, differentiable=False)
        loss = -xp.sum(u if valid is None else valid * u) / count
        return loss, (self._finish(xp, x, g, valid, count, du, 1.0),)

    def backward_cached(self, x, g, m, aux, cache, grad_out):
        """dL/dx from the cached unit gradient; not differentiable again."""
        return cache[0] * grad_out


def _build(kind, input, target, *, mask, ignore_index, include_background, weight, **extra):
    xp = namespace(input, target, mask)
    g, m = prepare(xp, input, target, mask, ignore_index)
    channels = input.shape[1]
    weights = channel_weights(check_class_weight(weight, channels), include_background, channels)
    return g, m, None, PixelSpec(kind, weights, **extra)


def _build_wce(input, target, *, pos_weight, **params):
    if isinstance(pos_weight, str):
        if pos_weight != "auto":
            raise ValueError(f"pos_weight must be 'auto' or a number; got {pos_weight!r}")
        pos_weight = None
    else:
        pos_weight = check_real(pos_weight, "pos_weight", minimum=0.0)
    return _build("bce", input, target, pos_weight=pos_weight, **params)


def _build_ce(input, target, **params):
    if input.shape[1] < 2:
        raise ValueError(
            "cross_entropy_loss applies a softmax over the channels, which is constant for a "
            "single channel; use weighted_cross_entropy_loss (sigmoid) for binary outputs")
    return _build("cross_entropy", input, target, **params)


def _build_focal(input, target, *, alpha, gamma, **params):
    if alpha is not None:
        alpha = check_real(alpha, "alpha", minimum=0.0)
        if alpha > 1:
            raise ValueError(f"alpha must be in [0, 1]; got {alpha}")
    gamma = check_real(gamma, "gamma", minimum=0.0)
    return _build("focal", input, target, alpha=alpha, gamma=gamma, **params)


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
        (the mean still divides by the number of valid elements)."""


def _doc(function):
    function.__doc__ = function.__doc__.replace("{parameters}", _PARAMETERS)
    return function


@loss_function(_build_wce)
@_doc
def weighted_cross_entropy_loss(input, target, *, pos_weight="auto", mask=None, ignore_index=None,
                                include_background=True, weight=None):
    r"""Binary cross-entropy from logits, per channel, with a positive-class weight.

    .. math:: L = -\frac{1}{N} \sum_i [w\, g_i \log p_i + (1 - g_i) \log(1 - p_i)],
              \quad p_i = \sigma(x_i)

    With ``pos_weight='auto'`` (the report's equation 9, corrected),
    :math:`w = (N - G)/G` per channel over the whole batch, from the ground
    truth and held constant (1 for a channel without positives).
    Gradient: :math:`\partial L/\partial x_i = -[w g_i (1 - p_i) - (1 - g_i) p_i]/N`.
    ``pos_weight=1`` is ``torch.nn.BCEWithLogitsLoss``.

    Parameters
    ----------
    {parameters}
    pos_weight : 'auto' or float, default 'auto'
        The weight :math:`w` of the positive terms.

    Returns
    -------
    array
        0-d loss.

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
def cross_entropy_loss(input, target, *, mask=None, ignore_index=None, include_background=True,
                       weight=None):
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
    array
        0-d loss.

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
def focal_loss(input, target, *, alpha=None, gamma=2.0, mask=None, ignore_index=None,
               include_background=True, weight=None):
    r"""Focal loss (Lin et al. 2017) from logits, per channel (sigmoid).

    .. math:: FL = -\frac{1}{N} \sum_i [\alpha g_i (1-p_i)^\gamma \log p_i
              + (1-\alpha)(1-g_i)\, p_i^\gamma \log(1-p_i)]

    the report's equation 11 corrected (its focusing factors used :math:`g`,
    and its inner minus sign rewarded false positives). The powers are
    computed as :math:`\exp(\gamma \log\sigma(\pm x))`, so the loss and
    :math:`\partial FL/\partial x_i = -[\alpha g_i (1-p_i)^\gamma ((1-p_i) - \gamma p_i \log p_i)
    + (1-\alpha)(1-g_i) p_i^\gamma (\gamma (1-p_i)\log(1-p_i) - p_i)]/N`
    are finite for :math:`\gamma < 1` and logits of :math:`\pm 100`.

    Parameters
    ----------
    {parameters}
    alpha : float in [0, 1], optional
        Weight of the positive terms (negatives get :math:`1 - \alpha`);
        ``None`` (default) weighs both by 1, as MONAI's default does.
    gamma : float, default 2
        Focusing exponent, >= 0; 0 gives cross-entropy.

    Returns
    -------
    array
        0-d loss.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[[0.0, 0.0]]])
    >>> g = np.array([[[1.0, 0.0]]])
    >>> round(float(focal_loss(x, g, gamma=0.0)), 6)
    0.693147
    """
