"""Loader throughput from Parquet, against a baseline measured in the same run.

Baseline: DuckDB copying the same Parquet file into a table with no validation at all
(``CREATE TABLE AS SELECT * FROM read_parquet``) — the floor for any loader on this machine.
forcestat's loader validates every field, deduplicates keys, merges against the store and
records lineage, in one transaction. Parquet loads take its streaming path; the staging path
(each file copied into a temporary table first, as CSV loads are) is timed too for comparison.

The machine may be shared, so the baseline is re-measured just before each forcestat load, the
whole round is repeated and the best time of each is reported, with its ratio to the best
baseline and the median ratio to the baseline measured just before; the load average and CPU
seconds (all threads) are printed alongside.

    .venv/bin/python benchmarks/load.py [--rows 5000000] [--repeat 3] [--no-staged]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def make_crimes(n: int, seed: int = 1) -> pa.Table:
    """Valid canonical crimes (all columns) made with numpy; the shapes do not matter here."""
    from forcestat.store.store import reference_rows

    rng = np.random.default_rng(seed)
    codes = np.array([r["offence_code"] for r in reference_rows("offence_codes")])
    districts = np.array([r["district"] for r in reference_rows("geography")])
    start = np.datetime64("2015-04-01T00:00:00")
    rep = start + rng.integers(0, 5 * 365 * 86400, n).astype("timedelta64[s]")
    rec = rep + rng.integers(0, 86400, n).astype("timedelta64[s]")
    has_outcome = rng.random(n) < 0.8
    out_at = np.where(
        has_outcome,
        rec + rng.integers(0, 90 * 86400, n).astype("timedelta64[s]"),
        np.datetime64("NaT"),
    )
    outcome = np.where(has_outcome, rng.integers(1, 23, n), 0)
    return pa.table(
        {
            "crime_id": pa.array(np.char.add("CR", np.arange(n).astype(str))),
            "reported_at": pa.array(rep),
            "recorded_at": pa.array(rec),
            "offence_code": pa.array(codes[rng.integers(0, len(codes), n)]),
            "district": pa.array(districts[rng.integers(0, len(districts), n)]),
            "domestic_abuse": pa.array(rng.random(n) < 0.15),
            "hate": pa.array(rng.random(n) < 0.02),
            "victim_age_group": pa.array(
                np.array(["18-24", "25-39", "40-59"])[rng.integers(0, 3, n)]
            ),
            "risk_level": pa.array(np.array(["standard", "medium", "high"])[rng.integers(0, 3, n)]),
            "outcome_type": pa.array(np.where(has_outcome, outcome, None).tolist(), pa.int32()),
            "outcome_at": pa.array(out_at),
            "supervisory_unit": pa.array(np.array(["CID", "IMU", "NPT"])[rng.integers(0, 3, n)]),
        }
    )


def _timed(fn) -> tuple[float, float, object]:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


BASE = "baseline  raw DuckDB copy, no validation"
FIRST = "forcestat first load (streaming path)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="rounds; the best of each is reported")
    ap.add_argument(
        "--no-staged", action="store_true", help="skip timing the staging path (slower)"
    )
    args = ap.parse_args()
    n = args.rows

    from forcestat.store.loader import load_files
    from forcestat.store.store import open_store

    # label -> [(wall, cpu, wall of the baseline measured just before, or None)]
    runs: dict[str, list[tuple[float, float, float | None]]] = {}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "crimes.parquet"
        t0 = time.perf_counter()
        pq.write_table(make_crimes(n), f)
        threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
        print(
            f"input: {n:,} crimes, {f.stat().st_size / 1e6:.0f} MB Parquet "
            f"(made in {time.perf_counter() - t0:.1f}s); DuckDB threads: {threads}"
        )
        count = [0]

        def fresh(name: str) -> Path:
            count[0] += 1
            return Path(tmp) / f"{name}{count[0]}.duckdb"

        def baseline() -> float:
            con = duckdb.connect(str(fresh("baseline")))
            wall, cpu, _ = _timed(
                lambda: con.execute(
                    "CREATE TABLE crimes AS SELECT * FROM read_parquet(?)", [str(f)]
                )
            )
            con.close()
            runs.setdefault(BASE, []).append((wall, cpu, None))
            return wall

        def forcestat(label: str, db: Path, expect: str, **kw) -> None:
            base = baseline()
            store = open_store(str(db))
            wall, cpu, rep = _timed(lambda: load_files(store, "crimes", [f], **kw))
            store.close()
            assert getattr(rep, expect) == n, rep
            runs.setdefault(label, []).append((wall, cpu, base))

        for _ in range(args.repeat):
            db = fresh("fast")
            forcestat(FIRST, db, "inserted")
            forcestat("forcestat re-load, all rows unchanged", db, "unchanged")
            if not args.no_staged:
                forcestat(
                    "forcestat first load (staging path)",
                    fresh("staged"),
                    "inserted",
                    fast_path=False,
                )
    load_after = os.getloadavg()

    print(
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (2 cores); "
        f"best of {args.repeat} round(s), each ratio against the best baseline, and in "
        f"brackets the median ratio to the baseline measured just before"
    )
    best_base = min(w for w, _, _ in runs[BASE])
    for label, got in runs.items():
        wall, cpu, _ = min(got)
        line = f"{label:42s}: {wall:6.2f}s  {n / wall:12,.0f} rows/s  cpu {cpu:6.2f}s"
        if label != BASE:
            paired = statistics.median(w / b for w, _, b in got if b)
            line += f"  {wall / best_base:.2f}x baseline  ({paired:.2f}x)"
        print(line)
    rate = n / min(runs[FIRST])[0]
    print(
        f"target >= 1,000,000 rows/s (streaming first load): {'met' if rate >= 1e6 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
