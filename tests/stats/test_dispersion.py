"""stats.dispersion: year-on-year dispersion of monthly counts and proportions.

Expected values come from hand-worked examples, statsmodels (OLS residual variance, sample
autocovariances) and simulation of the plain models; nothing here reads forcestat's own output
as the expectation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.tsa.stattools import acovf

from forcestat.stats import dispersion
from forcestat.stats.comparisons import poisson_e_test, two_proportion_test
from forcestat.stats.dispersion import (
    NO_DISPERSION,
    Dispersion,
    count_dispersion,
    long_run_dispersion,
    proportion_dispersion,
)


def _block_design(blocks: int, trend: bool) -> np.ndarray:
    t = np.arange(12) - 5.5
    cols = [np.kron(np.eye(blocks), np.ones((12, 1)))]
    if trend:
        cols.append(np.kron(np.eye(blocks), t[:, None]))
    return np.hstack(cols)


def test_without_lags_phi_is_the_ols_residual_variance_within_blocks():
    """lags=0, centred per block: phi = residual sum of squares / residual df, the OLS scale of
    s on a line per block (or a mean per block without detrending)."""
    rng = np.random.default_rng(5)
    s = rng.normal(0.0, 1.7, 36)
    for trend in (True, False):
        expected = OLS(s, _block_design(3, trend)).fit().scale
        got = long_run_dispersion(s, lags=0, detrend=trend)
        assert got.phi == pytest.approx(expected, rel=1e-12)


def test_without_lags_phi_centred_on_the_overall_mean():
    """lags=0, centred on the overall mean (``centre="all"``): phi = RSS about the mean / E, with
    E = k - 12/k the RSS expected of k standardised year-on-year differences of independent
    months (variance 1; differences a year apart share a month, covariance -1/2, so the sum of
    all k has variance k - (k - 12) = 12 and E = k - 12/k)."""
    rng = np.random.default_rng(5)
    for k in (12, 24, 36):
        s = rng.normal(0.0, 1.7, k)
        rss = OLS(s, np.ones(k)).fit().ssr
        got = long_run_dispersion(s, lags=0, centre="all")
        assert got.phi == pytest.approx(rss / (k - 12 / k), rel=1e-12)


def test_bartlett_weighted_autocovariances():
    """phi = K [g0 + 2 sum_l (1 - l/(L+1)) g_l] / E, with g_l the (1/K) autocovariances of the
    residuals about a line per block (statsmodels' OLS and acovf) and E the value of that
    numerator expected for year-on-year differences of independent months (by simulation)."""
    rng = np.random.default_rng(6)
    lags = 3
    w = [1 - k / (lags + 1) for k in range(1, lags + 1)]
    design = _block_design(2, True)
    hat = design @ np.linalg.pinv(design)

    def numerator(s):
        r = s - hat @ s
        g = acovf(r, demean=False, adjusted=False, nlag=lags)
        return 24 * (g[0] + 2 * sum(wk * g[k] for k, wk in enumerate(w, 1)))

    s = rng.normal(0.0, 1.0, 24)
    r_ols = OLS(s, design).fit().resid
    assert np.allclose(s - hat @ s, r_ols)
    y = rng.normal(0.0, 1.0, (20000, 36))
    null = np.array([numerator((row[12:] - row[:-12]) / math.sqrt(2)) for row in y])
    got = long_run_dispersion(s, lags=lags, detrend=True)
    expected = numerator(s) / null.mean()
    assert got.phi == pytest.approx(
        expected, rel=4 * null.std() / null.mean() / math.sqrt(null.size)
    )
    # Satterthwaite df: 2 E[Q]^2 / Var[Q] of the simulated null.
    assert got.df == pytest.approx(2 * null.mean() ** 2 / null.var(), rel=0.05)


# +5, -5, -5, +5 repeated: mean 0 and no linear trend over 12 months (sum t x = 0), so centring
# or a line per block leaves it exactly as it is.
WIGGLE = np.array([1, -1, -1, 1] * 3, dtype=float)


def test_hand_worked_counts():
    """Two years of counts, +10 a year plus the +-5 wiggle: the year-on-year differences are
    10 +- 5 (12 of them); centred, +-5; with lags=0
    phi = sum 25 / (12 - 1) / mean(y_m + y_(m-12))."""
    assert WIGGLE.sum() == 0 and (np.arange(12) * WIGGLE).sum() == 0
    prev = np.full(12, 100.0)
    cur = 110.0 + 5.0 * WIGGLE
    got = count_dispersion(np.concatenate([prev, cur]), lags=0)
    v = np.mean(cur + prev)  # 210
    assert got.phi == pytest.approx(12 * 25 / v / 11)


def test_a_steady_change_between_years_is_not_overdispersion():
    """Every month 20 up on the same month a year before, then 35 up: the centred differences
    are all 0 (centred overall, only a steady change is: 20 up year after year). A rise growing
    through the year (+30 to +52) is a line: 0 with detrend=True."""
    base = np.array([80, 90, 100, 120, 130, 140, 150, 140, 120, 110, 90, 85], dtype=float)
    y = np.concatenate([base, base + 20, base + 55])
    assert count_dispersion(y).phi == pytest.approx(0.0, abs=1e-12)
    assert count_dispersion(y, centre="all").phi > 0.1
    steady = np.concatenate([base, base + 20, base + 40, base + 60])
    assert count_dispersion(steady, centre="all").phi == pytest.approx(0.0, abs=1e-12)
    growing = np.concatenate([base, base + 20, base + 20 + np.linspace(30, 52, 12)])
    assert count_dispersion(growing).phi > 0.1
    assert count_dispersion(growing, detrend=True).phi == pytest.approx(0.0, abs=1e-12)


def test_seasonality_cancels():
    """Strongly seasonal but exactly repeating monthly counts: no dispersion at all, where
    residuals about a mean or a trend would call it heavy overdispersion."""
    season = 500 * (1 + 0.4 * np.sin(np.arange(48) * 2 * np.pi / 12))
    assert count_dispersion(season).phi == pytest.approx(0.0, abs=1e-9)


def test_too_few_months_gives_no_estimate():
    assert count_dispersion(np.ones(23)) is NO_DISPERSION
    assert proportion_dispersion(np.ones(20), np.full(20, 5.0)) is NO_DISPERSION
    assert count_dispersion(np.zeros(36)) is NO_DISPERSION
    assert not NO_DISPERSION.overdispersed and NO_DISPERSION.scale == 1.0


def test_proportions_hand_worked():
    """x/n with n = 100 every month; previous year 50% flat, current 50% +- 10 points (the
    wiggle): differences +-0.1, pooled p = 0.5, var = 0.25 (2/100) = 0.005; lags=0:
    phi = 12 (0.01 / 0.005) / 11."""
    n = np.full(24, 100.0)
    x = np.concatenate([np.full(12, 50.0), 50.0 + 10.0 * WIGGLE])
    got = proportion_dispersion(x, n, lags=0)
    assert got.phi == pytest.approx(12 * 2.0 / 11)


def test_scaling_and_t_reference():
    """phi <= 1 leaves the plain test; phi > 1 divides by phi and refers z to Student's t(df)."""
    below, above = Dispersion(0.9, 4.0), Dispersion(2.5, 4.0)
    assert not below.overdispersed and below.scale == 1.0 and below.p_value(0.03) == 0.03
    assert above.overdispersed and above.scale == 2.5
    z = stats.norm.isf(0.03 / 2)
    assert above.p_value(0.03) == pytest.approx(2 * stats.t.sf(z, 4.0), rel=1e-9)


def test_scaled_count_test_holds_its_size_on_overdispersed_counts():
    """Gamma-Poisson months with variance 3 x mean (no change): the plain E-test alarms far
    more than 5%; scaled by phi from the baseline, at or under about 5%."""
    rng = np.random.default_rng(13)
    season = 1 + 0.3 * np.sin(np.arange(48) * 2 * np.pi / 12)

    def make(rng):
        mu = 500 * season
        return (rng.poisson(rng.gamma(mu / 2.0, 2.0)),)

    def plain(y):
        return poisson_e_test(y[36:].sum(), 1, y[24:36].sum(), 1)

    def scaled(y):
        d = count_dispersion(y[:36])
        return d.p_value(poisson_e_test(y[36:].sum() / d.scale, 1, y[24:36].sum() / d.scale, 1))

    assert _false_alarms(rng, make, plain, 400) > 0.15
    rate = _false_alarms(rng, make, scaled, 2000)
    assert stats.beta.ppf(0.99, rate * 2000 + 1, 2000 - rate * 2000) < 0.075, rate


def test_unbiased_for_plain_poisson_and_binomial_series():
    """With no overdispersion (independent Poisson / binomial months, seasonal means) phi
    averages 1 (within 3 standard errors of the simulation)."""
    rng = np.random.default_rng(11)
    season = 1 + 0.3 * np.sin(np.arange(48) * 2 * np.pi / 12)
    phis = np.array([count_dispersion(rng.poisson(400 * season)).phi for _ in range(3000)])
    assert abs(phis.mean() - 1) < 3 * phis.std() / math.sqrt(phis.size)
    props = np.array(
        [
            proportion_dispersion(rng.binomial(80, 0.77, 48), np.full(48, 80.0)).phi
            for _ in range(3000)
        ]
    )
    assert abs(props.mean() - 1) < 3 * props.std() / math.sqrt(props.size)


def _ar1(rng, n, r, sd):
    e = np.zeros(n)
    e[0] = rng.normal(0, sd)
    for i in range(1, n):
        e[i] = r * e[i - 1] + rng.normal(0, sd * math.sqrt(1 - r * r))
    return e


def _false_alarms(rng, make, test, sims=1000):
    alarms = 0
    for _ in range(sims):
        alarms += test(*make(rng)) < 0.05
    return alarms / sims


def test_scaled_test_holds_its_size_on_autocorrelated_compliance():
    """Monthly compliance with an AR(1) wobble (r = 0.5, sd 2.5 points) on 13,000 contacts a
    month, no change: the plain score test on 12-month totals alarms in most series; scaled by
    phi from the baseline months centred overall (as the engine does for proportions) it stays
    near 5% (upper 99% bound here below 7.5%); centred per year, about 8%."""
    rng = np.random.default_rng(21)

    def make(rng):
        p = np.clip(0.9 + _ar1(rng, 48, 0.5, 0.025), 0, 1)
        return rng.binomial(13000, p), np.full(48, 13000.0)

    def plain(x, n):
        return two_proportion_test(x[36:].sum(), n[36:].sum(), x[24:36].sum(), n[24:36].sum())

    def scaled(x, n):
        # the baseline: before the tested year
        d = proportion_dispersion(x[:36], n[:36], centre="all")
        f = d.scale
        p = two_proportion_test(
            x[36:].sum() / f, n[36:].sum() / f, x[24:36].sum() / f, n[24:36].sum() / f
        )
        return d.p_value(p)

    assert _false_alarms(rng, make, plain, 300) > 0.5
    rate = _false_alarms(rng, make, scaled, 2500)
    upper = stats.beta.ppf(0.99, rate * 2500 + 1, 2500 - rate * 2500)
    assert upper < 0.075, rate


def test_scaled_count_test_keeps_size_and_most_power_on_poisson_counts():
    """Seasonal Poisson counts (500 a month): no change -> about 5% alarms; +8% in the last
    year -> found nearly as often as by the plain E-test (the pre-test rarely scales)."""
    rng = np.random.default_rng(22)
    season = 1 + 0.3 * np.sin(np.arange(48) * 2 * np.pi / 12)

    def run(effect, sims=600):
        hits_plain = hits_scaled = 0
        for _ in range(sims):
            mu = 500 * season
            mu[36:] *= effect
            y = rng.poisson(mu)
            k1, k2 = y[36:].sum(), y[24:36].sum()
            d = count_dispersion(y[:36])
            hits_plain += poisson_e_test(k1, 1, k2, 1) < 0.05
            hits_scaled += d.p_value(poisson_e_test(k1 / d.scale, 1, k2 / d.scale, 1)) < 0.05
        return hits_plain / sims, hits_scaled / sims

    _, null_rate = run(1.0)
    assert null_rate < 0.08
    plain, scaled = run(1.08)
    assert scaled > 0.8 * plain


def _same(a, b) -> bool:
    """Two Dispersions equal to the last bit (nan equal to nan)."""
    return all(
        x == y or (math.isnan(x) and math.isnan(y)) for x, y in [(a.phi, b.phi), (a.df, b.df)]
    )


def test_rows_estimated_together_equal_each_row_alone():
    rng = np.random.default_rng(7)
    months = 60
    counts = rng.poisson(rng.uniform(0.5, 400, size=(25, 1)), size=(25, months)).astype(float)
    counts[3] = 0.0  # no counts at all: no estimate
    counts[4, :30] = 0.0
    together = dispersion.count_dispersions(counts)
    assert [
        _same(a, dispersion.count_dispersion(c)) for a, c in zip(together, counts, strict=True)
    ] == [True] * 25
    assert math.isnan(together[3].phi) and not math.isnan(together[4].phi)
    for detrend in (False, True):
        got = dispersion.count_dispersions(counts, lags=3, detrend=detrend, months=24)
        alone = [dispersion.count_dispersion(c, lags=3, detrend=detrend, months=24) for c in counts]
        assert all(_same(a, b) for a, b in zip(got, alone, strict=True))

    n = rng.integers(0, 60, size=(25, months)).astype(float)
    n[5, ::7] = 0.0  # empty months: their pairs carry no difference
    n[6] = 0.0  # every month empty: no estimate
    x = np.floor(n * rng.uniform(0.2, 0.9, size=(25, 1)))
    x[7] = n[7]  # a rate of 1: no estimate
    before = np.minimum(x, np.floor(x * 0.9 + 1))
    for xb in (None, before):
        got = dispersion.proportion_dispersions(x, n, x_year_before=xb)
        alone = [
            dispersion.proportion_dispersion(
                x[i], n[i], x_year_before=None if xb is None else xb[i]
            )
            for i in range(25)
        ]
        assert all(_same(a, b) for a, b in zip(got, alone, strict=True))
        assert math.isnan(got[6].phi) and not math.isnan(got[5].phi)
        assert math.isnan(got[7].phi) == (xb is None)  # a rate of 1 a year before too


def test_a_rows_estimate_is_its_long_run_variance_computed_by_hand():
    rng = np.random.default_rng(3)
    s = rng.normal(size=(4, 36))
    for centre in ("all", "block"):
        got = dispersion.long_run_dispersions(s, centre=centre)
        for row, d in zip(s, got, strict=True):
            if centre == "all":
                r = row - row.mean()
            else:
                r = (row.reshape(3, 12) - row.reshape(3, 12).mean(axis=1, keepdims=True)).ravel()
            bracket = float(np.sum(r * r)) + 2.0 * sum(
                (1.0 - lag / 12.0) * float(np.sum(r[lag:] * r[:-lag])) for lag in range(1, 12)
            )
            expected, df = dispersion._null_moments(3, 12, 11, False, centre)
            assert d.phi == pytest.approx(bracket / expected, rel=1e-12) and d.df == df
