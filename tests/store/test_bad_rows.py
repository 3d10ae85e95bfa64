"""The issue's own cases (#19, items 4 and 5), each checked by hand: questionable values are
quarantined naming the field; blank lines, mixed line endings and trailing garbage stay
row-level and keep every row's number; a padded header name still validates its column."""

from __future__ import annotations

import gzip

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forcestat.store.loader import LoadError, load_files

HEADER = (
    "crime_id,reported_at,recorded_at,offence_code,district,domestic_abuse,outcome_type,"
    "outcome_at,cchi_days"
)
OK = "2020-01-01,2020-01-01 10:00,46,Fenland,,,,"

# (crime_id, the row's fields after crime_id, the field that must be named)
QUESTIONABLE = [
    ("Q1", "2020-01-01,2020-01-01,46,Fenland,,,,NaN", "cchi_days"),
    ("Q2", "2020-01-01,2020-01-01,46,Fenland,,,,Infinity", "cchi_days"),
    ("Q3", "2020-01-01,2020-01-01,46,Fenland,2,,,", "domestic_abuse"),
    ("Q4", "2020-01-01,2020-01-01,46,Fenland,,1.7,2020-02-01,", "outcome_type"),
    ("Q5", "2020-01-01,2020-01-01,46,Fenland,,1e1,2020-02-01,", "outcome_type"),
    ("Q6", "-2019-04-01,2020-01-01,46,Fenland,,,,", "reported_at"),
    ("Q7", "0001-01-01,2020-01-01,46,Fenland,,,,", "reported_at"),
    ("Q8", "294247-01-10,2020-01-01,46,Fenland,,,,", "reported_at"),
    ("Q9", "2020-04-01 24:00:00,2020-04-02,46,Fenland,,,,", "reported_at"),
    ("Q10", "epoch,2020-01-01,46,Fenland,,,,", "reported_at"),
    ("Q11", "infinity,2020-01-01,46,Fenland,,,,", "reported_at"),
    ("Q12", "2020-04-01 10:00:00+01:00,2020-04-02,46,Fenland,,,,", "reported_at"),
    ("Q13", "2020-01-01,2020-01-01,46,Peterborou\x00gh,,,,", "district"),
]


def test_questionable_values_are_quarantined_naming_the_field(store, tmp_path):
    f = tmp_path / "q.csv"
    rows = [f"{cid},{rest}" for cid, rest, _ in QUESTIONABLE] + [f"G1,{OK}"]
    f.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    rep = load_files(store, "crimes", [f])
    assert store.duck.execute("SELECT crime_id FROM crimes").fetchall() == [("G1",)]
    by_row = {r.row: r for r in rep.rejections}
    for i, (_, _, column) in enumerate(QUESTIONABLE, 1):
        assert column in by_row[i].fields.split(","), (i, by_row[i])


def test_blank_lines_mixed_endings_and_trailing_garbage_stay_row_level(store, tmp_path):
    f = tmp_path / "messy.csv"
    f.write_bytes(
        (HEADER + "\r\n").encode()
        + f"A1,{OK}\n".encode()
        + b"\n"  # line 3: blank
        + f"A2,{OK}\r\n".encode()  # line 4
        + b"\r\n"  # line 5: blank
        + f"A3,{OK}\n".encode()  # line 6
        + b'\x00\x01garbage "x\n'  # line 7: trailing garbage
    )
    rep = load_files(store, "crimes", [f])
    got = store.duck.execute("SELECT crime_id, source_row FROM crimes ORDER BY 1").fetchall()
    assert got == [("A1", 1), ("A2", 3), ("A3", 5)]
    assert [r.row for r in rep.rejections] == [6]
    assert rep.rows_read == 4 and rep.quarantined == 1
    assert any("2 blank line(s)" in n for n in rep.notes)


def test_a_padded_header_name_still_validates_its_column(store, tmp_path):
    f = tmp_path / "pad.csv"
    f.write_text(
        "crime_id, reported_at ,recorded_at,offence_code,district,  outcome_type ,outcome_at\n"
        "P1,2020-01-01,2020-01-01,46,Fenland,99,2020-02-01\n"
        "P2,2020-01-01,2020-01-01,46,Fenland,1,2020-02-01\n"
    )
    rep = load_files(store, "crimes", [f])
    assert store.duck.execute("SELECT crime_id, outcome_type FROM crimes").fetchall() == [("P2", 1)]
    assert rep.rejections[0].fields == "outcome_type" and not rep.warnings


def test_a_repeated_header_name_or_a_truncated_gzip_refuses_the_file(store, tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text(f"{HEADER},district\nD1,{OK},Fenland\n")
    with pytest.raises(LoadError, match="'district' twice"):
        load_files(store, "crimes", [dup])
    packed = gzip.compress((HEADER + "\n" + f"Z1,{OK}\n" * 20000).encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(LoadError, match="ends early"):
        load_files(store, "crimes", [cut])
    assert store.count("crimes") == 0 and store.count("loads") == 0


def test_utf16_with_a_bom_and_latin1_with_encoding(store, tmp_path):
    text = f"{HEADER},supervisory_unit\nU1,{OK},Équipe\n"
    u16 = tmp_path / "u16.csv"
    u16.write_bytes(text.encode("utf-16"))
    rep = load_files(store, "crimes", [u16])
    assert rep.inserted == 1 and any("UTF-16" in n for n in rep.notes)
    lat = tmp_path / "lat.csv"
    lat.write_bytes(text.replace("U1", "L1").encode("latin-1"))
    assert load_files(store, "crimes", [lat]).quarantined == 1  # read as UTF-8: not text
    assert load_files(store, "crimes", [lat], encoding="latin-1").inserted == 1
    got = store.duck.execute("SELECT crime_id, supervisory_unit FROM crimes ORDER BY 1")
    assert got.fetchall() == [("L1", "Équipe"), ("U1", "Équipe")]


def test_parquet_codes_must_be_whole_and_zoned_times_become_london_time(store, tmp_path):
    import datetime as dt

    utc = dt.UTC
    t = pa.table(
        {
            "crime_id": ["W1", "W2"],
            # 12:30 UTC in July is 13:30 in London (BST).
            "reported_at": pa.array(
                [dt.datetime(2020, 7, 1, 12, 30, tzinfo=utc)] * 2, pa.timestamp("us", tz="UTC")
            ),
            "recorded_at": ["2020-07-02", "2020-07-02"],
            "offence_code": ["46", "46"],
            "district": ["Fenland", "Fenland"],
            "outcome_type": pa.array([1.0, 1.7]),
            "outcome_at": ["2020-08-01", "2020-08-01"],
        }
    )
    p = tmp_path / "w.parquet"
    pq.write_table(t, p)
    rep = load_files(store, "crimes", [p])
    assert [r.row for r in rep.rejections] == [2]
    assert "outcome_type" in rep.rejections[0].fields.split(",")
    got = store.duck.execute("SELECT crime_id, reported_at, outcome_type FROM crimes").fetchall()
    assert got == [("W1", dt.datetime(2020, 7, 1, 13, 30), 1)]
