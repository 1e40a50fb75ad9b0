"""Surface distances of device arrays, computed on their device.

The public functions of :mod:`segmetrics.distance` send device arrays (CUDA
PyTorch tensors, CuPy arrays and JAX GPU arrays through DLPack; CPU tensors
under ``SEGMETRICS_GPU_SIMULATE=1``) here. The inputs are checked on the device
with the host's messages (only counts and, for a refused mask, its first few
distinct values cross to the host); then per mask (per label):

1. ``boundary_mask``: one pass over the volume marks the boundary voxels
   (the host's rule: foreground with a face, or any, neighbour in the
   background or outside the image);
2. ``torch.nonzero`` lists them, in C order of the voxels;
3. ``nearest_squared``: an exact nearest-boundary search per direction, the
   smallest float64 squared distance to the other boundary, then its square root.

The distances stay on the device as float64 tensors, in a
:class:`DeviceSurfaceDistances`, whose metrics come back as Python floats:
percentiles by exact selection (``torch.kthvalue``) and NumPy's linear
interpolation done on the two selected values.
"""
import importlib
import math

from segmetrics._gpu._tensors import as_tensor, torch_module
from segmetrics._validate import (
    check_choice,
    check_label_dtype,
    check_labels,
    check_not_empty,
    check_real,
    check_same_shape,
    check_spacing,
    fits_dtype,
)
from segmetrics.distance import (
    DIRECTIONS,
    HD_MODES,
    SurfaceDistances,
    _check_connectivity,
    _check_percentile,
    _check_surface,
)

_MODULES = {
    "triton": "segmetrics._gpu._triton_distance",
    "torch": "segmetrics._gpu._torch_distance",
}


def kernels(backend):
    """The device kernel module for ``backend`` ("auto", "triton" or "torch")."""
    if backend == "auto":
        try:
            return importlib.import_module(_MODULES["triton"])
        except ImportError:
            backend = "torch"
    try:
        return importlib.import_module(_MODULES[backend])
    except ImportError as exc:
        raise ImportError(f"backend {backend!r} is unavailable: it needs "
                          f"{'Triton' if backend == 'triton' else 'PyTorch'}; install it with "
                          "`pip install \"segmetrics[gpu]\"`") from exc


class DeviceSurfaceDistances(SurfaceDistances):
    """:class:`~segmetrics.distance.SurfaceDistances` whose arrays stay on the device.

    ``pred_to_gt`` and ``gt_to_pred`` are float64 PyTorch tensors on the
    inputs' device, in C order of the boundary voxels; the metrics are those
    of the host class, computed on the device and returned as Python floats.
    """

    __slots__ = ()

    def __repr__(self):
        return (f"DeviceSurfaceDistances(n_pred_boundary={self._pred_to_gt.numel()}, "
                f"n_gt_boundary={self._gt_to_pred.numel()}, spacing={self.spacing}, "
                f"device={str(self._pred_to_gt.device)!r})")

    def _empty_value(self, one_empty):
        n_pred, n_gt = self._pred_to_gt.numel(), self._gt_to_pred.numel()
        if n_pred == 0 and n_gt == 0:
            return math.nan
        if n_pred == 0 or n_gt == 0:
            return one_empty
        return None

    def hausdorff(self, percentile=None, hd_mode="max", direction="symmetric"):
        percentile = _check_percentile(percentile)
        check_choice(hd_mode, "hd_mode", HD_MODES)
        sets = [d for d, _ in self._directed(check_choice(direction, "direction", DIRECTIONS))]
        empty = self._empty_value(math.inf)
        if empty is not None:
            return empty
        if percentile is None:
            return max(float(d.max()) for d in sets)
        if hd_mode == "pooled" and len(sets) == 2:
            return _percentile(torch_module().cat(sets), percentile)
        return max(_percentile(d, percentile) for d in sets)

    def assd(self, direction="symmetric"):
        sets = [d for d, _ in self._directed(check_choice(direction, "direction", DIRECTIONS))]
        empty = self._empty_value(math.inf)
        if empty is not None:
            return empty
        return float(sum(d.sum() for d in sets)) / sum(d.numel() for d in sets)

    def surface_dice(self, tolerance):
        tolerance = check_real(tolerance, "tolerance", minimum=0.0)
        empty = self._empty_value(0.0)
        if empty is not None:
            return empty
        a, b = self._pred_to_gt, self._gt_to_pred
        close = int((a <= tolerance).sum()) + int((b <= tolerance).sum())
        return close / (a.numel() + b.numel())


def _percentile(values, percentile):
    """``np.percentile(values, percentile)`` (linear), by selecting two values on the device.

    The arithmetic repeats NumPy's step by step (virtual index ``(n - 1) q`` with
    ``q = p / 100``, its floor and fraction, then its ``_lerp``), so the result has
    the same bits.
    """
    n = values.numel()
    virtual = (n - 1) * (percentile / 100)
    lower = math.floor(virtual)
    if virtual >= n - 1:
        lower = upper = n - 1
    elif virtual < 0:
        lower = upper = 0
    else:
        upper = lower + 1
    gamma = virtual - lower
    a = float(values.kthvalue(lower + 1).values)
    b = a if upper == lower else float(values.kthvalue(upper + 1).values)
    difference = b - a
    if gamma >= 0.5:
        return b - difference * (1 - gamma)
    return a + difference * gamma


class _Described:
    """The shape, size and NumPy dtype of a tensor, for the host's validators."""

    __slots__ = ("dtype", "ndim", "shape", "size")

    def __init__(self, tensor):
        self.shape = tuple(tensor.shape)
        self.ndim = tensor.dim()
        self.size = tensor.numel()
        self.dtype = _numpy_dtype(tensor.dtype)


class _FloatDtype:
    """A floating dtype NumPy lacks (bfloat16), as the validators see it."""

    kind = "f"

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name


def _numpy_dtype(dtype):
    torch = torch_module()
    try:
        return torch.empty(0, dtype=dtype).numpy().dtype
    except TypeError:
        return _FloatDtype(str(dtype).replace("torch.", ""))


def _checked_masks(pred, gt):
    """The host's ``_checked_masks`` on the device: tensors, with the host's messages."""
    pred = as_tensor(pred, "pred")
    gt = as_tensor(gt, "gt")
    p, g = _Described(pred), _Described(gt)
    check_same_shape(p, g)
    check_not_empty(g, "gt")
    if not 1 <= p.ndim <= 3:
        raise ValueError(f"distance metrics take 1-D, 2-D or 3-D arrays; got {p.ndim}-D "
                         f"arrays of shape {p.shape}")
    if pred.device != gt.device:
        raise ValueError(f"pred and gt must be on one device; got {pred.device} and {gt.device}")
    for described, name in ((p, "pred"), (g, "gt")):
        check_label_dtype(described, name, f"binarise a probability map first (e.g. {name} >= "
                                           "0.5) or convert labels with .astype(int)")
    return pred, gt


def _values_found(tensor, name):
    """The host's ``values_found`` message, from at most nine distinct values copied over."""
    values = tensor.unique()[:9].cpu().numpy()
    shown = ", ".join(map(str, values[:8])) + (", ..." if values.size > 8 else "")
    return f"{name} holds the values {{{shown}}}"


def _is_binary(tensor):
    """Whether every value is 0 or 1: one min-max pass, two scalars to the host."""
    if tensor.dtype == torch_module().bool:
        return True
    low, high = torch_module().aminmax(tensor)
    return int(low) >= 0 and int(high) <= 1


def _check_binary(pred, gt):
    if not (_is_binary(pred) and _is_binary(gt)):
        found = "; ".join(_values_found(t, name) for t, name in ((pred, "pred"), (gt, "gt")))
        raise ValueError(f"distance metrics need masks of 0/1 or bool values, but {found}. "
                         "Binarise a 0/255 mask with `mask > 0`, or pass labels=[...] to score "
                         "a label map per label")


def compute(pred, gt, spacing, labels, connectivity, backend, surface, image_border="boundary"):
    """Validated device inputs -> one DeviceSurfaceDistances (binary) or a list (labels)."""
    full = _check_connectivity(connectivity)
    if _check_surface(surface, full, image_border):
        raise ValueError("surface='surfel' is not supported for GPU device arrays; pass "
                         "surface='voxel', or move the arrays to the host (e.g. `.cpu()`) for "
                         "DeepMind's surface elements")
    if labels is not None:
        labels = check_labels(labels)
    pred, gt = _checked_masks(pred, gt)
    ndim = pred.dim()
    spacing = check_spacing(spacing, ndim)
    module = kernels(backend)
    torch = torch_module()
    lead = (None,) * (3 - ndim)
    p3, g3 = pred[lead], gt[lead]
    spacing3 = torch.tensor((1.0,) * (3 - ndim) + spacing, dtype=torch.float64,
                            device=pred.device)

    def boundary(volume, value):
        if image_border == "ignored":  # the border is no boundary: see distance._boundary
            flags = module.boundary_mask(_edge_padded(volume, ndim), value, ndim, full)
            flags = flags[tuple(slice(1, -1) if axis >= 3 - ndim else slice(None)
                                for axis in range(3))]
        else:
            flags = module.boundary_mask(volume, value, ndim, full)
        return torch.nonzero(flags).T.to(torch.int32).contiguous()

    def directed(query, target):
        if query.shape[1] == 0:
            return torch.empty(0, dtype=torch.float64, device=pred.device)
        if target.shape[1] == 0:
            return torch.full((query.shape[1],), math.inf, dtype=torch.float64,
                              device=pred.device)
        return torch.sqrt(module.nearest_squared(query, target, spacing3, tuple(p3.shape)))

    def pair(p_value, g_value):
        pb = _none(torch, pred) if p_value is None else boundary(p3, p_value)
        gb = _none(torch, pred) if g_value is None else boundary(g3, g_value)
        return DeviceSurfaceDistances(directed(pb, gb), directed(gb, pb), spacing)

    if labels is None:
        _check_binary(pred, gt)
        return pair(1, 1)
    p_dtype, g_dtype = _numpy_dtype(pred.dtype), _numpy_dtype(gt.dtype)
    return [pair(label if fits_dtype(label, p_dtype) else None,
                 label if fits_dtype(label, g_dtype) else None) for label in labels]


def _edge_padded(volume, ndim):
    """``volume`` padded by one copy of its edge voxels along its last ``ndim`` axes."""
    index = [torch_module().arange(-1, n + 1, device=volume.device).clamp_(0, n - 1)
             if axis >= 3 - ndim else None for axis, n in enumerate(volume.shape)]
    for axis, positions in enumerate(index):
        if positions is not None:
            volume = volume.index_select(axis, positions)
    return volume.contiguous()


def _none(torch, like):
    return torch.empty((3, 0), dtype=torch.int32, device=like.device)

