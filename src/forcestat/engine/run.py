"""Framework + store -> measure_results: plan passes, aggregate once, roll windows, evaluate."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forcestat.engine import cube, results
from forcestat.engine.parallel import Evaluator, default_workers
from forcestat.engine.rollup import Geography
from forcestat.engine.windows import month_index
from forcestat.framework.model import Framework, Measure

Progress = Callable[[str, int, int], None]


@dataclass
class Timings:
    """Where the time went (seconds), for the benchmark and ``--verbose`` output."""

    # aggregate: from the start until the last pass is in (rolling up and evaluating the tables
    # done so far runs meanwhile, in worker processes); backend: the passes alone; evaluate:
    # the evaluation still left after the last pass.
    aggregate: float = 0.0
    backend: float = 0.0
    evaluate: float = 0.0
    passes: list[tuple[str, float, int]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def breakdown_order(m: Measure, route: cube.Route) -> list[str]:
    """force, area, district, then the measure's own breakdowns, as routed by the plan."""
    geo = [b for b in ("force", "area", "district") if (m.id, b) in route]
    return geo + [b for b in m.breakdowns if (m.id, b) in route]


def _tables(measures: Sequence[Measure]) -> list[str]:
    names: list[str] = []
    for m in measures:
        for name in [m.table, *cube.linked_tables(m)]:
            if name not in names:
                names.append(name)
    return names


# Below this many records in the tables a run reads, DuckDB runs the passes on the cores the
# worker processes leave (one, on two cores) rather than on all of them. There the statistics
# take about as much CPU as the passes (one force, 4 million records), and a second DuckDB
# thread costs 15% more CPU for its speed-up: the whole run was as fast or faster on one thread
# and took 0.3 CPU-s less (docs/framework.md). Above it the passes are the long pole: the
# 43-force national set (37 million records) took 63 s on one thread and 33-43 s on two.
SMALL_STORE_RECORDS = 10_000_000


def passes_threads(backend: Any, tables: Sequence[str], workers: int) -> int | None:
    """DuckDB threads for the passes of a run with ``workers`` processes evaluating: None (the
    connection's own setting) unless workers run and the tables are small."""
    if workers <= 1:
        return None
    records = cube.record_count(backend, tables)
    if records is None or records >= SMALL_STORE_RECORDS:
        return None
    return max(1, (os.cpu_count() or 1) - workers)


def _dispatch(
    ev: Evaluator,
    chosen: Sequence[Measure],
    measure_idx: Sequence[int],
    route: cube.Route,
    span: tuple[int, int],
    target: int,
    all_periods: bool,
    periods_of: Mapping[str, Sequence[int]] | None = None,
) -> None:
    every = list(range(span[0], span[1] + 1)) if all_periods else [target]
    for mi in measure_idx:
        m = chosen[mi]
        periods = every
        if periods_of is not None:
            periods = sorted(p for p in set(periods_of.get(m.id, ())) if span[0] <= p <= span[1])
            if not periods:
                continue
        jobs = [(b, route[(m.id, b)]) for b in breakdown_order(m, route)]
        if jobs:
            ev.submit(mi, jobs, span, periods)


def compute(
    store: Any,
    framework: Framework,
    period: str | None = None,
    *,
    all_periods: bool = False,
    measures: Sequence[str] | None = None,
    progress: Progress | None = None,
    timings: Timings | None = None,
    workers: int | None = None,
    skip_missing: bool = False,
    periods: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """measure_results for ``period`` (``YYYY-MM``; default: the last month of data) or, with
    ``all_periods``, for every month the data cover.

    ``store`` is a ``forcestat.store.Store`` or any Ibis backend holding the canonical tables.
    ``measures`` restricts the run to those measure ids. ``workers``: processes evaluating the
    statistics (default: one per core when there is enough work; 1 = in this process).
    ``skip_missing``: leave out measures whose tables the store does not have (listed in
    ``timings.skipped``) instead of failing. ``periods`` (measure id -> ``YYYY-MM`` labels):
    evaluate each measure at those periods only (those its data cover), measures not named
    not at all; an incremental refresh recomputes what a load touched this way.
    """
    backend = getattr(store, "ibis", store)
    # Table schemas are read afresh for each run: the store may have been loaded meanwhile.
    cube.forget(backend)
    chosen = list(framework.measures)
    periods_of = None
    if periods is not None:
        periods_of = {k: [month_index(p) for p in v] for k, v in periods.items()}
        chosen = [m for m in chosen if periods_of.get(m.id)]
        all_periods = True
    if measures is not None:
        wanted = set(measures)
        unknown = wanted - {m.id for m in chosen}
        if unknown:
            raise KeyError(f"unknown measure(s): {', '.join(sorted(unknown))}")
        chosen = [m for m in chosen if m.id in wanted]
    timings = timings or Timings()
    t0 = time.perf_counter()
    if skip_missing:
        present = set(backend.list_tables())
        missing = sorted({t for m in chosen for t in _tables([m]) if t not in present})
        timings.skipped = [m.id for m in chosen if set(_tables([m])) & set(missing)]
        chosen = [m for m in chosen if m.id not in timings.skipped]
    columns_of = cube.table_columns(backend, _tables(chosen))
    passes, route = cube.plan(chosen, columns_of)
    cube.mark_binned(passes, backend)
    geo = Geography.load(backend)
    # Passes grouped by table, the table with the most measures first: a table's measures are
    # evaluated as soon as its passes are in (in worker processes, while the next table is
    # aggregated), and the biggest share of the statistics should start earliest.
    by_table: dict[str, list[cube.Pass]] = {}
    for p in passes:
        by_table.setdefault(p.table, []).append(p)
    load = {t: sum(len(p.measures) for p in ps) for t, ps in by_table.items()}
    order = sorted(by_table, key=lambda t: -load[t])
    of_table: dict[str, list[int]] = {}
    for k, m in enumerate(chosen):
        of_table.setdefault(m.table, []).append(k)
    # Without a period the target is the latest month of any table: every pass must be in first.
    defer = period is None and not all_periods
    target = month_index(period) if period is not None else 0
    if workers is None:
        pairs = sum(len(breakdown_order(m, route)) for m in chosen)
        workers = default_workers(pairs * (60 if all_periods else 1))
    ev = Evaluator(chosen, passes, geo, framework.settings, max(1, workers), progress)
    backend_threads = passes_threads(backend, _tables(chosen), max(1, workers))
    t_agg = 0.0
    pending: list[tuple[str, tuple[int, int]]] = []
    try:
        k = 0
        with cube.unordered(backend), cube.threads(backend, backend_threads):
            for t in order:
                for p in by_table[t]:
                    if progress:
                        progress(f"aggregating {p.table}", k, len(passes))
                    k += 1
                    s = time.perf_counter()
                    cube.run(p, backend)
                    took = time.perf_counter() - s
                    t_agg += took
                    timings.passes.append((p.name, took, len(p.frame)))  # type: ignore[arg-type]
                cube.set_extracts(by_table[t], backend)
                span = cube.table_spans(by_table[t], backend).get(t)
                if span is None:
                    continue
                pending.append((t, span))
                if not defer:
                    todo = of_table.get(t, [])
                    _dispatch(ev, chosen, todo, route, span, target, all_periods, periods_of)
        timings.aggregate = time.perf_counter() - t0
        if defer and pending:
            target = max(s[1] for _, s in pending)
            for t, span in pending:
                _dispatch(
                    ev, chosen, of_table.get(t, []), route, span, target, all_periods, periods_of
                )
        t1 = time.perf_counter()
        rows = ev.rows()
    finally:
        ev.close()
    timings.evaluate = time.perf_counter() - t1
    timings.backend = t_agg
    return results.to_frame(rows)
