"""Intervals against statsmodels/scipy and hand-worked examples."""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.rates import confint_poisson

from forcestat.stats.intervals import (
    kish_effective_n,
    median_from_histogram,
    median_interval_from_histogram,
    median_rank_interval,
    medians_of_histograms,
    newcombe_diff_interval,
    poisson_exact_interval,
    wilson_interval,
)


def test_wilson_design_worked_example():
    # DESIGN section 6: 750/971 -> 77.2%, 74.5-79.8%.
    lo, hi = wilson_interval(750, 971)
    assert round(750 / 971 * 100, 1) == 77.2
    assert (round(lo * 100, 1), round(hi * 100, 1)) == (74.5, 79.8)


@pytest.mark.parametrize(
    ("x", "n", "level"),
    [(750, 971, 0.95), (0, 20, 0.95), (20, 20, 0.95), (1, 3, 0.9), (134, 879, 0.99), (5, 50, 0.8)],
)
def test_wilson_matches_statsmodels(x, n, level):
    expected = proportion_confint(x, n, alpha=1 - level, method="wilson")
    assert wilson_interval(x, n, level) == pytest.approx(expected, abs=1e-12)


def test_wilson_hand_worked():
    # x=2, n=10, z=1.959964: centre=(0.2+0.192073)/1.384146=0.283262,
    # half=1.959964/1.384146*sqrt(0.016+0.0096037)=0.226624 -> (0.0567, 0.5098)
    lo, hi = wilson_interval(2, 10)
    assert lo == pytest.approx(0.05668, abs=1e-5)
    assert hi == pytest.approx(0.50984, abs=1e-5)


def test_wilson_edge_cases():
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    with pytest.raises(ValueError):
        wilson_interval(1, 4, level=1.0)


@pytest.mark.parametrize("k", [0, 1, 2, 5, 10, 130, 2500])
def test_poisson_exact_matches_statsmodels(k):
    expected = confint_poisson(k, 1, method="exact-c", alpha=0.05)
    assert poisson_exact_interval(k) == pytest.approx(tuple(map(float, expected)), rel=1e-10)


def test_poisson_exact_published_values():
    # Garwood's table (also Ulm 1990): k = 10 -> 4.7954 to 18.3904; k = 0 -> 0 to 3.6889.
    lo, hi = poisson_exact_interval(10)
    assert (round(lo, 4), round(hi, 4)) == (4.7954, 18.3904)
    assert poisson_exact_interval(0) == pytest.approx((0.0, 3.6889), abs=1e-4)


def test_poisson_exact_tail_probabilities():
    # Defining property: P(X >= k | lower) = P(X <= k | upper) = alpha / 2.
    k = 17
    lo, hi = poisson_exact_interval(k, 0.9)
    assert stats.poisson.sf(k - 1, lo) == pytest.approx(0.05, rel=1e-9)
    assert stats.poisson.cdf(k, hi) == pytest.approx(0.05, rel=1e-9)


def test_kish_effective_n():
    assert kish_effective_n([1, 1, 1, 1]) == pytest.approx(4.0)
    # (1+1+2+4)^2 / (1+1+4+16) = 64 / 22
    assert kish_effective_n([1, 1, 2, 4]) == pytest.approx(64 / 22)
    assert kish_effective_n([3.0]) == pytest.approx(1.0)
    assert kish_effective_n([]) == 0.0
    with pytest.raises(ValueError):
        kish_effective_n([1, -1])


def test_median_hand_worked():
    # multiset 1, 2, 3, 3 -> (2 + 3) / 2; 1, 2, 3, 3, 3 -> 3
    assert median_from_histogram([1, 2, 3], [1, 1, 2]) == 2.5
    assert median_from_histogram([1, 2, 3], [1, 1, 3]) == 3.0
    assert median_from_histogram([5, 7, 9], [0, 4, 0]) == 7.0
    assert math.isnan(median_from_histogram([1, 2], [0, 0]))


def test_median_matches_numpy_on_expanded_samples():
    rng = np.random.default_rng(20200526)
    for _ in range(200):
        k = int(rng.integers(1, 30))
        values = np.sort(rng.choice(np.arange(0, 500), size=k, replace=False)).astype(float)
        counts = rng.integers(0, 12, size=k)
        if counts.sum() == 0:
            counts[0] = 1
        expanded = np.repeat(values, counts)
        assert median_from_histogram(values, counts) == np.median(expanded)


def test_median_input_validation():
    with pytest.raises(ValueError):
        median_from_histogram([3, 1], [1, 1])
    with pytest.raises(ValueError):
        median_from_histogram([1, 2], [1, -1])


def test_median_rank_interval_conover_table():
    # Conover (1999) Table A3 / binomial(n, 1/2) by hand:
    # n=10: P(B<=1) = 11/1024 = 0.0107 <= 0.025 < P(B<=2) = 0.0547 -> ranks 2 and 9.
    assert median_rank_interval(10) == (2, 9)
    # n=20: P(B<=5) = 0.0207, P(B<=6) = 0.0577 -> ranks 6 and 15.
    assert median_rank_interval(20) == (6, 15)
    # n=6: P(B<=0) = 1/64 = 0.0156 -> ranks 1 and 6; n=5: 1/32 > 0.025 -> impossible.
    assert median_rank_interval(6) == (1, 6)
    assert median_rank_interval(5) is None


def test_median_interval_matches_scipy_quantile_test_on_expanded_samples():
    # scipy.stats.quantile_test's confidence interval is the same order-statistic interval.
    rng = np.random.default_rng(7)
    for n in (6, 9, 10, 25, 50, 101, 400):
        values = np.arange(0.0, 60.0)
        counts = np.bincount(rng.integers(0, 60, size=n), minlength=60)
        expanded = np.repeat(values, counts)
        ci = stats.quantile_test(expanded, q=np.median(expanded), p=0.5).confidence_interval(0.95)
        assert median_interval_from_histogram(values, counts) == (ci.low, ci.high)


def test_median_interval_hand_worked_with_ties():
    # 10 observations: 1,1,2,3,3,3,4,5,8,9 -> ranks 2 and 9 -> values 1 and 8.
    values = [1, 2, 3, 4, 5, 8, 9]
    counts = [2, 1, 3, 1, 1, 1, 1]
    assert median_interval_from_histogram(values, counts) == (1.0, 8.0)
    lo, hi = median_interval_from_histogram([1, 2], [2, 3])
    assert math.isnan(lo) and math.isnan(hi)


def test_newcombe_matches_statsmodels():
    for x1, n1, x2, n2 in [(750, 971, 780, 960), (5, 56, 0, 48), (30, 30, 29, 31)]:
        expected = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb")
        assert newcombe_diff_interval(x1, n1, x2, n2) == pytest.approx(expected, abs=1e-12)


# -- the scipy.special fast paths give scipy.stats' numbers ------------------------------------

LEVELS = (0.8, 0.9, 0.95, 0.99, 0.999)


@pytest.mark.parametrize("level", LEVELS)
def test_poisson_exact_equals_scipy_stats_chi2_on_a_grid(level):
    # Was chi2.ppf / chi2.isf; now gammaincinv / chdtri, the functions those call.
    alpha = 1.0 - level
    for k in [*range(0, 60), 130, 999, 2500, 10**5, 10**7, 10**9]:
        lower = 0.0 if k == 0 else stats.chi2.ppf(alpha / 2.0, 2 * k) / 2.0
        upper = stats.chi2.isf(alpha / 2.0, 2 * k + 2) / 2.0
        assert poisson_exact_interval(k, level) == pytest.approx((lower, upper), rel=1e-12)
    for k in (0, 1, 7, 130, 2500):
        expected = confint_poisson(k, 1, method="exact-c", alpha=alpha)
        assert poisson_exact_interval(k, level) == pytest.approx(
            tuple(map(float, expected)), rel=1e-10
        )


@pytest.mark.parametrize("level", LEVELS)
def test_wilson_equals_statsmodels_on_a_grid(level):
    for n in (1, 2, 3, 10, 971, 10**6, 10**9):
        for x in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            expected = proportion_confint(x, n, alpha=1 - level, method="wilson")
            assert wilson_interval(x, n, level) == pytest.approx(expected, abs=1e-12)
    # Non-integer (effective-n) input and n = 0.
    z = stats.norm.isf((1 - level) / 2)
    x, n = 12.5, 40.3
    p, z2n = x / n, z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / n + z2n / (4 * n))
    assert wilson_interval(x, n, level) == pytest.approx((centre - half, centre + half), rel=1e-12)
    assert all(math.isnan(v) for v in wilson_interval(0, 0, level))


def test_median_rank_interval_cache_keeps_results_and_errors():
    for n in range(0, 200):
        for level in (0.9, 0.95):
            first = median_rank_interval(n, level)
            assert median_rank_interval(n, level) == first
            if first is not None:
                r = first[0]
                assert stats.binom.cdf(r - 1, n, 0.5) <= (1 - level) / 2 * (1 + 1e-12)
                assert stats.binom.cdf(r, n, 0.5) > (1 - level) / 2
    with pytest.raises(ValueError):
        median_rank_interval(10, level=1.5)


def test_median_from_histogram_float_counts_and_validation():
    assert median_from_histogram([1.0, 2.0, 3.0], [1.0, 1.0, 2.0]) == 2.5
    assert median_from_histogram(np.array([4.0]), np.array([1], dtype=np.uint8)) == 4.0
    for values, counts in [([1, 2], [1.5, 1]), ([1, np.inf], [1, 1]), ([1, 1], [1, 1])]:
        with pytest.raises(ValueError):
            median_from_histogram(values, counts)


def test_medians_of_histograms_match_numpy_median_of_each_row():
    rng = np.random.default_rng(7)
    values = np.array([0.5, 1.0, 2.5, 4.0, 7.5, 12.0])
    counts = rng.integers(0, 4, size=(40, values.size))
    counts[3] = 0  # an empty month
    counts[5] = [0, 0, 0, 1, 0, 0]  # a single record
    got = medians_of_histograms(values, counts)
    for row, m in zip(counts, got, strict=True):
        data = np.repeat(values, row)
        if data.size == 0:
            assert np.isnan(m)
        else:
            assert m == np.median(data)
    with pytest.raises(ValueError):
        medians_of_histograms(values, counts[0])
    with pytest.raises(ValueError):
        medians_of_histograms(values, -counts)
    halves = counts.astype(float)
    halves[0, 0], halves[1, 0] = 1.5, 0.5  # the column total stays whole
    with pytest.raises(ValueError):
        medians_of_histograms(values, halves)


def test_median_of_values_binned_down_is_read_within_its_bin():
    """Response times binned down to a tenth of a minute: the median is read within its bin
    (the grouped-data median, L + (n/2 - F) / f x w), not at its truncated lower edge."""
    import numpy as np

    from forcestat.stats.intervals import medians_of_histograms

    edges = np.array([10.0, 10.1, 10.2])
    counts = np.array([[2, 3, 1]])
    # n = 6, half = 3: the median bin holds ranks 3-5, F = 2 below it, f = 3 in it.
    assert medians_of_histograms(edges, counts, 0.1)[0] == pytest.approx(10.1 + (3 - 2) / 3 * 0.1)
    assert medians_of_histograms(edges, counts)[0] == pytest.approx(10.1)  # exact values: unchanged
    # Many records spread evenly over their bins: the interpolated median is the records' own.
    rng = np.random.default_rng(4)
    x = rng.gamma(4.0, 3.0, 20_001)
    bins = np.floor(x / 0.1).astype(int)
    values = np.arange(bins.max() + 1) * 0.1
    hist = np.bincount(bins, minlength=values.size)[None, :]
    got = medians_of_histograms(values, hist, 0.1)[0]
    assert abs(got - np.median(x)) < 0.005
    assert abs(medians_of_histograms(values, hist)[0] - np.median(x)) > 0.02  # the truncation
