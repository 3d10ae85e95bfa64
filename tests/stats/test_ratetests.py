"""The conditional binomial test of two Poisson counts (CompStat's exact test) against scipy's
exact binomial test, statsmodels' exact conditional test of two Poisson rates, and a case
worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats import rates as sm_rates

from forcestat.stats.ratetests import conditional_poisson_test, pct_change


def test_a_case_by_hand():
    # 7 against 1 over equal spans: given 8 events, X1 ~ Bin(8, 1/2). The outcomes as unlikely
    # as 7 are 0, 1, 7 and 8: (1 + 8 + 8 + 1) / 256.
    assert conditional_poisson_test(7, 1)[()] == pytest.approx(18 / 256, rel=1e-12)
    assert conditional_poisson_test(1, 7)[()] == pytest.approx(18 / 256, rel=1e-12)
    # 4 against 4: the observed outcome is the mode; p = 1.
    assert conditional_poisson_test(4, 4)[()] == pytest.approx(1.0)
    assert conditional_poisson_test(0, 0)[()] == 1.0


def test_against_scipy_binomtest_on_a_grid():
    rng = np.random.default_rng(16)
    x1 = rng.integers(0, 400, 300)
    x2 = rng.integers(0, 400, 300)
    # Unequal spans too (a year to date across a leap day: 60 days against 59).
    t1 = rng.choice([7.0, 28.0, 60.0, 366.0], 300)
    t2 = np.where(rng.random(300) < 0.5, t1, t1 - 1)
    got = conditional_poisson_test(x1, x2, t1, t2)
    for a, b, s1, s2, p in zip(x1, x2, t1, t2, got, strict=True):
        n = int(a + b)
        want = 1.0 if n == 0 else stats.binomtest(int(a), n, s1 / (s1 + s2)).pvalue
        assert p == pytest.approx(want, rel=1e-9, abs=1e-300), (a, b, s1, s2)


@pytest.mark.parametrize(
    "x1,x2,t1,t2",
    [(12, 30, 28, 28), (530, 470, 7, 7), (5, 0, 28, 28), (41_000, 40_200, 335, 334), (3, 9, 1, 2)],
)
def test_against_statsmodels_exact_conditional(x1, x2, t1, t2):
    with np.errstate(divide="ignore"):
        want = sm_rates.test_poisson_2indep(x1, t1, x2, t2, method="exact-cond").pvalue
    got = conditional_poisson_test(x1, x2, t1, t2)[()]
    assert got == pytest.approx(want, rel=1e-6)


def test_large_counts_are_quick_and_match_scipy():
    x1 = np.array([98_765, 120_000, 15])
    x2 = np.array([101_234, 119_000, 16])
    got = conditional_poisson_test(x1, x2)
    for a, b, p in zip(x1, x2, got, strict=True):
        assert p == pytest.approx(stats.binomtest(int(a), int(a + b), 0.5).pvalue, rel=1e-7)


def test_bad_input():
    with pytest.raises(ValueError):
        conditional_poisson_test(-1, 3)
    with pytest.raises(ValueError):
        conditional_poisson_test(1.5, 3)
    with pytest.raises(ValueError):
        conditional_poisson_test(1, 3, 0, 1)


def test_pct_change():
    got = pct_change([110, 5, 3], [100, 0, 4])
    assert got[0] == pytest.approx(10.0)
    assert math.isnan(got[1])
    assert got[2] == pytest.approx(-25.0)
