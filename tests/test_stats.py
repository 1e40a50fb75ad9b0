"""Bootstrap intervals and paired comparisons: seeded, checked against SciPy."""
import numpy as np
import pytest

from segmetrics.stats import bootstrap_mean_ci, paired_comparison

scipy_stats = pytest.importorskip("scipy.stats")


def test_bootstrap_interval_is_seeded_and_close_to_scipy(rng):
    values = rng.normal(0.8, 0.1, 60)
    first = bootstrap_mean_ci(values, seed=3)
    assert first == bootstrap_mean_ci(values, seed=3)
    assert first != bootstrap_mean_ci(values, seed=4)
    theirs = scipy_stats.bootstrap((values,), np.mean, method="percentile", n_resamples=10_000,
                                   random_state=0).confidence_interval
    assert first[0] == pytest.approx(theirs.low, abs=0.005)
    assert first[1] == pytest.approx(theirs.high, abs=0.005)
    assert first[0] < values.mean() < first[1]


def test_bootstrap_edge_cases():
    assert np.isnan(bootstrap_mean_ci([0.5])).all()
    assert bootstrap_mean_ci([0.5, 0.5, 0.5]) == (0.5, 0.5)
    with pytest.raises(ValueError, match="finite"):
        bootstrap_mean_ci([0.5, np.inf])
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_mean_ci([0.5, 0.6], confidence=1.5)


def test_paired_comparison_counts_wins_and_matches_scipy_wilcoxon(rng):
    a = rng.normal(0.8, 0.05, 40)
    b = a - rng.normal(0.02, 0.02, 40)
    result = paired_comparison(a, b)
    assert result.n_cases == 40
    assert result.mean_difference == pytest.approx(np.mean(a - b))
    assert result.ci_low < result.mean_difference < result.ci_high
    assert result.wilcoxon_p == pytest.approx(scipy_stats.wilcoxon(a, b).pvalue)
    assert result.a_wins + result.b_wins + result.ties == 40
    assert result.a_wins == int(np.sum(a > b))
    flipped = paired_comparison(a, b, higher_is_better=False)
    assert (flipped.a_wins, flipped.b_wins) == (result.b_wins, result.a_wins)


def test_paired_comparison_of_identical_models():
    result = paired_comparison([0.5, 0.7], [0.5, 0.7])
    assert (result.mean_difference, result.wilcoxon_p, result.ties) == (0.0, 1.0, 2)
    with pytest.raises(ValueError, match="same cases"):
        paired_comparison([0.5], [0.5, 0.6])
