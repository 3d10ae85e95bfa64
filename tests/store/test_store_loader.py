"""The loader's promises: clear errors naming file, row and field; quarantine that loses
nothing; atomic, idempotent loads; lineage on every row."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forcestat.store.loader import LoadError, StrictLoadError, load_files

HEADER = (
    "crime_id,reported_at,recorded_at,offence_code,district,domestic_abuse,outcome_type,outcome_at"
)

# Row numbers are data rows (header = row 0). Rows 2, 3, 5 and 7 are bad in four different ways.
BAD_CSV = f"""{HEADER}
C1,2020-01-01 10:00,2020-01-01 12:00,28E,Fenland,false,,
C2,2020-13-01,2020-01-02,8N,Cambridge,true,1,2020-02-01
C3,2020-01-03,2020-01-03,8N,Fenlnd,false,,
C1,2020-01-01 10:00,2020-01-01 12:00,28E,Fenland,false,,
C4,2020-01-04,2020-01-04,46
C5,2020-01-05,2020-01-05,46,Peterborough,false,8,2020-01-09
C5,2020-01-05,2020-01-05,46,Peterborough,false,1,2020-01-09
C6,2020-01-06,2020-01-06,58A,Huntingdonshire,,,
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def snapshot(store) -> dict[str, list]:
    """Every row of every table, for 'unchanged' comparisons."""
    out = {}
    for name in store.tables():
        out[name] = sorted(map(repr, store.duck.execute(f'SELECT * FROM "{name}"').fetchall()))
    return out


def test_bad_rows_are_named_and_quarantined_and_valid_rows_kept(store, tmp_path):
    f = write(tmp_path / "crimes.csv", BAD_CSV)
    rep = load_files(store, "crimes", [f])
    by_row = {r.row: r for r in rep.rejections}
    assert sorted(by_row) == [2, 3, 5, 7]
    assert all(r.file == str(f) for r in rep.rejections)
    assert by_row[2].fields == "reported_at" and "'2020-13-01'" in by_row[2].reason
    assert by_row[3].fields == "district" and "'Fenlnd'" in by_row[3].reason
    assert "district" in by_row[5].fields and "fewer fields" in by_row[5].reason
    assert by_row[7].fields == "crime_id" and "conflicts with row 6" in by_row[7].reason
    assert "row 3 (line 4)" in str(by_row[3])
    # Nothing valid lost: C1 (once), C5 (first version), C6.
    ids = [r[0] for r in store.duck.execute("SELECT crime_id FROM crimes ORDER BY 1").fetchall()]
    assert ids == ["C1", "C5", "C6"]
    assert rep.duplicates == 1
    # Every row read is accounted for exactly once.
    assert rep.rows_read == 8
    assert (
        rep.inserted
        + rep.replaced
        + rep.unchanged
        + rep.duplicates
        + rep.superseded
        + rep.quarantined
    ) == rep.rows_read
    q = store.duck.execute(
        "SELECT source_row, fields, reasons, record FROM quarantine ORDER BY source_row"
    ).fetchall()
    assert [r[0] for r in q] == [2, 3, 5, 7]
    assert "Fenlnd" in q[1][3]  # the raw record is kept so it can be fixed and re-loaded


def test_missing_required_column_names_file_and_column(store, tmp_path):
    f = write(
        tmp_path / "no_district.csv",
        "crime_id,reported_at,recorded_at,offence_code\nC1,2020-01-01,2020-01-01,28E\n",
    )
    before = snapshot(store)
    with pytest.raises(LoadError) as exc:
        load_files(store, "crimes", [f])
    assert "no_district.csv" in str(exc.value) and "district" in str(exc.value)
    assert snapshot(store) == before


def test_strict_load_with_rejections_leaves_store_unchanged(store, tmp_path):
    good = write(tmp_path / "good.csv", f"{HEADER}\nG1,2020-02-01,2020-02-01,46,Fenland,,,\n")
    load_files(store, "crimes", [good])
    before = snapshot(store)
    bad = write(tmp_path / "crimes.csv", BAD_CSV)
    with pytest.raises(StrictLoadError) as exc:
        load_files(store, "crimes", [bad], strict=True)
    assert "crimes.csv: row 2 (line 3): reported_at" in str(exc.value)
    assert snapshot(store) == before


def test_failure_before_commit_rolls_back(store, tmp_path):
    f = write(tmp_path / "crimes.csv", BAD_CSV)
    before = snapshot(store)

    def boom() -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        load_files(store, "crimes", [f], before_commit=boom)
    assert snapshot(store) == before


def test_crash_mid_load_leaves_store_as_it_was(tmp_path):
    """A process that dies with the load's transaction open (no rollback, no clean close)."""
    db = tmp_path / "crash.duckdb"
    f = write(tmp_path / "crimes.csv", BAD_CSV)
    script = textwrap.dedent(
        f"""
        import os
        from forcestat.store.store import open_store
        from forcestat.store.loader import load_files
        st = open_store({str(db)!r})
        load_files(st, "crimes", [{str(f)!r}], before_commit=lambda: os._exit(9))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    from forcestat.store.store import open_store

    st = open_store(str(db))
    assert st.count("crimes") == 0
    assert st.count("quarantine") == 0
    assert st.count("loads") == 0
    st.close()


def test_reloading_same_file_does_not_double_count(store, tmp_path):
    f = write(tmp_path / "crimes.csv", BAD_CSV)
    first = load_files(store, "crimes", [f])
    counts = {t: store.count(t) for t in ("crimes", "quarantine", "record_changes")}
    second = load_files(store, "crimes", [f])
    assert {t: store.count(t) for t in counts} == counts
    assert second.inserted == 0 and second.replaced == 0
    assert second.unchanged == first.inserted


def test_overlapping_extracts(store, tmp_path):
    rows = [f"X{i},2020-01-01,2020-01-01,46,Cambridge,,," for i in range(100)]
    a = write(tmp_path / "a.csv", HEADER + "\n" + "\n".join(rows[:60]) + "\n")
    b = write(tmp_path / "b.csv", HEADER + "\n" + "\n".join(rows[40:]) + "\n")
    load_files(store, "crimes", [a])
    rep = load_files(store, "crimes", [b])
    assert store.count("crimes") == 100
    assert (rep.inserted, rep.unchanged) == (40, 20)


def test_newer_version_replaces_older_and_change_is_logged(store, tmp_path):
    h = HEADER + ",updated_at"
    v1 = write(tmp_path / "v1.csv", f"{h}\nK1,2020-01-01,2020-01-01,28E,Fenland,,,,2020-01-31\n")
    v2 = write(
        tmp_path / "v2.csv",
        f"{h}\nK1,2020-01-01,2020-01-01,28E,Fenland,,1,2020-02-10,2020-02-29\n",
    )
    load_files(store, "crimes", [v1])
    rep = load_files(store, "crimes", [v2])
    assert rep.replaced == 1
    assert store.duck.execute("SELECT outcome_type FROM crimes").fetchall() == [(1,)]
    change = store.duck.execute("SELECT record_key, changed_columns FROM record_changes").fetchall()
    assert change == [("K1", "outcome_type,outcome_at,updated_at")]
    # Loading the older extract again afterwards must not roll the record back.
    rep = load_files(store, "crimes", [v1])
    assert rep.superseded == 1 and rep.replaced == 0
    assert store.duck.execute("SELECT outcome_type FROM crimes").fetchall() == [(1,)]


def test_versions_within_one_file_keep_the_newest(store, tmp_path):
    h = HEADER + ",updated_at"
    f = write(
        tmp_path / "f.csv",
        f"{h}\nK1,2020-01-01,2020-01-01,28E,Fenland,,1,2020-02-10,2020-02-29\n"
        f"K1,2020-01-01,2020-01-01,28E,Fenland,,,,2020-01-31\n",
    )
    rep = load_files(store, "crimes", [f])
    assert (rep.inserted, rep.superseded, rep.quarantined) == (1, 1, 0)
    assert store.duck.execute("SELECT outcome_type FROM crimes").fetchall() == [(1,)]


def test_lineage_names_file_and_row(store, tmp_path):
    f = write(tmp_path / "crimes.csv", BAD_CSV)
    rep = load_files(store, "crimes", [f])
    rows = store.duck.execute(
        "SELECT crime_id, source_file, source_row, load_id, loaded_at IS NOT NULL FROM crimes "
        "ORDER BY crime_id"
    ).fetchall()
    assert [(r[0], r[2]) for r in rows] == [("C1", 1), ("C5", 6), ("C6", 8)]
    assert all(r[1] == str(f.resolve()) and r[3] == rep.load_id and r[4] for r in rows)


def test_derived_columns_come_from_the_offence_code(store, tmp_path):
    f = write(
        tmp_path / "d.csv",
        "crime_id,reported_at,recorded_at,offence_code,offence_group,district\n"
        "D1,2020-01-01,2020-01-01,92D,,Fenland\n"
        "D2,2020-01-01,2020-01-01,28E,Shoplifting,Fenland\n",
    )
    rep = load_files(store, "crimes", [f])
    assert store.duck.execute("SELECT offence_group, victim_based FROM crimes").fetchall() == [
        ("Possession of drugs", False)
    ]
    assert rep.rejections[0].row == 2 and "offence_group" in rep.rejections[0].fields


def test_parquet_load_keeps_types_and_row_numbers(store, tmp_path):
    import datetime as dt

    t = pa.table(
        {
            "incident_id": ["I1", "I2", "I3"],
            "created_at": [dt.datetime(2020, 1, 1, 9), dt.datetime(2020, 1, 2, 9), None],
            "grade": ["immediate", "urgent", "prompt"],
            "incident_type": ["domestic", "theft", "theft"],
            "district": ["Fenland", "Cambridge", "Cambridge"],
            "first_arrival_at": [dt.datetime(2020, 1, 1, 9, 12), None, None],
        }
    )
    p = tmp_path / "inc.parquet"
    pq.write_table(t, p)
    rep = load_files(store, "incidents", [p])
    assert rep.inserted == 1
    assert [(r.row, r.fields) for r in rep.rejections] == [(2, "grade"), (3, "created_at")]
    got = store.duck.execute(
        "SELECT date_diff('minute', created_at, first_arrival_at), source_row FROM incidents"
    ).fetchall()
    assert got == [(12, 1)]


def test_gzipped_csv_and_unknown_table(store, tmp_path):
    import gzip

    p = tmp_path / "c.csv.gz"
    with gzip.open(p, "wt") as fh:
        fh.write(f"{HEADER}\nZ1,2020-01-01,2020-01-01,46,Fenland,,,\n")
    assert load_files(store, "crimes", [p]).inserted == 1
    with pytest.raises(KeyError, match="unknown table 'crime'"):
        load_files(store, "crime", [p])


def test_cli_load_prints_summary_and_strict_exit_code(tmp_path):
    f = write(tmp_path / "crimes.csv", BAD_CSV)
    db = str(tmp_path / "cli.duckdb")
    exe = [sys.executable, "-m", "forcestat.cli"]
    env = {**os.environ, "COLUMNS": "200"}
    ok = subprocess.run(
        exe + ["load", "crimes", str(f), "--store", db], capture_output=True, text=True, env=env
    )
    assert ok.returncode == 0, ok.stderr
    assert "loaded 3 new" in ok.stdout and "quarantined 4" in ok.stdout
    assert "crimes.csv: row 3 (line 4): district: 'Fenlnd'" in ok.stdout
    strict = subprocess.run(
        exe + ["load", "crimes", str(f), "--store", db, "--strict"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert strict.returncode == 1
    assert "store is unchanged" in strict.stderr
