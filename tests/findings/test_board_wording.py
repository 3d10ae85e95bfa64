"""The Board paper's wording rules, each on a hand-worked case that would fail if the error came
back: one benchmark never compared twice, a median never an "average", the missing-reports
label, text and table in the same words, a chart's special cause beyond its icon, a large change
that is not significant explained, recent periods, and the executive summary's ranking."""

from __future__ import annotations

import pytest
from findings_helpers import (
    CRIME,
    RESPONSE,
    SATISFACTION,
    Measure,
    cmp,
    district,
    row,
)

from forcestat.findings import build_findings, measure_paragraph
from forcestat.findings.narrative import chart_statement, view_statement
from forcestat.findings.summary import highlights
from forcestat.findings.wording import verdict_label

# -- one benchmark, named once ------------------------------------------------------------------


def test_the_year_end_benchmark_is_not_named_when_it_is_the_previous_year():
    # March: the year end benchmark is the 12 months ending the previous March (same figure).
    rows = [
        row(
            SATISFACTION,
            77.2,
            971,
            previous_year=cmp(78.0, "comparable"),
            year_end=cmp(78.0, "comparable"),
            long_term=cmp(77.5, "comparable"),
        )
    ]
    text = " ".join(measure_paragraph(SATISFACTION, rows))
    assert "year end benchmark" not in text
    assert "the 12 months ending March 2019" in text and "long term benchmark" in text
    # A different year end figure is a benchmark of its own and is named.
    rows[0]["year_end_value"] = 75.0
    assert "year end benchmark" in " ".join(measure_paragraph(SATISFACTION, rows))


# -- the framework's own words ------------------------------------------------------------------


def test_no_median_is_called_an_average_in_the_default_framework():
    from forcestat.framework import load_framework

    fw = load_framework()
    medians = [m for m in fw.measures if m.kind == "median"]
    assert medians
    for m in medians:
        for text in (m.title, m.phrase, m.statement or ""):
            assert "average" not in text.lower(), (m.id, text)


def test_missing_reports_from_childrens_homes_are_called_that():
    from forcestat.framework import load_framework

    m = load_framework().measure("missing_from_childrens_homes")
    assert "missing" in m.phrase and "callout" not in m.phrase


def test_a_median_sentence_says_median():
    rows = [row(RESPONSE, 11.77, 26_001, previous_year=cmp(11.5, "comparable"))]
    text = " ".join(measure_paragraph(RESPONSE, rows))
    assert "median" in text and "average" not in text


# -- tables say what sentences say --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "previous", "verdict", "words", "label"),
    [
        (77.2, 78.5, "comparable", "marginally lower than, but comparable to,", "Marginally lower"),
        (77.2, 77.5, "comparable", "comparable to", "Comparable"),
        (80.0, 75.0, "significantly_higher", "significantly higher than", "Significantly higher"),
    ],
)
def test_the_table_uses_the_sentences_words(value, previous, verdict, words, label):
    rows = [row(SATISFACTION, value, 971, previous_year=cmp(previous, verdict))]
    (f,) = build_findings(rows, [SATISFACTION])
    assert words in " ".join(measure_paragraph(SATISFACTION, rows))
    assert verdict_label(f) == label


def test_a_median_table_says_stable_only_when_the_sentence_does():
    close = [row(RESPONSE, 11.7, 900, previous_year=cmp(11.6, "comparable"))]
    (f,) = build_findings(close, [RESPONSE])
    assert verdict_label(f) == "Stable"
    assert "stable compared with" in " ".join(measure_paragraph(RESPONSE, close))


# -- a chart beyond its icon --------------------------------------------------------------------


def test_special_cause_before_a_common_cause_latest_month_is_explained():
    months = [f"2019-{m:02d}" for m in range(4, 13)] + ["2020-01", "2020-02", "2020-03"]
    kinds = ["common_cause"] * 12
    for i in (1, 2, 3, 4, 5):  # May to September 2019: above the upper limit
        kinds[i] = "concern"
    said = chart_statement(CRIME, months, kinds, 12)
    assert said is not None
    assert said.text == (
        "Monthly figures showed special cause variation of concern in five of the last 12 "
        "months (May 2019 to September 2019); the latest month, March 2020, shows common cause "
        "variation."
    )
    # The icon already says it when the latest month is special cause; nothing to add.
    assert chart_statement(CRIME, months, kinds[:-1] + ["concern"], 12) is None
    assert chart_statement(CRIME, months, ["common_cause"] * 12, 12) is None


# -- a large change that is not significant -----------------------------------------------------


def test_a_large_change_that_is_not_significant_says_why():
    rows = [
        row(CRIME, 1000, previous_year=cmp(950, "comparable")),
        # +46%, not significant, a volatile series (phi 3.2): the tests allowed for it.
        district(CRIME, "Cambridge", 146, previous_year=cmp(100, "comparable")),
        # +85%, not significant, plain Poisson variation: small numbers.
        district(CRIME, "Fenland", 37, previous_year=cmp(20, "comparable")),
        # +10%: not large, nothing to explain.
        district(CRIME, "Peterborough", 330, previous_year=cmp(300, "comparable")),
    ]
    rows[1]["dispersion"] = 3.2
    rows[2]["dispersion"] = 1.0
    text = " ".join(measure_paragraph(CRIME, rows))
    assert (
        "The change in Cambridge (+46.0%) is not statistically significant: its figures vary "
        "from month to month more than chance alone would explain." in text
    )
    assert (
        "The change in Fenland (+85.0%) is not statistically significant: its figures rest on "
        "small numbers." in text
    )
    assert "Peterborough (+" not in text


# -- recent periods -----------------------------------------------------------------------------


def test_a_quarter_against_the_one_before_and_a_year_earlier():
    hub = Measure(
        id="hub",
        phrase="rate of victim referral to the Hub",
        kind="proportion",
        polarity="higher_is_better",
    )
    r = row(hub, 22.3, 4120, window="3m", previous_year=cmp(21.9, "comparable"))
    r.update(
        previous_period_value=20.8,
        previous_period_diff=1.5,
        previous_period_p=0.01,
        previous_period_verdict="significantly_higher",
    )
    said = view_statement(hub, build_findings([r], [hub]))
    assert said is not None and said.topic == "view"
    assert said.text == (
        "The rate of victim referral to the Hub for the three months ending March 2020 was "
        "22.3% (n = 4,120), significantly higher than 20.8% in the previous three months and "
        "comparable to the three months ending March 2019."
    )


# -- the executive summary's rule ---------------------------------------------------------------


def _measure(mid: str, polarity: str, kind: str = "count") -> Measure:
    return Measure(id=mid, phrase=mid.replace("_", " "), kind=kind, polarity=polarity, title=mid)


def test_the_summary_ranks_force_before_districts_and_priorities_first():
    small = _measure("small_rise", "lower_is_better")
    big = _measure("big_rise", "lower_is_better")
    prio = _measure("priority_rise", "lower_is_better")
    local = _measure("district_dip", "higher_is_better")
    vol = _measure("demand", "neutral")
    rows = [
        row(small, 110, previous_year=cmp(100, "significantly_higher")),  # +10%
        row(big, 150, previous_year=cmp(100, "significantly_higher")),  # +50%
        row(prio, 105, previous_year=cmp(100, "significantly_higher")),  # +5%, a priority
        row(local, 100, previous_year=cmp(100, "comparable")),
        district(local, "Fenland", 50, previous_year=cmp(80, "significantly_lower")),
        row(vol, 130, previous_year=cmp(100, "significantly_higher")),
    ]
    measures = [small, big, prio, local, vol]
    found = {
        m.id: [f for f in build_findings(rows, measures) if f.measure_id == m.id] for m in measures
    }
    lists = highlights(measures, found, priority={"priority_rise"})
    concerns = [h.measure_id for h in lists["concern"]]
    # Force level first (the district dip last); among equals the priority, then the larger.
    assert concerns == ["priority_rise", "big_rise", "small_rise", "district_dip"]
    assert [h.measure_id for h in lists["volume"]] == ["demand"]
    assert lists["improvement"] == []
    fenland = lists["concern"][-1]
    assert fenland.breakdown == "district" and "in Fenland" in fenland.text
    assert "(+50.0%)" in lists["concern"][1].text
