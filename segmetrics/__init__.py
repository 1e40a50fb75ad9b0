"""segmetrics: fast, exact segmentation metrics.

``import segmetrics`` loads NumPy only; the compiled kernels, Numba, SciPy,
PyTorch, Triton, JAX and the folder-evaluation layer are imported when a function
that needs them is called.
"""
from typing import TYPE_CHECKING, Any

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
from segmetrics.from_counts import Counts
from segmetrics.lesion import LesionResult, connected_components, lesion_wise, panoptic_quality
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
from segmetrics.rates import (
    absolute_volume_difference,
    balanced_accuracy,
    false_discovery_rate,
    false_negative_rate,
    false_positive_rate,
    fbeta,
    generalized_dice,
    informedness,
    markedness,
    mcc,
    npv,
    prevalence,
    relative_volume_difference,
    volume_similarity,
)
from segmetrics.topology import cldice, cldice_rates

__version__ = "0.1.0"  # the one version source (pyproject.toml reads it)

if TYPE_CHECKING:  # at run time it is loaded on first use, by __getattr__
    from segmetrics.evaluation import evaluate_folder as evaluate_folder


def __getattr__(name: str) -> Any:
    # evaluate_folder lives in the folder-evaluation layer, loaded on first use only
    if name == "evaluate_folder":
        from segmetrics.evaluation import evaluate_folder

        return evaluate_folder
    raise AttributeError(f"module 'segmetrics' has no attribute {name!r}")

__all__ = [
    "Accumulator", "BACKENDS", "Counts", "SurfaceDistances", "accuracy", "assd",
    "available_backends", "batch", "binary_counts", "confusion_matrix", "dice",
    "evaluate_folder", "hausdorff", "hd95", "jaccard", "kappa", "precision", "sensitivity",
    "set_num_threads", "specificity", "surface_dice", "surface_distances", "tversky",
    # the counts family (segmetrics.rates)
    "absolute_volume_difference", "balanced_accuracy", "false_discovery_rate",
    "false_negative_rate", "false_positive_rate", "fbeta", "generalized_dice", "informedness",
    "markedness", "mcc", "npv", "prevalence", "relative_volume_difference", "volume_similarity",
    # lesion-wise evaluation (segmetrics.lesion)
    "LesionResult", "connected_components", "lesion_wise", "panoptic_quality",
    # topology (segmetrics.topology)
    "cldice", "cldice_rates",
]
