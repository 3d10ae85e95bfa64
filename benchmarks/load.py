"""Loader throughput from Parquet, against a baseline measured in the same run.

Baseline: DuckDB copying the same Parquet file into a table with no validation at all
(``CREATE TABLE AS SELECT * FROM read_parquet``) — the floor for any loader on this machine.
forcestat's loader validates every field, deduplicates keys, merges against the store and
records lineage, in one transaction.

    .venv/bin/python benchmarks/load.py [--rows 5000000]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    args = ap.parse_args()

    from forcestat.store.loader import load_files
    from forcestat.store.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "crimes.parquet"
        t0 = time.perf_counter()
        pq.write_table(make_crimes(args.rows), f)
        print(
            f"input: {args.rows:,} crimes, {f.stat().st_size / 1e6:.0f} MB Parquet "
            f"(made in {time.perf_counter() - t0:.1f}s)"
        )

        con = duckdb.connect(str(Path(tmp) / "baseline.duckdb"))
        t0 = time.perf_counter()
        con.execute("CREATE TABLE crimes AS SELECT * FROM read_parquet(?)", [str(f)])
        base = time.perf_counter() - t0
        con.close()

        store = open_store(str(Path(tmp) / "store.duckdb"))
        rep = load_files(store, "crimes", [f])
        first = rep.seconds
        assert rep.inserted == args.rows, rep
        rep2 = load_files(store, "crimes", [f])
        assert rep2.unchanged == args.rows
        store.close()

    rate = args.rows / first
    print(
        f"baseline  raw DuckDB copy, no validation : {base:6.2f}s  {args.rows / base:12,.0f} rows/s"
    )
    print(
        f"forcestat load into empty store         : {first:6.2f}s  {rate:12,.0f} rows/s  "
        f"({first / base:.1f}x baseline)"
    )
    print(
        f"forcestat re-load (all rows unchanged)  : {rep2.seconds:6.2f}s  "
        f"{args.rows / rep2.seconds:12,.0f} rows/s  ({rep2.seconds / base:.1f}x baseline)"
    )
    print(f"target >= 1,000,000 rows/s: {'met' if rate >= 1e6 else 'NOT met'}")


if __name__ == "__main__":
    main()
