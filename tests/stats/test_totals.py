"""forcestat.stats.totals against independent calculations: scipy.stats' gamma, chi-square and
normal distributions, scipy's E-test, hand-worked numbers and a simulation of compound Poisson
totals. Nothing here takes an expected value from forcestat's own code."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from etest_reference import continuous_e_test
from forcestat.stats.totals import (
    scaled_counts,
    weighted_poisson_e_test,
    weighted_poisson_interval,
    weighted_poisson_z_test,
)

# -- interval ------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [0, 1, 5, 37, 1000])
def test_unit_weights_give_the_garwood_interval(k):
    lo, hi = weighted_poisson_interval(k, k, 0.95, w_star=1.0)
    expected_lo = stats.chi2.ppf(0.025, 2 * k) / 2 if k else 0.0
    assert lo == pytest.approx(expected_lo, rel=1e-10, abs=1e-12)
    assert hi == pytest.approx(stats.chi2.ppf(0.975, 2 * k + 2) / 2, rel=1e-10)


def test_equal_weights_scale_the_garwood_interval():
    # Every record weighs 7: the total is 7 x a Poisson count of 12.
    lo, hi = weighted_poisson_interval(84.0, 12 * 49.0, 0.9, w_star=7.0)
    assert lo == pytest.approx(7 * stats.chi2.ppf(0.05, 24) / 2, rel=1e-10)
    assert hi == pytest.approx(7 * stats.chi2.ppf(0.95, 26) / 2, rel=1e-10)


def test_fay_feuer_by_hand():
    """Counts (3, 1, 2) with weights (2, 10, 0.5): y = 17, v = 112.5, w_M = 10.
    lower = gamma(shape y^2/v, scale v/y).ppf(0.025); upper the same with y + 10, v + 100
    (Fay & Feuer 1997, eq. for the upper limit with w_M; as asht::wspoissonTest wmtype="max")."""
    x, w = np.array([3, 1, 2]), np.array([2.0, 10.0, 0.5])
    y, v = float(x @ w), float(x @ w**2)
    assert (y, v) == (17.0, 112.5)
    lo, hi = weighted_poisson_interval(y, v, 0.95, w_star=w.max())
    assert lo == pytest.approx(stats.gamma.ppf(0.025, 17**2 / 112.5, scale=112.5 / 17), rel=1e-10)
    assert hi == pytest.approx(stats.gamma.ppf(0.975, 27**2 / 212.5, scale=212.5 / 27), rel=1e-10)
    # Tiwari, Clegg & Zou (2006): mean weight and mean squared weight added instead.
    lo2, hi2 = weighted_poisson_interval(y, v, 0.95, w_star=12.5 / 3, w2_star=104.25 / 3)
    assert lo2 == lo
    ys, vs = 17 + 12.5 / 3, 112.5 + 104.25 / 3
    assert hi2 == pytest.approx(stats.gamma.ppf(0.975, ys**2 / vs, scale=vs / ys), rel=1e-10)
    assert hi2 < hi


def test_no_records_and_bad_input():
    assert weighted_poisson_interval(0.0, 0.0, 0.95, w_star=0.0) == (
        0.0,
        pytest.approx(math.nan, nan_ok=True),
    )
    with pytest.raises(ValueError):
        weighted_poisson_interval(-1.0, 1.0, w_star=1.0)
    with pytest.raises(ValueError):
        weighted_poisson_interval(1.0, 1.0, 1.0, w_star=1.0)


def test_interval_covers_by_simulation():
    """Compound Poisson totals with harm-like weights (a rare, very heavy offence): Fay &
    Feuer's interval with the largest weight covers the true expected total at least 95% of
    the time (it is conservative). The mean-weight form does not here (about 78%: most
    samples hold no homicide, so their mean weight ignores it), which is why the framework's
    total measures can give ``max_value``."""
    rng = np.random.default_rng(2024)
    w = np.array([1.0, 2.0, 10.0, 273.5, 5475.0])
    lam = np.array([40.0, 25.0, 10.0, 3.0, 0.05])
    truth = float(lam @ w)
    x = rng.poisson(lam, size=(4000, lam.size))
    y, v, n = x @ w, x @ w**2, x.sum(axis=1)
    ff = tcz = 0
    for yi, vi, ni in zip(y, v, n, strict=True):
        lo, hi = weighted_poisson_interval(yi, vi, 0.95, w_star=w.max())
        ff += lo <= truth <= hi
        lo, hi = weighted_poisson_interval(yi, vi, 0.95, w_star=yi / ni, w2_star=vi / ni)
        tcz += lo <= truth <= hi
    assert ff / 4000 >= 0.95
    assert tcz / 4000 < 0.9


def test_mean_weight_interval_covers_without_dominant_rare_weights():
    """Weights without a rare heavy offence carrying much of the expected total: the
    mean-weight (Tiwari, Clegg & Zou) form covers close to 95%."""
    rng = np.random.default_rng(7)
    w = np.array([1.0, 2.0, 10.0, 30.0])
    lam = np.array([40.0, 25.0, 10.0, 5.0])
    truth = float(lam @ w)
    x = rng.poisson(lam, size=(4000, lam.size))
    hits = 0
    for a in x:
        y, v, n = a @ w, a @ w**2, a.sum()
        lo, hi = weighted_poisson_interval(y, v, 0.95, w_star=y / n, w2_star=v / n)
        hits += lo <= truth <= hi
    assert 0.93 <= hits / 4000 <= 0.98


# -- tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("k1", "k2", "windows"), [(130, 100, 1), (130, 300, 3), (4, 11, 3)])
def test_unit_weights_give_the_poisson_e_test(k1, k2, windows):
    p = weighted_poisson_e_test(k1, k1, k2, k2, windows)
    assert p == pytest.approx(stats.poisson_means_test(k1, 1, k2, windows).pvalue, rel=1e-8)


def test_equal_weights_cancel_out():
    # Weights of 273.5 on counts 130 and 300: the scale c is 273.5, the counts come back; the
    # scaled test is the continuous E-test, within a boundary point of scipy's exact one.
    w = 273.5
    p = weighted_poisson_e_test(130 * w, 130 * w * w, 300 * w, 300 * w * w, 3)
    assert p == pytest.approx(continuous_e_test(130, 1, 300, 3), rel=1e-8)
    exact = weighted_poisson_e_test(130 * w, 130 * w * w, 300 * w, 300 * w * w, 3, continuous=False)
    assert exact == pytest.approx(stats.poisson_means_test(130, 1, 300, 3).pvalue, rel=1e-8)
    assert p == pytest.approx(exact, rel=0.01)


def test_mixed_weights_use_the_pooled_scale():
    """Current: 120 records of weight 1 and 2 of weight 50 (t 220, v 5120); benchmark over 3
    windows: 330 of weight 1 and 6 of weight 50 (t 630, v 15330). c = 20450 / 850, so the
    effective counts are 220 / c = 9.144... and 630 / c = 26.185...; scaled by 1/c they are
    not integers, so compare with scipy's E-test on counts scaled to the nearest integers
    bracket, and with a direct evaluation of the E-test double sum."""
    t1, v1, t2, v2 = 220.0, 5120.0, 630.0, 15330.0
    c = (v1 + v2) / (t1 + t2)
    k1, k2 = t1 / c, t2 / c
    assert weighted_poisson_e_test(t1, v1, t2, v2, 3) == pytest.approx(
        continuous_e_test(k1, 1, k2, 3), rel=1e-8
    )
    p = weighted_poisson_e_test(t1, v1, t2, v2, 3, continuous=False)
    # Krishnamoorthy & Thomson's double sum written out (their eq. 3.3 and the p-value).
    lam = (k1 + k2) / 4
    x1 = np.arange(0, 80)[:, None].astype(float)
    x2 = np.arange(0, 200)[None, :].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tstat = (x1 - x2 / 3) / np.sqrt(x1 + x2 / 9)
    t_obs = abs((k1 - k2 / 3) / math.sqrt(k1 + k2 / 9))
    pmf = stats.poisson.pmf(x1, lam) * stats.poisson.pmf(x2, 3 * lam)
    expected = float(np.sum(pmf[np.nan_to_num(np.abs(tstat), nan=-1) >= t_obs * (1 - 1e-10)]))
    assert p == pytest.approx(expected, rel=1e-6)


def test_overdispersion_divides_the_effective_counts():
    # phi = 2 on unit weights: the (continuous) E-test of (130, 300) / 2 = (65, 150).
    p = weighted_poisson_e_test(130, 130, 300, 300, 3, phi=2.0)
    assert p == pytest.approx(continuous_e_test(65, 1, 150, 3), rel=1e-8)
    p = weighted_poisson_e_test(130, 130, 300, 300, 3, phi=2.0, continuous=False)
    assert p == pytest.approx(stats.poisson_means_test(65, 1, 150, 3).pvalue, rel=1e-8)
    # phi <= 1 or nan leaves the test alone (never more liberal than the weights imply).
    plain = weighted_poisson_e_test(130, 130, 300, 300, 3)
    assert weighted_poisson_e_test(130, 130, 300, 300, 3, phi=0.5) == plain
    assert weighted_poisson_e_test(130, 130, 300, 300, 3, phi=math.nan) == plain


def test_zero_totals():
    assert weighted_poisson_e_test(0, 0, 0, 0, 3) == 1.0
    assert weighted_poisson_z_test(0, 0, 0, 0, 3) == 1.0
    with pytest.raises(ValueError):
        weighted_poisson_e_test(-1, 1, 1, 1)


def test_z_test_by_hand():
    # z = (220 - 630/3) / sqrt(5120 + 15330/9) = 10 / 82.595... ; p = 2 (1 - Phi(|z|)).
    z = 10 / math.sqrt(5120 + 15330 / 9)
    p = weighted_poisson_z_test(220, 5120, 630, 15330, 3)
    assert p == pytest.approx(2 * stats.norm.sf(z), rel=1e-12)
    p2 = weighted_poisson_z_test(220, 5120, 630, 15330, 3, phi=4.0)
    assert p2 == pytest.approx(2 * stats.norm.sf(z / 2), rel=1e-12)


def test_e_and_z_tests_agree_for_large_totals():
    """Both are valid large-sample tests of the same hypothesis: with thousands of records
    they agree to a few per cent of p."""
    rng = np.random.default_rng(5)
    w = rng.choice([1.0, 2.0, 10.0, 273.5, 365.0], size=12000, p=[0.5, 0.3, 0.15, 0.04, 0.01])
    a, b = w[:3000], w[3000:]
    t1, v1, t2, v2 = a.sum(), (a**2).sum(), b.sum(), (b**2).sum()
    pe = weighted_poisson_e_test(t1, v1, t2, v2, 3)
    pz = weighted_poisson_z_test(t1, v1, t2, v2, 3)
    assert pe == pytest.approx(pz, abs=0.02)


def test_e_test_holds_its_size_by_simulation():
    """Under the null (same process in the window and the three benchmark windows) the
    E-test on compound Poisson totals is never liberal at alpha = 0.05 (about 2%: the pooled
    scale moves with the number of heavy records, which makes it conservative), while the
    Wald z test is (about 13% here)."""
    rng = np.random.default_rng(11)
    w = np.array([1.0, 5.0, 273.5])
    lam = np.array([60.0, 20.0, 1.5])
    reps = 2000
    x1 = rng.poisson(lam, size=(reps, 3))
    x2 = rng.poisson(3 * lam, size=(reps, 3))
    rejected = wald = 0
    for a, b in zip(x1, x2, strict=True):
        rejected += weighted_poisson_e_test(a @ w, a @ w**2, b @ w, b @ w**2, 3) < 0.05
        wald += weighted_poisson_z_test(a @ w, a @ w**2, b @ w, b @ w**2, 3) < 0.05
    assert 0.005 <= rejected / reps <= 0.055
    assert wald / reps > 0.08


# -- dispersion scale -----------------------------------------------------------------------


def test_scaled_counts():
    t = np.array([10.0, 30.0, 20.0])
    v = np.array([100.0, 500.0, 200.0])
    # c = 800 / 60: counts t * 60 / 800.
    assert scaled_counts(t, v) == pytest.approx(t * 60 / 800)
    # Unit weights: the counts themselves, whose Pearson dispersion is then the count one.
    assert scaled_counts(t, t) == pytest.approx(t)
    assert list(scaled_counts([0.0, 0.0], [0.0, 0.0])) == [0.0, 0.0]
    with pytest.raises(ValueError):
        scaled_counts([1.0], [1.0, 2.0])
