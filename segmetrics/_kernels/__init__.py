"""Kernels in three backends with the same names and contracts.

``_reference`` (NumPy, obviously correct), ``_cython`` (compiled, the default)
and ``_numba`` (JIT, imported only on request). Kernels take 1-D contiguous
arrays of native byte order that the public wrappers have already checked.
"""
