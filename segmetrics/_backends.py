"""Backend registry: which kernel implementation a public function runs.

Every backend module exposes the same kernel names with the same contracts.
``"auto"`` picks the compiled Cython extension, then Numba, then NumPy.
"""
import importlib

BACKENDS = ("cython", "numba", "numpy")
_MODULES = {
    "cython": "segmetrics._kernels._cython",
    "numba": "segmetrics._kernels._numba",
    "numpy": "segmetrics._kernels._reference",
}
_HOW_TO_GET = {
    "cython": "the Cython extension is not built; reinstall with `pip install segmetrics` "
              "(or `pip install .` from a checkout) so the build compiles it",
    "numba": "numba is not installed; install it with `pip install numba`",
    "numpy": "NumPy is missing, which segmetrics cannot run without",
}


def check_backend(backend):
    """Return ``backend`` if it names a backend or ``"auto"``; else ``ValueError``."""
    if backend != "auto" and backend not in BACKENDS:
        raise ValueError(
            f"backend must be 'auto' or one of {', '.join(map(repr, BACKENDS))}; "
            f"got {backend!r}"
        )
    return backend


def kernels(backend="auto"):
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


def backend_name(module):
    """The name of a kernel module returned by :func:`kernels`."""
    return next(name for name, path in _MODULES.items() if path == module.__name__)


def available_backends():
    """Names of the backends that load on this machine, in ``"auto"`` order."""
    available = []
    for name in BACKENDS:
        try:
            importlib.import_module(_MODULES[name])
        except ImportError:
            continue
        available.append(name)
    return available
