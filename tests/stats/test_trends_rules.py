"""The "trending" and "trend halted" readings (docs/methods.md 5.3-5.5) and their building
blocks - the Poisson GLM, the seasonal exposure of counts, the level-departure test - against
statsmodels and hand-worked series."""

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from forcestat.stats.spc import xmr
from forcestat.stats.trends import (
    level_departure,
    poisson_glm,
    poisson_slope,
    seasonal_exposure,
    trend,
    trend_halted,
)

# Five years of monthly counts from April 2015: a seasonal pattern (peak in July, low in
# February), months of 28-31 days, no trend, Poisson noise.
FIRST_MOY = 3  # April (month of year 0 = January)
DAYS_2015 = [30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28, 31]  # April 2015 .. March 2016
SEASON = np.array([0.9, 0.88, 0.95, 1.0, 1.05, 1.08, 1.12, 1.1, 1.02, 0.98, 0.96, 0.96])


def _days(n):
    # leap February 2016 and 2020 (index 10 and 58 from April 2015)
    d = np.array([DAYS_2015[i % 12] for i in range(n)], dtype=float)
    for i in range(n):
        if i % 12 == 10 and (2016 + i // 12) % 4 == 0:
            d[i] = 29
    return d


def _seasonal_counts(n=60, per_day=150.0, growth=0.0, seed=3):
    rng = np.random.default_rng(seed)
    moy = (FIRST_MOY + np.arange(n)) % 12
    mu = per_day * _days(n) * SEASON[moy] * np.exp(growth * np.arange(n))
    return rng.poisson(mu).astype(float), moy, _days(n)


# -- the Poisson GLM and the seasonal exposure ---------------------------------------------------


def test_poisson_glm_matches_statsmodels_with_month_dummies():
    y, moy, days = _seasonal_counts()
    x = np.column_stack([np.ones(60), np.arange(60) / 60.0, np.eye(12)[moy][:, 1:]])
    b, cov, mu, pearson = poisson_glm(y, x, np.log(days))
    ref = sm.GLM(y, x, family=sm.families.Poisson(), offset=np.log(days)).fit()
    assert b == pytest.approx(ref.params, rel=1e-8, abs=1e-10)
    assert cov == pytest.approx(ref.cov_params(), rel=1e-6, abs=1e-12)
    assert pearson == pytest.approx(ref.pearson_chi2, rel=1e-8)
    assert mu == pytest.approx(ref.fittedvalues, rel=1e-8)
    assert poisson_glm(np.zeros(5), np.ones((5, 1))) is None


def test_seasonal_exposure_is_days_times_the_glm_month_factors():
    y, moy, days = _seasonal_counts()
    e = seasonal_exposure(y, moy, days, fit_stop=48)
    # Independent: statsmodels GLM on the first 48 months, January as reference.
    x = np.column_stack(
        [np.ones(48), np.arange(48.0), (moy[:48, None] == np.arange(1, 12)).astype(float)]
    )
    ref = sm.GLM(y[:48], x, family=sm.families.Poisson(), offset=np.log(days[:48])).fit()
    s = np.concatenate([[0.0], ref.params[2:]])
    expected = days * np.exp(s[moy] - s.mean())
    assert e == pytest.approx(expected / expected.mean(), rel=1e-7)
    assert e.mean() == pytest.approx(1.0)
    # The factors recover the generating pattern (to sampling error: ~1.5% per factor).
    f = e / (days / days.mean())
    assert f[:12] / f[:12].mean() == pytest.approx(SEASON[moy[:12]] / SEASON.mean(), rel=0.04)


def test_seasonal_exposure_uses_month_length_only_without_two_years():
    y, moy, days = _seasonal_counts(n=23)
    assert seasonal_exposure(y, moy, days) == pytest.approx(days / days.mean())
    y, moy, days = _seasonal_counts(n=60)
    assert seasonal_exposure(y, moy, days, fit_stop=20) == pytest.approx(days / days.mean())
    with pytest.raises(ValueError):
        seasonal_exposure(y, moy, -days)
    # A calendar month that is always zero has no finite factor: month length only.
    sparse = np.where(moy == 0, 0.0, 3.0)
    assert seasonal_exposure(sparse, moy, days) == pytest.approx(days / days.mean())


# -- the level-departure test --------------------------------------------------------------------


def _design(n, cut, reference="continuation"):
    t = np.arange(n, dtype=float)
    if reference == "level":
        t = np.minimum(t, cut - 1)
    return np.column_stack([np.ones(n), t, (np.arange(n) >= cut).astype(float)])


def test_level_departure_ols_matches_statsmodels():
    rng = np.random.default_rng(11)
    y = 20 - 0.2 * np.arange(31) + rng.normal(0, 1, 31)
    y[24:] = y[23] + rng.normal(0, 1, 7)  # the fall stops at point 24
    for reference in ("continuation", "level"):
        d, p = level_departure(y, 24, kind="proportion", reference=reference)
        ref = sm.OLS(y, _design(31, 24, reference)).fit()
        assert d == pytest.approx(ref.params[2], rel=1e-9)
        assert p == pytest.approx(ref.pvalues[2], rel=1e-7)
    # a missing month is dropped
    y2 = y.copy()
    y2[5] = math.nan
    d, p = level_departure(y2, 24, kind="median")
    ref = sm.OLS(np.delete(y2, 5), np.delete(_design(31, 24), 5, axis=0)).fit()
    assert (d, p) == pytest.approx((ref.params[2], ref.pvalues[2]), rel=1e-7)


def test_level_departure_counts_match_statsmodels_quasi_poisson():
    y, moy, days = _seasonal_counts(n=31, growth=-0.01, seed=8)
    y[24:] = np.round(y[24:] * 1.15)  # recent months above the continued fall
    e = days / days.mean()
    d, p = level_departure(y, 24, kind="count", exposure=e)
    ref = sm.GLM(y, _design(31, 24), family=sm.families.Poisson(), offset=np.log(e))
    fit = ref.fit(scale="X2")
    assert d == pytest.approx(fit.params[2], rel=1e-7)
    if fit.scale > 1:
        assert p == pytest.approx(2 * stats.t.sf(abs(fit.tvalues[2]), 28), rel=1e-6)
    assert d > 0 and p < 0.05
    # Poisson-level noise: the dispersion is floored at 1, as in poisson_slope.
    flat = np.full(31, 100.0)
    flat[24:] = 100.0
    d, p = level_departure(flat, 24, kind="count")
    assert d == pytest.approx(0.0, abs=1e-9) and p == pytest.approx(1.0)
    d, p = level_departure([1.0, 2.0, 3.0], 2, kind="mean")
    assert math.isnan(d) and math.isnan(p)


# -- trending --------------------------------------------------------------------------------------

# Rising by about 1.5% a month with a dip every third month: no 7-point trend (dips) and no
# 7-point shift (six months either side of the mean), but a clearly significant slope.
RISING = [1000, 1040, 1020, 1060, 1080, 1070, 1110, 1130, 1120, 1160, 1180, 1170]
STABLE = [12, 10] * 7


def test_trend_from_significant_slope_without_spc_trend_or_shift():
    chart = xmr(RISING)
    assert not chart.rule_flags["trend"].any() and not chart.rule_flags["shift"].any()
    assert trend(RISING, kind="count") == "upwards"
    assert trend(RISING, kind="mean") == "upwards"  # Mann-Kendall
    assert trend(RISING[::-1], kind="count") == "downwards"
    # the slope window: only the last 6 points (flat) are tested
    flat_end = RISING + [1170] * 6
    assert trend(flat_end, kind="mean", spc=xmr(flat_end, baseline=6), slope_window=6) == "none"


def test_trend_none_for_noise():
    noise = [1000, 1040, 990, 1030, 1010, 1000, 1045, 985, 1020, 1005, 1030, 995]
    assert trend(noise, kind="count") == "none"
    assert trend(noise, kind="median") == "none"


def test_trend_from_a_current_spc_shift():
    # seven months below the mean, reaching the latest point: downwards
    values = STABLE + [10, 9.5, 10, 9.5, 10, 9.5, 10]
    chart = xmr(values, baseline=14)
    assert chart.rule_flags["shift"][-1] == -1
    assert trend(values, kind="mean", spc=chart) == "downwards"


def test_a_shift_that_has_ended_is_not_a_trend():
    # The same shift, then back to the old level: the shift no longer reaches the latest point
    # (the old rule counted any shift point among the last 12).
    values = STABLE + [10, 9.5, 10, 9.5, 10, 9.5, 10] + [12, 10, 12]
    chart = xmr(values, baseline=14)
    assert chart.rule_flags["shift"][-10:-3].all() and chart.rule_flags["shift"][-1] == 0
    assert trend(values, kind="mean", spc=chart, slope_window=10) == "none"


def test_an_old_shift_that_persists_is_a_new_level_not_a_trend():
    # Fourteen months below a fixed baseline's mean, flat (with the baseline's last point, 10, a
    # run of 15): the run began more than `recent` points ago, so it is a new level; with
    # `recent` = 15 it still counts.
    values = STABLE + [10, 9.5] * 7
    chart = xmr(values, baseline=14)
    assert (chart.rule_flags["shift"][-14:] == -1).all()
    assert trend(values, kind="mean", spc=chart, recent=12, slope_window=12) == "none"
    assert trend(values, kind="mean", spc=chart, recent=15, slope_window=12) == "downwards"


def test_trend_beats_shift_at_the_latest_point():
    # a rise while still below the mean: shift low and trend high on the same points
    values = STABLE + [7.6, 8, 8.4, 8.8, 9.2, 9.6, 10]
    chart = xmr(values, baseline=14)
    assert chart.rule_flags["shift"][-1] == -1 and chart.rule_flags["trend"][-1] == 1
    assert trend(values, kind="mean", spc=chart) == "upwards"


def test_seasonal_counts_are_not_a_trend_per_day_and_season():
    # Exactly the seasonal expectation (no noise, no change): the raw chart has a run of
    # falling months into the winter and a raw slope, the adjusted series is flat.
    n = 60
    moy = (FIRST_MOY + np.arange(n)) % 12
    days = _days(n)
    y = np.round(300 * days * SEASON[moy])
    raw = xmr(y)
    assert raw.rule_flags["trend"][-12:].any() or poisson_slope(y[-12:])[1] < 0.05
    e = seasonal_exposure(y, moy, days, fit_stop=36)
    assert trend(y, kind="count", exposure=e, slope_window=24) == "none"
    # ... while 1.5% a month of growth on top is found
    g = np.round(y * np.exp(0.015 * np.arange(n)))
    e = seasonal_exposure(g, moy, days, fit_stop=36)
    assert trend(g, kind="count", exposure=e, slope_window=24) == "upwards"


def test_trend_validates_input():
    with pytest.raises(ValueError):
        trend([1, 2, 3], kind="ratio")
    with pytest.raises(ValueError):
        trend([1, 2, 3], kind="count", spc=xmr([1, 2]))


# -- trend halted ----------------------------------------------------------------------------------

# 24 months falling 0.5 a month with alternating noise of +-0.3, then 7 months.
FALL = [30 - 0.5 * i + (0.3 if i % 2 else -0.3) for i in range(24)]
FLAT = [18.3, 17.7, 18.3, 17.7, 18.3, 17.7, 18.3]  # at the level where the fall stopped
STILL_FALLING = [30 - 0.5 * i + (0.3 if i % 2 else -0.3) for i in range(24, 31)]


def test_halted_after_a_long_fall_then_a_flat_stretch():
    values = FALL + FLAT
    chart = xmr(values)  # one baseline: the flat months sit far below the old mean
    assert (chart.rule_flags["shift"][-7:] == -1).all()  # a shift the old rule could not pass
    assert trend_halted(values, kind="proportion", spc=chart)
    assert not trend_halted(values, kind="proportion", spc=chart, direction="upwards")
    # the flat stretch is far above the continued fall: departure test by hand
    d, p = level_departure(values, 24, kind="proportion")
    assert d > 0 and p < 0.01


def test_not_halted_while_the_fall_continues():
    values = FALL + STILL_FALLING
    assert not trend_halted(values, kind="proportion")
    assert not trend_halted(values, kind="proportion", spc=xmr(values))


def test_not_halted_without_a_long_term_trend():
    rng = np.random.default_rng(2)
    values = list(20 + rng.normal(0, 0.5, 24)) + FLAT
    assert mann_kendall_p(values[:24]) >= 0.01
    assert not trend_halted(values, kind="mean")


def mann_kendall_p(v):
    from forcestat.stats.trends import mann_kendall

    return mann_kendall(v)[1]


def test_not_halted_with_a_short_history_or_a_recent_spc_trend():
    assert not trend_halted(FALL[-11:] + FLAT, kind="mean")  # fewer than 12 points before
    # seven recent points each lower than the last: a downward SPC trend, not a halt
    values = FALL + [19.9, 19.8, 19.7, 19.6, 19.5, 19.4, 19.3]
    chart = xmr(values)
    assert (chart.rule_flags["trend"][-7:] == -1).all()
    assert level_departure(values, 24, kind="mean")[0] > 0  # above the continued fall ...
    assert not trend_halted(values, kind="mean", spc=chart)  # ... but still falling


def test_halted_upwards_counts_with_exposure():
    rng = np.random.default_rng(4)
    mu = 200 * np.exp(0.03 * np.arange(31))
    mu[24:] = mu[23]  # growth stops
    y = rng.poisson(mu).astype(float)
    e = np.ones(31)
    assert trend_halted(y, kind="count", direction="upwards", exposure=e)
    assert not trend_halted(y, kind="count", direction="downwards", exposure=e)
    growing = rng.poisson(200 * np.exp(0.03 * np.arange(31))).astype(float)
    assert not trend_halted(growing, kind="count", direction="upwards")


def test_halted_validates_input():
    with pytest.raises(ValueError):
        trend_halted(FALL + FLAT, kind="mean", direction="sideways")
    with pytest.raises(ValueError):
        trend_halted(FALL + FLAT, kind="mean", halt_points=0)


def test_trending_only_while_the_latest_points_still_move_that_way():
    """The DA Alliance case: a rising series whose last months ran 26, 16, 10, 0 is not
    "trending upwards" any more; the same rise without the fall still is. A rise whose last
    three months eased (55, 52, 50 after 58) still has a significant slope: the rule alone
    makes it "none" (with the rule off, "upwards")."""
    from forcestat.stats.trends import reversing, trend

    rise = [2.0, 3, 3, 5, 6, 8, 9, 11, 13, 14, 17, 19, 21, 22, 24, 26]
    assert trend(rise, kind="mean", slope_window=12) == "upwards"
    assert trend([*rise, 16, 10, 0], kind="mean", slope_window=12) == "none"
    steady = [float(x) for x in range(2, 62, 4)]
    eased = [*steady, 55, 52, 50]
    assert reversing(eased, 1, 3)
    assert trend(eased, kind="mean", slope_window=12, reversal=0) == "upwards"
    assert trend(eased, kind="mean", slope_window=12) == "none"
    # Two falls are a wobble, not a reversal.
    assert not reversing([*steady, 55, 52], 1, 3)
    assert trend([*steady, 55, 52], kind="mean", slope_window=12) == "upwards"
