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
from typing import NamedTuple

import numpy as np

from segmetrics._validate import check_real

__all__ = [
    "Counts", "per_label_counts", "dice", "jaccard", "tversky", "sensitivity",
    "specificity", "precision", "accuracy", "kappa", "kappa_multiclass",
]


class Counts(NamedTuple):
    """True/false positives/negatives: Python ints, or int64 arrays of equal shape."""

    tp: object
    fp: object
    fn: object
    tn: object


def per_label_counts(confusion, labels):
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
    confusion = np.asarray(confusion, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.intp)
    tp = confusion[labels, labels]
    fn = confusion.sum(axis=1)[labels] - tp
    fp = confusion.sum(axis=0)[labels] - tp
    tn = confusion.sum() - tp - fn - fp
    return Counts(tp, fp, fn, tn)


def _ratio(numerator, denominator, zero_division):
    """``numerator / denominator`` in float64, ``zero_division`` where the denominator is 0."""
    zero_division = check_real(zero_division, "zero_division", allow_nan=True)
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    return np.where(denominator == 0, zero_division, ratio)


def _float(counts):
    return Counts(*(np.asarray(c, dtype=np.float64) for c in counts))


def dice(counts, *, zero_division=np.nan):
    r"""Dice coefficient (F1): :math:`2TP / (2TP + FP + FN)`; 0/0 gives ``zero_division``."""
    tp, fp, fn, _ = _float(counts)
    return _ratio(2 * tp, 2 * tp + fp + fn, zero_division)


def jaccard(counts, *, zero_division=np.nan):
    r"""Jaccard index (IoU): :math:`TP / (TP + FP + FN)`; 0/0 gives ``zero_division``."""
    tp, fp, fn, _ = _float(counts)
    return _ratio(tp, tp + fp + fn, zero_division)


def tversky(counts, *, alpha=0.5, beta=0.5, zero_division=np.nan):
    r"""Tversky index :math:`TP / (TP + \alpha FP + \beta FN)`.

    ``alpha`` weighs false positives and ``beta`` false negatives; (0.5, 0.5)
    is Dice and (1, 1) is Jaccard. A zero denominator gives ``zero_division``.
    """
    alpha = check_real(alpha, "alpha", minimum=0.0)
    beta = check_real(beta, "beta", minimum=0.0)
    tp, fp, fn, _ = _float(counts)
    return _ratio(tp, tp + alpha * fp + beta * fn, zero_division)


def sensitivity(counts, *, zero_division=np.nan):
    r"""Sensitivity (recall, true positive rate): :math:`TP / (TP + FN)`."""
    tp, _, fn, _ = _float(counts)
    return _ratio(tp, tp + fn, zero_division)


def specificity(counts, *, zero_division=np.nan):
    r"""Specificity (true negative rate): :math:`TN / (TN + FP)`."""
    _, fp, _, tn = _float(counts)
    return _ratio(tn, tn + fp, zero_division)


def precision(counts, *, zero_division=np.nan):
    r"""Precision (positive predictive value): :math:`TP / (TP + FP)`."""
    tp, fp, _, _ = _float(counts)
    return _ratio(tp, tp + fp, zero_division)


def accuracy(counts, *, zero_division=np.nan):
    r"""Accuracy: :math:`(TP + TN) / N`; no counted voxel gives ``zero_division``."""
    tp, fp, fn, tn = _float(counts)
    return _ratio(tp + tn, tp + fp + fn + tn, zero_division)


def kappa(counts, *, zero_division=np.nan):
    r"""Cohen's kappa of a binary (one-vs-rest) table.

    .. math:: \kappa = \frac{2 (TP \cdot TN - FN \cdot FP)}
                            {(TP + FP)(FP + TN) + (TP + FN)(FN + TN)}

    The denominator is zero only when both masks are constant and equal
    (all foreground or all background): that gives ``zero_division``.
    """
    tp, fp, fn, tn = _float(counts)
    return _ratio(2 * (tp * tn - fn * fp), (tp + fp) * (fp + tn) + (tp + fn) * (fn + tn),
                  zero_division)


def kappa_multiclass(confusion, *, zero_division=np.nan):
    r"""Cohen's kappa over a whole K x K confusion matrix.

    .. math:: \kappa = \frac{N T - E}{N^2 - E},\quad T = \sum_c C_{cc},\quad
              E = \sum_c C_{c\cdot} C_{\cdot c}

    Equal to ``sklearn.metrics.cohen_kappa_score`` on the same labels. A zero
    denominator (both label maps one and the same constant label) gives
    ``zero_division``.
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    n = confusion.sum()
    agreement = np.trace(confusion)
    expected = confusion.sum(axis=1) @ confusion.sum(axis=0)
    return _ratio(n * agreement - expected, n * n - expected, zero_division)
