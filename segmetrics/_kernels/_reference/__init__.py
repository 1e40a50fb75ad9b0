"""NumPy reference backend.

Its distance kernels take SciPy's exact distance transform as the reference, so the
backend is available only where SciPy is installed (checked without importing it).
"""
import importlib.util

if importlib.util.find_spec("scipy") is None:
    raise ImportError("the NumPy reference backend needs SciPy (pip install scipy)")

from segmetrics._kernels._reference.channels import (
    argmax_confusion,
    argmax_onehot_counts,
    binary_rows,
    threshold_index_counts,
    threshold_rows,
)
from segmetrics._kernels._reference.counting import (
    binary_counts,
    confusion_matrix,
    threshold_counts,
)
from segmetrics._kernels._reference.distance import (
    boundary_rows,
    directed_distances,
    edt,
    label_bboxes,
    mask_bbox,
)

__all__ = [
    "argmax_confusion", "argmax_onehot_counts", "binary_counts", "binary_rows", "boundary_rows",
    "confusion_matrix", "directed_distances", "edt", "label_bboxes", "mask_bbox",
    "threshold_counts", "threshold_index_counts", "threshold_rows",
]
