"""Daily workload snapshots per unit: live investigations counted from the generated crimes,
plus the IMU's QA and closure backlogs (high, spiking with system downtime, cleared quickly
once demand fell in the lockdown; Board report 4.3.3)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..store.schema import WORKLOAD_SNAPSHOTS
from . import calibration as cal
from . import columns as C
from .calendar import DAY, Period, lockdown_intensity
from .crimes import UNITS, Crimes


def _open_counts(crimes: Crimes, period: Period, unit: int) -> np.ndarray:
    """Crimes of ``unit`` open at the end of each day. Crimes recorded before the period are
    not generated, so the first year's crimes shifted back a year stand in for them."""
    t = period.day_seconds + DAY
    m = crimes.unit == unit
    rec, end = np.sort(crimes.recorded_at[m]), np.sort(crimes.eventual_at[m])
    live = np.searchsorted(rec, t) - np.searchsorted(end, t)
    first = m & (crimes.recorded_at < period.day_seconds[0] + 365 * DAY)
    carried = np.sort(crimes.eventual_at[first] - 365 * DAY)
    live += len(carried) - np.searchsorted(carried, t)
    return live


def _backlog(level: float, period: Period, rng: np.random.Generator, on: bool = True) -> np.ndarray:
    n = period.n_days
    noise = np.zeros(n)
    shocks = rng.normal(0, 0.04, n)
    for i in range(1, n):
        noise[i] = 0.9 * noise[i - 1] + shocks[i]
    spikes = np.zeros(n)
    n_events = rng.poisson(cal.DOWNTIME_EVENTS_PER_YEAR * period.years)
    days = np.arange(n)
    for start in rng.integers(0, n, n_events):
        size = rng.uniform(0.3, 0.8)
        after = days >= start
        spikes[after] += size * np.exp(-(days[after] - start) / 10.0)
    # Backlog drains over a few weeks once the lockdown cut demand.
    intensity = lockdown_intensity(period.days, on)
    smooth = np.zeros(n)
    for i in range(n):
        prev = smooth[i - 1] if i else 0.0
        smooth[i] = prev + (intensity[i] - prev) / 7.0
    relief = 1 - (1 - cal.LOCKDOWN_BACKLOG_FLOOR) * smooth
    return np.maximum(level * (1 + noise + spikes) * relief, 0)


def generate_workload(crimes: Crimes, period: Period, rng: np.random.Generator) -> pa.Table:
    scale = crimes.force.scale
    on = crimes.force.storylines
    units, dates, qa, closure, live = [], [], [], [], []
    for u, name in enumerate(UNITS):
        if name == "IMU":
            q = _backlog(cal.IMU_AWAITING_QA * scale, period, rng, on)
            c = _backlog(cal.IMU_AWAITING_CLOSURE * scale, period, rng, on)
        else:
            q = _backlog(cal.OTHER_UNIT_BACKLOG * scale, period, rng, on)
            c = _backlog(cal.OTHER_UNIT_BACKLOG * scale, period, rng, on)
        q, c = np.rint(q).astype(np.int64), np.rint(c).astype(np.int64)
        units.append(np.full(period.n_days, u))
        dates.append(period.days)
        qa.append(q)
        closure.append(c)
        # Crimes waiting to be closed still count as live: the backlog inflates live workload.
        live.append(_open_counts(crimes, period, u) + c)
    n = period.n_days * len(UNITS)
    cols = {
        "snapshot_date": C.dates(np.concatenate(dates)),
        "unit": C.labels(UNITS, np.concatenate(units)),
        "awaiting_qa": C.ints(np.concatenate(qa)),
        "awaiting_closure": C.ints(np.concatenate(closure)),
        "live_investigations": C.ints(np.concatenate(live)),
    }
    return C.build(WORKLOAD_SNAPSHOTS, cols, n)
