"""Home Office / ONS tables and the national context, against SOURCES.md section 5.6-5.8
(figures computed there independently, with duckdb, from the same files) and against a plain
Python recomputation from the CSV slices in tests/data/police_uk/national."""

from __future__ import annotations

import csv

import pytest
from puk_helpers import DATA, REAL, needs_real, table_rows

from forcestat.engine.national import NationalContextError, national_context, resolve_year
from forcestat.findings.national import national_sentences
from forcestat.store.loader import LoadError, StrictLoadError
from forcestat.store.sources.home_office import load_home_office

NATIONAL = DATA / "national"


@pytest.fixture
def ho_store(new_store):
    st = new_store()
    rep = load_home_office(st, [NATIONAL])
    assert rep.quarantined == 0
    return st


def _csv(name: str) -> list[dict[str, str]]:
    with open(NATIONAL / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_files_load_into_their_tables_and_again_change_nothing(new_store):
    st = new_store()
    rep = load_home_office(st, [NATIONAL])
    assert {k: v.inserted for k, v in rep.tables.items()} == {
        "ho_recorded_crime": len(_csv("pfa_recorded_crime_by_financial_year.csv")),
        "ho_outcomes": len(_csv("pfa_outcomes_by_financial_year_subset.csv")),
        "ons_population": len(_csv("ons_mid_year_population_lad19_2018_2019.csv")),
        "ons_crime_severity": len(_csv("ons_crime_severity_score_cambs_ew_fy2019_2020.csv")),
    }
    before = {t: table_rows(st, t) for t in rep.tables}
    again = load_home_office(st, sorted(NATIONAL.iterdir()))
    assert all(r.inserted == r.replaced == 0 for r in again.tables.values())
    assert {t: table_rows(st, t) for t in rep.tables} == before


def test_headers_are_the_tables_columns():
    from forcestat.store.schema import NATIONAL_TABLES
    from forcestat.store.sources.home_office import table_for

    for f in sorted(NATIONAL.iterdir()):
        table = table_for(f)
        with open(f, newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh))
        assert table in NATIONAL_TABLES and header == list(table.column_names), f.name


def test_unknown_files_and_bad_values(new_store, tmp_path):
    st = new_store()
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    with pytest.raises(LoadError, match="odd.csv: not a Home Office or ONS table"):
        load_home_office(st, [odd])
    bad = tmp_path / "rc.csv"
    bad.write_text("force,slug,fy,recorded_crime\nX,x,2019/20,lots\nY,y,2019/20,:\nZ,z,2019/20,5\n")
    rep = load_home_office(st, [bad])
    # ':' is the publishers' "not available": empty, so the required count is missing.
    reasons = [r.reason for r in rep.tables["ho_recorded_crime"].rejections]
    assert reasons == [
        "recorded_crime: 'lots' is not a whole number",
        "recorded_crime: required value is missing",
    ]
    assert st.count("ho_recorded_crime") == 1
    with pytest.raises(StrictLoadError):
        load_home_office(new_store("strict"), [bad], strict=True)


# -- national context -----------------------------------------------------------------------------


def test_national_context_matches_sources_md(ho_store):
    nc = national_context(ho_store, "2020-03")
    # SOURCES.md 5.6: 64,505 -> 68,220 = +5.76%, 9th highest increase of 43; 43-force total
    # 5,200,043 -> 5,234,118 (+0.66%).
    assert (nc.recorded.previous, nc.recorded.value) == (64_505, 68_220)
    assert round(nc.recorded.change_pct, 2) == 5.76
    assert (nc.rank, nc.rank_direction, nc.forces_compared, nc.tied) == (9, "increase", 43, False)
    assert (nc.national_recorded.previous, nc.national_recorded.value) == (5_200_043, 5_234_118)
    assert round(nc.national_recorded.change_pct, 2) == 0.66
    # 5.7: mid-2019 population 855,796; 68,220 / 855.796 = 79.72 per 1,000.
    assert nc.rate.denominator == 855_796 and nc.population_year == 2019
    assert round(nc.rate.value, 2) == 79.72
    # 5.8: charge/summons (type 1, closed, all offences) / recorded: 5,324 / 68,220 = 7.80%
    # (2018/19: 8.33%); 43 forces 414,389 / 5,234,118 = 7.92%.
    assert (nc.charge_rate.numerator, round(nc.charge_rate.value, 2)) == (5_324, 7.80)
    assert round(nc.charge_rate.previous, 2) == 8.33
    assert nc.national_charge_rate.numerator == 414_389
    assert round(nc.national_charge_rate.value, 2) == 7.92
    assert national_sentences(nc)[0] == (
        "Police recorded crime in Cambridgeshire increased by 5.8% in the 12 months to March "
        "2020, the 9th highest increase nationally. Cambridgeshire recorded 68,220 crimes, "
        "against 64,505 in the 12 months to March 2019."
    )
    assert national_sentences(nc)[1] == (
        "Across England and Wales (43 territorial police forces) recorded crime increased by "
        "0.7% over the same period, to 5,234,118 crimes."
    )
    assert national_sentences(nc)[2].startswith(
        "Cambridgeshire recorded 79.7 crimes per 1,000 residents"
    )
    assert "7.8% of the crimes Cambridgeshire recorded" in national_sentences(nc)[3]
    assert "lower than 7.9% for England and Wales" in national_sentences(nc)[3]


def test_national_context_recomputed_from_the_csvs(ho_store):
    """Change, rank and the national figures again, in plain Python from the CSV slices."""
    rc = {
        (r["force"], r["fy"]): int(r["recorded_crime"])
        for r in _csv("pfa_recorded_crime_by_financial_year.csv")
    }
    forces = sorted({f for f, fy in rc if fy == "2019/20"} - {"British Transport Police"})
    change = {f: rc[f, "2019/20"] / rc[f, "2018/19"] - 1 for f in forces}
    order = sorted(forces, key=lambda f: -change[f])
    pops = [r for r in _csv("ons_mid_year_population_lad19_2018_2019.csv") if r["year"] == "2019"]
    ew = sum(int(r["population"]) for r in pops if r["ladcode19"][0] in "EW")
    t1 = {
        r["force"]: int(r["closed_all_t1"])
        for r in _csv("pfa_outcomes_by_financial_year_subset.csv")
        if r["fy"] == "2019/20"
    }
    nc = national_context(ho_store, "2019/20")
    assert len(forces) == 43 and nc.rank == order.index("Cambridgeshire") + 1
    total = sum(rc[f, "2019/20"] for f in forces)
    assert nc.national_rate.value == pytest.approx(total / ew * 1000)
    assert nc.national_charge_rate.value == pytest.approx(100 * sum(t1[f] for f in forces) / total)
    # 2018/19 was a fall for Cambridgeshire while most forces rose.
    earlier = national_context(ho_store, "2019-03")
    prev_change = {f: rc[f, "2018/19"] / rc[f, "2017/18"] - 1 for f in forces}
    falls = sorted(prev_change[f] for f in forces if prev_change[f] < 0)
    assert earlier.rank_direction == "decrease"
    assert earlier.rank == falls.index(prev_change["Cambridgeshire"]) + 1
    assert "decreased by 2.5%" in national_sentences(earlier)[0]


def test_measure_rows_have_the_results_shape(ho_store):
    from forcestat.engine.results import COLUMNS

    df = national_context(ho_store, "2020-03").to_frame()
    assert list(df.columns) == list(COLUMNS)
    got = {(r.measure_id, r.breakdown): r for r in df.itertuples()}
    assert set(got) == {
        (m, b)
        for m in ("national_recorded_crime", "national_recorded_crime_per_1000")
        + ("national_charge_rate",)
        for b in ("force", "national")
    }
    row = got["national_recorded_crime", "force"]
    assert (row.unit, row.period_end, row.window, row.value) == (
        "Cambridgeshire",
        "2020-03",
        "12m",
        68_220,
    )
    assert (row.previous_year_value, row.previous_year_diff) == (64_505, 3_715)
    assert row.previous_year_verdict == "significantly_higher"
    nat = got["national_charge_rate", "national"]
    assert nat.unit == "England and Wales" and round(nat.value, 2) == 7.92
    assert nat.ci_low < nat.value < nat.ci_high


def test_periods_resolve_to_the_last_complete_financial_year():
    assert resolve_year("2020-03") == ("2019/20", "2020-03")
    assert resolve_year("2020-12") == ("2019/20", "2020-03")
    assert resolve_year("2020-02") == ("2018/19", "2019-03")
    assert resolve_year("2019/20") == ("2019/20", "2020-03")
    with pytest.raises(ValueError):
        resolve_year("2019/21")


def test_missing_tables_say_what_to_load(new_store, ho_store):
    with pytest.raises(NationalContextError, match="--format home-office"):
        national_context(new_store("empty"), "2020-03")
    with pytest.raises(NationalContextError, match="no Home Office recorded crime for"):
        national_context(ho_store, "2016-03")
    nc = national_context(ho_store, "2018-03")  # 2017/18: no 2016/17 in the slice
    assert nc.rank is None and any("previous year" in n for n in nc.notes)


@needs_real
def test_full_home_office_files_give_the_same_figures(new_store):
    st = new_store()
    load_home_office(st, [REAL / "home_office", REAL / "population", REAL / "ons_css"])
    nc = national_context(st, "2020-03")
    assert (nc.rank, round(nc.recorded.change_pct, 2), round(nc.rate.value, 2)) == (9, 5.76, 79.72)
    assert round(nc.national_recorded.change_pct, 2) == 0.66
    assert round(nc.national_charge_rate.value, 2) == 7.92
    # The CSS file marks unavailable scores ':': loaded as empty, not quarantined.
    assert st.count("quarantine") == 0


def test_report_section_hook(ho_store):
    from forcestat.outputs.report.national import national_hook
    from forcestat.outputs.report.sections import ReportContext, extra_sections
    from forcestat.period import Period
    from forcestat.pipeline import national_hooks

    nc = national_context(ho_store, "2020-03")
    ctx = ReportContext(
        framework=None,
        period="2020-03",
        results=None,
        public=True,
        threshold=5,
        areas={},
        commentary=None,
    )
    extra = extra_sections(ctx, [national_hook(nc, national_sentences(nc))])
    (sec,) = extra["national_context"]
    texts = [getattr(i, "text", "") for i in sec.items]
    assert texts[0].startswith("Police recorded crime in Cambridgeshire increased by 5.8%")
    table = sec.items[-1]
    cells = {r.cells[0].text: (r.cells[1].text, r.cells[2].text) for r in table.rows}
    assert cells["Police recorded crime"] == ("68,220", "5,234,118")
    assert cells["Change on the previous year"] == ("+5.8% (9th highest increase)", "+0.7%")
    assert cells["Crimes per 1,000 residents"] == ("79.7", "88.1")
    # The pipeline adds the section only when the store holds the Home Office tables.
    assert len(national_hooks(ho_store, Period(2020, 3))) == 1
    assert extra_sections(ctx, [])["national_context"] == []


def test_an_ibis_backend_works_as_well_as_a_store(ho_store):
    assert national_context(ho_store.ibis, "2020-03").rank == 9
