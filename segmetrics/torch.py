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
import dataclasses
import inspect

import array_api_compat.torch
import torch

from segmetrics import losses as _losses
from segmetrics._gpu import losses as _fused
from segmetrics.losses import _common
from segmetrics.losses import hausdorff as _hausdorff

_common._TORCH = (torch.Tensor, array_api_compat.torch)   # tensors known without lookups

__all__ = [
    "DiceLoss", "JaccardLoss", "TverskyLoss", "FocalTverskyLoss", "GeneralizedDiceLoss",
    "KappaLoss", "MCCLoss", "KappaLossZhang2019", "FocalLoss", "WeightedCrossEntropyLoss",
    "CrossEntropyLoss", "HausdorffDTLoss", "SegLossFunction", "apply_loss",
]


class SegLossFunction(torch.autograd.Function):
    """``apply(input, target, mask, aux, spec)``: the neutral forward/backward of ``spec``.

    ``target``, ``mask`` and ``aux`` are the prepared arrays from a loss's
    ``prepare``; only ``input`` gets a gradient. The output is 0-d, or the
    unreduced losses for a spec with ``reduction='none'``; ``grad_out`` has its
    shape and goes to the neutral backward as it is.
    """

    @staticmethod
    def forward(input, target, mask, aux, spec):
        return spec.forward(input, target, mask, aux)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, mask, aux, spec = inputs
        ctx.save_for_backward(input, target, mask, aux)
        ctx.spec = spec

    @staticmethod
    def backward(ctx, grad_out):
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
    def forward(input, target, mask, aux, spec):
        loss, cache = spec.forward_cached(input, target, mask, aux)
        return (loss,) + tuple(cache)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, mask, aux, spec = inputs
        cache = output[1:]
        ctx.mark_non_differentiable(*cache)
        ctx.save_for_backward(input, target, mask, aux, *cache)
        ctx.spec = spec
        ctx.set_materialize_grads(False)    # no zero gradients made for the cache outputs

    @staticmethod
    def backward(ctx, grad_out, *_):
        input, target, mask, aux, *cache = ctx.saved_tensors
        grad = None
        if ctx.needs_input_grad[0] and grad_out is not None:
            if torch.is_grad_enabled():
                grad = ctx.spec.backward(input, target, mask, aux, grad_out)
            else:
                grad = ctx.spec.backward_cached(input, target, mask, aux, cache, grad_out)
        return grad, None, None, None, None


def _signature_once(function_class):
    """``Function.apply`` binds its arguments to ``inspect.signature(forward)`` on every
    call; give ``forward`` its signature once so that is not recomputed each time."""
    function_class.forward.__signature__ = inspect.signature(function_class.forward)
    return function_class


_signature_once(SegLossFunction)
_signature_once(_CachedSegLossFunction)
_C_APPLY = {cls: super(torch.autograd.Function, cls).apply
            for cls in (SegLossFunction, _CachedSegLossFunction)}


def apply_loss(loss, input, target, *, fused=None, compile_mode=None, **params):
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


def _apply(loss, input, target, fused, compile_mode, params):
    g, m, aux, spec = loss.prepare(input, target, **params)
    if _fused.applies(spec, input, fused):
        return _fused.apply(spec, input, _layout_like(g, input), _layout_like(m, input),
                            compile_mode)
    if getattr(spec, "activation", None) is not None:
        xp = _common.namespace(input)
        input = _common.activate(xp, _common.astype(xp, input, _common.compute_dtype(
            xp, input.dtype)), spec.activation)
        spec = _without_activation(spec)
    g, m = _layout_like(g, input), _layout_like(m, input)
    if hasattr(spec, "forward_cached") and torch.is_grad_enabled() and input.requires_grad:
        return _call(_CachedSegLossFunction, input, g, m, aux, spec)[0]
    return _call(SegLossFunction, input, g, m, aux, spec)


def _call(function_class, *args):
    """``function_class.apply(*args)``. Outside ``torch.compile`` and ``torch.func``
    transforms this goes straight to the C++ ``apply``: ``Function.apply`` would
    first bind the arguments to ``forward``'s signature in Python, on every call."""
    if _fused.is_compiling() or torch._C._are_functorch_transforms_active():
        return function_class.apply(*args)
    return _C_APPLY[function_class](*args)


def _layout_like(array, like):
    """``array`` with the memory layout (strides) of ``like`` when both have its shape.

    A target in another layout (e.g. ``one_hot(labels).permute(0, 3, 1, 2)``) makes every
    elementwise kernel mix layouts, and the gradient built from it inherits its strides,
    which softmax's backward then copies; one copy of the target up front is cheaper.
    """
    if array is None or array.shape != like.shape or array.stride() == like.stride():
        return array
    return torch.empty_like(like, dtype=array.dtype).copy_(array)


_STRIPPED = {}


def _without_activation(spec):
    """``spec`` without its activation (a dict, not ``functools.lru_cache``: torch.compile
    traces a dict lookup but only warns about, and steps through, an lru_cache)."""
    stripped = _STRIPPED.get(spec)
    if stripped is None:
        stripped = dataclasses.replace(spec, activation=None)
        if len(_STRIPPED) < 256 and not _fused.is_compiling():
            _STRIPPED[spec] = stripped
    return stripped


def _module(name, loss, summary):
    parameters = [p for p in inspect.signature(loss).parameters.values()
                  if p.name not in ("input", "target", "mask")]
    fused_parameters = [] if loss is _hausdorff.hausdorff_dt_loss else [
        inspect.Parameter(option, inspect.Parameter.KEYWORD_ONLY, default=None)
        for option in ("fused", "compile_mode")]
    signature = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)] + parameters
        + fused_parameters)

    def __init__(self, **params):
        torch.nn.Module.__init__(self)
        bound = signature.bind(self, **params)
        bound.apply_defaults()
        del bound.arguments["self"]
        self.fused = _fused.check_fused(bound.arguments.pop("fused", None))
        self.compile_mode = _fused.check_mode(bound.arguments.pop("compile_mode", None))
        self.params = dict(bound.arguments)

    __init__.__signature__ = signature

    def forward(self, input, target, mask=None):
        params = self.params
        if mask is not None:
            params = {**params, "mask": mask}
        return _apply(loss, input, target, self.fused, self.compile_mode, params)

    def extra_repr(self):
        shown = dict(self.params)
        if fused_parameters:
            shown.update(fused=self.fused, compile_mode=self.compile_mode)
        return ", ".join(f"{k}={v!r}" for k, v in shown.items())

    doc = (f"{summary}\n\n"
           f"``forward(input, target, mask=None)`` returns "
           f":func:`segmetrics.losses.{loss.__name__}` with autograd; the keyword\n"
           f"arguments of the constructor are that function's parameters"
           + (", and ``fused`` and ``compile_mode`` of :func:`apply_loss`" if fused_parameters
              else "") + ".\n")
    return type(name, (torch.nn.Module,), {
        "__init__": __init__, "forward": forward, "extra_repr": extra_repr, "__doc__": doc,
        "__module__": __name__,
    })


DiceLoss = _module("DiceLoss", _losses.dice_loss, "Soft Dice loss.")
JaccardLoss = _module("JaccardLoss", _losses.jaccard_loss, "Soft Jaccard (IoU) loss.")
TverskyLoss = _module("TverskyLoss", _losses.tversky_loss,
                      "Tversky loss (alpha weighs FP, beta weighs FN).")
FocalTverskyLoss = _module("FocalTverskyLoss", _losses.focal_tversky_loss, "Focal Tversky loss.")
GeneralizedDiceLoss = _module("GeneralizedDiceLoss", _losses.generalized_dice_loss,
                              "Generalised Dice loss with ground-truth weights.")
KappaLoss = _module("KappaLoss", _losses.kappa_loss,
                    "One minus Cohen's kappa: binary per channel, or ``multiclass=True``.")
MCCLoss = _module("MCCLoss", _losses.mcc_loss, "One minus the Matthews correlation coefficient.")
KappaLossZhang2019 = _module("KappaLossZhang2019", _losses.kappa_loss_zhang2019,
                             "Equation 26 of *Technical report on seg CNN and loss* "
                             "(Jing Zhang, 2019), not one minus kappa.")
FocalLoss = _module("FocalLoss", _losses.focal_loss,
                    "Focal loss from logits: sigmoid per channel, or ``activation='softmax'``.")
WeightedCrossEntropyLoss = _module(
    "WeightedCrossEntropyLoss", _losses.weighted_cross_entropy_loss,
    "Binary cross-entropy from logits with a positive weight, like ``BCEWithLogitsLoss``.")
CrossEntropyLoss = _module("CrossEntropyLoss", _losses.cross_entropy_loss,
                           "Softmax cross-entropy from logits.")
HausdorffDTLoss = _module("HausdorffDTLoss", _hausdorff.hausdorff_dt_loss,
                          "Hausdorff distance-transform loss (Karimi and Salcudean 2019).")
