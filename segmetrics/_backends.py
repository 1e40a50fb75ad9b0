"""Backend registry: which kernel implementation a public function runs.

Every backend module exposes the same kernel names with the same contracts.
Host arrays run on a host backend: ``"auto"`` picks the compiled Cython
extension, then Numba, then NumPy. Device arrays (see :mod:`segmetrics._arrays`)
run on a device backend: ``"auto"`` picks the Triton kernels, then the PyTorch
reference. A host backend with device arrays, or a device backend with host
arrays, is a ``ValueError``.
"""
from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from segmetrics import _arrays
from segmetrics._arrays import DEVICE

BACKENDS = ("cython", "numba", "numpy")
DEVICE_BACKENDS = ("triton", "torch")
_MODULES = {
    "cython": "segmetrics._kernels._cython",
    "numba": "segmetrics._kernels._numba",
    "numpy": "segmetrics._kernels._reference",
}
_HOW_TO_GET = {
    "cython": "the Cython extension is not built; reinstall with `pip install segmetrics` "
              "(or `pip install .` from a checkout) so the build compiles it",
    "numba": "numba is not installed; install it with `pip install \"segmetrics[numba]\"`",
    "numpy": "the NumPy reference backend needs SciPy for its distance kernels; install it "
             "with `pip install scipy`",
}


def check_backend(backend: str) -> str:
    """Return ``backend`` if it names a backend or ``"auto"``; else ``ValueError``."""
    if backend != "auto" and backend not in BACKENDS + DEVICE_BACKENDS:
        raise ValueError(
            f"backend must be 'auto' or one of {', '.join(map(repr, BACKENDS + DEVICE_BACKENDS))}; "
            f"got {backend!r}"
        )
    return backend


def check_backend_for(backend: str, kind: str) -> str:
    """``backend`` if it can run arrays of ``kind`` (see :func:`segmetrics._arrays.array_kind`).

    Raises
    ------
    ValueError
        A device backend for host arrays, or a host backend for device arrays.
    """
    check_backend(backend)
    if kind == DEVICE and backend in BACKENDS:
        raise ValueError(
            f"backend {backend!r} runs on the host but the arrays are on a GPU device; pass "
            f"backend='auto' or one of {', '.join(map(repr, DEVICE_BACKENDS))}, or move the "
            "arrays to the host"
        )
    if kind != DEVICE and backend in DEVICE_BACKENDS:
        device_arrays = ("PyTorch tensors (simulated on the CPU: SEGMETRICS_GPU_SIMULATE is set)"
                         if _arrays.GPU_SIMULATE else "CUDA tensors (or set "
                         "SEGMETRICS_GPU_SIMULATE=1 to run the device kernels on the CPU)")
        raise ValueError(
            f"backend {backend!r} runs on a GPU device but the arrays are host arrays; pass "
            f"backend='auto' or one of {', '.join(map(repr, BACKENDS))}, or pass "
            f"{device_arrays}"
        )
    return backend


def kernels(backend: str = "auto") -> ModuleType:
    """Return the kernel module for ``backend``.

    Raises
    ------
    ValueError
        If ``backend`` is not a known name.
    ImportError
        If the named backend cannot be loaded; the message says what to install.
    """
    check_backend(backend)
    if backend == "auto":
        for name in BACKENDS:
            try:
                return importlib.import_module(_MODULES[name])
            except ImportError:
                continue
    try:
        return importlib.import_module(_MODULES[backend])
    except ImportError as exc:
        raise ImportError(f"backend {backend!r} is unavailable: {_HOW_TO_GET[backend]}") from exc


def device_kernels(backend, family):
    """The device kernel module of ``family`` (``"counting"``, ...) for a device ``backend``.

    ``segmetrics._gpu._triton_<family>`` or ``segmetrics._gpu._torch_<family>``;
    ``"auto"`` is Triton when it imports, else the PyTorch reference.

    Raises
    ------
    ImportError
        If the backend's library is missing; the message says what to install.
    """
    from segmetrics._gpu._tensors import torch_module

    torch_module()  # an ImportError that names the gpu extra
    names = DEVICE_BACKENDS if backend == "auto" else (backend,)
    for name in names:
        try:
            return importlib.import_module(f"segmetrics._gpu._{name}_{family}")
        except ImportError as exc:
            if backend != "auto":
                raise ImportError(
                    f"backend {backend!r} is unavailable: {exc}; install the device backends "
                    "with `pip install \"segmetrics[gpu]\"`") from exc
    raise ImportError(f"no device backend could load segmetrics._gpu._torch_{family}")


def _device_backends():
    """The device backends that can run here: PyTorch with CUDA, or simulated on the CPU."""
    if importlib.util.find_spec("torch") is None:
        return []
    import torch

    if not (_arrays.GPU_SIMULATE or torch.cuda.is_available()):
        return []
    return (["triton"] if importlib.util.find_spec("triton") is not None else []) + ["torch"]


def backend_name(module: ModuleType) -> str:
    """The name of a kernel module returned by :func:`kernels`."""
    return next(name for name, path in _MODULES.items() if path == module.__name__)


def available_backends() -> list[str]:
    """Names of the backends that run on this machine, in ``"auto"`` order.

    The host backends that load, then the device backends (``"triton"``,
    ``"torch"``) if PyTorch sees a CUDA device or ``SEGMETRICS_GPU_SIMULATE=1``
    is set. PyTorch is imported only if it is installed.
    """
    available = []
    for name in BACKENDS:
        try:
            importlib.import_module(_MODULES[name])
        except ImportError:
            continue
        available.append(name)
    return available + _device_backends()
