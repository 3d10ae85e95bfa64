"""Missing person reports: children trending upwards, fewer from care in the last year, a
recent rise from children's homes, and a fall after the lockdown (Board report 5.2.2-5.2.3)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..store.schema import MISSING_PERSONS
from . import calibration as cal
from . import columns as C
from .calendar import Period, events, growth, lockdown_intensity, path, seasonal, seconds_in_day
from .force import ForceSpec

# Ages of missing children and adults. [ASSUMED] (most missing children are 13-16).
_CHILD_AGES = np.arange(8, 18)
_CHILD_W = np.array([1, 1, 2, 3, 5, 10, 18, 24, 24, 12], dtype=float)


def generate_missing(force: ForceSpec, period: Period, rng: np.random.Generator) -> pa.Table:
    on = force.storylines
    lock = 1 - cal.LOCKDOWN_DEPTH_MISSING * lockdown_intensity(period.days, on)
    season = seasonal(period.month_of_year, 7, 0.08)[period.day_month]
    last = period.day_rel >= -11
    child = growth(period.day_rel, cal.MISSING_CHILD_GROWTH, on) * season
    child *= cal.MISSING_CHILDREN_PER_YEAR * force.scale / child[last].sum() * lock
    adult = season * cal.MISSING_ADULTS_PER_YEAR * force.scale / season[last].sum() * lock
    lam = np.vstack([child, adult])
    kind, day = events(rng, lam)
    n = len(kind)
    at = period.day_seconds[day] + seconds_in_day(rng, n, "incident")
    order = np.argsort(at, kind="stable")
    kind, at = kind[order], at[order]
    is_child = kind == 0
    age = np.where(
        is_child,
        rng.choice(_CHILD_AGES, size=n, p=_CHILD_W / _CHILD_W.sum()),
        np.minimum(18 + rng.gamma(2.0, 12.0, n).astype(np.int64), 95),
    )
    rel = period.rel_of(at)
    p_care = path(cal.IN_CARE_PATH, rel, on)
    p_home = path(cal.CHILDRENS_HOME_PATH, rel, on)
    in_care = is_child & (rng.random(n) < p_care)
    # Children's-home reports are a subset of reports about children in care.
    from_home = in_care & (rng.random(n) < p_home / p_care)
    shares = np.r_[force.population_shares(), 0.0]
    district = rng.choice(len(shares), size=n, p=shares)
    cols = {
        "report_id": C.ids(f"{force.code}-M", n, 7),
        "reported_at": C.timestamps(at),
        "age": C.ints(age),
        "in_care": C.bools(in_care),
        "from_childrens_home": C.bools(from_home),
        "district": C.labels(force.district_names, district),
    }
    return C.build(MISSING_PERSONS, cols, n)
