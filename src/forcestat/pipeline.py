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

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def open_store(url: str, read_only: bool = True) -> Any:
    from forcestat.store.store import open_store as _open

    return _open(url, read_only=read_only)


def load_framework(path: Path | str | None = None) -> Any:
    from forcestat.framework import load_framework as _load

    return _load(path)


def snapshot_id(store: Any) -> str:
    """The store's data snapshot (its load history), for footers and cache keys; "unknown" for
    a store without load bookkeeping (a Parquet folder, another backend)."""
    if getattr(store, "is_duckdb", False) and "loads" in store.tables():
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
    fw_used = computed.framework
    series = monthly_series(store, fw_used, period.label, breakdowns=("force",))
    multiples = [m.id for m in fw_used.measures if m.multiples]
    if multiples:
        # Small multiples: the areas' and districts' series of the measures that ask for them.
        series |= monthly_series(
            store, fw_used, period.label, measures=multiples, breakdowns=("area", "district")
        )
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
