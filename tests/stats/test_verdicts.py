"""Verdict rules against the design's wording rule and the reference report's sentences."""

import math

import pytest

from forcestat.stats.comparisons import poisson_e_test, two_proportion_test
from forcestat.stats.verdicts import base_rule, polarity_direction, strength, verdict


@pytest.mark.parametrize(
    ("p", "diff", "expected"),
    [
        (0.01, 3.0, "significantly_higher"),
        (0.01, -3.0, "significantly_lower"),
        (0.049999, 1.0, "significantly_higher"),
        (0.05, 1.0, "comparable"),  # "significant at p < 0.05": the boundary is not
        (0.6, -2.0, "comparable"),
        (None, 5.0, "insufficient_data"),
        (math.nan, 5.0, "insufficient_data"),
        (0.01, math.nan, "insufficient_data"),
    ],
)
def test_verdict(p, diff, expected):
    assert verdict(p, diff) == expected


def test_verdict_alpha_parameter():
    assert verdict(0.08, 1.0, alpha=0.1) == "significantly_higher"
    with pytest.raises(ValueError):
        verdict(1.5, 1.0)


def test_reference_report_victim_satisfaction_sentence():
    # "77.2% ... (n = 971). This is marginally lower than, but comparable to, the 12 months
    # ending March 2019." With an illustrative prior year of 79.0% (n = 960), the score test
    # is not significant and the gap exceeds 1 point -> marginal.
    p = two_proportion_test(750, 971, 758, 960)
    v = verdict(p, 750 / 971 - 758 / 960)
    assert v == "comparable"
    assert strength("proportion", v, 77.2, 79.0) == "marginal"
    assert polarity_direction(77.2 - 79.0, "higher_is_better") == "worse"


def test_design_count_example_is_significant():
    # 130 vs a benchmark of 100 per window -> p = 0.048 -> significantly higher.
    p = poisson_e_test(130, 1, 100, 1)
    assert verdict(p, 30) == "significantly_higher"
    assert strength("count", verdict(p, 30), 130, 100) == "significant"


@pytest.mark.parametrize(
    ("kind", "value", "benchmark", "expected"),
    [
        ("proportion", 77.2, 78.2, "comparable"),  # exactly 1 point: within (inclusive)
        ("proportion", 77.2, 76.2, "comparable"),  # float 1.0000000000000142 still within
        ("proportion", 77.2, 78.3, "marginal"),
        ("count", 102, 100, "comparable"),  # exactly 2%
        ("count", 103, 100, "marginal"),
        ("count", 98.5, 100, "comparable"),
        ("rate_per_1000", 51.0, 50.0, "comparable"),
        ("median", 61.5, 60.0, "marginal"),
        ("count", 0, 0, "comparable"),
        ("count", 1, 0, "marginal"),
    ],
)
def test_strength_wording_rule(kind, value, benchmark, expected):
    assert strength(kind, "comparable", value, benchmark) == expected


def test_strength_other_verdicts_and_thresholds():
    assert strength("count", "significantly_higher", 130, 100) == "significant"
    assert strength("proportion", "significantly_lower", 10.8, 11.0) == "significant"
    assert strength("proportion", "insufficient_data", 50, 60) == "insufficient"
    assert strength("proportion", "comparable", 77.2, 78.7, rate_tolerance_pp=1.5) == "comparable"
    assert strength("count", "comparable", 104, 100, count_tolerance=0.05) == "comparable"
    with pytest.raises(ValueError):
        strength("ratio", "comparable", 1, 1)
    with pytest.raises(ValueError):
        strength("count", "higher", 1, 1)


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, "suppress"), (49, "suppress"), (50, "caution"), (99, "caution"), (100, "ok"), (971, "ok")],
)
def test_base_rule(n, expected):
    assert base_rule(n) == expected


def test_base_rule_thresholds():
    assert base_rule(25, min_base=20, caution_below=30) == "caution"


@pytest.mark.parametrize(
    ("diff", "polarity", "expected"),
    [
        (1.0, "higher_is_better", "better"),
        (-1.0, "higher_is_better", "worse"),
        (1.0, "lower_is_better", "worse"),
        (-1.0, "lower_is_better", "better"),
        (2.0, "neutral", "neutral"),
        (0.0, "lower_is_better", "same"),
        (0.0, "neutral", "same"),
    ],
)
def test_polarity_direction(diff, polarity, expected):
    assert polarity_direction(diff, polarity) == expected


def test_polarity_direction_rejects_bad_input():
    with pytest.raises(ValueError):
        polarity_direction(1.0, "up")
    with pytest.raises(ValueError):
        polarity_direction(math.nan, "neutral")
