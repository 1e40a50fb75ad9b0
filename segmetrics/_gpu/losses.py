"""The fused path of the torch loss adapter: a loss's forward and backward as kernels
that ``torch.compile`` generates from the neutral formulas.

For a region or per-element loss on CUDA tensors, :mod:`segmetrics.torch` runs
:class:`FusedLossFunction` instead of the neutral autograd Function. Its forward is
``spec.forward`` and its backward ``spec.backward`` (the same framework-neutral
code, activation included), each compiled once per loss configuration by
``torch.compile``. Inductor fuses the activation, the per-(batch, channel) sums
and the gradient into a few kernels; the residuals are the inputs (logits,
prepared target and mask), and the backward recomputes the activation from the
logits, so no probability tensor is kept between the passes.

Why generated kernels and not hand-written Triton ones: on an H200 a prototype of
Dice forward + backward took 0.513 ms with plain autograd, 0.552 ms with one
hand-fused Triton kernel and 0.360 ms with ``torch.compile`` on (8, 4, 256, 256)
(1.524, 0.729 and 0.526 ms on (2, 14, 96, 96, 96)); the compiler's kernels come
from the one formula every backend already shares, so there is no second
implementation of eleven losses to keep exact.

Configuration (see ``docs/losses.md``):

* ``fused``: ``None``/``"auto"`` (CUDA tensors, or CPU tensors under
  ``SEGMETRICS_GPU_SIMULATE=1``), ``True`` (any device, e.g. to test on the
  CPU) or ``False``; the environment variable ``SEGMETRICS_FUSED_LOSSES``
  (``0``, ``1`` or ``auto``) sets the default.
* ``compile_mode``: ``torch.compile``'s ``mode`` (default ``"default"``;
  ``"reduce-overhead"`` adds CUDA graphs, whose outputs are cloned before they
  leave the Function); the environment variable ``SEGMETRICS_LOSS_COMPILE_MODE``
  sets the default.

Each configuration (the loss's hashable spec, whether there is a mask, the mode)
gets its own compiled functions, with their own code objects so that
Dynamo's per-function recompile limit counts shapes of one configuration only.
``dynamic=None`` (PyTorch's default): the first call compiles for its shapes, a
call with new shapes recompiles once with dynamic shapes, and later shapes reuse
that. A double backward (``create_graph=True``) and anything traced by an outer
``torch.compile`` or a ``torch.func`` transform use the neutral path, which is
differentiable again.
"""
import inspect
import itertools
import os
import threading
import types

import torch

from segmetrics import _arrays

ENV_FUSED = "SEGMETRICS_FUSED_LOSSES"
ENV_MODE = "SEGMETRICS_LOSS_COMPILE_MODE"
MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")
FUSED_DTYPES = (torch.float32, torch.float16, torch.bfloat16)
_CUDA_GRAPH_MODES = ("reduce-overhead", "max-autotune")

if hasattr(torch.compiler, "is_compiling"):
    is_compiling = torch.compiler.is_compiling
else:                                                   # PyTorch < 2.3
    def is_compiling():
        import torch._dynamo
        return torch._dynamo.is_compiling()

_COMPILED = {}           # (spec, masked, mode, backend) -> CompiledLoss
_LOCK = threading.Lock()
BACKEND = "inductor"     # tests may set "aot_eager" to check the wiring without codegen


def check_fused(fused):
    """``fused`` if it is None, 'auto', True or False; else ValueError."""
    if fused is not None and fused is not True and fused is not False and fused != "auto":
        raise ValueError(f"fused must be None, 'auto', True or False; got {fused!r}")
    return fused


def check_mode(mode):
    """``mode`` if it is None or one of ``torch.compile``'s modes; else ValueError."""
    if mode is not None and mode not in MODES:
        listed = ", ".join(repr(m) for m in MODES)
        raise ValueError(f"compile_mode must be None or one of {listed}; got {mode!r}")
    return mode


_ENV_PARSED = {}   # raw SEGMETRICS_FUSED_LOSSES -> its meaning (read on every call)


def _env_fused():
    raw = os.environ.get(ENV_FUSED, "auto")
    fused = _ENV_PARSED.get(raw)
    if fused is None:
        fused = _parse_env_fused(raw)
        if len(_ENV_PARSED) < 64:
            _ENV_PARSED[raw] = fused
    return fused


def _parse_env_fused(raw):
    value = raw.strip().lower()
    if value in ("0", "false", "off", "no"):
        return False
    if value in ("1", "true", "on", "yes"):
        return True
    if value in ("", "auto"):
        return "auto"
    raise ValueError(f"{ENV_FUSED} must be 0, 1 or auto; got {value!r}")


def _env_mode():
    return check_mode(os.environ.get(ENV_MODE) or "default")


def applies(spec, input, fused):
    """Whether the fused path runs for ``spec`` on ``input``, given the ``fused`` choice."""
    if fused is None or fused == "auto":
        fused = _env_fused()
    if fused is False or (fused == "auto" and not (input.is_cuda or _arrays.GPU_SIMULATE)):
        return False
    if not getattr(spec, "fusable", False) or input.dtype not in FUSED_DTYPES:
        return False
    return not (is_compiling() or torch._C._are_functorch_transforms_active())


def compiled(spec, masked, mode=None):
    """The compiled forward and backward of ``spec`` (cached per configuration)."""
    mode = mode or _env_mode()
    key = (spec, masked, mode, BACKEND)
    loss = _COMPILED.get(key)
    if loss is None:
        with _LOCK:
            loss = _COMPILED.get(key)
            if loss is None:
                loss = _COMPILED[key] = CompiledLoss(spec, mode, BACKEND)
    return loss


_SERIAL = itertools.count()


def _fresh(function):
    """A copy of ``function`` with its own code object and name. Dynamo keeps its cache
    and recompile count on the code object, and what it learnt about earlier calls
    (which values changed, so become dynamic) under the function's file, line and name:
    both must be this configuration's alone. Otherwise the float parameters of one
    spec would be traced as symbols because another spec had other values (and
    ``if 1 - alpha - beta:`` is then decided symbolically, which Dynamo gets wrong)."""
    name = f"{function.__name__}_{next(_SERIAL)}"
    return types.FunctionType(function.__code__.replace(co_name=name), function.__globals__,
                              name, function.__defaults__, function.__closure__)


class CompiledLoss:
    """``torch.compile``'d ``spec.forward`` and ``spec.backward``."""

    def __init__(self, spec, mode, backend):
        self.spec = spec
        self.clone = mode in _CUDA_GRAPH_MODES
        options = {"fullgraph": True, "backend": backend}
        if backend == "inductor":
            options["mode"] = mode

        def forward(x, g, m):
            return spec.forward(x, g, m, None)

        def backward(x, g, m, grad_out):
            return spec.backward(x, g, m, None, grad_out)

        self._forward = torch.compile(_fresh(forward), **options)
        self._backward = torch.compile(_fresh(backward), **options)

    def forward(self, x, g, m):
        # detached: the compiled graph needs no autograd state (and Dynamo, looking at a
        # non-leaf tensor that requires grad, reads its .grad and warns)
        out = self._forward(x.detach(), g, m)
        return out.clone() if self.clone else out

    def backward(self, x, g, m, grad_out):
        grad = self._backward(x.detach(), g, m, grad_out)
        if self.clone or grad.stride() != x.stride():
            # the gradient in the input's memory layout (channels-last too), and out of
            # the CUDA graph's memory pool, which the next replay overwrites
            grad = torch.empty_like(x).copy_(grad)
        return grad


class FusedLossFunction(torch.autograd.Function):
    """``apply(input, target, mask, compiled_loss)``: the compiled forward and backward.

    Saves only the inputs; a backward that is itself differentiated
    (``create_graph=True``) runs the neutral ``spec.backward`` eagerly, which is
    differentiable again.
    """

    @staticmethod
    def forward(input, target, mask, loss):
        return loss.forward(input, target, mask)

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, target, mask, loss = inputs
        ctx.save_for_backward(input, target, mask)
        ctx.loss = loss

    @staticmethod
    def backward(ctx, grad_out):
        input, target, mask = ctx.saved_tensors
        grad = None
        if ctx.needs_input_grad[0]:
            if torch.is_grad_enabled():
                grad = ctx.loss.spec.backward(input, target, mask, None, grad_out)
            else:
                grad = ctx.loss.backward(input, target, mask, grad_out.contiguous())
        return grad, None, None, None


FusedLossFunction.forward.__signature__ = inspect.signature(FusedLossFunction.forward)


# straight to the C++ apply: Function.apply would bind the arguments to forward's signature
# in Python on every call (the fused path never runs under torch.compile or torch.func)
_APPLY = super(torch.autograd.Function, FusedLossFunction).apply


def apply(spec, input, target, mask, mode=None):
    """The loss of ``spec`` through the compiled kernels, with autograd."""
    return _APPLY(input, target, mask, compiled(spec, mask is not None, mode))


def clear_cache():
    """Forget every compiled loss (e.g. after changing ``BACKEND`` in a test)."""
    with _LOCK:
        _COMPILED.clear()
