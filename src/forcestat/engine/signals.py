"""The SPC icon and the trend reading of one unit's monthly series at a period: the chart is
built with the framework's baseline, rebase dates and rule lengths (``settings.spc``).

The icon is the latest point's type on the chart the report draws (``KindStats.chart``). The
trend reading (docs/methods.md 5.3-5.5) uses that chart too, except for counts and rates per
1,000: they are read per day and against their own seasonal pattern (``trends.
seasonal_exposure``), since a raw monthly count falls for seven months every autumn and winter
and a 28-day February is 10% below a 31-day March without anything having changed.
"""

from __future__ import annotations

import calendar
import functools
from typing import Any

import numpy as np

from forcestat.engine.kinds import KindStats
from forcestat.engine.windows import month_index
from forcestat.framework.model import Measure, Settings
from forcestat.stats import spc, trends

COUNT_KINDS = ("count", "rate_per_1000")


def _spc_kwargs(settings: Settings, first: int, stop: int) -> dict[str, Any]:
    s = settings.spc
    rebase = [month_index(r) - first for r in s.rebase_at]
    return {
        "baseline": s.baseline_points,
        "rebase_at": [i for i in rebase if 0 < i < stop],
        "shift_length": s.shift_length,
        "trend_length": s.trend_length,
        "min_points": s.min_points,
    }


def days_in_months(first: int, n: int) -> np.ndarray:
    """Days in each of the ``n`` months from month index ``first`` (year * 12 + month - 1)."""
    return _days_in_months(first, n).copy()


@functools.lru_cache(maxsize=256)
def _days_in_months(first: int, n: int) -> np.ndarray:
    return np.array(
        [calendar.monthrange(i // 12, i % 12 + 1)[1] for i in range(first, first + n)],
        dtype=float,
    )


def count_trend_inputs(
    ks: KindStats, u: int, stop: int, settings: Settings, kw: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, spc.XmrResult]:
    """(monthly counts, exposure, XmR chart of the counts per exposure) for a count or rate's
    trend reading: exposure = days x seasonal factor (``trends.seasonal_exposure``, fitted on
    the months before the last ``slope_window``), or days only when ``settings.spc.seasonal`` is
    off. Rates per 1,000 are tested on their counts (the population is a constant)."""
    counts, exposure, charts = count_trend_inputs_all(ks, stop, settings, kw, [u])
    return counts[0], exposure[0], charts[0]


def count_trend_inputs_all(
    ks: KindStats, stop: int, settings: Settings, kw: dict[str, Any], units: Any = None
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
    return counts, exposure, spc.xmr_rows(counts / exposure, **kw)


def signals(ks: KindStats, m: Measure, settings: Settings, u: int, stop: int) -> tuple[str, str]:
    """(spc_signal, trend) of unit ``u`` at the month before ``stop`` (``signals_all``)."""
    return signals_all(ks, m, settings, stop, [u])[0]


def signals_all(
    ks: KindStats, m: Measure, settings: Settings, stop: int, units: Any = None
) -> list[tuple[str, str]]:
    """(spc_signal, trend) of each unit (default: all) at the month before ``stop``, from the
    monthly series since the data start, with the framework's rebase dates and rule lengths.
    Every unit's series ends at the same month, so their charts are drawn together."""
    rows = list(range(len(ks.units.labels))) if units is None else list(units)
    if stop < 1:
        return [("none", "none")] * len(rows)
    kw = _spc_kwargs(settings, ks.units.first, stop)
    values, charts = ks.charts(stop, rows, **kw)
    s = settings.spc
    # A concentration (a share of a total) is read like other non-count series.
    kind, exposure = ("mean" if m.kind == "concentration" else m.kind), None
    series, trend_charts = values, charts
    if m.kind in COUNT_KINDS:
        series, exposure, trend_charts = count_trend_inputs_all(ks, stop, settings, kw, rows)
        kind = "count"
    # The slope tests of every unit at once: the long-term one "halted" reads and the recent
    # one "trend" falls back on (all units' series have the same months).
    cut = stop - s.halt_points
    start = max(0, cut - s.halt_window)
    w = min(s.slope_window, stop)
    long_signs: list[int | None] = [None] * len(rows)
    slope_signs: list[int | None] = [None] * len(rows)
    if s.halt_points >= 1 and cut - start >= 12:
        ex = None if exposure is None else exposure[:, start:cut]
        long_signs = trends.slope_signs(series[:, start:cut], kind, s.halt_alpha, ex).tolist()
    if stop >= 3:
        ex = None if exposure is None else exposure[:, stop - w :]
        slope_signs = trends.slope_signs(series[:, stop - w :], kind, settings.alpha, ex).tolist()
    out: list[tuple[str, str]] = []
    for i in range(len(rows)):
        if not np.isfinite(values[i]).any():
            out.append(("none", "none"))
            continue
        icon = spc.spc_icon(charts[i], m.polarity)
        ex = None if exposure is None else exposure[i]
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
            )
        out.append((icon, direction))
    return out
