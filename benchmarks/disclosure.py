"""Time to protect one period's public edition: the joint suppression and interval audit
(``engine.public.public_results``) against the per-measure protection it replaced
(``benchmarks/baseline_disclosure.py``, the module as it was, run the way ``public_results``
ran it), both measured in the same run on the same ``measure_results``.

    .venv/bin/forcestat demo --out demo          # the demo store (demo/demo.duckdb)
    .venv/bin/python benchmarks/disclosure.py --store demo/demo.duckdb [--period 2020-03]

Prints the seconds of each (median of ``--repeat`` runs), their ratio, what each hides
(rows primary / secondary, previous-year counts) and the audit: the joint edition's own figures
(cells, hidden cells, narrowest protected range, cells left unresolved), and the per-measure
edition judged by the same interval audit over the same cells (cells hidden in one table and
printed in another, hidden cells whose feasible range is narrower than required).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

import baseline_disclosure as old  # noqa: E402
from forcestat.engine.edition import build_edition  # noqa: E402
from forcestat.engine.public import AuditReport, edition_audit, public_results  # noqa: E402
from forcestat.engine.rollup import Geography  # noqa: E402
from forcestat.period import Period  # noqa: E402
from forcestat.pipeline import compute, load_framework, open_store  # noqa: E402


def per_measure(results: pd.DataFrame, framework, areas) -> tuple[pd.DataFrame, list]:
    """The baseline: each measure, period and window protected on its own (the code that
    ``public_results`` ran before the joint edition)."""
    threshold = framework.settings.suppress_below
    kinds = {m.id: m.kind for m in framework.measures}
    out, hidden = [], []
    records = results.to_dict("records")
    groups = results.groupby(["measure_id", "period_end", "window"], sort=False).indices
    for (mid, _, _), at in groups.items():
        kind = kinds.get(str(mid))
        rows = [records[i] for i in at]
        if kind is None:
            out += [{"disclosure": "", "previous_disclosure": ""} for _ in rows]
            continue
        prot = old.protect_measure(rows, kind, areas, threshold)
        old.narrative_rows(rows, kind, prot, threshold)
        for i, r in zip(at, rows, strict=True):
            key = (str(r["breakdown"]), str(r["unit"]))
            out.append(
                {
                    "disclosure": prot.current.get(key, ""),
                    "previous_disclosure": prot.previous.get(key, ""),
                }
            )
            hidden.append((i, prot.current.get(key, ""), key in prot.previous))
    return pd.DataFrame(out), hidden


def judge_baseline(results: pd.DataFrame, framework, areas, hidden: list) -> dict[str, int]:
    """The per-measure edition read as one edition: its hidden rows mapped onto the joint
    edition's cells, then (1) cells hidden in one row and printed in another, (2) hidden
    cells the interval audit finds too narrow."""
    rows = results.to_dict("records")
    ed = build_edition(rows, framework, areas)
    threshold = framework.settings.suppress_below
    cells: set = set()
    shown: set = set()
    for i, why, prev in hidden:
        base = ed.base[i]
        n = rows[i].get("n")
        # As the baseline's narrative_rows blanked a row: a primary rate kept a base of at
        # least the threshold; everything else of a hidden row went.
        keeps_base = (
            why == "primary"
            and ed.kinds[i] in ("proportion", "median")
            and (n is not None and n == n and n >= threshold)
        )
        if why:
            cells |= set(ed.figure[i])
        else:
            shown |= set(ed.figure[i]) & ed.printed
        if base is not None:
            (shown if not why or keeps_base else cells).add(base)
        if "previous_year" in ed.comparators[i]:
            (cells if prev else shown).add(ed.comparators[i]["previous_year"])
    crossed = cells & shown
    audit = edition_audit(ed, framework)
    still = cells - crossed
    narrow = audit.breaches(ed.equations, ed.values, still, ed.sensitive & still)
    return {"hidden_cells": len(cells), "crossed": len(crossed), "narrow": len(narrow)}


def _median_time(fn, repeat: int):
    """Median wall and CPU seconds (the machine is shared: CPU time is the steadier figure)."""
    wall, cpu, out = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return (statistics.median(wall), statistics.median(cpu)), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", default="demo/demo.duckdb")
    ap.add_argument("--period", default="2020-03")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--all-periods",
        action="store_true",
        help="every period of the store, as `forcestat refresh` protects them (timings only)",
    )
    args = ap.parse_args()

    framework = load_framework(None)
    st = open_store(args.store)
    try:
        if args.all_periods:
            computed = compute(st, framework, all_periods=True)
        else:
            computed = compute(st, framework, Period.parse(args.period))
        areas = Geography.load(st.ibis).area
    finally:
        st.close()
    results = computed.results
    if not args.all_periods:
        results = results[results["period_end"] == args.period].reset_index(drop=True)
    periods = results["period_end"].nunique()
    print(f"{len(results)} rows of measure_results, {periods} period(s)")

    t_old, (base, hidden) = _median_time(
        lambda: per_measure(results, framework, areas), args.repeat
    )
    report = AuditReport()

    def joint():
        report.periods.clear()
        return public_results(results, framework, areas, report=report)

    t_new, public = _median_time(joint, args.repeat)

    def counts(frame: pd.DataFrame) -> str:
        d, p = frame["disclosure"], frame["previous_disclosure"]
        return (
            f"rows primary {(d == 'primary').sum()}, secondary {(d == 'secondary').sum()}; "
            f"previous-year counts primary {(p == 'primary').sum()}, "
            f"secondary {(p == 'secondary').sum()}"
        )

    print(f"per-measure (baseline): {t_old[0]:.2f} s ({t_old[1]:.2f} s CPU)  {counts(base)}")
    print(f"joint + audit:          {t_new[0]:.2f} s ({t_new[1]:.2f} s CPU)  {counts(public)}")
    print(
        f"ratio joint / per-measure: {t_new[0] / t_old[0]:.1f}x wall, "
        f"{t_new[1] / t_old[1]:.1f}x CPU"
    )
    if args.all_periods:
        per = [p["seconds"] for p in report.periods.values()]
        print(f"joint per period: median {statistics.median(per):.2f} s, max {max(per):.2f} s")
        short = {
            p: f
            for p, f in sorted(report.periods.items())
            if f["unresolved"] or f["narrowest_other"] < 2
        }
        print(f"periods with cells the audit could not protect fully: {len(short)}")
        for p, f in short.items():
            print(
                f"  {p}: unresolved {f['unresolved']}, narrowest 'fewer than' range "
                f"{f['narrowest_labelled']:g} values, narrowest other {f['narrowest_other']:g}"
            )
        return
    fig = report.periods[args.period]
    print(
        "joint audit: {cells} cells, {equations} equations, {subsets} subsets; "
        "{primary} primary cells, {hidden} hidden in all ({hidden_rows} rows); "
        "narrowest 'fewer than' range {narrowest_labelled} values, narrowest other "
        "{narrowest_other}; unresolved {unresolved}; {solves} integer solves".format(**fig)
    )
    judged = judge_baseline(results, framework, areas, hidden)
    print(
        "per-measure edition under the same audit: {hidden_cells} hidden cells, {crossed} "
        "hidden in one table and printed in another, {narrow} with too narrow a range".format(
            **judged
        )
    )


if __name__ == "__main__":
    main()
