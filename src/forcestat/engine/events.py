"""t and g charts of rare-event count measures, from the dates of the events themselves.

A count measure with ``chart = "t"`` or ``"g"`` (homicides, firearms discharges) is aggregated
by month like any count for its figures and tests, but its SPC reading comes from the events:
one query per measure reads the date of every record the measure counts (its filter, as the
monthly pass applies it) with the columns its breakdowns group by; units are labelled by the
roll-up's own rules (``rollup.unit_codes``), so they match the monthly rows.

Per unit and period the chart is ``stats.spc.t_chart`` of the days between consecutive events
up to the period's end (events at the same moment are one event: the t chart needs times
above zero), or ``stats.spc.g_chart`` of the whole days between them (events on one day are 0
days apart). Longer times between events mean fewer events, so a higher point reads the other
way from the count's polarity (``event_polarity``).

The latest point (docs/methods.md 4.8.1): the time since the last event is still running at
the period's end, a lower bound of the next gap. It is drawn as an open last point, left out of
the limits. Below the centre line it is not read (it may yet end anywhere) and the reading is
the last event's point, as qicharts2 plots it; from the centre line up it is the latest point,
read for what it can already show: a special cause on the high side (a quiet spell already
longer than the process explains), else common cause.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from forcestat.engine import cube, rollup
from forcestat.engine.compile import Compiler
from forcestat.engine.spc_rules import base_rules
from forcestat.engine.windows import month_index, month_label
from forcestat.framework.model import EVENT_CHARTS, Measure, Settings
from forcestat.stats import spc

AT = "event_at"
DAY_NS = 86_400 * 10**9


def is_event_measure(m: Measure) -> bool:
    return m.kind == "count" and m.chart in EVENT_CHARTS


def event_polarity(polarity: str) -> str:
    """The polarity of a chart of times between events: the count's, reversed."""
    flip = {"lower_is_better": "higher_is_better", "higher_is_better": "lower_is_better"}
    return flip.get(polarity, polarity)


def event_frame(backend: Any, m: Measure) -> pd.DataFrame:
    """Every event of the measure: its date (``AT``) and the columns its breakdowns group by.
    One query, the measure's filter compiled as for the monthly pass (no value of ours enters
    the query: the filter's literals are the framework's, as in every pass)."""
    t = cube.table(backend, m.table)
    keys: list[str] = []
    for ks in cube.breakdown_keys(m, t.columns).values():
        keys += [k for k in ks if k not in keys]
    pred = Compiler(t, backend, lambda name: cube.table(backend, name)).predicate(m.filter_expr)
    date = t[m.date_column]
    cond = date.notnull() if pred is None else pred & date.notnull()
    query = t.filter(cond).select(date.cast("timestamp").name(AT), *(t[k] for k in keys))
    return query.to_pyarrow().to_pandas()


def event_days(frame: pd.DataFrame) -> np.ndarray:
    """The events' moments as days since 1970 (fractional: a timestamp's time of day)."""
    ns = frame[AT].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return ns / DAY_NS


def unit_events(
    frame: pd.DataFrame, breakdown: str, geo: rollup.Geography
) -> dict[str, np.ndarray]:
    """The sorted event days of each unit of a breakdown, labelled as the roll-up labels it."""
    coded = rollup.unit_codes(SimpleNamespace(frame=frame), breakdown, geo)  # type: ignore[arg-type]
    if coded is None:
        return {}
    codes, labels = coded
    days = event_days(frame)
    return {label: np.sort(days[codes == i]) for i, label in enumerate(labels)}


def period_end_day(period: int) -> float:
    """The first day after month ``period`` (an index), in days since 1970."""
    return float(np.datetime64(f"{month_label(period + 1)}-01", "D").astype(np.int64))


def _day_label(day: float) -> str:
    return str(np.datetime64(int(np.floor(day)), "D"))


@dataclass(frozen=True)
class EventChart:
    """One unit's t or g chart at a period: the closed gaps' chart (``closed``; None with fewer
    than two gaps), each gap's closing event date, and the open point (the time from the last
    event to the period's end) with the signal it carries (only a high-side one counts)."""

    method: str
    closed: spc.XmrResult | None
    dates: tuple[str, ...]
    open_value: float  # nan: no event yet, or the last event ends the period
    open_label: str
    open_signal: str | None
    icon: str


def _draw(method: str, gaps: np.ndarray, rules: spc.SpcRules) -> spc.XmrResult:
    return spc.t_chart(gaps, rules) if method == "t" else spc.g_chart(gaps, rules)


def event_chart(
    days: np.ndarray, end: float, method: str, polarity: str, rules: spc.SpcRules
) -> EventChart:
    """The chart of events before day ``end`` (exclusive) and its reading (the icon, on the
    count's ``polarity``)."""
    ev = days[days < end]
    ev = np.unique(ev) if method == "t" else np.sort(np.floor(ev))
    gaps = np.diff(ev)
    label = _day_label(end - 1)
    open_value = float(end - ev[-1]) if len(ev) else float("nan")
    if not open_value > 0:
        open_value = float("nan")
    if len(gaps) < 2:
        return EventChart(method, None, (), open_value, label, None, "none")
    pol = event_polarity(polarity)
    closed = _draw(method, gaps, rules)
    icon = spc.spc_icon(closed, pol)
    open_signal = None
    centre = closed.mean[-1]
    if np.isfinite(open_value) and np.isfinite(centre) and open_value >= centre:
        # Past the centre line the open point is the latest reading: it can only grow, so it
        # stays above the centre and any high-side signal it makes holds; a low-side one (a
        # falling trend) could still be undone and is not read.
        k = len(gaps)
        with_open = _draw(method, np.append(gaps, open_value), rules.replace(exclude=(k,)))
        icon = spc.spc_icon(with_open, pol)
        if with_open.signal[-1] is not None and with_open.direction[-1] == "high":
            open_signal = with_open.signal[-1]
        elif icon != "none":
            icon = "common_cause"
    dates = tuple(_day_label(d) for d in ev[1:])
    return EventChart(method, closed, dates, open_value, label, open_signal, icon)


def readings(
    backend: Any,
    measures: list[Measure],
    results: pd.DataFrame,
    geo: rollup.Geography,
    settings: Settings,
    passes: list[tuple[str, float, int]] | None = None,
) -> pd.DataFrame:
    """Sets the SPC reading (``spc_signal``; ``spc_assurance`` "none": a target is on the
    monthly count's scale) of every row of an event measure in ``results`` (in place; returned)
    from its t or g chart. ``passes`` collects (name, seconds, events) of each query."""
    todo = [m for m in measures if is_event_measure(m)]
    if not todo or results.empty:
        return results
    for m in todo:
        mask = (results["measure_id"] == m.id).to_numpy()
        if not mask.any():
            continue
        s = time.perf_counter()
        frame = event_frame(backend, m)
        if passes is not None:
            passes.append((f"events {m.id}", time.perf_counter() - s, len(frame)))
        rules = base_rules(settings, m)
        rows = results.loc[mask, ["breakdown", "unit", "period_end"]]
        icons = np.full(len(rows), "none", dtype=object)
        by_breakdown: dict[str, dict[str, np.ndarray]] = {}
        groups = rows.groupby(["breakdown", "unit", "period_end"], observed=True).indices
        for (b, unit, period), at in groups.items():
            if b not in by_breakdown:
                by_breakdown[b] = unit_events(frame, str(b), geo)
            days = by_breakdown[b].get(str(unit), np.zeros(0))
            end = period_end_day(month_index(str(period)))
            icons[at] = event_chart(days, end, str(m.chart), m.polarity, rules).icon
        results.loc[mask, "spc_signal"] = icons
        results.loc[mask, "spc_assurance"] = "none"
    return results
