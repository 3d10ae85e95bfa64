"""The rules value, exclusions, the AR(1) reading, attribute and run charts, icons and assurance:
hand-worked series, independent numpy/statsmodels calculations and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import linalg, stats

from forcestat.stats import spc, trends

BASE = [12, 10] * 7  # mean 11, every moving range 2: limits 11 +/- 5.32


def test_rules_are_one_hashable_value_and_validated():
    a = spc.SpcRules(rebase_at=[12, 24], exclude=np.array([3]))
    assert a == spc.SpcRules(rebase_at=(12, 24), exclude=(3,)) and hash(a) == hash(a.replace())
    assert a.replace(shift_length=8).shift_length == 8 and a.shift_length == 7
    for bad in (
        {"baseline": 0},
        {"shift_length": 1},
        {"min_points": 0},
        {"laney": "sometimes"},
        {"trial_count": "all"},
        {"autocorrelation": "ar2"},
    ):
        with pytest.raises(ValueError):
            spc.SpcRules(**bad)
    # The one-chart functions take the value, its fields as keywords, or both.
    y = BASE + [30.0]
    rules = spc.SpcRules(baseline=14)
    assert spc.xmr(y, rules).signal == spc.xmr(y, baseline=14).signal
    three = BASE + [13.0] * 3
    assert not spc.xmr(three, rules).rule_flags["shift"].any()
    assert spc.xmr(three, rules, shift_length=3).rule_flags["shift"][14:].tolist() == [1] * 3


def test_exclusions_leave_points_out_of_the_limits_but_not_the_chart():
    # 12, 10 alternating with a 40 at index 6: excluded, the mean and the moving ranges come
    # from the other 13 points, the moving range across the gap joining index 5 to index 7
    # (qicharts2 takes diff() of the included values).
    y = [12.0, 10.0, 12.0, 10.0, 12.0, 10.0, 40.0, 10.0, 12.0, 10.0, 12.0, 10.0, 12.0, 10.0]
    r = spc.xmr(y, exclude=[6])
    kept = [v for i, v in enumerate(y) if i != 6]
    mr = np.abs(np.diff(kept))
    assert r.mean[0] == pytest.approx(np.mean(kept))
    assert r.ucl[0] == pytest.approx(np.mean(kept) + 2.66 * mr.mean())
    assert r.signal[6] == "outside" and r.excluded.tolist() == [i == 6 for i in range(14)]
    # The excluded point counts for no trial-limit basis: 13 points used, not 14.
    assert not r.trial_limits and spc.xmr(y, exclude=[6, 7]).trial_limits


def _ar1(rng, n, rho, sd=1.0, rows=1):
    e = np.zeros((rows, n))
    shocks = rng.normal(0, sd, (rows, n))
    for t in range(n):
        e[:, t] = (rho * e[:, t - 1] if t else shocks[:, 0] / math.sqrt(1 - rho * rho)) + (
            shocks[:, t] if t else 0
        )
    return e


def test_ar1_chart_hand_worked():
    """With significant lag-1 autocorrelation the centre line is the one-step forecast
    mean + rho (y_(t-1) - mean) and the limits 2.66 x the mean moving range of the forecast
    errors; rho is the lag-1 autocorrelation about the least-squares line (numpy here)."""
    rng = np.random.default_rng(4)
    y = 50 + _ar1(rng, 48, 0.7)[0]
    r = spc.xmr(y, autocorrelation="ar1")
    t = np.arange(48.0)
    resid = y - np.polyval(np.polyfit(t, y, 1), t)
    rho = float(resid[1:] @ resid[:-1] / (resid @ resid))
    assert r.ar1[0] == pytest.approx(rho, rel=1e-10)
    mean = y.mean()
    forecast = np.r_[mean, mean + rho * (y[:-1] - mean)]
    assert r.mean == pytest.approx(forecast, rel=1e-12)
    mr = np.abs(np.diff(y - forecast))
    assert mr.max() < 3.267 * mr.mean()  # nothing to screen in this series
    assert r.ucl - r.mean == pytest.approx(np.full(48, 2.66 * mr.mean()), rel=1e-10)
    assert r.level == pytest.approx(np.full(48, mean))
    # Without the setting, or without autocorrelation, the chart is the plain XmR.
    assert spc.xmr(y).mean == pytest.approx(np.full(48, mean))
    white = 50 + rng.normal(size=48)
    plain, ar = spc.xmr(white), spc.xmr(white, autocorrelation="ar1")
    if math.isnan(ar.ar1[0]):
        assert np.array_equal(plain.ucl, ar.ucl)


def test_ar1_significance_cut():
    # Significant when rho > z_(1-alpha) / sqrt(n): 1.645 / sqrt(48) = 0.237 at 5%.
    rng = np.random.default_rng(8)
    hits = [
        not math.isnan(spc.xmr(rng.normal(size=48), autocorrelation="ar1").ar1[0])
        for _ in range(400)
    ]
    # The lag-1 autocorrelation about a fitted line is biased low for white noise, so at or
    # under the nominal 5%.
    assert 0.005 <= np.mean(hits) <= 0.07


def test_ar1_reading_calibrates_special_cause_on_autocorrelated_series():
    """AR(1) rho = 0.5, 60 months: a special cause at the latest point (any rule) in far more
    than the ~5% of independent months on the plain chart; about that with the AR(1) reading."""
    rng = np.random.default_rng(21)
    y = 100 + _ar1(rng, 60, 0.5, rows=600)
    plain = spc.xmr_rows(y)
    ar = spc.xmr_rows(y, autocorrelation="ar1")
    rate = lambda charts: np.mean([c.signal[-1] is not None for c in charts])  # noqa: E731
    assert rate(plain) > 0.09
    assert rate(ar) < 0.065


def test_ar1_p_prime_chart_forecasts_z():
    rng = np.random.default_rng(5)
    n = np.full(48, 2000.0)
    p = np.clip(0.6 + 0.03 * _ar1(rng, 48, 0.7)[0], 0, 1)
    x = np.round(n * p)
    r = spc.laney_p_prime(x, n, autocorrelation="ar1")
    pbar = x.sum() / n.sum()
    sigma = math.sqrt(pbar * (1 - pbar) / 2000)
    z = (x / n - pbar) / sigma
    assert r.method == "p_prime" and math.isfinite(r.ar1[0])
    rho = r.ar1[0]
    zf = np.r_[0.0, rho * z[:-1]]
    assert r.mean == pytest.approx(pbar + sigma * zf, rel=1e-10)
    sigma_z = np.abs(np.diff(z - zf)).mean() / 1.128
    assert r.sigma_z[0] == pytest.approx(sigma_z, rel=1e-10)
    assert r.ucl - r.mean == pytest.approx(np.full(48, 3 * sigma * sigma_z), rel=1e-10)


def test_rows_functions_equal_the_one_chart_functions():
    rng = np.random.default_rng(2)
    counts = rng.poisson(20, size=(6, 30)).astype(float)
    exposure = rng.integers(28, 32, size=(6, 30)).astype(float)
    for row, c, _u, run in zip(
        counts,
        spc.c_chart_rows(counts, exclude=[3]),
        spc.u_chart_rows(counts, exposure, rebase_at=[15]),
        spc.run_chart_rows(counts),
        strict=True,
    ):
        assert np.array_equal(c.ucl, spc.c_chart(row, exclude=[3]).ucl)
        assert np.array_equal(run.mean, spc.run_chart(row).mean)
    ex = exposure[0]
    assert np.array_equal(
        spc.u_chart_rows(counts, exposure, rebase_at=[15])[0].lcl,
        spc.u_chart(counts[0], ex, rebase_at=[15]).lcl,
    )


def test_u_chart_by_hand_with_varying_exposure():
    x = np.array([4.0, 9, 6, 3, 8])
    n = np.array([2.0, 3, 2.5, 1.5, 3])
    ubar = x.sum() / n.sum()
    r = spc.u_chart(x, n)
    assert r.values == pytest.approx(x / n)
    assert r.ucl == pytest.approx(ubar + 3 * np.sqrt(ubar / n))
    assert r.lcl == pytest.approx(np.maximum(0, ubar - 3 * np.sqrt(ubar / n)))


def test_run_chart_icon_from_a_long_run_or_few_crossings():
    rng = np.random.default_rng(1)
    flat = rng.normal(size=30)
    assert spc.spc_icon(spc.run_chart(flat), "higher_is_better") == "common_cause"
    shifted = np.r_[rng.normal(size=15), rng.normal(size=15) + 4]
    assert spc.spc_icon(spc.run_chart(shifted), "higher_is_better") == "improvement"
    assert spc.spc_icon(spc.run_chart(shifted), "lower_is_better") == "concern"
    # Few crossings but no run over the limit (7 for 20 points): two runs of 5 and 5 per side.
    y = np.array([1, 1, 1, 1, 1, -1, -1, -1, -1, -1] * 2, dtype=float)
    r = spc.run_chart(y)
    assert r.runs[0].crossings_signal and not r.runs[0].long_run_signal
    assert r.signal[-1] is None
    assert spc.spc_icon(r, "higher_is_better") == "concern"  # the latest points are below
    assert spc.assurance(r, "higher_is_better", 0.0) == "none"  # no limits


def test_assurance_reads_process_limits_of_an_ar1_chart():
    """With an AR(1) the forecast limits are narrower than the process spread: assurance reads
    level +/- half-width / sqrt(1 - rho^2)."""
    rng = np.random.default_rng(4)
    y = 50 + _ar1(rng, 48, 0.7)[0]
    r = spc.xmr(y, autocorrelation="ar1")
    rho = r.ar1[0]
    half = (r.ucl[-1] - r.mean[-1]) / math.sqrt(1 - rho * rho)
    lo, hi = spc.process_limits(r)
    assert (lo, hi) == pytest.approx((y.mean() - half, y.mean() + half))
    assert spc.assurance(r, "higher_is_better", lo - 0.01) == "consistent_pass"
    assert spc.assurance(r, "higher_is_better", hi + 0.01) == "consistent_fail"
    assert spc.assurance(r, "higher_is_better", y.mean()) == "inconsistent"
    # Trial limits give no assurance unless asked.
    short = spc.xmr(y[:10])
    assert spc.assurance(short, "higher_is_better", 100.0) == "none"
    assert spc.assurance(short, "higher_is_better", 100.0, allow_trial=True) == "consistent_fail"


# -- trends allowing for autocorrelation ------------------------------------------------------


def test_ar1_design_effect_by_hand():
    # n = 3, rho = 0.5: 1 + 2 [(2/3)(0.5) + (1/3)(0.25)] = 11/6.
    assert trends.ar1_design_effect(3, 0.5) == pytest.approx(11 / 6)
    assert trends.ar1_design_effect(24, None) == trends.ar1_design_effect(24, -0.3) == 1.0
    # Large n: (1 + rho) / (1 - rho).
    assert trends.ar1_design_effect(100000, 0.5) == pytest.approx(3.0, rel=1e-3)


def test_mann_kendall_with_rho_scales_the_variance():
    rng = np.random.default_rng(3)
    x = rng.normal(size=24) + 0.05 * np.arange(24)
    z0, _ = trends.mann_kendall(x)
    z1, p1 = trends.mann_kendall(x, rho=0.4)
    assert z1 == pytest.approx(z0 / math.sqrt(trends.ar1_design_effect(24, 0.4)))
    assert p1 == pytest.approx(2 * stats.norm.sf(abs(z1)))
    zs, ps = trends.mann_kendalls(np.vstack([x, x]), rho=np.array([0.4, np.nan]))
    assert zs.tolist() == pytest.approx([z1, z0])


def test_mann_kendall_with_rho_holds_its_size_on_ar1_series():
    rng = np.random.default_rng(9)
    y = _ar1(rng, 24, 0.5, rows=2000)
    _, p_plain = trends.mann_kendalls(y)
    _, p_ar = trends.mann_kendalls(y, rho=np.full(2000, 0.5))
    assert (p_plain < 0.05).mean() > 0.15
    assert (p_ar < 0.05).mean() < 0.07


def test_level_departure_with_rho_is_gls_with_ar1_errors():
    """Prais-Winsten with a known rho is generalised least squares with covariance
    rho^|i - j| (statsmodels' GLS), t on n - 3 df."""
    rng = np.random.default_rng(6)
    y = 10 + 0.05 * np.arange(31) + _ar1(rng, 31, 0.6)[0]
    y[24:] += 1.0
    rho = 0.6
    d, p = trends.level_departure(y, 24, kind="mean", rho=rho)
    n = 31
    t = (np.arange(n) - (n - 1) / 2) / n
    x = np.column_stack([np.ones(n), t, (np.arange(n) >= 24).astype(float)])
    sigma = linalg.toeplitz(rho ** np.arange(n))
    fit = sm.GLS(y, x, sigma=sigma).fit()
    assert d == pytest.approx(fit.params[2], rel=1e-9)
    assert p == pytest.approx(2 * stats.t.sf(abs(fit.tvalues[2]), n - 3), rel=1e-7)
