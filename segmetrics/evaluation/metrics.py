"""The metrics segmetrics-eval scores: one registry read by scoring, summary, compare, report and CLI.

Each :class:`Metric` says what it is (overlap from the confusion counts, or
distance from the surface distances), which direction is better, its
definition for ``summary.json`` and the report, and what ``surface="surfel"``
adds to that definition. The summary, the comparison and the report share one
rule for infinite values (:func:`worst_case`).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from segmetrics.evaluation.options import Options

__all__ = [
    "DEFAULT_METRICS", "DEFINITIONS", "DISTANCE_METRICS", "HIGHER_IS_BETTER", "LESION_METRICS",
    "METRICS", "OVERLAP_METRICS", "REGISTRY", "TOPOLOGY_METRICS", "SCORED_STATUSES", "STATUSES",
    "SURFACES", "Metric",
    "definitions", "worst_case", "worst_case_array",
]

_SURFEL_POINTS = ("over the surface elements of DeepMind's surface-distance (points on the "
                  "voxel-corner grid weighted by contour length (2-D) or surface area (3-D))")


class Metric(NamedTuple):
    """One metric of the registry.

    Attributes
    ----------
    name : str
        Its name in ``--metrics``, the CSV columns and the summary.
    kind : {"overlap", "distance", "lesion", "topology"}
        Overlap metrics come from the confusion counts (the formula of the same
        name in :mod:`segmetrics.from_counts`), distance metrics from
        :func:`segmetrics.surface_distances`, lesion metrics from one
        :func:`segmetrics.lesion_wise` call per label (the attribute of
        :class:`~segmetrics.lesion.LesionResult` named by ``attribute``) and
        topology metrics from :func:`segmetrics.cldice`.
    higher_is_better : bool
    definition : str
        The formula, as written in ``summary.json`` and the report.
    surfel_definition : str
        Appended to the definition when ``surface="surfel"`` (distance metrics).
    attribute : str
        Lesion metrics: the :class:`~segmetrics.lesion.LesionResult` attribute.
    """

    name: str
    kind: str
    higher_is_better: bool
    definition: str
    surfel_definition: str = ""
    attribute: str = ""

    @property
    def is_distance(self) -> bool:
        return self.kind == "distance"


_METRICS: tuple[Metric, ...] = (
    Metric("dice", "overlap", True, "2 TP / (2 TP + FP + FN)"),
    Metric("jaccard", "overlap", True, "TP / (TP + FP + FN)"),
    Metric("threshold_jaccard", "overlap", True,
           "jaccard if jaccard >= 0.65 else 0 (ISIC 2018 task 1)"),
    Metric("kappa", "overlap", True,
           "Cohen's kappa of the one-vs-rest 2x2 table: "
           "2 (TP TN - FN FP) / ((TP + FP)(FP + TN) + (TP + FN)(FN + TN))"),
    Metric("tversky", "overlap", True, "TP / (TP + alpha FP + beta FN)"),
    Metric("sensitivity", "overlap", True, "TP / (TP + FN)"),
    Metric("specificity", "overlap", True, "TN / (TN + FP)"),
    Metric("precision", "overlap", True, "TP / (TP + FP)"),
    Metric("accuracy", "overlap", True, "(TP + TN) / (TP + FP + FN + TN)"),
    # The counts family (segmetrics.rates; 0/0 rules on the conventions page).
    Metric("volume_similarity", "overlap", True, "1 - |FN - FP| / (2 TP + FP + FN)"),
    Metric("absolute_volume_difference", "overlap", False,
           "|FP - FN| x voxel volume (product of the spacing), physical units"),
    Metric("relative_volume_difference", "overlap", False,
           "(FP - FN) / (TP + FN), signed (0 is best)"),
    Metric("mcc", "overlap", True,
           "(TP TN - FP FN) / sqrt((TP + FP)(TP + FN)(TN + FP)(TN + FN))"),
    Metric("false_positive_rate", "overlap", False, "FP / (FP + TN)"),
    Metric("false_negative_rate", "overlap", False, "FN / (TP + FN)"),
    Metric("npv", "overlap", True, "TN / (TN + FN)"),
    Metric("false_discovery_rate", "overlap", False, "FP / (TP + FP)"),
    Metric("balanced_accuracy", "overlap", True, "(TP / (TP + FN) + TN / (TN + FP)) / 2"),
    Metric("fbeta", "overlap", True, "(1 + beta^2) TP / ((1 + beta^2) TP + beta^2 FN + FP)"),
    Metric("informedness", "overlap", True, "TP / (TP + FN) + TN / (TN + FP) - 1"),
    Metric("markedness", "overlap", True, "TP / (TP + FP) + TN / (TN + FN) - 1"),
    Metric("prevalence", "overlap", True, "(TP + FN) / (TP + FP + FN + TN)"),
    # Lesion-wise (segmetrics.lesion_wise on each label's mask; face connectivity, IoU > 0.5).
    Metric("lesion_f1", "lesion", True,
           "lesion-wise F1 (tp + tp_pred) / (n_gt + n_pred) of the connected components "
           "(face connectivity), matched at IoU > 0.5", attribute="f1"),
    Metric("lesion_recall", "lesion", True,
           "lesion-wise sensitivity tp / n_gt (components matched at IoU > 0.5)",
           attribute="recall"),
    Metric("lesion_precision", "lesion", True,
           "lesion-wise precision tp_pred / n_pred (components matched at IoU > 0.5)",
           attribute="precision"),
    Metric("lesion_dice", "lesion", True,
           "BraTS-style lesion-wise Dice: sum of the true lesions' Dice / (n_gt + FP) "
           "(components matched at IoU > 0.5)", attribute="lesion_dice"),
    Metric("pq", "lesion", True,
           "panoptic quality sum(IoU of matched pairs) / (TP + FP/2 + FN/2) = SQ x RQ "
           "(components matched at IoU > 0.5)", attribute="pq"),
    # Topology (segmetrics.cldice on each label's mask; scikit-image skeletons).
    Metric("cldice", "topology", True,
           "clDice 2 Tprec Tsens / (Tprec + Tsens) of the skeletons (Shit et al. 2021)"),
    Metric("hd", "distance", False,
           "Hausdorff distance between the surfaces, physical units (max of both directions)",
           "; between the surface elements of DeepMind's surface-distance (points on the "
           "voxel-corner grid)"),
    Metric("hd95", "distance", False, "95th percentile Hausdorff distance, physical units",
           "; area-weighted (DeepMind's weighted percentile, larger of the two directed "
           "95th percentiles) " + _SURFEL_POINTS),
    Metric("assd", "distance", False, "average symmetric surface distance, physical units",
           "; area-weighted mean of both directed sets " + _SURFEL_POINTS),
    Metric("nsd", "distance", True,
           "normalised surface Dice at tolerance nsd_tolerance (physical units)",
           "; area-weighted " + _SURFEL_POINTS),
)

#: Every metric by name, in the order of :data:`METRICS`.
REGISTRY: dict[str, Metric] = {metric.name: metric for metric in _METRICS}
OVERLAP_METRICS: tuple[str, ...] = tuple(m.name for m in _METRICS if m.kind == "overlap")
DISTANCE_METRICS: tuple[str, ...] = tuple(m.name for m in _METRICS if m.is_distance)
LESION_METRICS: tuple[str, ...] = tuple(m.name for m in _METRICS if m.kind == "lesion")
TOPOLOGY_METRICS: tuple[str, ...] = tuple(m.name for m in _METRICS if m.kind == "topology")
METRICS: tuple[str, ...] = OVERLAP_METRICS + DISTANCE_METRICS + LESION_METRICS + TOPOLOGY_METRICS
DEFAULT_METRICS: tuple[str, ...] = ("dice", "jaccard", "hd95", "assd", "nsd")
#: The formula of each metric (without the options that complete it: see :func:`definitions`).
DEFINITIONS: dict[str, str] = {m.name: m.definition for m in _METRICS}
#: Whether a larger value of each metric is better (distances but NSD: smaller is better).
HIGHER_IS_BETTER: dict[str, bool] = {m.name: m.higher_is_better for m in _METRICS}
#: Surfaces of the distance metrics (``surface`` of :func:`segmetrics.surface_distances`).
SURFACES: tuple[str, ...] = ("voxel", "surfel")
STATUSES: tuple[str, ...] = ("ok", "both_empty", "empty_pred", "empty_gt", "missing", "error")
#: Statuses whose values enter the summary (both_empty too with ``both_empty="include"``).
SCORED_STATUSES: tuple[str, ...] = ("ok", "empty_pred", "empty_gt", "missing")


def definitions(metrics: Iterable[str], options: Options) -> dict[str, str]:
    """The definitions of ``metrics`` completed by ``options`` (NSD tolerance, Tversky weights,
    surfel surfaces), as ``summary.json`` records them."""
    out = {m: REGISTRY[m].definition for m in metrics}
    if "nsd" in out:
        out["nsd"] += f" = {options.nsd_tolerance_text}"
    if "fbeta" in out:
        out["fbeta"] += f" with beta = {options.fbeta_beta}"
    if options.surface == "surfel":
        for m in out:
            out[m] += REGISTRY[m].surfel_definition
    if "tversky" in out:
        out["tversky"] += (f" with alpha = {options.tversky_alpha}, "
                           f"beta = {options.tversky_beta}")
    return out


def worst_case(value: float, diagonal: float) -> float:
    """The value the statistics use: an infinite value becomes the case's image diagonal.

    An infinite distance (one mask empty) is replaced by the worst finite case,
    the image diagonal in physical units; the summary, the comparison and the
    report all apply this one rule.
    """
    return diagonal if math.isinf(value) else value


def worst_case_array(values: npt.NDArray[np.float64],
                     diagonals: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """:func:`worst_case` of float64 arrays of values and diagonals, element by element."""
    import numpy as np

    return np.where(np.isinf(values), diagonals, values)
