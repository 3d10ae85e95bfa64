"""Measures written the way the default framework (framework/default.toml) writes them: phrases
that carry their own article or are mass nouns, statements with 'the {period}' and their own
'(n = {n}).'. The wording must read the same as with the house-style conventions."""

from findings_helpers import AREAS, Measure, area, cmp, district, row

from forcestat.findings import measure_paragraph

SATISFACTION = Measure(
    "victim_satisfaction_overall",
    "satisfaction with overall service delivery",
    "proportion",
    "higher_is_better",
    statement=(
        "{value} of the victims of crime surveyed in the {period} were at least fairly satisfied "
        "with overall service delivery (n = {n})."
    ),
)
OUTCOME = Measure(
    "outcome_rate_all_crime",
    "the all crime prosecution possible outcome rate",
    "proportion",
    "higher_is_better",
    statement="The all crime prosecution possible outcome rate for the {period} was {value}.",
)
RECORDED_CRIME = Measure("recorded_crime", "recorded crime", "count", "neutral")
WAIT = Measure(
    "calls_101_wait",
    "the average wait for 101 calls",
    "mean",
    "lower_is_better",
    unit_label="seconds",
)


def test_statement_with_the_period_and_its_own_base():
    rows = [
        row(SATISFACTION, 750 / 971 * 100, 971, previous_year=cmp(78.9, "comparable")),
        district(SATISFACTION, "Fenland", 70.0, 63, previous_year=cmp(72.5, "comparable")),
    ]
    assert measure_paragraph(SATISFACTION, rows)[:2] == [
        "77.2% of the victims of crime surveyed in the 12 months ending March 2020 were at least "
        "fairly satisfied with overall service delivery (n = 971).",
        "This is marginally lower than, but comparable to, the 12 months ending March 2019.",
    ]
    one_month = [row(SATISFACTION, 80.0, 120, window="1m", previous_year=cmp(80.1, "comparable"))]
    assert measure_paragraph(SATISFACTION, one_month)[0] == (
        "80.0% of the victims of crime surveyed in March 2020 were at least fairly satisfied "
        "with overall service delivery (n = 120)."
    )


def test_statement_small_base_replaces_its_written_base():
    rows = [row(SATISFACTION, 70.0, 63, previous_year=cmp(72.5, "comparable"))]
    assert measure_paragraph(SATISFACTION, rows)[0] == (
        "70.0% of the victims of crime surveyed in the 12 months ending March 2020 were at least "
        "fairly satisfied with overall service delivery (treat with caution, n = 63)."
    )


def test_statement_starting_with_the_after_an_area_prefix():
    rows = [
        row(OUTCOME, 10.8, 45678, long_term=cmp(11.9, "comparable")),
        area(OUTCOME, "North", 11.9, 20000, long_term=cmp(10.0, "significantly_higher")),
    ]
    assert measure_paragraph(OUTCOME, rows) == [
        "The all crime prosecution possible outcome rate for the 12 months ending March 2020 was "
        "10.8% (n = 45,678).",
        "This is marginally lower than, but comparable to, the long term benchmark.",
        "In North policing area, the all crime prosecution possible outcome rate for the 12 "
        "months ending March 2020 was 11.9% (n = 20,000), significantly higher than the long term "
        "benchmark.",
    ]


def test_phrase_with_its_own_article_is_not_doubled():
    rows = [
        row(WAIT, 312.4, 80000, previous_year=cmp(250.0, "significantly_higher"), trend="upwards")
    ]
    assert measure_paragraph(WAIT, rows) == [
        "The average wait for 101 calls was 312.4 seconds in the 12 months ending March 2020 "
        "(n = 80,000), significantly higher than the 12 months ending March 2019.",
        "The average wait for 101 calls is trending upwards.",
    ]


def test_mass_noun_counts():
    rows = [
        row(
            RECORDED_CRIME, 60210, previous_year=cmp(55000, "significantly_higher"), trend="upwards"
        ),
        area(RECORDED_CRIME, "North", 30000, previous_year=cmp(27000, "significantly_higher")),
        area(RECORDED_CRIME, "South", 30210, previous_year=cmp(28000, "significantly_higher")),
        district(RECORDED_CRIME, "Fenland", 3, suppressed=True, previous_year=cmp(2, "comparable")),
    ]
    assert measure_paragraph(RECORDED_CRIME, rows, areas=AREAS) == [
        "Levels of recorded crime were significantly higher over the last 12 months in both North "
        "and South policing areas.",
        "Recorded crime totalled 60,210 in the 12 months ending March 2020, compared with 55,000 "
        "in the 12 months ending March 2019.",
        "The level of recorded crime is trending upwards.",
        "Figures for recorded crime are too small to report in Fenland.",
    ]


def test_maturing_outcome_window_is_flagged():
    r = row(OUTCOME, 10.8, 45678, long_term=cmp(11.9, "comparable")) | {"maturing": True}
    assert measure_paragraph(OUTCOME, [r])[-1] == (
        "This period is still maturing: crimes recorded in recent months have had little time to "
        "reach an outcome, so the rate will rise; it is compared with its benchmarks as they "
        "stood at the same stage."
    )
