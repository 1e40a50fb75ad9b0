"""Numba backend: imported only when asked for, since importing numba is slow."""
from segmetrics._kernels._numba.counting import (
    binary_counts,
    confusion_matrix,
    threshold_counts,
)

__all__ = ["binary_counts", "confusion_matrix", "threshold_counts"]
