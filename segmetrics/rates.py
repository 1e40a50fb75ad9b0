"""The counts family as functions of two masks: volume, correlation and rate metrics.

Each function counts once through :func:`segmetrics.overlap._metric` (binary
masks, ``labels=[...]`` one-vs-rest from one confusion-matrix pass, probability
maps with ``threshold``, ``regions={name: [labels]}`` from the same pass, Dask
arrays, every backend) and derives its value with
the formula of the same name in :mod:`segmetrics.from_counts`; the 0/0 rules
are on the conventions page.
"""
from __future__ import annotations

from typing import cast, overload

import numpy as np

from segmetrics import from_counts as _formulas
from segmetrics._types import ArrayInput, CountsMetric, FloatArray, Labels, Regions
from segmetrics.from_counts import Counts
from segmetrics.overlap import _documented, _metric

__all__ = [
    "volume_similarity", "absolute_volume_difference", "relative_volume_difference", "mcc",
    "false_positive_rate", "false_negative_rate", "npv", "false_discovery_rate",
    "balanced_accuracy", "fbeta", "informedness", "markedness", "prevalence",
    "generalized_dice",
]

_PAIR = ("    >>> import numpy as np\n"
         "    >>> pred, gt = np.array([1, 1, 1, 0, 0, 0]), np.array([1, 1, 0, 1, 0, 0])\n")


def _rate(name: str, summary: str, value: str) -> CountsMetric:
    """A public metric ``name`` over ``from_counts.<name>``, with its docstring example.

    Its type is :class:`segmetrics._types.CountsMetric`: a float for binary masks, a
    float64 array with ``labels`` or ``regions``.
    """
    formula = getattr(_formulas, name)

    @_documented(summary, _PAIR + f"    >>> {name}(pred, gt)\n    {value}\n")
    def metric(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
               regions: Regions | None = None, threshold: float | None = None,
               ignore_index: int | None = None, zero_division: float = np.nan,
               backend: str = "auto") -> float | FloatArray:
        return _metric(formula, pred, gt, labels, threshold, ignore_index, zero_division, backend,
                       regions)

    metric.__name__ = metric.__qualname__ = name
    metric.__module__ = __name__
    # the implementation's overloads are those of the protocol (checked by the type checks)
    return cast(CountsMetric, metric)


volume_similarity = _rate(
    "volume_similarity",
    "Volume similarity :math:`1 - |FN - FP| / (2TP + FP + FN)`; both masks empty is 0/0.",
    "1.0")
relative_volume_difference = _rate(
    "relative_volume_difference",
    "Signed relative volume difference :math:`(FP - FN) / (TP + FN) = (|P| - |G|) / |G|`.\n\n"
    "    An empty ground truth gives ``zero_division`` with an empty prediction and\n"
    "    ``+inf`` with a non-empty one.",
    "0.0")
mcc = _rate(
    "mcc",
    "Matthews correlation coefficient\n"
    "    :math:`(TP \\cdot TN - FP \\cdot FN) / \\sqrt{(TP+FP)(TP+FN)(TN+FP)(TN+FN)}`.\n\n"
    "    A mask that is empty or fills the image makes it 0/0 (scikit-learn gives 0).",
    "0.3333333333333334")
false_positive_rate = _rate(
    "false_positive_rate", "False positive rate :math:`FP / (FP + TN)`.", "0.3333333333333333")
false_negative_rate = _rate(
    "false_negative_rate", "False negative rate :math:`FN / (TP + FN)`.", "0.3333333333333333")
npv = _rate("npv", "Negative predictive value :math:`TN / (TN + FN)`.", "0.6666666666666666")
false_discovery_rate = _rate(
    "false_discovery_rate", "False discovery rate :math:`FP / (TP + FP)`.", "0.3333333333333333")
balanced_accuracy = _rate(
    "balanced_accuracy",
    "Balanced accuracy :math:`(TPR + TNR) / 2`; with a ground truth of one class only,\n"
    "    that class's recall (scikit-learn's rule).",
    "0.6666666666666666")
informedness = _rate(
    "informedness",
    "Informedness (Youden's J) :math:`TPR + TNR - 1`; 0/0 when either rate is.",
    "0.33333333333333326")
markedness = _rate(
    "markedness", "Markedness :math:`PPV + NPV - 1`; 0/0 when either value is.",
    "0.33333333333333326")
prevalence = _rate("prevalence", "Prevalence :math:`(TP + FN) / N`.", "0.5")


@overload
def fbeta(pred: ArrayInput, gt: ArrayInput, *, beta: float = 1.0, labels: None = None,
          regions: None = None, threshold: float | None = None, ignore_index: int | None = None,
          zero_division: float = np.nan, backend: str = "auto") -> float: ...


@overload
def fbeta(pred: ArrayInput, gt: ArrayInput, *, beta: float = 1.0, labels: Labels,
          regions: None = None, threshold: float | None = None, ignore_index: int | None = None,
          zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def fbeta(pred: ArrayInput, gt: ArrayInput, *, beta: float = 1.0, labels: None = None,
          regions: Regions, threshold: float | None = None, ignore_index: int | None = None,
          zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def fbeta(pred: ArrayInput, gt: ArrayInput, *, beta: float = 1.0, labels: Labels | None = None,
          regions: Regions | None = None, threshold: float | None = None,
          ignore_index: int | None = None, zero_division: float = np.nan,
          backend: str = "auto") -> float | FloatArray: ...


@_documented(
    "F-beta score :math:`(1+\\beta^2) TP / ((1+\\beta^2) TP + \\beta^2 FN + FP)`.\n\n"
    "    ``beta`` > 0; ``beta=1`` is Dice, larger values weigh recall more.",
    _PAIR + "    >>> fbeta(pred, gt, beta=2.0)\n    0.6666666666666666\n")
def fbeta(pred: ArrayInput, gt: ArrayInput, *, beta: float = 1.0, labels: Labels | None = None,
          regions: Regions | None = None, threshold: float | None = None,
          ignore_index: int | None = None, zero_division: float = np.nan,
          backend: str = "auto") -> float | FloatArray:
    return _metric(_formulas.fbeta, pred, gt, labels, threshold, ignore_index, zero_division,
                   backend, regions, beta=beta)


@overload
def absolute_volume_difference(pred: ArrayInput, gt: ArrayInput, *, voxel_volume: float = 1.0,
                               labels: None = None, regions: None = None,
                               threshold: float | None = None, ignore_index: int | None = None,
                               backend: str = "auto") -> float: ...


@overload
def absolute_volume_difference(pred: ArrayInput, gt: ArrayInput, *, voxel_volume: float = 1.0,
                               labels: Labels, regions: None = None,
                               threshold: float | None = None, ignore_index: int | None = None,
                               backend: str = "auto") -> FloatArray: ...


@overload
def absolute_volume_difference(pred: ArrayInput, gt: ArrayInput, *, voxel_volume: float = 1.0,
                               labels: None = None, regions: Regions,
                               threshold: float | None = None, ignore_index: int | None = None,
                               backend: str = "auto") -> FloatArray: ...


@overload
def absolute_volume_difference(pred: ArrayInput, gt: ArrayInput, *, voxel_volume: float = 1.0,
                               labels: Labels | None = None, regions: Regions | None = None,
                               threshold: float | None = None, ignore_index: int | None = None,
                               backend: str = "auto") -> float | FloatArray: ...


def absolute_volume_difference(pred: ArrayInput, gt: ArrayInput, *, voxel_volume: float = 1.0,
                               labels: Labels | None = None, regions: Regions | None = None,
                               threshold: float | None = None, ignore_index: int | None = None,
                               backend: str = "auto") -> float | FloatArray:
    r"""Absolute volume difference :math:`\big||P| - |G|\big| = |FP - FN|` times ``voxel_volume``.

    Never undefined (two empty masks give 0). ``voxel_volume`` is the physical
    volume of one voxel (the product of the spacing); 1 counts voxels. Other
    parameters as for :func:`segmetrics.dice`.

    Examples
    --------
    >>> import numpy as np
    >>> absolute_volume_difference(np.array([1, 1, 1, 0]), np.array([1, 0, 0, 0]),
    ...                            voxel_volume=0.5)
    1.0
    """
    return _metric(_absolute_volume_difference_formula, pred, gt, labels, threshold,
                   ignore_index, np.nan, backend, regions, voxel_volume=voxel_volume)


def _absolute_volume_difference_formula(counts: Counts, *, zero_division: float,
                                        voxel_volume: float) -> FloatArray:
    del zero_division  # never 0/0
    return _formulas.absolute_volume_difference(counts, voxel_volume=voxel_volume)


def _generalized_dice_formula(counts: Counts, *, zero_division: float,
                              weight: str) -> FloatArray:
    return _formulas.generalized_dice(counts, weight=weight, zero_division=zero_division)


def generalized_dice(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
                     regions: Regions | None = None, weight: str = "square",
                     threshold: float | None = None, ignore_index: int | None = None,
                     zero_division: float = np.nan, backend: str = "auto") -> float:
    r"""Generalised Dice score (Sudre et al. 2017): one weighted Dice over all ``labels``.

    .. math:: GDS = \frac{2 \sum_l w_l TP_l}{\sum_l w_l (2 TP_l + FP_l + FN_l)},
              \quad w_l = 1 / |G_l|^2

    All labels' counts come from one confusion-matrix pass. A label absent from
    the ground truth gets the largest weight of the present labels (1 if none is
    present), as in MONAI; every label empty in both maps gives ``zero_division``.

    Parameters
    ----------
    pred, gt : array_like
        Label maps (binary masks with ``labels=None``: one label, equal to Dice
        when the ground truth is not empty).
    labels : sequence of int, optional
        The labels summed over; usually the foreground labels.
    regions : mapping of str to sequence of int, optional
        Sum over these regions (unions of labels) instead of labels.
    weight : {"square", "simple", "uniform"}
        :math:`1/|G_l|^2` (Sudre et al.), :math:`1/|G_l|` or 1.
    threshold, ignore_index, zero_division, backend
        As for :func:`segmetrics.dice`.

    Returns
    -------
    float

    References
    ----------
    Sudre et al., "Generalised Dice overlap as a deep learning loss function for
    highly unbalanced segmentations", DLMIA 2017.

    Examples
    --------
    >>> import numpy as np
    >>> generalized_dice(np.array([0, 1, 1, 2, 2, 2]), np.array([0, 1, 2, 2, 2, 2]),
    ...                  labels=[1, 2])
    0.6909090909090909
    """
    value = _metric(_generalized_dice_formula, pred, gt, labels, threshold, ignore_index,
                    zero_division, backend, regions, weight=weight)
    return float(value)
