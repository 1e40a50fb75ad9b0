"""Statistics over per-case scores: bootstrap confidence intervals and paired model comparison.

Method (also on the conventions page): the percentile bootstrap. Cases are resampled
with replacement ``n_resamples`` times from a generator seeded with ``seed``
(``numpy.random.default_rng``), the statistic is the mean of each resample, and the
interval is the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` percentiles of
those means (NumPy's linear interpolation). Same seed, same inputs: same interval.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from segmetrics._validate import check_confidence, check_int

__all__ = ["bootstrap_mean_ci", "PairedComparison", "paired_comparison"]


def _finite_scores(values: npt.ArrayLike, name: str) -> npt.NDArray[np.float64]:
    scores = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{name} must be finite; replace or drop NaN and inf scores first")
    return scores


def bootstrap_mean_ci(values: npt.ArrayLike, *, confidence: float = 0.95,
                      n_resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile-bootstrap confidence interval of the mean.

    Parameters
    ----------
    values : array_like of float
        One finite score per case.
    confidence : float, default 0.95
        Coverage of the interval, in (0, 1).
    n_resamples : int, default 10000
    seed : int, default 0

    Returns
    -------
    tuple of float
        ``(low, high)``; ``(nan, nan)`` for fewer than two cases.

    Examples
    --------
    >>> low, high = bootstrap_mean_ci([0.8, 0.9, 0.85, 0.7, 0.95])
    >>> bool(low < 0.84 < high)
    True
    """
    scores = _finite_scores(values, "values")
    confidence = check_confidence(confidence)
    n_resamples = check_int(n_resamples, "n_resamples", minimum=1)
    if scores.size < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    means = np.empty(n_resamples)
    batch = max(1, 2_000_000 // scores.size)
    for start in range(0, n_resamples, batch):
        stop = min(start + batch, n_resamples)
        means[start:stop] = scores[rng.integers(0, scores.size, (stop - start, scores.size))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


class PairedComparison(NamedTuple):
    """Model A against model B on the same cases (differences are A - B)."""

    n_cases: int
    mean_difference: float
    ci_low: float
    ci_high: float
    wilcoxon_p: float
    a_wins: int
    b_wins: int
    ties: int


def paired_comparison(a: npt.ArrayLike, b: npt.ArrayLike, *, higher_is_better: bool = True,
                      confidence: float = 0.95, n_resamples: int = 10_000,
                      seed: int = 0) -> PairedComparison:
    """Paired per-case comparison of two models' finite scores.

    The mean difference ``mean(a - b)`` with its percentile-bootstrap interval
    (see :func:`bootstrap_mean_ci`), the two-sided Wilcoxon signed-rank p-value
    (:func:`scipy.stats.wilcoxon`; 1.0 when every difference is zero, NaN for no cases),
    and the number of cases each model wins (``higher_is_better`` says which way).

    Examples
    --------
    >>> result = paired_comparison([0.9, 0.8, 0.7], [0.8, 0.8, 0.6])
    >>> result.a_wins, result.b_wins, result.ties
    (2, 0, 1)
    """
    scores_a = _finite_scores(a, "a")
    scores_b = _finite_scores(b, "b")
    if scores_a.shape != scores_b.shape:
        raise ValueError(f"a and b must score the same cases; got {scores_a.size} and "
                         f"{scores_b.size} scores")
    difference = scores_a - scores_b
    better = difference if higher_is_better else -difference
    a_wins, b_wins = int(np.count_nonzero(better > 0)), int(np.count_nonzero(better < 0))
    if difference.size == 0:
        return PairedComparison(0, float("nan"), float("nan"), float("nan"), float("nan"), 0, 0, 0)
    low, high = bootstrap_mean_ci(difference, confidence=confidence, n_resamples=n_resamples,
                                  seed=seed)
    if np.all(difference == 0):
        p_value = 1.0
    else:
        from scipy.stats import wilcoxon

        p_value = float(wilcoxon(scores_a, scores_b).pvalue)
    return PairedComparison(int(difference.size), float(difference.mean()), low, high, p_value,
                            a_wins, b_wins, int(difference.size) - a_wins - b_wins)
