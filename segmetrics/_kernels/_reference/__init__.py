"""NumPy reference backend."""
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
    "binary_counts", "boundary_rows", "confusion_matrix", "directed_distances", "edt",
    "label_bboxes", "mask_bbox", "threshold_counts",
]
