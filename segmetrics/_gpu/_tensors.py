"""Device arrays as PyTorch tensors, and the input checks done on the device.

The checks give the same messages as :mod:`segmetrics._validate` and never copy
a volume to the host: only scalars (a count, a min or max) cross over.
"""
import importlib

from segmetrics._arrays import _top_module

_HOW_TO_GET = ("the device path needs PyTorch (and Triton for the fast kernels); "
               "install them with `pip install \"segmetrics[gpu]\"`")


def torch_module():
    """The ``torch`` module, or an ImportError that says what to install."""
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise ImportError(_HOW_TO_GET) from exc


def as_tensor(array, name):
    """``array`` as a plain PyTorch tensor on its own device, sharing its memory.

    CuPy and JAX arrays come in through DLPack; tensor subclasses (MONAI's
    ``MetaTensor``) are viewed as plain tensors, so their metadata handling stays out
    of the kernels.

    Raises
    ------
    TypeError
        If the dtype is not bool, integer or floating (as :func:`segmetrics._validate.as_array`).
    """
    torch = torch_module()
    if _top_module(array) != "torch":
        array = torch.from_dlpack(array)
    elif type(array) is not torch.Tensor:
        array = array.as_subclass(torch.Tensor)
    if array.dtype == torch.bool:
        return array
    if array.is_complex() or not (array.is_floating_point() or _is_integer(torch, array.dtype)):
        raise TypeError(
            f"{name} must be an array of bool, integer or floating values; got dtype {array.dtype}"
        )
    return array


def _is_integer(torch, dtype):
    return dtype in (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
                     getattr(torch, "uint16", None), getattr(torch, "uint32", None),
                     getattr(torch, "uint64", None))
