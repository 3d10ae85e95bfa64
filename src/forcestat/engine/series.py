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

from forcestat.engine import cube, events
from forcestat.engine.kinds import KindStats, ProportionStats, stats_for
from forcestat.engine.rollup import Geography, roll
from forcestat.engine.run import _tables, breakdown_order
from forcestat.engine.signals import target_on_chart
from forcestat.engine.spc_rules import base_rules
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
    # t and g charts (``method``): the points are events (``months`` holds each closing
    # event's date, YYYY-MM-DD) and the last point may be open: the time from the last event to
    # the period's end, still running (engine/events.py).
    open_point: bool = False

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


def _event_series(
    measure_id: str, breakdown: str, unit: str, polarity: str, ev: events.EventChart
) -> MonthlySeries | None:
    """A t or g chart as a series: one point per gap between events, dated by the event that
    closes it, then the open point (if any) with the high-side signal it carries."""
    c = ev.closed
    if c is None:
        return None
    extra = 1 if np.isfinite(ev.open_value) else 0

    def ext(a: np.ndarray, fill: float | None = None) -> np.ndarray:
        a = np.asarray(a)
        return np.append(a, a[-1] if fill is None else fill) if extra else a

    signal, direction = list(c.signal), list(c.direction)
    if extra:
        signal.append(ev.open_signal)
        direction.append("high" if ev.open_signal else None)
    excluded = np.zeros(len(c.values) + extra, dtype=bool)
    if extra:
        excluded[-1] = True
    return MonthlySeries(
        measure_id=measure_id,
        breakdown=breakdown,
        unit=unit,
        kind="count",
        polarity=events.event_polarity(polarity),
        months=ev.dates + ((ev.open_label,) if extra else ()),
        values=ext(np.asarray(c.values, dtype=float), ev.open_value),
        mean=ext(np.asarray(c.mean, dtype=float)),
        ucl=ext(np.asarray(c.ucl, dtype=float)),
        lcl=ext(np.asarray(c.lcl, dtype=float)),
        signal=tuple(signal),
        direction=tuple(direction),
        trial=ext(np.asarray(c.trial, dtype=bool)),
        segment=ext(np.asarray(c.segment, dtype=int)),
        # Each point rests on one event (the open one on none): a public edition withholds the
        # chart, as it should the dates of single rare events.
        base=ext(np.ones(len(c.values)), 0.0),
        method=ev.method,
        icon=ev.icon,
        excluded=excluded,
        open_point=bool(extra),
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
        frame = None
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
            if events.is_event_measure(m):
                # The units the monthly rows have, each charted from its own events.
                frame = events.event_frame(backend, m) if frame is None else frame
                by_unit = events.unit_events(frame, b, geo)
                end = events.period_end_day(target)
                rules = base_rules(framework.settings, m)
                for label in units.labels:
                    days = by_unit.get(label, np.zeros(0))
                    chart = events.event_chart(days, end, str(m.chart), m.polarity, rules)
                    got = _event_series(m.id, b, label, m.polarity, chart)
                    if got is not None:
                        out[(m.id, b, label)] = got
                continue
            for u, label in enumerate(units.labels):
                out[(m.id, b, label)] = _series(ks, u, stop)
    return dict(sorted(out.items()))
