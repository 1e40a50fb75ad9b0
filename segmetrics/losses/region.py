r"""Region (overlap) losses from soft confusion counts.

For one reduction set (one sample and channel with ``batch=False``, one
channel over the whole batch with ``batch=True``) with probabilities
:math:`p_i`, targets :math:`g_i` and valid elements :math:`i = 1..N`:
:math:`P = \sum p_i`, :math:`G = \sum g_i`, :math:`I = \sum p_i g_i`, and the
soft table :math:`TP = I`, :math:`FP = P - I`, :math:`FN = G - I`,
:math:`TN = N - P - G + I`.

Every loss here is a function :math:`L(I, P, G, N)` of these sums, so its
per-element gradient is :math:`\partial L/\partial p_i = g_i\,\partial L/\partial I
+ \partial L/\partial P`; each ``_terms_*`` function returns the loss per cell
with those two partial derivatives, and :class:`RegionSpec` turns them into the
forward value and the backward pass. The backward pass recomputes the sums
from the inputs, so frameworks that differentiate it (PyTorch double
backward, JAX) get correct second derivatives.
"""
from __future__ import annotations

from dataclasses import dataclass
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
    activation_backward,
    as_constant,
    astype,
    channel_weights,
    check_activation,
    check_bool,
    check_class_weight,
    check_reduction,
    check_smooth,
    compute_dtype,
    expand_cells,
    loss_function,
    is_compiling,
    namespace,
    options_key,
    prepare,
    reduction_axes,
    safe_where,
    scalars,
    upstream,
    valid_count,
    with_background,
    without_background,
)

_Terms = tuple[AnyArray, AnyArray, AnyArray]   # per cell: L, dL/dI, dL/dP
_F = TypeVar("_F", bound=Callable[..., object])
_Prepared = tuple[AnyArray, AnyArray | None, None, "RegionSpec"]   # target, mask, aux, spec

__all__ = [
    "dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss", "generalized_dice_loss",
    "kappa_loss", "mcc_loss", "kappa_loss_zhang2019",
]


def _terms_dice(xp: Namespace, I: AnyArray, P: AnyArray, G: AnyArray, N: AnyArray,
                s: RegionSpec) -> _Terms:
    one, two, neg_two, smooth_nr, smooth_dr = scalars(xp, I, 1.0, 2.0, -2.0, s.smooth_nr,
                                                      s.smooth_dr)
    den = P + G + smooth_dr
    ratio = (two * I + smooth_nr) / den
    return one - ratio, neg_two / den, ratio / den


def _terms_jaccard(xp: Namespace, I: AnyArray, P: AnyArray, G: AnyArray, N: AnyArray,
                   s: RegionSpec) -> _Terms:
    one, smooth_nr, smooth_dr = scalars(xp, I, 1.0, s.smooth_nr, s.smooth_dr)
    num = I + smooth_nr
    union = P + G - I + smooth_dr
    return one - num / union, -(union + num) / (union * union), num / (union * union)


def _tversky(xp: Namespace, I: AnyArray, P: AnyArray, G: AnyArray, s: RegionSpec) -> _Terms:
    c = 1.0 - s.alpha - s.beta
    one, neg_one, alpha, beta, k, smooth_nr, smooth_dr = scalars(
        xp, I, 1.0, -1.0, s.alpha, s.beta, c, s.smooth_nr, s.smooth_dr)
    den = alpha * P + beta * G + smooth_dr
    if c:
        den = den + k * I
    ratio = (I + smooth_nr) / den
    d_i = (k * ratio - one) / den if c else neg_one / den
    return one - ratio, d_i, alpha * ratio / den


def _terms_tversky(xp: Namespace, I: AnyArray, P: AnyArray, G: AnyArray, N: AnyArray,
                   s: RegionSpec) -> _Terms:
    return _tversky(xp, I, P, G, s)


def _terms_focal_tversky(xp: Namespace, I: AnyArray, P: AnyArray, G: AnyArray, N: AnyArray,
                         s: RegionSpec) -> _Terms:
    base, d_i, d_p = _tversky(xp, I, P, G, s)
    positive = base > 0
    gamma = s.gamma
    loss = safe_where(xp, positive, lambda b: b ** gamma, base, 0.0)
    factor = safe_where(xp, positive, lambda b: gamma * b ** (gamma - 1.0), base, 0.0)
    return loss, factor * d_i, factor * d_p


def _count(xp: Namespace, N: AnyArray | float, like: AnyArray) -> AnyArray:
    """``N`` (a float when nothing is masked) as a cached scalar, or the array it is."""
    return scalars(xp, like, N)[0] if isinstance(N, float) else N


def _terms_kappa(xp: Namespace, I: AnyArray, P: AnyArray, G: AnyArray, N: AnyArray,
                 s: RegionSpec) -> _Terms:
    one, two, neg_two, smooth_nr, smooth_dr = scalars(xp, I, 1.0, 2.0, -2.0, s.smooth_nr,
                                                      s.smooth_dr)
    N = _count(xp, N, I)
    a = two * (I - P * G / N) + smooth_nr
    b = P + G - two * P * G / N + smooth_dr
    return one - a / b, neg_two / b, (two * G / N * b + a * (one - two * G / N)) / (b * b)


def _terms_zhang2019(xp: Namespace, I: AnyArray, P: AnyArray, G: AnyArray, N: AnyArray,
                     s: RegionSpec) -> _Terms:
    one, two, smooth_nr, smooth_dr = scalars(xp, I, 1.0, 2.0, s.smooth_nr, s.smooth_dr)
    N = _count(xp, N, I)
    num = two * I - P * G / N + smooth_nr
    den = P + G - two * I / N + smooth_dr
    return (one - num / den, -(two * den + two * num / N) / (den * den),
            (G / N * den + num) / (den * den))


def _terms_mcc(xp: Namespace, I: AnyArray, P: AnyArray, G: AnyArray, N: AnyArray,
               s: RegionSpec) -> _Terms:
    one, neg_one, two, zero, smooth_nr, smooth_dr = scalars(xp, I, 1.0, -1.0, 2.0, 0.0,
                                                            s.smooth_nr, s.smooth_dr)
    N = _count(xp, N, I)
    num = I - P * G / N + smooth_nr
    q = P * G * (N - P) * (N - G)
    positive = q > zero
    root = safe_where(xp, positive, xp.sqrt, q, 0.0)
    den = root / N + smooth_dr
    inv_root = safe_where(xp, positive, lambda v: one / xp.sqrt(v), q, 0.0)
    d_den = G * (N - G) * (N - two * P) * inv_root / (two * N)
    return one - num / den, neg_one / den, -(-G / N * den - num * d_den) / (den * den)


def _terms_kappa_multiclass(xp: Namespace, I: AnyArray, P: AnyArray, G: AnyArray,
                            N: AnyArray, s: RegionSpec) -> _Terms:
    if not isinstance(N, float):
        N = N[..., :1]
    total = xp.sum(I, axis=-1, keepdims=True)
    expected = xp.sum(P * G, axis=-1, keepdims=True)
    num = N * total - expected + s.smooth_nr
    den = N * N - expected + s.smooth_dr
    d_i = -N / den + xp.zeros_like(I)
    return 1.0 - num / den, d_i, G * (den - num) / (den * den)


def _terms_generalized_dice(xp: Namespace, I: AnyArray, P: AnyArray, G: AnyArray,
                            N: AnyArray, s: RegionSpec) -> _Terms:
    keep = as_constant(xp, s.weights, G)
    present = G > 0
    power = {"square": 2.0, "simple": 1.0, "uniform": 0.0}[s.weight_type]
    raw = safe_where(xp, present, lambda v: v ** (-power), G, 0.0) * keep
    if s.absent == "max":
        largest = xp.max(raw, axis=-1, keepdims=True)
        w = xp.where(present, raw, largest + xp.zeros_like(raw)) * keep
    else:
        w = raw
    num = 2.0 * xp.sum(w * I, axis=-1, keepdims=True) + s.smooth_nr
    den = xp.sum(w * (P + G), axis=-1, keepdims=True) + s.smooth_dr
    return 1.0 - num / den, -2.0 * w / den, w * num / (den * den)


_TERMS: dict[str, Callable[[Namespace, AnyArray, AnyArray, AnyArray, AnyArray, RegionSpec],
                           _Terms]] = {
    "dice": _terms_dice, "jaccard": _terms_jaccard, "tversky": _terms_tversky,
    "focal_tversky": _terms_focal_tversky, "kappa": _terms_kappa, "mcc": _terms_mcc,
    "zhang2019": _terms_zhang2019, "kappa_multiclass": _terms_kappa_multiclass,
    "generalized_dice": _terms_generalized_dice,
}
_GROUPED = ("kappa_multiclass", "generalized_dice")   # one loss per set of channels


@dataclass(frozen=True)
class RegionSpec:
    """Validated, hashable parameters of a region loss and its forward/backward maths."""

    fusable = True      # the torch adapter may run it through torch.compile (not a field)

    kind: str
    activation: Activation | None
    smooth_nr: float
    smooth_dr: float
    batch: bool
    weights: tuple[float, ...]
    alpha: float = 0.5
    beta: float = 0.5
    gamma: float = 1.0
    weight_type: str = "square"
    absent: str = "max"
    reduction: str = "mean"
    drop_background: bool = False    # include_background=False: 'none' leaves channel 0 out

    def _state(self, xp: Namespace, x: AnyArray, g: AnyArray, m: AnyArray | None
               ) -> tuple[AnyArray, AnyArray, AnyArray, AnyArray, AnyArray | float]:
        """Probabilities, the loss of every cell, its derivatives with respect to ``I``
        and ``P``, and what each cell counts in the total."""
        p = activate(xp, astype(xp, x, compute_dtype(xp, x.dtype)), self.activation)
        axes = reduction_axes(x.ndim, self.batch)
        cells, d_i, d_p = _TERMS[self.kind](xp, *_sums(xp, p, g, m, axes), self)
        return p, cells, d_i, d_p, self._cell_weight(xp, cells, x.shape[0])

    def _cell_weight(self, xp: Namespace, cells: AnyArray, batch_size: int) -> AnyArray | float:
        """What each cell's loss counts in the total: a float, or one value per channel."""
        per_sample = 1.0 if self.batch else 1.0 / batch_size
        if self.kind in _GROUPED:
            return per_sample
        if all(w == self.weights[0] for w in self.weights):
            return per_sample / len(self.weights)
        total = sum(self.weights)
        return as_constant(xp, [w / total * per_sample for w in self.weights], cells)

    def _sum_weight(self, xp: Namespace, like: AnyArray) -> AnyArray | float:
        """What each cell counts in 'sum' and 'none': the class weights scaled to
        average 1 over the output channels (a float when they are all 1)."""
        if self.kind in _GROUPED:
            return 1.0
        kept = self.weights[1:] if self.drop_background else self.weights
        if not self.drop_background and all(w == kept[0] for w in kept):
            return 1.0
        scale = len(kept) / sum(self.weights)
        return as_constant(xp, [w * scale for w in self.weights], like)

    def _reduce(self, xp: Namespace, cells: AnyArray, weight: AnyArray | float) -> AnyArray:
        """The loss from the per-cell losses: 0-d for 'mean' and 'sum', per cell for 'none'."""
        if self.reduction == "mean":
            return xp.sum(cells * _operand(xp, weight, cells))
        factor = self._sum_weight(xp, cells)
        weighted = cells if isinstance(factor, float) else cells * factor
        if self.reduction == "sum":
            return xp.sum(weighted)
        if self.kind in _GROUPED:
            return weighted[..., 0]          # (B, 1) -> (B,), (1,) -> ()
        return without_background(weighted, self.drop_background, -1)

    def _scale(self, xp: Namespace, like: AnyArray, batch_size: int, grad_out: Any) -> AnyArray:
        """The factor of each cell's derivatives in dL/dx: its weight in the reduced loss
        times the upstream gradient (an array of the cells' shape for 'none')."""
        if self.reduction == "mean":
            return _operand(xp, self._cell_weight(xp, like, batch_size), like) * grad_out
        factor = self._sum_weight(xp, like)
        if self.reduction == "none":
            leading = tuple(like.shape[:-1])
            if self.kind in _GROUPED:
                grad_out = xp.reshape(upstream(xp, grad_out, leading, like), leading + (1,))
            else:
                channels = like.shape[-1] - (1 if self.drop_background else 0)
                grad_out = with_background(
                    xp, upstream(xp, grad_out, leading + (channels,), like),
                    self.drop_background, -1)
        if isinstance(factor, float) and factor == 1.0:
            return grad_out
        return factor * grad_out

    def forward(self, x: AnyArray, g: AnyArray, m: AnyArray | None, aux: None) -> AnyArray:
        xp = namespace(x, g, m)
        _, cells, _, _, weight = self._state(xp, x, g, m)
        return self._reduce(xp, cells, weight)

    def backward(self, x: AnyArray, g: AnyArray, m: AnyArray | None, aux: None,
                 grad_out: Any) -> AnyArray:
        xp = namespace(x, g, m)
        p, _, d_i, d_p, _ = self._state(xp, x, g, m)
        return self._gradient(xp, x, p, g, m, d_i, d_p,
                              self._scale(xp, d_i, x.shape[0], grad_out))

    def forward_cached(self, x: AnyArray, g: AnyArray, m: AnyArray | None, aux: None
                       ) -> tuple[AnyArray, tuple[AnyArray, AnyArray]]:
        """The loss and the per-cell partial derivatives (small arrays) for
        :meth:`backward_cached`, a first-order-only backward pass."""
        xp = namespace(x, g, m)
        _, cells, d_i, d_p, weight = self._state(xp, x, g, m)
        return self._reduce(xp, cells, weight), (d_i, d_p)

    def backward_cached(self, x: AnyArray, g: AnyArray, m: AnyArray | None, aux: None,
                        cache: tuple[AnyArray, AnyArray], grad_out: Any) -> AnyArray:
        """dL/dx from cached per-cell derivatives. Its result is right, but
        differentiating it again is not (the cache is a constant): use
        :meth:`backward` when second derivatives are needed."""
        xp = namespace(x, g, m)
        p = None
        if self.activation is not None:
            p = activate(xp, astype(xp, x, compute_dtype(xp, x.dtype)), self.activation)
        d_i, d_p = cache
        scale = self._scale(xp, d_i, x.shape[0], grad_out)
        return self._gradient(xp, x, p, g, m, d_i, d_p, scale)

    def _gradient(self, xp: Namespace, x: AnyArray, p: AnyArray | None, g: AnyArray,
                  m: AnyArray | None, d_i: AnyArray, d_p: AnyArray, scale: AnyArray) -> AnyArray:
        """dL/dx from the per-cell derivatives times ``scale``: ``g * dL/dI + dL/dP``
        per element, through the activation."""
        grad_p = expand_cells(xp, d_i * scale, x.ndim, self.batch) * g
        grad_p += expand_cells(xp, d_p * scale, x.ndim, self.batch)
        if m is not None:
            grad_p *= m
        return astype(xp, activation_backward(xp, p, grad_p, self.activation), x.dtype)


def _operand(xp: Namespace, weight: AnyArray | float, like: AnyArray) -> AnyArray:
    """A float ``weight`` as a cached scalar (see :func:`scalars`); an array as it is."""
    return scalars(xp, like, weight)[0] if isinstance(weight, float) else weight


def _sums(xp: Namespace, p: AnyArray, g: AnyArray, m: AnyArray | None, axes: tuple[int, ...]
          ) -> tuple[AnyArray, AnyArray, AnyArray, AnyArray | float]:
    """``(I, P, G, N)`` per reduction cell."""
    pm = p if m is None else p * m
    gm = g if m is None else g * m
    return (xp.sum(pm * g, axis=axes), xp.sum(pm, axis=axes), xp.sum(gm, axis=axes),
            valid_count(xp, m, p, axes))


def _build(kind: str, input: AnyArray, target: AnyArray, *, mask: AnyArray | None,
           ignore_index: int | None, activation: Activation | None, smooth_nr: float,
           smooth_dr: float, batch: bool, include_background: bool = True,
           weight: ClassWeight | None = None, reduction: Reduction = "mean", **extra: Any
           ) -> _Prepared:
    xp = namespace(input, target, mask)
    g, m = prepare(xp, input, target, mask, ignore_index)
    channels = input.shape[1]
    key = None if is_compiling() else options_key(
        kind, channels, activation, smooth_nr, smooth_dr, batch, include_background, weight,
        reduction, *[part for item in extra.items() for part in item])
    spec = _SPECS.get(key) if key is not None else None
    if spec is None:
        check_activation(activation, channels)
        smooth_nr, smooth_dr = check_smooth(smooth_nr, smooth_dr)
        check_bool(batch, "batch")
        weights = channel_weights(check_class_weight(weight, channels), include_background,
                                  channels)
        spec = RegionSpec(kind, activation, smooth_nr, smooth_dr, batch, weights, **extra,
                          reduction=check_reduction(reduction),
                          drop_background=not include_background and kind not in _GROUPED)
        if key is not None and len(_SPECS) < 1024:
            _SPECS[key] = spec
    return g, m, None, spec


# options_key of the options -> RegionSpec: validated once per configuration
_SPECS: dict[tuple[Any, ...], RegionSpec] = {}


def _build_simple(kind: str) -> Callable[..., _Prepared]:
    def build(input: AnyArray, target: AnyArray, **params: Any) -> _Prepared:
        return _build(kind, input, target, **params)
    return build


def _build_tversky(input: AnyArray, target: AnyArray, *, alpha: float, beta: float,
                   **params: Any) -> _Prepared:
    alpha = check_real(alpha, "alpha", minimum=0.0)
    beta = check_real(beta, "beta", minimum=0.0)
    return _build("tversky", input, target, alpha=alpha, beta=beta, **params)


def _build_focal_tversky(input: AnyArray, target: AnyArray, *, alpha: float, beta: float,
                         gamma: float, **params: Any) -> _Prepared:
    alpha = check_real(alpha, "alpha", minimum=0.0)
    beta = check_real(beta, "beta", minimum=0.0)
    gamma = check_real(gamma, "gamma", minimum=0.0)
    if gamma == 0:
        raise ValueError("gamma must be > 0; gamma=0 makes the loss the constant 1")
    return _build("focal_tversky", input, target, alpha=alpha, beta=beta, gamma=gamma, **params)


def _build_kappa(input: AnyArray, target: AnyArray, *, multiclass: bool, **params: Any
                 ) -> _Prepared:
    check_bool(multiclass, "multiclass")
    if not multiclass:
        return _build("kappa", input, target, **params)
    if not params["include_background"]:
        raise ValueError("multiclass kappa is over all classes; include_background must be True")
    if params["weight"] is not None:
        raise ValueError("multiclass kappa has no per-class weight; pass weight=None")
    if input.shape[1] < 2:
        raise ValueError("multiclass kappa needs at least 2 channels (classes); use "
                         "multiclass=False for a single binary channel")
    return _build("kappa_multiclass", input, target, **params)


def _build_generalized_dice(input: AnyArray, target: AnyArray, *, weight_type: str, absent: str,
                            **params: Any) -> _Prepared:
    if weight_type not in ("square", "simple", "uniform"):
        raise ValueError(
            f"weight_type must be 'square', 'simple' or 'uniform'; got {weight_type!r}")
    if absent not in ("max", "zero"):
        raise ValueError(f"absent must be 'max' or 'zero'; got {absent!r}")
    return _build("generalized_dice", input, target, weight_type=weight_type, absent=absent,
                  **params)


_COMMON_PARAMETERS = """input : array
        Shape ``(B, C, *spatial)``: probabilities, or logits with ``activation``.
        Any array API array (NumPy, PyTorch, CuPy, JAX, ``array_api_strict``);
        fp16/bf16 inputs are summed in float32.
    target : array
        The shape of ``input`` (one-hot or soft targets), or an integer label
        map of shape ``(B, *spatial)`` or ``(B, 1, *spatial)`` when ``C > 1``.
    mask : array, optional
        Non-zero where an element counts; shape ``(B, *spatial)``,
        ``(B, 1, *spatial)`` or that of ``input``. :math:`N` counts valid
        elements only.
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    activation : {None, 'sigmoid', 'softmax'}, default None
        Applied to ``input`` first. Softmax over one channel is refused.
    smooth_nr, smooth_dr : float, default 1e-5
        Added to the numerator and the denominator (never multiplied into the loss).
    batch : bool, default False
        False: sums per sample and channel, losses averaged over samples.
        True: sums over the whole batch per channel.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-cell losses (one per sample and channel, or per channel
        with ``batch=True``) are combined: their weighted mean, their
        weighted sum (the mean times the number of cells), or not at all
        (see Returns)."""

_CHANNEL_PARAMETERS = """include_background : bool, default True
        False gives channel 0 zero weight and leaves it out of the
        ``reduction='none'`` output.
    weight : sequence of float, optional
        One non-negative weight per channel: the loss is the weighted mean of
        the per-channel losses, :math:`\\sum_c w_c L_c / \\sum_c w_c`. With
        ``reduction='sum'`` or ``'none'`` each cell's loss is multiplied by
        its weight scaled to average 1 over the output channels,
        :math:`C' w_c / \\sum_k w_k`, so that the 'none' losses sum to the
        'sum' and average to the 'mean'."""

_RETURNS = """array
        ``reduction='mean'`` or ``'sum'``: a 0-d array of the input's namespace
        (float32 for half-precision input). ``'none'``: the weighted per-cell
        losses, shape ``(B, C')``, or ``(C',)`` with ``batch=True``, where
        :math:`C'` counts the channels without channel 0 when
        ``include_background=False``."""

_RETURNS_GROUPED = """array
        0-d for ``reduction='mean'`` or ``'sum'``; with ``'none'`` one loss per
        sample, shape ``(B,)`` (0-d with ``batch=True``)."""


def _doc(function: _F) -> _F:
    function.__doc__ = (cast(str, function.__doc__).replace("{common}", _COMMON_PARAMETERS)
                        .replace("{channel}", _CHANNEL_PARAMETERS)
                        .replace("{returns}", _RETURNS)
                        .replace("{returns_grouped}", _RETURNS_GROUPED))
    return function


@loss_function(_build_simple("dice"))
@_doc
def dice_loss(input: Array, target: Array, *, mask: Array | None = None,
              ignore_index: int | None = None, activation: Activation | None = None,
              smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
              include_background: bool = True, weight: ClassWeight | None = None,
              reduction: Reduction = "mean") -> LossValue:
    r"""Soft Dice loss :math:`1 - (2I + s_n)/(P + G + s_d)`.

    Gradient: :math:`\partial L/\partial p_i = [(2I + s_n) - 2 g_i (P + G + s_d)]/(P + G + s_d)^2`.

    Parameters
    ----------
    {common}
    {channel}

    Returns
    -------
    {returns}

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[[0.9, 0.2, 0.8, 0.1]]])
    >>> g = np.array([[[1.0, 0.0, 1.0, 0.0]]])
    >>> round(float(dice_loss(p, g, smooth_nr=0, smooth_dr=0)), 6)
    0.15
    >>> loss, residuals = dice_loss.forward(p, g)
    >>> dice_loss.backward(residuals, 1.0).shape
    (1, 1, 4)
    >>> cells, residuals = dice_loss.forward(np.stack([p[0], g[0]]), np.stack([g[0], g[0]]),
    ...                                      reduction="none", smooth_nr=0, smooth_dr=0)
    >>> cells.round(6)
    array([[0.15],
           [0.  ]])
    >>> dice_loss.backward(residuals, np.array([[1.0], [0.0]])).shape
    (2, 1, 4)
    """


@loss_function(_build_simple("jaccard"))
@_doc
def jaccard_loss(input: Array, target: Array, *, mask: Array | None = None,
                 ignore_index: int | None = None, activation: Activation | None = None,
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                 include_background: bool = True, weight: ClassWeight | None = None,
                 reduction: Reduction = "mean") -> LossValue:
    r"""Soft Jaccard (IoU) loss :math:`1 - (I + s_n)/U`, :math:`U = P + G - I + s_d`.

    Gradient: :math:`\partial L/\partial p_i = [(I + s_n)(1 - g_i) - g_i U]/U^2`.

    Parameters
    ----------
    {common}
    {channel}

    Returns
    -------
    {returns}

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> g = np.array([[[1.0, 0.0, 1.0, 0.0]]])
    >>> round(float(jaccard_loss(p, g, smooth_nr=0, smooth_dr=0)), 6)
    0.666667
    """


@loss_function(_build_tversky)
@_doc
def tversky_loss(input: Array, target: Array, *, alpha: float = 0.5, beta: float = 0.5,
                 mask: Array | None = None,
                 ignore_index: int | None = None, activation: Activation | None = None,
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                 include_background: bool = True, weight: ClassWeight | None = None,
                 reduction: Reduction = "mean") -> LossValue:
    r"""Tversky loss :math:`1 - (I + s_n)/(I + \alpha FP + \beta FN + s_d)`.

    :math:`\alpha` weighs false positives and :math:`\beta` false negatives;
    :math:`\alpha = \beta = 1/2` is Dice and :math:`\alpha = \beta = 1` is
    Jaccard. With :math:`D = (1-\alpha-\beta) I + \alpha P + \beta G + s_d`:
    :math:`\partial L/\partial p_i = [(I + s_n)((1-\alpha-\beta) g_i + \alpha) - g_i D]/D^2`.

    Parameters
    ----------
    {common}
    alpha, beta : float, default 0.5
        Weights of FP and FN, non-negative.
    {channel}

    Returns
    -------
    {returns}

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> g = np.array([[[1.0, 0.0, 1.0, 0.0]]])
    >>> round(float(tversky_loss(p, g, alpha=1.0, beta=0.0, smooth_nr=0, smooth_dr=0)), 6)
    0.5
    """


@loss_function(_build_focal_tversky)
@_doc
def focal_tversky_loss(input: Array, target: Array, *, alpha: float = 0.5, beta: float = 0.5,
                       gamma: float = 0.75, mask: Array | None = None,
                       ignore_index: int | None = None, activation: Activation | None = None,
                       smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                       include_background: bool = True, weight: ClassWeight | None = None,
                       reduction: Reduction = "mean") -> LossValue:
    r"""Focal Tversky loss :math:`(1 - T)^\gamma`, :math:`T` the Tversky index.

    Abraham and Khan (2019) write the exponent as :math:`1/\gamma` with
    :math:`\gamma = 4/3`; here ``gamma`` is the exponent itself (default 0.75).
    Gradient: :math:`\gamma (1 - T)^{\gamma - 1}` times the Tversky loss
    gradient; at :math:`T = 1` (a perfect prediction) the loss and its
    gradient are taken as 0 (for :math:`\gamma < 1` the derivative is unbounded there).

    Parameters
    ----------
    {common}
    alpha, beta : float, default 0.5
        Weights of FP and FN.
    gamma : float, default 0.75
        The exponent, > 0.
    {channel}

    Returns
    -------
    {returns}

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> g = np.array([[[1.0, 0.0, 1.0, 0.0]]])
    >>> round(float(focal_tversky_loss(p, g, gamma=2.0, smooth_nr=0, smooth_dr=0)), 6)
    0.25
    """


@loss_function(_build_generalized_dice)
@_doc
def generalized_dice_loss(input: Array, target: Array, *,
                          weight_type: Literal["square", "simple", "uniform"] = "square",
                          absent: Literal["max", "zero"] = "max", mask: Array | None = None,
                          ignore_index: int | None = None, activation: Activation | None = None,
                          smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                          include_background: bool = True,
                          reduction: Reduction = "mean") -> LossValue:
    r"""Generalised Dice loss (Sudre et al. 2017), summed over classes before dividing.

    .. math:: L = 1 - \frac{2 \sum_c w_c I_c + s_n}{\sum_c w_c (P_c + G_c) + s_d},
              \quad w_c = 1/G_c^2

    The weights come from the ground truth and are constants. Gradient:
    :math:`\partial L/\partial p_{ci} = w_c (Num - 2 g_{ci} Den)/Den^2`.

    Parameters
    ----------
    {common}
    weight_type : {'square', 'simple', 'uniform'}, default 'square'
        :math:`w_c = 1/G_c^2`, :math:`1/G_c` or 1.
    absent : {'max', 'zero'}, default 'max'
        Weight of a class absent from the reduction set (:math:`G_c = 0`):
        the largest weight of the present classes (as MONAI does), or 0 (the
        class and any false positives in it are ignored).
    include_background : bool, default True
        False leaves channel 0 out of both sums.

    Returns
    -------
    {returns_grouped}

    Examples
    --------
    >>> import numpy as np
    >>> g = np.array([[[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    >>> float(generalized_dice_loss(g, g))
    0.0
    """


@loss_function(_build_kappa)
@_doc
def kappa_loss(input: Array, target: Array, *, multiclass: bool = False,
               mask: Array | None = None,
               ignore_index: int | None = None, activation: Activation | None = None,
               smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
               include_background: bool = True, weight: ClassWeight | None = None,
               reduction: Reduction = "mean") -> LossValue:
    r"""One minus Cohen's kappa of the soft confusion table.

    Binary, per channel (one-vs-rest), averaged like Dice:
    :math:`\kappa = 2(I - PG/N)/(P + G - 2PG/N)`; with
    :math:`A = 2(I - PG/N) + s_n` and :math:`B = P + G - 2PG/N + s_d`,
    :math:`L = 1 - A/B` and
    :math:`\partial L/\partial p_i = -[2(g_i - G/N) B - A (1 - 2G/N)]/B^2`.
    ``multiclass=True``: :math:`L = 1 - (N T - E + s_n)/(N^2 - E + s_d)` with
    :math:`T = \sum_c I_c`, :math:`E = \sum_c P_c G_c`; the channels must be
    class probabilities (softmax or one-hot) for this to be kappa. On hard
    labels both equal ``1 - sklearn.metrics.cohen_kappa_score``. This is not
    equation 26 of *Technical report on seg CNN and loss* (Jing Zhang, 2019):
    see :func:`kappa_loss_zhang2019`.

    Parameters
    ----------
    {common}
    multiclass : bool, default False
        One loss over all channels instead of one per channel.
    {channel}
        Neither applies with ``multiclass=True``.

    Returns
    -------
    {returns}
        With ``multiclass=True``, as :func:`generalized_dice_loss`: one loss
        per sample, shape ``(B,)`` (0-d with ``batch=True``).

    Examples
    --------
    >>> import numpy as np
    >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> p = np.array([[[1.0, 0.0, 1.0, 0.0]]])
    >>> float(kappa_loss(p, g, smooth_nr=0, smooth_dr=0))
    1.0
    """


@loss_function(_build_simple("mcc"))
@_doc
def mcc_loss(input: Array, target: Array, *, mask: Array | None = None,
             ignore_index: int | None = None, activation: Activation | None = None,
             smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
             include_background: bool = True, weight: ClassWeight | None = None,
             reduction: Reduction = "mean") -> LossValue:
    r"""One minus the Matthews correlation coefficient of the soft table, per channel.

    :math:`MCC = (TP\,TN - FP\,FN)/\sqrt{(TP+FP)(TP+FN)(TN+FP)(TN+FN)}
    = (I - PG/N)/(\sqrt{P G (N-P)(N-G)}/N)`, and
    :math:`L = 1 - (I - PG/N + s_n)/(\sqrt{P G (N-P)(N-G)}/N + s_d)`.
    A class absent from the reduction set (or everywhere present) has a
    constant MCC: its loss is :math:`1 - s_n/s_d` with zero gradient.

    Parameters
    ----------
    {common}
    {channel}

    Returns
    -------
    {returns}

    Examples
    --------
    >>> import numpy as np
    >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> float(mcc_loss(g, g))
    0.0
    """


@loss_function(_build_simple("zhang2019"))
@_doc
def kappa_loss_zhang2019(input: Array, target: Array, *, mask: Array | None = None,
                         ignore_index: int | None = None, activation: Activation | None = None,
                         smooth_nr: float = 0.0, smooth_dr: float = 0.0, batch: bool = False,
                         include_background: bool = True, weight: ClassWeight | None = None,
                         reduction: Reduction = "mean") -> LossValue:
    r"""Equation 26 of *Technical report on seg CNN and loss* (Jing Zhang, 2019), to reproduce.

    .. math:: K = 1 - \frac{2I - PG/N + s_n}{P + G - 2I/N + s_d}

    This is **not** :math:`1 - \kappa`: for :math:`g = (1,1,0,0)`,
    :math:`p = (1,0,1,0)` Cohen's kappa is 0 but :math:`K = 0.714\ldots`, and
    its value at a perfect prediction depends on the foreground size. Use
    :func:`kappa_loss` for the real thing. Unlike its listing 2,
    :math:`N` is the number of elements actually summed (valid ones only),
    and the smoothing terms are added, never multiplied into the loss.

    Parameters
    ----------
    {common}
        (Here the smoothing defaults are 0: the equation has none.)
    {channel}

    Returns
    -------
    {returns}

    Examples
    --------
    >>> import numpy as np
    >>> g = np.array([[[1.0, 1.0, 0.0, 0.0]]])
    >>> p = np.array([[[1.0, 0.0, 1.0, 0.0]]])
    >>> round(float(kappa_loss_zhang2019(p, g)), 6)
    0.714286
    """
