"""The data.police.uk importer on slices of real files (tests/data/police_uk): counts against
the raw CSVs read independently, outcomes latest-wins, order and repeat independence, errors."""

from __future__ import annotations

import gzip
import shutil
from collections import Counter
from datetime import datetime

import pytest
from puk_helpers import (
    DATA,
    DATA_TABLES,
    expected_counts,
    outcomes,
    read_rows,
    rebucket,
    street,
    table_rows,
)

from forcestat.store.loader import LoadError, StrictLoadError
from forcestat.store.sources.police_uk import load_police_uk

JAN = "2019-01-cambridgeshire-street.csv"
FEB_GZ = "2019-02-cambridgeshire-street.csv.gz"
JAN24 = "2024-01-cambridgeshire-street.csv"


def counts(store, sql: str) -> Counter:
    return Counter(dict(store.duck.execute(sql).fetchall()))


def test_counts_by_type_district_and_month_match_the_csvs(new_store):
    files = street(JAN, FEB_GZ, JAN24)
    st = new_store()
    rep = load_police_uk(st, files)
    exp = expected_counts(files)
    assert rep.quarantined == 0 and not rep.warnings
    assert counts(st, "SELECT crime_type, count(*) FROM police_uk_crimes GROUP BY 1") == exp["type"]
    assert counts(st, "SELECT district, count(*) FROM crimes GROUP BY 1") == rebucket(
        exp["district"]
    )
    got_months = counts(
        st, "SELECT strftime(reported_at, '%Y-%m'), count(*) FROM crimes GROUP BY 1"
    )
    assert got_months == exp["month"]
    assert counts(st, "SELECT district, count(*) FROM asb_incidents GROUP BY 1") == rebucket(
        exp["asb"]
    )
    # Worked out by hand (awk) from the 2019-01 slice: 263 rows = 214 crimes + 49 ASB.
    jan = counts(
        st,
        "SELECT district, count(*) FROM crimes WHERE reported_at = '2019-01-01' GROUP BY 1",
    )
    jan_asb = st.duck.execute(
        "SELECT count(*) FROM asb_incidents WHERE reported_at = '2019-01-01'"
    ).fetchone()[0]
    assert sum(jan.values()) == 214 and jan_asb == 49
    assert rep.tables["asb_incidents"].inserted == 49 + 27 + 18


def test_anti_social_behaviour_is_never_crime(new_store):
    st = new_store()
    load_police_uk(st, street(JAN))
    types = {r[0] for r in st.duck.execute("SELECT crime_type FROM police_uk_crimes").fetchall()}
    assert "Anti-social behaviour" not in types
    # All 263 rows are accounted for: 214 crimes and 49 ASB incidents, nothing dropped.
    assert st.count("crimes") == 214 and st.count("asb_incidents") == 49
    ids = {r[0] for r in st.duck.execute("SELECT crime_id FROM crimes").fetchall()}
    assert not any(i.startswith("asb-") for i in ids)


def test_offence_codes_groups_and_districts_follow_the_mappings(new_store):
    st = new_store()
    load_police_uk(st, street(JAN))
    rows = st.duck.execute(
        "SELECT p.crime_type, c.offence_code, c.offence_group, c.victim_based "
        "FROM crimes c JOIN police_uk_crimes p USING (crime_id) GROUP BY ALL"
    ).fetchall()
    mapping = {r[0]: r[1:] for r in rows}
    assert mapping["Burglary"] == ("28G", "Residential burglary", True)
    assert mapping["Violence and sexual offences"] == ("105A", "Violence without injury", True)
    assert mapping["Drugs"] == ("92D", "Possession of drugs", False)
    # The original LSOA is kept with the crime; the bucket is the crime's district.
    outside = st.duck.execute(
        "SELECT p.lsoa_name FROM crimes c JOIN police_uk_crimes p USING (crime_id) "
        "WHERE c.district = 'Outside force area' ORDER BY 1"
    ).fetchall()
    assert outside == [("Colchester 004D",)]  # Uttlesford 002F is an ASB row
    no_loc = st.duck.execute(
        "SELECT count(*), count(p.lsoa_name) FROM crimes c JOIN police_uk_crimes p "
        "USING (crime_id) WHERE c.district = 'No location'"
    ).fetchone()
    assert no_loc == (8, 0)


def test_2021_lsoa_names_give_the_district_too(new_store):
    st = new_store()
    load_police_uk(st, street(JAN24))
    codes = {
        r[0]
        for r in st.duck.execute(
            "SELECT lsoa_code FROM police_uk_crimes WHERE lsoa_code IS NOT NULL"
        ).fetchall()
    }
    assert codes and all(c.startswith("E01") for c in codes)
    got = counts(st, "SELECT district, count(*) FROM crimes GROUP BY 1")
    assert got == rebucket(expected_counts(street(JAN24))["district"])
    assert got["Outside force area"] == 1  # North East Lincolnshire 022G


def test_lineage_points_at_the_street_file_row(new_store):
    st = new_store()
    load_police_uk(st, street(JAN))
    rows = read_rows(DATA / "street" / JAN)
    crime_id, source_file, source_row = st.duck.execute(
        "SELECT crime_id, source_file, source_row FROM crimes ORDER BY source_row LIMIT 1"
    ).fetchone()
    assert source_file == str((DATA / "street" / JAN).resolve())
    assert rows[source_row - 1]["Crime ID"] == crime_id


# -- outcomes -------------------------------------------------------------------------------------

# Hand-checked from the slices (awk over the outcomes files), crime ID prefix -> expectations.
LATEST = {
    # 2019-02 'Investigation complete' then 2019-11 'Suspect charged': the later one wins.
    "2c2674d5": (1, "2019-11-01"),
    # 2019-03 charged, 2019-05 'Court case unable to proceed' (also type 1): charge month kept.
    "c7c3edbc": (1, "2019-03-01"),
    # 2019-01 charged; 2019-04 'not guilty' and 'Unable to prosecute' (1 and 16): 1 wins.
    "07fdef88": (1, "2019-01-01"),
    # 2019-04 and 2019-06 'Unable to prosecute suspect' (16).
    "26650b7a": (16, "2019-04-01"),
}


def _outcome(st, prefix: str) -> tuple:
    t, at = st.duck.execute(
        "SELECT outcome_type, outcome_at FROM crimes WHERE crime_id LIKE ?", [prefix + "%"]
    ).fetchone()
    return t, at.strftime("%Y-%m-%d") if at else None


def test_latest_outcome_wins_and_keeps_its_month(new_store):
    st = new_store()
    load_police_uk(st, street(JAN) + outcomes())
    for prefix, expected in LATEST.items():
        assert _outcome(st, prefix) == expected, prefix
    # 207 of the slice's 214 crimes have an outcome row (awk); the other 7 keep the street
    # file's snapshot, dated to the crime's month.
    assert st.duck.execute(
        "SELECT count(DISTINCT e.crime_id) FROM police_uk_outcome_events e SEMI JOIN crimes c "
        "ON c.crime_id = e.crime_id"
    ).fetchone() == (207,)
    # 225 outcome rows, of which 5 repeat a (crime, month, category) row exactly.
    assert st.count("police_uk_outcome_events") == 220


def test_a_crime_without_outcome_rows_takes_the_street_snapshot(new_store):
    st = new_store()
    load_police_uk(st, street(JAN))
    snapshot = Counter(r["Last outcome category"] for r in read_rows(DATA / "street" / JAN))
    assert st.duck.execute(
        "SELECT count(*) FROM crimes WHERE outcome_type = 18 AND outcome_at = '2019-01-01'"
    ).fetchone() == (snapshot["Investigation complete; no suspect identified"],)
    open_ = snapshot["Status update unavailable"] + snapshot["Under investigation"]
    assert st.duck.execute(
        "SELECT count(*) FROM crimes WHERE outcome_type IS NULL AND outcome_at IS NULL"
    ).fetchone() == (open_,)
    # Outcomes then arrive: 2c2674d5's snapshot said a court result (1, dated to the crime's
    # month); the outcomes history dates the charge to 2019-11.
    assert _outcome(st, "2c2674d5") == (1, "2019-01-01")
    rep = load_police_uk(st, outcomes())
    assert _outcome(st, "2c2674d5") == (1, "2019-11-01")
    assert rep.tables["crimes"].replaced > 0
    changed = st.duck.execute(
        "SELECT changed_columns FROM record_changes WHERE record_key LIKE '2c2674d5%'"
    ).fetchone()
    assert changed == ("outcome_at,updated_at",)


def test_either_order_and_repeats_give_the_same_store(new_store):
    files = street(JAN, FEB_GZ) + outcomes()
    a = new_store("a")
    load_police_uk(a, files)
    b = new_store("b")  # outcomes first, newest month first, one file at a time
    for f in reversed(outcomes()):
        load_police_uk(b, [f])
    load_police_uk(b, street(FEB_GZ))
    load_police_uk(b, street(JAN))
    c = new_store("c")  # everything twice, and the same month again within one load
    load_police_uk(c, files)
    rep = load_police_uk(c, files + street(JAN))
    for t in DATA_TABLES:
        assert table_rows(a, t) == table_rows(b, t) == table_rows(c, t), t
    assert all(r.inserted == 0 and r.replaced == 0 for r in rep.tables.values())
    assert rep.tables["crimes"].unchanged == a.count("crimes")


def test_the_same_month_from_another_copy_is_one_crime(new_store, tmp_path):
    # The same month's file under another name (another archive): every crime once.
    copy = tmp_path / "copy-of-2019-01-cambridgeshire-street.csv"
    shutil.copy(DATA / "street" / JAN, copy)
    st = new_store()
    rep = load_police_uk(st, street(JAN) + [copy])
    assert st.count("crimes") == 214 and st.count("asb_incidents") == 49
    assert rep.tables["police_uk_crimes"].duplicates == 214


# -- other forces ---------------------------------------------------------------------------------


def test_crimes_without_an_id_get_a_stable_one(new_store):
    st = new_store()
    btp = DATA / "other_forces" / "2019-01-btp-street.csv.gz"
    load_police_uk(st, [btp])
    ids = sorted(r[0] for r in st.duck.execute("SELECT crime_id FROM crimes").fetchall())
    assert len(ids) == 11 and all(i.startswith("noid-") for i in ids)
    rep = load_police_uk(st, [btp])
    assert rep.tables["crimes"].unchanged == 11 and st.count("crimes") == 11


def test_another_forces_file_warns_and_buckets_outside_the_force(new_store):
    st = new_store()
    rep = load_police_uk(st, [DATA / "other_forces" / "2019-01-norfolk-street.csv.gz"])
    assert any("Norfolk Constabulary" in w and "geography" in w for w in rep.warnings)
    got = counts(st, "SELECT district, count(*) FROM crimes GROUP BY 1")
    assert got == Counter({"Outside force area": 14, "No location": 1})


# -- errors, quarantine, atomicity ----------------------------------------------------------------


def test_a_wrong_header_names_the_file_and_the_missing_columns(new_store, tmp_path):
    st = new_store()
    rows = (DATA / "street" / JAN).read_text().splitlines()
    bad = tmp_path / "2019-01-x-street.csv"
    bad.write_text(rows[0].replace("LSOA name,", "") + "\n")
    with pytest.raises(LoadError, match=r"2019-01-x-street.csv.*missing column\(s\): LSOA name"):
        load_police_uk(st, [bad])
    other = tmp_path / "people.csv"
    other.write_text("name,age\nA,3\n")
    with pytest.raises(LoadError, match=r"people.csv: not a data.police.uk street or outcomes"):
        load_police_uk(st, [other])
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match="empty: no data.police.uk street or outcomes files"):
        load_police_uk(st, [tmp_path / "empty"])
    with pytest.raises(LoadError, match="no such file or folder"):
        load_police_uk(st, [tmp_path / "missing.csv"])


def _edited(tmp_path, name: str, edit) -> object:
    lines = (DATA / "street" / JAN).read_text().splitlines(keepends=True)
    lines = edit(lines)
    p = tmp_path / name
    p.write_text("".join(lines))
    return p


def test_unknown_outcome_category_is_quarantined_not_guessed(new_store, tmp_path):
    st = new_store()
    rows = read_rows(DATA / "street" / JAN)
    i = next(i for i, r in enumerate(rows) if r["Crime type"] != "Anti-social behaviour")
    old = rows[i]["Last outcome category"]

    def edit(lines):
        lines[i + 1] = lines[i + 1].replace("," + old + ",", ",Sent to the moon,")
        return lines

    f = _edited(tmp_path, "2019-01-odd-street.csv", edit)
    rep = load_police_uk(st, [f])
    assert rep.tables["police_uk_crimes"].quarantined == 1
    assert any("'Sent to the moon' in 1 row(s)" in w for w in rep.warnings)
    (why,) = st.duck.execute("SELECT reasons FROM quarantine").fetchone()
    assert "last_outcome_category: 'Sent to the moon' is not in the police_uk_outcomes" in why
    assert st.count("crimes") == 213
    with pytest.raises(StrictLoadError):
        load_police_uk(new_store("strict"), [f], strict=True)


def test_ragged_and_bad_rows_are_quarantined_with_their_row(new_store, tmp_path):
    def edit(lines):
        lines[3] = lines[3].rstrip("\n") + ",extra\n"  # data row 3: too many fields
        lines[5] = lines[5].replace(",2019-01,", ",2019-13,", 1)  # data row 5: no such month
        return lines

    f = _edited(tmp_path, "2019-01-ragged-street.csv", edit)
    st = new_store()
    rep = load_police_uk(st, [f])
    rows = st.duck.execute(
        "SELECT source_row, fields FROM quarantine ORDER BY source_row"
    ).fetchall()
    assert rows == [(3, "(row)"), (5, "month")]
    assert rep.quarantined == 2
    assert st.count("crimes") + st.count("asb_incidents") == 263 - 2
    # Loading the same file again quarantines nothing twice.
    load_police_uk(st, [f])
    assert st.count("quarantine") == 2


def test_a_failed_load_leaves_every_table_as_it_was(new_store):
    st = new_store()
    load_police_uk(st, street(JAN))
    before = {t: table_rows(st, t) for t in DATA_TABLES}

    def boom():
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        load_police_uk(st, street(FEB_GZ) + outcomes(), before_commit=boom)
    assert {t: table_rows(st, t) for t in DATA_TABLES} == before
    assert st.duck.execute("SELECT count(DISTINCT load_id) FROM loads").fetchone() == (1,)


def test_gzipped_and_plain_files_load_the_same(new_store, tmp_path):
    plain = tmp_path / "2019-02-cambridgeshire-street.csv"
    with gzip.open(DATA / "street" / FEB_GZ, "rb") as src:
        plain.write_bytes(src.read())
    a, b = new_store("a"), new_store("b")
    load_police_uk(a, street(FEB_GZ))
    load_police_uk(b, [plain])
    drop = ("loaded_at", "load_id", "source_file")
    for t in DATA_TABLES:
        assert table_rows(a, t, drop) == table_rows(b, t, drop)


def test_folders_are_searched_for_street_and_outcomes_files(new_store, tmp_path):
    (tmp_path / "2019-01").mkdir()
    shutil.copy(DATA / "street" / JAN, tmp_path / "2019-01" / JAN)
    (tmp_path / "2019-01" / "2019-01-cambridgeshire-stop-and-search.csv").write_text("x\n")
    st = new_store()
    rep = load_police_uk(st, [tmp_path])
    assert rep.street_files == [str(tmp_path / "2019-01" / JAN)]
    assert any("stop-and-search" in w for w in rep.warnings)
    assert st.count("crimes") == 214


def test_month_becomes_the_first_day(new_store):
    st = new_store()
    load_police_uk(st, street(JAN))
    assert st.duck.execute("SELECT DISTINCT reported_at, recorded_at FROM crimes").fetchall() == [
        (datetime(2019, 1, 1), datetime(2019, 1, 1))
    ]


def test_a_store_gains_new_packaged_mappings_and_keeps_its_own(new_store):
    st = new_store()
    load_police_uk(st, street(JAN))
    con = st.duck
    con.execute("DELETE FROM police_uk_outcomes WHERE outcome_category = 'Local resolution'")
    con.execute(
        "UPDATE police_uk_outcomes SET why = 'ours' WHERE outcome_category = 'Suspect charged'"
    )
    load_police_uk(st, street(JAN))
    assert con.execute(
        "SELECT outcome_type FROM police_uk_outcomes WHERE outcome_category = 'Local resolution'"
    ).fetchone() == (8,)
    assert con.execute(
        "SELECT why FROM police_uk_outcomes WHERE outcome_category = 'Suspect charged'"
    ).fetchone() == ("ours",)
    assert st.count("police_uk_outcomes") == 28
