"""The full Cambridgeshire files (../shared/data/real, where CI has them) against the facts in
SOURCES.md section 5, computed there independently with duckdb. Skipped when the files are
absent (a user install)."""

from __future__ import annotations

import pytest
from puk_helpers import REAL, needs_real

from forcestat.store.sources.police_uk import load_police_uk
from forcestat.store.store import open_store

pytestmark = [needs_real, pytest.mark.slow]
CAMBS = REAL / "police_uk" / "cambridgeshire"


def street(*months: str):
    return [CAMBS / "street" / f"{m}-cambridgeshire-street.csv" for m in months]


@pytest.fixture(scope="module")
def jan_2019(tmp_path_factory):
    st = open_store(str(tmp_path_factory.mktemp("real") / "jan.duckdb"))
    rep = load_police_uk(st, street("2019-01", "2019-02", "2019-09"))
    assert rep.quarantined == 0 and not rep.warnings
    yield st
    st.close()


def q(st, sql: str) -> dict:
    return dict(st.duck.execute(sql).fetchall())


JAN = "reported_at = '2019-01-01'"


def test_sources_5_1_crimes_and_asb_by_type(jan_2019):
    st = jan_2019
    assert st.duck.execute(f"SELECT count(*) FROM crimes WHERE {JAN}").fetchone() == (5_348,)
    assert st.duck.execute(f"SELECT count(*) FROM asb_incidents WHERE {JAN}").fetchone() == (1_231,)
    by_type = q(
        st,
        f"SELECT p.crime_type, count(*) FROM crimes c JOIN police_uk_crimes p USING (crime_id) "
        f"WHERE c.{JAN} GROUP BY 1",
    )
    assert by_type == {
        "Violence and sexual offences": 1_555,
        "Vehicle crime": 653,
        "Criminal damage and arson": 628,
        "Other theft": 582,
        "Burglary": 517,
        "Shoplifting": 336,
        "Public order": 328,
        "Bicycle theft": 317,
        "Other crime": 117,
        "Drugs": 113,
        "Robbery": 81,
        "Theft from the person": 68,
        "Possession of weapons": 53,
    }


def test_sources_5_2_all_rows_by_district_and_no_suspect(jan_2019):
    st = jan_2019
    by_district = q(
        st,
        f"SELECT district, count(*) FROM (SELECT district FROM crimes WHERE {JAN} "
        f"UNION ALL SELECT district FROM asb_incidents WHERE {JAN}) GROUP BY 1",
    )
    assert by_district == {
        "Peterborough": 2_171,
        "Cambridge": 1_341,
        "Huntingdonshire": 1_057,
        "South Cambridgeshire": 719,
        "Fenland": 696,
        "East Cambridgeshire": 355,
        "No location": 202,
        "Outside force area": 38,
    }
    # "Investigation complete; no suspect identified" = 2,826 of 5,348 crimes: with only the
    # street file loaded, the snapshot gives outcome type 18.
    assert st.duck.execute(
        f"SELECT count(*) FROM crimes WHERE {JAN} AND outcome_type = 18"
    ).fetchone() == (2_826,)


def test_sources_5_5_crime_harm_with_the_cchi_per_crime_type(jan_2019):
    harm = q(
        jan_2019,
        "SELECT strftime(c.reported_at, '%Y-%m'), round(sum(t.cchi_days), 2) FROM crimes c "
        "JOIN police_uk_crimes p USING (crime_id) JOIN police_uk_crime_types t "
        "USING (crime_type) GROUP BY 1",
    )
    assert harm == {"2019-01": 489_169.48, "2019-02": 465_250.61, "2019-09": 521_299.21}


def test_sources_5_3_calendar_2024(tmp_path):
    st = open_store(str(tmp_path / "y2024.duckdb"))
    rep = load_police_uk(st, street(*(f"2024-{m:02d}" for m in range(1, 13))))
    assert rep.tables["police_uk_crimes"].rows_read + rep.tables["asb_incidents"].rows_read == (
        83_021
    )
    assert (st.count("crimes"), st.count("asb_incidents")) == (69_622, 13_399)
    assert st.duck.execute(
        "SELECT count(*) FROM police_uk_crimes WHERE crime_type = 'Violence and sexual offences'"
    ).fetchone() == (28_570,)
    assert q(st, "SELECT district, count(*) FROM crimes GROUP BY 1") == {
        "Peterborough": 22_463,
        "Cambridge": 14_922,
        "Huntingdonshire": 9_776,
        "Fenland": 7_883,
        "South Cambridgeshire": 7_213,
        "East Cambridgeshire": 4_130,
        "No location": 2_761,
        "Outside force area": 474,
    }
    st.close()


def test_sources_5_4_outcome_history_of_january_2019(tmp_path):
    st = open_store(str(tmp_path / "outcomes.duckdb"))
    files = sorted((CAMBS / "outcomes").glob("2019-*.csv")) + sorted(
        (CAMBS / "outcomes").glob("2020-*.csv")
    )
    # Outcomes first: they wait for their crimes.
    rep = load_police_uk(st, files)
    # 66,396 rows in 2019 and 65,244 in 2020.
    assert rep.tables["police_uk_outcome_events"].rows_read == 66_396 + 65_244
    assert st.duck.execute(
        "SELECT count(DISTINCT crime_id) FROM police_uk_outcome_events WHERE year(month) = 2019"
    ).fetchone() == (64_258,)
    load_police_uk(st, street("2019-01"))
    # Of the 5,348 January 2019 crimes, 5,113 have an outcome row and 396 a 'Suspect charged'.
    with_events = st.duck.execute(
        "SELECT count(*) FROM crimes c WHERE EXISTS (SELECT 1 FROM police_uk_outcome_events e "
        "WHERE e.crime_id = c.crime_id)"
    ).fetchone()
    charged = st.duck.execute(
        "SELECT count(DISTINCT e.crime_id) FROM police_uk_outcome_events e SEMI JOIN crimes c "
        "ON c.crime_id = e.crime_id WHERE e.outcome_category = 'Suspect charged'"
    ).fetchone()
    assert (st.count("crimes"), with_events, charged) == (5_348, (5_113,), (396,))
    # Every crime whose history has a charge ends with a charge-or-later outcome (type 1) unless
    # a later month brought another outcome.
    assert st.duck.execute(
        "SELECT count(*) FROM crimes WHERE outcome_type = 1 AND outcome_at IS NULL"
    ).fetchone() == (0,)
    st.close()
