"""segmetrics: fast, exact segmentation metrics.

``import segmetrics`` loads NumPy and the compiled kernels only; Numba, SciPy,
PyTorch and JAX are imported when a function that needs them is called.
"""
from segmetrics import batch
from segmetrics._backends import BACKENDS, available_backends
from segmetrics._executor import set_num_threads
from segmetrics.accumulate import Accumulator
from segmetrics.distance import (
    SurfaceDistances,
    assd,
    hausdorff,
    hd95,
    surface_dice,
    surface_distances,
)
from segmetrics.evaluate import evaluate_folder
from segmetrics.from_counts import Counts
from segmetrics.overlap import (
    accuracy,
    binary_counts,
    confusion_matrix,
    dice,
    jaccard,
    kappa,
    precision,
    sensitivity,
    specificity,
    tversky,
)

__version__ = "0.1.0"

__all__ = [
    "Accumulator", "BACKENDS", "Counts", "SurfaceDistances", "accuracy", "assd",
    "available_backends", "batch", "binary_counts", "confusion_matrix", "dice", "evaluate_folder", "hausdorff", "hd95",
    "jaccard", "kappa", "precision", "sensitivity", "set_num_threads", "specificity",
    "surface_dice", "surface_distances", "tversky",
]
