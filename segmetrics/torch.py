"""PyTorch adapter: autograd Functions and ``nn.Module`` losses over :mod:`segmetrics.losses`.

The adapter has no maths of its own. One :class:`torch.autograd.Function`
(with ``setup_context``, so :mod:`torch.func` transforms work) runs the
framework-neutral forward and backward on the tensors themselves (CPU or
CUDA, no host copies). It saves only the inputs, and the neutral backward
recomputes the sums with differentiable torch operations, so double backward
(``torch.autograd.gradgradcheck``, Hessian-vector products) is correct.

``import segmetrics`` never imports this module; use ``import segmetrics.torch``.

Example:

>>> import torch
>>> import segmetrics.torch as smt
>>> logits = torch.zeros(2, 3, 4, 4, requires_grad=True)
>>> labels = torch.zeros(2, 4, 4, dtype=torch.long)
>>> loss = smt.DiceLoss(activation="softmax")(logits, labels)
>>> loss.backward()
>>> logits.grad.shape
torch.Size([2, 3, 4, 4])
"""
from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias, cast

import array_api_compat.torch
import torch

from segmetrics import losses as _losses
from segmetrics._gpu import losses as _fused
from segmetrics.losses import _common
from segmetrics.losses import hausdorff as _hausdorff
from segmetrics.losses._common import Activation, ClassWeight, Loss, LossSpec, Reduction

_common._TORCH = (torch.Tensor, array_api_compat.torch)   # tensors known without lookups

__all__ = [
    "DiceLoss", "JaccardLoss", "TverskyLoss", "FocalTverskyLoss", "GeneralizedDiceLoss",
    "KappaLoss", "MCCLoss", "KappaLossZhang2019", "FocalLoss", "WeightedCrossEntropyLoss",
    "CrossEntropyLoss", "HausdorffDTLoss", "SegLossFunction", "apply_loss",
]

Fused: TypeAlias = Literal["auto"] | bool   # None (the default) reads SEGMETRICS_FUSED_LOSSES
CompileMode: TypeAlias = Literal["default", "reduce-overhead", "max-autotune",
                                 "max-autotune-no-cudagraphs"]


class SegLossFunction(torch.autograd.Function):
    """``apply(input, target, mask, aux, spec)``: the neutral forward/backward of ``spec``.

    ``target``, ``mask`` and ``aux`` are the prepared arrays from a loss's
    ``prepare``; only ``input`` gets a gradient. The output is 0-d, or the
    unreduced losses for a spec with ``reduction='none'``; ``grad_out`` has its
    shape and goes to the neutral backward as it is.
    """

    @staticmethod
    def forward(input: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None,
                aux: torch.Tensor | None, spec: LossSpec) -> torch.Tensor:
        return cast(torch.Tensor, spec.forward(input, target, mask, aux))

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: Any) -> None:
        input, target, mask, aux, spec = inputs
        ctx.save_for_backward(input, target, mask, aux)
        ctx.spec = spec

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor
                 ) -> tuple[torch.Tensor | None, None, None, None, None]:
        input, target, mask, aux = ctx.saved_tensors
        grad = None
        if ctx.needs_input_grad[0]:
            grad = ctx.spec.backward(input, target, mask, aux, grad_out)
        return grad, None, None, None, None


class _CachedSegLossFunction(torch.autograd.Function):
    """As :class:`SegLossFunction`, keeping what the forward pass computed on the way
    (the per-cell derivatives of a region loss, the summed gradient of a per-element
    loss) for a first-order backward. A backward that is itself differentiated
    (``create_graph=True``) recomputes everything from the saved inputs instead."""

    @staticmethod
    def forward(input: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None,
                aux: torch.Tensor | None, spec: Any) -> tuple[torch.Tensor, ...]:
        loss, cache = spec.forward_cached(input, target, mask, aux)
        return (loss,) + tuple(cache)

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple[Any, ...], output: tuple[torch.Tensor, ...]
                      ) -> None:
        input, target, mask, aux, spec = inputs
        cache = output[1:]
        ctx.mark_non_differentiable(*cache)
        ctx.save_for_backward(input, target, mask, aux, *cache)
        ctx.spec = spec
        ctx.set_materialize_grads(False)    # no zero gradients made for the cache outputs

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor | None, *_: Any
                 ) -> tuple[torch.Tensor | None, None, None, None, None]:
        input, target, mask, aux, *cache = ctx.saved_tensors
        grad = None
        if ctx.needs_input_grad[0] and grad_out is not None:
            if torch.is_grad_enabled():
                grad = ctx.spec.backward(input, target, mask, aux, grad_out)
            else:
                grad = ctx.spec.backward_cached(input, target, mask, aux, cache, grad_out)
        return grad, None, None, None, None


def _signature_once(function_class: type[torch.autograd.Function]) -> None:
    """``Function.apply`` binds its arguments to ``inspect.signature(forward)`` on every
    call; give ``forward`` its signature once so that is not recomputed each time."""
    forward = cast(Any, function_class.forward)
    forward.__signature__ = inspect.signature(forward)


_signature_once(SegLossFunction)
_signature_once(_CachedSegLossFunction)
_FUNCTIONS: tuple[type[torch.autograd.Function], ...] = (SegLossFunction, _CachedSegLossFunction)
_C_APPLY: dict[type[torch.autograd.Function], Any] = {
    # the C++ apply (torch's stubs do not declare it on Function's base)
    cls: getattr(super(torch.autograd.Function, cls), "apply") for cls in _FUNCTIONS}


def apply_loss(loss: Loss[...], input: torch.Tensor, target: torch.Tensor, *,
               fused: Fused | None = None, compile_mode: CompileMode | None = None,
               **params: Any) -> torch.Tensor:
    """Evaluate the neutral ``loss`` (e.g. :func:`segmetrics.losses.dice_loss`) with autograd.

    On CUDA tensors a region or per-element loss runs fused: its forward and
    backward (activation included) compiled by ``torch.compile`` into a few
    kernels, see ``segmetrics._gpu.losses``. Otherwise the activation of a
    region or distance loss runs as PyTorch's own fused, differentiable kernel in
    front of the loss Function (it is the same function the neutral loss
    applies), and the loss itself runs the neutral forward and backward.

    Parameters
    ----------
    loss : callable
        A loss of :mod:`segmetrics.losses`.
    input, target : torch.Tensor
        As the loss takes them; ``params`` are its keyword arguments.
    fused : {None, 'auto', True, False}, default None
        The compiled path: 'auto' on CUDA tensors, True on any device, False
        never; None reads ``SEGMETRICS_FUSED_LOSSES`` (``auto`` when unset).
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path; None reads
        ``SEGMETRICS_LOSS_COMPILE_MODE`` ('default' when unset).

    Examples
    --------
    >>> import torch
    >>> from segmetrics.losses import kappa_loss
    >>> p = torch.tensor([[[0.9, 0.1, 0.8, 0.3]]], dtype=torch.float64, requires_grad=True)
    >>> g = torch.tensor([[[1.0, 0.0, 1.0, 0.0]]], dtype=torch.float64)
    >>> apply_loss(kappa_loss, p, g).backward()
    >>> p.grad.shape
    torch.Size([1, 1, 4])
    """
    _fused.check_fused(fused)
    _fused.check_mode(compile_mode)
    return _apply(loss, input, target, fused, compile_mode, params)


def _apply(loss: Loss[...], input: torch.Tensor, target: torch.Tensor, fused: Fused | None,
           compile_mode: CompileMode | None, params: dict[str, Any]) -> torch.Tensor:
    g, m, aux, spec = loss.prepare(input, target, **params)
    if _fused.applies(spec, input, fused):
        return cast(torch.Tensor, _fused.apply(spec, input, _layout_like(g, input),
                                               _layout_like(m, input), compile_mode))
    activation = getattr(spec, "activation", None)
    if activation is not None:
        xp = _common.namespace(input)
        input = _common.activate(xp, _common.astype(xp, input, _common.compute_dtype(
            xp, input.dtype)), activation)
        spec = _without_activation(spec)
    g, m = _layout_like(g, input), _layout_like(m, input)
    if hasattr(spec, "forward_cached") and torch.is_grad_enabled() and input.requires_grad:
        return cast(torch.Tensor, _call(_CachedSegLossFunction, input, g, m, aux, spec)[0])
    return cast(torch.Tensor, _call(SegLossFunction, input, g, m, aux, spec))


def _call(function_class: type[torch.autograd.Function], *args: Any) -> Any:
    """``function_class.apply(*args)``. Outside ``torch.compile`` and ``torch.func``
    transforms this goes straight to the C++ ``apply``: ``Function.apply`` would
    first bind the arguments to ``forward``'s signature in Python, on every call."""
    if _fused.is_compiling() or torch._C._are_functorch_transforms_active():
        return cast(Any, function_class).apply(*args)   # untyped in torch
    return _C_APPLY[function_class](*args)


def _layout_like(array: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor | None:
    """``array`` with the memory layout (strides) of ``like`` when both have its shape.

    A target in another layout (e.g. ``one_hot(labels).permute(0, 3, 1, 2)``) makes every
    elementwise kernel mix layouts, and the gradient built from it inherits its strides,
    which softmax's backward then copies; one copy of the target up front is cheaper.
    """
    if array is None or array.shape != like.shape or array.stride() == like.stride():
        return array
    return torch.empty_like(like, dtype=array.dtype).copy_(array)


_STRIPPED: dict[Any, Any] = {}


def _without_activation(spec: Any) -> Any:
    """``spec`` without its activation (a dict, not ``functools.lru_cache``: torch.compile
    traces a dict lookup but only warns about, and steps through, an lru_cache)."""
    stripped = _STRIPPED.get(spec)
    if stripped is None:
        stripped = dataclasses.replace(spec, activation=None)
        if len(_STRIPPED) < 256 and not _fused.is_compiling():
            _STRIPPED[spec] = stripped
    return stripped


class _LossModule(torch.nn.Module):
    """What every loss module shares: ``forward(input, target, mask=None)`` evaluates the
    neutral loss ``_loss`` of the class with ``params`` (the constructor's keyword
    arguments) through :func:`apply_loss`'s path."""

    _loss: ClassVar[Loss[...]]
    _fusable: ClassVar[bool] = True    # takes fused and compile_mode

    params: dict[str, Any]
    fused: Fused | None
    compile_mode: CompileMode | None

    def _setup(self, params: dict[str, Any], fused: Fused | None = None,
               compile_mode: CompileMode | None = None) -> None:
        torch.nn.Module.__init__(self)
        self.fused = _fused.check_fused(fused)
        self.compile_mode = _fused.check_mode(compile_mode)
        self.params = params

    def forward(self, input: torch.Tensor, target: torch.Tensor,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        """The loss of ``input`` against ``target`` (only the valid elements of ``mask``),
        with autograd: see :func:`apply_loss`."""
        params = self.params
        if mask is not None:
            params = {**params, "mask": mask}
        return _apply(type(self)._loss, input, target, self.fused, self.compile_mode, params)

    if TYPE_CHECKING:
        # torch types Module.__call__ as returning Any; calling a loss module runs forward
        def __call__(self, input: torch.Tensor, target: torch.Tensor,
                     mask: torch.Tensor | None = None) -> torch.Tensor: ...

    def extra_repr(self) -> str:
        shown = dict(self.params)
        if type(self)._fusable:
            shown.update(fused=self.fused, compile_mode=self.compile_mode)
        return ", ".join(f"{k}={v!r}" for k, v in shown.items())


class DiceLoss(_LossModule):
    r"""Soft Dice loss :math:`1 - (2I + s_n)/(P + G + s_d)` per sample and channel.

    ``forward(input, target, mask=None)`` returns :func:`segmetrics.losses.dice_loss`
    (where the formula, its gradient and the shapes are documented) with autograd.

    Parameters
    ----------
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    activation : {None, 'sigmoid', 'softmax'}, default None
        Applied to ``input`` first.
    smooth_nr, smooth_dr : float, default 1e-5
        Added to the numerator and the denominator.
    batch : bool, default False
        True: sums over the whole batch per channel.
    include_background : bool, default True
        False gives channel 0 zero weight.
    weight : sequence of float, optional
        One non-negative weight per channel.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-cell losses are combined.
    fused : {None, 'auto', True, False}, default None
        The compiled path, as for :func:`apply_loss`.
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path, as for :func:`apply_loss`.

    Examples
    --------
    >>> import torch
    >>> logits = torch.zeros(2, 3, 4, 4, requires_grad=True)
    >>> labels = torch.zeros(2, 4, 4, dtype=torch.long)
    >>> loss = DiceLoss(activation="softmax")(logits, labels)
    >>> loss.backward()
    >>> round(loss.item(), 4)
    0.8333
    """

    _loss = _losses.dice_loss

    def __init__(self, *, ignore_index: int | None = None, activation: Activation | None = None,
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                 include_background: bool = True, weight: ClassWeight | None = None,
                 reduction: Reduction = "mean", fused: Fused | None = None,
                 compile_mode: CompileMode | None = None) -> None:
        self._setup(dict(ignore_index=ignore_index, activation=activation, smooth_nr=smooth_nr,
                         smooth_dr=smooth_dr, batch=batch, include_background=include_background,
                         weight=weight, reduction=reduction), fused, compile_mode)


class JaccardLoss(_LossModule):
    r"""Soft Jaccard (IoU) loss :math:`1 - (I + s_n)/(P + G - I + s_d)`.

    ``forward(input, target, mask=None)`` returns :func:`segmetrics.losses.jaccard_loss`
    (where the formula, its gradient and the shapes are documented) with autograd.

    Parameters
    ----------
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    activation : {None, 'sigmoid', 'softmax'}, default None
        Applied to ``input`` first.
    smooth_nr, smooth_dr : float, default 1e-5
        Added to the numerator and the denominator.
    batch : bool, default False
        True: sums over the whole batch per channel.
    include_background : bool, default True
        False gives channel 0 zero weight.
    weight : sequence of float, optional
        One non-negative weight per channel.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-cell losses are combined.
    fused : {None, 'auto', True, False}, default None
        The compiled path, as for :func:`apply_loss`.
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path, as for :func:`apply_loss`.

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]])
    >>> g = torch.tensor([[[1.0, 0.0, 1.0, 0.0]]])
    >>> round(JaccardLoss(smooth_nr=0, smooth_dr=0)(p, g).item(), 4)
    0.6667
    """

    _loss = _losses.jaccard_loss

    def __init__(self, *, ignore_index: int | None = None, activation: Activation | None = None,
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                 include_background: bool = True, weight: ClassWeight | None = None,
                 reduction: Reduction = "mean", fused: Fused | None = None,
                 compile_mode: CompileMode | None = None) -> None:
        self._setup(dict(ignore_index=ignore_index, activation=activation, smooth_nr=smooth_nr,
                         smooth_dr=smooth_dr, batch=batch, include_background=include_background,
                         weight=weight, reduction=reduction), fused, compile_mode)


class TverskyLoss(_LossModule):
    r"""Tversky loss :math:`1 - (I + s_n)/(I + \alpha FP + \beta FN + s_d)`.

    ``alpha`` weighs false positives and ``beta`` false negatives.
    ``forward(input, target, mask=None)`` returns :func:`segmetrics.losses.tversky_loss`
    (where the formula, its gradient and the shapes are documented) with autograd.

    Parameters
    ----------
    alpha, beta : float, default 0.5
        Weights of FP and FN, non-negative.
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    activation : {None, 'sigmoid', 'softmax'}, default None
        Applied to ``input`` first.
    smooth_nr, smooth_dr : float, default 1e-5
        Added to the numerator and the denominator.
    batch : bool, default False
        True: sums over the whole batch per channel.
    include_background : bool, default True
        False gives channel 0 zero weight.
    weight : sequence of float, optional
        One non-negative weight per channel.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-cell losses are combined.
    fused : {None, 'auto', True, False}, default None
        The compiled path, as for :func:`apply_loss`.
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path, as for :func:`apply_loss`.

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]])
    >>> g = torch.tensor([[[1.0, 0.0, 1.0, 0.0]]])
    >>> TverskyLoss(alpha=1.0, beta=0.0, smooth_nr=0, smooth_dr=0)(p, g).item()
    0.5
    """

    _loss = _losses.tversky_loss

    def __init__(self, *, alpha: float = 0.5, beta: float = 0.5, ignore_index: int | None = None,
                 activation: Activation | None = None, smooth_nr: float = 1e-5,
                 smooth_dr: float = 1e-5, batch: bool = False, include_background: bool = True,
                 weight: ClassWeight | None = None, reduction: Reduction = "mean",
                 fused: Fused | None = None, compile_mode: CompileMode | None = None) -> None:
        self._setup(dict(alpha=alpha, beta=beta, ignore_index=ignore_index, activation=activation,
                         smooth_nr=smooth_nr, smooth_dr=smooth_dr, batch=batch,
                         include_background=include_background, weight=weight,
                         reduction=reduction), fused, compile_mode)


class FocalTverskyLoss(_LossModule):
    r"""Focal Tversky loss :math:`(1 - T)^\gamma`, :math:`T` the Tversky index.

    ``forward(input, target, mask=None)`` returns
    :func:`segmetrics.losses.focal_tversky_loss` (where the formula, its gradient and
    the shapes are documented) with autograd.

    Parameters
    ----------
    alpha, beta : float, default 0.5
        Weights of FP and FN, non-negative.
    gamma : float, default 0.75
        The exponent, > 0.
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    activation : {None, 'sigmoid', 'softmax'}, default None
        Applied to ``input`` first.
    smooth_nr, smooth_dr : float, default 1e-5
        Added to the numerator and the denominator.
    batch : bool, default False
        True: sums over the whole batch per channel.
    include_background : bool, default True
        False gives channel 0 zero weight.
    weight : sequence of float, optional
        One non-negative weight per channel.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-cell losses are combined.
    fused : {None, 'auto', True, False}, default None
        The compiled path, as for :func:`apply_loss`.
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path, as for :func:`apply_loss`.

    Examples
    --------
    >>> import torch
    >>> p = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]])
    >>> g = torch.tensor([[[1.0, 0.0, 1.0, 0.0]]])
    >>> FocalTverskyLoss(gamma=2.0, smooth_nr=0, smooth_dr=0)(p, g).item()
    0.25
    """

    _loss = _losses.focal_tversky_loss

    def __init__(self, *, alpha: float = 0.5, beta: float = 0.5, gamma: float = 0.75,
                 ignore_index: int | None = None, activation: Activation | None = None,
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                 include_background: bool = True, weight: ClassWeight | None = None,
                 reduction: Reduction = "mean", fused: Fused | None = None,
                 compile_mode: CompileMode | None = None) -> None:
        self._setup(dict(alpha=alpha, beta=beta, gamma=gamma, ignore_index=ignore_index,
                         activation=activation, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                         batch=batch, include_background=include_background, weight=weight,
                         reduction=reduction), fused, compile_mode)


class GeneralizedDiceLoss(_LossModule):
    r"""Generalised Dice loss (Sudre et al. 2017) with ground-truth class weights.

    :math:`L = 1 - (2 \sum_c w_c I_c + s_n)/(\sum_c w_c (P_c + G_c) + s_d)`,
    :math:`w_c = 1/G_c^2`. ``forward(input, target, mask=None)`` returns
    :func:`segmetrics.losses.generalized_dice_loss` (where the formula, its gradient and
    the shapes are documented) with autograd.

    Parameters
    ----------
    weight_type : {'square', 'simple', 'uniform'}, default 'square'
        :math:`w_c = 1/G_c^2`, :math:`1/G_c` or 1.
    absent : {'max', 'zero'}, default 'max'
        Weight of a class absent from the reduction set.
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    activation : {None, 'sigmoid', 'softmax'}, default None
        Applied to ``input`` first.
    smooth_nr, smooth_dr : float, default 1e-5
        Added to the numerator and the denominator.
    batch : bool, default False
        True: sums over the whole batch per channel.
    include_background : bool, default True
        False leaves channel 0 out of both sums.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-sample losses are combined.
    fused : {None, 'auto', True, False}, default None
        The compiled path, as for :func:`apply_loss`.
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path, as for :func:`apply_loss`.

    Examples
    --------
    >>> import torch
    >>> g = torch.tensor([[[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
    >>> GeneralizedDiceLoss()(g, g).item()
    0.0
    """

    _loss = _losses.generalized_dice_loss

    def __init__(self, *, weight_type: Literal["square", "simple", "uniform"] = "square",
                 absent: Literal["max", "zero"] = "max", ignore_index: int | None = None,
                 activation: Activation | None = None, smooth_nr: float = 1e-5,
                 smooth_dr: float = 1e-5, batch: bool = False, include_background: bool = True,
                 reduction: Reduction = "mean", fused: Fused | None = None,
                 compile_mode: CompileMode | None = None) -> None:
        self._setup(dict(weight_type=weight_type, absent=absent, ignore_index=ignore_index,
                         activation=activation, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                         batch=batch, include_background=include_background,
                         reduction=reduction), fused, compile_mode)


class KappaLoss(_LossModule):
    r"""One minus Cohen's kappa of the soft confusion table: binary per channel, or
    over all channels with ``multiclass=True``.

    Per channel :math:`\kappa = 2(I - PG/N)/(P + G - 2PG/N)`.
    ``forward(input, target, mask=None)`` returns :func:`segmetrics.losses.kappa_loss`
    (where the formulas, their gradients and the shapes are documented) with autograd.

    Parameters
    ----------
    multiclass : bool, default False
        One loss over all channels instead of one per channel.
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    activation : {None, 'sigmoid', 'softmax'}, default None
        Applied to ``input`` first.
    smooth_nr, smooth_dr : float, default 1e-5
        Added to the numerator and the denominator.
    batch : bool, default False
        True: sums over the whole batch per channel.
    include_background : bool, default True
        False gives channel 0 zero weight (not with ``multiclass=True``).
    weight : sequence of float, optional
        One non-negative weight per channel (not with ``multiclass=True``).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-cell losses are combined.
    fused : {None, 'auto', True, False}, default None
        The compiled path, as for :func:`apply_loss`.
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path, as for :func:`apply_loss`.

    Examples
    --------
    >>> import torch
    >>> g = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]])
    >>> p = torch.tensor([[[1.0, 0.0, 1.0, 0.0]]])
    >>> KappaLoss(smooth_nr=0, smooth_dr=0)(p, g).item()
    1.0
    """

    _loss = _losses.kappa_loss

    def __init__(self, *, multiclass: bool = False, ignore_index: int | None = None,
                 activation: Activation | None = None, smooth_nr: float = 1e-5,
                 smooth_dr: float = 1e-5, batch: bool = False, include_background: bool = True,
                 weight: ClassWeight | None = None, reduction: Reduction = "mean",
                 fused: Fused | None = None, compile_mode: CompileMode | None = None) -> None:
        self._setup(dict(multiclass=multiclass, ignore_index=ignore_index, activation=activation,
                         smooth_nr=smooth_nr, smooth_dr=smooth_dr, batch=batch,
                         include_background=include_background, weight=weight,
                         reduction=reduction), fused, compile_mode)


class MCCLoss(_LossModule):
    r"""One minus the Matthews correlation coefficient of the soft table, per channel.

    :math:`L = 1 - (I - PG/N + s_n)/(\sqrt{P G (N-P)(N-G)}/N + s_d)`.
    ``forward(input, target, mask=None)`` returns :func:`segmetrics.losses.mcc_loss`
    (where the formula, its gradient and the shapes are documented) with autograd.

    Parameters
    ----------
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    activation : {None, 'sigmoid', 'softmax'}, default None
        Applied to ``input`` first.
    smooth_nr, smooth_dr : float, default 1e-5
        Added to the numerator and the denominator.
    batch : bool, default False
        True: sums over the whole batch per channel.
    include_background : bool, default True
        False gives channel 0 zero weight.
    weight : sequence of float, optional
        One non-negative weight per channel.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-cell losses are combined.
    fused : {None, 'auto', True, False}, default None
        The compiled path, as for :func:`apply_loss`.
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path, as for :func:`apply_loss`.

    Examples
    --------
    >>> import torch
    >>> g = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]])
    >>> MCCLoss()(g, g).item()
    0.0
    """

    _loss = _losses.mcc_loss

    def __init__(self, *, ignore_index: int | None = None, activation: Activation | None = None,
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, batch: bool = False,
                 include_background: bool = True, weight: ClassWeight | None = None,
                 reduction: Reduction = "mean", fused: Fused | None = None,
                 compile_mode: CompileMode | None = None) -> None:
        self._setup(dict(ignore_index=ignore_index, activation=activation, smooth_nr=smooth_nr,
                         smooth_dr=smooth_dr, batch=batch, include_background=include_background,
                         weight=weight, reduction=reduction), fused, compile_mode)


class KappaLossZhang2019(_LossModule):
    r"""Equation 26 of *Technical report on seg CNN and loss* (Jing Zhang, 2019), not 1 - kappa.

    :math:`K = 1 - (2I - PG/N + s_n)/(P + G - 2I/N + s_d)`.
    ``forward(input, target, mask=None)`` returns
    :func:`segmetrics.losses.kappa_loss_zhang2019` (where the formula, its gradient, how
    it differs from kappa and the shapes are documented) with autograd.

    Parameters
    ----------
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    activation : {None, 'sigmoid', 'softmax'}, default None
        Applied to ``input`` first.
    smooth_nr, smooth_dr : float, default 0.0
        Added to the numerator and the denominator (the equation has none).
    batch : bool, default False
        True: sums over the whole batch per channel.
    include_background : bool, default True
        False gives channel 0 zero weight.
    weight : sequence of float, optional
        One non-negative weight per channel.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-cell losses are combined.
    fused : {None, 'auto', True, False}, default None
        The compiled path, as for :func:`apply_loss`.
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path, as for :func:`apply_loss`.

    Examples
    --------
    >>> import torch
    >>> g = torch.tensor([[[1.0, 1.0, 0.0, 0.0]]], dtype=torch.float64)
    >>> p = torch.tensor([[[1.0, 0.0, 1.0, 0.0]]], dtype=torch.float64)
    >>> round(KappaLossZhang2019()(p, g).item(), 6)
    0.714286
    """

    _loss = _losses.kappa_loss_zhang2019

    def __init__(self, *, ignore_index: int | None = None, activation: Activation | None = None,
                 smooth_nr: float = 0.0, smooth_dr: float = 0.0, batch: bool = False,
                 include_background: bool = True, weight: ClassWeight | None = None,
                 reduction: Reduction = "mean", fused: Fused | None = None,
                 compile_mode: CompileMode | None = None) -> None:
        self._setup(dict(ignore_index=ignore_index, activation=activation, smooth_nr=smooth_nr,
                         smooth_dr=smooth_dr, batch=batch, include_background=include_background,
                         weight=weight, reduction=reduction), fused, compile_mode)


class FocalLoss(_LossModule):
    r"""Focal loss (Lin et al. 2017) from logits: sigmoid per channel, or
    ``activation='softmax'`` over the channels.

    Per element :math:`-\alpha_t (1 - p_t)^\gamma \log p_t`.
    ``forward(input, target, mask=None)`` returns :func:`segmetrics.losses.focal_loss`
    (where the formulas, their gradients and the shapes are documented) with autograd.

    Parameters
    ----------
    alpha : float, optional
        Weight of the positive terms in [0, 1] (1 - alpha for the negative ones).
    gamma : float, default 2.0
        The focusing exponent, >= 0.
    activation : {'sigmoid', 'softmax'}, default 'sigmoid'
        Per channel, or over the channels.
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    include_background : bool, default True
        False leaves channel 0 out.
    weight : sequence of float, optional
        One non-negative weight per channel.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        The mean over the valid elements, their sum, or the per-element losses.
    fused : {None, 'auto', True, False}, default None
        The compiled path, as for :func:`apply_loss`.
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path, as for :func:`apply_loss`.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 2, dtype=torch.float64)
    >>> g = torch.tensor([[[1.0, 0.0]]], dtype=torch.float64)
    >>> round(FocalLoss(gamma=0.0)(x, g).item(), 6)
    0.693147
    """

    _loss = _losses.focal_loss

    def __init__(self, *, alpha: float | None = None, gamma: float = 2.0,
                 activation: Activation = "sigmoid", ignore_index: int | None = None,
                 include_background: bool = True, weight: ClassWeight | None = None,
                 reduction: Reduction = "mean", fused: Fused | None = None,
                 compile_mode: CompileMode | None = None) -> None:
        self._setup(dict(alpha=alpha, gamma=gamma, activation=activation,
                         ignore_index=ignore_index, include_background=include_background,
                         weight=weight, reduction=reduction), fused, compile_mode)


class WeightedCrossEntropyLoss(_LossModule):
    r"""Binary cross-entropy from logits with a positive-class weight, like
    ``torch.nn.BCEWithLogitsLoss``.

    :math:`L = -\frac{1}{N} \sum_i [w\, g_i \log p_i + (1 - g_i) \log(1 - p_i)]`,
    :math:`p_i = \sigma(x_i)`. ``forward(input, target, mask=None)`` returns
    :func:`segmetrics.losses.weighted_cross_entropy_loss` (where the formula, its
    gradient and the shapes are documented) with autograd.

    Parameters
    ----------
    pos_weight : 'auto' or float, default 'auto'
        The weight :math:`w` of the positive terms; 'auto': :math:`(N - G)/G` per channel.
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    include_background : bool, default True
        False leaves channel 0 out.
    weight : sequence of float, optional
        One non-negative weight per channel.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        The mean over the valid elements, their sum, or the per-element losses.
    fused : {None, 'auto', True, False}, default None
        The compiled path, as for :func:`apply_loss`.
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path, as for :func:`apply_loss`.

    Examples
    --------
    >>> import torch
    >>> x = torch.zeros(1, 1, 2, dtype=torch.float64)
    >>> g = torch.tensor([[[1.0, 0.0]]], dtype=torch.float64)
    >>> round(WeightedCrossEntropyLoss()(x, g).item(), 6)
    0.693147
    """

    _loss = _losses.weighted_cross_entropy_loss

    def __init__(self, *, pos_weight: Literal["auto"] | float = "auto",
                 ignore_index: int | None = None, include_background: bool = True,
                 weight: ClassWeight | None = None, reduction: Reduction = "mean",
                 fused: Fused | None = None, compile_mode: CompileMode | None = None) -> None:
        self._setup(dict(pos_weight=pos_weight, ignore_index=ignore_index,
                         include_background=include_background, weight=weight,
                         reduction=reduction), fused, compile_mode)


class CrossEntropyLoss(_LossModule):
    r"""Softmax cross-entropy over the channels, from logits.

    :math:`L = -\frac{1}{N} \sum_i \sum_c w_c\, g_{ci} \log \mathrm{softmax}(x_i)_c`.
    ``forward(input, target, mask=None)`` returns
    :func:`segmetrics.losses.cross_entropy_loss` (where the formula, its gradient and
    the shapes are documented) with autograd.

    Parameters
    ----------
    ignore_index : int, optional
        Elements whose label (or same-shape target value) equals it are masked out.
    include_background : bool, default True
        False leaves channel 0 out.
    weight : sequence of float, optional
        One non-negative weight per channel.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        The mean over the valid pixels, their sum, or the per-pixel losses.
    fused : {None, 'auto', True, False}, default None
        The compiled path, as for :func:`apply_loss`.
    compile_mode : str, optional
        ``torch.compile``'s ``mode`` for the fused path, as for :func:`apply_loss`.

    Examples
    --------
    >>> import torch
    >>> logits = torch.zeros(1, 2, 3, dtype=torch.float64)
    >>> labels = torch.tensor([[0, 1, 1]])
    >>> round(CrossEntropyLoss()(logits, labels).item(), 6)
    0.693147
    """

    _loss = _losses.cross_entropy_loss

    def __init__(self, *, ignore_index: int | None = None, include_background: bool = True,
                 weight: ClassWeight | None = None, reduction: Reduction = "mean",
                 fused: Fused | None = None, compile_mode: CompileMode | None = None) -> None:
        self._setup(dict(ignore_index=ignore_index, include_background=include_background,
                         weight=weight, reduction=reduction), fused, compile_mode)


class HausdorffDTLoss(_LossModule):
    r"""Hausdorff distance-transform loss (Karimi and Salcudean 2019).

    :math:`L = \frac{1}{N} \sum_i (p_i - g_i)^2 (d_{P,i}^\alpha + d_{G,i}^\alpha)`, the
    distance maps computed on the host and held constant.
    ``forward(input, target, mask=None)`` returns
    :func:`segmetrics.losses.hausdorff_dt_loss` (where the formula, its gradient and the
    shapes are documented) with autograd. It has no fused path.

    Parameters
    ----------
    alpha : float, default 2.0
        Exponent of the distances.
    spacing : sequence of float, optional
        Physical size of an element along each spatial axis.
    ignore_index : int, optional
        Elements whose label equals it are masked out.
    activation : {None, 'sigmoid', 'softmax'}, default None
        Applied to ``input`` first.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        The mean over the valid elements, their sum, or the per-element terms.

    Examples
    --------
    >>> import torch
    >>> g = torch.zeros(1, 1, 5, 5, dtype=torch.float64); g[0, 0, 1:4, 1:4] = 1
    >>> HausdorffDTLoss()(g, g).item()
    0.0
    """

    _loss = _hausdorff.hausdorff_dt_loss
    _fusable = False

    def __init__(self, *, alpha: float = 2.0, spacing: Sequence[float] | None = None,
                 ignore_index: int | None = None, activation: Activation | None = None,
                 reduction: Reduction = "mean") -> None:
        self._setup(dict(alpha=alpha, spacing=spacing, ignore_index=ignore_index,
                         activation=activation, reduction=reduction))
