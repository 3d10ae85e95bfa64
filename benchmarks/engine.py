"""Benchmark the measures engine against baselines measured in the same run.

    .venv/bin/python benchmarks/engine.py [--store demo.duckdb] [--national DIR] [--period 2020-03]
    .venv/bin/python benchmarks/engine.py --spark [--forces 1,10,43] [--sets DIR]

Scenarios (each in its own process, so its peak memory is its own):

- framework_one: the full default framework, all breakdowns, one period: cold (first call in
  the process) and warm (best of the next calls). Target <= 2 s warm for one force.
- framework_all: the same with every period (--all-periods).
- subset: the engine's data path (Ibis passes -> monthly cube -> rolling sums, no statistics)
  for recorded crime by district x offence group, the all-crime prosecution possible outcome
  rate by district and the 101 abandonment rate, every month; the same numbers as hand-written
  DuckDB SQL and as plain pandas (tables already in memory); the ratios. Targets: engine within
  1.5x of SQL, at least 10x faster than pandas. Also the full engine (statistics included) for
  the subset at one period, for scale.
- national: framework_one on the 43-force Parquet set (``forcestat synth --forces 43 --out
  DIR``) when it exists. Targets <= 60 s and <= 8 GiB. Then the subset on it (crimes only: the
  national set has no calls): engine, SQL and pandas at 29 million crimes.

- spark (``--spark``, instead of the above): the full framework, one period, on national sets
  of 1, 10 and 43 forces (``--forces``; built with ``forcestat synth --forces N --out DIR``
  under ``--sets`` when missing), each set read from the same Parquet folder by DuckDB and by
  local Spark (``spark://local[2]?path=DIR``), one cold call each in its own process: time and
  peak memory (Spark's: the Python driver plus the JVM it starts), and the growth of each from
  the smallest set. The results of the two are compared (1e-9, text exact) before the times
  mean anything.

The demo store is built with ``forcestat synth`` when missing. Figures are printed and, with
--json FILE, saved.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUBSET = ("recorded_crime", "outcome_rate_all_crime", "calls_101_abandonment")
SUBSET_BREAKDOWNS = {
    "recorded_crime": ["district*offence_group"],
    "outcome_rate_all_crime": ["district"],
    "calls_101_abandonment": ["force"],
}
PP = "1, 2, 3, 4, 6, 7, 8"


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux: the whole process (DuckDB's C++ allocations included).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def descendants_peak_mib() -> float:
    """The peak resident memory (VmHWM) of this process's living descendants: Spark's JVM,
    which PySpark starts as a child and which lives until the driver exits."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("PPid:"):
                        parents[int(entry.name)] = int(line.split()[1])
                        break
            except OSError:
                continue
    mine, total = {os.getpid()}, 0.0
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in mine and pid not in mine:
                mine.add(pid)
                changed = True
    for pid in mine - {os.getpid()}:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024.0
        except OSError:
            continue
    return total


def _timed(fn, repeat: int = 1) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


# -- scenarios (run in child processes) ------------------------------------------------------


def scenario_framework(store: str, period: str, all_periods: bool, repeat: int) -> dict:
    t0 = time.perf_counter()
    from forcestat.engine import Timings, compute
    from forcestat.framework import load_framework
    from forcestat.store.store import open_store

    imports = time.perf_counter() - t0
    fw = load_framework()
    st = open_store(store, read_only=True)
    tm = Timings()
    # A national set may lack some tables (synth leaves the high-volume event tables out).
    kw = {"all_periods": all_periods, "skip_missing": True}
    cold, df = _timed(lambda: compute(st, fw, period, timings=tm, **kw))
    out = {
        "imports_s": imports,
        "cold_s": cold,
        "rows": len(df),
        "measures": int(df["measure_id"].nunique()),
        "cold_aggregate_s": tm.aggregate,
        "cold_evaluate_s": tm.evaluate,
        "skipped_measures": tm.skipped,
    }
    if repeat > 0:
        # Each warm call on its own: the best, and the median as the typical figure (a shared
        # 2-core machine varies by +-20% from call to call).
        warm_runs = []
        for _ in range(repeat):
            tm = Timings()
            t = time.perf_counter()
            compute(st, fw, period, timings=tm, **kw)
            warm_runs.append((time.perf_counter() - t, tm.aggregate, tm.backend, tm.evaluate))
        best = min(warm_runs)
        out.update(
            warm_s=best[0],
            warm_median_s=sorted(r[0] for r in warm_runs)[len(warm_runs) // 2],
            warm_runs=len(warm_runs),
            warm_aggregate_s=best[1],
            warm_backend_s=best[2],
            warm_evaluate_s=best[3],
        )
    out["peak_rss_mib"] = peak_rss_mib()
    return out


SQL_CRIME = """
WITH m AS (
  SELECT year(recorded_at) * 12 + month(recorded_at) - 1 AS month, district, offence_group,
         count(*) AS n
  FROM crimes WHERE recorded_at IS NOT NULL GROUP BY ALL),
span AS (SELECT min(month) AS lo, max(month) AS hi FROM m),
grid AS (SELECT k.district, k.offence_group, r.range AS month
         FROM (SELECT DISTINCT district, offence_group FROM m) k,
              span, range(span.lo, span.hi + 1) r),
filled AS (SELECT g.district, g.offence_group, g.month, coalesce(m.n, 0) AS n
           FROM grid g LEFT JOIN m USING (district, offence_group, month))
SELECT district, offence_group, month,
       sum(n) OVER (PARTITION BY district, offence_group ORDER BY month
                    ROWS BETWEEN 11 PRECEDING AND CURRENT ROW) AS n12
FROM filled, span QUALIFY month >= span.lo + 11
"""
SQL_OUTCOME = f"""
WITH m AS (
  SELECT year(recorded_at) * 12 + month(recorded_at) - 1 AS month, district,
         sum(CASE WHEN outcome_type IN ({PP}) THEN 1 ELSE 0 END) AS x, count(*) AS n
  FROM crimes WHERE recorded_at IS NOT NULL GROUP BY ALL),
span AS (SELECT min(month) AS lo, max(month) AS hi FROM m),
grid AS (SELECT k.district, r.range AS month
         FROM (SELECT DISTINCT district FROM m) k, span, range(span.lo, span.hi + 1) r),
filled AS (SELECT g.district, g.month, coalesce(m.x, 0) AS x, coalesce(m.n, 0) AS n
           FROM grid g LEFT JOIN m USING (district, month))
SELECT district, month,
       sum(x) OVER w AS x12, sum(n) OVER w AS n12, 100.0 * sum(x) OVER w / sum(n) OVER w AS rate
FROM filled, span
WINDOW w AS (PARTITION BY district ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW)
QUALIFY month >= span.lo + 11
"""
SQL_ABANDON = """
WITH m AS (
  SELECT year(received_at) * 12 + month(received_at) - 1 AS month,
         sum(CASE WHEN abandoned THEN 1 ELSE 0 END) AS x, count(*) AS n
  FROM calls WHERE received_at IS NOT NULL AND channel = '101' GROUP BY ALL),
span AS (SELECT min(month) AS lo, max(month) AS hi FROM m),
filled AS (SELECT r.range AS month, coalesce(m.x, 0) AS x, coalesce(m.n, 0) AS n
           FROM span, range(span.lo, span.hi + 1) r LEFT JOIN m ON m.month = r.range)
SELECT month, sum(x) OVER w AS x12, sum(n) OVER w AS n12, 100.0 * sum(x) OVER w / sum(n) OVER w
FROM filled, span
WINDOW w AS (ORDER BY month ROWS BETWEEN 11 PRECEDING AND CURRENT ROW)
QUALIFY month >= span.lo + 11
"""


def _pandas_subset(crimes, calls):
    import numpy as np

    def rolling(table):
        # Dense unit x month table, then 12-month sums by cumulative difference.
        wide = table.unstack("month", fill_value=0)
        full = range(wide.columns.min(), wide.columns.max() + 1)
        wide = wide.reindex(columns=full, fill_value=0)
        c = np.concatenate([np.zeros((len(wide), 1)), np.cumsum(wide.to_numpy(), axis=1)], 1)
        return wide.index, c[:, 12:] - c[:, :-12]

    month = crimes["recorded_at"].dt.year * 12 + crimes["recorded_at"].dt.month - 1
    c = crimes.assign(month=month, pp=crimes["outcome_type"].isin([1, 2, 3, 4, 6, 7, 8]))
    counts = c.groupby(["district", "offence_group", "month"]).size()
    idx1, n12 = rolling(counts)
    g = c.groupby(["district", "month"])
    idx2, x12 = rolling(g["pp"].sum())
    _, d12 = rolling(g.size())
    rate = None
    if calls is not None:
        k = calls[calls["channel"] == "101"]
        k = k.assign(month=k["received_at"].dt.year * 12 + k["received_at"].dt.month - 1)
        gk = k.groupby("month")
        xs = gk["abandoned"].sum()
        ns = gk.size()
        full = range(xs.index.min(), xs.index.max() + 1)
        xs, ns = xs.reindex(full, fill_value=0), ns.reindex(full, fill_value=0)
        rate = 100 * xs.rolling(12).sum() / ns.rolling(12).sum()
    return {
        "crime_total_last": float(n12[:, -1].sum()),
        "outcome_x_last": float(x12[:, -1].sum()),
        "outcome_n_last": float(d12[:, -1].sum()),
        "abandon_rate_last": float(rate.iloc[-1]) if rate is not None else None,
        "cells": int(n12.size + x12.size + (rate.size if rate is not None else 0)),
        "_idx": (len(idx1), len(idx2)),
    }


def scenario_subset(store: str, period: str, repeat: int) -> dict:
    from forcestat.engine import compute
    from forcestat.engine.rolling import rolling_sums
    from forcestat.framework import load_framework
    from forcestat.store.store import open_store

    fw = load_framework()
    # The subset's crime counts are by district x offence group (a cross breakdown).
    fw.measure("recorded_crime").breakdowns = ["district*offence_group"]
    st = open_store(store, read_only=True)
    con = st.duck
    # A national set has no calls table (synth leaves the event tables out): crimes only.
    has_calls = "calls" in st.ibis.list_tables()
    subset = SUBSET if has_calls else SUBSET[:2]
    queries = (SQL_CRIME, SQL_OUTCOME, SQL_ABANDON) if has_calls else (SQL_CRIME, SQL_OUTCOME)

    def engine():
        r = rolling_sums(st, fw, subset, "12m", SUBSET_BREAKDOWNS)
        return r

    def sql():
        return [con.execute(q).to_arrow_table() for q in queries]

    engine()  # warm both paths up (imports, DuckDB caches)
    sql()
    t_engine, r = _timed(engine, repeat)
    t_sql, s = _timed(sql, repeat)
    t_load, frames = _timed(
        lambda: (
            con.execute(
                "SELECT recorded_at, district, offence_group, outcome_type FROM crimes"
            ).df(),
            con.execute("SELECT received_at, channel, abandoned FROM calls").df()
            if has_calls
            else None,
        )
    )
    crimes, calls = frames
    t_pandas, pdres = _timed(lambda: _pandas_subset(crimes, calls), max(1, repeat // 2))
    t_full, _ = _timed(lambda: compute(st, fw, period, measures=list(subset)), 1)

    # The three implementations must agree before their times mean anything.
    last = r["period_end"].max()
    at = r[r["period_end"] == last]
    crime_total = at[at.measure_id == "recorded_crime"].numerator.sum()
    out_x = at[at.measure_id == "outcome_rate_all_crime"].numerator.sum()
    out_n = at[at.measure_id == "outcome_rate_all_crime"].denominator.sum()
    ab = at[at.measure_id == "calls_101_abandonment"]
    ab_rate = 100 * ab.numerator.sum() / ab.denominator.sum() if has_calls else None
    sql_crime = s[0].to_pandas()
    sql_crime = float(sql_crime[sql_crime["month"] == sql_crime["month"].max()]["n12"].sum())
    agree = {
        "crime_total": [crime_total, float(sql_crime), pdres["crime_total_last"]],
        "outcome_x": [out_x, None, pdres["outcome_x_last"]],
        "outcome_n": [out_n, None, pdres["outcome_n_last"]],
        "abandon_rate": [ab_rate, None, pdres["abandon_rate_last"]],
    }
    ok = (
        all(abs(v[0] - v[2]) < 1e-6 * max(1, abs(v[0])) for v in agree.values() if v[0] is not None)
        and abs(crime_total - sql_crime) < 1e-6
    )
    return {
        "engine_s": t_engine,
        "sql_s": t_sql,
        "pandas_s": t_pandas,
        "pandas_load_s": t_load,
        "engine_full_subset_one_period_s": t_full,
        "engine_rows": len(r),
        "sql_rows": sum(x.num_rows for x in s),
        "agree": ok,
        "check": agree,
        "peak_rss_mib": peak_rss_mib(),
    }


def scenario_backend(store: str, period: str, out: str) -> dict:
    """The full framework, one period, one cold call on ``store`` (a folder or a spark:// URL);
    the results written to ``out`` for the comparison."""
    t0 = time.perf_counter()
    from forcestat.engine import Timings, compute
    from forcestat.framework import load_framework
    from forcestat.store.store import open_store

    fw = load_framework()
    t1 = time.perf_counter()
    st = open_store(store, read_only=True)
    opened = time.perf_counter() - t1
    tm = Timings()
    t, df = _timed(lambda: compute(st, fw, period, timings=tm, skip_missing=True))
    df.to_parquet(out)
    res = {
        "open_s": opened,
        "compute_s": t,
        "total_s": time.perf_counter() - t0,
        "rows": len(df),
        "measures": int(df["measure_id"].nunique()),
        "python_peak_mib": peak_rss_mib(),
        "jvm_peak_mib": descendants_peak_mib(),
    }
    st.close()
    return res


def national_set(sets: Path, forces: int, period: str) -> Path:
    """The national Parquet set of the first ``forces`` forces (``forcestat synth --forces N
    --out DIR``; the command's one force is the demo store, so one force is written here by the
    same function the command uses)."""
    folder = sets / f"national-{forces}"
    if not (folder / "crimes").is_dir():
        print(f"building {folder} ({forces} forces) ...", flush=True)
        from forcestat.synth.calendar import Period
        from forcestat.synth.national import national_specs, write_national

        # As ``synth.run.run`` makes them (storylines on), for any number of forces.
        specs = [dataclasses.replace(s, storylines=True) for s in national_specs(1, forces)]
        write_national(folder, Period.of(period, 5), 1, specs)
    return folder


def same_results(a: Path, b: Path) -> str:
    import pandas as pd

    x, y = pd.read_parquet(a), pd.read_parquet(b)
    try:
        pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-9)
    except AssertionError as exc:
        return f"DIFFER: {str(exc).splitlines()[0]}"
    return f"identical ({len(x):,} rows)"


def run_spark(a: argparse.Namespace) -> dict:
    import pyarrow.parquet as pq

    sets = Path(a.sets)
    sets.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {}
    base: dict[str, dict] = {}
    for n in [int(x) for x in a.forces.split(",")]:
        folder = national_set(sets, n, a.period)
        crimes = sum(
            pq.ParquetFile(f).metadata.num_rows for f in (folder / "crimes").glob("*.parquet")
        )
        row: dict[str, Any] = {"crimes": crimes}
        for name, store in (("duckdb", str(folder)), ("spark", f"spark://local[2]?path={folder}")):
            out = sets / f"results-{n}-{name}.parquet"
            r = run_child(["backend", store, a.period, str(out)], a.spark_timeout)
            row[name] = r
            if "error" in r:
                print(f"{n} forces on {name}: failed or timed out: {r['error']}", flush=True)
                continue
            mem = r["python_peak_mib"] + r["jvm_peak_mib"]
            r["peak_mib"] = mem
            grow = ""
            if name in base:
                b = base[name]
                grow = (
                    f"; x{r['compute_s'] / b['compute_s']:.1f} time, "
                    f"x{mem / b['peak_mib']:.1f} memory for x{crimes / b['crimes']:.1f} crimes"
                )
            else:
                base[name] = {**r, "crimes": crimes}
            print(
                f"{n} forces ({crimes:,} crimes) on {name}: {r['measures']} measures, "
                f"{r['rows']:,} rows; open {fmt(r['open_s'])}, compute {fmt(r['compute_s'])}; "
                f"peak memory {mem:.0f} MiB (Python {r['python_peak_mib']:.0f}, JVM "
                f"{r['jvm_peak_mib']:.0f}){grow}",
                flush=True,
            )
        if "error" not in row["duckdb"] and "error" not in row["spark"]:
            row["same"] = same_results(
                sets / f"results-{n}-duckdb.parquet", sets / f"results-{n}-spark.parquet"
            )
            ratio = row["spark"]["compute_s"] / row["duckdb"]["compute_s"]
            print(
                f"  {n} forces: Spark / DuckDB time = {ratio:.1f}; results {row['same']}",
                flush=True,
            )
        figures[f"forces_{n}"] = row
    return figures


# -- driver ----------------------------------------------------------------------------------


def run_child(args: list[str], timeout: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": [f"not finished in {timeout:.0f} s"]}
    if p.returncode != 0:
        return {"error": (p.stderr or p.stdout).strip().splitlines()[-1:]}
    return json.loads(p.stdout.strip().splitlines()[-1])


def ensure_demo(store: str) -> None:
    if Path(store).exists():
        return
    print(f"building the demo store {store} with forcestat synth ...", flush=True)
    exe = Path(sys.executable).with_name("forcestat")
    subprocess.run(
        [str(exe), "synth", "--store", store, "--end", "2020-03", "--years", "5", "--seed", "1"],
        check=True,
    )


def fmt(x: float | None, unit: str = "s") -> str:
    return "n/a" if x is None else f"{x:.2f} {unit}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--store", default=str(ROOT / "demo" / "demo.duckdb"))
    ap.add_argument("--national", default=None, help="43-force Parquet folder (synth --forces 43)")
    ap.add_argument("--period", default="2020-03")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-all-periods", action="store_true")
    ap.add_argument("--json", default=None, help="also write the figures here")
    ap.add_argument("--spark", action="store_true", help="DuckDB and local Spark on national sets")
    ap.add_argument("--forces", default="1,10,43", help="national set sizes for --spark")
    ap.add_argument("--sets", default=str(ROOT / "demo" / "national-sets"))
    ap.add_argument("--spark-timeout", type=float, default=3600.0)
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.child:
        kind, store, period, extra = a.child[0], a.child[1], a.child[2], a.child[3:]
        if kind == "backend":
            res = scenario_backend(store, period, extra[0])
        elif kind == "framework":
            res = scenario_framework(store, period, extra[0] == "all", int(extra[1]))
        else:
            res = scenario_subset(store, period, int(extra[0]))
        print(json.dumps(res, default=float))
        return

    if a.spark:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"machine: {os.cpu_count()} cores, load average {load} at start", flush=True)
        figures = run_spark(a)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average {load} at the end", flush=True)
        if a.json:
            Path(a.json).write_text(json.dumps(figures, indent=1, default=float))
        return
    ensure_demo(a.store)
    # Other work on the machine slows every figure alike; the load average says how much.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"machine: {os.cpu_count()} cores, load average {load} at start; store {a.store}; "
        f"period {a.period}",
        flush=True,
    )
    figures: dict[str, Any] = {}
    figures["framework_one"] = run_child(
        ["framework", a.store, a.period, "one", str(a.repeat)], 1800
    )
    f = figures["framework_one"]
    if "error" not in f:
        print(
            f"one force, full framework ({f['measures']} measures, {f['rows']:,} rows), one "
            f"period: cold {fmt(f['cold_s'])}, warm best {fmt(f['warm_s'])}, median "
            f"{fmt(f['warm_median_s'])} of {f['warm_runs']} (last pass in at "
            f"{fmt(f['warm_aggregate_s'])}, backend {fmt(f['warm_backend_s'])}, evaluation "
            f"left after it {fmt(f['warm_evaluate_s'])}); peak RSS {f['peak_rss_mib']:.0f} MiB; "
            "target <= 2 s warm",
            flush=True,
        )
    else:
        print("framework_one failed:", f["error"])
    if not a.skip_all_periods:
        figures["framework_all"] = run_child(["framework", a.store, a.period, "all", "0"], 3600)
        f = figures["framework_all"]
        if "error" not in f:
            print(
                f"one force, full framework, all periods ({f['rows']:,} rows): "
                f"{fmt(f['cold_s'])} (last pass in at {fmt(f['cold_aggregate_s'])}, evaluation "
                f"left after it {fmt(f['cold_evaluate_s'])}); peak RSS "
                f"{f['peak_rss_mib']:.0f} MiB",
                flush=True,
            )
        else:
            print("framework_all failed:", f["error"])
    figures["subset"] = s = run_child(["subset", a.store, a.period, str(a.repeat)], 1800)
    if "error" not in s:
        print(
            "subset (crime by district x offence group, outcome rate by district, 101 "
            f"abandonment; 12-month rolling, every month): engine {fmt(s['engine_s'])}, "
            f"hand-written DuckDB SQL {fmt(s['sql_s'])}, pandas {fmt(s['pandas_s'])} "
            f"(+ {fmt(s['pandas_load_s'])} to load its tables); results agree: {s['agree']}",
            flush=True,
        )
        print(
            f"  ratios: engine / SQL = {s['engine_s'] / s['sql_s']:.2f} (target <= 1.5); "
            f"pandas / engine = {s['pandas_s'] / s['engine_s']:.1f} with its tables already in "
            f"memory, {(s['pandas_s'] + s['pandas_load_s']) / s['engine_s']:.1f} reading them "
            "from the store as the engine does (target >= 10); "
            f"full engine with statistics, subset, one period: "
            f"{fmt(s['engine_full_subset_one_period_s'])}",
            flush=True,
        )
    else:
        print("subset failed:", s["error"])
    if a.national and Path(a.national).exists():
        figures["national"] = n = run_child(["framework", a.national, a.period, "one", "1"], 3600)
        if "error" not in n:
            print(
                f"national ({a.national}), full framework, one period: cold {fmt(n['cold_s'])}, "
                f"warm {fmt(n.get('warm_s'))} (last pass in at {fmt(n.get('warm_aggregate_s'))}, "
                f"evaluation left after it {fmt(n.get('warm_evaluate_s'))}); "
                f"peak RSS {n['peak_rss_mib'] / 1024:.2f} GiB; "
                "targets <= 60 s, <= 8 GiB",
                flush=True,
            )
        else:
            print("national failed:", n["error"])
        figures["national_subset"] = s = run_child(["subset", a.national, a.period, "1"], 3600)
        if "error" not in s:
            print(
                "national subset (crime by district x offence group, outcome rate by district; "
                f"12-month rolling, every month): engine {fmt(s['engine_s'])}, hand-written "
                f"DuckDB SQL {fmt(s['sql_s'])}, pandas {fmt(s['pandas_s'])} (+ "
                f"{fmt(s['pandas_load_s'])} to load its tables); results agree: {s['agree']}; "
                f"engine / SQL = {s['engine_s'] / s['sql_s']:.2f}, pandas / engine = "
                f"{s['pandas_s'] / s['engine_s']:.1f} (tables in memory), "
                f"{(s['pandas_s'] + s['pandas_load_s']) / s['engine_s']:.1f} (reading them)",
                flush=True,
            )
        else:
            print("national subset failed:", s["error"])
    else:
        print(
            "national: not run (no --national folder; build one with "
            "`forcestat synth --forces 43 --out DIR`)"
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average {load} at the end", flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(figures, indent=1, default=float))


if __name__ == "__main__":
    main()
