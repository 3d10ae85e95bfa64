"""build_findings: one finding per row and comparator, verdicts copied, never computed."""

import random
from dataclasses import FrozenInstanceError
from types import SimpleNamespace

import pytest
from findings_helpers import OUTCOME_RATE, SATISFACTION, SSO, area, cmp, district, row

from forcestat.findings import Finding, build_findings


def test_one_finding_per_comparator_with_a_verdict():
    r = row(
        SATISFACTION,
        77.2,
        971,
        previous_year=cmp(78.9, "comparable"),
        long_term=cmp(80.5, "significantly_lower"),
    )
    fs = build_findings([r], [SATISFACTION])
    assert [f.comparator for f in fs] == ["previous_year", "long_term"]
    py, lt = fs
    assert (py.verdict, py.strength, py.direction) == ("comparable", "marginal", "same")
    assert (lt.verdict, lt.strength, lt.direction) == (
        "significantly_lower",
        "significant",
        "worse",
    )
    assert py.diff == pytest.approx(77.2 - 78.9)  # derived from the row's own figures
    assert (py.measure_id, py.phrase, py.kind, py.n) == (
        "victim_satisfaction",
        "victim satisfaction rate",
        "proportion",
        971,
    )


def test_row_diff_is_kept_when_given():
    r = row(SATISFACTION, 77.2, 971, previous_year=cmp(78.9, "comparable", diff=-1.75))
    (f,) = build_findings([r], [SATISFACTION])
    assert f.diff == -1.75


def test_row_without_comparators_still_gives_a_finding():
    (f,) = build_findings([row(SATISFACTION, 77.2, 971)], [SATISFACTION])
    assert f.comparator is None
    assert (f.verdict, f.strength, f.direction) == ("insufficient_data", "insufficient", "neutral")


@pytest.mark.parametrize(
    ("polarity", "verdict", "direction"),
    [
        ("higher_is_better", "significantly_higher", "better"),
        ("higher_is_better", "significantly_lower", "worse"),
        ("lower_is_better", "significantly_higher", "worse"),
        ("lower_is_better", "significantly_lower", "better"),
        ("neutral", "significantly_higher", "neutral"),
        ("higher_is_better", "comparable", "same"),
        ("higher_is_better", "insufficient_data", "neutral"),
    ],
)
def test_direction_reads_a_significant_verdict_against_polarity(polarity, verdict, direction):
    measure = SSO.__class__(**{**SSO.__dict__, "polarity": polarity})
    (f,) = build_findings([row(measure, 1200, previous_year=cmp(1000, verdict))], [measure])
    assert f.direction == direction


def test_count_strength_uses_two_percent_rule():
    rows = [
        row(SSO, 1015, previous_year=cmp(1000, "comparable")),
        area(SSO, "North", 1050, previous_year=cmp(1000, "comparable")),
    ]
    force, north = build_findings(rows, [SSO])
    assert force.strength == "comparable"
    assert north.strength == "marginal"


def test_small_or_suppressed_bases_allow_no_comparison():
    rows = [
        district(SATISFACTION, "Fenland", 60.0, 34, previous_year=cmp(75.0, "significantly_lower")),
        district(
            SATISFACTION,
            "Peterborough",
            60.0,
            400,
            suppressed=True,
            previous_year=cmp(75.0, "significantly_lower"),
        ),
        district(
            SATISFACTION,
            "Huntingdonshire",
            60.0,
            63,
            previous_year=cmp(75.0, "significantly_lower"),
        ),
    ]
    fs = {f.unit: f for f in build_findings(rows, [SATISFACTION])}
    assert fs["Fenland"].base_status == "too_few"
    # Suppressed by disclosure control with a base of 400: withheld, not "too few responses".
    assert fs["Peterborough"].base_status == "withheld"
    for name in ("Fenland", "Peterborough"):
        f = fs[name]
        assert f.unreportable
        assert (f.strength, f.direction, f.is_significant, f.reportable) == (
            "insufficient",
            "neutral",
            False,
            False,
        )
    hunts = fs["Huntingdonshire"]
    assert hunts.base_status == "caution" and hunts.is_significant


def test_pandas_style_missing_values_are_none():
    nan = float("nan")
    r = row(SATISFACTION, 77.2, 971, previous_year=cmp(78.9, "comparable"))
    r |= {"ci_low": nan, "ci_high": nan, "year_end_verdict": nan, "long_term_verdict": None}
    r |= {"small_base": nan, "trend": nan, "spc_signal": None}
    (f,) = build_findings([r], [SATISFACTION])
    assert (f.ci_low, f.ci_high, f.small_base, f.trend, f.spc_signal) == (
        None,
        None,
        False,
        "none",
        "none",
    )


def test_contract_violations_are_named():
    with pytest.raises(KeyError, match="unknown measure 'sso_count'"):
        build_findings([row(SSO, 1)], [SATISFACTION])
    with pytest.raises(ValueError, match="previous_year_verdict 'higher'"):
        build_findings([row(SSO, 1, previous_year=cmp(1, "higher"))], [SSO])
    with pytest.raises(ValueError, match="window '6m'"):
        build_findings([row(SSO, 1, window="6m")], [SSO])
    with pytest.raises(ValueError, match="YYYY-MM"):
        build_findings([row(SSO, 1, period_end="March 2020")], [SSO])
    with pytest.raises(ValueError, match="trend 'up'"):
        build_findings([row(SSO, 1, trend="up")], [SSO])


def test_measures_as_mapping_or_iterable():
    rows = [row(SSO, 1, previous_year=cmp(1, "comparable"))]
    assert build_findings(rows, {SSO.id: SSO}) == build_findings(rows, [SSO])


def test_findings_are_frozen_and_sorted_deterministically():
    rows = [
        district(OUTCOME_RATE, "Fenland", 9.0, 4000, previous_year=cmp(9.2, "comparable")),
        row(
            OUTCOME_RATE,
            10.8,
            45678,
            long_term=cmp(11.9, "comparable"),
            previous_year=cmp(10.0, "significantly_higher"),
        ),
        area(OUTCOME_RATE, "South", 9.9, 25678, year_end=cmp(9.0, "comparable")),
        area(OUTCOME_RATE, "North", None, None),
        row(OUTCOME_RATE, 10.1, 45000, period_end="2020-02", previous_year=cmp(10.0, "comparable")),
        row(OUTCOME_RATE, 10.1, 11000, window="3m", previous_year=cmp(10.0, "comparable")),
    ]
    expected = build_findings(rows, [OUTCOME_RATE])
    order = [(f.period_end, f.window, f.breakdown, f.unit, f.comparator) for f in expected]
    assert order == [
        ("2020-02", "12m", "force", "Cambridgeshire", "previous_year"),
        ("2020-03", "12m", "force", "Cambridgeshire", "previous_year"),
        ("2020-03", "12m", "force", "Cambridgeshire", "long_term"),
        ("2020-03", "12m", "area", "North", None),
        ("2020-03", "12m", "area", "South", "year_end"),
        ("2020-03", "12m", "district", "Fenland", "previous_year"),
        ("2020-03", "3m", "force", "Cambridgeshire", "previous_year"),
    ]
    rng = random.Random(7)
    for _ in range(20):
        shuffled = rows[:]
        rng.shuffle(shuffled)
        assert build_findings(shuffled, [OUTCOME_RATE]) == expected
    assert sorted(reversed(expected)) == expected
    with pytest.raises(FrozenInstanceError):
        expected[0].value = 1.0  # type: ignore[misc]
    assert isinstance(expected[0], Finding)


def test_base_thresholds_follow_settings_and_the_measure():
    r = row(SATISFACTION, 70.0, 40, previous_year=cmp(75.0, "significantly_lower"))
    (default,) = build_findings([r], [SATISFACTION])
    assert default.base_status == "too_few" and not default.is_significant
    (relaxed,) = build_findings([r], [SATISFACTION], min_base=30, caution_base=60)
    assert relaxed.base_status == "caution" and relaxed.is_significant
    strict = SimpleNamespace(**SATISFACTION.__dict__, min_base=100)  # the measure's own wins
    r = row(SATISFACTION, 70.0, 80, previous_year=cmp(75.0, "comparable"))
    (f,) = build_findings([r], [strict], min_base=30, caution_base=60)
    assert f.base_status == "too_few"


def test_maturing_flag_is_carried():
    r = row(SATISFACTION, 70.0, 400) | {"maturing": True}
    (f,) = build_findings([r], [SATISFACTION])
    assert f.maturing
