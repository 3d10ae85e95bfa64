"""Framework + store -> measure_results: plan passes, aggregate once, roll windows, evaluate."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forcestat.engine import cube, results
from forcestat.engine.kinds import stats_for
from forcestat.engine.parallel import Task, evaluate_tasks
from forcestat.engine.rollup import Geography, roll
from forcestat.engine.windows import month_index
from forcestat.framework.model import Framework, Measure

Progress = Callable[[str, int, int], None]


@dataclass
class Timings:
    """Where the time went (seconds), for the benchmark and ``--verbose`` output."""

    aggregate: float = 0.0
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
) -> pd.DataFrame:
    """measure_results for ``period`` (``YYYY-MM``; default: the last month of data) or, with
    ``all_periods``, for every month the data cover.

    ``store`` is a ``forcestat.store.Store`` or any Ibis backend holding the canonical tables.
    ``measures`` restricts the run to those measure ids. ``workers``: processes evaluating the
    statistics (default: one per core when there is enough work; 1 = in this process).
    ``skip_missing``: leave out measures whose tables the store does not have (listed in
    ``timings.skipped``) instead of failing.
    """
    backend = getattr(store, "ibis", store)
    # Table schemas are read afresh for each run: the store may have been loaded meanwhile.
    cube.forget(backend)
    chosen = list(framework.measures)
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
    for k, p in enumerate(passes):
        if progress:
            progress(f"aggregating {p.table}", k, len(passes))
        s = time.perf_counter()
        cube.run(p, backend)
        timings.passes.append((p.name, time.perf_counter() - s, len(p.frame)))  # type: ignore[arg-type]
    geo = Geography.load(backend)
    timings.aggregate = time.perf_counter() - t0

    t1 = time.perf_counter()
    table_span = cube.table_spans(passes)
    spans = {id(p): table_span[p.table] for p in passes if p.table in table_span}
    if period is None and not all_periods:
        if not spans:
            return results.to_frame([])
        target = max(s[1] for s in spans.values())
    else:
        target = month_index(period) if period is not None else 0
    tasks: list[Task] = []
    for k, m in enumerate(chosen):
        if progress:
            progress(f"rolling up {m.id}", k, len(chosen))
        for b in breakdown_order(m, route):
            p = route[(m.id, b)]
            if id(p) not in spans:
                continue
            span = spans[id(p)]
            periods = list(range(span[0], span[1] + 1)) if all_periods else [target]
            units = roll(p, m, b, geo, span)
            if units.labels:
                tasks.append(Task(stats_for(m, units, framework.settings), m, periods, span))
    rows = evaluate_tasks(tasks, framework.settings, workers, progress)
    timings.evaluate = time.perf_counter() - t1
    return results.to_frame(rows)
