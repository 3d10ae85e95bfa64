"""A targeted calibration run: the engine on a few measures over many null forces, with which
rule gave each trend reading or special cause (docs/calibration.md, "Issue 17").

    .venv/bin/python benchmarks/calibration_focus.py --null 40 --workers 1
    options: --measures a,b,c  --seed0 100000  --period 2020-03  --years 5  --save FILE

The full study (``benchmarks/calibration.py``) runs every measure; this one generates only the
tables the chosen measures read, and records for each unit's trend reading the parts it is made
of (the SPC trend or shift signal that reaches the latest point, the 12-month slope test, the
"halted" rule) and the lag-1 autocorrelation the chart allowed for. Seeds as in the full study
(null forces 100001, 100002, ...), so the two give the same figures for the same forces.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import multiprocessing as mp  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from calibration import (  # noqa: E402
    FORCE,
    KEEP,
    NULL_SEED0,
    SIG,
    SPECIAL,
    _backend,
    _framework,
    _tables_for,
    clustered_rate,
    simple_rate,
)

MEASURES = (
    "victim_satisfaction_treatment",
    "victim_satisfaction_overall",
    "response_time_immediate",
    "response_time_prompt",
    "priority_victims_identified",
    "live_workload",
    "harm_concentration_victims",
)


def _r1(y: np.ndarray) -> float:
    ok = np.isfinite(y)
    if ok.sum() < 8:
        return math.nan
    t = np.flatnonzero(ok).astype(float)
    r = y[ok] - np.polyval(np.polyfit(t, y[ok], 1), t)
    return float(r[1:] @ r[:-1] / (r @ r)) if r @ r > 0 else math.nan


def _diagnose(ks: Any, m: Any, settings: Any, stop: int, readings: list) -> list[dict]:
    """The parts of each unit's trend reading at the month before ``stop``."""
    from forcestat.engine import signals as sig
    from forcestat.stats import trends

    rows = list(range(len(ks.units.labels)))
    if stop < 3:
        return []
    values, charts = ks.charts(stop, rows)
    s = settings.spc
    kind, series, trend_charts, exposure = (
        "mean" if m.kind == "concentration" else m.kind,
        values,
        charts,
        None,
    )
    if m.kind in sig.COUNT_KINDS:
        series, exposure, trend_charts = sig.count_trend_inputs_all(ks, stop, settings, rows)
        kind = "count"
    elif s.seasonal:
        series = sig.seasonally_adjusted(
            values, ks.units.first, stop, s.slope_window, settings.alpha
        )
    out = []
    w = min(s.slope_window, stop)
    for i, u in enumerate(rows):
        c = trend_charts[i]
        rho = sig._rho(c)
        y = series[i]
        ex = None if exposure is None else exposure[i, stop - w :]
        r = None if math.isnan(rho) else rho
        slope = trends._slope_sign(y[stop - w :], kind, settings.alpha, ex, r)
        finite = np.isfinite(y)
        out.append(
            {
                "measure_id": m.id,
                "unit": ks.units.labels[u],
                "icon": readings[i].icon,
                "trend": readings[i].trend,
                "spc_trend": int(c.rule_flags["trend"][-1]),
                "spc_shift": int(c.rule_flags["shift"][-1]),
                "spc_sign": trends._spc_sign(c, s.recent_points),
                "slope": slope,
                "rho": rho,
                "points": int(finite.sum()),
                # lag-1 autocorrelation of the whole series about its line, significant or not
                "r1": _r1(y),
                "signal": c.signal[-1],
                "method": c.method,
            }
        )
    return out


def null_force(
    seed: int, period: str, years: int, measures: tuple[str, ...], plain_trend: bool = False
) -> dict[str, Any]:
    from forcestat.engine import compute, evaluate
    from forcestat.stats import spc

    if plain_trend:  # the trend rule on the values even against an AR(1) forecast (before)
        spc._trend_basis = lambda *a: None
    from forcestat.synth.calendar import Period
    from forcestat.synth.force import demo_force
    from forcestat.synth.generate import generate_force

    t0 = time.perf_counter()
    fw = _framework()
    tables = generate_force(
        demo_force(),
        Period.of(period, years),
        seed,
        tables=_tables_for(measures),
        storylines=False,
    )
    t1 = time.perf_counter()
    diag: list[dict] = []
    original = evaluate.signals_all

    def recording(ks, m, settings, stop, units=None):
        got = original(ks, m, settings, stop, units)
        if units is None:
            diag.extend(_diagnose(ks, m, settings, stop, got))
        return got

    evaluate.signals_all = recording
    try:
        con = _backend(tables)
        rows = compute(con, fw, period, measures=measures, workers=1)
        con.disconnect()
    finally:
        evaluate.signals_all = original
    t2 = time.perf_counter()
    return {
        "seed": seed,
        "rows": rows[KEEP].assign(seed=seed),
        "diag": pd.DataFrame(diag).assign(seed=seed),
        "seconds": {"generate": t1 - t0, "engine": t2 - t1},
    }


def summarise(results: list[dict]) -> str:
    rows = pd.concat([r["rows"] for r in results], ignore_index=True)
    rows = rows[rows["window"] == "12m"]
    diag = pd.concat([r["diag"] for r in results], ignore_index=True)
    n = len(results)
    out = [f"{n} null forces", ""]
    head = (
        "| measure | prev. year, force | special cause, force | trend, force "
        "| prev. year, all | special cause, all | trend, all |"
    )
    out += [head, "|---|---|---|---|---|---|---|"]
    for mid in dict.fromkeys(rows["measure_id"]):
        r = rows[rows["measure_id"] == mid]
        f = r[r["breakdown"] == "force"]
        cells = []
        for sub, clustered in ((f, False), (r, True)):
            for col, test in (
                ("previous_year_verdict", lambda s: s.isin(SIG)),
                ("spc_signal", lambda s: s.isin(SPECIAL)),
                ("trend", lambda s: s != "none"),
            ):
                if col == "previous_year_verdict":
                    sub2 = sub[
                        ~sub[col].isin(["insufficient_data", "not_comparable"]) & sub[col].notna()
                    ]
                elif col == "spc_signal":
                    sub2 = sub[sub[col] != "none"]
                else:
                    sub2 = sub
                if sub2.empty:
                    cells.append("-")
                    continue
                flags = test(sub2[col]).astype(float)
                rate = clustered_rate(flags, sub2["seed"]) if clustered else simple_rate(flags)
                cells.append(rate.cell())
        out.append(f"| {mid} | " + " | ".join(cells) + " |")
    out += ["", "Trend readings at force level, by part (forces):"]
    fd = diag[diag["unit"] == FORCE]
    for mid, g in fd.groupby("measure_id", sort=False):
        t = g[g["trend"] != "none"]
        parts = {
            "spc trend flag": int((t["spc_trend"] != 0).sum()),
            "spc shift (recent)": int(((t["spc_trend"] == 0) & (t["spc_sign"] != 0)).sum()),
            "slope only": int(
                (
                    (t["spc_sign"] == 0) & (t["slope"] != 0) & ~t["trend"].str.startswith("halted")
                ).sum()
            ),
            "halted": int(t["trend"].str.startswith("halted").sum()),
            "rho allowed": int(np.isfinite(g["rho"]).sum()),
            "any slope sig.": int((g["slope"] != 0).sum()),
        }
        out.append(f"- {mid}: {len(t)} of {len(g)} trending; {parts}")
    out += ["", "All units, by part (unit readings):"]
    for mid, g in diag.groupby("measure_id", sort=False):
        t = g[g["trend"] != "none"]
        out.append(
            f"- {mid}: {len(t)}/{len(g)} trending; spc trend {int((t['spc_trend'] != 0).sum())},"
            f" spc shift {int(((t['spc_trend'] == 0) & (t['spc_sign'] != 0)).sum())},"
            f" slope {int(((t['spc_sign'] == 0) & (t['slope'] != 0)).sum())},"
            f" halted {int(t['trend'].str.startswith('halted').sum())};"
            f" special cause {int(g['icon'].isin(SPECIAL).sum())}"
            f" ({dict(g.loc[g['icon'].isin(SPECIAL), 'signal'].value_counts())});"
            f" rho allowed {int(np.isfinite(g['rho']).sum())}"
        )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--null", type=int, default=40)
    ap.add_argument("--seed0", type=int, default=NULL_SEED0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--measures", default=",".join(MEASURES))
    ap.add_argument("--period", default="2020-03")
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--save", type=Path)
    ap.add_argument("--load", type=Path)
    ap.add_argument(
        "--plain-trend-rule",
        action="store_true",
        help="the SPC trend rule on the values even against an AR(1) forecast (as before)",
    )
    a = ap.parse_args()
    if a.load:
        results = pickle.loads(a.load.read_bytes())
    else:
        measures = tuple(x for x in a.measures.split(",") if x)
        seeds = [a.seed0 + k for k in range(1, a.null + 1)]
        t0 = time.perf_counter()
        if a.workers <= 1:
            results = [
                null_force(s, a.period, a.years, measures, a.plain_trend_rule) for s in seeds
            ]
        else:
            ctx = mp.get_context("spawn")
            with ProcessPoolExecutor(a.workers, mp_context=ctx) as ex:
                results = list(
                    ex.map(
                        null_force,
                        seeds,
                        [a.period] * len(seeds),
                        [a.years] * len(seeds),
                        [measures] * len(seeds),
                        [a.plain_trend_rule] * len(seeds),
                    )
                )
        print(f"wall {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        if a.save:
            a.save.write_bytes(pickle.dumps(results))
    print(summarise(results))


if __name__ == "__main__":
    main()
