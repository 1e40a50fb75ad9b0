"""Cython backend: compiled kernels, the default when the package was built."""
from segmetrics._kernels._cython._channels import (
    argmax_confusion,
    argmax_onehot_counts,
    binary_rows,
    threshold_index_counts,
    threshold_rows,
)
from segmetrics._kernels._cython._counting import (
    binary_counts,
    confusion_matrix,
    threshold_counts,
)
from segmetrics._kernels._cython._distance import (
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
