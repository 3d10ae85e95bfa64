"""False "trending"/"halted" readings and SPC icons on null forces, and the trend storylines'
power, from force-level (and a few district/area) monthly series only - much cheaper than the
full engine run of ``benchmarks/calibration.py``.

    .venv/bin/python benchmarks/trend_calibration.py               # 50 null + 40 storyline forces
    .venv/bin/python benchmarks/trend_calibration.py --null 10 --power 10
    options: --workers 2 --period 2020-03 --years 5 --reports 12
             --cache DIR (per-seed monthly arrays; default /tmp/forcestat-trend-cache)

Each force is generated once (``synth.generate_force``; null forces with ``storylines=False``),
aggregated to the engine's monthly cube and rolled to units exactly as ``engine.series`` does;
the rolled arrays are cached per seed, so re-running after a change to the rules costs only the
``engine.signals`` calls. ``engine.signals`` (the code the engine runs per unit and period) then
gives (spc icon, trend) at the report period and at each of the ``--reports`` monthly reports
before it.

Printed, per measure (force level, null forces): the share of forces whose trend at the report
period is not 'none' (any direction or halted), the share over the last ``--reports`` monthly
reports (every calendar month, not only March), and the share with a special-cause icon, each
with a Wilson 95% interval; then the storyline hit rates.

Seeds: null forces 100001, ...; storyline forces 200001, ... (as benchmarks/calibration.py).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import multiprocessing as mp  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

NULL_SEED0 = 100_000
POWER_SEED0 = 200_000
SPECIAL = ("improvement", "concern", "neutral")
# Measures whose null series carry structure that is not a change (docs/calibration.md): cohort
# maturation, an AR(1) wobble, autocorrelated backlogs, the start-of-data edge, a seasonal mix.
STRUCTURED = {
    "outcome_rate_all_crime",
    "outcome_rate_domestic_abuse",
    "outcome_rate_serious_sexual",
    "outcome_rate_burglary_dwelling",
    "victims_code_compliance",
    "imu_backlog",
    "live_workload",
    "rape_investigation_days",
    "priority_group_victims_share",
    "da_alliance_referrals",
}
# Storyline forces: (measure, breakdowns) read.
POWER = {
    "domestic_abuse_crimes": ("force", "district"),
    "serious_sexual_offences": ("force", "area"),
    "rape_offences": ("force",),
    "outcome_rate_domestic_abuse": ("force", "area"),
    "recorded_crime": ("force", "district"),
    "missing_children": ("force",),
}
# The demo force's districts (Peterborough first: storyline 2 leaves it flat) and its name, as
# the calibration study names them.
from calibration import DISTRICTS, FORCE  # noqa: E402  (benchmarks/calibration.py, same folder)


def _framework():
    from forcestat.framework import load_framework

    return load_framework()


def collect(seed: int, storylines: bool, period: str, years: int) -> dict[str, Any]:
    """Generate one force and roll the cube to the units asked for; picklable arrays."""
    import ibis

    from forcestat.engine import cube
    from forcestat.engine.rollup import Geography, roll
    from forcestat.engine.run import _tables
    from forcestat.synth.calendar import Period
    from forcestat.synth.force import demo_force
    from forcestat.synth.generate import generate_force

    fw = _framework()
    if storylines:
        ms = [fw.measure(i) for i in POWER]
        only = {i: list(b) for i, b in POWER.items()}
    else:
        ms = list(fw.measures)
        only = {m.id: ["force"] for m in ms}
    t0 = time.perf_counter()
    tables = generate_force(
        demo_force(),
        Period.of(period, years),
        seed,
        tables=tuple(_tables(ms)),
        storylines=storylines,
    )
    con = ibis.duckdb.connect(threads=1)
    for name, tbl in tables.items():
        con.con.register(name, tbl)
    cube.forget(con)  # a worker's earlier connection may have had the same id
    passes, route = cube.plan(ms, cube.table_columns(con, _tables(ms)), only=only)
    for p in passes:
        cube.run(p, con)
    geo = Geography.load(con)
    spans = cube.table_spans(passes)
    out = {}
    for m in ms:
        for b in only[m.id]:
            if (m.id, b) not in route:
                continue
            p = route[(m.id, b)]
            if p.table not in spans:
                continue
            out[(m.id, b)] = roll(p, m, b, geo, spans[p.table])
    con.disconnect()
    return {"seed": seed, "units": out, "seconds": time.perf_counter() - t0}


def _cached(cache: Path, seed: int, storylines: bool, period: str, years: int) -> Path:
    return cache / f"{'story' if storylines else 'null'}-{seed}-{period}-{years}.pkl"


def ensure(seeds: list[tuple[int, bool]], args: argparse.Namespace) -> None:
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    todo = [
        (s, st) for s, st in seeds if not _cached(cache, s, st, args.period, args.years).exists()
    ]
    if not todo:
        return
    t0 = time.perf_counter()
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max(1, args.workers), mp_context=ctx) as pool:
        futs = {pool.submit(collect, s, st, args.period, args.years): (s, st) for s, st in todo}
        for k, fut in enumerate(as_completed(futs), 1):
            s, st = futs[fut]
            r = fut.result()
            with open(_cached(cache, s, st, args.period, args.years), "wb") as f:
                pickle.dump(r["units"], f)
            print(
                f"[{k}/{len(todo)} {time.perf_counter() - t0:4.0f}s] seed {s} "
                f"{'storylines' if st else 'null'} {r['seconds']:.1f}s",
                file=sys.stderr,
            )


def load(args: argparse.Namespace, seed: int, storylines: bool) -> dict:
    with open(_cached(Path(args.cache), seed, storylines, args.period, args.years), "rb") as f:
        return pickle.load(f)


def wilson(x: int, n: int) -> str:
    from forcestat.stats.intervals import wilson_interval

    if n == 0:
        return "-"
    lo, hi = wilson_interval(x, n, 0.95)
    return f"{100 * x / n:5.1f} ({100 * lo:4.1f}-{100 * hi:4.1f})"


def _signals_at(
    fw, mid: str, u: Any, label: str, period: str, ks_cache: dict, back: int, drop: int = 0
) -> list[tuple[str, str]]:
    from forcestat.engine.kinds import stats_for
    from forcestat.engine.signals import signals
    from forcestat.engine.windows import month_index

    m = fw.measure(mid)
    key = (mid, u.breakdown)
    if key not in ks_cache:
        ks_cache[key] = stats_for(m, u, fw.settings)
    ks = ks_cache[key]
    if label not in u.labels:
        return []
    i = u.labels.index(label)
    stop0 = month_index(period) - u.first + 1 - drop
    return [signals(ks, m, fw.settings, i, stop0 - k) for k in range(back)]


def analyse_null(args: argparse.Namespace, seeds: list[int]) -> None:
    fw = _framework()
    per = {}  # measure -> lists
    for s in seeds:
        units = load(args, s, False)
        ks_cache: dict = {}
        for (mid, _b), u in units.items():
            label = u.labels[0] if u.labels else None
            if label is None:
                continue
            rs = _signals_at(fw, mid, u, label, args.period, ks_cache, args.reports)
            e = per.setdefault(mid, {"at": [], "any": [], "icon": [], "ways": Counter()})
            e["at"].append(rs[0][1] != "none")
            e["ways"][rs[0][1]] += 1
            e["any"].extend(r[1] != "none" for r in rs)
            e["icon"].extend(r[0] in SPECIAL for r in rs if r[0] != "none")
    kinds = {m.id: m.kind for m in fw.measures}
    print(
        f"\nNull forces: {len(seeds)} (seeds {seeds[0]}-{seeds[-1]}), period {args.period}, "
        f"force level. trend != none at the period / over the last {args.reports} monthly "
        "reports (pooled; reports of one force are correlated) / special-cause icon over the "
        "same reports. * = structured null series (docs/calibration.md)\n"
    )
    hdr = (
        f"{'measure':40s} {'kind':13s} {'trend at period %':20s} {'trend any month %':20s} "
        f"{'icon any month %':20s} trends at period"
    )
    print(hdr)
    tot = {"at": [0, 0], "any": [0, 0], "icon": [0, 0]}
    for mid in [m.id for m in fw.measures]:
        if mid not in per:
            continue
        e = per[mid]
        star = "*" if mid in STRUCTURED else " "
        ways = ", ".join(f"{k} {v}" for k, v in sorted(e["ways"].items()) if k != "none")
        print(
            f"{star}{mid:39s} {kinds[mid]:13s} {wilson(sum(e['at']), len(e['at'])):20s} "
            f"{wilson(sum(e['any']), len(e['any'])):20s} "
            f"{wilson(sum(e['icon']), len(e['icon'])):20s} {ways}"
        )
        if mid not in STRUCTURED:
            for k in tot:
                tot[k][0] += sum(e[k])
                tot[k][1] += len(e[k])
    print(
        f"\n{'pooled, structure-free measures':54s} {wilson(*tot['at']):20s} "
        f"{wilson(*tot['any']):20s} {wilson(*tot['icon']):20s}"
    )


def analyse_power(args: argparse.Namespace, seeds: list[int]) -> None:
    fw = _framework()
    checks: dict[str, list[bool]] = {}

    def add(name: str, ok: bool) -> None:
        checks.setdefault(name, []).append(ok)

    for s in seeds:
        units = load(args, s, True)
        ks_cache: dict = {}

        def tr(mid, b, label, drop=0, units=units, ks_cache=ks_cache) -> str:
            u = units.get((mid, b))
            if u is None:
                return "missing"
            rs = _signals_at(fw, mid, u, label, args.period, ks_cache, 1, drop)
            return rs[0][1] if rs else "missing"

        da = [tr("domestic_abuse_crimes", "district", d) for d in DISTRICTS]
        add(
            "1 DA crimes trending upwards: force",
            tr("domestic_abuse_crimes", "force", FORCE) == "upwards",
        )
        add("1 DA crimes trending upwards: all six districts", all(t == "upwards" for t in da))
        for d, t in zip(DISTRICTS, da, strict=True):
            add(f"1   ... {d}", t == "upwards")
        add(
            "1 DA crimes never 'halted_upwards' (force or district) [specificity]",
            all(t != "halted_upwards" for t in da)
            and tr("domestic_abuse_crimes", "force", FORCE) != "halted_upwards",
        )
        add(
            "3 Serious sexual offences trending upwards: force",
            tr("serious_sexual_offences", "force", FORCE) == "upwards",
        )
        add(
            "3 Serious sexual offences trending upwards: North",
            tr("serious_sexual_offences", "area", "North") == "upwards",
        )
        add(
            "3 Rapes not trending (flat) [specificity]",
            tr("rape_offences", "force", FORCE) == "none",
        )
        add(
            "15 Missing children trending upwards: force",
            tr("missing_children", "force", FORCE) == "upwards",
        )
        add(
            "2 Peterborough recorded crime not trending (flat total) [specificity]",
            tr("recorded_crime", "district", "Peterborough") == "none",
        )
        for drop in (0, 2, 3):
            t = tr("outcome_rate_domestic_abuse", "force", FORCE, drop)
            add(
                f"6 DA outcome rate halted_downwards: force, last {drop} months left out",
                t == "halted_downwards",
            )
            add(
                f"6   ... downwards or halted_downwards, last {drop} months left out",
                t in ("downwards", "halted_downwards"),
            )
        for a in ("North", "South"):
            add(
                f"6 DA outcome rate halted_downwards: {a}",
                tr("outcome_rate_domestic_abuse", "area", a) == "halted_downwards",
            )
    print(
        f"\nStoryline forces: {len(seeds)} (seeds {seeds[0]}-{seeds[-1]}), period "
        f"{args.period}: % of forces (95% interval)\n"
    )
    for name, v in checks.items():
        print(f"{name:78s} {wilson(sum(v), len(v))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--null", type=int, default=50)
    ap.add_argument("--power", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--period", default="2020-03")
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--reports", type=int, default=12)
    ap.add_argument("--cache", default="/tmp/forcestat-trend-cache")
    args = ap.parse_args()
    nulls = [NULL_SEED0 + i + 1 for i in range(args.null)]
    powers = [POWER_SEED0 + i + 1 for i in range(args.power)]
    t0 = time.perf_counter()
    ensure([(s, False) for s in nulls] + [(s, True) for s in powers], args)
    t1 = time.perf_counter()
    if nulls:
        analyse_null(args, nulls)
    if powers:
        analyse_power(args, powers)
    print(
        f"\ngenerate+cube {t1 - t0:.0f} s (cached per seed in {args.cache}), "
        f"signals {time.perf_counter() - t1:.0f} s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
