"""A PostgreSQL store loaded through the command line keeps the DuckDB store's promises: the
same rows and the same quarantine from the same files, re-loading does not double-count, and a
load killed before its commit leaves the database as it was. One throwaway cluster for the
session (tests/pgcluster.py); the measure conformance over PostgreSQL is
tests/engine/test_conformance.py."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pandas as pd
from typer.testing import CliRunner

from forcestat.cli import app
from forcestat.store.store import open_store

HEADER = "crime_id,reported_at,recorded_at,offence_code,district\n"
GOOD = [
    "P1,2020-01-03 10:00:00,2020-01-03 11:00:00,46,Fenland",
    "P2,2020-01-05 09:30:00,2020-01-06 09:00:00,8N,Peterborough",
    "P3,2020-01-20 22:15:00,2020-01-21 08:00:00,46,Fenland",
    "P4,2020-01-28 13:00:00,2020-01-28 14:00:00,3A,Cambridge",
]
BAD = "P5,2020-01-29 13:00:00,2020-01-29 14:00:00,46,Fenlnd"  # no such district
# Lineage that differs between two stores by design (when and by which load).
VOLATILE = ["loaded_at", "load_id"]

KILLED_LOAD = textwrap.dedent(
    """
    import sys, time
    from forcestat.store.pgload import load_files

    def pause():
        print("written", flush=True)  # rows are in PostgreSQL, not yet committed
        time.sleep(120)

    load_files(sys.argv[1], "crimes", [sys.argv[2]], before_commit=pause)
    """
)


def crimes_csv(path, rows) -> str:
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return str(path)


def load(store: str, file: str) -> str:
    got = CliRunner().invoke(app, ["load", "crimes", file, "--store", store])
    assert got.exit_code == 0, got.output
    return got.output


def table(store: str, name: str, order: list[str]) -> pd.DataFrame:
    st = open_store(store, read_only=True)
    try:
        df = st.table(name).to_pandas()
    finally:
        st.close()
    df = df.drop(columns=[c for c in VOLATILE if c in df.columns])
    return df.sort_values(order).reset_index(drop=True)


def digest(url: str) -> tuple:
    st = open_store(url, read_only=True)
    try:
        return tuple(st.count(t) for t in ("crimes", "quarantine", "loads", "record_changes"))
    finally:
        st.close()


def test_load_matches_duckdb_quarantines_and_reloads(pg_cluster, tmp_path):
    url = pg_cluster.createdb("loads")
    duck = str(tmp_path / "same.duckdb")
    file = crimes_csv(tmp_path / "crimes.csv", [*GOOD, BAD])
    for store in (url, duck):
        assert "quarantined 1" in load(store, file)
    pg_crimes, dk_crimes = (table(s, "crimes", ["crime_id"]) for s in (url, duck))
    assert sorted(pg_crimes.crime_id) == ["P1", "P2", "P3", "P4"]
    pd.testing.assert_frame_equal(pg_crimes, dk_crimes, check_dtype=False)
    qcols = ["source_row", "fields", "reasons"]
    pg_q, dk_q = (table(s, "quarantine", ["source_row"])[qcols] for s in (url, duck))
    assert pg_q.source_row.tolist() == [5]  # data rows from 1
    assert "district" in pg_q.fields[0] and "Fenlnd" in pg_q.reasons[0]
    pd.testing.assert_frame_equal(pg_q, dk_q, check_dtype=False)

    # The same file again: nothing doubles, the bad row is still quarantined once.
    load(url, file)
    crimes, quarantined, loads, _ = digest(url)
    assert (crimes, quarantined, loads) == (4, 1, 2)

    # Only crimes were loaded: the measures on other tables are listed as not available.
    out = {}
    for name, store in (("postgres", url), ("duckdb", duck)):
        path = tmp_path / f"{name}.parquet"
        got = CliRunner().invoke(
            app,
            ["measures", "--store", store, "--period", "2020-01", "--out", str(path),
             "--measure", "recorded_crime", "--measure", "response_time_immediate"],
        )  # fmt: skip
        assert got.exit_code == 0, got.output
        assert "not available: response_time_immediate" in got.output, got.output
        out[name] = pd.read_parquet(path)
    assert set(out["postgres"].measure_id) == {"recorded_crime"}
    pd.testing.assert_frame_equal(out["postgres"], out["duckdb"], check_exact=False, rtol=1e-9)


def test_a_killed_load_leaves_postgres_unchanged(pg_cluster, tmp_path):
    url = pg_cluster.createdb("killed")
    load(url, crimes_csv(tmp_path / "first.csv", GOOD[:2]))
    before = digest(url)
    more = crimes_csv(tmp_path / "more.csv", [*GOOD[2:], BAD])
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOAD, url, more], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "written"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert digest(url) == before
    # The killed load's lock went with its connection: the next load runs and completes.
    assert "quarantined 1" in load(url, more)
    assert digest(url)[:3] == (before[0] + 2, 1, 2)
