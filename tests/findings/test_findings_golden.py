"""Golden sentences: the reference Board report's own sentences where our numbers allow.

Each test builds measure_results rows by hand and pins the exact text. Where the house style
of DESIGN.md differs from the reference report's wording, the test says so.
"""

from findings_helpers import (
    AREAS,
    CONFIDENCE,
    CRIME,
    CSA,
    CSE_SHARE,
    OUTCOME_RATE,
    RESPONSE,
    SATISFACTION,
    SSO,
    Measure,
    area,
    cmp,
    district,
    row,
)

from forcestat.findings import build_findings, grouped, measure_paragraph, wording
from forcestat.findings.units import Units

SIX = sorted(AREAS)


def texts(statements):
    return [s.text for s in statements]


def text_of(statement):
    return None if statement is None else statement.text


def one(measure, r, comparator="previous_year"):
    (f,) = [f for f in build_findings([r], [measure]) if f.comparator == comparator]
    return f


def units(measure, rows):
    return Units.from_findings(build_findings(rows, [measure]))


# -- reference report 4.1.1: victim satisfaction --------------------------------------------------
def test_satisfaction_rate_and_marginal_comparison_reference_4_1_1():
    r = row(SATISFACTION, 750 / 971 * 100, 971, previous_year=cmp(78.9, "comparable"))
    f = one(SATISFACTION, r)
    assert wording.value_sentence(f, SATISFACTION) == (
        "77.2% of the victims of crime surveyed in the 12 months ending March 2020 were at least "
        "fairly satisfied with overall service delivery (n = 971)."
    )
    assert wording.comparison_sentence([f]) == (
        "This is marginally lower than, but comparable to, the 12 months ending March 2019."
    )


def test_comparable_within_one_point():
    f = one(SATISFACTION, row(SATISFACTION, 77.2, 971, previous_year=cmp(77.9, "comparable")))
    assert f.strength == "comparable"
    assert wording.comparison_sentence([f]) == (
        "This is comparable to the 12 months ending March 2019."
    )


def test_significant_against_benchmarks():
    r = row(
        OUTCOME_RATE,
        12.4,
        4000,
        long_term=cmp(10.1, "significantly_higher"),
        year_end=cmp(10.9, "significantly_higher"),
    )
    fs = build_findings([r], [OUTCOME_RATE])
    assert wording.comparison_sentence(fs) == (
        "This is significantly higher than both the long term benchmark and the year end benchmark."
    )
    assert wording.comparison_sentence([fs[1]]) == (
        "This is significantly higher than the year end benchmark."
    )


def test_mixed_comparisons_joined_as_in_the_reference():
    r = row(
        SATISFACTION,
        77.2,
        971,
        previous_year=cmp(78.9, "comparable"),
        long_term=cmp(80.5, "significantly_lower"),
    )
    assert wording.comparison_sentence(build_findings([r], [SATISFACTION])) == (
        "This is marginally lower than, but comparable to, the 12 months ending March 2019; "
        "and significantly lower than the long term benchmark."
    )


# -- reference report 4.1.2: outcome rates --------------------------------------------------------
def test_outcome_rate_generic_sentence_reference_4_1_2():
    # The reference says "lower than, but comparable to"; DESIGN section 6 adds "marginally".
    r = row(OUTCOME_RATE, 10.8, 45678, long_term=cmp(11.9, "comparable"))
    f = one(OUTCOME_RATE, r, "long_term")
    assert wording.value_sentence(f, OUTCOME_RATE) == (
        "The all crime prosecution possible outcome rate for the 12 months ending March 2020 "
        "was 10.8% (n = 45,678)."
    )
    assert wording.comparison_sentence([f]) == (
        "This is marginally lower than, but comparable to, the long term benchmark."
    )


def test_trending_upwards_in_both_areas_reference_4_1_2():
    rows = [
        row(OUTCOME_RATE, 10.8, 45678),
        area(OUTCOME_RATE, "North", 11.9, 20000, trend="upwards"),
        area(OUTCOME_RATE, "South", 9.9, 25678, trend="upwards"),
    ]
    assert texts(grouped.trend_sentences(units(OUTCOME_RATE, rows))) == [
        "The all crime prosecution possible outcome rate is trending upwards in both North and "
        "South policing areas."
    ]


def test_downward_trend_halted_reference_4_1_2():
    da = Measure("da_pp", "domestic abuse outcome rate", "proportion", "higher_is_better")
    rows = [row(da, 8.1, 9000, year_end=cmp(9.5, "significantly_lower"), trend="halted_downwards")]
    assert measure_paragraph(da, rows) == [
        "The domestic abuse outcome rate for the 12 months ending March 2020 was 8.1% (n = 9,000).",
        "This is significantly lower than the year end benchmark.",
        "However, there are early signs that the long term downward trend has been halted.",
    ]


def test_halted_in_both_areas_reference_5_1_3():
    # The reference reads "in both North and South policing area"; we keep the plural.
    da = Measure("da_pp", "domestic abuse outcome rate", "proportion", "higher_is_better")
    rows = [
        row(da, 8.1, 9000),
        area(da, "North", 8.0, 4000, trend="halted_downwards"),
        area(da, "South", 8.2, 5000, trend="halted_downwards"),
    ]
    assert texts(grouped.trend_sentences(units(da, rows))) == [
        "There are early signs that the long term downward trend has been halted in both North "
        "and South policing areas."
    ]


# -- reference report 4.1.3: confidence ----------------------------------------------------------
def confidence_rows():
    north = {
        "Fenland": (48.5, 134, 56.0),
        "Huntingdonshire": (55.0, 130, 61.0),
        "Peterborough": (52.5, 136, 59.0),
    }
    south = {
        "Cambridge City": (60.0, 160, 59.0),
        "East Cambridgeshire": (61.0, 150, 57.0),
        "South Cambridgeshire": (63.0, 169, 55.0),
    }
    rows = [row(CONFIDENCE, 56.4, 879, previous_year=cmp(59.1, "significantly_lower"))]
    for name, (value, n, before) in north.items():
        rows.append(
            district(CONFIDENCE, name, value, n, previous_year=cmp(before, "significantly_lower"))
        )
    for name, (value, n, before) in south.items():
        verdict = "significantly_higher" if value - before > 5 else "comparable"
        rows.append(district(CONFIDENCE, name, value, n, previous_year=cmp(before, verdict)))
    return rows


def test_confidence_rate_reference_4_1_3():
    f = one(CONFIDENCE, confidence_rows()[0])
    assert wording.value_sentence(f, CONFIDENCE) == (
        "56.4% of people surveyed in the 12 months ending March 2020 agreed that the "
        "Constabulary was dealing with the things that matter to people in their local "
        "community (n = 879)."
    )


def test_particularly_in_fenland_reference_4_1_3():
    fenland = one(CONFIDENCE, confidence_rows()[1])
    assert grouped.particularly_clause(fenland) == (
        ", particularly in Fenland where confidence levels fell below 50% (n = 134)"
    )


def test_district_variation_reference_4_1_3():
    u = units(CONFIDENCE, confidence_rows())
    assert text_of(grouped.variation_sentence(u, "previous_year", AREAS)) == (
        "There is notable variation by district, with confidence levels in all three districts "
        "in South policing area either stable or improved year on year, but deteriorated in "
        "North policing area, particularly in Fenland where confidence levels fell below 50% "
        "(n = 134)."
    )
    # Without a geography the groups are named district by district.
    assert text_of(grouped.variation_sentence(u, "previous_year")) == (
        "There is notable variation by district, with confidence levels in the other three "
        "districts either stable or improved year on year, but deteriorated in Fenland, "
        "Huntingdonshire and Peterborough, particularly in Fenland where confidence levels fell "
        "below 50% (n = 134)."
    )


# -- reference report 4.3.2 and 4.3.5: recorded crime and growth --------------------------------
def crime_rows(phrase_measure=CRIME):
    rows = [
        row(phrase_measure, 60210, window="fytd", previous_year=cmp(55000, "significantly_higher"))
    ]
    for name in SIX:
        before = 8500 if name in ("Cambridge City", "East Cambridgeshire") else 9500
        verdict = "comparable" if name == "Peterborough" else "significantly_higher"
        rows.append(
            district(phrase_measure, name, 9900, window="fytd", previous_year=cmp(before, verdict))
        )
    return rows


def test_only_district_not_reference_4_3_5():
    u = units(CRIME, crime_rows())
    assert texts(grouped.district_summary(u, "previous_year")) == [
        "Peterborough was the only district not to record significantly higher levels of crime "
        "compared to the previous financial year."
    ]


def test_double_digit_growth_reference_4_3_5():
    u = units(CRIME, crime_rows())
    assert grouped.growth_clause(u.at("district", "previous_year")) == (
        "with Cambridge City and East Cambridgeshire both reporting double digit growth year on "
        "year"
    )
    assert text_of(grouped.growth_sentence(u.at("district", "previous_year"))) == (
        "Cambridge City and East Cambridgeshire both reported double digit growth year on year."
    )


def test_double_digit_growth_of_measures_reference_4_3_2():
    webchats = Measure("contact_a_webchat", "Webchats", "count", "neutral")
    online = Measure("contact_b_online", "online crime reports", "count", "neutral")
    rows = [
        row(webchats, 5600, previous_year=cmp(4700, "significantly_higher")),
        row(online, 12000, previous_year=cmp(10500, "significantly_higher")),
    ]
    fs = build_findings(rows, [webchats, online])
    assert grouped.growth_clause(fs, verb="recording") == (
        "with Webchats and online crime reports both recording double digit growth year on year"
    )


# -- reference report 5.1.2, 5.2.1 and 5.3.1: counts -----------------------------------------------
def test_all_six_districts_reference_5_1_2():
    demand = Measure("da_crimes", "demand", "count", "lower_is_better")
    rows = [
        district(demand, name, 1000, previous_year=cmp(800, "significantly_higher")) for name in SIX
    ]
    u = units(demand, rows)
    assert grouped.all_districts_clause(u, "previous_year", "significantly_higher") == (
        "with all six districts seeing significantly higher levels of demand"
    )


def test_count_headline_both_areas_reference_5_2_1():
    rows = [
        row(CSA, 900, previous_year=cmp(700, "significantly_higher")),
        area(CSA, "North", 450, previous_year=cmp(350, "significantly_higher")),
        area(CSA, "South", 450, previous_year=cmp(350, "significantly_higher")),
    ]
    headline, covered = grouped.count_headline(units(CSA, rows), "previous_year")
    assert headline == (
        "A significantly higher number of Child Sexual Abuse offences were recorded over the last "
        "12 months in both North and South policing areas."
    )
    assert covered == {("force", "Cambridgeshire"), ("area", "North"), ("area", "South")}


def test_count_headline_force_and_one_area_reference_5_3_1():
    rows = [
        row(SSO, 1234, previous_year=cmp(1050, "significantly_higher")),
        area(SSO, "North", 700, previous_year=cmp(560, "significantly_higher")),
        area(SSO, "South", 534, previous_year=cmp(530, "comparable")),
    ]
    headline, _ = grouped.count_headline(units(SSO, rows), "previous_year")
    assert headline == (
        "A significantly higher number of serious sexual offences were recorded over the last 12 "
        "months, at both force level and in North policing area."
    )


def test_count_paragraph_reference_5_3_1():
    rows = [
        row(SSO, 1234, previous_year=cmp(1050, "significantly_higher")),
        area(SSO, "North", 700, previous_year=cmp(560, "significantly_higher")),
        area(SSO, "South", 534, previous_year=cmp(530, "comparable")),
    ]
    assert measure_paragraph(SSO, rows) == [
        "A significantly higher number of serious sexual offences were recorded over the last 12 "
        "months, at both force level and in North policing area.",
        "1,234 serious sexual offences were recorded in the 12 months ending March 2020, compared "
        "with 1,050 in the 12 months ending March 2019.",
        "In South policing area, 534 serious sexual offences were recorded in the 12 months ending "
        "March 2020, comparable to the 12 months ending March 2019.",
    ]


def test_count_against_long_term_benchmark_names_it():
    rows = [
        row(SSO, 1234, long_term=cmp(1000, "significantly_higher")),
        area(SSO, "North", 700, long_term=cmp(500, "significantly_higher")),
        area(SSO, "South", 534, long_term=cmp(500, "comparable")),
    ]
    assert measure_paragraph(SSO, rows) == [
        "The number of serious sexual offences recorded over the last 12 months was significantly "
        "higher than the long term benchmark, at both force level and in North policing area.",
        "1,234 serious sexual offences were recorded in the 12 months ending March 2020, compared "
        "with the long term benchmark of 1,000.",
        "In South policing area, 534 serious sexual offences were recorded in the 12 months ending "
        "March 2020, marginally higher than, but comparable to, the long term benchmark.",
    ]


# -- reference report 5.2.1: share ---------------------------------------------------------------
def test_share_over_a_third_reference_5_2_1():
    f = one(CSE_SHARE, row(CSE_SHARE, 36.4, 1210, previous_year=cmp(28.0, "significantly_higher")))
    assert wording.share_sentence(f, CSE_SHARE) == (
        "Over a third of all crimes related to Child Sexual Exploitation in the 12 months ending "
        "March 2020 (36.4%, n = 1,210)."
    )


def test_share_without_a_band_gives_the_figure():
    f = one(CSE_SHARE, row(CSE_SHARE, 18.0, 1210, previous_year=cmp(17.5, "comparable")))
    assert wording.share_sentence(f, CSE_SHARE) == (
        "18.0% of all crimes related to Child Sexual Exploitation in the 12 months ending "
        "March 2020 (n = 1,210)."
    )


# -- response times: medians ----------------------------------------------------------------------
def test_median_stable_compared_with():
    r = row(RESPONSE, 11.24, 10456, previous_year=cmp(11.1, "comparable"))
    assert measure_paragraph(RESPONSE, [r]) == [
        "The median time to attend immediate grade incidents was 11.2 minutes in the 12 months "
        "ending March 2020 (n = 10,456), stable compared with the 12 months ending March 2019."
    ]


def test_median_marginal_and_significant():
    r = row(
        RESPONSE,
        11.9,
        10456,
        previous_year=cmp(11.1, "comparable"),
        long_term=cmp(13.0, "significantly_lower"),
    )
    assert measure_paragraph(RESPONSE, [r]) == [
        "The median time to attend immediate grade incidents was 11.9 minutes in the 12 months "
        "ending March 2020 (n = 10,456), marginally higher than, but comparable to, the 12 months "
        "ending March 2019; and significantly lower than the long term benchmark."
    ]


# -- small bases -----------------------------------------------------------------------------------
def test_small_base_caution_wording():
    f = one(
        SATISFACTION,
        district(SATISFACTION, "Fenland", 70.0, 63, previous_year=cmp(72.0, "comparable")),
    )
    assert wording.value_sentence(f, SATISFACTION) == (
        "In Fenland, 70.0% of the victims of crime surveyed in the 12 months ending March 2020 "
        "were at least fairly satisfied with overall service delivery (treat with caution, n = 63)."
    )


def test_too_few_responses_wording():
    f = one(
        SATISFACTION,
        district(SATISFACTION, "Fenland", 70.0, 34, previous_year=cmp(72.0, "significantly_lower")),
    )
    assert f.strength == "insufficient" and not f.is_significant
    assert wording.value_sentence(f, SATISFACTION) == (
        "In Fenland, there were too few responses to report the victim satisfaction rate for the "
        "12 months ending March 2020 (n = 34)."
    )
    assert wording.comparison_sentence([f]) is None


def test_suppressed_rows_show_neither_value_nor_base():
    f = one(
        SATISFACTION,
        row(SATISFACTION, 70.0, 400, suppressed=True, previous_year=cmp(72.0, "comparable")),
    )
    # n = 400 is a big enough base: the figure is withheld, not "too few responses".
    assert wording.value_sentence(f, SATISFACTION) == (
        "The victim satisfaction rate for the 12 months ending March 2020 is not reported: the "
        "numbers involved are too small."
    )
    small = one(
        SATISFACTION,
        row(SATISFACTION, 70.0, 40, suppressed=True, previous_year=cmp(72.0, "comparable")),
    )
    assert wording.value_sentence(small, SATISFACTION) == (
        "There were too few responses to report the victim satisfaction rate for the 12 months "
        "ending March 2020."
    )
    count = one(SSO, row(SSO, 3, suppressed=True, previous_year=cmp(1, "comparable")))
    assert wording.value_sentence(count, SSO) == (
        "There were too few serious sexual offences to report for the 12 months ending March 2020."
    )


# -- district summaries: every form -------------------------------------------------------------
DISTRICT_CASES = [
    (
        ["significantly_lower"] * 6,
        "The all crime prosecution possible outcome rate was significantly lower than the 12 "
        "months ending March 2019 in all six districts.",
        "All six districts recorded significantly lower levels of serious sexual offences "
        "compared to the 12 months ending March 2019.",
    ),
    (
        ["significantly_lower"] * 5 + ["comparable"],
        "South Cambridgeshire was the only district where the all crime prosecution possible "
        "outcome rate was not significantly lower than the 12 months ending March 2019.",
        "South Cambridgeshire was the only district not to record significantly lower levels of "
        "serious sexual offences compared to the 12 months ending March 2019.",
    ),
    (
        ["comparable"] * 5 + ["significantly_higher"],
        "South Cambridgeshire was the only district where the all crime prosecution possible "
        "outcome rate was significantly higher than the 12 months ending March 2019.",
        "South Cambridgeshire was the only district to record significantly higher levels of "
        "serious sexual offences compared to the 12 months ending March 2019.",
    ),
    (
        ["comparable"] * 6,
        "The all crime prosecution possible outcome rate was not significantly different from the "
        "12 months ending March 2019 in any of the six districts.",
        "None of the six districts recorded significantly different levels of serious sexual "
        "offences compared to the 12 months ending March 2019.",
    ),
]


def test_district_summary_forms():
    for verdicts, rate_text, count_text in DISTRICT_CASES:
        for measure, value, before, text in (
            (OUTCOME_RATE, 50.0, 48.0, rate_text),
            (SSO, 500, 480, count_text),
        ):
            rows = [
                district(measure, d, value, 400, previous_year=cmp(before, v))
                for d, v in zip(SIX, verdicts, strict=True)
            ]
            assert texts(grouped.district_summary(units(measure, rows), "previous_year")) == [text]


def test_district_summary_named_lists_for_mixed_verdicts():
    verdicts = (
        ["significantly_higher"] * 2 + ["comparable"] * 2 + ["significantly_lower"] + ["comparable"]
    )
    rows = [
        district(SSO, d, 500, previous_year=cmp(480, v)) for d, v in zip(SIX, verdicts, strict=True)
    ]
    assert texts(grouped.district_summary(units(SSO, rows), "previous_year")) == [
        "Significantly higher levels of serious sexual offences were recorded in both Cambridge "
        "City and East Cambridgeshire compared to the 12 months ending March 2019.",
        "Peterborough was the only district to record significantly lower levels of serious "
        "sexual offences compared to the 12 months ending March 2019.",
    ]


def test_spc_and_district_trend_sentences():
    rows = [
        row(SSO, 100, spc_signal="improvement"),
        area(SSO, "North", 50, spc_signal="concern"),
        district(SSO, "Fenland", 10, trend="upwards"),
        district(SSO, "Peterborough", 10, trend="upwards"),
    ]
    u = units(SSO, rows)
    assert texts(grouped.spc_sentences(u)) == [
        "Monthly figures show special cause variation of concern in North policing area.",
        "Monthly figures show special cause variation of improvement.",
    ]
    assert texts(grouped.trend_sentences(u)) == [
        "The number of serious sexual offences is trending upwards in both Fenland and "
        "Peterborough."
    ]


def test_rate_per_1000_and_halted_upward_trend():
    rate = Measure("crime_rate", "crime rate", "rate_per_1000", "lower_is_better")
    rows = [
        row(
            rate,
            54.26,
            48000,
            previous_year=cmp(51.0, "significantly_higher"),
            trend="halted_upwards",
        )
    ]
    assert measure_paragraph(rate, rows) == [
        "The crime rate for the 12 months ending March 2020 was 54.3 per 1,000 population "
        "(n = 48,000).",
        "This is significantly higher than the 12 months ending March 2019.",
        "However, there are early signs that the long term upward trend has been halted.",
    ]


def test_mean_and_financial_year_to_date():
    mean = Measure(
        "rape_length",
        "average length of investigation for a rape offence",
        "mean",
        "lower_is_better",
        unit_label="days",
    )
    assert measure_paragraph(mean, [row(mean, 241.3, 310, year_end=cmp(250, "comparable"))]) == [
        "The average length of investigation for a rape offence was 241.3 days in the 12 months "
        "ending March 2020 (n = 310), marginally lower than, but comparable to, the year end "
        "benchmark."
    ]
    r = row(
        SATISFACTION,
        77.2,
        971,
        window="fytd",
        period_end="2020-01",
        previous_year=cmp(78.9, "comparable"),
    )
    assert measure_paragraph(SATISFACTION, [r]) == [
        "77.2% of the victims of crime surveyed in the financial year to date (April 2019 to "
        "January 2020) were at least fairly satisfied with overall service delivery (n = 971).",
        "This is marginally lower than, but comparable to, the same period of the previous "
        "financial year (April 2018 to January 2019).",
    ]


def test_missing_value_says_so():
    assert measure_paragraph(SATISFACTION, [row(SATISFACTION, None, 971)]) == [
        "No figure is available for the victim satisfaction rate for the 12 months ending "
        "March 2020."
    ]


def test_measure_metadata_is_duck_typed():
    from types import SimpleNamespace

    m = SimpleNamespace(
        id="x", title="X", theme="T", phrase="abandoned calls", kind="count", polarity="neutral"
    )
    assert measure_paragraph(m, [row(m, 1234, previous_year=cmp(1200, "comparable"))]) == [
        "1,234 abandoned calls were recorded in the 12 months ending March 2020.",
        "This is marginally higher than, but comparable to, the 12 months ending March 2019.",
    ]
