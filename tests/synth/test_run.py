"""``run``: the CLI entry point, the demo store's lineage and re-runs, the national set."""

from __future__ import annotations

import dataclasses

import duckdb
import pyarrow.parquet as pq
import pytest

from forcestat.store.schema import CANONICAL
from forcestat.synth.calendar import Period
from forcestat.synth.force import demo_force, national_forces
from forcestat.synth.generate import StoreWriter, generate_force
from forcestat.synth.national import NATIONAL_TABLES, write_national
from forcestat.synth.run import run


def test_run_writes_every_table_with_lineage(tmp_path, small_force, monkeypatch):
    # The full-size demo goes through the same writer in the session fixture; a small force
    # keeps this test of run()'s plumbing quick.
    monkeypatch.setattr("forcestat.synth.run.demo_force", lambda: small_force)
    path = str(tmp_path / "s.duckdb")
    counts = run(store=path, end="2019-06", years=1, seed=2)
    assert len(counts) == len(CANONICAL) and min(counts.values()) > 0
    con = duckdb.connect(path, read_only=True)
    for table, n in counts.items():
        assert con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == n
        src = con.execute(f'SELECT DISTINCT source_file FROM "{table}"').fetchall()
        assert src == [("synth:seed=2,end=2019-06,years=1",)]
    last = con.execute("SELECT max(recorded_at) FROM crimes").fetchone()[0]
    assert str(last) < "2019-07-01"
    con.close()


def test_rerun_replaces_synthetic_rows_and_keeps_others(tmp_path, small_force):
    """Writing again replaces the earlier synthetic rows; rows loaded from elsewhere stay."""
    path = str(tmp_path / "s.duckdb")
    tables = generate_force(
        small_force, Period.of("2020-03", 1), seed=4, tables=("missing_persons", "civil_orders")
    )
    for _ in range(2):
        with StoreWriter(path, "synth:test") as writer:
            for name, tbl in tables.items():
                writer.submit(name, tbl)
        if _ == 0:
            con = duckdb.connect(path)
            con.execute(
                "INSERT INTO missing_persons (report_id, reported_at, district, "
                "source_file) VALUES ('X1', '2020-01-01', 'Fenland', 'real.csv')"
            )
            con.close()
    con = duckdb.connect(path, read_only=True)
    n = con.execute("SELECT count(*) FROM missing_persons").fetchone()[0]
    assert n == tables["missing_persons"].num_rows + 1
    assert con.execute("SELECT count(*) FROM civil_orders").fetchone()[0] == (
        tables["civil_orders"].num_rows
    )
    con.close()


def test_run_refuses_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        run(store=str(tmp_path / "x.duckdb"), end="2020-13")
    with pytest.raises(ValueError):
        run(forces=3, out=None)


def test_national_forces_sized_by_home_office():
    specs = national_forces(1)
    assert len(specs) == 43
    total = sum(f.annual_crimes for f in specs)
    assert abs(total * 5 / 30_000_000 - 1) < 0.01
    met = next(f for f in specs if f.name == "Metropolitan Police")
    assert abs(met.annual_crimes / total - 906_062 / 5_234_118) < 1e-9
    assert len({f.code for f in specs}) == 43
    cambs = next(f for f in specs if f.name == "Cambridgeshire")
    assert [d.name for d in cambs.districts] == [d.name for d in demo_force().districts]


def test_national_set_layout(tmp_path):
    """Two small forces: one folder per table, one file per force, geography for both."""
    specs = [
        dataclasses.replace(f, annual_crimes=3_000.0)
        for f in national_forces(1)
        if f.name in ("Cambridgeshire", "Cumbria")
    ]
    counts = write_national(tmp_path, Period.of("2020-03", 1), 1, specs, workers=1)
    assert set(counts) == set(NATIONAL_TABLES)
    for table in NATIONAL_TABLES:
        files = sorted(p.name for p in (tmp_path / table).iterdir())
        assert files == ["cambridgeshire.parquet", "cumbria.parquet"]
    geo = pq.read_table(tmp_path / "geography.parquet").to_pylist()
    assert {g["force"] for g in geo} == {"Cambridgeshire", "Cumbria"}
    con = duckdb.connect()
    ids, n, districts = con.execute(
        f"SELECT count(DISTINCT crime_id), count(*), count(DISTINCT district) "
        f"FROM read_parquet('{tmp_path}/crimes/*.parquet')"
    ).fetchone()
    assert ids == n == counts["crimes"]
    unknown = con.execute(
        f"SELECT count(*) FROM read_parquet('{tmp_path}/crimes/*.parquet') c WHERE district "
        f"NOT IN (SELECT district FROM read_parquet('{tmp_path}/geography.parquet')) "
        "AND district <> 'No location'"
    ).fetchone()[0]
    assert unknown == 0 and districts > 6
