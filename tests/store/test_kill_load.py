"""A load killed with SIGKILL at a random moment leaves the store exactly as it was before the
load or exactly as a complete load leaves it, never in between (issue #19, item 7). Three
kills here, at random moments of loads of 200,000 rows; the long campaign is scripts/fuzz.sh."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from forcestat.store.loader import load_files
from forcestat.store.store import open_store

N = 200_000
LOAD = textwrap.dedent(
    """
    import sys
    from forcestat.store.store import open_store
    from forcestat.store.loader import load_files
    st = open_store(sys.argv[1])
    print("go", flush=True)
    load_files(st, "crimes", [sys.argv[2]])
    st.close()
    print("done", flush=True)
    """
)


def digest(db) -> dict[str, tuple]:
    """What the store holds, without the times and ids that differ between two loads."""
    st = open_store(str(db), read_only=True)
    try:
        crimes = st.duck.execute(
            "SELECT count(*), sum(hash(crime_id, district, source_row, reported_at)) FROM crimes"
        ).fetchone()
        quarantine = st.duck.execute(
            "SELECT count(*), sum(hash(source_row, reasons)) FROM quarantine"
        ).fetchone()
        loads = st.duck.execute("SELECT count(*) FROM loads").fetchone()
        return {"crimes": crimes, "quarantine": quarantine, "loads": loads}
    finally:
        st.close()


@pytest.mark.slow
def test_sigkill_during_a_large_load_leaves_before_or_after(tmp_path):
    rng = np.random.default_rng(3)
    table = pa.table(
        {
            "crime_id": np.char.add("K", np.arange(N).astype(str)),
            "reported_at": ["2020-01-01 10:00:00"] * N,
            "recorded_at": ["2020-01-02 10:00:00"] * N,
            "offence_code": ["46"] * N,
            # One row in ten is quarantined: the load writes two tables.
            "district": np.where(rng.random(N) < 0.1, "Fenlnd", "Fenland"),
        }
    )
    files = {"parquet": tmp_path / "crimes.parquet", "csv": tmp_path / "crimes.csv"}
    pq.write_table(table, files["parquet"])
    pacsv.write_csv(table, files["csv"])
    base = tmp_path / "base.duckdb"
    first = tmp_path / "first.csv"
    first.write_text(
        "crime_id,reported_at,recorded_at,offence_code,district\nB1,2020-01-01,2020-01-01,46,"
        "Fenland\n"
    )
    st = open_store(str(base))
    load_files(st, "crimes", [first])
    st.close()
    before = digest(base)
    after = {}
    for kind, f in files.items():
        ref = tmp_path / f"complete-{kind}.duckdb"
        shutil.copy(base, ref)
        st = open_store(str(ref))
        load_files(st, "crimes", [f])
        st.close()
        after[kind] = digest(ref)
        assert after[kind] != before
    rnd = random.Random(19)
    seen = []
    for i, kind in enumerate(["parquet", "csv", "parquet"]):
        db = tmp_path / f"killed{i}.duckdb"
        shutil.copy(base, db)
        proc = subprocess.Popen(
            [sys.executable, "-c", LOAD, str(db), str(files[kind])],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline().strip() == "go"
        time.sleep(rnd.uniform(0.0, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        now = digest(db)
        assert now in (before, after[kind]), f"a killed {kind} load left {now}"
        seen.append("before" if now == before else "after")
    assert len(seen) == 3
