"""The streaming Parquet load path keeps every promise of the staging path: the same stored
rows, quarantine, record changes and load bookkeeping for the same files; bad rows named by
file, row and field; atomic on failure, crash or a file changed under it; idempotent."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from forcestat.store import loader
from forcestat.store.loader import LoadError, StrictLoadError, load_files
from forcestat.store.store import open_store


def ts(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2020, 1, day, hour)


def crimes(rows: list[dict], text_dates: bool = False) -> pa.Table:
    """A crimes extract. ``text_dates`` writes the date-times as text (as some exports do), so
    that a malformed date can be in the file at all."""
    cols = [
        "crime_id",
        "reported_at",
        "recorded_at",
        "offence_code",
        "district",
        "domestic_abuse",
        "outcome_type",
        "outcome_at",
        "updated_at",
    ]
    dates = ("reported_at", "recorded_at", "outcome_at", "updated_at")
    out = {}
    for c in cols:
        vals = [r.get(c) for r in rows]
        if c in dates:
            if text_dates:
                vals = [v if isinstance(v, str) or v is None else v.isoformat(" ") for v in vals]
                out[c] = pa.array(vals, pa.string())
            else:
                out[c] = pa.array(vals, pa.timestamp("us"))
        elif c == "outcome_type":
            out[c] = pa.array(vals, pa.int32())
        elif c == "domestic_abuse":
            out[c] = pa.array(vals, pa.bool_())
        else:
            out[c] = pa.array(vals, pa.string())
    return pa.table(out)


def row(cid: str, day: int = 1, **kw) -> dict:
    base = {
        "crime_id": cid,
        "reported_at": ts(day),
        "recorded_at": ts(day, 12),
        "offence_code": "28E",
        "district": "Fenland",
        "domestic_abuse": False,
    }
    return {**base, **kw}


def write(path: Path, rows: list[dict], text_dates: bool = False) -> Path:
    pq.write_table(crimes(rows, text_dates), path)
    return path


# Row numbers are 1-based data rows. Rows 2, 3, 4, 5 and 9 are bad; 6 repeats 1 exactly; 8 is an
# older version of 7; 11 conflicts with 10 and no version orders them.
MESSY = [
    row("C1"),
    row("C2", reported_at="2020-13-01"),
    row("C3", district="Fenlnd"),
    row("C4", offence_code=None),
    row("C5", outcome_type=3),
    row("C1"),
    row("C7", outcome_type=1, outcome_at=ts(20), updated_at=ts(25)),
    row("C7", updated_at=ts(10)),
    row("C9", reported_at=ts(5), recorded_at=ts(4)),
    row("C10", domestic_abuse=True),
    row("C10", domestic_abuse=False),
    row(" C12 ", district=" Cambridge ", offence_code="92D"),
]


def contents(store) -> dict[str, list]:
    """Every table's rows, less what differs between two loads of the same files by nature
    (load ids and clock times)."""
    drop = {"load_id", "loaded_at", "quarantined_at", "changed_at", "started_at", "finished_at"}
    out = {}
    for name in store.tables():
        cols = [
            r[0]
            for r in store.duck.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position",
                [name],
            ).fetchall()
            if r[0] not in drop
        ]
        sel = ", ".join(f'"{c}"' for c in cols)
        out[name] = sorted(map(repr, store.duck.execute(f'SELECT {sel} FROM "{name}"').fetchall()))
    return out


def summary(rep) -> tuple:
    return (
        rep.rows_read,
        rep.inserted,
        rep.replaced,
        rep.unchanged,
        rep.duplicates,
        rep.superseded,
        rep.quarantined,
        [(r.file, r.row, r.fields, r.reason) for r in rep.rejections],
        rep.warnings,
    )


def both_paths(tmp_path: Path, loads: list[list[Path]]) -> None:
    """Run the same sequence of loads through each path into its own store; the stores and
    the reports must be identical."""
    results = {}
    for fast in (True, False):
        st = open_store(str(tmp_path / f"store-{fast}.duckdb"))
        try:
            reports = [summary(load_files(st, "crimes", files, fast_path=fast)) for files in loads]
            results[fast] = (reports, contents(st))
        finally:
            st.close()
    assert results[True][0] == results[False][0]
    for name, rows in results[False][1].items():
        assert results[True][1][name] == rows, name


def test_same_store_clean_file(tmp_path):
    f = write(tmp_path / "clean.parquet", [row(f"K{i}", day=1 + i % 28) for i in range(50)])
    both_paths(tmp_path, [[f], [f]])


def test_same_store_messy_file_text_dates(tmp_path):
    f = write(tmp_path / "messy.parquet", MESSY, text_dates=True)
    both_paths(tmp_path, [[f], [f]])


def test_same_store_versions_replacements_and_overlaps(tmp_path):
    v1 = write(
        tmp_path / "v1.parquet",
        [row(f"K{i}", updated_at=ts(2)) for i in range(10)] + [row("K0", updated_at=ts(1))],
    )
    # K0-K3 newer (replace), K4-K5 older (superseded), K6-K9 unchanged, N1-N2 new.
    v2 = write(
        tmp_path / "v2.parquet",
        [row(f"K{i}", outcome_type=1, outcome_at=ts(20), updated_at=ts(9)) for i in range(4)]
        + [row(f"K{i}", district="Cambridge", updated_at=ts(1)) for i in (4, 5)]
        + [row(f"K{i}", updated_at=ts(2)) for i in range(6, 10)]
        + [row("N1"), row("N2")],
    )
    new_only = write(tmp_path / "new.parquet", [row(f"M{i}") for i in range(5)])
    both_paths(tmp_path, [[v1], [v2], [v1, v2], [new_only]])


def test_same_store_key_repeated_across_files(tmp_path):
    a = write(tmp_path / "a.parquet", [row("A1"), row("B1")])
    b = write(tmp_path / "b.parquet", [row("A1"), row("B1", district="Cambridge"), row("A2")])
    both_paths(tmp_path, [[a, b]])


def test_same_store_into_a_populated_table(tmp_path):
    """Into an empty table the streaming path filters as it copies; into a populated one it
    finds bad and repeated rows first. Both variants, on the messy file and on repeats."""
    seed = write(tmp_path / "seed.parquet", [row("S1"), row("C10", district="Cambridge")])
    messy = write(tmp_path / "messy.parquet", MESSY, text_dates=True)
    a = write(tmp_path / "a.parquet", [row("A1"), row("B1")])
    b = write(tmp_path / "b.parquet", [row("A1"), row("B1", district="Cambridge"), row("A2")])
    both_paths(tmp_path, [[seed], [messy], [a, b]])


def test_same_store_same_file_twice_in_one_load(tmp_path):
    f = write(tmp_path / "f.parquet", [row("F1"), row("F2", updated_at=ts(3))])
    both_paths(tmp_path, [[f, f]])


def test_same_store_missing_derived_and_given_derived(tmp_path):
    t = crimes([row("D1", offence_code="92D"), row("D2"), row("D3")])
    t = t.append_column("offence_group", pa.array([None, "Shoplifting", None], pa.string()))
    f = tmp_path / "derived.parquet"
    pq.write_table(t, f)
    both_paths(tmp_path, [[f]])


def test_parquet_loads_take_the_streaming_path(store, tmp_path, monkeypatch):
    calls = []
    real = loader._load_parquet
    monkeypatch.setattr(loader, "_load_parquet", lambda *a: calls.append(1) or real(*a))
    f = write(tmp_path / "c.parquet", [row("C1")])
    assert load_files(store, "crimes", [f]).inserted == 1
    assert calls == [1]
    # No staged copy is left behind (or made: the views are dropped with the load).
    temps = store.duck.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0]
    assert temps == 0


def test_fast_path_names_file_row_and_field(store, tmp_path):
    f = write(tmp_path / "messy.parquet", MESSY, text_dates=True)
    rep = load_files(store, "crimes", [f], fast_path=True)
    by_row = {r.row: r for r in rep.rejections}
    assert sorted(by_row) == [2, 3, 4, 5, 9, 11]
    assert all(r.file == str(f) for r in rep.rejections)
    assert (
        by_row[2].fields == "reported_at" and "'2020-13-01' is not a date-time" in by_row[2].reason
    )
    assert by_row[3].fields == "district" and "'Fenlnd'" in by_row[3].reason
    assert by_row[4].fields == "offence_code" and "missing" in by_row[4].reason
    assert by_row[5].fields == "outcome_at"
    assert by_row[9].fields == "recorded_at" and "earlier than reported_at" in by_row[9].reason
    assert by_row[11].fields == "crime_id" and "conflicts with row 10" in by_row[11].reason
    assert "messy.parquet: row 3 (line 4)" in str(by_row[3])
    ids = [r[0] for r in store.duck.execute("SELECT crime_id FROM crimes ORDER BY 1").fetchall()]
    assert ids == ["C1", "C10", "C12", "C7"]  # C12 trimmed, like the staging path
    assert (rep.duplicates, rep.superseded, rep.inserted) == (1, 1, 4)
    total = rep.inserted + rep.duplicates + rep.superseded + rep.quarantined
    assert total == rep.rows_read == len(MESSY)
    q = store.duck.execute(
        "SELECT source_file, source_row, fields, record FROM quarantine ORDER BY source_row"
    ).fetchall()
    assert [r[1] for r in q] == [2, 3, 4, 5, 9, 11]
    assert q[1][0] == str(f.resolve()) and "Fenlnd" in q[1][3]
    lineage = store.duck.execute(
        "SELECT crime_id, source_file, source_row FROM crimes ORDER BY source_row"
    ).fetchall()
    assert lineage == [
        ("C1", str(f.resolve()), 1),
        ("C7", str(f.resolve()), 7),
        ("C10", str(f.resolve()), 10),
        ("C12", str(f.resolve()), 12),
    ]
    assert store.duck.execute(
        "SELECT offence_group FROM crimes WHERE crime_id = 'C12'"
    ).fetchall() == [("Possession of drugs",)]


def test_fast_path_missing_required_column(store, tmp_path):
    f = tmp_path / "no_district.parquet"
    pq.write_table(crimes([row("C1")]).drop(["district"]), f)
    with pytest.raises(LoadError, match="no_district.parquet.*district"):
        load_files(store, "crimes", [f], fast_path=True)
    assert store.count("crimes") == 0 and store.count("loads") == 0


def test_fast_path_reload_is_idempotent(store, tmp_path):
    f = write(tmp_path / "messy.parquet", MESSY, text_dates=True)
    first = load_files(store, "crimes", [f], fast_path=True)
    before = contents(store)
    counts = {t: store.count(t) for t in ("crimes", "quarantine", "record_changes")}
    second = load_files(store, "crimes", [f], fast_path=True)
    assert {t: store.count(t) for t in counts} == counts
    assert (second.inserted, second.replaced, second.unchanged) == (0, 0, first.inserted)
    after = contents(store)
    after.pop("loads"), before.pop("loads")
    assert after == before


def test_fast_path_failure_before_commit_rolls_back(store, tmp_path):
    write(tmp_path / "first.parquet", [row("F1")])
    load_files(store, "crimes", [tmp_path / "first.parquet"], fast_path=True)
    f = write(tmp_path / "messy.parquet", MESSY, text_dates=True)
    before = contents(store)

    def boom() -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        load_files(store, "crimes", [f], fast_path=True, before_commit=boom)
    assert contents(store) == before


def test_fast_path_strict_refuses_and_leaves_store_unchanged(store, tmp_path):
    f = write(tmp_path / "messy.parquet", MESSY, text_dates=True)
    before = contents(store)
    with pytest.raises(StrictLoadError, match="messy.parquet: row 2 \\(line 3\\): reported_at"):
        load_files(store, "crimes", [f], fast_path=True, strict=True)
    assert contents(store) == before


def test_strict_refusal_reports_the_same_on_both_paths(tmp_path):
    f = write(tmp_path / "messy.parquet", MESSY, text_dates=True)
    seen = []
    for fast in (True, False):
        st = open_store(str(tmp_path / f"strict-{fast}.duckdb"))
        try:
            with pytest.raises(StrictLoadError) as exc:
                load_files(st, "crimes", [f], fast_path=fast, strict=True)
            seen.append((str(exc.value), summary(exc.value.report), contents(st)))
        finally:
            st.close()
    assert seen[0] == seen[1]


def test_fast_path_file_changed_during_load_loads_nothing(store, tmp_path):
    f = write(tmp_path / "c.parquet", [row("C1"), row("C2")])
    before = contents(store)

    def progress(what: str, done: int, total: int) -> None:
        if what == "merging":  # after the checks, before the copy: the file is replaced
            write(f, [row("X1"), row("X2", district="Nowhere")])
            os.utime(f, ns=(0, 12345))

    with pytest.raises(LoadError, match="changed while it was being loaded"):
        load_files(store, "crimes", [f], fast_path=True, progress=progress)
    assert contents(store) == before


def test_fast_path_crash_mid_load_leaves_store_as_it_was(tmp_path):
    """A process killed with the load's transaction open (after the copy, before the commit)."""
    db = tmp_path / "crash.duckdb"
    f = write(tmp_path / "messy.parquet", MESSY, text_dates=True)
    script = textwrap.dedent(
        f"""
        import os
        from forcestat.store.store import open_store
        from forcestat.store.loader import load_files
        st = open_store({str(db)!r})
        load_files(st, "crimes", [{str(f)!r}], fast_path=True, before_commit=lambda: os._exit(9))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    st = open_store(str(db))
    try:
        assert (st.count("crimes"), st.count("quarantine"), st.count("loads")) == (0, 0, 0)
    finally:
        st.close()


def test_fast_path_refuses_csv(store, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("crime_id\nC1\n")
    with pytest.raises(ValueError, match="Parquet"):
        load_files(store, "crimes", [f], fast_path=True)
