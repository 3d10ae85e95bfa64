"""The SPC icon, the assurance icon and the trend reading of one unit's monthly series at a
period: the chart is built with the measure's rules (``KindStats.rules``: the framework's
baseline, rebase and excluded months, rule lengths and peer readings, ``settings.spc``).

The icon is the latest point's type on the chart the report draws (``KindStats.chart``); the
assurance icon reads the measure's target against that chart's process limits. The trend
reading (docs/methods.md 5.3-5.5) uses that chart too, except for counts and rates per 1,000:
they are read per day and against their own seasonal pattern (``trends.seasonal_exposure``),
since a raw monthly count falls for seven months every autumn and winter and a 28-day February
is 10% below a 31-day March without anything having changed. Where the chart allows for
autocorrelation (an AR(1), docs/methods.md 4.7), the slope tests use the same lag-1
autocorrelation.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from forcestat.engine.kinds import KindStats, ProportionStats, days_in_months
from forcestat.framework.model import Measure, Settings
from forcestat.stats import spc, trends

__all__ = [
    "COUNT_KINDS",
    "Reading",
    "count_trend_inputs",
    "count_trend_inputs_all",
    "days_in_months",
    "signals",
    "signals_all",
    "target_on_chart",
]

COUNT_KINDS = ("count", "rate_per_1000")


class Reading(NamedTuple):
    """What the monthly chart of a unit says at a period (measure_results' ``spc_signal``,
    ``trend`` and ``spc_assurance``)."""

    icon: str
    trend: str
    assurance: str


NO_READING = Reading("none", "none", "none")


def count_trend_inputs(
    ks: KindStats, u: int, stop: int, settings: Settings
) -> tuple[np.ndarray, np.ndarray, spc.XmrResult]:
    """(monthly counts, exposure, XmR chart of the counts per exposure) for a count or rate's
    trend reading: exposure = days x seasonal factor (``trends.seasonal_exposure``, fitted on
    the months before the last ``slope_window``), or days only when ``settings.spc.seasonal`` is
    off. Rates per 1,000 are tested on their counts (the population is a constant)."""
    counts, exposure, charts = count_trend_inputs_all(ks, stop, settings, [u])
    return counts[0], exposure[0], charts[0]


def count_trend_inputs_all(
    ks: KindStats, stop: int, settings: Settings, units: Any = None
) -> tuple[np.ndarray, np.ndarray, list[spc.XmrResult]]:
    """``count_trend_inputs`` of several units (default: all) as [unit, month] arrays, their
    charts drawn together."""
    rows = list(range(len(ks.units.labels))) if units is None else list(units)
    counts = np.asarray(ks.units.arrays["n"][rows, :stop], dtype=float)
    first = ks.units.first
    days = days_in_months(first, stop)
    s = settings.spc
    if s.seasonal:
        fit_stop = stop - s.slope_window if stop - s.slope_window >= 24 else stop
        moy = (first + np.arange(stop)) % 12
        exposure = np.array(
            [trends.seasonal_exposure(c, moy, days, fit_stop=fit_stop) for c in counts]
        ).reshape(counts.shape)
    else:
        exposure = np.broadcast_to(days / days.mean(), counts.shape)
    return counts, exposure, spc.xmr_rows(counts / exposure, ks.rules(stop))


def target_on_chart(ks: KindStats, unit: str) -> float | None:
    """The unit's target on its chart's scale: proportions are charted 0-1, targets are
    percentages."""
    target = ks.m.target_for(unit)
    if target is None:
        return None
    return target / 100.0 if isinstance(ks, ProportionStats) else float(target)


def signals(ks: KindStats, m: Measure, settings: Settings, u: int, stop: int) -> tuple[str, str]:
    """(spc_signal, trend) of unit ``u`` at the month before ``stop`` (``signals_all``)."""
    reading = signals_all(ks, m, settings, stop, [u])[0]
    return reading.icon, reading.trend


def _rho(chart: spc.XmrResult) -> float:
    """The lag-1 autocorrelation the chart's latest segment allows for (nan: none)."""
    return chart.ar1[-1] if chart.ar1 else math.nan


def signals_all(
    ks: KindStats, m: Measure, settings: Settings, stop: int, units: Any = None
) -> list[Reading]:
    """The reading of each unit (default: all) at the month before ``stop``, from the monthly
    series since the data start, with the measure's rules. Every unit's series ends at the
    same month, so their charts are drawn together."""
    rows = list(range(len(ks.units.labels))) if units is None else list(units)
    if stop < 1:
        return [NO_READING] * len(rows)
    values, charts = ks.charts(stop, rows)
    s = settings.spc
    # A concentration (a share of a total) is read like other non-count series.
    kind, exposure = ("mean" if m.kind == "concentration" else m.kind), None
    series, trend_charts = values, charts
    if m.kind in COUNT_KINDS:
        series, exposure, trend_charts = count_trend_inputs_all(ks, stop, settings, rows)
        kind = "count"
    rho = np.array([_rho(c) for c in trend_charts], dtype=float)
    # The slope tests of every unit at once: the long-term one "halted" reads and the recent
    # one "trend" falls back on (all units' series have the same months).
    cut = stop - s.halt_points
    start = max(0, cut - s.halt_window)
    w = min(s.slope_window, stop)
    long_signs: list[int | None] = [None] * len(rows)
    slope_signs: list[int | None] = [None] * len(rows)
    if s.halt_points >= 1 and cut - start >= 12:
        ex = None if exposure is None else exposure[:, start:cut]
        long_signs = trends.slope_signs(
            series[:, start:cut], kind, s.halt_alpha, ex, rho=rho
        ).tolist()
    if stop >= 3:
        ex = None if exposure is None else exposure[:, stop - w :]
        slope_signs = trends.slope_signs(
            series[:, stop - w :], kind, settings.alpha, ex, rho=rho
        ).tolist()
    out: list[Reading] = []
    for i, u in enumerate(rows):
        if not np.isfinite(values[i]).any():
            out.append(NO_READING)
            continue
        icon = spc.spc_icon(charts[i], m.polarity)
        target = target_on_chart(ks, ks.units.labels[u])
        assured = spc.assurance(charts[i], m.polarity, target)
        ex = None if exposure is None else exposure[i]
        r = None if math.isnan(rho[i]) else float(rho[i])
        # "Halted" first: a significant break from a long-term trend is the more specific
        # reading (the 12-month slope may still carry the months before the halt).
        way = trends.halted(
            series[i],
            kind=kind,
            spc=trend_charts[i],
            halt_points=s.halt_points,
            halt_window=s.halt_window,
            alpha=settings.alpha,
            halt_alpha=s.halt_alpha,
            exposure=ex,
            long_sign=long_signs[i],
            rho=r,
        )
        direction = "none" if way is None else f"halted_{way}"
        if direction == "none":
            direction = trends.trend(
                series[i],
                kind=kind,
                spc=trend_charts[i],
                recent=s.recent_points,
                alpha=settings.alpha,
                slope_window=s.slope_window,
                exposure=ex,
                slope_sign=slope_signs[i],
                rho=r,
                reversal=s.trend_reversal,
            )
        out.append(Reading(icon, direction, assured))
    return out
