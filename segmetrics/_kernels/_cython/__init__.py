"""Cython backend: compiled kernels, the default when the package was built."""
from segmetrics._kernels._cython._counting import (
    binary_counts,
    confusion_matrix,
    threshold_counts,
)

__all__ = ["binary_counts", "confusion_matrix", "threshold_counts"]
