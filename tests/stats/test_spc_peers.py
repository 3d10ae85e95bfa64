"""SPC against the two peers' own published examples, at the precision each prints.

NHSRplotthedots (nhs-r-community/NHSRplotthedots): ``tests/testthat/_snaps/ptd_spc_standard.md``
and ``_snaps/ptd_spc.md`` (R's ``set.seed(123); rnorm(20)``), ``test-ptd_calculate_point_type.R``,
``test-ptd_calculate_assurance_type.R``, ``test-ptd_add_short_group_warnings.R``.
qicharts2 (anhoej/qicharts2): the vignette "Quality Improvement Charts" (runs limits, Appendix 2,
the ``summary()`` example), ``R/helper.functions.R`` and ``tests/testthat/test_montgomery.R``
on Montgomery's data sets (Introduction to Statistical Quality Control; the data as in qcc's
``data/orangejuice.txt``, ``circuit.txt``, ``pcmanufact.txt``), checked against the values the
textbook prints. Each case says where its expected figures come from.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from forcestat.stats import spc
from forcestat.stats.anhoej import runs_analysis, runs_limits

# R: set.seed(123); rnorm(20)
RNORM_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774,
    1.71506499, 0.46091621, -1.26506123, -0.68685285, -0.44566197,
    1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113,
    1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip

# Montgomery, Example 7.1 (orange juice cans, 30 samples of 50, then 24 after adjustment).
ORANGE_JUICE = [
    12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11, 20, 18, 24, 15, 9,
    12, 7, 13, 9, 6,
    9, 6, 12, 5, 6, 4, 6, 3, 7, 6, 2, 4, 3, 6, 5, 4, 8, 5, 6, 7, 5, 6, 3, 5,
]  # fmt: skip
# Montgomery, Example 7.3 (nonconformities in 26 samples of 100 printed circuit boards).
CIRCUIT = [
    21, 24, 16, 12, 15, 5, 28, 20, 31, 25, 20, 24, 16, 19, 10, 17, 13, 22, 18, 39, 30, 24, 16,
    19, 17, 15,
]  # fmt: skip
# Montgomery, Example 7.4 (nonconformities in 20 samples of 5 personal computers).
PC_MANUFACT = [10, 12, 8, 14, 10, 16, 11, 7, 10, 15, 9, 5, 7, 11, 12, 6, 8, 10, 7, 5]


def _rounded(x: float, digits: int) -> float:
    return round(x, digits)


# -- NHSRplotthedots ---------------------------------------------------------------------------


def test_nhsr_limits_snapshot():
    # _snaps/ptd_spc_standard.md: mean 0.1416238, lpl -3.01138, upl 3.294627.
    r = spc.xmr(RNORM_123, spc.NHSRPLOTTHEDOTS)
    assert (r.mean[0], r.lcl[0], r.ucl[0]) == pytest.approx(
        (0.1416238, -3.01138, 3.294627), abs=1e-6
    )
    assert set(r.signal) == {None}


def test_nhsr_screening_snapshot():
    # _snaps/ptd_spc_standard.md: y[15] <- 10, screened -2.383666 / 3.722497, unscreened
    # -4.596625 / 5.935457, mean 0.6694159 either way.
    y = list(RNORM_123)
    y[14] = 10.0
    screened = spc.xmr(y, spc.NHSRPLOTTHEDOTS)
    raw = spc.xmr(y, spc.NHSRPLOTTHEDOTS, screen_moving_ranges=False)
    assert (screened.lcl[0], screened.ucl[0]) == pytest.approx((-2.383666, 3.722497), abs=1e-6)
    assert (raw.lcl[0], raw.ucl[0]) == pytest.approx((-4.596625, 5.935457), abs=1e-6)
    assert screened.mean[0] == raw.mean[0] == pytest.approx(0.6694159, abs=1e-7)


def test_nhsr_facets_snapshot():
    # _snaps/ptd_spc.md, facets of 10 points: (0.0746, -2.60, 2.75) and (0.209, -3.28, 3.70),
    # printed to three significant figures; ten points are a short group (a warning).
    for half, (mean, lpl, upl) in ((RNORM_123[:10], (0.0746, -2.60, 2.75)),
                                   (RNORM_123[10:], (0.209, -3.28, 3.70))):  # fmt: skip
        r = spc.xmr(half, spc.NHSRPLOTTHEDOTS)
        assert float(f"{r.mean[0]:.3g}") == mean
        assert float(f"{r.lcl[0]:.3g}") == lpl
        assert float(f"{r.ucl[0]:.3g}") == upl
        assert r.trial_limits


def test_nhsr_rebase_before_the_data_changes_nothing():
    # _snaps/ptd_spc.md: rebase on 2020-01-01, before the first date: one group, same limits.
    r = spc.xmr(RNORM_123, spc.NHSRPLOTTHEDOTS, rebase_at=[0])
    assert set(r.segment) == {0}
    assert (r.lcl[0], r.ucl[0]) == pytest.approx((-3.01, 3.29), abs=0.005)


def test_nhsr_seven_point_one_side_of_the_mean():
    # test-ptd_calculate_point_type.R, ptd_seven_point_one_side_mean: six points on one side are
    # no shift; eight then one across: all eight belong to the shift (part_of_seven).
    base = [12, 10] * 7  # mean 11, limits fixed on these 14 points
    six = spc.xmr(base + [12.0] * 6 + [10.0], baseline=14)
    assert not six.rule_flags["shift"].any()
    eight = spc.xmr(base + [12.0] * 8 + [10.0], baseline=14)
    assert eight.rule_flags["shift"][14:22].tolist() == [1] * 8
    assert eight.rule_flags["shift"][22] == 0


@pytest.mark.parametrize(
    ("tail", "flagged"),
    [
        ([1, 2, 3, 3, 4, 5, 6], False),  # c(1:3, 3:6): a tie breaks the trend
        ([1, 2, 3, 4, 5, 6, 7], True),  # 1:7
        ([7, 6, 5, 4, 3, 2, 1], True),  # 7:1
    ],
)
def test_nhsr_seven_point_trend(tail, flagged):
    # test-ptd_calculate_point_type.R, ptd_seven_point_trend.
    r = spc.xmr([float(v) for v in tail])
    assert bool(r.rule_flags["trend"].any()) is flagged


def test_nhsr_two_in_three():
    # test-ptd_calculate_point_type.R, ptd_two_in_three / part_of: close-to-limit flags
    # c(0, 0, 1, 0, 1, 0, 0) (all on one side) flag points 3 and 5 only.
    base = [12, 10] * 7  # mean 11, 2-sigma line 14.5467, limit 16.32
    tail = [12.0, 12.0, 15.0, 12.0, 15.0, 12.0, 10.0]
    r = spc.xmr(base + tail, baseline=14)
    assert r.rule_flags["two_of_three"][14:].tolist() == [0, 0, 1, 0, 1, 0, 0]


def _chart_with_limits(segments: list[tuple[float, float]]) -> spc.XmrResult:
    """An XmR chart whose segments have limits exactly (lpl, upl): 20 points alternating
    mean +/- d with moving ranges 2d and 2.66 x 2d = (upl - lpl) / 2."""
    y: list[float] = []
    cuts = []
    for lpl, upl in segments:
        mean, d = (lpl + upl) / 2, (upl - lpl) / 4 / 2.66
        cuts.append(len(y))
        y += [mean + d, mean - d] * 10
    return spc.xmr(y, rebase_at=cuts[1:])


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        ("higher_is_better", ["consistent_fail", "consistent_pass", "inconsistent"]),
        ("lower_is_better", ["consistent_pass", "consistent_fail", "inconsistent"]),
        ("neutral", ["none", "none", "none"]),
    ],
)
def test_nhsr_assurance(direction, expected):
    # test-ptd_calculate_assurance_type.R: limits (1, 3), (5, 7), (1, 5) against target 4.
    got = [
        spc.assurance(_chart_with_limits([lim]), direction, 4.0)
        for lim in ((1.0, 3.0), (5.0, 7.0), (1.0, 5.0))
    ]
    assert got == expected


def test_nhsr_assurance_after_rebase_the_latest_segment_decides():
    # test-ptd_calculate_assurance_type.R, "when rebase" (decrease): the last group decides.
    a, b, c = (1.0, 3.0), (5.0, 7.0), (1.0, 5.0)
    assert spc.assurance(_chart_with_limits([a, b, c]), "lower_is_better", 4.0) == "inconsistent"
    assert spc.assurance(_chart_with_limits([b, c, a]), "lower_is_better", 4.0) == (
        "consistent_pass"
    )
    assert spc.assurance(_chart_with_limits([c, a, b]), "lower_is_better", 4.0) == (
        "consistent_fail"
    )


def test_nhsr_assurance_without_target_is_none():
    assert spc.assurance(spc.xmr(RNORM_123), "higher_is_better", None) == "none"


def test_nhsr_short_group_warnings():
    # test-ptd_add_short_group_warnings.R (threshold 12): 11 points warn, 12 do not; rebase
    # groups 35 / 5 / 20 / 20: only the group of five warns.
    peer = spc.NHSRPLOTTHEDOTS.replace(min_points=12)
    assert spc.xmr(RNORM_123[:11], peer).trial.all()
    assert not spc.xmr(RNORM_123[:12], peer).trial.any()
    y = (RNORM_123 * 4)[:80]
    r = spc.xmr(y, peer, rebase_at=[35, 40, 60])
    assert r.trial.tolist() == [False] * 35 + [True] * 5 + [False] * 40


def test_nhsr_short_groups_are_counted_by_segment_not_baseline():
    # NHSRplotthedots counts a group's points (n()), with or without fix_after_n_points;
    # forcestat's default counts the points the limits rest on.
    assert not spc.xmr(RNORM_123, spc.NHSRPLOTTHEDOTS, baseline=12).trial_limits
    assert spc.xmr(RNORM_123, baseline=12).trial_limits


# -- qicharts2 -----------------------------------------------------------------------------------

# The vignette's Appendix 2 ("Critical values for longest run and number of crossings"),
# n = 10..100: (upper limit for the longest run, lower limit for the number of crossings).
APPENDIX_2 = {
    10: (6, 2), 11: (6, 2), 12: (7, 3), 13: (7, 3), 14: (7, 4), 15: (7, 4), 16: (7, 4),
    17: (7, 5), 18: (7, 5), 19: (7, 6), 20: (7, 6), 21: (7, 6), 22: (7, 7), 23: (8, 7),
    24: (8, 8), 25: (8, 8), 26: (8, 8), 27: (8, 9), 28: (8, 9), 29: (8, 10), 30: (8, 10),
    31: (8, 11), 32: (8, 11), 33: (8, 11), 34: (8, 12), 35: (8, 12), 36: (8, 13), 37: (8, 13),
    38: (8, 14), 39: (8, 14), 40: (8, 14), 41: (8, 15), 42: (8, 15), 43: (8, 16), 44: (8, 16),
    45: (8, 17), 46: (9, 17), 47: (9, 17), 48: (9, 18), 49: (9, 18), 50: (9, 19), 51: (9, 19),
    52: (9, 20), 53: (9, 20), 54: (9, 21), 55: (9, 21), 56: (9, 21), 57: (9, 22), 58: (9, 22),
    59: (9, 23), 60: (9, 23), 61: (9, 24), 62: (9, 24), 63: (9, 25), 64: (9, 25), 65: (9, 25),
    66: (9, 26), 67: (9, 26), 68: (9, 27), 69: (9, 27), 70: (9, 28), 71: (9, 28), 72: (9, 29),
    73: (9, 29), 74: (9, 29), 75: (9, 30), 76: (9, 30), 77: (9, 31), 78: (9, 31), 79: (9, 32),
    80: (9, 32), 81: (9, 33), 82: (9, 33), 83: (9, 34), 84: (9, 34), 85: (9, 34), 86: (9, 35),
    87: (9, 35), 88: (9, 36), 89: (9, 36), 90: (9, 37), 91: (10, 37), 92: (10, 38),
    93: (10, 38), 94: (10, 39), 95: (10, 39), 96: (10, 39), 97: (10, 40), 98: (10, 40),
    99: (10, 41), 100: (10, 41),
}  # fmt: skip


def test_qic_runs_limits_appendix_2():
    assert {n: runs_limits(n) for n in APPENDIX_2} == APPENDIX_2


def test_qic_summary_example_runs_analysis():
    # Vignette, summary(qic(y, chart = 'i')) after a shift: n.useful 24, longest.run 13
    # (upper limit 8), n.crossings 4 (lower limit 8), runs.signal 1. A series with those runs
    # on its centre line: runs of 2, 3, 3, 3 and 13 points, 4 crossings.
    y = np.array([1] * 2 + [-1] * 3 + [1] * 3 + [-1] * 3 + [1] * 13, dtype=float)
    ra = runs_analysis(y, np.zeros(24))
    assert (ra.n_useful, ra.longest_run, ra.longest_run_max) == (24, 13, 8)
    assert (ra.n_crossings, ra.n_crossings_min, ra.signal) == (4, 8, True)


def test_qic_points_on_the_centre_line_neither_break_nor_count():
    # Vignette: "Data points that fall on the centre line neither break nor contribute to the
    # run." Nine above with three on the median among them: a run of nine, 9 + 3 useful.
    y = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, -1, -1, -1], dtype=float)
    ra = runs_analysis(y, np.zeros(15))
    assert (ra.n_obs, ra.n_useful, ra.longest_run, ra.n_crossings) == (15, 12, 9, 1)
    assert ra.long_run[[2, 5, 8]].tolist() == [0, 0, 0]


def test_qic_run_chart_median_and_signal():
    # qic.run: the centre line is the median; a run longer than round(log2(n)) + 3 signals.
    y = [3, 4, 2, 5, 3, 4, 2, 3, 4] + [7, 8, 9, 7, 8, 9, 8, 7, 9]  # 18 points, median 6
    r = spc.run_chart(y)
    assert r.mean[0] == float(np.median(y)) == 6.0
    assert r.runs[0].longest_run == 9 and r.runs[0].longest_run_max == 7
    assert r.runs[0].n_crossings == 1 < r.runs[0].n_crossings_min == 5
    assert r.runs[0].signal and r.signal[-1] == "shift" and r.direction[-1] == "high"
    assert math.isnan(r.ucl[0])


def test_qic_montgomery_7_1_p_chart_with_exclusions_and_a_new_part():
    # test_montgomery.R: qic(sample, count, size, chart = 'p', exclude = c(15, 23), part = 30).
    # Montgomery prints p-bar 0.2313 (limits 0.4102 / 0.0524) on all 30 samples, 0.2150
    # (0.3893 / 0.0407) without samples 15 and 23, and 0.1108 (0.2440 / 0) for samples 31-54.
    n = [50] * 54
    first = spc.p_chart(ORANGE_JUICE[:30], n[:30], spc.QICHARTS2)
    assert (_rounded(first.mean[0], 4), _rounded(first.ucl[0], 4), _rounded(first.lcl[0], 4)) == (
        0.2313,
        0.4102,
        0.0524,
    )
    r = spc.p_chart(ORANGE_JUICE, n, spc.QICHARTS2, exclude=[14, 22], rebase_at=[30])
    assert (_rounded(r.mean[0], 4), _rounded(r.ucl[0], 4), _rounded(r.lcl[0], 4)) == (
        0.215,
        0.3893,
        0.0407,
    )
    assert (_rounded(r.mean[40], 4), _rounded(r.ucl[40], 4), r.lcl[40]) == (0.1108, 0.244, 0.0)
    # The excluded samples are still plotted and tested: both are above the revised limit.
    assert r.excluded[[14, 22]].all() and r.signal[14] == r.signal[22] == "outside"


def test_qic_montgomery_7_3_c_chart_with_exclusions():
    # test_montgomery.R: qic(sample, count, chart = 'c', exclude = c(6, 20)). Montgomery prints
    # c-bar 19.85, UCL 33.22, LCL 6.48 on all 26 samples (from c-bar rounded to 19.85), and
    # 19.67, 32.97, 6.36 without samples 6 and 20.
    r = spc.c_chart(CIRCUIT)
    assert _rounded(r.mean[0], 2) == 19.85
    assert (r.ucl[0], r.lcl[0]) == pytest.approx((33.22, 6.48), abs=0.015)
    assert r.signal[5] == r.signal[19] == "outside"
    r = spc.c_chart(CIRCUIT, exclude=[5, 19])
    assert (_rounded(r.mean[0], 2), _rounded(r.ucl[0], 2), _rounded(r.lcl[0], 2)) == (
        19.67,
        32.97,
        6.36,
    )


def test_qic_montgomery_7_4_u_chart():
    # test_montgomery.R: qic(sample, count, size, chart = 'u'). Montgomery prints u-bar 1.93,
    # UCL 3.79, LCL 0.07.
    r = spc.u_chart(PC_MANUFACT, [5] * 20)
    assert (_rounded(r.mean[0], 2), _rounded(r.ucl[0], 2), _rounded(r.lcl[0], 2)) == (
        1.93,
        3.79,
        0.07,
    )
    assert not any(r.signal)


def test_qic_t_chart_is_the_back_transformed_i_chart():
    # qic.t: y^(1/3.6), I chart (3/1.128, moving ranges screened), limits ^3.6, a negative
    # lower limit 0. Worked here with numpy on Montgomery's valve failure times.
    t = np.array([286, 948, 536, 124, 816, 729, 4, 143, 431, 8, 2837, 596, 81, 227, 603, 492,
                  1199, 1214, 2831, 96], dtype=float)  # fmt: skip
    z = t ** (1 / 3.6)
    mr = np.abs(np.diff(z))
    mr = mr[mr < 3.267 * mr.mean()]
    sigma = mr.mean() / 1.128
    r = spc.t_chart(t, spc.QICHARTS2)
    assert r.mean[0] == pytest.approx(z.mean() ** 3.6, rel=1e-12)
    assert r.ucl[0] == pytest.approx((z.mean() + 3 * sigma) ** 3.6, rel=1e-12)
    lower = z.mean() - 3 * sigma
    assert r.lcl[0] == pytest.approx(max(lower, 0.0) ** 3.6, abs=1e-12)


def test_qic_g_chart_limits_and_median_centre():
    # qic.g: limits mean +/- 3 sqrt(mean (mean + 1)), lower at least 0; centre line the median.
    g = [3, 10, 0, 7, 25, 1, 4, 12, 6, 2, 30, 8, 9]
    m = np.mean(g)
    r = spc.g_chart(g)
    assert r.ucl[0] == pytest.approx(m + 3 * math.sqrt(m * (m + 1)))
    assert r.lcl[0] == 0.0 and r.mean[0] == np.median(g)


def test_qic_laney_sigma_z_unconditional():
    # qic.pp: sigma_z applied whatever its size; forcestat falls back to the p chart when
    # sigma_z <= 1 (under-dispersed months would narrow the binomial limits).
    x = [50, 51, 49, 50, 52, 48, 50, 51, 49, 50, 50, 51, 49, 50]
    n = [100] * 14
    ours = spc.laney_p_prime(x, n)
    peer = spc.laney_p_prime(x, n, spc.QICHARTS2)
    assert ours.method == "p" and peer.method == "p_prime"
    assert peer.sigma_z[0] < 1
    sigma = math.sqrt(0.5 * 0.5 / 100)
    assert peer.ucl[0] == pytest.approx(0.5 + 3 * sigma * peer.sigma_z[0], rel=1e-12)
    assert ours.ucl[0] == pytest.approx(0.5 + 3 * sigma, rel=1e-12)
