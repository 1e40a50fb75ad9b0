"""Pieces shared by every loss: argument checks, target and mask preparation,
activations and their chain rules, and the residuals a backward pass needs.

Everything here is written against the Python array API standard through
``array_api_compat``, so the same code runs on NumPy, PyTorch (CPU and CUDA),
CuPy, JAX and ``array_api_strict`` arrays without copies to the host. The
arithmetic uses only operations that the frameworks differentiate, so a
backward pass evaluated on tracked tensors is itself differentiable.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Literal,
    NamedTuple,
    ParamSpec,
    Protocol,
    TypeAlias,
    TypeVar,
    overload,
)

from segmetrics._validate import check_choice, check_int, check_real

if TYPE_CHECKING:
    from typing import Concatenate

    import numpy as np
    import numpy.typing as npt

ACTIVATIONS = (None, "sigmoid", "softmax")
REDUCTIONS = ("mean", "sum", "none")

# ---------------------------------------------------------------- types
# The losses take arrays of any Array API namespace (NumPy, PyTorch, CuPy, JAX,
# array_api_strict) and compute with that namespace's own operations: the static type
# of an array is what the caller gave, and the arithmetic in between is checked by the
# namespace at run time (so it is typed ``Any`` inside the losses).


class Array(Protocol):
    """What a loss reads of an array of any Array API namespace: its shape (the
    arithmetic goes through the array's own namespace)."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def ndim(self) -> int: ...


# "Returns the same kind of array it received": a loss of a torch.Tensor is a Tensor, of a
# JAX array a JAX array. NumPy is the exception (see NumpyLoss).
ArrayT = TypeVar("ArrayT", bound=Array)
P = ParamSpec("P")   # the keyword parameters of a loss

if TYPE_CHECKING:
    # NumPy reduces to a scalar (np.float64, np.float32), not to a 0-d ndarray; 'none'
    # gives an ndarray
    NumpyLoss: TypeAlias = "np.floating[Any] | npt.NDArray[np.floating[Any]]"

Namespace: TypeAlias = Any   # an Array API namespace (array_api_compat's, or the array's own)
AnyArray: TypeAlias = Any    # an array of the namespace in use, inside a loss's arithmetic
ClassWeight: TypeAlias = Sequence[float] | Array   # one number per channel

# The return annotation of the documented loss functions, for readers: an array of the
# input's kind (see Loss, which is what type checkers see of a loss)
LossValue: TypeAlias = Any

Activation = Literal["sigmoid", "softmax"]
Reduction = Literal["mean", "sum", "none"]


class LossSpec(Protocol):
    """The validated, hashable parameters of a loss and its forward and backward maths."""

    def forward(self, x: Any, g: Any, m: Any, aux: Any) -> Any: ...

    def backward(self, x: Any, g: Any, m: Any, aux: Any, grad_out: Any) -> Any: ...


class Residuals(NamedTuple):
    """What a backward pass needs: the inputs, never cached sums.

    ``input`` is the array the loss was called with (probabilities or logits),
    ``target`` the per-channel target in the compute dtype, ``mask`` the
    validity mask (``None``: every element counts), ``aux`` a constant array
    some losses need (the distance field of the Hausdorff loss) and ``spec``
    the validated, hashable parameters.
    """

    input: Any
    target: Any
    mask: Any
    aux: Any
    spec: LossSpec


class Loss(Protocol[P]):
    """A loss of :mod:`segmetrics.losses`: ``loss(input, target, **params)``, with
    ``prepare``, ``forward`` and ``backward`` (see :func:`loss_function`). ``P`` holds
    the keyword parameters of the documented function; ``input`` and ``target`` are
    passed by position. The loss is an array of ``input``'s kind (a Tensor for a
    Tensor, a JAX array for a JAX array), except that NumPy gives a NumPy scalar for
    'mean' and 'sum' (:data:`NumpyLoss`)."""

    __name__: str
    __doc__: str | None

    @overload
    def __call__(self, input: npt.NDArray[Any], target: Array, /,
                 *args: P.args, **kwargs: P.kwargs) -> NumpyLoss: ...

    @overload
    def __call__(self, input: ArrayT, target: Array, /,
                 *args: P.args, **kwargs: P.kwargs) -> ArrayT: ...

    def prepare(self, input: Array, target: Array, /, *args: P.args, **kwargs: P.kwargs
                ) -> tuple[Any, Any, Any, LossSpec]:
        """``(target, mask, aux, spec)``: the prepared target, mask (or None), constant
        auxiliary array (or None) and spec."""

    @overload
    def forward(self, input: npt.NDArray[Any], target: Array, /,
                *args: P.args, **kwargs: P.kwargs) -> tuple[NumpyLoss, Residuals]: ...

    @overload
    def forward(self, input: ArrayT, target: Array, /,
                *args: P.args, **kwargs: P.kwargs) -> tuple[ArrayT, Residuals]: ...

    def backward(self, residuals: Residuals, grad_out: Any) -> Any:
        """dL/d(input) times ``grad_out``: an array of the kind and shape of ``input``."""


_NAMESPACES = {}  # array types -> namespace: array_namespace looks at types only
# (torch.Tensor, its namespace) once a tensor has come in: tensors are then recognised by
# isinstance alone, which torch.compile traces without a graph break (array_api_compat's
# own checks go through functools.lru_cache, which it warns about and does not trace)
_TORCH: tuple[type, Any] | None = None


def namespace(*arrays):
    """The array API namespace shared by the non-``None`` arrays."""
    global _TORCH
    if _TORCH is not None:
        tensors = True
        for a in arrays:
            if a is not None and not isinstance(a, _TORCH[0]):
                tensors = False
                break
        if tensors:
            return _TORCH[1]
    arrays = [a for a in arrays if a is not None]
    types = tuple(type(a) for a in arrays)
    xp = _NAMESPACES.get(types)
    if xp is None:
        import array_api_compat
        xp = _NAMESPACES[types] = array_api_compat.array_namespace(*arrays)
        if _TORCH is None and array_api_compat.is_torch_namespace(xp):
            import torch
            _TORCH = (torch.Tensor, xp)
    return xp


_SCALARS = {}  # (values, dtype) -> 0-d CPU tensors: see scalars()


def scalars(xp, like, *values):
    """``values`` as operands of arithmetic with the (small) array ``like``.

    On eager PyTorch tensors, cached 0-d CPU tensors of ``like``'s dtype:
    PyTorch wraps a Python float operand in a 0-d CPU double tensor and converts it
    to the tensor's dtype on every operation, which costs more than the operation
    itself on a (B, C) array of per-cell sums (about 5 of 9 us on the CPU). A 0-d
    CPU tensor of the right dtype is the operand that conversion makes, so the
    results are the same bits (on CUDA too, where a 0-d CPU tensor is also passed
    as a kernel argument), except for a float divided by a tensor (``c / x``),
    which PyTorch computes as ``reciprocal(x) * c``: use it only with powers of
    two there. Anywhere else (other namespaces, ``torch.compile``, which folds the
    floats into its kernels) the floats themselves.
    """
    if _TORCH is None or xp is not _TORCH[1] or is_compiling():
        return values
    key = (values, like.dtype)
    constants = _SCALARS.get(key)
    if constants is None:
        import torch
        constants = tuple(torch.tensor(v, dtype=like.dtype) for v in values)
        if len(_SCALARS) < 4096:
            _SCALARS[key] = constants
    return constants


_IS_COMPILING = None


def is_compiling():
    """Whether ``torch.compile`` is tracing this call (False when torch is not in use)."""
    if _TORCH is None:
        return False
    global _IS_COMPILING
    if _IS_COMPILING is None:
        import torch
        if hasattr(torch, "compiler") and hasattr(torch.compiler, "is_compiling"):
            _IS_COMPILING = torch.compiler.is_compiling
        else:                                               # PyTorch < 2.3
            import torch._dynamo
            _IS_COMPILING = torch._dynamo.is_compiling
    return _IS_COMPILING()


def device_of(x):
    if _TORCH is not None and isinstance(x, _TORCH[0]):
        return x.device
    import array_api_compat
    return array_api_compat.device(x)


def size(shape):
    """The product of ``shape``'s entries, as an int (a plain loop: ``torch.compile``
    traces it without the graph breaks of ``math.prod`` over a generator)."""
    count = 1
    for n in shape:
        count = count * n
    return count


_DTYPES = {}  # (namespace, dtype) -> (is real floating, compute dtype)


def _dtype_facts(xp, dtype):
    """Whether ``dtype`` is a real floating dtype of ``xp``, and its compute dtype (None
    for other dtypes), looked up once per dtype (``finfo`` and ``isdtype`` cost more
    than a small loss's arithmetic)."""
    if is_compiling():          # traced once per graph; Dynamo cannot hash a module key
        return _find_dtype_facts(xp, dtype)
    key = (xp, dtype)
    facts = _DTYPES.get(key)
    if facts is None:
        facts = _find_dtype_facts(xp, dtype)
        if len(_DTYPES) < 256:
            _DTYPES[key] = facts
    return facts


def _find_dtype_facts(xp, dtype):
    floating = bool(xp.isdtype(dtype, "real floating"))
    return floating, (xp.float32 if xp.finfo(dtype).bits < 32 else dtype) if floating else None


def compute_dtype(xp, dtype):
    """float32 for half precision (fp16, bf16) inputs, the input dtype otherwise."""
    ct = _dtype_facts(xp, dtype)[1]
    return ct if ct is not None else (xp.float32 if xp.finfo(dtype).bits < 32 else dtype)


def check_activation(activation, channels, choices=ACTIVATIONS):
    """``activation`` if it is one of ``choices`` and, for 'softmax', ``channels > 1``."""
    if activation not in choices:
        names = [repr(c) for c in choices]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        raise ValueError(f"activation must be {listed}; got {activation!r}")
    if activation == "softmax" and channels == 1:
        raise ValueError(
            "activation='softmax' over a single channel is the constant 1, so the loss "
            "cannot learn anything; use activation='sigmoid' for one-channel (binary) "
            "outputs, or give the network one output channel per class")
    return activation


def check_input(xp, input):
    if not _dtype_facts(xp, input.dtype)[0]:
        raise TypeError(f"input must be a floating array; got dtype {input.dtype}")
    if input.ndim < 2:
        raise ValueError(
            "input must have shape (B, C, *spatial) with at least 2 axes; "
            f"got shape {tuple(input.shape)}")
    if size(input.shape) == 0:
        raise ValueError(f"input is empty (shape {tuple(input.shape)}); the loss is undefined")


def check_reduction(reduction):
    """``reduction`` if it is 'mean', 'sum' or 'none'; else ``ValueError``."""
    return check_choice(reduction, "reduction", REDUCTIONS)


def upstream(xp, grad_out, shape, like):
    """``grad_out`` (the upstream gradient of an unreduced loss of ``shape``) as an
    array of that shape; a number or 0-d array is broadcast (every entry gets it)."""
    if not hasattr(grad_out, "shape"):
        grad_out = as_constant(xp, grad_out, like)
    if tuple(grad_out.shape) != tuple(shape):
        try:
            grad_out = xp.broadcast_to(grad_out, tuple(shape))
        except (ValueError, RuntimeError):
            raise ValueError(f"grad_out must have the loss's shape {tuple(shape)}; "
                             f"got {tuple(grad_out.shape)}") from None
    return grad_out


def _channel_slice(ndim, axis, part):
    index = [slice(None)] * ndim
    index[axis] = part
    return tuple(index)


def without_background(values, drop, axis):
    """``values`` without channel 0 (on ``axis``) when ``drop``: how an unreduced loss
    leaves out the channel that ``include_background=False`` excludes."""
    return values[_channel_slice(values.ndim, axis, slice(1, None))] if drop else values


def with_background(xp, values, drop, axis):
    """The inverse of :func:`without_background`: a zero channel 0 put back in front."""
    if not drop:
        return values
    zero = xp.zeros_like(values[_channel_slice(values.ndim, axis, slice(0, 1))])
    return xp.concat([zero, values], axis=axis)


_PLAIN = (type(None), bool, int, float, str)


def options_key(*values):
    """A hashable key for validated options (plain Python values and tuples of numbers),
    each with its type (so that ``1`` and ``True`` differ); None when any value is
    something else (an array, a list), which is then validated on every call."""
    key = []
    for v in values:
        t = type(v)
        if t is tuple:
            for item in v:
                if type(item) not in (int, float):
                    return None
        elif t not in _PLAIN:
            return None
        key.append((t, v))
    return tuple(key)


def check_smooth(smooth_nr, smooth_dr):
    return (check_real(smooth_nr, "smooth_nr", minimum=0.0),
            check_real(smooth_dr, "smooth_dr", minimum=0.0))


def check_bool(value, name):
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return value


def check_class_weight(weight, channels, name="weight"):
    """``None`` or a tuple of ``channels`` non-negative floats, not all zero."""
    if weight is None:
        return None
    try:
        values = [float(v) for v in _to_list(weight)]
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a sequence of {channels} real numbers; got {weight!r}") from None
    if len(values) != channels:
        raise ValueError(f"{name} must hold one value per channel ({channels}); got {len(values)}")
    values = tuple(check_real(v, f"each {name} value", minimum=0.0) for v in values)
    if not any(values):
        raise ValueError(f"{name} must not be all zero")
    return values


def _to_list(weight):
    if hasattr(weight, "tolist"):
        weight = weight.tolist()
    if isinstance(weight, (int, float)):
        raise TypeError
    return list(weight)


def channel_weights(weight, include_background, channels):
    """Per-channel averaging weights (a tuple) from ``weight`` and ``include_background``."""
    check_bool(include_background, "include_background")
    weights = list(weight) if weight is not None else [1.0] * channels
    if not include_background:
        if channels == 1:
            raise ValueError(
                "include_background=False drops channel 0, but input has a single channel")
        weights[0] = 0.0
    if not any(weights):
        raise ValueError("weight and include_background leave no channel to average")
    return tuple(weights)


def prepare(xp, input, target, mask, ignore_index):
    """Per-channel target and validity mask, both in the compute dtype.

    ``target`` is either the shape of ``input`` (one-hot or soft targets, one
    channel per output channel) or an integer label map of shape
    ``(B, *spatial)`` or ``(B, 1, *spatial)`` with ``C > 1`` channels, which is
    one-hot encoded here. ``ignore_index`` masks out the elements whose label
    (or, for same-shape targets, whose target value) equals it. ``mask`` is
    broadcastable to ``(B, 1 or C, *spatial)``: non-zero means valid. The
    returned mask is ``None`` when every element is valid, and otherwise has
    ``input.ndim`` axes with 1 or C channels.
    """
    check_input(xp, input)
    ct = compute_dtype(xp, input.dtype)
    shape = tuple(input.shape)
    batch, channels, spatial = shape[0], shape[1], shape[2:]
    dev = device_of(input)
    valid = None
    if ignore_index is not None:
        ignore_index = check_int(ignore_index, "ignore_index")
    target_shape = tuple(target.shape)
    if target_shape == shape:
        if ignore_index is not None:
            valid = target != ignore_index
            target = xp.where(valid, target, xp.zeros_like(target))
        g = astype(xp, target, ct)
    elif target_shape in ((batch,) + spatial, (batch, 1) + spatial) and channels > 1:
        if not xp.isdtype(target.dtype, "integral"):
            raise TypeError(
                f"a target of shape {target_shape} is read as a label map and must hold integers; "
                f"got dtype {target.dtype}")
        labels = xp.reshape(target, (batch, 1) + spatial)
        classes = xp.reshape(xp.arange(channels, dtype=labels.dtype, device=dev),
                             (1, channels) + (1,) * len(spatial))
        # through uint8: PyTorch's direct bool-to-float cast is unvectorized, three times slower
        g = xp.astype(xp.astype(labels == classes, xp.uint8), ct)
        if ignore_index is not None:
            valid = labels != ignore_index
    else:
        raise ValueError(
            f"target must have the shape of input {shape} (one-hot or soft targets) or be a "
            f"label map of shape {(batch,) + spatial}; got {target_shape}")
    if mask is not None:
        m = mask
        if tuple(m.shape) == (batch,) + spatial:
            m = xp.reshape(m, (batch, 1) + spatial)
        if m.ndim != len(shape) or m.shape[0] != batch or m.shape[1] not in (1, channels) \
                or tuple(m.shape[2:]) != spatial:
            raise ValueError(
                f"mask must have shape {(batch,) + spatial}, {(batch, 1) + spatial} or {shape}; "
                f"got {tuple(mask.shape)}")
        m = m != 0 if not xp.isdtype(m.dtype, "bool") else m
        valid = m if valid is None else xp.logical_and(valid, m)
    m = None if valid is None else xp.astype(valid, ct)
    return g, m


def _native(xp):
    """'torch', 'jax' or None: whose fused kernels :func:`activate` and :func:`softplus` may use."""
    if _TORCH is not None and xp is _TORCH[1]:
        return "torch"
    import array_api_compat
    if array_api_compat.is_torch_namespace(xp):
        return "torch"
    if array_api_compat.is_jax_namespace(xp):
        return "jax"
    return None


def astype(xp, x, dtype):
    """``x`` in ``dtype``, without a copy when it already is."""
    return x if x.dtype == dtype else xp.astype(x, dtype)


def activate(xp, x, activation):
    """Probabilities from ``x``: identity, sigmoid, or softmax over axis 1.

    PyTorch and JAX use their fused (and differentiable) kernels; other
    namespaces the standard's operations.
    """
    if activation is None:
        return x
    native = _native(xp)
    if native == "torch":
        import torch
        return torch.sigmoid(x) if activation == "sigmoid" else torch.softmax(x, dim=1)
    if native == "jax":
        import jax
        return jax.nn.sigmoid(x) if activation == "sigmoid" else jax.nn.softmax(x, axis=1)
    if activation == "sigmoid":
        return xp.exp(-softplus(xp, -x))      # no overflow for large negative x
    shifted = x - xp.max(x, axis=1, keepdims=True)
    e = xp.exp(shifted)
    return e / xp.sum(e, axis=1, keepdims=True)


def activation_backward(xp, p, grad_p, activation):
    """dL/dx from dL/dp through the activation that produced ``p``."""
    if activation is None:
        return grad_p
    if activation == "sigmoid":
        return grad_p * p * (1.0 - p)
    return p * (grad_p - xp.sum(p * grad_p, axis=1, keepdims=True))


def log_softmax(xp, x):
    """log(softmax(x)) over axis 1, from the shifted logits."""
    native = _native(xp)
    if native == "torch":
        import torch
        return torch.log_softmax(x, dim=1)
    if native == "jax":
        import jax
        return jax.nn.log_softmax(x, axis=1)
    shifted = x - xp.max(x, axis=1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))


def softplus(xp, x):
    """log(1 + exp(x)), exact and finite for any finite x."""
    native = _native(xp)
    if native == "torch":
        import torch
        return -torch.nn.functional.logsigmoid(-x)
    if native == "jax":
        import jax
        return jax.nn.softplus(x)
    return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def log_sigmoid(xp, x):
    """log(sigmoid(x)) = -softplus(-x), exact and finite for any finite x."""
    native = _native(xp)
    if native == "torch":
        import torch
        return torch.nn.functional.logsigmoid(x)
    if native == "jax":
        import jax
        return jax.nn.log_sigmoid(x)
    return -softplus(xp, -x)


def safe_where(xp, condition, value_fn, x, fill):
    """``value_fn(x)`` where ``condition``, ``fill`` elsewhere, with finite derivatives.

    ``x`` is replaced by 1 where the condition is false before ``value_fn``
    sees it (the double-``where`` trick), so neither the value nor any
    derivative taken through it is NaN.
    """
    inner = xp.where(condition, x, xp.ones_like(x))
    return xp.where(condition, value_fn(inner), xp.full_like(x, fill))


def reduction_axes(ndim, batch):
    spatial = tuple(range(2, ndim))
    return (0,) + spatial if batch else spatial


def expand_cells(xp, cells, ndim, batch):
    """Per-cell values, shape (B, C) or (C,), as (B|1, C, 1, ...) to broadcast over elements."""
    if batch:
        return xp.reshape(cells, (1, cells.shape[-1]) + (1,) * (ndim - 2))
    return xp.reshape(cells, tuple(cells.shape) + (1,) * (ndim - 2))


def valid_count(xp, m, x, axes):
    """N per reduction cell: the number of valid elements summed."""
    if m is None:
        return float(size([x.shape[a] for a in axes]))
    return xp.sum(m, axis=axes)


def as_constant(xp, values, like):
    """A small constant vector on ``like``'s device and dtype."""
    return xp.asarray(values, dtype=like.dtype, device=device_of(like))


def loss_function(build: Callable[..., tuple[Any, Any, Any, LossSpec]]
                  ) -> Callable[[Callable[Concatenate[Any, Any, P], object]], Loss[P]]:
    """Give a documented loss function its ``prepare``/``forward``/``backward`` API.

    ``build(input, target, **params)`` validates everything and returns
    ``(target, mask, aux, spec)``: the prepared per-channel target and mask, a
    constant auxiliary array (or ``None``) and a hashable ``spec`` whose
    ``forward(input, target, mask, aux)`` gives the loss and
    ``backward(input, target, mask, aux, grad_out)`` gives dL/d(input).
    The decorated function's own body is never run: its signature and
    docstring are the public contract. Type checkers see a :class:`Loss` with the
    function's keyword parameters (a misspelt keyword or a wrong option is an error);
    the function's return annotation is not used, :class:`Loss` says what comes back.
    """
    def decorate(function):
        signature = inspect.signature(function)
        defaults = {p.name: p.default for p in signature.parameters.values()
                    if p.kind is inspect.Parameter.KEYWORD_ONLY}

        def prepare(input, target, **params):
            if not params.keys() <= defaults.keys():
                signature.bind(input, target, **params)     # raises the usual TypeError
            return build(input, target, **{**defaults, **params})

        def forward(input, target, **params):
            g, m, aux, spec = prepare(input, target, **params)
            return spec.forward(input, g, m, aux), Residuals(input, g, m, aux, spec)

        @functools.wraps(function)
        def loss(input, target, **params):
            return forward(input, target, **params)[0]

        loss.prepare = prepare
        loss.forward = forward
        loss.backward = backward
        return loss
    return decorate


def backward(residuals: Residuals, grad_out: Any) -> Any:
    """dL/d(input) from the residuals of a forward pass and the upstream gradient."""
    r = residuals
    return r.spec.backward(r.input, r.target, r.mask, r.aux, grad_out)
