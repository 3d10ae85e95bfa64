"""Public contacts: 999, 101, webchat and online reports, with waits and abandonment.

Daily Poisson volumes per channel (steady annual growth, seasonality, lockdown), then per
contact a wait drawn from the channel's lognormal and an abandonment draw. 101 performance
worsens over the last 12 months as 999 demand grows (Board report 4.3.2).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..store.schema import CALLS, CHANNELS
from . import calibration as cal
from . import columns as C
from .calendar import Period, events, growth, lockdown_intensity, path, seasonal, seconds_in_day
from .draw import lognormal
from .force import ForceSpec

_PROFILE = {"999": "999", "101": "101", "webchat": "online", "online_report": "online"}


def generate_calls(force: ForceSpec, period: Period, rng: np.random.Generator) -> pa.Table:
    on = force.storylines
    intensity = lockdown_intensity(period.days, on)
    last = period.day_rel >= -11
    rates = []
    for ch in CHANNELS:
        peak, amp = cal.CALLS_SEASONALITY.get(ch, (1, 0.0))
        r = (
            growth(period.day_rel, cal.CALLS_GROWTH[ch], on)
            * seasonal(period.month_of_year, peak, amp)[period.day_month]
        )
        lock = 1 - cal.LOCKDOWN_DEPTH_CALLS[ch] * intensity
        rates.append(r * cal.CALLS_PER_YEAR[ch] * force.scale / r[last].sum() * lock)
    lam = np.vstack(rates)
    ch, day = events(rng, lam)
    n = len(ch)
    secs = np.empty(n, dtype=np.int64)
    for k, name in enumerate(CHANNELS):
        m = ch == k
        secs[m] = seconds_in_day(rng, int(m.sum()), _PROFILE[name])
    received = period.day_seconds[day] + secs
    order = np.argsort(received, kind="stable")
    ch, received = ch[order], received[order]
    rel = period.rel_of(received)

    med = np.array([cal.CALL_WAIT[c][0] for c in CHANNELS])[ch]
    sig = np.array([cal.CALL_WAIT[c][1] for c in CHANNELS])[ch]
    is101 = ch == CHANNELS.index("101")
    med = np.where(is101, med * path(cal.WAIT_101_PATH, rel, on), med)
    wait = lognormal(rng, med, sig, n)
    p_abandon = np.array([cal.ABANDON[c] for c in CHANNELS])[ch]
    p_abandon = np.where(is101, path(cal.ABANDON_101_PATH, rel, on), p_abandon)
    abandoned = rng.random(n) < p_abandon
    # A caller who gives up has waited only part of what the wait would have been.
    wait = np.where(abandoned, wait * rng.uniform(0.2, 1.0, n), wait)
    wait_s = np.maximum(np.rint(wait), 0).astype(np.int64)
    answered = received + wait_s
    no_answer = abandoned | (answered >= period.cut)
    cols = {
        "call_id": C.ids(f"{force.code}-K", n, 9),
        "received_at": C.timestamps(received),
        "channel": C.labels(CHANNELS, ch),
        "answered_at": C.timestamps(answered, no_answer),
        "abandoned": C.bools(abandoned),
        "wait_seconds": C.ints(wait_s),
    }
    return C.build(CALLS, cols, n)
