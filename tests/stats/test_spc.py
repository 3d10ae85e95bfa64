"""SPC against NHSRplotthedots' published snapshots and hand-worked series for each rule."""

import math

import numpy as np
import pytest

from forcestat.stats.spc import (
    laney_p_prime,
    laney_p_prime_rows,
    p_chart,
    spc_icon,
    xmr,
    xmr_rows,
)

# R: set.seed(123); rnorm(20): the series of NHSRplotthedots' test-ptd_spc_standard.R
RNORM_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774,
    1.71506499, 0.46091621, -1.26506123, -0.68685285, -0.44566197,
    1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113,
    1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip

# A stable baseline: mean 11, every moving range 2 -> limits 11 +/- 5.32 = 5.68 / 16.32,
# 2-sigma lines 11 +/- (2/3)(2.66)(2) = 7.4533 / 14.5467. It ends below the mean (10) so that
# runs appended after it start fresh.
BASE = [12, 10] * 7


def signals(result):
    return {
        i: (s, d) for i, (s, d) in enumerate(zip(result.signal, result.direction, strict=True)) if s
    }


# -- limits ------------------------------------------------------------------------------------


def test_limits_match_nhsrplotthedots_snapshot():
    # tests/testthat/_snaps/ptd_spc_standard.md, r1: mean 0.1416238, lpl -3.01138, upl 3.294627
    r = xmr(RNORM_123)
    assert r.mean[0] == pytest.approx(0.1416238, abs=1e-7)
    assert r.lcl[0] == pytest.approx(-3.01138, abs=1e-5)
    assert r.ucl[0] == pytest.approx(3.294627, abs=1e-6)
    assert signals(r) == {}


def test_screening_matches_nhsrplotthedots_snapshot():
    # Same snapshot, r2 / r3: y[15] <- 10, with and without screening of moving ranges.
    y = list(RNORM_123)
    y[14] = 10
    screened = xmr(y)
    assert screened.mean[0] == pytest.approx(0.6694159, abs=1e-7)
    assert (screened.lcl[0], screened.ucl[0]) == pytest.approx((-2.383666, 3.722497), abs=1e-6)
    raw = xmr(y, screen_moving_ranges=False)
    assert raw.mean[0] == pytest.approx(0.6694159, abs=1e-7)  # screening leaves the mean alone
    assert (raw.lcl[0], raw.ucl[0]) == pytest.approx((-4.596625, 5.935457), abs=1e-6)
    assert signals(screened) == {14: ("outside", "high")}


def test_limits_hand_worked():
    # sum 83 -> mean 83/13; moving ranges 2,1,2,2,1,2,1,2,1,1,1,2 -> 18/12 = 1.5;
    # limits mean +/- 2.66 * 1.5 = +/- 3.99; 2-sigma +/- 2.66; nothing screened (all < 4.9).
    y = [5, 7, 6, 8, 6, 7, 5, 6, 8, 7, 6, 5, 7]
    r = xmr(y)
    m = 83 / 13
    assert r.mean == pytest.approx([m] * 13)
    assert r.ucl == pytest.approx([m + 3.99] * 13)
    assert r.lcl == pytest.approx([m - 3.99] * 13)
    assert r.upper_2s == pytest.approx([m + 2.66] * 13)
    assert r.lower_2s == pytest.approx([m - 2.66] * 13)
    assert not r.trial_limits
    # the textbook constant 3/1.128 as an option
    assert xmr(y, constant=3 / 1.128).ucl[0] == pytest.approx(m + 3 / 1.128 * 1.5)


def test_screening_hand_worked():
    # moving ranges 1,1,2,1,29,29,1,2,1,1,1,1: mean 70/12 = 5.833, cut 3.267 * 5.833 = 19.06
    # drops both 29s -> 12/10 = 1.2. Mean of the values keeps the 40: 171/13.
    y = [10, 11, 10, 12, 11, 40, 11, 10, 12, 11, 10, 11, 12]
    r = xmr(y)
    assert r.mean[0] == pytest.approx(171 / 13)
    assert r.ucl[0] == pytest.approx(171 / 13 + 2.66 * 1.2)
    assert xmr(y, screen_moving_ranges=False).ucl[0] == pytest.approx(171 / 13 + 2.66 * 70 / 12)


def test_screening_is_strictly_below_the_cut():
    # moving ranges 0 x 11 and 12: mean 1, cut 3.267 -> 12 dropped -> mean moving range 0
    # (NHSRplotthedots' screening, screen_fallback=False).
    y = [5] * 12 + [17]
    r = xmr(y, screen_fallback=False)
    assert r.ucl[0] == pytest.approx(r.mean[0])
    assert r.screening == ("screened",)
    # By default a screening that leaves a mean moving range of 0 falls back to the
    # unscreened one: mean 77/13, limits 77/13 +/- 2.66 * 1.
    r = xmr(y)
    assert r.screening == ("fallback",)
    assert (r.ucl[0], r.lcl[0]) == pytest.approx((77 / 13 + 2.66, 77 / 13 - 2.66))


def test_flat_series_has_zero_width_limits_not_nan():
    r = xmr([4.0] * 15)
    assert r.ucl[0] == r.lcl[0] == 4.0
    assert signals(r) == {}


def test_baseline_fixes_limits_to_first_points():
    y = BASE + [30, 31, 29, 30]
    r = xmr(y, baseline=14)
    assert r.mean == pytest.approx([11.0] * 18)
    assert r.ucl == pytest.approx([16.32] * 18)
    assert all(signals(r)[i] == ("outside", "high") for i in range(14, 18))


def test_rebase_starts_new_limits():
    # segment 1: 12,10 x 7 -> mean 11, limits 11 +/- 5.32; segment 2: 22,20 x 7 -> 21 +/- 5.32
    y = BASE + [22, 20] * 7
    r = xmr(y, rebase_at=[14])
    assert r.mean == pytest.approx([11.0] * 14 + [21.0] * 14)
    assert r.ucl == pytest.approx([16.32] * 14 + [26.32] * 14)
    assert list(r.segment) == [0] * 14 + [1] * 14
    assert signals(r) == {}
    # without the rebase the step change is special cause
    assert signals(xmr(y))
    # rebase indices at/before the start or past the end change nothing
    assert np.array_equal(xmr(y, rebase_at=[0, 99]).ucl, xmr(y).ucl)


def test_rebase_segments_do_not_share_runs():
    # Six points above the first segment's mean, then a rebase at index 20 whose first point is
    # also above: one run of seven without the rebase, two short runs with it.
    y = BASE + [12.5] * 7 + [5, 7, 6, 8] * 3
    assert xmr(y, baseline=14).rule_flags["shift"][14:21].tolist() == [1] * 7
    rebased = xmr(y, baseline=14, rebase_at=[20])
    assert rebased.rule_flags["shift"].tolist() == [0] * len(y)


def test_trial_limits_below_13_points():
    assert xmr(RNORM_123[:12]).trial_limits
    assert not xmr(RNORM_123[:13]).trial_limits
    r = xmr(BASE + [22, 20] * 3, rebase_at=[14])
    assert list(r.trial) == [False] * 14 + [True] * 6
    assert xmr(RNORM_123, baseline=12).trial_limits
    assert xmr(RNORM_123[:12], min_points=12).trial_limits is False


# -- rules -------------------------------------------------------------------------------------


def test_shift_of_seven_but_not_six():
    seven = xmr(BASE + [12, 12.5, 12, 12.5, 12, 12.5, 12], baseline=14)
    assert signals(seven) == {i: ("shift", "high") for i in range(14, 21)}
    six = xmr(BASE + [12, 12.5, 12, 12.5, 12, 12.5, 9], baseline=14)
    assert signals(six) == {}
    below = xmr(BASE[::-1] + [10, 9.5, 10, 9.5, 10, 9.5, 10], baseline=14)
    assert signals(below) == {i: ("shift", "low") for i in range(14, 21)}


def test_point_on_the_mean_breaks_a_shift():
    r = xmr(BASE + [12, 12.5, 12, 12.5, 12, 12.5, 11, 12.5, 12, 12.5, 12, 12.5, 12], baseline=14)
    assert signals(r) == {}


def test_shift_length_parameter():
    r = xmr(BASE + [12, 12.5, 12, 12.5, 12, 12.5, 9], baseline=14, shift_length=6)
    assert signals(r) == {i: ("shift", "high") for i in range(14, 20)}


def test_trend_of_seven_but_not_six():
    # 12 (end of base) down to 9, then 9 -> 12 in six rises: seven points, no shift (11 is the
    # mean), nothing beyond 2 sigma.
    seven = xmr(BASE + [9, 9.5, 10, 10.5, 11, 11.5, 12], baseline=14)
    assert signals(seven) == {i: ("trend", "high") for i in range(14, 21)}
    six = xmr(BASE + [9.5, 10, 10.5, 11, 11.5, 12], baseline=14)
    assert signals(six) == {}
    down = xmr(BASE[::-1] + [13, 12.5, 12, 11.5, 11, 10.5, 10], baseline=14)
    assert signals(down) == {i: ("trend", "low") for i in range(14, 21)}


def test_tie_breaks_a_trend():
    r = xmr(BASE + [9, 9.5, 10, 10, 10.5, 11, 11.5, 12], baseline=14)
    assert signals(r) == {}


def test_trend_direction_at_a_shared_peak_follows_the_later_trend():
    # up 7 (indices 14-20), then down 7 sharing the peak at 20: NHSRplotthedots labels the
    # peak with the right-hand (later) direction.
    y = BASE + [9, 9.5, 10, 10.5, 11, 11.5, 12, 11.6, 11.2, 10.8, 10.4, 10.0, 9.6]
    r = xmr(y, baseline=14)
    assert r.direction[19] == "high"
    assert r.direction[20] == "low"
    assert r.signal[26] == "trend" and r.direction[26] == "low"


def test_nhsrplotthedots_trend_unit_examples():
    # ptd_seven_point_trend(c(1:3, 3:6)) finds no trend (a tie); 1:7 finds one.
    flat = dict(baseline=None, min_points=1)
    assert xmr([1, 2, 3, 3, 4, 5, 6], **flat).rule_flags["trend"].tolist() == [0] * 7
    assert xmr([1, 2, 3, 4, 5, 6, 7], **flat).rule_flags["trend"].tolist() == [1] * 7
    assert xmr([2, 1, 2, 3, 4, 5, 6, 7, 3], **flat).rule_flags["trend"].tolist() == [0] + [
        1
    ] * 7 + [0]


def test_two_of_three_beyond_two_sigma():
    r = xmr(BASE + [15, 13, 15], baseline=14)
    assert signals(r) == {14: ("two_of_three", "high"), 16: ("two_of_three", "high")}
    low = xmr(BASE + [7, 9, 7], baseline=14)
    assert signals(low) == {14: ("two_of_three", "low"), 16: ("two_of_three", "low")}
    # one point beyond 2 sigma in three is not enough
    assert signals(xmr(BASE + [15, 13, 12, 15], baseline=14)) == {}


def test_two_of_three_needs_all_three_on_the_same_side():
    # NHSRplotthedots requires abs(sum(sign)) == 3 over the window
    assert signals(xmr(BASE + [15, 10, 15], baseline=14)) == {}


def test_nhsrplotthedots_symmetric_two_of_three_example():
    # test-ptd_spc_standard.R: c(1, -1) x 8 with the last two set to 5.5 and -5.5
    y = [1, -1] * 8
    y[14], y[15] = 5.5, -5.5
    r = xmr(y)
    assert r.signal[-2:] == (None, None)


def test_two_of_three_point_beyond_the_limit_does_not_count_by_default():
    y = BASE + [15, 17, 13]
    default = xmr(y, baseline=14)
    assert signals(default) == {15: ("outside", "high")}
    nhse = xmr(y, baseline=14, two_of_three_counts_outside=True)
    assert signals(nhse) == {14: ("two_of_three", "high"), 15: ("outside", "high")}
    assert nhse.rule_flags["two_of_three"][15] == 1  # counted, but outranked by "outside"


def test_priority_outside_over_trend_over_two_of_three_over_shift():
    # Rising run above the mean: 7 points each higher (trend) and on one side (shift); the last
    # two beyond 2 sigma (two of three) and the last beyond the limit (outside).
    y = BASE + [11.5, 12, 12.5, 13, 13.5, 15, 17]
    r = xmr(y, baseline=14)
    assert r.signal[14:] == ("trend",) * 6 + ("outside",)
    assert r.rule_flags["shift"][14:].tolist() == [1] * 7
    assert r.rule_flags["trend"][14:].tolist() == [1] * 7
    # Two of three against shift: a flat run above the mean with two points beyond 2 sigma.
    y = BASE + [12, 15, 12, 15, 12, 12.5, 12]
    r = xmr(y, baseline=14)
    assert r.signal[14:] == (
        "shift",
        "two_of_three",
        "shift",
        "two_of_three",
        "shift",
        "shift",
        "shift",
    )


def test_missing_values_break_runs_and_never_signal():
    y = BASE + [12, 12.5, 12, math.nan, 12.5, 12, 12.5, 12]
    r = xmr(y, baseline=14)
    assert signals(r) == {}
    assert r.ucl[0] == pytest.approx(16.32)


# -- icons -------------------------------------------------------------------------------------


def test_icons_for_the_last_point():
    up = xmr(BASE + [12, 12.5, 12, 12.5, 12, 12.5, 12], baseline=14)
    assert spc_icon(up, "higher_is_better") == "improvement"
    assert spc_icon(up, "lower_is_better") == "concern"
    assert spc_icon(up, "neutral") == "neutral"
    down = xmr(BASE + [9, 15, 14, 13, 12, 11, 10, 9.5], baseline=14)
    assert down.signal[-1] == "trend" and down.direction[-1] == "low"
    assert spc_icon(down, "higher_is_better") == "concern"
    assert spc_icon(down, "lower_is_better") == "improvement"


def test_icon_looks_only_at_the_last_point():
    # a shift that has ended: special cause earlier, common cause now
    r = xmr(BASE + [12, 12.5, 12, 12.5, 12, 12.5, 12, 10], baseline=14)
    assert r.signal[-2] == "shift"
    assert spc_icon(r, "higher_is_better") == "common_cause"


def test_icon_none_for_trial_limits_or_empty():
    assert spc_icon(xmr(RNORM_123[:12]), "neutral") == "none"
    assert spc_icon(xmr(RNORM_123[:12]), "neutral", allow_trial=True) == "common_cause"
    assert spc_icon(xmr([]), "neutral") == "none"
    assert spc_icon(xmr(RNORM_123[:13]), "neutral") == "common_cause"
    with pytest.raises(ValueError):
        spc_icon(xmr(RNORM_123), "up")


# -- p and P' charts ---------------------------------------------------------------------------


def test_p_chart_hand_worked():
    # x = 20, 30, 25 of n = 100, 200, 100: p-bar = 75/400 = 0.1875;
    # sigma_i = sqrt(0.1875 * 0.8125 / n) = 0.0390312375 (n = 100), 0.0275992527 (n = 200)
    r = p_chart([20, 30, 25], [100, 200, 100])
    assert r.mean == pytest.approx([0.1875] * 3)
    s100, s200 = 0.0390312375, 0.0275992527
    assert r.ucl == pytest.approx([0.1875 + 3 * s100, 0.1875 + 3 * s200, 0.1875 + 3 * s100])
    assert r.lcl == pytest.approx([0.1875 - 3 * s100, 0.1875 - 3 * s200, 0.1875 - 3 * s100])
    assert r.upper_2s[1] == pytest.approx(0.1875 + 2 * s200)
    assert r.method == "p"


def test_p_chart_limits_are_clipped_to_zero_and_one():
    r = p_chart([1, 0, 2], [10, 10, 10])
    assert r.lcl[0] == 0.0
    assert p_chart([9, 10, 10], [10, 10, 10]).ucl[0] == 1.0


def test_laney_hand_worked_equal_n():
    # x = 40, 60, 50, 70, 30 of 200: p = .20 .30 .25 .35 .15, p-bar = .25,
    # sigma_p = sqrt(.25 * .75 / 200) = 0.0306186; z = -1.63299, 1.63299, 0, 3.26599, -3.26599;
    # moving ranges 3.26599, 1.63299, 3.26599, 6.53197 -> mean 3.674235 -> sigma_z = 3.257300;
    # UCL = .25 + 3 * 0.0306186 * 3.257300 = 0.549203; LCL = .25 - 0.299203 < 0 -> 0.
    r = laney_p_prime([40, 60, 50, 70, 30], [200] * 5)
    assert r.method == "p_prime"
    assert r.sigma_z[0] == pytest.approx(3.257300, abs=1e-6)
    assert r.ucl[0] == pytest.approx(0.549203, abs=1e-6)
    assert r.lcl[0] == 0.0
    # With equal n, P' is the XmR chart of the proportions with constant 3/1.128 (Laney 2002).
    xr = xmr([0.20, 0.30, 0.25, 0.35, 0.15], constant=3 / 1.128, screen_moving_ranges=False)
    assert r.ucl[0] == pytest.approx(xr.ucl[0])


def test_laney_hand_worked_unequal_n():
    # x = 10, 45, 24, 50 of n = 100, 200, 120, 250: p-bar = 129/670 = 0.1925373;
    # sigma_i = sqrt(p-bar (1 - p-bar) / n_i) = 0.0394293, 0.0278807, 0.0359938, 0.0249373;
    # z = -2.346920, 1.164343, 0.207332, 0.299259; |dz| = 3.511262, 0.957010, 0.091926
    # -> mean 1.520066 -> sigma_z = 1.520066 / 1.128 = 1.347576;
    # UCL_1 = 0.1925373 + 3 * 0.0394293 * 1.347576 = 0.351939; LCL_1 = 0.033135
    r = laney_p_prime([10, 45, 24, 50], [100, 200, 120, 250])
    assert r.method == "p_prime"
    assert r.sigma_z[0] == pytest.approx(1.347576, abs=1e-6)
    assert r.mean[0] == pytest.approx(129 / 670)
    assert r.ucl[0] == pytest.approx(0.351939, abs=1e-6)
    assert r.lcl[0] == pytest.approx(0.033135, abs=1e-6)
    assert r.trial_limits


def test_laney_falls_back_to_p_chart():
    # no between-month variation -> sigma_z = 0 -> p chart
    same = laney_p_prime([20, 40, 30], [100, 200, 150])
    assert same.method == "p" and same.sigma_z[0] == 0.0
    assert same.ucl == pytest.approx(p_chart([20, 40, 30], [100, 200, 150]).ucl)
    # small subgroups (mean n < 50) -> p chart even when sigma_z > 1
    small = laney_p_prime([1, 9, 2, 10], [20, 20, 20, 20])
    assert small.sigma_z[0] > 1 and small.method == "p"
    assert laney_p_prime([1, 9, 2, 10], [20] * 4, small_n=10).method == "p_prime"


def test_laney_overdispersed_limits_wider_than_p_chart_and_rules_apply():
    rng = np.random.default_rng(3)
    n = np.full(24, 2000)
    p = np.clip(0.3 + rng.normal(0, 0.03, 24), 0, 1)
    x = rng.binomial(n, p)
    prime, plain = laney_p_prime(x, n), p_chart(x, n)
    assert prime.method == "p_prime" and prime.sigma_z[0] > 1
    assert np.all(prime.ucl - prime.mean > plain.ucl - plain.mean)
    assert sum(s == "outside" for s in prime.signal) < sum(s == "outside" for s in plain.signal)


def test_proportion_charts_treat_empty_months_as_missing():
    r = p_chart([10, 0, 12, 11], [100, 0, 100, 100])
    assert math.isnan(r.values[1]) and r.signal[1] is None
    assert r.mean[0] == pytest.approx(33 / 300)


# -- many charts at once (the engine draws every unit of a breakdown together) -------------------


def _same_chart(a, b):
    assert a.signal == b.signal and a.direction == b.direction
    for rule in a.rule_flags:
        np.testing.assert_array_equal(a.rule_flags[rule], b.rule_flags[rule])
    for field in ("values", "mean", "ucl", "lcl", "upper_2s", "lower_2s"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=1e-12)
    np.testing.assert_array_equal(a.trial, b.trial)
    assert (a.method, a.segment_methods, a.screening) == (b.method, b.segment_methods, b.screening)
    np.testing.assert_allclose(a.sigma_z, b.sigma_z, rtol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_xmr_rows_are_each_row_charted_alone(seed):
    rng = np.random.default_rng(seed)
    y = rng.poisson(rng.choice([3, 40, 600], size=(25, 1)), size=(25, 50)).astype(float)
    y[rng.random(y.shape) < 0.05] = np.nan
    y[5:7] = rng.poisson(40, size=(2, 50))
    y[3] = 7.0  # a flat row: nothing to screen
    y[4, :] = np.nan  # no data at all
    y[5, 20:] += 300  # a step: shifts and points outside
    y[6, 10:17] = np.arange(7) * 100  # a trend
    kw = {"baseline": 20 if seed % 2 else None, "rebase_at": [35] if seed % 3 else []}
    together = xmr_rows(y, **kw)
    assert len(together) == 25
    for row, chart in zip(y, together, strict=True):
        _same_chart(chart, xmr(row, **kw))
    assert {"shift", "outside"} & set(together[5].signal)
    assert (together[6].rule_flags["trend"][10:17] == 1).all()


def test_runs_do_not_cross_rows():
    # Row 0 ends with four points above its mean, row 1 starts with four above its own: neither
    # is a run of seven.
    y = np.array([[1.0] * 10 + [5.0] * 4, [5.0] * 4 + [1.0] * 10])
    for chart in xmr_rows(y, shift_length=7):
        assert "shift" not in chart.signal


@pytest.mark.parametrize("seed", range(4))
def test_laney_rows_are_each_row_charted_alone(seed):
    rng = np.random.default_rng(100 + seed)
    n = rng.integers(20, 400, size=(18, 40)).astype(float)
    n[rng.random(n.shape) < 0.05] = 0.0
    p = np.clip(rng.normal(0.3, 0.05, size=(18, 1)) + rng.normal(0, 0.04, size=n.shape), 0, 1)
    x = np.round(n * p)
    x[2] = 0.0  # p-bar 0: the plain p chart
    n[3] = 0.0
    x[3] = 0.0  # no subgroup at all
    kw = {"baseline": 24 if seed % 2 else None, "rebase_at": [30] if seed % 3 else []}
    together = laney_p_prime_rows(x, n, **kw)
    for xi, ni, chart in zip(x, n, together, strict=True):
        _same_chart(chart, laney_p_prime(xi, ni, **kw))
    assert {c.method for c in together} >= {"p", "p_prime"}
