"""The monthly series behind each measure's SPC signal, for charts (docs/architecture.md §§5, 6).

``measure_results`` carries the SPC *verdicts* (``spc_signal``, ``spc_assurance``) but not the
monthly values and limits a chart draws. ``monthly_series`` returns them from the same cube and
the same calls the engine makes: ``cube.plan``/``cube.run`` aggregate once, ``rollup.roll`` sums
to units, and ``KindStats.chart`` (with the measure's ``KindStats.rules``) builds the chart
exactly as ``signals.signals_all`` does. Outputs draw these numbers; they never recompute them.

Values are on the scale the report prints: proportions in percent (0-100), counts, rates per
1,000, medians and means in the measure's unit. ``base`` is the number of records behind each
month (a count's own value; a proportion's denominator records; a median's records; a mean's
records or days), so a public output can withhold a chart whose months rest on a handful of
records.

This aggregates the store once more than ``compute`` (the engine does not keep its cube), but
only for the breakdowns asked for (``cube.plan(only=...)``); ``tests/outputs/test_series.py``
checks that the icon of every series equals the ``spc_signal`` of the matching
``measure_results`` row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from forcestat.engine import cube
from forcestat.engine.kinds import KindStats, ProportionStats, stats_for
from forcestat.engine.rollup import Geography, roll
from forcestat.engine.run import _tables, breakdown_order
from forcestat.engine.signals import target_on_chart
from forcestat.engine.windows import month_index, month_label
from forcestat.framework.model import Framework
from forcestat.stats import spc


@dataclass(frozen=True)
class MonthlySeries:
    """One unit's monthly values, limits and point signals up to the period."""

    measure_id: str
    breakdown: str
    unit: str
    kind: str
    polarity: str
    months: tuple[str, ...]
    values: np.ndarray
    mean: np.ndarray
    ucl: np.ndarray
    lcl: np.ndarray
    signal: tuple[str | None, ...]  # rule a point is part of ("outside", "trend", ...) or None
    direction: tuple[str | None, ...]  # "high"/"low" for a signalling point
    trial: np.ndarray  # limits from fewer than min_points points
    segment: np.ndarray  # limit segment of each point (a rebase starts a new one)
    base: np.ndarray
    method: str  # the latest segment's chart: "xmr", "p_prime", "p", "u", "c" or "run"
    icon: str  # the variation icon of the latest point (= measure_results spc_signal)
    # Cohort outcome rates: each month counts the outcomes reached within this many months of
    # recording (the latest month's maturity); None for other measures.
    outcome_lag: int | None = None
    # The assurance icon against the target (= measure_results spc_assurance) and the target on
    # the values' scale (percent for proportions); "none" and None without a target.
    assurance: str = "none"
    target: float | None = None
    # Points left out of the limits' calculation (``settings.spc.exclude``), still charted.
    excluded: np.ndarray | None = None

    def point_types(self) -> list[str]:
        """Per point: "improvement", "concern", "neutral" (special cause) or "common_cause",
        reading a signal's direction against the measure's polarity."""
        out = []
        for sig, way in zip(self.signal, self.direction, strict=True):
            if sig is None or way is None:
                out.append("common_cause")
            elif self.polarity == "neutral":
                out.append("neutral")
            else:
                good = (way == "high") == (self.polarity == "higher_is_better")
                out.append("improvement" if good else "concern")
        return out


def _base(ks: KindStats, u: int, stop: int) -> np.ndarray:
    a = ks.units.arrays
    if ks.m.kind in ("count", "rate_per_1000"):
        return a["n"][u, :stop].astype(float)
    if ks.m.kind == "proportion":
        return a["cnt" if "cnt" in a else "den"][u, :stop].astype(float)
    if ks.m.kind == "median":
        return ks.units.hist[u][1][:stop].sum(axis=1).astype(float)
    if ks.m.kind == "concentration":
        return ks.monthly_base(u, stop)  # type: ignore[attr-defined]
    return a["days" if "days" in a else "n"][u, :stop].astype(float)


def _series(ks: KindStats, u: int, stop: int) -> MonthlySeries:
    values, chart = ks.chart(u, stop)
    scale = 100.0 if isinstance(ks, ProportionStats) else 1.0
    first = ks.units.first
    icon = assured = "none"
    target = target_on_chart(ks, ks.units.labels[u])
    if np.isfinite(values).any():
        icon = spc.spc_icon(chart, ks.m.polarity)
        assured = spc.assurance(chart, ks.m.polarity, target)
    return MonthlySeries(
        measure_id=ks.m.id,
        breakdown=ks.units.breakdown,
        unit=ks.units.labels[u],
        kind=ks.m.kind,
        polarity=ks.m.polarity,
        months=tuple(month_label(first + i) for i in range(stop)),
        values=np.asarray(chart.values, dtype=float) * scale,
        mean=np.asarray(chart.mean, dtype=float) * scale,
        ucl=np.asarray(chart.ucl, dtype=float) * scale,
        lcl=np.asarray(chart.lcl, dtype=float) * scale,
        signal=tuple(chart.signal),
        direction=tuple(chart.direction),
        trial=np.asarray(chart.trial, dtype=bool),
        segment=np.asarray(chart.segment, dtype=int),
        base=_base(ks, u, stop),
        method=chart.method,
        icon=icon,
        outcome_lag=ks.chart_lag(stop) if isinstance(ks, ProportionStats) else None,
        assurance=assured,
        target=None if target is None else target * scale,
        excluded=chart.excluded,
    )


def monthly_series(
    store: Any,
    framework: Framework,
    period: str | None = None,
    *,
    measures: Sequence[str] | None = None,
    breakdowns: Sequence[str] = ("force",),
) -> dict[tuple[str, str, str], MonthlySeries]:
    """Series keyed by (measure_id, breakdown, unit), months from the first month of the
    measure's table up to ``period`` (default: the last month of data), as the engine's SPC
    evaluation of that period sees them."""
    backend = getattr(store, "ibis", store)
    chosen = list(framework.measures)
    if measures is not None:
        wanted = set(measures)
        chosen = [m for m in chosen if m.id in wanted]
    cube.forget(backend)  # as run.compute: read table schemas afresh
    # Only the passes the asked-for breakdowns need (charts rarely want offence groups).
    only = {m.id: list(breakdowns) for m in chosen}
    passes, route = cube.plan(chosen, cube.table_columns(backend, _tables(chosen)), only=only)
    cube.mark_binned(passes, backend)
    for p in passes:
        cube.run(p, backend)
    cube.set_extracts(passes, backend)
    geo = Geography.load(backend)
    table_span = cube.table_spans(passes, backend)  # the coverage rule run.compute uses
    if not table_span:
        return {}
    target = month_index(period) if period else max(s[1] for s in table_span.values())
    out: dict[tuple[str, str, str], MonthlySeries] = {}
    for m in chosen:
        for b in breakdown_order(m, route):
            if b not in breakdowns or (m.id, b) not in route:
                continue
            p = route[(m.id, b)]
            span = table_span.get(p.table)
            if span is None or not span[0] <= target <= span[1]:
                continue
            units = roll(p, m, b, geo, span)
            if not units.labels:
                continue
            ks = stats_for(m, units, framework.settings)
            stop = ks.chart_stop(target - units.first + 1, span[1] - units.first)  # as evaluate
            if stop < 1:
                continue
            for u, label in enumerate(units.labels):
                out[(m.id, b, label)] = _series(ks, u, stop)
    return dict(sorted(out.items()))
