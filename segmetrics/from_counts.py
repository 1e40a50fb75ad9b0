"""Overlap metrics derived from confusion counts.

Every function takes a :class:`Counts` (scalars or arrays of equal shape) or,
for the multi-class kappa, a confusion matrix, so that counts summed over many
cases or chunks give metrics computed once. A metric whose denominator is zero
returns ``zero_division`` (default NaN); ``docs/conventions.md`` lists each rule.

Examples
--------
>>> from segmetrics.from_counts import Counts, dice, jaccard
>>> counts = Counts(tp=3, fp=1, fn=2, tn=10)
>>> float(dice(counts))
0.6666666666666666
>>> float(jaccard(counts))
0.5
"""
from __future__ import annotations

from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt

from segmetrics._types import CountValue, FloatArray, Labels
from segmetrics._validate import check_choice, check_real

__all__ = [
    "Counts", "per_label_counts", "dice", "jaccard", "tversky", "sensitivity",
    "specificity", "precision", "accuracy", "kappa", "kappa_multiclass",
    "volume_similarity", "absolute_volume_difference", "relative_volume_difference", "mcc",
    "false_positive_rate", "false_negative_rate", "npv", "false_discovery_rate",
    "balanced_accuracy", "fbeta", "informedness", "markedness", "prevalence",
    "generalized_dice",
]


class Counts(NamedTuple):
    """True/false positives/negatives: Python ints, or int64 arrays of equal shape."""

    tp: CountValue
    fp: CountValue
    fn: CountValue
    tn: CountValue


def per_label_counts(confusion: npt.ArrayLike, labels: Labels) -> Counts:
    """One-vs-rest :class:`Counts` for each label of a confusion matrix.

    Parameters
    ----------
    confusion : (K, K) array of int
        Rows are ground truth, columns prediction.
    labels : sequence of int
        Labels in ``[0, K)``; the returned arrays follow this order.

    Returns
    -------
    Counts
        int64 arrays of shape ``(len(labels),)``.
    """
    table = np.asarray(confusion, dtype=np.int64)
    index = np.asarray(labels, dtype=np.intp)
    tp = table[index, index]
    fn = table.sum(axis=1)[index] - tp
    fp = table.sum(axis=0)[index] - tp
    tn = table.sum() - tp - fn - fp
    return Counts(tp, fp, fn, tn)


def _ratio(numerator: npt.ArrayLike, denominator: npt.ArrayLike,
           zero_division: float) -> FloatArray:
    """``numerator / denominator`` in float64, ``zero_division`` where the denominator is 0."""
    zero_division = check_real(zero_division, "zero_division", allow_nan=True)
    top = np.asarray(numerator, dtype=np.float64)
    bottom = np.asarray(denominator, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = top / bottom
    return cast(FloatArray, np.where(bottom == 0, zero_division, ratio))


def _float(counts: Counts) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """The four counts as float64 arrays (0-d for scalars)."""
    tp, fp, fn, tn = (np.asarray(c, dtype=np.float64) for c in counts)
    return tp, fp, fn, tn


def dice(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Dice coefficient (F1): :math:`2TP / (2TP + FP + FN)`; 0/0 gives ``zero_division``."""
    tp, fp, fn, _ = _float(counts)
    return _ratio(2 * tp, 2 * tp + fp + fn, zero_division)


def jaccard(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Jaccard index (IoU): :math:`TP / (TP + FP + FN)`; 0/0 gives ``zero_division``."""
    tp, fp, fn, _ = _float(counts)
    return _ratio(tp, tp + fp + fn, zero_division)


def tversky(counts: Counts, *, alpha: float = 0.5, beta: float = 0.5,
            zero_division: float = np.nan) -> FloatArray:
    r"""Tversky index :math:`TP / (TP + \alpha FP + \beta FN)`.

    ``alpha`` weighs false positives and ``beta`` false negatives; (0.5, 0.5)
    is Dice and (1, 1) is Jaccard. A zero denominator gives ``zero_division``.
    """
    alpha = check_real(alpha, "alpha", minimum=0.0)
    beta = check_real(beta, "beta", minimum=0.0)
    tp, fp, fn, _ = _float(counts)
    return _ratio(tp, tp + alpha * fp + beta * fn, zero_division)


def sensitivity(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Sensitivity (recall, true positive rate): :math:`TP / (TP + FN)`."""
    tp, _, fn, _ = _float(counts)
    return _ratio(tp, tp + fn, zero_division)


def specificity(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Specificity (true negative rate): :math:`TN / (TN + FP)`."""
    _, fp, _, tn = _float(counts)
    return _ratio(tn, tn + fp, zero_division)


def precision(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Precision (positive predictive value): :math:`TP / (TP + FP)`."""
    tp, fp, _, _ = _float(counts)
    return _ratio(tp, tp + fp, zero_division)


def accuracy(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Accuracy: :math:`(TP + TN) / N`; no counted voxel gives ``zero_division``."""
    tp, fp, fn, tn = _float(counts)
    return _ratio(tp + tn, tp + fp + fn + tn, zero_division)


def kappa(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Cohen's kappa of a binary (one-vs-rest) table.

    .. math:: \kappa = \frac{2 (TP \cdot TN - FN \cdot FP)}
                            {(TP + FP)(FP + TN) + (TP + FN)(FN + TN)}

    The denominator is zero only when both masks are constant and equal
    (all foreground or all background): that gives ``zero_division``.
    """
    tp, fp, fn, tn = _float(counts)
    return _ratio(2 * (tp * tn - fn * fp), (tp + fp) * (fp + tn) + (tp + fn) * (fn + tn),
                  zero_division)


def kappa_multiclass(confusion: npt.ArrayLike, *, zero_division: float = np.nan) -> FloatArray:
    r"""Cohen's kappa over a whole K x K confusion matrix.

    .. math:: \kappa = \frac{N T - E}{N^2 - E},\quad T = \sum_c C_{cc},\quad
              E = \sum_c C_{c\cdot} C_{\cdot c}

    Equal to ``sklearn.metrics.cohen_kappa_score`` on the same labels. A zero
    denominator (both label maps one and the same constant label) gives
    ``zero_division``.
    """
    table = np.asarray(confusion, dtype=np.float64)
    n = table.sum()
    agreement = np.trace(table)
    expected = table.sum(axis=1) @ table.sum(axis=0)
    return _ratio(n * agreement - expected, n * n - expected, zero_division)



# --- the counts family ---------------------------------------------------------------------


def _undefined_to(value: npt.ArrayLike, undefined: npt.ArrayLike,
                  zero_division: float) -> FloatArray:
    """``value`` with ``zero_division`` where the boolean array ``undefined`` is set."""
    zero_division = check_real(zero_division, "zero_division", allow_nan=True)
    return cast(FloatArray, np.where(undefined, zero_division, value))


def volume_similarity(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Volume similarity :math:`1 - |FN - FP| / (2TP + FP + FN)`.

    One minus the volume difference relative to the summed volumes
    (``|P| = TP + FP``, ``|G| = TP + FN``); it ignores where the voxels are.
    Both masks empty gives ``zero_division``.
    """
    tp, fp, fn, _ = _float(counts)
    denominator = 2 * tp + fp + fn
    return _undefined_to(1.0 - _ratio(np.abs(fn - fp), denominator, 0.0), denominator == 0,
                         zero_division)


def absolute_volume_difference(counts: Counts, *, voxel_volume: float = 1.0) -> FloatArray:
    r"""Absolute volume difference :math:`\big||P| - |G|\big| = |FP - FN|`, times ``voxel_volume``.

    In voxels by default; pass the physical volume of one voxel (the product of
    the spacing) for mm³. Never undefined: two empty masks give 0.
    """
    voxel_volume = check_real(voxel_volume, "voxel_volume", minimum=0.0)
    _, fp, fn, _ = _float(counts)
    return np.abs(fp - fn) * voxel_volume


def relative_volume_difference(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Signed relative volume difference :math:`(|P| - |G|) / |G| = (FP - FN) / (TP + FN)`.

    Positive for over-segmentation, -1 for an empty prediction. An empty ground
    truth gives ``zero_division`` when the prediction is empty too, and ``+inf``
    when it is not (a prediction of something that is not there).
    """
    tp, fp, fn, _ = _float(counts)
    value = _ratio(fp - fn, tp + fn, zero_division)
    return cast(FloatArray, np.where((tp + fn == 0) & (fp > 0), np.inf, value))


def mcc(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Matthews correlation coefficient.

    .. math:: MCC = \frac{TP \cdot TN - FP \cdot FN}
                         {\sqrt{(TP+FP)(TP+FN)(TN+FP)(TN+FN)}}

    Whenever a factor of the denominator is zero, so is the numerator (a mask
    that is empty or fills the image): that 0/0 gives ``zero_division``
    (scikit-learn's ``matthews_corrcoef`` returns 0 there). The square root is
    taken of each factor, so products of large counts cannot overflow.
    """
    tp, fp, fn, tn = _float(counts)
    denominator = np.sqrt(tp + fp) * np.sqrt(tp + fn) * np.sqrt(tn + fp) * np.sqrt(tn + fn)
    undefined = denominator == 0
    value = (tp * tn - fp * fn) / np.where(undefined, 1.0, denominator)
    return _undefined_to(np.clip(value, -1.0, 1.0), undefined, zero_division)


def false_positive_rate(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""False positive rate (fall-out) :math:`FP / (FP + TN)`, one minus specificity."""
    _, fp, _, tn = _float(counts)
    return _ratio(fp, fp + tn, zero_division)


def false_negative_rate(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""False negative rate (miss rate) :math:`FN / (TP + FN)`, one minus sensitivity."""
    tp, _, fn, _ = _float(counts)
    return _ratio(fn, tp + fn, zero_division)


def npv(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Negative predictive value :math:`TN / (TN + FN)`; 0/0 if the prediction fills the image."""
    _, _, fn, tn = _float(counts)
    return _ratio(tn, tn + fn, zero_division)


def false_discovery_rate(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""False discovery rate :math:`FP / (TP + FP)`, one minus precision; 0/0 for no prediction."""
    tp, fp, _, _ = _float(counts)
    return _ratio(fp, tp + fp, zero_division)


def balanced_accuracy(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Balanced accuracy: the mean recall of the classes present in the ground truth.

    :math:`(TPR + TNR) / 2` when the ground truth holds both foreground and
    background; the one defined rate when it holds only one of them (TNR for
    an empty ground truth, TPR for a full one), as scikit-learn's
    ``balanced_accuracy_score`` does; ``zero_division`` when no voxel is counted.
    """
    tp, fp, fn, tn = _float(counts)
    tpr = _ratio(tp, tp + fn, np.nan)
    tnr = _ratio(tn, tn + fp, np.nan)
    mean = np.where(np.isnan(tpr), tnr, np.where(np.isnan(tnr), tpr, (tpr + tnr) / 2))
    return _undefined_to(mean, tp + fp + fn + tn == 0, zero_division)


def fbeta(counts: Counts, *, beta: float = 1.0, zero_division: float = np.nan) -> FloatArray:
    r"""F-beta score :math:`(1+\beta^2) TP / ((1+\beta^2) TP + \beta^2 FN + FP)`.

    ``beta > 1`` weighs recall more, ``beta < 1`` precision; ``beta = 1`` is
    Dice. Both masks empty gives ``zero_division``.
    """
    beta = check_real(beta, "beta")
    if beta <= 0:
        raise ValueError(f"beta must be > 0; got {beta}")
    tp, fp, fn, _ = _float(counts)
    b2 = beta * beta
    return _ratio((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, zero_division)


def informedness(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Informedness (Youden's J) :math:`TPR + TNR - 1`, in [-1, 1].

    ``zero_division`` when either rate is 0/0: the ground truth is empty or
    fills the image (unlike :func:`balanced_accuracy`, no fallback to one rate).
    """
    tp, fp, fn, tn = _float(counts)
    value = _ratio(tp, tp + fn, 0.0) + _ratio(tn, tn + fp, 0.0) - 1.0
    return _undefined_to(value, (tp + fn == 0) | (tn + fp == 0), zero_division)


def markedness(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Markedness :math:`PPV + NPV - 1`, in [-1, 1].

    ``zero_division`` when either predictive value is 0/0: the prediction is
    empty or fills the image.
    """
    tp, fp, fn, tn = _float(counts)
    value = _ratio(tp, tp + fp, 0.0) + _ratio(tn, tn + fn, 0.0) - 1.0
    return _undefined_to(value, (tp + fp == 0) | (tn + fn == 0), zero_division)


def prevalence(counts: Counts, *, zero_division: float = np.nan) -> FloatArray:
    r"""Prevalence :math:`(TP + FN) / N`, the foreground share of the ground truth."""
    tp, fp, fn, tn = _float(counts)
    return _ratio(tp + fn, tp + fp + fn + tn, zero_division)


GDS_WEIGHTS = ("square", "simple", "uniform")


def generalized_dice(counts: Counts, *, weight: str = "square",
                     zero_division: float = np.nan) -> FloatArray:
    r"""Generalised Dice score over labels (Sudre et al. 2017), one number for all labels.

    .. math:: GDS = \frac{2 \sum_l w_l TP_l}{\sum_l w_l (2 TP_l + FP_l + FN_l)},
              \quad w_l = 1 / |G_l|^2

    with :math:`|G_l| = TP_l + FN_l` the ground-truth volume of label ``l``
    (``weight="square"``; ``"simple"`` is :math:`1/|G_l|`, ``"uniform"`` 1).
    A label absent from the ground truth would weigh infinitely: it gets the
    largest weight of the present labels instead, or 1 when no label is present
    (MONAI's rule). A zero denominator (every label empty in both masks) gives
    ``zero_division``.

    Parameters
    ----------
    counts : Counts
        One-vs-rest counts, arrays with one entry per label (scalars: one label).
    weight : {"square", "simple", "uniform"}
    zero_division : float, default NaN

    Returns
    -------
    ndarray of float64, 0-d
    """
    check_choice(weight, "weight", GDS_WEIGHTS)
    tp, fp, fn, _ = (np.atleast_1d(c) for c in _float(counts))
    volume = tp + fn
    with np.errstate(divide="ignore"):
        w = {"square": 1.0 / (volume * volume), "simple": 1.0 / volume,
             "uniform": np.ones_like(volume)}[weight]
    absent = volume == 0
    if absent.any():
        w = np.where(absent, w[~absent].max() if (~absent).any() else 1.0, w)
    return _ratio(2 * np.sum(w * tp), np.sum(w * (2 * tp + fp + fn)), zero_division)
