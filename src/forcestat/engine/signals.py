"""The SPC icon and the trend reading of one unit's monthly series at a period: the chart is
built with the framework's baseline, rebase dates and rule lengths (``settings.spc``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from forcestat.engine.kinds import KindStats
from forcestat.engine.windows import month_index
from forcestat.framework.model import Measure, Settings
from forcestat.stats import spc, trends


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


def signals(ks: KindStats, m: Measure, settings: Settings, u: int, stop: int) -> tuple[str, str]:
    """(spc_signal, trend) at the month before ``stop`` from the monthly series since the data
    start, with the framework's rebase dates and rule lengths."""
    if stop < 1:
        return "none", "none"
    kw = _spc_kwargs(settings, ks.units.first, stop)
    values, chart = ks.chart(u, stop, **kw)
    if not np.isfinite(values).any():
        return "none", "none"
    icon = spc.spc_icon(chart, m.polarity)
    tkw = {"kind": m.kind, "spc": chart, "recent": settings.spc.recent_points}
    direction = trends.trend(values, alpha=settings.alpha, **tkw)
    if direction == "none":
        for way in ("downwards", "upwards"):
            if trends.trend_halted(values, direction=way, alpha=settings.alpha, **tkw):
                direction = f"halted_{way}"
                break
    return icon, direction
