"""Declares the Cython extensions; all other metadata lives in pyproject.toml.

The kernels use typed memoryviews only (no NumPy C API), so NumPy is not a build
requirement. On Linux the shared objects are linked stripped.
"""
import sys

from Cython.Build import cythonize
from setuptools import Extension, setup

if sys.platform == "win32":
    COMPILE_ARGS, LINK_ARGS = ["/O2"], []
else:
    COMPILE_ARGS = ["-O3"]
    LINK_ARGS = ["-Wl,--strip-all"] if sys.platform.startswith("linux") else []

extensions = [
    Extension(
        f"segmetrics._kernels._cython.{name}",
        [f"segmetrics/_kernels/_cython/{name}.pyx"],
        extra_compile_args=COMPILE_ARGS,
        extra_link_args=LINK_ARGS,
    )
    for name in ("_counting", "_channels", "_distance")
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": "3",
            "boundscheck": False,
            "wraparound": False,
            "initializedcheck": False,
            "cdivision": True,
        },
    )
)
