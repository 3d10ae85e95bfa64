"""measure_paragraph: whole paragraphs, pinned, and deterministic for shuffled input."""

import random

from findings_helpers import (
    AREAS,
    CONFIDENCE,
    CSA,
    SATISFACTION,
    Measure,
    area,
    cmp,
    district,
    row,
)
from test_findings_golden import confidence_rows, crime_rows

from forcestat.findings import measure_paragraph

SIX = sorted(AREAS)
CRIMES = Measure("crime", "crimes", "count", "lower_is_better")
DA_CRIMES = Measure("da_crimes", "domestic abuse crimes", "count", "lower_is_better")


def test_confidence_paragraph_reference_4_1_3():
    assert measure_paragraph(CONFIDENCE, confidence_rows(), areas=AREAS) == [
        "56.4% of people surveyed in the 12 months ending March 2020 agreed that the "
        "Constabulary was dealing with the things that matter to people in their local "
        "community (n = 879).",
        "This is significantly lower than the 12 months ending March 2019.",
        "There is notable variation by district, with confidence levels in all three districts "
        "in South policing area either stable or improved year on year, but deteriorated in "
        "North policing area, particularly in Fenland where confidence levels fell below 50% "
        "(n = 134).",
    ]


def test_recorded_crime_paragraph_reference_4_3_5():
    assert measure_paragraph(CRIMES, crime_rows(CRIMES)) == [
        "A significantly higher number of crimes were recorded in the financial year to date "
        "(April 2019 to March 2020).",
        "60,210 crimes were recorded in the financial year to date (April 2019 to March 2020), "
        "compared with 55,000 in the previous financial year.",
        "Peterborough was the only district not to record significantly higher levels of crimes "
        "compared to the previous financial year, with Cambridge City and East Cambridgeshire "
        "both reporting double digit growth year on year.",
    ]


def test_all_districts_and_trend_reference_5_1_2():
    rows = [
        row(DA_CRIMES, 9000, previous_year=cmp(8000, "significantly_higher"), trend="upwards"),
        *(
            district(DA_CRIMES, name, 1500, previous_year=cmp(1300, "significantly_higher"))
            for name in SIX
        ),
    ]
    assert measure_paragraph(DA_CRIMES, rows) == [
        "A significantly higher number of domestic abuse crimes were recorded over the last 12 "
        "months, with all six districts seeing significantly higher levels of domestic abuse "
        "crimes.",
        "9,000 domestic abuse crimes were recorded in the 12 months ending March 2020, compared "
        "with 8,000 in the 12 months ending March 2019.",
        "The number of domestic abuse crimes is trending upwards.",
        "All six districts reported double digit growth year on year.",
    ]


def test_count_paragraph_without_a_significant_change():
    rows = [
        row(CSA, 900, previous_year=cmp(890, "comparable"), long_term=cmp(850, "comparable")),
        area(CSA, "North", 450, previous_year=cmp(440, "comparable"), spc_signal="concern"),
        area(CSA, "South", 450, previous_year=cmp(450, "comparable")),
    ]
    assert measure_paragraph(CSA, rows) == [
        "900 Child Sexual Abuse offences were recorded in the 12 months ending March 2020.",
        "This is comparable to the 12 months ending March 2019; and marginally higher than, but "
        "comparable to, the long term benchmark.",
        "In North policing area, 450 Child Sexual Abuse offences were recorded in the 12 months "
        "ending March 2020, marginally higher than, but comparable to, the 12 months ending March "
        "2019.",
        "In South policing area, 450 Child Sexual Abuse offences were recorded in the 12 months "
        "ending March 2020, comparable to the 12 months ending March 2019.",
        "Monthly figures show special cause variation of concern in North policing area.",
    ]


def test_small_bases_in_a_paragraph():
    rows = [
        row(SATISFACTION, 77.2, 971, previous_year=cmp(78.9, "comparable")),
        area(
            SATISFACTION,
            "North",
            70.0,
            400,
            suppressed=True,
            previous_year=cmp(72.0, "significantly_lower"),
        ),
        area(SATISFACTION, "South", 80.0, 571, previous_year=cmp(80.5, "comparable")),
        district(SATISFACTION, "Fenland", 70.0, 63, previous_year=cmp(72.0, "comparable")),
        district(
            SATISFACTION, "Peterborough", 70.0, 40, previous_year=cmp(82.0, "significantly_lower")
        ),
        district(SATISFACTION, "Huntingdonshire", 71.0, 297, previous_year=cmp(71.5, "comparable")),
    ]
    assert measure_paragraph(SATISFACTION, rows) == [
        "77.2% of the victims of crime surveyed in the 12 months ending March 2020 were at least "
        "fairly satisfied with overall service delivery (n = 971).",
        "This is marginally lower than, but comparable to, the 12 months ending March 2019.",
        "In South policing area, 80.0% of the victims of crime surveyed in the 12 months ending "
        "March 2020 were at least fairly satisfied with overall service delivery (n = 571), "
        "comparable to the 12 months ending March 2019.",
        # Peterborough cannot be compared, so the districts that can are named.
        "The victim satisfaction rate was not significantly different from the 12 months ending "
        "March 2019 in both Fenland and Huntingdonshire.",
        "There were too few responses to report in Peterborough (n = 40).",
        "Figures for North policing area are not reported: the numbers involved are too small.",
        "Results for Fenland should be treated with caution (n = 63).",
    ]


def test_force_with_too_few_responses_says_only_that():
    rows = [
        row(
            SATISFACTION,
            20.0,
            12,
            previous_year=cmp(80.0, "significantly_lower"),
            trend="downwards",
            spc_signal="concern",
        )
    ]
    assert measure_paragraph(SATISFACTION, rows) == [
        "There were too few responses to report the victim satisfaction rate for the 12 months "
        "ending March 2020 (n = 12).",
    ]


def test_latest_period_and_leading_window_are_used():
    rows = [
        row(SATISFACTION, 70.0, 971, period_end="2020-02", previous_year=cmp(78.9, "comparable")),
        row(SATISFACTION, 71.0, 240, window="3m", previous_year=cmp(78.9, "comparable")),
        row(SATISFACTION, 77.2, 971, previous_year=cmp(77.0, "comparable")),
    ]
    assert measure_paragraph(SATISFACTION, rows)[1] == (
        "This is comparable to the 12 months ending March 2019."
    )
    three_month = [r for r in rows if r["window"] == "3m"]
    assert measure_paragraph(SATISFACTION, three_month)[0].startswith(
        "71.0% of the victims of crime surveyed in the three months ending March 2020"
    )
    assert measure_paragraph(SATISFACTION, []) == []


def test_paragraphs_are_deterministic_for_shuffled_rows():
    cases = [
        (CONFIDENCE, confidence_rows(), AREAS),
        (CRIMES, crime_rows(CRIMES), None),
    ]
    rng = random.Random(11)
    for measure, rows, areas in cases:
        expected = measure_paragraph(measure, rows, areas=areas)
        for _ in range(25):
            shuffled = [dict(reversed(list(r.items()))) for r in rows]
            rng.shuffle(shuffled)
            assert measure_paragraph(measure, shuffled, areas=areas) == expected


def test_growth_after_no_significant_district_stands_alone():
    rows = [row(CRIMES, 60000, previous_year=cmp(59000, "comparable"))]
    for name in SIX:
        before = 8000 if name == "Fenland" else 9900
        rows.append(district(CRIMES, name, 9950, previous_year=cmp(before, "comparable")))
    assert measure_paragraph(CRIMES, rows)[-2:] == [
        "None of the six districts recorded significantly different levels of crimes compared to "
        "the 12 months ending March 2019.",
        "Fenland reported double digit growth year on year.",
    ]


def test_location_buckets_are_not_named_as_districts():
    """'No location' holds records (tables show it) but a Board paper never compares it."""
    from forcestat.findings import rank
    from forcestat.findings.build import build_findings

    rows = confidence_rows() + [
        district(CONFIDENCE, "No location", 30.0, 20, previous_year=cmp(60.0, "insufficient_data"))
    ]
    text = " ".join(measure_paragraph(CONFIDENCE, rows, areas=AREAS))
    assert "No location" not in text
    assert measure_paragraph(CONFIDENCE, rows, areas=AREAS) == measure_paragraph(
        CONFIDENCE, confidence_rows(), areas=AREAS
    )
    rows.append(
        district(CRIMES, "No location", 12, 12, previous_year=cmp(1, "significantly_higher"))
    )
    ranked = rank(build_findings(rows, [CONFIDENCE, CRIMES]))
    assert all(f.unit != "No location" for f in ranked)
