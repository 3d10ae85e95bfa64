"""store -> engine -> findings -> writers: the one place that wires the stages together.

The command line and the server call these functions; the stages themselves never call each
other upwards (docs/architecture.md). A run is:

1. open the store and the framework; leave out the measures the store's data cannot support
   (``engine.availability``), which the report lists instead of printing zeros;
2. compute ``measure_results`` (``engine.compute``) and the monthly series behind the charts;
3. for the public edition, apply disclosure control to ``measure_results`` itself
   (``engine.public``) and withhold charts resting on small monthly numbers, so that tables,
   sentences and charts all read the same protected figures;
4. the national context, when the store holds the Home Office tables: computed by
   ``engine.national``, worded by ``findings.national``, laid out by ``outputs.report.national``;
5. assemble the report (``outputs.report.build_report``, which draws findings from the results)
   and hand it to the writers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forcestat.period import Period

Progress = Callable[[str], None]


class PipelineError(LookupError):
    """The store or the request cannot give what was asked (the message says why)."""


@dataclass
class Computed:
    """What a run computed for one period: measure_results and how long each step took."""

    period: Period
    results: pd.DataFrame
    framework: Any  # the framework the results are for (less unavailable measures)
    unavailable: dict[str, str] = field(default_factory=dict)  # measure id -> why
    full_framework: Any = None  # the framework as asked for
    seconds: dict[str, float] = field(default_factory=dict)
    # The monthly series the report draws (read once, then shared by every edition made from
    # this run).
    series: dict | None = None


def open_store(url: str, read_only: bool = True) -> Any:
    from forcestat.store.store import open_store as _open

    return _open(url, read_only=read_only)


def load_framework(path: Path | str | None = None) -> Any:
    from forcestat.framework import load_framework as _load

    return _load(path)


def snapshot_id(store: Any) -> str:
    """The store's data snapshot (its load history), for footers and cache keys; "unknown" for
    a store without load bookkeeping (a Parquet folder, another backend)."""
    if hasattr(store, "snapshot_hash") and "loads" in store.tables():
        return store.snapshot_hash()
    return "unknown"


def compute(
    store: Any,
    framework: Any,
    period: Period | str | None = None,
    *,
    all_periods: bool = False,
    measures: Sequence[str] | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Computed:
    """measure_results for ``period`` (default: the last month of data), or for every month
    with ``all_periods``, of every measure the store's data support. ``PipelineError`` when
    the data do not reach the period."""
    from forcestat.engine import compute as engine_compute
    from forcestat.engine.availability import unavailable_measures

    seconds: dict[str, float] = {}
    t = time.perf_counter()
    missing = unavailable_measures(store, framework)
    fw = framework.without(set(missing))
    if measures is not None:
        unknown = set(measures) - {m.id for m in framework.measures}
        if unknown:
            raise PipelineError(f"unknown measure(s): {', '.join(sorted(unknown))}")
        left_out = sorted(set(measures) & set(missing))
        if left_out and len(left_out) == len(set(measures)):
            why = "; ".join(f"{m}: {missing[m]}" for m in left_out)
            raise PipelineError(f"the store's data cannot support {why}")
        measures = [m for m in measures if m not in missing]
    if not fw.measures:
        raise PipelineError(
            "the store's data support none of the framework's measures: "
            + "; ".join(f"{k}: {v}" for k, v in sorted(missing.items())[:3])
            + (" ..." if len(missing) > 3 else "")
        )
    if progress:
        progress("evaluating measures")
    target = None if period is None else Period.parse(period)
    results = engine_compute(
        store,
        fw,
        None if target is None else target.label,
        all_periods=all_periods,
        measures=measures,
        workers=workers,
    )
    seconds["measures"] = time.perf_counter() - t
    if results.empty:
        where = f" reach {target}" if target is not None else " cover any month"
        raise PipelineError(f"the store's data do not{where}: no results")
    got = Period.parse(str(results["period_end"].max()))
    return Computed(got if target is None else target, results, fw, missing, framework, seconds)


def make_report(
    store: Any,
    period: Period | str | None,
    out_dir: Path,
    *,
    framework: Any = None,
    commentary_dir: Path | None = None,
    formats: Sequence[str] = ("html", "pdf", "docx"),
    public: bool = False,
    edition: str = "board",
    computed: Computed | None = None,
    progress: Progress | None = None,
) -> Any:
    """Evaluate, assemble and write the report of ``period`` (default: the last month of data)
    for a store (a ``Store`` or a store URL); ``edition`` is board, annex or draft
    (``outputs.report.build.EDITIONS``). ``computed`` skips the evaluation when the caller
    has it. Returns the writers' ``Written`` (paths, seconds, unused commentary, the report)."""
    from forcestat.outputs.report import write_report

    st = open_store(str(store)) if isinstance(store, str | Path) else store
    report, commentary, seconds = assemble_report(
        st,
        period,
        framework=framework,
        commentary_dir=commentary_dir,
        public=public,
        edition=edition,
        computed=computed,
        progress=progress,
    )
    written = write_report(report, out_dir, formats, progress=progress)
    written.seconds = {**seconds, **written.seconds}
    written.unused_commentary = commentary.unused()
    return written


def assemble_report(
    store: Any,
    period: Period | str | None,
    *,
    framework: Any = None,
    commentary_dir: Path | None = None,
    public: bool = False,
    edition: str = "board",
    computed: Computed | None = None,
    progress: Progress | None = None,
) -> tuple[Any, Any, dict[str, float]]:
    """(report, commentary, seconds per step): everything ``make_report`` does but write."""
    from forcestat.engine.rollup import Geography
    from forcestat.engine.series import monthly_series
    from forcestat.outputs.commentary import load_commentary
    from forcestat.outputs.report import build_report
    from forcestat.outputs.report.sections import not_available_hook

    fw = framework if framework is not None else load_framework(None)
    if computed is None:
        computed = compute(store, fw, period, progress=progress)
    seconds = dict(computed.seconds)
    period = computed.period
    commentary = load_commentary(commentary_dir, period.label)
    t = time.perf_counter()
    if progress:
        progress("reading monthly series")
    # Force-level series draw the charts; districts' icons read their letters from polarity.
    if computed.series is None:
        fw_used = computed.framework
        series = monthly_series(store, fw_used, period.label, breakdowns=("force",))
        multiples = [m.id for m in fw_used.measures if m.multiples]
        if multiples:
            # Small multiples: the areas' and districts' series of the measures asking for them.
            series |= monthly_series(
                store, fw_used, period.label, measures=multiples, breakdowns=("area", "district")
            )
        computed.series = series
    series = computed.series
    areas = Geography.load(getattr(store, "ibis", store)).area
    seconds["series"] = time.perf_counter() - t
    t = time.perf_counter()
    results = computed.results
    withheld: frozenset[str] = frozenset()
    if public:
        results, withheld = public_edition(results, computed.framework, areas, series)
    hooks = list(national_hooks(store, period))
    if computed.unavailable:
        titles = {m.id: m.title for m in computed.full_framework.measures}
        hooks.append(not_available_hook(titles, computed.unavailable))
    report = build_report(
        results,
        computed.framework,
        period.label,
        series=series,
        areas=areas,
        commentary=commentary,
        public_edition=public,
        snapshot=snapshot_id(store),
        hooks=hooks,
        withheld_charts=withheld,
        edition=edition,
    )
    seconds["assemble"] = time.perf_counter() - t
    return report, commentary, seconds


def public_edition(
    results: pd.DataFrame, framework: Any, areas: Any, series: Any
) -> tuple[pd.DataFrame, frozenset[str]]:
    """The public edition's results (disclosure control applied) and the measures whose
    force-level chart it withholds: a month resting on fewer records than the threshold, or a
    force figure the edition hides (the chart's months add up to every window, this year's
    and earlier years')."""
    from forcestat.engine.public import hidden_at_force, public_results
    from forcestat.stats.disclosure import chart_disclosive

    threshold = framework.settings.suppress_below
    withheld = {
        mid
        for (mid, b, _), s in series.items()
        if b == "force" and chart_disclosive(s.base, threshold)
    }
    public = public_results(results, framework, areas)
    withheld |= hidden_at_force(public, results)
    return public, frozenset(withheld)


def national_hooks(store: Any, period: Period) -> list[Any]:
    """The national context section's hook when the store holds the Home Office tables (none
    otherwise: the report keeps its placeholder)."""
    from forcestat.engine.national import NationalContextError, national_context
    from forcestat.findings.national import national_sentences
    from forcestat.outputs.report.national import national_hook

    try:
        nc = national_context(store, period)
    except NationalContextError:
        return []
    return [national_hook(nc, national_sentences(nc))]


# -- refresh: precomputed rows for the server (docs/serve.md) -----------------------------------

# Tables whose rows every measure may read (units, populations, codes): a load into one of them
# recomputes everything.
_SHARED_TABLES = ("geography", "offence_codes", "outcome_types", "survey_scales")
GEO_BREAKDOWNS = ("force", "area", "district")


@dataclass
class Refreshed:
    """What ``refresh`` did: ``mode`` is "full", "incremental" or "current" (nothing to do)."""

    mode: str
    snapshot: str
    framework_hash: str
    periods: list[str] = field(default_factory=list)  # periods recomputed
    measures: list[str] = field(default_factory=list)  # measures recomputed
    rows: dict[str, int] = field(default_factory=dict)  # rows written per table
    seconds: dict[str, float] = field(default_factory=dict)
    why: str = ""
    # Periods whose public edition was protected anew (the rest kept their served one).
    protected: list[str] = field(default_factory=list)


def refresh(
    store: Any,
    framework: Any = None,
    *,
    full: bool = False,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Refreshed:
    """Compute ``measure_results`` of every period (Board and public editions), the monthly
    series at each measure's latest period and the findings of every period into the store's
    served tables (``store.served``), keyed by the framework hash, with the data snapshot.

    After a load, only what the new records touch is recomputed: the measures reading the
    loaded tables, at the periods from the first month loaded to the last month of data (a
    period's SPC limits and overdispersion read every month before it, so a month's records
    move every later period, not only those whose windows hold it); cohort outcome rates also
    at the periods whose "as at" benchmarks read the extract month (``cube.LAG_CAP`` + 12
    months back). A load that replaced records, into a table every measure reads, or a change
    in which measures the data support, recomputes everything; so does ``full``."""
    from forcestat.engine import compute as engine_compute
    from forcestat.engine.availability import unavailable_measures
    from forcestat.engine.cube import LAG_CAP, linked_tables
    from forcestat.engine.rollup import Geography
    from forcestat.store import served

    if not getattr(store, "is_duckdb", False):
        raise PipelineError("refresh writes its rows into a DuckDB store")
    fw = framework if framework is not None else load_framework(None)
    t0 = time.perf_counter()
    seconds: dict[str, float] = {}
    con = store.duck
    snap = snapshot_id(store)
    loads = served.load_ids(con)
    prev = served.state(con, fw.hash)
    missing = unavailable_measures(store, fw)
    fwa = fw.without(set(missing))
    ids = [m.id for m in fwa.measures]
    plan: dict[str, list[str]] | None = None  # measure -> periods; None: everything
    why = "forced" if full else "first refresh"
    if not full and prev is not None:
        if prev["snapshot"] == snap:
            if served.has_rows(con, "served_compstat", fw.hash):
                return Refreshed("current", snap, fw.hash, why="the store has not changed")
            # A store refreshed before the dashboard's tables existed: only those.
            extra, took = _dashboard_rows(store, fw, progress)
            served.save(con, fw.hash, extra, state=prev, replace=dict.fromkeys(extra))
            return Refreshed(
                "dashboard",
                snap,
                fw.hash,
                rows={k: len(v) for k, v in extra.items()},
                seconds={"dashboard": took},
                why="the dashboard's tables were missing",
            )
        plan, why = _incremental_plan(con, fwa, prev, loads, LAG_CAP, linked_tables)
    areas = Geography.load(store.ibis).area
    t = time.perf_counter()
    if progress:
        progress("evaluating measures")
    results = engine_compute(store, fwa, all_periods=True, periods=plan, workers=workers)
    seconds["measures"] = time.perf_counter() - t
    if plan is None and results.empty:
        raise PipelineError("the store's data do not cover any month: no results")
    recomputed = sorted(set(results["measure_id"].astype(str)))
    periods = sorted(set(results["period_end"].astype(str)))

    # Disclosure control (engine.public) protects each period's edition whole, across
    # measures: a period touched by the recomputed measures is re-protected with the other
    # measures' Board rows (from served_results), and all its public rows are replaced.
    t = time.perf_counter()
    if progress:
        progress("applying disclosure control")
    board = results
    if plan is None:
        public = _public_edition(results, fwa, areas, workers)
        protected = periods
    else:
        whole = _with_served_board(con, fw.hash, results)
        public, protected = _public_edition_of_changed(con, fw.hash, whole, fwa, areas, workers)
    seconds["public"] = time.perf_counter() - t

    t = time.perf_counter()
    if progress:
        progress("reading monthly series")
    series = _series_rows(store, fwa, results, recomputed)
    seconds["series"] = time.perf_counter() - t

    t = time.perf_counter()
    if progress:
        progress("drawing findings")
    statements = pd.concat(
        [
            _statement_rows(board, fwa, areas, "board"),
            _statement_rows(public, fwa, areas, "public"),
        ],
        ignore_index=True,
    )
    seconds["findings"] = time.perf_counter() - t

    extra, seconds["dashboard"] = _dashboard_rows(store, fwa, progress)

    t = time.perf_counter()
    board = board.assign(edition="board", disclosure="", previous_disclosure="")
    rows = pd.concat([board, public.assign(edition="public")], ignore_index=True)
    keys = ["edition", "measure_id", "period_end"]
    replace_rows = None if plan is None else rows[keys].drop_duplicates()
    replace_series = None if plan is None else pd.DataFrame({"measure_id": recomputed})
    all_periods = periods if plan is None else sorted(set(periods) | _served_periods(con, fw.hash))
    served.save(
        con,
        fw.hash,
        {
            "served_results": rows,
            "served_series": series,
            "served_statements": statements,
            **extra,
        },
        state={
            "snapshot": snap,
            "load_ids": [lid for lid, _, _ in loads],
            "first_period": all_periods[0] if all_periods else None,
            "last_period": all_periods[-1] if all_periods else None,
            "seconds": time.perf_counter() - t0,
            "periods_computed": len(periods),
            "measures_computed": len(recomputed),
            "measures": ids,
        },
        replace={
            "served_results": replace_rows,
            "served_series": replace_series,
            "served_statements": replace_rows,
            **dict.fromkeys(extra),  # recomputed whole: a few seconds
        },
    )
    seconds["write"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    return Refreshed(
        "full" if plan is None else "incremental",
        snap,
        fw.hash,
        periods,
        recomputed if plan is not None else ids,
        {
            "served_results": len(rows),
            "served_series": len(series),
            "served_statements": len(statements),
            **{k: len(v) for k, v in extra.items()},
        },
        seconds,
        why,
        protected,
    )


def _dashboard_rows(
    store: Any, framework: Any, progress: Progress | None = None
) -> tuple[dict[str, pd.DataFrame], float]:
    """The dashboard's CompStat counts and supervisors' daily list, recomputed whole (a few
    seconds: two aggregations per source table), and the time it took."""
    from forcestat.engine import compstat, victim_mi
    from forcestat.engine.rollup import ALL_FORCES, Geography

    t = time.perf_counter()
    if progress:
        progress("counting CompStat windows and the daily list of Victims Code contacts")
    geo = Geography.load(store.ibis)
    areas = {d: geo.area_label(d) or "" for d in geo.area}
    tables = set(store.ibis.list_tables())
    # The windows end on the last day every source has reached: a source whose extract ends
    # earlier would otherwise count empty days as falls.
    last = None
    for s in compstat.SOURCES:
        if s.table in tables:
            got = store.ibis.table(s.table)[s.date].max().execute()
            if got is not None and not pd.isna(got):
                day = pd.Timestamp(got).date()
                last = day if last is None else min(last, day)
    if last is None:
        counts = pd.DataFrame(columns=compstat.COLUMNS)
    else:
        counts = compstat.compstat(
            store.ibis,
            compstat.end_dates(last),
            areas,
            geo.sole_force or ALL_FORCES,
            fy_start_month=framework.settings.financial_year_start,
            tables=tables,
        )
    mi, at = victim_mi.contacts_mi(store.ibis)
    mi = mi.assign(as_at=at)
    return {"served_compstat": counts, "served_mi": mi}, time.perf_counter() - t


def _served_periods(con: Any, framework_hash: str) -> set[str]:
    from forcestat.store import served

    st = served.state(con, framework_hash)
    if st is None or not st["first_period"]:
        return set()
    a, b = Period.parse(st["first_period"]), Period.parse(st["last_period"])
    return {Period.from_index(i).label for i in range(a.index, b.index + 1)}


def _incremental_plan(
    con: Any, fw: Any, prev: dict, loads: list, lag_cap: int, linked_tables: Callable
) -> tuple[dict[str, list[str]] | None, str]:
    """(measure -> periods to recompute, why); None for "everything"."""
    from forcestat.store import served

    new = [(lid, table, replaced) for lid, table, replaced in loads if lid not in prev["load_ids"]]
    gone = set(prev["load_ids"]) - {lid for lid, _, _ in loads}
    if gone:
        return None, "loads were removed from the store"
    if not new:
        return None, "the store changed without a new load"
    if any(replaced for _, _, replaced in new):
        return None, "a load replaced existing records"
    tables = {table for _, table, _ in new}
    if tables & set(_SHARED_TABLES):
        return None, f"a load into {', '.join(sorted(tables & set(_SHARED_TABLES)))}"
    if set(prev["measures"]) != {m.id for m in fw.measures}:
        return None, "the measures the data support changed"
    touched: dict[str, tuple[str, str]] = {}
    for table in sorted(tables):
        cols = sorted({m.date_column for m in fw.measures if m.table == table} or {"reported_at"})
        span = served.months_loaded(con, table, cols, [lid for lid, t, _ in new if t == table])
        if span is not None:
            touched[table] = span
    if not touched:
        return {}, "the new loads hold no records the measures read"
    last = max([prev["last_period"] or "", *(b for _, b in touched.values())])
    end = Period.parse(last).index
    plan: dict[str, list[str]] = {}
    for m in fw.measures:
        reads = [m.table, *linked_tables(m)]
        firsts = [touched[t][0] for t in reads if t in touched]
        if not firsts:
            continue
        start = Period.parse(min(firsts)).index
        if m.basis == "cohort" or any(t in touched for t in reads[1:]):
            start = min(start, end - lag_cap - 12)
        plan[m.id] = [Period.from_index(i).label for i in range(start, end + 1)]
    return plan, "new records in " + ", ".join(f"{t} {a}..{b}" for t, (a, b) in touched.items())


def _with_served_board(con: Any, framework_hash: str, results: pd.DataFrame) -> pd.DataFrame:
    """``results`` with the served Board rows of the same periods for the measures not
    recomputed: the whole of each touched period, for joint disclosure control."""
    from forcestat.store import served

    periods = set(results["period_end"].astype(str))
    try:
        old = served.read(con, "served_results", framework_hash, edition="board")
    except served.ServedError:
        return results
    old = old[old["period_end"].astype(str).isin(periods)]
    done = set(
        zip(results["measure_id"].astype(str), results["period_end"].astype(str), strict=True)
    )
    keep = [
        (str(m), str(p)) not in done
        for m, p in zip(old["measure_id"], old["period_end"], strict=True)
    ]
    old = old[keep]
    if old.empty:
        return results
    old = old.reindex(columns=results.columns).astype(
        {c: results[c].dtype for c in results.columns}, errors="ignore"
    )
    return pd.concat([results, old], ignore_index=True)


def _public_edition_of_changed(
    con: Any,
    framework_hash: str,
    whole: pd.DataFrame,
    framework: Any,
    areas: Any,
    workers: int | None,
) -> tuple[pd.DataFrame, list[str]]:
    """The public edition of each period of ``whole`` (every measure of the periods a load
    touched). A period's edition depends only on its Board rows: where those are what is
    already served, its served public rows are kept, and only changed periods are protected
    again (a new month moves the cohort rates' benchmarks at 49 periods, few of their figures).
    Also the periods protected."""
    from forcestat.store import served

    try:
        old_board = served.read(con, "served_results", framework_hash, edition="board")
        old_public = served.read(con, "served_results", framework_hash, edition="public")
    except served.ServedError:
        every = sorted(set(whole["period_end"].astype(str)))
        return _public_edition(whole, framework, areas, workers), every
    columns = list(whole.columns)
    now, before = _period_digests(whole, columns), _period_digests(old_board, columns)
    same = {p for p, d in now.items() if before.get(p) == d}
    periods = whole["period_end"].astype(str)
    changed = _public_edition(whole[~periods.isin(same)], framework, areas, workers)
    protected = sorted(set(periods) - same)
    kept = old_public[old_public["period_end"].astype(str).isin(same)]
    if kept.empty:
        return changed, protected
    kept = kept.reindex(columns=changed.columns).astype(
        {c: changed[c].dtype for c in changed.columns}, errors="ignore"
    )
    return pd.concat([changed, kept], ignore_index=True), protected


def _period_digests(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, int]:
    """One number per period for its rows (any order) in ``columns``: numbers compared as
    floats and everything as text, so that rows read back from the store compare equal to
    the same rows computed."""
    if frame.empty:
        return {}
    f = frame.reindex(columns=columns).copy()
    for c in columns:
        if pd.api.types.is_bool_dtype(f[c]) or pd.api.types.is_numeric_dtype(f[c]):
            f[c] = f[c].astype("float64")
    f = f.astype(object).where(f.notna(), None).astype(str)
    rows = pd.util.hash_pandas_object(f, index=False).to_numpy()
    out: dict[str, int] = {}
    for p, idx in pd.Series(range(len(f))).groupby(frame["period_end"].astype(str).to_numpy()):
        out[str(p)] = hash(tuple(sorted(rows[idx.to_numpy()].tolist())))
    return out


def _public_edition(
    results: pd.DataFrame, framework: Any, areas: Any, workers: int | None = None
) -> pd.DataFrame:
    from forcestat.engine.public import public_results

    if results.empty:
        return results.assign(disclosure="", previous_disclosure="")
    # Each period's audit takes seconds: worth a fork from two periods on.
    if workers is None:
        workers = 1 if "fork" not in mp.get_all_start_methods() else min(os.cpu_count() or 1, 8)
    return public_results(results, framework, areas, workers=workers)


def _series_rows(
    store: Any, framework: Any, results: pd.DataFrame, measures: Sequence[str]
) -> pd.DataFrame:
    """The monthly series of ``measures`` at each one's latest period, every breakdown, as
    rows (one per unit and month) with whether the chart would disclose a small number."""
    from forcestat.engine.series import monthly_series
    from forcestat.stats.disclosure import chart_disclosive

    threshold = framework.settings.suppress_below
    latest = results.groupby("measure_id", observed=True)["period_end"].max()
    by_period: dict[str, list[str]] = {}
    for mid in measures:
        if mid in latest.index:
            by_period.setdefault(str(latest[mid]), []).append(mid)
    own = sorted({b for m in framework.measures for b in m.breakdowns})
    frames = []
    for period, mids in sorted(by_period.items()):
        got = monthly_series(
            store, framework, period, measures=mids, breakdowns=(*GEO_BREAKDOWNS, *own)
        )
        for (mid, b, unit), s in got.items():
            n = len(s.months)
            frames.append(
                pd.DataFrame(
                    {
                        "measure_id": mid,
                        "breakdown": b,
                        "unit": unit,
                        "period_end": period,
                        "month": list(s.months),
                        "value": s.values,
                        "mean": s.mean,
                        "ucl": s.ucl,
                        "lcl": s.lcl,
                        "signal": pd.array(list(s.signal), dtype="string"),
                        "direction": pd.array(list(s.direction), dtype="string"),
                        "point_type": s.point_types(),
                        "trial": s.trial,
                        "segment": s.segment.astype("int64"),
                        "base": s.base,
                        "method": s.method,
                        "icon": s.icon,
                        "kind": s.kind,
                        "polarity": s.polarity,
                        "outcome_lag": [s.outcome_lag] * n,
                        "disclosive": chart_disclosive(s.base, threshold),
                    }
                )
            )
    if not frames:
        return pd.DataFrame(columns=["measure_id", "breakdown", "unit", "period_end", "month"])
    out = pd.concat(frames, ignore_index=True)
    out["outcome_lag"] = out["outcome_lag"].astype("Int64")
    return out


def _statement_rows(
    results: pd.DataFrame, framework: Any, areas: Any, edition: str
) -> pd.DataFrame:
    """The findings of every (measure, period) of ``results``: the statements
    ``findings.tell`` makes from the geographic rows of the leading window (12m > fytd > 3m >
    1m), as the report reads them; units hidden to protect another are left out of a public
    edition's findings, as in its report."""
    import json

    from forcestat.findings import build_findings, tell
    from forcestat.findings.model import WINDOW_ORDER

    cols = ["edition", "measure_id", "period_end", "seq", "role", "text", "verdict", "units"]
    geo = results[results["breakdown"].isin(GEO_BREAKDOWNS)]
    if geo.empty:
        return pd.DataFrame(columns=cols)
    settings = framework.settings
    measures = {m.id: m for m in framework.measures}
    groups = geo.groupby(["measure_id", "period_end"], sort=True, observed=True).indices
    # Only the leading window's rows become records: turning every row into a dict (their
    # text columns read one value at a time) was a third of the findings' time.
    window = geo["window"].astype(str).to_numpy(dtype=object)
    lead_at: dict[tuple[Any, Any], np.ndarray] = {}
    for key, at in groups.items():
        if measures.get(str(key[0])) is None:
            continue
        wins = window[at]
        lead = min(set(wins), key=lambda w: (WINDOW_ORDER.get(w, 99), w))
        lead_at[key] = at[wins == lead]
    kept = np.concatenate(list(lead_at.values())) if lead_at else np.zeros(0, dtype=np.int64)
    records = geo.iloc[kept].to_dict("records")
    first = dict(zip(lead_at, np.cumsum([0, *(len(a) for a in lead_at.values())]), strict=False))
    out: list[dict[str, Any]] = []
    for (mid, period), at in lead_at.items():
        m = measures[str(mid)]
        start = int(first[(mid, period)])
        rows = records[start : start + len(at)]
        found = build_findings(
            rows, {m.id: m}, min_base=settings.min_base, caution_base=settings.caution_base
        )
        if edition == "public":
            hidden = {
                (str(r["breakdown"]), str(r["unit"]))
                for r in rows
                if r.get("disclosure") == "secondary"
            }
            found = [f for f in found if (f.breakdown, f.unit) not in hidden]
        for k, s in enumerate(tell(m, found, areas)):
            out.append(
                {
                    "edition": edition,
                    "measure_id": str(mid),
                    "period_end": str(period),
                    "seq": k,
                    "role": s.role,
                    "text": s.text,
                    "verdict": s.verdict,
                    "units": json.dumps([list(u) for u in s.units]),
                }
            )
    return pd.DataFrame(out, columns=cols)
