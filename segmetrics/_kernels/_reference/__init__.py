"""NumPy reference backend."""
from segmetrics._kernels._reference.counting import (
    binary_counts,
    confusion_matrix,
    threshold_counts,
)

__all__ = ["binary_counts", "confusion_matrix", "threshold_counts"]
