"""Numba backend: imported only when asked for, since importing numba is slow."""
from segmetrics._kernels._numba.channels import (
    argmax_confusion,
    argmax_onehot_counts,
    binary_rows,
    threshold_index_counts,
    threshold_rows,
)
from segmetrics._kernels._numba.counting import (
    binary_counts,
    confusion_matrix,
    threshold_counts,
)
from segmetrics._kernels._numba.distance import (
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
