"""Which months each window and comparator covers, written out by hand."""

from __future__ import annotations

import pytest

from forcestat.engine.windows import (
    comparator_span,
    length,
    matched_span,
    month_index,
    month_label,
    window_span,
)


def months(span: tuple[int, int]) -> list[str]:
    return [month_label(i) for i in range(span[0], span[1] + 1)]


def test_month_index_round_trip():
    assert month_label(month_index("2020-03")) == "2020-03"
    assert month_index("2020-01") - month_index("2019-12") == 1
    with pytest.raises(ValueError, match="not a month"):
        month_index("2020-13")


@pytest.mark.parametrize(
    ("window", "period", "first", "last"),
    [
        ("12m", "2020-03", "2019-04", "2020-03"),
        ("3m", "2020-03", "2020-01", "2020-03"),
        ("1m", "2020-03", "2020-03", "2020-03"),
        ("fytd", "2020-03", "2019-04", "2020-03"),
        ("fytd", "2019-04", "2019-04", "2019-04"),
        ("fytd", "2019-11", "2019-04", "2019-11"),
        ("fytd", "2020-01", "2019-04", "2020-01"),
        ("12m", "2019-11", "2018-12", "2019-11"),
    ],
)
def test_window_months(window, period, first, last):
    span = window_span(window, month_index(period))
    assert (month_label(span[0]), month_label(span[1])) == (first, last)


def test_fytd_other_year_start():
    # A January financial year (fy_start = 1): November's fytd is January-November.
    span = window_span("fytd", month_index("2019-11"), fy_start=1)
    assert months(span)[0] == "2019-01" and length(span) == 11


@pytest.mark.parametrize(
    ("comparator", "window", "period", "first", "last", "windows"),
    [
        # previous year: the same months a year earlier
        ("previous_year", "12m", "2020-03", "2018-04", "2019-03", 1.0),
        ("previous_year", "3m", "2020-03", "2019-01", "2019-03", 1.0),
        ("previous_year", "1m", "2020-03", "2019-03", "2019-03", 1.0),
        ("previous_year", "fytd", "2019-11", "2018-04", "2018-11", 1.0),
        # year end: the last complete April-March year that ends before the window starts
        ("year_end", "12m", "2020-03", "2018-04", "2019-03", 1.0),
        ("year_end", "12m", "2020-02", "2017-04", "2018-03", 1.0),
        ("year_end", "12m", "2020-04", "2018-04", "2019-03", 1.0),
        ("year_end", "3m", "2020-03", "2018-04", "2019-03", 4.0),
        ("year_end", "1m", "2019-04", "2018-04", "2019-03", 12.0),
        ("year_end", "fytd", "2019-11", "2018-04", "2019-03", 12.0 / 8.0),
        # long term: the 36 months before the window, compared per window length
        ("long_term", "12m", "2020-03", "2016-04", "2019-03", 3.0),
        ("long_term", "3m", "2020-03", "2017-01", "2019-12", 12.0),
        ("long_term", "1m", "2020-03", "2017-03", "2020-02", 36.0),
    ],
)
def test_comparator_months(comparator, window, period, first, last, windows):
    current = window_span(window, month_index(period))
    bench = comparator_span(comparator, current)
    assert (month_label(bench.span[0]), month_label(bench.span[1])) == (first, last)
    assert bench.windows == pytest.approx(windows)
    # Never compared with an overlapping window.
    assert bench.span[1] < current[0]


def test_long_term_length_is_a_setting():
    current = window_span("12m", month_index("2020-03"))
    bench = comparator_span("long_term", current, long_term_months=24)
    assert months(bench.span)[0] == "2017-04" and bench.windows == 2.0


@pytest.mark.parametrize(
    ("comparator", "window", "period", "parts", "windows"),
    [
        # the same calendar months in each of the three years before
        (
            "long_term",
            "3m",
            "2020-03",
            [("2017-01", "2017-03"), ("2018-01", "2018-03"), ("2019-01", "2019-03")],
            3.0,
        ),
        (
            "long_term",
            "1m",
            "2019-11",
            [("2016-11", "2016-11"), ("2017-11", "2017-11"), ("2018-11", "2018-11")],
            3.0,
        ),
        # the window's months in the last financial year that holds them (FY 2018/19 ends
        # March 2019: Jan-Mar 2019 is in it; May-Jul 2019 is not, so May-Jul 2018)
        ("year_end", "3m", "2020-03", [("2019-01", "2019-03")], 1.0),
        ("year_end", "3m", "2020-07", [("2019-05", "2019-07")], 1.0),
        ("year_end", "3m", "2019-07", [("2018-05", "2018-07")], 1.0),
        ("year_end", "fytd", "2019-11", [("2018-04", "2018-11")], 1.0),
    ],
)
def test_matched_months_for_sub_annual_counts(comparator, window, period, parts, windows):
    current = window_span(window, month_index(period))
    bench = matched_span(comparator, current)
    got = [(month_label(a), month_label(b)) for a, b in bench.parts]
    assert got == parts and bench.windows == windows
    assert bench.span[1] < current[0]


def test_matched_months_leave_annual_windows_alone():
    current = window_span("12m", month_index("2020-03"))
    for comparator in ("previous_year", "year_end", "long_term"):
        assert matched_span(comparator, current) == comparator_span(comparator, current)
