"""Calibration study of the measures engine: false alarms on null forces, power on the storylines.

    .venv/bin/python benchmarks/calibration.py              # full: 50 null + 60 storyline forces
    .venv/bin/python benchmarks/calibration.py --quick      # 4 + 6 forces (< 2 min)
    options: --null N --power M --workers 2 --period 2020-03 --years 5
             --json FILE (every figure) --markdown FILE (the tables, for docs/calibration.md)
             --save FILE (raw per-force results) --load FILE (re-analyse them, no run)

1. **False alarms.** Null forces: the demo force generated with ``storylines=False`` (flat
   levels and rates, no lockdown, only seasonality and sampling noise; survey answers drawn at
   random), five years to ``--period``, one seed each. The engine runs the packaged default
   framework at that period, every breakdown and window, exactly as ``forcestat measures``
   does. Per measure and comparator we count how often the verdict is significantly
   higher/lower (target <= 5% at alpha = 0.05), how often ``spc_signal`` is a special cause and
   how often ``trend`` is not 'none', each with a Wilson 95% interval
   (``forcestat.stats.intervals.wilson_interval``). At force level each null force is one
   independent trial. Over all breakdown units (force, areas, districts, the measure's own
   breakdowns) the units of one force are correlated, so that interval uses a design-effect
   (cluster) adjusted effective number of trials.
   A second, force-level run with ``--all-periods`` (a few measures, 12-month window) gives
   (a) the maturation bias of cohort outcome rates by how far the period lies before the
   extract, and (b) how false alarms persist over consecutive monthly reports.
2. **Power.** The demo force with its storylines (docs/synthetic-data.md), one seed per force
   (seeds other than the demo's), only the tables the storyline measures read: how often the
   engine finds each storyline as the Board report states it.
3. **The scaled E-test** (in-process simulation, no forces): size and power of the count test
   with the E-test on dispersion-scaled counts exact or continuous, and how often its p moves
   when phi changes in its last digits.
4. **Speed.** Forces run in worker processes (``--workers``, default 2), each with an
   in-memory DuckDB (one thread) over the generated Arrow tables: no store is written. Only
   the tables the framework's measures read are generated.

Seeds: null forces 100001, 100002, ...; storyline forces 200001, 200002, ... (the demo is seed
1). The same options give the same figures.
"""

from __future__ import annotations

import os

# One thread per worker process for every numeric library (set before numpy is imported here
# or in a spawned worker): the workers are the parallelism.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import multiprocessing as mp  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from concurrent.futures import ProcessPoolExecutor, as_completed  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
COMPARATORS = ("previous_year", "year_end", "long_term")
SIG = ("significantly_higher", "significantly_lower")
SPECIAL = ("improvement", "concern", "neutral")
ALPHA = 0.05
NULL_SEED0 = 100_000
POWER_SEED0 = 200_000

# Force-level --all-periods run on each null force (12-month window only).
# Cohort outcome rates: maturation bias by lag (months between the period and the extract).
MATURING_MEASURES = (
    "outcome_rate_all_crime",
    "outcome_rate_burglary_dwelling",
    "outcome_rate_domestic_abuse",
    "outcome_rate_serious_sexual",
)
# Persistence of false alarms over consecutive monthly reports, one measure per kind/source.
PERSISTENCE_MEASURES = (
    "recorded_crime",
    "missing_children",
    "confidence",
    "calls_101_abandonment",
    "victims_code_compliance",
    "response_time_prompt",
)
LAGS = (0, 1, 2, 3, 4, 6, 9, 12)

# Storyline forces: the measures the storylines are read from, and the tables they need.
POWER_MEASURES = (
    "domestic_abuse_crimes",
    "recorded_crime",
    "serious_sexual_offences",
    "rape_offences",
    "sso_adult_share",
    "child_sexual_abuse_crimes",
    "cse_share_of_csa",
    "outcome_rate_burglary_dwelling",
    "outcome_rate_domestic_abuse",
    "outcome_rate_all_crime",
    "missing_children",
    "missing_children_in_care_share",
    "victim_satisfaction_overall",
    "referral_rate_victim_witness_hub",
)
DISTRICTS = (
    "Peterborough",
    "Fenland",
    "Huntingdonshire",
    "Cambridge",
    "South Cambridgeshire",
    "East Cambridgeshire",
)
FORCE = "Cambridgeshire"


# -- worker side ---------------------------------------------------------------------------------

_CACHE: dict[str, Any] = {}


def _framework() -> Any:
    if "fw" not in _CACHE:
        from forcestat.framework import load_framework

        _CACHE["fw"] = load_framework()
    return _CACHE["fw"]


def _series_framework() -> Any:
    """The default framework's own definitions of a few measures, force level only, 12-month
    window (for the --all-periods run; same statistics, fewer units)."""
    if "series_fw" not in _CACHE:
        fw = _framework()
        ids = MATURING_MEASURES + PERSISTENCE_MEASURES
        ms = [
            fw.measure(i).model_copy(
                update={"geography": False, "breakdowns": [], "windows": ["12m"]}
            )
            for i in ids
        ]
        _CACHE["series_fw"] = fw.model_copy(update={"measures": ms})
    return _CACHE["series_fw"]


def _tables_for(measure_ids: Sequence[str] | None) -> tuple[str, ...]:
    from forcestat.engine.run import _tables

    fw = _framework()
    ms = [m for m in fw.measures if measure_ids is None or m.id in measure_ids]
    return tuple(_tables(ms))


def _backend(tables: dict[str, Any]) -> Any:
    """In-memory DuckDB (one thread) scanning the Arrow tables in place (no copy, no store)."""
    import ibis

    con = ibis.duckdb.connect(threads=1)
    for name, tbl in tables.items():
        con.con.register(name, tbl)
    return con


KEEP = [
    "measure_id",
    "breakdown",
    "unit",
    "period_end",
    "window",
    *(f"{c}_{k}" for c in COMPARATORS for k in ("verdict", "p", "diff")),
    "spc_signal",
    "trend",
    "maturing",
    "small_base",
]


def null_force(seed: int, period: str, years: int) -> dict[str, Any]:
    """One null force: the default framework at ``period`` and the force-level series run."""
    from forcestat.engine import compute
    from forcestat.synth.calendar import Period
    from forcestat.synth.force import demo_force
    from forcestat.synth.generate import generate_force

    t0 = time.perf_counter()
    fw = _framework()
    tables = generate_force(
        demo_force(), Period.of(period, years), seed, tables=_tables_for(None), storylines=False
    )
    t1 = time.perf_counter()
    con = _backend(tables)
    main = compute(con, fw, period, workers=1)
    t2 = time.perf_counter()
    series = compute(con, _series_framework(), all_periods=True, workers=1)
    t3 = time.perf_counter()
    con.disconnect()
    main = main[KEEP].assign(seed=seed)
    series = series[KEEP].assign(seed=seed)
    return {
        "kind": "null",
        "seed": seed,
        "rows": main,
        "series": series,
        "seconds": {"generate": t1 - t0, "engine": t2 - t1, "series": t3 - t2},
        "crimes": tables["crimes"].num_rows,
    }


def power_force(seed: int, period: str, years: int) -> dict[str, Any]:
    """One storyline force: the storyline measures at ``period``; which storylines are found."""
    from forcestat.engine import compute
    from forcestat.synth.calendar import Period
    from forcestat.synth.force import demo_force
    from forcestat.synth.generate import generate_force

    t0 = time.perf_counter()
    fw = _framework()
    tables = generate_force(
        demo_force(), Period.of(period, years), seed, tables=_tables_for(POWER_MEASURES)
    )
    t1 = time.perf_counter()
    con = _backend(tables)
    df = compute(con, fw, period, measures=POWER_MEASURES, workers=1)
    t2 = time.perf_counter()
    con.disconnect()
    found = Found(df)
    return {
        "kind": "power",
        "seed": seed,
        "hits": {s.key: s.check(found) for s in STORYLINES},
        "seconds": {"generate": t1 - t0, "engine": t2 - t1},
    }


# -- storylines (docs/synthetic-data.md), as the Board report states them -----------------------

UP, DOWN, SAME = "significantly_higher", "significantly_lower", "comparable"


class Found:
    """Look-ups into one force's measure_results (12-month window unless given)."""

    def __init__(self, df: pd.DataFrame):
        self.idx = df.set_index(["measure_id", "breakdown", "unit", "window"])

    def row(self, m: str, b: str, u: str, w: str = "12m") -> pd.Series | None:
        try:
            return self.idx.loc[(m, b, u, w)]
        except KeyError:
            return None

    def v(self, m: str, b: str, u: str, cmp: str, w: str = "12m") -> str | None:
        r = self.row(m, b, u, w)
        return None if r is None else str(r[f"{cmp}_verdict"])

    def trend(self, m: str, b: str = "force", u: str = FORCE) -> str | None:
        r = self.row(m, b, u)
        return None if r is None else str(r["trend"])


@dataclass(frozen=True)
class Storyline:
    key: str
    number: int  # storyline number in docs/synthetic-data.md
    text: str
    check: Callable[[Found], bool]
    # True: the storyline says "no change" here (a specificity check: the power column is the
    # share of forces where the engine correctly does NOT call a change).
    specificity: bool = False


def _all(found: Found, m: str, b: str, units: Sequence[str], cmp: str, want: str) -> bool:
    return all(found.v(m, b, u, cmp) == want for u in units)


STORYLINES: list[Storyline] = [
    Storyline(
        "da_all",
        1,
        "DA crimes significantly higher than the previous year in all six districts",
        lambda f: _all(f, "domestic_abuse_crimes", "district", DISTRICTS, "previous_year", UP),
    ),
    *[
        Storyline(
            f"da_{d}",
            1,
            f"  DA crimes significantly higher than the previous year: {d}",
            lambda f, d=d: f.v("domestic_abuse_crimes", "district", d, "previous_year") == UP,
        )
        for d in DISTRICTS
    ],
    Storyline(
        "crime_five",
        2,
        "Recorded crime significantly higher than the previous year in all five districts "
        "other than Peterborough",
        lambda f: _all(f, "recorded_crime", "district", DISTRICTS[1:], "previous_year", UP),
    ),
    *[
        Storyline(
            f"crime_{d}",
            2,
            f"  Recorded crime significantly higher than the previous year: {d}",
            lambda f, d=d: f.v("recorded_crime", "district", d, "previous_year") == UP,
        )
        for d in DISTRICTS[1:]
    ],
    Storyline(
        "crime_peterborough_flat",
        2,
        "  Peterborough recorded crime not significantly different from the previous year",
        lambda f: f.v("recorded_crime", "district", "Peterborough", "previous_year") == SAME,
        specificity=True,
    ),
    Storyline(
        "sso_force",
        3,
        "Serious sexual offences significantly higher than the previous year: force",
        lambda f: f.v("serious_sexual_offences", "force", FORCE, "previous_year") == UP,
    ),
    Storyline(
        "sso_north",
        3,
        "  Serious sexual offences significantly higher than the previous year: North",
        lambda f: f.v("serious_sexual_offences", "area", "North", "previous_year") == UP,
    ),
    Storyline(
        "sso_south_lt",
        3,
        "  South serious sexual offences comparable to the long-term benchmark",
        lambda f: f.v("serious_sexual_offences", "area", "South", "long_term") == SAME,
        specificity=True,
    ),
    Storyline(
        "rape_flat",
        3,
        "  Rapes comparable to the previous year: force",
        lambda f: f.v("rape_offences", "force", FORCE, "previous_year") == SAME,
        specificity=True,
    ),
    Storyline(
        "sso_adult_share",
        3,
        "  Adult share of serious sexual offences significantly higher than the previous year",
        lambda f: f.v("sso_adult_share", "force", FORCE, "previous_year") == UP,
    ),
    Storyline(
        "csa_both",
        4,
        "Child sexual abuse significantly higher than the previous year in both areas",
        lambda f: _all(
            f, "child_sexual_abuse_crimes", "area", ("North", "South"), "previous_year", UP
        ),
    ),
    Storyline(
        "cse_share",
        4,
        "  CSE share of CSA crimes significantly higher than the previous year",
        lambda f: f.v("cse_share_of_csa", "force", FORCE, "previous_year") == UP,
    ),
    Storyline(
        "burglary_ye_force",
        5,
        "Burglary dwelling outcome rate significantly higher than the year-end benchmark: force",
        lambda f: f.v("outcome_rate_burglary_dwelling", "force", FORCE, "year_end") == UP,
    ),
    Storyline(
        "burglary_ye_areas",
        5,
        "  ... and in both areas",
        lambda f: _all(
            f, "outcome_rate_burglary_dwelling", "area", ("North", "South"), "year_end", UP
        ),
    ),
    Storyline(
        "da_outcome_halted",
        6,
        "DA outcome rate: downward trend halted (trend = halted_downwards), force",
        lambda f: f.trend("outcome_rate_domestic_abuse") == "halted_downwards",
    ),
    Storyline(
        "da_outcome_down_or_halted",
        6,
        "  DA outcome rate trend reported as downwards or halted, force",
        lambda f: f.trend("outcome_rate_domestic_abuse") in ("downwards", "halted_downwards"),
    ),
    Storyline(
        "all_crime_lt",
        7,
        "All-crime outcome rate significantly higher than the long-term benchmark, like for "
        "like (the community resolutions rise): force",
        lambda f: f.v("outcome_rate_all_crime", "force", FORCE, "long_term") == UP,
    ),
    Storyline(
        "missing_children",
        15,
        "Missing children reports significantly higher than the previous year",
        lambda f: f.v("missing_children", "force", FORCE, "previous_year") == UP,
    ),
    Storyline(
        "in_care_share",
        15,
        "  Share of missing children in care significantly lower than the previous year",
        lambda f: f.v("missing_children_in_care_share", "force", FORCE, "previous_year") == DOWN,
    ),
    Storyline(
        "violent_satisfaction",
        8,
        "Violent-crime victims' satisfaction significantly lower than the previous year",
        lambda f: (
            f.v("victim_satisfaction_overall", "offence_group", "violent crime", "previous_year")
            == DOWN
        ),
    ),
    Storyline(
        "hub_referrals",
        13,
        "Hub referral rate, last 3 months, significantly higher than the same months a year before",
        lambda f: (
            f.v("referral_rate_victim_witness_hub", "force", FORCE, "previous_year", "3m") == UP
        ),
    ),
]


# -- analysis --------------------------------------------------------------------------------


def wilson(x: float, n: float, level: float = 0.95) -> tuple[float, float]:
    from forcestat.stats.intervals import wilson_interval

    return wilson_interval(x, n, level) if n > 0 else (math.nan, math.nan)


# About 50 measures x 3 comparators are checked at once, so a few 95% intervals will exclude 5%
# by chance alone. "!!" uses a 99.9% interval (about Bonferroni over 50 checks at 5%).
STRICT_LEVEL = 0.999


@dataclass
class Rate:
    x: float
    n: float
    lo: float
    hi: float
    n_eff: float | None = None  # cluster-adjusted trials (all-units rates)
    lo_strict: float = math.nan  # lower end of the 99.9% interval

    @property
    def p(self) -> float:
        return self.x / self.n if self.n else math.nan

    @property
    def above(self) -> bool:
        """Above 5% beyond sampling error: the whole 95% interval is above alpha."""
        return self.n > 0 and self.lo > ALPHA

    @property
    def above_strict(self) -> bool:
        """Above 5% even allowing for the number of rates checked (99.9% interval)."""
        return self.n > 0 and self.lo_strict > ALPHA

    def cell(self) -> str:
        if not self.n:
            return "-"
        return f"{100 * self.p:.1f} ({100 * self.lo:.1f}-{100 * self.hi:.1f})"

    def as_dict(self) -> dict[str, float | None]:
        return {
            "alarms": self.x,
            "trials": self.n,
            "rate": None if not self.n else self.p,
            "ci_low": None if not self.n else self.lo,
            "ci_high": None if not self.n else self.hi,
            "effective_trials": self.n_eff,
            "above_5pct": self.above,
            "above_5pct_strict": self.above_strict,
        }


def simple_rate(flags: pd.Series) -> Rate:
    """Independent trials (one per force)."""
    x, n = float(flags.sum()), float(len(flags))
    lo, hi = wilson(x, n)
    return Rate(x, n, lo, hi, lo_strict=wilson(x, n, STRICT_LEVEL)[0])


def clustered_rate(flags: pd.Series, cluster: pd.Series) -> Rate:
    """Pooled rate over correlated trials (the units of one force): a ratio estimator whose
    variance comes from the spread of the per-force counts; the Wilson interval then uses the
    effective number of trials p(1 - p) / var (at most the number of trials)."""
    n = float(len(flags))
    if n == 0:
        return Rate(0.0, 0.0, math.nan, math.nan)
    g = pd.DataFrame({"x": flags.astype(float), "c": cluster}).groupby("c")["x"]
    xs, ns = g.sum().to_numpy(), g.size().to_numpy(dtype=float)
    x = float(xs.sum())
    p = x / n
    k = len(xs)
    n_eff = n
    if k > 1:
        var = k / (k - 1) * float(((xs - p * ns) ** 2).sum()) / n**2
        if var > 0 and 0 < p < 1:
            n_eff = min(n, p * (1 - p) / var)
    lo, hi = wilson(p * n_eff, n_eff)
    return Rate(x, n, lo, hi, n_eff, wilson(p * n_eff, n_eff, STRICT_LEVEL)[0])


def _kinds() -> dict[str, str]:
    return {m.id: m.kind for m in _framework().measures}


def _order() -> list[str]:
    return [m.id for m in _framework().measures]


def analyse_null(rows: pd.DataFrame, series: pd.DataFrame, period: str) -> dict[str, Any]:
    kinds = _kinds()
    out: dict[str, Any] = {
        "measures": {},
        "windows": {},
        "per_report": {},
        "maturation": {},
        "persistence": {},
    }
    tw = rows[rows["window"] == "12m"]
    for mid in _order():
        m = tw[tw["measure_id"] == mid]
        if m.empty:
            continue
        force = m[m["breakdown"] == "force"]
        entry: dict[str, Any] = {
            "kind": kinds[mid],
            "maturing": bool(force["maturing"].any()),
            "units_per_force": len(m) / max(1, m["seed"].nunique()),
        }
        for c in COMPARATORS:
            col = f"{c}_verdict"
            tested_f = force[force[col] != "insufficient_data"]
            tested = m[m[col] != "insufficient_data"]
            entry[c] = {
                "force": simple_rate(tested_f[col].isin(SIG)),
                "all_units": clustered_rate(tested[col].isin(SIG), tested["seed"]),
                "higher_share": (
                    float((tested_f[col] == SIG[0]).sum() / max(1, tested_f[col].isin(SIG).sum()))
                ),
            }
        # SPC and trend are per unit and period (the same on every window row).
        charted_f = force[force["spc_signal"] != "none"]
        charted = m[m["spc_signal"] != "none"]
        entry["spc"] = {
            "force": simple_rate(charted_f["spc_signal"].isin(SPECIAL)),
            "all_units": clustered_rate(charted["spc_signal"].isin(SPECIAL), charted["seed"]),
        }
        entry["trend"] = {
            "force": simple_rate(force["trend"] != "none"),
            "all_units": clustered_rate(m["trend"] != "none", m["seed"]),
            "values": force["trend"].value_counts().to_dict(),
        }
        out["measures"][mid] = entry

    # Windows x comparators, by kind, pooled over the measures not flagged above (whose own
    # problem would hide the window effect) and leaving out rows flagged maturing.
    flagged = {
        mid
        for mid, e in out["measures"].items()
        if any(e[c]["force"].above_strict or e[c]["all_units"].above_strict for c in COMPARATORS)
    }
    out["windows_excluded"] = sorted(flagged)
    kind_of = rows["measure_id"].map(kinds)
    family = kind_of.replace({"rate_per_1000": "count"})
    clean = rows[~rows["measure_id"].isin(flagged) & ~rows["maturing"].astype(bool)]
    for w in ("12m", "fytd", "3m", "1m"):
        for c in COMPARATORS:
            col = f"{c}_verdict"
            t = clean[(clean["window"] == w) & (clean[col] != "insufficient_data")]
            fam = family.loc[t.index]
            out["windows"][(w, c)] = {
                k: clustered_rate(t.loc[fam == k, col].isin(SIG), t.loc[fam == k, "seed"])
                for k in ("count", "proportion", "median")
            }

    # One report (one null force at the period): how many force-level 12-month comparisons it
    # holds and how many of them say "significantly", all measures and without the '!!' ones.
    f12 = rows[(rows["window"] == "12m") & (rows["breakdown"] == "force")]
    for c in ("previous_year", "long_term"):
        col = f"{c}_verdict"
        for label, part in (
            ("all", f12),
            ("without_flagged", f12[~f12["measure_id"].isin(flagged)]),
        ):
            t = part[part[col] != "insufficient_data"]
            alarms = t[col].isin(SIG).groupby(t["seed"]).sum()
            out["per_report"][(c, label)] = {
                "comparisons": len(t) / max(1, t["seed"].nunique()),
                "mean_alarms": float(alarms.mean()),
                "max_alarms": int(alarms.max()),
                "share_with_alarm": float((alarms > 0).mean()),
            }

    # Maturation: cohort outcome rates by months between the period and the extract.
    end = pd.Period(period, "M")
    s = series.assign(lag=[(end - pd.Period(p, "M")).n for p in series["period_end"]])
    for mid in MATURING_MEASURES:
        sm = s[s["measure_id"] == mid]
        per_lag = {}
        for lag in LAGS:
            r = sm[sm["lag"] == lag]
            if r.empty:
                continue
            per_lag[lag] = {
                "maturing": bool(r["maturing"].any()),
                "mean_diff_pp": float(r["previous_year_diff"].mean()),
                **{
                    c: simple_rate(
                        r.loc[r[f"{c}_verdict"] != "insufficient_data", f"{c}_verdict"].isin(SIG)
                    )
                    for c in ("previous_year", "long_term")
                },
            }
        out["maturation"][mid] = per_lag

    # Persistence over the last 12 monthly reports (lags 0..11).
    last12 = s[(s["lag"] <= 11) & s["measure_id"].isin(PERSISTENCE_MEASURES)]
    for mid in PERSISTENCE_MEASURES:
        sm = last12[last12["measure_id"] == mid]
        if sm.empty:
            continue
        res: dict[str, Any] = {}
        for label, flag in (
            ("previous_year", sm["previous_year_verdict"].isin(SIG)),
            ("long_term", sm["long_term_verdict"].isin(SIG)),
            ("spc", sm["spc_signal"].isin(SPECIAL)),
            ("trend", sm["trend"] != "none"),
        ):
            per_force = flag.groupby(sm["seed"]).any()
            p = float(flag.mean())
            res[label] = {
                "per_report": clustered_rate(flag, sm["seed"]),
                "any_in_12": simple_rate(per_force),
                "if_independent": 1 - (1 - p) ** 12,
                "mean_run": _mean_run(sm.assign(f=flag)),
            }
        out["persistence"][mid] = res
    return out


def _mean_run(sm: pd.DataFrame) -> float:
    """Mean length of a run of consecutive monthly reports raising the alarm."""
    runs: list[int] = []
    for _, g in sm.sort_values("period_end").groupby("seed"):
        n = 0
        for f in g["f"]:
            if f:
                n += 1
            elif n:
                runs.append(n)
                n = 0
        if n:
            runs.append(n)
    return float(np.mean(runs)) if runs else math.nan


def analyse_power(results: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for s in STORYLINES:
        hits = pd.Series([bool(r["hits"][s.key]) for r in results])
        out[s.key] = {"number": s.number, "text": s.text, "specificity": s.specificity}
        out[s.key]["rate"] = simple_rate(hits)
    return out


# -- printing --------------------------------------------------------------------------------


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], md: bool) -> str:
    if md:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*headers), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in rows]
    return "\n".join(lines)


def _mark(r: Rate) -> str:
    return r.cell() + (" !!" if r.above_strict else " !" if r.above else "")


def report(null: dict[str, Any] | None, power: dict[str, Any] | None, meta: dict, md: bool) -> str:
    parts: list[str] = []
    h = "### " if md else "\n== "
    if null:
        n_forces = meta["null_forces"]
        parts.append(
            f"{h}False alarms: {n_forces} null forces, period {meta['period']}, 12-month window"
            + ("" if md else " ==")
        )
        parts.append(
            "Rate of 'significantly higher/lower' verdicts, % (Wilson 95% interval). Force: one "
            "trial per null force. All units: force, areas, districts and own breakdowns pooled "
            "(cluster-adjusted interval). '!' = 95% interval above 5%; '!!' = 99.9% interval "
            "above 5% (clearly miscalibrated, allowing for the ~150 rates checked); "
            "'m' = cohort window flagged maturing. At March, year_end = previous_year for 12m."
        )
        rows = []
        for mid, e in null["measures"].items():
            if e["kind"] == "mean":
                continue
            rows.append(
                [
                    mid + (" m" if e["maturing"] else ""),
                    e["kind"],
                    *(_mark(e[c]["force"]) for c in COMPARATORS),
                    *(_mark(e[c]["all_units"]) for c in ("previous_year", "long_term")),
                ]
            )
        parts.append(
            _table(
                [
                    "measure",
                    "kind",
                    "prev. year (force)",
                    "year end (force)",
                    "long term (force)",
                    "prev. year (all units)",
                    "long term (all units)",
                ],
                rows,
                md,
            )
        )
        parts.append(
            f"{h}SPC special cause and trend on null forces (latest point, period "
            f"{meta['period']})" + ("" if md else " ==")
        )
        rows = []
        for mid, e in null["measures"].items():
            vals = e["trend"]["values"]
            top = ", ".join(f"{k} {v}" for k, v in sorted(vals.items()) if k != "none")
            rows.append(
                [
                    mid,
                    e["kind"],
                    _mark(e["spc"]["force"]),
                    _mark(e["spc"]["all_units"]),
                    _mark(e["trend"]["force"]),
                    _mark(e["trend"]["all_units"]),
                    top or "-",
                ]
            )
        parts.append(
            _table(
                [
                    "measure",
                    "kind",
                    "special cause (force)",
                    "special cause (all units)",
                    "trend != none (force)",
                    "trend != none (all units)",
                    "force trends (forces)",
                ],
                rows,
                md,
            )
        )
        parts.append(
            f"{h}By window and comparator: all units pooled by kind" + ("" if md else " ==")
        )
        parts.append(
            "Leaving out rows flagged maturing and the measures flagged '!!' in the first table ("
            + (", ".join(null["windows_excluded"]) or "none")
            + "). Counts include rates per 1,000. Cluster-adjusted Wilson intervals."
        )
        rows = []
        for (w, c), e in null["windows"].items():
            rows.append([w, c, *(_mark(e[k]) for k in ("count", "proportion", "median"))])
        parts.append(_table(["window", "comparator", "counts", "proportions", "medians"], rows, md))
        parts.append(f"{h}One report of a null force (force level, 12m)" + ("" if md else " =="))
        rows = []
        for (c, label), e in null["per_report"].items():
            rows.append(
                [
                    c,
                    "all measures" if label == "all" else "without the '!!' measures",
                    f"{e['comparisons']:.0f}",
                    f"{e['mean_alarms']:.2f}",
                    str(e["max_alarms"]),
                    f"{100 * e['share_with_alarm']:.0f}",
                ]
            )
        parts.append(
            _table(
                [
                    "comparator",
                    "measures",
                    "comparisons per report",
                    "mean 'significant' verdicts",
                    "max",
                    "% of reports with at least one",
                ],
                rows,
                md,
            )
        )
        parts.append(
            f"{h}Maturation of cohort outcome rates (force, 12m): false alarms by months "
            "between the period and the extract" + ("" if md else " ==")
        )
        rows = []
        for mid, per_lag in null["maturation"].items():
            for lag, e in per_lag.items():
                rows.append(
                    [
                        mid,
                        str(lag),
                        "yes" if e["maturing"] else "no",
                        f"{e['mean_diff_pp']:+.2f}",
                        _mark(e["previous_year"]),
                        _mark(e["long_term"]),
                    ]
                )
        parts.append(
            _table(
                [
                    "measure",
                    "lag (months)",
                    "flagged maturing",
                    "mean diff vs prev. year (pp)",
                    "prev. year alarms",
                    "long term alarms",
                ],
                rows,
                md,
            )
        )
        parts.append(
            f"{h}Persistence: the last 12 monthly reports of each null force (force, 12m)"
            + ("" if md else " ==")
        )
        rows = []
        for mid, res in null["persistence"].items():
            for label, e in res.items():
                rows.append(
                    [
                        mid,
                        label,
                        e["per_report"].cell(),
                        e["any_in_12"].cell(),
                        f"{100 * e['if_independent']:.1f}",
                        "-" if math.isnan(e["mean_run"]) else f"{e['mean_run']:.1f}",
                    ]
                )
        parts.append(
            _table(
                [
                    "measure",
                    "signal",
                    "per report %",
                    "any of 12 reports %",
                    "if independent %",
                    "mean run (months)",
                ],
                rows,
                md,
            )
        )

        def measures_where(test: Callable[[Rate], bool]) -> set[str]:
            return {
                mid
                for mid, e in null["measures"].items()
                if e["kind"] != "mean"
                for c in COMPARATORS
                if test(e[c]["force"]) or test(e[c]["all_units"])
            }

        clear = measures_where(lambda r: r.above_strict)
        maybe = measures_where(lambda r: r.above) - clear
        parts.append(
            "Verdicts clearly above 5% ('!!', 12m, force or all units): "
            + (", ".join(sorted(clear)) or "none")
        )
        parts.append(
            "Above 5% on a 95% interval only ('!'; a few such are expected by chance among "
            "~150 rates): " + (", ".join(sorted(maybe)) or "none")
        )
    if power:
        parts.append(
            f"{h}Power: {meta['power_forces']} storyline forces, period {meta['period']}"
            + ("" if md else " ==")
        )
        parts.append(
            "Share of forces where the engine reports the storyline as stated, % (Wilson 95%). "
            "Rows marked 'no change' are specificity checks: the share reporting no change."
        )
        rows = [
            [
                str(e["number"]),
                e["text"].strip() if md else e["text"],
                ("no change " if e["specificity"] else "") + e["rate"].cell(),
            ]
            for e in power.values()
        ]
        parts.append(
            _table(["#", "storyline (12-month window unless stated)", "power %"], rows, md)
        )
    parts.append(f"{h}Timings" + ("" if md else " =="))
    parts.append(meta["timing_text"])
    return "\n\n".join(parts)


def _jsonable(x: Any) -> Any:
    if isinstance(x, Rate):
        return x.as_dict()
    if isinstance(x, dict):
        return {
            ("/".join(map(str, k)) if isinstance(k, tuple) else str(k)): _jsonable(v)
            for k, v in x.items()
        }
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.integer | np.floating):
        return x.item()
    return x


# -- the scaled E-test: exact against continuous ------------------------------------------------

# (monthly mean, true dispersion, change in the tested months, window in months): null and
# power scenarios. Small counts (a month of a rare offence) are where the two forms can differ.
E_TEST_SCENARIOS = (
    (3.0, 2.0, 0.0, 1),
    (10.0, 3.0, 0.0, 1),
    (10.0, 3.0, 0.0, 12),
    (150.0, 3.0, 0.0, 12),
    (500.0, 2.0, 0.0, 12),
    (3.0, 2.0, 1.5, 1),
    (10.0, 3.0, 1.0, 1),
    (10.0, 3.0, 0.5, 12),
    (150.0, 3.0, 0.15, 12),
    (500.0, 2.0, 0.08, 12),
)


def _largest_step(k1, k2, f, cont: bool) -> np.ndarray:
    """Per test, the largest change in p between neighbouring values of phi on a grid of 101
    over phi +/- 1% (the region of the exact test moves in whole counts)."""
    from forcestat.stats.comparisons import poisson_e_tests

    grid = f[:, None] * np.linspace(0.99, 1.01, 101)[None, :]
    shape = grid.shape
    ps = poisson_e_tests(
        np.repeat(k1, shape[1]) / grid.ravel(),
        1.0,
        np.repeat(k2, shape[1]) / grid.ravel(),
        1.0,
        continuous=cont,
    ).reshape(shape)
    return np.abs(np.diff(ps, axis=1)).max(axis=1)


def scaled_e_test_study(reps: int, seed: int = 7) -> list[dict[str, Any]]:
    """Size and power of the count test as the engine makes it (phi from the 36 year-on-year
    differences before the tested year, counts divided by phi when phi > 1, z referred to t),
    with the E-test on the scaled counts exact (region in whole counts) or continuous
    (``poisson_e_test(..., continuous=True)``, docs/methods.md 2.2.1). Five years of seasonal
    gamma-Poisson months per series; the window against the same months a year before.
    ``step``: the largest jump in p over 20 scaled tests as phi moves over +/- 1% of its
    estimate in 100 steps (exact: a boundary count entering or leaving the region)."""
    from forcestat.stats.comparisons import poisson_e_tests
    from forcestat.stats.dispersion import count_dispersions

    rng = np.random.default_rng(seed)
    months = np.arange(60)
    season = 1.0 + 0.15 * np.sin(2 * np.pi * months / 12)
    out = []
    for mean, phi_true, change, window in E_TEST_SCENARIOS:
        lam = np.broadcast_to(mean * season, (reps, 60)).copy()
        if phi_true > 1:
            shape = mean / (phi_true - 1.0)  # gamma-Poisson: variance phi_true x mean
            lam = rng.gamma(shape, lam / shape)
        lam[:, 60 - window :] *= 1.0 + change
        y = rng.poisson(lam).astype(float)
        disp = count_dispersions(y[:, :48])
        f = np.array([d.scale for d in disp])
        k1 = y[:, 60 - window :].sum(axis=1)
        k2 = y[:, 48 - window : 48].sum(axis=1)
        scaled = f > 1.0
        row: dict[str, Any] = {
            "mean": mean,
            "phi": phi_true,
            "change": change,
            "window": window,
            "scaled": float(scaled.mean()),
        }
        some = np.flatnonzero(scaled & ((k1 > 0) | (k2 > 0)))[:20]
        for name, cont in (("exact", False), ("continuous", True)):
            ps = poisson_e_tests(k1 / f, 1.0, k2 / f, 1.0, continuous=scaled if cont else False)
            pv = np.array([d.p_value(float(p)) for d, p in zip(disp, ps, strict=True)])
            row[name] = simple_rate(pd.Series(pv < ALPHA))
            steps = _largest_step(k1[some], k2[some], f[some], cont)
            row[f"{name}_step"] = float(steps.max()) if some.size else math.nan
        out.append(row)
    return out


def e_test_text(rows: list[dict[str, Any]], reps: int, md: bool) -> str:
    h = "### " if md else "\n== "
    head = f"{h}Scaled E-test: exact against continuous ({reps} series each)" + (
        "" if md else " =="
    )
    table = _table(
        [
            "monthly mean",
            "dispersion",
            "window",
            "change",
            "scaled %",
            "exact: significant %",
            "continuous: significant %",
            "largest step in p (exact / continuous)",
        ],
        [
            [
                f"{r['mean']:.0f}",
                f"{r['phi']:.0f}",
                f"{r['window']}m",
                "none" if r["change"] == 0 else f"+{100 * r['change']:.0f}%",
                f"{100 * r['scaled']:.0f}",
                r["exact"].cell(),
                r["continuous"].cell(),
                f"{r['exact_step']:.1e} / {r['continuous_step']:.1e}",
            ]
            for r in rows
        ],
        md,
    )
    note = (
        "Rows with no change are false-alarm rates (target <= 5%), the others power. 'Largest "
        "step': over 20 scaled tests, the largest change in p between neighbouring values of "
        "phi on a grid of 101 over +/- 1% of its estimate (a smooth p moves by its slope times "
        "2e-4 of phi; the exact test jumps when a whole count enters its region)."
    )
    return "\n\n".join([head, note, table])


# -- driver ----------------------------------------------------------------------------------


def run_forces(n_null: int, n_power: int, period: str, years: int, workers: int) -> dict:
    """Run the forces in worker processes; returns the raw results and the timings."""
    t0 = time.perf_counter()
    load0 = os.getloadavg()[0]
    jobs: list[tuple[Callable[..., dict], int]] = []
    # Interleave so that both studies progress together; null forces (the slow ones) first.
    nulls = [(null_force, NULL_SEED0 + i + 1) for i in range(n_null)]
    powers = [(power_force, POWER_SEED0 + i + 1) for i in range(n_power)]
    while nulls or powers:
        if nulls:
            jobs.append(nulls.pop(0))
        if powers:
            jobs.append(powers.pop(0))
    results: list[dict[str, Any]] = []
    ctx = mp.get_context("spawn")  # no DuckDB state is ever forked
    with ProcessPoolExecutor(max(1, workers), mp_context=ctx) as pool:
        futs = [pool.submit(fn, seed, period, years) for fn, seed in jobs]
        for k, fut in enumerate(as_completed(futs), 1):
            r = fut.result()
            results.append(r)
            secs = " ".join(f"{a} {b:.1f}s" for a, b in r["seconds"].items())
            print(
                f"[{k}/{len(jobs)} {time.perf_counter() - t0:5.0f}s] {r['kind']} seed "
                f"{r['seed']}: {secs}",
                file=sys.stderr,
            )
    return {
        "null": sorted((r for r in results if r["kind"] == "null"), key=lambda r: r["seed"]),
        "power": sorted((r for r in results if r["kind"] == "power"), key=lambda r: r["seed"]),
        "wall": time.perf_counter() - t0,
        "load": (load0, os.getloadavg()[0]),
        "period": period,
        "years": years,
        "workers": workers,
    }


def timing_text(raw: dict) -> str:
    null_res, power_res = raw["null"], raw["power"]

    def mean_secs(rs: list[dict], key: str) -> float:
        return float(np.mean([r["seconds"][key] for r in rs])) if rs else math.nan

    lines = [
        f"wall {raw['wall']:.0f} s for {len(null_res)} null + {len(power_res)} storyline forces "
        f"on {raw['workers']} worker processes (load average {raw['load'][0]:.1f} at the start, "
        f"{raw['load'][1]:.1f} at the end; {os.cpu_count()} cores)",
    ]
    if null_res:
        lines.append(
            f"null force ({raw['years']} years, every table the framework reads, "
            f"{np.mean([r['crimes'] for r in null_res]):,.0f} crimes): generate "
            f"{mean_secs(null_res, 'generate'):.1f} s, engine at one period "
            f"{mean_secs(null_res, 'engine'):.1f} s, force-level all-periods run "
            f"{mean_secs(null_res, 'series'):.1f} s (means per force, inside a worker)"
        )
    if power_res:
        lines.append(
            f"storyline force (tables {', '.join(_tables_for(POWER_MEASURES))}): generate "
            f"{mean_secs(power_res, 'generate'):.1f} s, engine "
            f"{mean_secs(power_res, 'engine'):.1f} s"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a few forces (< 2 min)")
    ap.add_argument("--null", type=int, help="null forces (default 50; --quick 4)")
    ap.add_argument("--power", type=int, help="storyline forces (default 60; --quick 6)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--period", default="2020-03", help="report month (default 2020-03)")
    ap.add_argument("--years", type=int, default=5, help="years generated (default 5)")
    ap.add_argument("--json", type=Path, help="write every figure as JSON")
    ap.add_argument("--markdown", type=Path, help="write the tables as Markdown")
    ap.add_argument("--save", type=Path, help="keep the raw per-force results (pickle)")
    ap.add_argument("--load", type=Path, help="analyse raw results saved by --save (no run)")
    args = ap.parse_args()
    if args.load:
        with args.load.open("rb") as fh:
            raw = pickle.load(fh)  # noqa: S301 - our own file
    else:
        n_null = args.null if args.null is not None else (4 if args.quick else 50)
        n_power = args.power if args.power is not None else (6 if args.quick else 60)
        if args.years * 12 < 48:
            ap.error("the long-term comparator of a 12-month window needs 48 months: --years >= 4")
        raw = run_forces(n_null, n_power, args.period, args.years, args.workers)
        if args.save:
            with args.save.open("wb") as fh:
                pickle.dump(raw, fh)
    null_res, power_res = raw["null"], raw["power"]
    meta = {
        "period": raw["period"],
        "years": raw["years"],
        "null_forces": len(null_res),
        "power_forces": len(power_res),
        "null_seeds": [r["seed"] for r in null_res],
        "power_seeds": [r["seed"] for r in power_res],
        "workers": raw["workers"],
        "wall_seconds": raw["wall"],
        "timing_text": timing_text(raw),
    }
    null = power = None
    if null_res:
        rows = pd.concat([r["rows"] for r in null_res], ignore_index=True)
        series = pd.concat([r["series"] for r in null_res], ignore_index=True)
        null = analyse_null(rows, series, raw["period"])
    if power_res:
        power = analyse_power(power_res)
    reps = 500 if args.quick else 2000
    e_rows = scaled_e_test_study(reps)
    print(report(null, power, meta, md=False))
    print(e_test_text(e_rows, reps, md=False))
    if args.markdown:
        text = report(null, power, meta, md=True) + "\n\n" + e_test_text(e_rows, reps, md=True)
        args.markdown.write_text(text + "\n", encoding="utf-8")
    if args.json:
        payload = {"meta": meta, "null": null, "power": power, "scaled_e_test": e_rows}
        args.json.write_text(json.dumps(_jsonable(payload), indent=1, default=str), "utf-8")


if __name__ == "__main__":
    main()
