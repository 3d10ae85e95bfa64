"""Comparison tests against scipy/statsmodels, exact brute force and the design's examples."""

import math
from fractions import Fraction

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats import rates as sm_rates

from etest_reference import continuous_e_test
from forcestat.stats.comparisons import (
    dispersion_index,
    median_test_from_histograms,
    median_tests_on_grid,
    poisson_e_test,
    poisson_e_test_overdispersed,
    poisson_e_tests,
    two_proportion_test,
    two_proportion_tests,
)

# -- two proportions ---------------------------------------------------------------------------

PROPORTION_CASES = [(750, 971, 780, 960), (10, 50, 20, 55), (134, 879, 200, 900), (1, 60, 9, 58)]


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), PROPORTION_CASES)
def test_two_proportion_matches_statsmodels_ztest(x1, n1, x2, n2):
    _, expected = sm_proportion.proportions_ztest([x1, x2], [n1, n2])
    assert two_proportion_test(x1, n1, x2, n2) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), PROPORTION_CASES)
def test_two_proportion_is_the_uncorrected_score_test(x1, n1, x2, n2):
    res = sm_proportion.test_proportions_2indep(x1, n1, x2, n2, method="score", correction=False)
    assert two_proportion_test(x1, n1, x2, n2) == pytest.approx(res.pvalue, rel=1e-8)


def test_two_proportion_hand_worked():
    # 30/100 vs 20/100: pooled 0.25, se = sqrt(0.25*0.75*0.02) = 0.0612372, z = 1.632993,
    # p = 2 * (1 - Phi(1.632993)) = 0.102470
    assert two_proportion_test(30, 100, 20, 100) == pytest.approx(0.102470, abs=1e-6)


def test_two_proportion_edge_cases():
    assert two_proportion_test(0, 50, 0, 60) == 1.0
    assert two_proportion_test(50, 50, 60, 60) == 1.0
    assert math.isnan(two_proportion_test(0, 0, 3, 10))
    with pytest.raises(ValueError):
        two_proportion_test(11, 10, 3, 10)


# -- Poisson E-test ------------------------------------------------------------------------------


def _brute_force_e_test(k1, t1, k2, t2, upper=400):
    """Krishnamoorthy & Thomson's double sum over a grid, the region decided in integers.

    With t_i = a_i / D, T^2 = (x1 a2 - x2 a1)^2 / (x1 a2^2 + x2 a1^2) exactly, so ties with
    the observed statistic are found without rounding.
    """
    f1, f2 = Fraction(t1).limit_denominator(1000), Fraction(t2).limit_denominator(1000)
    d = math.lcm(f1.denominator, f2.denominator)
    a1, a2 = int(f1 * d), int(f2 * d)
    x1 = np.arange(upper, dtype=np.int64)[:, None]
    x2 = np.arange(upper, dtype=np.int64)[None, :]
    num, den = x1 * a2 - x2 * a1, x1 * a2 * a2 + x2 * a1 * a1
    num0, den0 = k1 * a2 - k2 * a1, k1 * a2 * a2 + k2 * a1 * a1
    region = (num * num * den0 >= num0 * num0 * den) & (den > 0)
    lam = (k1 + k2) / float(f1 + f2)
    pmf1 = stats.poisson.pmf(np.arange(upper), float(f1) * lam)
    pmf2 = stats.poisson.pmf(np.arange(upper), float(f2) * lam)
    return float((pmf1[:, None] * pmf2[None, :])[region].sum())


def test_e_test_design_worked_example():
    # DESIGN section 6: "130 vs 100 -> p = 0.048": the benchmark enters as ONE window's count
    # (k2 = 100, t2 = 1). The same mean of 100 per window observed as 300 over three windows
    # is more precise and gives p = 0.0196 (see docs/methods.md).
    p = poisson_e_test(130, 1, 100, 1)
    assert round(p, 3) == 0.048
    # scipy truncates its sums at 1e-10 of each tail, hence the tolerance.
    assert p == pytest.approx(stats.poisson_means_test(130, 1, 100, 1).pvalue, rel=1e-6)
    p3 = poisson_e_test(130, 1, 300, 3)
    assert round(p3, 4) == 0.0196
    # Rescaling the exposure unit (windows vs months) does not change the test.
    assert poisson_e_test(130, 12, 300, 36) == pytest.approx(p3, rel=1e-9)


E_TEST_CASES = [
    (130, 1, 100, 1),
    (130, 1, 300, 3),
    (5, 1, 16, 3),
    (0, 1, 7, 3),
    (40, 1, 0, 3),
    (400, 1, 1000, 3),
    (61, 0.5, 90, 1.5),
    (410, 12, 1100, 36),
    (1, 1, 0, 36),
    (0, 1, 2, 36),
]


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
@pytest.mark.parametrize(("k1", "t1", "k2", "t2"), E_TEST_CASES)
def test_e_test_matches_statsmodels_etest_wald(k1, t1, k2, t2):
    sm_p = sm_rates.test_poisson_2indep(k1, t1, k2, t2, method="etest-wald").pvalue
    assert poisson_e_test(k1, t1, k2, t2) == pytest.approx(sm_p, rel=1e-8, abs=1e-14)


@pytest.mark.parametrize(("k1", "t1", "k2", "t2"), [c for c in E_TEST_CASES if c[0] > 0])
def test_e_test_matches_scipy_poisson_means_test(k1, t1, k2, t2):
    # (0, 1, 7, 3) is left out: it has tied points that scipy's rounding drops
    # (scipy 0.047862, exact 0.047871 - see the brute-force test).
    expected = stats.poisson_means_test(k1, t1, k2, t2).pvalue
    assert poisson_e_test(k1, t1, k2, t2) == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_e_test_large_counts_match_scipy():
    # force-level counts: the sum over x1 is truncated at 12 standard deviations
    # (20,000 runs X2's tails as running sums of its probabilities: CUMULATIVE_ROWS.)
    for k1, k2 in ((5000, 15400), (5000, 14600), (20000, 61500)):
        expected = stats.poisson_means_test(k1, 1, k2, 3).pvalue
        assert poisson_e_test(k1, 1, k2, 3) == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_e_test_statsmodels_default_etest_differs_unless_equal_exposure():
    # statsmodels' method="etest" orders the sample space by the score statistic (pooled
    # variance); Krishnamoorthy & Thomson use the unpooled one. They agree when t1 == t2.
    assert poisson_e_test(130, 1, 100, 1) == pytest.approx(
        sm_rates.test_poisson_2indep(130, 1, 100, 1, method="etest").pvalue, rel=1e-9
    )
    score = sm_rates.test_poisson_2indep(130, 1, 300, 3, method="etest").pvalue
    assert round(score, 4) == 0.0122
    assert abs(poisson_e_test(130, 1, 300, 3) - score) > 0.005


@pytest.mark.parametrize(
    ("k1", "t1", "k2", "t2"), [(9, 1, 3, 1), (2, 1, 10, 2), (35, 2, 34, 1.5), (12, 1, 12, 1)]
)
def test_e_test_matches_exact_brute_force_including_ties(k1, t1, k2, t2):
    # These cases have points with |T| exactly equal to the observed one; scipy's floating
    # point sometimes drops them (e.g. 2,1,10,2: scipy 0.17624 vs exact 0.17789).
    assert poisson_e_test(k1, t1, k2, t2) == pytest.approx(
        _brute_force_e_test(k1, t1, k2, t2, upper=400), rel=1e-9
    )


def test_e_test_edge_cases():
    assert poisson_e_test(0, 1, 0, 3) == 1.0
    # Equal rates: every point except (0, 0) has |T| >= 0.
    lam = 100.0
    assert poisson_e_test(100, 1, 300, 3) == pytest.approx(1 - math.exp(-lam - 3 * lam))
    with pytest.raises(ValueError):
        poisson_e_test(1, 0, 2, 1)


# -- overdispersion ----------------------------------------------------------------------------


def test_dispersion_index_about_mean_hand_worked():
    # mean 10; squared deviations 4+0+4+16+16 = 40; 40/10/4 = 1.0
    assert dispersion_index([8, 10, 12, 6, 14]) == pytest.approx(1.0)
    # mean 20; 100+100+0 = 200; 200/20/2 = 5
    assert dispersion_index([10, 30, 20]) == pytest.approx(5.0)
    assert math.isnan(dispersion_index([0, 0, 0]))
    assert math.isnan(dispersion_index([4]))


def test_dispersion_index_about_trend_matches_statsmodels_glm():
    y = np.array([100, 108, 95, 120, 131, 118, 140, 150, 133, 160, 171, 155])
    x = sm.add_constant(np.arange(y.size, dtype=float))
    res = sm.GLM(y, x, family=sm.families.Poisson()).fit()
    assert dispersion_index(y, around="trend") == pytest.approx(
        res.pearson_chi2 / res.df_resid, rel=1e-8
    )
    # A clean trend is not overdispersion: about the mean the same series looks very dispersed.
    assert dispersion_index(y, around="mean") > 2 * dispersion_index(y, around="trend")


def test_overdispersed_e_test_deflates_counts():
    # phi = 2: 260 vs 600 behaves as 130 vs 300 (checked against scipy, not our own e-test).
    expected = stats.poisson_means_test(130, 1, 300, 3).pvalue
    assert poisson_e_test_overdispersed(260, 1, 600, 3, 2.0) == pytest.approx(expected, rel=1e-6)
    # phi <= 1 or unknown: plain Poisson, never more liberal.
    plain = stats.poisson_means_test(130, 1, 300, 3).pvalue
    assert poisson_e_test_overdispersed(130, 1, 300, 3, 0.7) == pytest.approx(plain, rel=1e-6)
    assert poisson_e_test_overdispersed(130, 1, 300, 3, math.nan) == pytest.approx(plain, rel=1e-6)
    # more dispersion, weaker evidence
    assert poisson_e_test_overdispersed(130, 1, 300, 3, 1.5) > plain


def test_overdispersed_e_test_non_integer_counts_match_brute_force():
    # 130/1.3 = 100 and 390/1.3 = 300 (up to rounding): the effective counts are the integers.
    p = poisson_e_test_overdispersed(130, 1, 390, 3, 1.3)
    assert p == pytest.approx(_brute_force_e_test(100, 1, 300, 3, upper=600), rel=1e-6)


# -- the continuous E-test (scaled counts) ------------------------------------------------------


@pytest.mark.parametrize(
    ("k1", "t1", "k2", "t2"),
    [
        (65.0, 1, 150.0, 3),  # 130 vs 300 at phi = 2
        (130 / 1.37, 1, 100 / 1.37, 1),
        (4.2, 1, 11.7, 3),  # small effective counts
        (0.0, 1, 3.3, 3),  # a zero: the x1 = 0 row has no lower region
        (2.5, 2, 0.4, 5),  # unequal exposures, small means
        (420 / 2.61, 1, 1180 / 2.61, 3),
        (9000 / 2.2, 1, 26000 / 2.2, 3),  # many rows: tails from running sums
    ],
)
def test_continuous_e_test_matches_a_direct_evaluation(k1, t1, k2, t2):
    got = poisson_e_test(k1, t1, k2, t2, continuous=True)
    assert got == pytest.approx(continuous_e_test(k1, t1, k2, t2), rel=1e-7, abs=1e-12)


def test_continuous_e_test_is_continuous_in_phi_where_the_exact_one_steps():
    """90 vs 70 scaled by phi from 1.5 to 4 in 4,000 steps: the exact E-test on the effective
    counts jumps by up to about 0.01 (a boundary point entering or leaving the region), the
    continuous one moves by at most about 2e-4 a step (its derivative times the step)."""
    phis = np.linspace(1.5, 4.0, 4001)
    exact = poisson_e_tests(90 / phis, 1.0, 70 / phis, 1.0)
    smooth = poisson_e_tests(90 / phis, 1.0, 70 / phis, 1.0, continuous=True)
    assert np.abs(np.diff(exact)).max() > 0.005
    assert np.abs(np.diff(smooth)).max() < 4e-4
    # A change in phi's last digits does not move it.
    for phi in (1.7, 2.3, 3.1):
        a = poisson_e_test(90 / phi, 1, 70 / phi, 1, continuous=True)
        b = poisson_e_test(90 / (phi + 1e-13), 1, 70 / (phi + 1e-13), 1, continuous=True)
        assert a == pytest.approx(b, abs=1e-10)


def test_continuous_e_test_agrees_with_the_exact_one_at_whole_counts():
    """At whole counts the two differ by a fraction of a boundary point: the design example
    130 vs 100 is 0.04797 exact and 0.04788 continuous."""
    assert poisson_e_test(130, 1, 100, 1, continuous=True) == pytest.approx(0.047879, abs=2e-6)
    for k1, k2, w in [(130, 300, 3), (12, 30, 3), (1300, 1000, 1)]:
        exact = stats.poisson_means_test(k1, 1, k2, w).pvalue
        assert poisson_e_test(k1, 1, k2, w, continuous=True) == pytest.approx(exact, rel=0.05)


def test_continuous_flag_per_test_in_a_batch():
    p = poisson_e_tests([65.0, 65.0], 1.0, [150.0, 150.0], 3.0, continuous=[False, True])
    assert p[0] == pytest.approx(stats.poisson_means_test(65, 1, 150, 3).pvalue, rel=1e-6)
    assert p[1] == pytest.approx(continuous_e_test(65, 1, 150, 3), rel=1e-7)


# -- Mood's median test ------------------------------------------------------------------------


def _expand(values, counts):
    return np.repeat(np.asarray(values, dtype=float), counts)


@pytest.mark.parametrize("ties", ["below", "above", "ignore"])
@pytest.mark.parametrize("correction", [True, False])
def test_median_test_matches_scipy_on_expanded_samples(ties, correction):
    rng = np.random.default_rng(11)
    for _ in range(40):
        v1 = np.arange(0, 40, dtype=float)
        v2 = np.arange(5, 50, dtype=float)
        c1 = rng.poisson(3, size=v1.size)
        c2 = rng.poisson(2, size=v2.size)
        s1, s2 = _expand(v1, c1), _expand(v2, c2)
        try:
            expected = stats.median_test(s1, s2, ties=ties, correction=correction).pvalue
        except ValueError:
            expected = math.nan
        got = median_test_from_histograms(v1, c1, v2, c2, ties=ties, correction=correction)
        if math.isnan(expected):
            assert math.isnan(got)
        else:
            assert got == pytest.approx(expected, rel=1e-10)


def test_median_test_hand_worked():
    # group 1: 1,2,3,4,5,6 ; group 2: 5,6,7,8,9,10 -> pooled median 5.5.
    # above: g1 = 1, g2 = 5 ; below: g1 = 5, g2 = 1 ; expected 3 each.
    # Yates: |O - E| = 2 -> 1.5; chi2 = 4 * 1.5^2 / 3 = 3.0; p = chi2.sf(3, 1) = 0.083265
    p = median_test_from_histograms([1, 2, 3, 4, 5, 6], [1] * 6, [5, 6, 7, 8, 9, 10], [1] * 6)
    assert p == pytest.approx(0.0832645, abs=1e-6)


def test_median_test_undefined():
    assert math.isnan(median_test_from_histograms([1, 2], [3, 0], [1], [4]))


def test_two_proportion_equals_scipy_norm_sf_on_a_grid():
    # Now special.ndtr(-|z|), which is what norm.sf evaluates.
    counts = (0, 1, 2, 5, 50, 971, 10**6)
    for n1 in counts[1:]:
        for n2 in counts[1:]:
            for x1 in sorted({0, 1, n1 // 2, n1} & set(range(n1 + 1))):
                for x2 in sorted({0, 1, n2 // 3, n2} & set(range(n2 + 1))):
                    pooled = (x1 + x2) / (n1 + n2)
                    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
                    if var <= 0:
                        expected = 1.0
                    else:
                        z = (x1 / n1 - x2 / n2) / math.sqrt(var)
                        expected = 2 * stats.norm.sf(abs(z))
                    got = two_proportion_test(x1, n1, x2, n2)
                    assert got == pytest.approx(expected, rel=1e-12, abs=1e-300)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_e_tests_vectorised_match_statsmodels_case_by_case():
    # One call for all the cases (small and large counts, different exposures, zeros).
    cases = [*E_TEST_CASES, (5000, 1, 15400, 3), (0, 1, 0, 3)]
    k1, t1, k2, t2 = (np.array(col, dtype=float) for col in zip(*cases, strict=True))
    got = poisson_e_tests(k1, t1, k2, t2)
    for (a, b, c, d), p in zip(cases, got, strict=True):
        if a == 0 and c == 0:
            assert p == 1.0
            continue
        sm_p = sm_rates.test_poisson_2indep(a, b, c, d, method="etest-wald").pvalue
        assert p == pytest.approx(sm_p, rel=1e-8, abs=1e-14), (a, b, c, d)
    with pytest.raises(ValueError):
        poisson_e_tests([1.0, -1.0], 1.0, [2.0, 2.0], 1.0)


def test_e_tests_reject_missing_counts_by_name():
    with pytest.raises(ValueError, match="finite"):
        poisson_e_tests([1.0, math.nan], 1.0, [2.0, 2.0], 1.0)


# -- vectorised forms the engine calls -----------------------------------------------------------


def test_two_proportion_tests_match_statsmodels_elementwise():
    rng = np.random.default_rng(5)
    n1 = rng.integers(1, 2000, 300)
    n2 = rng.integers(1, 2000, 300)
    x1 = rng.binomial(n1, 0.7)
    x2 = rng.binomial(n2, 0.72)
    got = two_proportion_tests(x1, n1, x2, n2)
    for i in range(300):
        if x1[i] + x2[i] in (0, n1[i] + n2[i]):
            assert got[i] == 1.0
            continue
        _, expected = sm_proportion.proportions_ztest([x1[i], x2[i]], [n1[i], n2[i]])
        assert got[i] == pytest.approx(expected, rel=1e-10)


def test_two_proportion_tests_edge_cases_and_broadcasting():
    got = two_proportion_tests([0, 50, 0, 30], [50, 50, 0, 100], [0, 60, 3, 20], [60, 60, 10, 100])
    assert got[0] == 1.0 and got[1] == 1.0 and math.isnan(got[2])
    assert got[3] == pytest.approx(0.102470, abs=1e-6)  # the hand-worked case above
    assert two_proportion_tests(30, 100, [20, 30], 100).shape == (2,)
    with pytest.raises(ValueError):
        two_proportion_tests([11], [10], [3], [10])


def test_median_tests_on_grid_match_scipy_on_expanded_samples():
    rng = np.random.default_rng(12)
    values = np.array([0, 1, 2, 3, 5, 8, 13, 21, 34, 55], dtype=float)
    c1 = rng.poisson(2, size=(60, values.size)) * (rng.random((60, values.size)) < 0.6)
    c2 = rng.poisson(3, size=(60, values.size))
    c1[0] = 0  # an empty window: undefined
    got = median_tests_on_grid(values, c1, c2)
    for i in range(60):
        try:
            expected = stats.median_test(_expand(values, c1[i]), _expand(values, c2[i])).pvalue
        except ValueError:
            expected = math.nan
        if math.isnan(expected):
            assert math.isnan(got[i])
        else:
            assert got[i] == pytest.approx(expected, rel=1e-10)
    assert math.isnan(got[0])


def test_median_tests_on_grid_hand_worked_and_checks():
    # The hand-worked case above on one grid 1..10: p = 0.0832645.
    c1 = np.array([[1, 1, 1, 1, 1, 1, 0, 0, 0, 0]])
    c2 = np.array([[0, 0, 0, 0, 1, 1, 1, 1, 1, 1]])
    assert median_tests_on_grid(np.arange(1, 11), c1, c2)[0] == pytest.approx(0.0832645, abs=1e-6)
    with pytest.raises(ValueError):
        median_tests_on_grid([2, 1], [[1, 1]], [[1, 1]])
    with pytest.raises(ValueError):
        median_tests_on_grid([1, 2], [[1, 1]], [[1, 1, 1]])
