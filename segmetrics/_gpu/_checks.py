"""Input checks of device tensors, with the host checks' rules and messages.

Shapes and dtypes are metadata; value checks (non-binary masks, labels out of
range, NaN) come from counts the kernels return. Only when a check fails are
the few values named in the message found on the device (``torch.unique``):
at most nine values of each array cross to the host.
"""
import numpy as np

from segmetrics._gpu._tensors import as_tensor
from segmetrics._validate import fits_dtype, values_found

_NUMPY_DTYPES = {
    "bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16, "uint16": np.uint16,
    "int32": np.int32, "uint32": np.uint32, "int64": np.int64, "uint64": np.uint64,
}


def dtype_name(tensor):
    """``"float32"``, ``"int64"``, ...: the name NumPy gives the same dtype."""
    return str(tensor.dtype).removeprefix("torch.")


def numpy_dtype(tensor):
    """The NumPy dtype of an integer or bool tensor."""
    return np.dtype(_NUMPY_DTYPES[dtype_name(tensor)])


def checked_pair(pred, gt, *, threshold):
    """Both inputs as tensors on one device, checked as the host path checks them."""
    pred = as_tensor(pred, "pred")
    gt = as_tensor(gt, "gt")
    if tuple(pred.shape) != tuple(gt.shape):
        raise ValueError(f"pred and gt must have the same shape; got {tuple(pred.shape)} and "
                         f"{tuple(gt.shape)}")
    if gt.numel() == 0:
        raise ValueError(f"gt is empty (shape {tuple(gt.shape)}); the metric is undefined")
    if pred.device != gt.device:
        raise ValueError(f"pred and gt must be on the same device; got {pred.device} and "
                         f"{gt.device}")
    if threshold is None:
        _check_label_dtype(pred, "pred")
    elif not pred.is_floating_point():
        raise TypeError(f"pred must be a floating probability map when threshold is given; "
                        f"got {dtype_name(pred)}")
    _check_label_dtype(gt, "gt")
    return pred, gt


def _check_label_dtype(tensor, name):
    if tensor.is_floating_point():
        hint = ("pass threshold= to binarise a probability map" if name == "pred"
                else "ground truth must hold labels: convert it with .astype(int)")
        raise TypeError(f"{name} must have a bool or integer dtype; got {dtype_name(tensor)}: "
                        f"{hint}")


def ignore_value(ignore_index, gt):
    """``ignore_index`` as a one-element tensor of ``gt``'s dtype on its device, or None.

    A label ``gt``'s dtype cannot hold never matches, so it is None too.
    """
    if ignore_index is None or not fits_dtype(ignore_index, numpy_dtype(gt)):
        return None
    import torch

    return torch.tensor([ignore_index], dtype=gt.dtype, device=gt.device)


def threshold_value(threshold, pred):
    """``threshold`` rounded to ``pred``'s precision, as a one-element tensor on its device.

    NumPy rounds float16, float32 and float64 thresholds once, as the host path does.
    """
    import torch

    name = dtype_name(pred)
    if name in ("float16", "float32", "float64"):
        threshold = float(np.dtype(name).type(threshold))
    return torch.tensor([threshold], dtype=pred.dtype, device=pred.device)


def few_values(tensor):
    """The smallest nine distinct values of ``tensor``, as a NumPy array on the host."""
    import torch

    if tensor.dtype not in (torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32,
                            torch.int64) and not tensor.is_floating_point():
        tensor = tensor.to(torch.int64)
    return torch.unique(tensor)[:9].cpu().numpy()


def found(tensor, name):
    """``"name holds the values {...}"`` as :func:`segmetrics._validate.values_found` says it."""
    return values_found(few_values(tensor), name)
