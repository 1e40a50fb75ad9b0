"""Which kind of array a public function was given: host, chunked (Dask) or device.

Every public metric asks :func:`array_kind` once, at its entry, and takes the
host path (NumPy arrays, lists, CPU tensors), the chunked path (Dask) or the
device path (CUDA PyTorch tensors, CuPy arrays, JAX arrays on a GPU). Nothing
here imports PyTorch, CuPy, JAX or Dask: the kind is read from the type's
module and the object's attributes.

``SEGMETRICS_GPU_SIMULATE=1``, set before ``import segmetrics``, runs the device
path on the CPU: CPU PyTorch tensors count as device arrays, and the Triton
kernels run in Triton's interpreter (``TRITON_INTERPRET=1``), so machines without
a GPU (CI) execute the real kernel code on small arrays.
"""
from __future__ import annotations

import os

GPU_SIMULATE = os.environ.get("SEGMETRICS_GPU_SIMULATE", "0") == "1"
if GPU_SIMULATE:
    # Triton reads this when a kernel module is decorated, i.e. at its (lazy) import.
    os.environ["TRITON_INTERPRET"] = "1"

HOST, CHUNKED, DEVICE = "host", "chunked", "device"


_ARRAY_PACKAGES = frozenset(("torch", "cupy", "jax", "jaxlib", "dask"))


def _top_module(array):
    """The top-level package of ``array``'s type, or of its first base class from PyTorch,
    CuPy, JAX or Dask (so subclasses such as MONAI's ``MetaTensor`` count as tensors)."""
    cls = type(array)
    top = cls.__module__.partition(".")[0]
    if top in _ARRAY_PACKAGES or top in ("numpy", "builtins"):
        return top
    for base in cls.__mro__[1:]:
        base_top = base.__module__.partition(".")[0]
        if base_top in _ARRAY_PACKAGES:
            return base_top
    return top


def is_chunked(array: object) -> bool:
    """Whether ``array`` is a Dask array (checked without importing Dask)."""
    return _top_module(array) == "dask"


def is_device(array: object) -> bool:
    """Whether ``array`` lives on a GPU (or, when simulating, is any PyTorch tensor)."""
    return _on_device(array, _top_module(array))


def _on_device(array, module):
    if module == "torch":
        return GPU_SIMULATE or getattr(array, "is_cuda", False)
    if module == "cupy":
        return True
    if module in ("jax", "jaxlib"):
        try:
            return any(device.platform == "gpu" for device in array.devices())
        except AttributeError:  # a tracer or an old JAX: not a concrete device array
            return False
    return False


def array_kind(pred: object, gt: object) -> str:
    """``"chunked"``, ``"device"`` or ``"host"`` for a pair of inputs.

    A Dask input makes the pair chunked (the other is wrapped chunk by chunk).
    A device array must be paired with a device array: a host copy of the
    other would hide a transfer the caller did not ask for.

    Raises
    ------
    ValueError
        If one input is on a device and the other is not.
    """
    pred_module, gt_module = _top_module(pred), _top_module(gt)
    if pred_module == "dask" or gt_module == "dask":
        return CHUNKED
    on_device = _on_device(pred, pred_module), _on_device(gt, gt_module)
    if all(on_device):
        return DEVICE
    if any(on_device):
        where = ("pred", "gt") if on_device[0] else ("gt", "pred")
        raise ValueError(
            f"{where[0]} is on a GPU device but {where[1]} is a host array; move both to one "
            "device (e.g. `torch.as_tensor(x, device=pred.device)`) or both to the host"
        )
    return HOST
