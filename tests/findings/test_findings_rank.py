"""rank: a documented additive score, deterministic ties."""

import random

from findings_helpers import AREAS, CONFIDENCE, CRIME, SATISFACTION, SSO, area, cmp, district, row

from forcestat.findings import build_findings, rank, scored
from forcestat.findings.rank import WEIGHTS

SIX = sorted(AREAS)


def by_unit(results, comparator="previous_year"):
    return {s.finding.unit: s for s in results if s.finding.comparator == comparator}


def test_significant_worse_beats_better_beats_spc_and_small_base():
    rows = [
        # No force row: nothing here is out of line with a force.
        district(SSO, "Huntingdonshire", 300, previous_year=cmp(200, "significantly_higher")),
        area(SSO, "North", 500, previous_year=cmp(700, "significantly_lower")),  # better
        area(SSO, "South", 800, previous_year=cmp(795, "comparable"), spc_signal="concern"),
        district(SSO, "Fenland", 200, previous_year=cmp(199, "comparable"), small_base=True),
        district(SSO, "Peterborough", 200, previous_year=cmp(199, "comparable")),
    ]
    ranked = rank(build_findings(rows, [SSO]))
    assert [f.unit for f in ranked] == [
        "Huntingdonshire",
        "North",
        "South",
        "Fenland",
        "Peterborough",
    ]


def test_spc_concern_above_improvement():
    rows = [
        area(SSO, "North", 800, previous_year=cmp(795, "comparable"), spc_signal="improvement"),
        area(SSO, "South", 800, previous_year=cmp(795, "comparable"), spc_signal="concern"),
    ]
    results = by_unit(scored(build_findings(rows, [SSO])))
    assert results["South"].reasons == ("spc_concern",)
    assert results["North"].reasons == ("spc_improvement",)
    assert results["South"].score > results["North"].score


def test_the_only_district_out_of_line_with_the_force():
    rows = [row(CRIME, 60000, window="fytd", previous_year=cmp(55000, "significantly_higher"))]
    for name in SIX:
        verdict = "comparable" if name == "Peterborough" else "significantly_higher"
        rows.append(district(CRIME, name, 9900, window="fytd", previous_year=cmp(9500, verdict)))
    results = by_unit(scored(build_findings(rows, [CRIME])))
    assert results["Peterborough"].reasons == ("out_of_line_verdict", "only_unit_out_of_line")
    assert results["Fenland"].reasons == ("significant_worse",)
    # Out of line with the force (70 + 1 + 3) ranks below a significant deterioration (100 + 4).
    assert results["Peterborough"].score == 74
    assert results["Fenland"].score == 104


def test_a_district_whose_interval_excludes_the_force_value():
    rows = [
        row(CONFIDENCE, 56.4, 879, previous_year=cmp(56.0, "comparable"), ci=(53.1, 59.6)),
        district(
            CONFIDENCE, "Fenland", 45.0, 134, previous_year=cmp(46.0, "comparable"), ci=(36.8, 53.5)
        ),
        district(
            CONFIDENCE,
            "Peterborough",
            52.0,
            134,
            previous_year=cmp(51.0, "comparable"),
            ci=(43.6, 60.3),
        ),
    ]
    results = by_unit(scored(build_findings(rows, [CONFIDENCE])))
    assert results["Fenland"].reasons == ("out_of_line_value",)
    assert results["Peterborough"].reasons == ()
    assert rank(build_findings(rows, [CONFIDENCE]))[0].unit == "Fenland"


def test_counts_are_never_compared_by_value_with_the_force():
    rows = [
        row(SSO, 1234, previous_year=cmp(1230, "comparable"), ci=(1165, 1305)),
        district(SSO, "Fenland", 200, previous_year=cmp(199, "comparable"), ci=(173, 230)),
    ]
    results = by_unit(scored(build_findings(rows, [SSO])))
    assert results["Fenland"].reasons == ()


def test_small_base_warnings_are_ranked():
    rows = [
        district(SATISFACTION, "Fenland", 70.0, 34, previous_year=cmp(80.0, "significantly_lower")),
        district(SATISFACTION, "Peterborough", 70.0, 63, previous_year=cmp(71.0, "comparable")),
        district(SATISFACTION, "Huntingdonshire", 70.0, 400, previous_year=cmp(71.0, "comparable")),
    ]
    results = by_unit(scored(build_findings(rows, [SATISFACTION])))
    # Too few to report: the significant verdict counts for nothing, the warning does.
    assert results["Fenland"].reasons == ("too_few",)
    assert results["Peterborough"].reasons == ("caution",)
    assert results["Huntingdonshire"].reasons == ()
    assert results["Fenland"].score == WEIGHTS["too_few"] + 1 + 3


def test_ranking_is_deterministic_under_shuffling():
    rows = [row(CRIME, 60000, previous_year=cmp(55000, "significantly_higher"), trend="upwards")]
    for i, name in enumerate(SIX):
        verdict = ("comparable", "significantly_higher", "significantly_lower")[i % 3]
        rows.append(
            district(
                CRIME,
                name,
                9900,
                previous_year=cmp(9500, verdict),
                long_term=cmp(9000, verdict),
                spc_signal="concern" if i == 2 else "none",
            )
        )
    findings = build_findings(rows, [CRIME])
    expected = rank(findings)
    rng = random.Random(3)
    for _ in range(20):
        shuffled = findings[:]
        rng.shuffle(shuffled)
        assert rank(shuffled) == expected
    scores = [s.score for s in scored(findings)]
    assert scores == sorted(scores, reverse=True)


def test_an_area_against_the_force_outranks_the_force_itself():
    # North is significantly better while the force is significantly worse: both a significant
    # change and out of line with the force (90 + 50 + 2 + 3), above the force (100 + 3 + 3).
    rows = [
        row(SSO, 1300, previous_year=cmp(1000, "significantly_higher")),
        area(SSO, "North", 500, previous_year=cmp(700, "significantly_lower")),
        area(SSO, "South", 800, previous_year=cmp(300, "significantly_higher")),
    ]
    results = scored(build_findings(rows, [SSO]))
    assert [(s.finding.unit, s.score, s.reasons) for s in results] == [
        ("North", 145, ("significant_better", "out_of_line_verdict")),
        ("Cambridgeshire", 106, ("significant_worse",)),
        ("South", 105, ("significant_worse",)),
    ]
