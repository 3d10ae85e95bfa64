"""Formatting rules: numbers, periods, comparators, lists, bands."""

import pytest

from forcestat.findings import rules
from forcestat.findings.format import (
    comparator_name,
    districts_phrase,
    fmt_base,
    fmt_count,
    fmt_n,
    fmt_number,
    fmt_pct,
    join_names,
    over_the_last,
    period_name,
    where_phrase,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (750 / 971 * 100, "77.2%"),
        (77.25, "77.3%"),  # half up, as a reader rounds, not binary-nearest
        (10.8, "10.8%"),
        (50, "50.0%"),
        (0.04, "0.0%"),
        (100, "100.0%"),
    ],
)
def test_percentages_one_decimal_place(value, text):
    assert fmt_pct(value) == text


def test_counts_and_numbers_have_thousands_separators():
    assert fmt_count(971) == "971"
    assert fmt_count(12345) == "12,345"
    assert fmt_count(1234567.4) == "1,234,567"
    assert fmt_count(2.5) == "3"
    assert fmt_number(11.24) == "11.2"
    assert fmt_number(1234.56) == "1,234.6"


def test_bases_are_rounded_down():
    # An effective (Kish) base of 49.6 misses a threshold of 50 and must not read "n = 50".
    assert fmt_n(49.6) == "49"
    assert fmt_n(971) == "971"
    assert fmt_n(1210.0) == "1,210"
    assert fmt_base(99.9, caution=True) == " (treat with caution, n = 99)"


def test_base_always_given_and_caution_wording():
    assert fmt_base(971) == " (n = 971)"
    assert fmt_base(1210) == " (n = 1,210)"
    assert fmt_base(63, caution=True) == " (treat with caution, n = 63)"
    assert fmt_base(None) == ""


@pytest.mark.parametrize(
    ("window", "name"),
    [
        ("12m", "the 12 months ending March 2020"),
        ("3m", "the three months ending March 2020"),
        ("1m", "March 2020"),
        ("fytd", "the financial year to date (April 2019 to March 2020)"),
    ],
)
def test_period_names(window, name):
    assert period_name("2020-03", window) == name


def test_financial_year_to_date_edges():
    assert period_name("2020-04", "fytd") == "the financial year to date (April 2020)"
    assert (
        period_name("2020-01", "fytd") == "the financial year to date (April 2019 to January 2020)"
    )
    assert (
        period_name("2019-12", "fytd") == "the financial year to date (April 2019 to December 2019)"
    )


@pytest.mark.parametrize(
    ("comparator", "window", "period", "name"),
    [
        ("previous_year", "12m", "2020-03", "the 12 months ending March 2019"),
        ("previous_year", "3m", "2020-03", "the three months ending March 2019"),
        ("previous_year", "1m", "2020-03", "March 2019"),
        ("previous_year", "fytd", "2020-03", "the previous financial year"),
        (
            "previous_year",
            "fytd",
            "2020-01",
            "the same period of the previous financial year (April 2018 to January 2019)",
        ),
        ("year_end", "12m", "2020-03", "the year end benchmark"),
        ("long_term", "12m", "2020-03", "the long term benchmark"),
    ],
)
def test_comparator_names(comparator, window, period, name):
    assert comparator_name(comparator, period, window) == name


def test_bad_period_and_window_are_rejected():
    with pytest.raises(ValueError, match="YYYY-MM"):
        period_name("2020-3", "12m")
    with pytest.raises(ValueError, match="YYYY-MM"):
        period_name("2020-13", "12m")
    with pytest.raises(ValueError, match="window"):
        period_name("2020-03", "6m")


def test_over_the_last():
    assert over_the_last("2020-03", "12m") == "over the last 12 months"
    assert over_the_last("2020-03", "3m") == "over the last three months"
    assert over_the_last("2020-03", "1m") == "in March 2020"


def test_lists_and_where_phrases():
    assert join_names(["A"]) == "A"
    assert join_names(["A", "B", "C"]) == "A, B and C"
    assert where_phrase(False, ["North", "South"], 2) == "in both North and South policing areas"
    assert where_phrase(True, ["North", "South"], 2) == "in both North and South policing areas"
    assert where_phrase(True, ["North"], 2) == "at both force level and in North policing area"
    assert where_phrase(True, [], 2) == ""
    assert where_phrase(False, ["A", "B", "C"], 3) == "in all three policing areas"
    assert where_phrase(True, ["A", "B"], 3) == (
        "at force level and in both A and B policing areas"
    )
    assert districts_phrase(["Fenland"], 6) == "Fenland"
    assert districts_phrase(["A", "B", "C", "D", "E", "F"], 6) == "all six districts"


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (20.0, None),
        (25.0, None),
        (25.1, "over a quarter"),
        (33.3, "over a quarter"),
        (33.4, "over a third"),
        (36.4, "over a third"),
        (44.9, "over a third"),
        (45.0, "around half"),
        (50.0, "around half"),
        (55.0, "around half"),
        (55.1, "over half"),
        (74.9, "over half"),
        (75.0, "the majority"),
        (98.0, "the majority"),
    ],
)
def test_share_bands(value, band):
    assert rules.share_band(value) == band


@pytest.mark.parametrize(
    ("diff", "base", "band"),
    [
        (10, 100, "double_digit"),
        (9.9, 100, None),
        (-20, 100, None),
        (99, 100, "double_digit"),
        (100, 100, "doubled"),  # exactly 100%: "growth of 100%", not "more than"
        (100.5, 100, "more_than_doubled"),
        (5, 0, None),
        (None, 100, None),
    ],
)
def test_growth_bands(diff, base, band):
    assert rules.growth_band(rules.growth_pct(diff, base)) == band


def test_crossed_threshold():
    assert rules.crossed_threshold(48.5, 52.1, falling=True) == 50
    assert rules.crossed_threshold(48.5, 61.0, falling=True) == 50
    assert rules.crossed_threshold(48.5, 49.9, falling=True) is None
    assert rules.crossed_threshold(50.0, 50.0, falling=True) is None
    assert rules.crossed_threshold(62.3, 58.0, falling=False) == 60
    # Reaching a round figure is not rising above it.
    assert rules.crossed_threshold(60.0, 55.0, falling=False) is None
    assert rules.crossed_threshold(60.1, 55.0, falling=False) == 60
    assert rules.crossed_threshold(50.0, 52.0, falling=True) is None
    assert rules.crossed_threshold(60.0, 60.0, falling=False) is None


def test_base_status():
    assert rules.base_status("proportion", 49, False, False) == "too_few"
    assert rules.base_status("proportion", 50, False, False) == "caution"
    assert rules.base_status("proportion", 99, False, False) == "caution"
    assert rules.base_status("proportion", 100, False, False) == "ok"
    assert rules.base_status("proportion", 500, True, False) == "caution"
    # Suppressed (disclosure control) with a big enough base: withheld, not "too few".
    assert rules.base_status("proportion", 500, False, True) == "withheld"
    assert rules.base_status("proportion", 30, False, True) == "too_few"
    assert rules.base_status("proportion", 40, False, False, min_base=30) == "caution"
    assert rules.base_status("proportion", 150, False, False, caution_base=200) == "caution"
    # A count is its own base: only the engine's flags gate it.
    assert rules.base_status("count", 12, False, False) == "ok"
    assert rules.base_status("count", 3, False, True) == "too_few"
