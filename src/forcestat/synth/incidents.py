"""Incidents (calls for service): grade, type, attendance, THRIVE, and the crime they became.

Two sources: incidents that became a recorded crime (created when the crime was reported,
linked by crime_id, so they follow the crime storylines) and incidents that did not (a flat
Poisson process by type and district, with seasonality and the lockdown).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..store.schema import GRADES, INCIDENTS, THRIVE_LEVELS
from . import calibration as cal
from . import columns as C
from .calendar import Period, events, lockdown_intensity, path, seasonal, seconds_in_day
from .crimes import Crimes
from .draw import lognormal

TYPES = tuple(
    dict.fromkeys(
        [*cal.NONCRIME_INCIDENT_MIX, *cal.INCIDENT_TYPE_FOR_CRIME.values(), "domestic", "sexual"]
    )
)


def _linked(crimes: Crimes, period: Period, rng: np.random.Generator):
    s = crimes.strata
    p = np.array([cal.CRIME_FROM_INCIDENT.get(t, 0.2) for t in s.police_uk_type])
    p = np.where(s.da, cal.CRIME_FROM_INCIDENT_DA, p)
    itype = np.array([TYPES.index(cal.INCIDENT_TYPE_FOR_CRIME[t]) for t in s.police_uk_type])
    itype = np.where(s.da, TYPES.index("domestic"), itype)
    itype = np.where(s.sexual & ~s.cse, TYPES.index("sexual"), itype)
    start = int(period.day_seconds[0])
    take = (rng.random(crimes.n) < p[crimes.stratum]) & (crimes.reported_at >= start)
    idx = np.flatnonzero(take)
    return crimes.reported_at[idx], itype[crimes.stratum[idx]], crimes.district[idx], idx


def _unlinked(crimes: Crimes, period: Period, rng: np.random.Generator, n_linked_last: int):
    force = crimes.force
    annual = max(cal.ANNUAL_INCIDENTS * force.scale - n_linked_last, 0.0)
    mix = np.array(list(cal.NONCRIME_INCIDENT_MIX.values()), dtype=float)
    mix /= mix.sum()
    shares = np.r_[0.5 * force.crime_shares() + 0.5 * force.population_shares(), 0.0]
    season = seasonal(period.month_of_year, 7, 0.05)[period.day_month]
    lock = 1 - cal.LOCKDOWN_DEPTH_INCIDENTS * lockdown_intensity(period.days, force.storylines)
    last = period.day_rel >= -11
    per_day = season * annual / season[last].sum() * lock
    lam = mix[:, None, None] * shares[None, :, None] * per_day[None, None, :]
    t, d, day = events(rng, lam)
    created = period.day_seconds[day] + seconds_in_day(rng, len(day), "incident")
    types = np.array([TYPES.index(k) for k in cal.NONCRIME_INCIDENT_MIX])[t]
    return created, types, d


def _grades(rng, itype: np.ndarray, rel: np.ndarray, on: bool = True) -> np.ndarray:
    base = np.array([cal.GRADE_MIX[t] for t in TYPES])[itype]  # (n, 4)
    shift = path(cal.GRADE_SHIFT, rel, on) * base[:, 1]
    base[:, 0] += shift
    base[:, 1] -= shift
    cum = np.cumsum(base, axis=1)
    cum /= cum[:, -1:]
    return np.minimum((rng.random(len(itype))[:, None] > cum).sum(axis=1), 3)


def _thrive(rng, grade: np.ndarray, itype: np.ndarray, linked: np.ndarray) -> dict:
    n = len(grade)
    severity = (2 - grade) * 0.8 + rng.standard_normal(n)
    vulnerable = np.isin(
        itype,
        [
            TYPES.index(t)
            for t in ("domestic", "concern_for_safety", "mental_health", "missing_person", "sexual")
        ],
    )

    def level(x: np.ndarray) -> np.ndarray:
        return np.digitize(x, [0.3, 1.3])

    return {
        "thrive_threat": level(severity + 0.5 * rng.standard_normal(n)),
        "thrive_harm": level(severity + 0.6 * rng.standard_normal(n)),
        "thrive_risk": level(severity + 0.3 * rng.standard_normal(n)),
        "thrive_investigation": level(0.9 * linked + 0.4 * severity + rng.standard_normal(n)),
        "thrive_vulnerability": level(1.0 * vulnerable + 0.3 * severity + rng.standard_normal(n)),
        "thrive_engagement": level(0.8 + rng.standard_normal(n)),
    }


def generate_incidents(crimes: Crimes, period: Period, rng: np.random.Generator) -> pa.Table:
    force = crimes.force
    lc, lt, ld, lcrime = _linked(crimes, period, rng)
    n_linked_last = int((period.rel_of(lc) >= -11).sum())
    uc, ut, ud = _unlinked(crimes, period, rng, n_linked_last)
    created = np.r_[lc, uc]
    itype = np.r_[lt, ut]
    district = np.r_[ld, ud]
    crime_idx = np.r_[lcrime, np.full(len(uc), -1)]
    order = np.argsort(created, kind="stable")
    created, itype, district, crime_idx = (
        created[order],
        itype[order],
        district[order],
        crime_idx[order],
    )
    n = len(created)
    rel = period.rel_of(created)
    grade = _grades(rng, itype, rel, force.storylines)

    domestic = itype == TYPES.index("domestic")
    ru_p = np.where(
        domestic,
        np.array([cal.RESOURCE_UNAVAILABLE_DOMESTIC[g] for g in GRADES])[grade],
        np.array([cal.RESOURCE_UNAVAILABLE[g] for g in GRADES])[grade],
    )
    unavailable = rng.random(n) < ru_p

    med = np.array([cal.ARRIVAL[g][0] for g in GRADES])[grade]
    sig = np.array([cal.ARRIVAL[g][1] for g in GRADES])[grade]
    dfac = np.array([cal.DISTRICT_ARRIVAL_FACTOR.get(d, 1.0) for d in force.district_names])
    med = med * dfac[district]
    prompt = grade == 1
    tfac = np.array([cal.TYPE_PROMPT_FACTOR.get(t, 1.0) for t in TYPES])[itype]
    med = np.where(prompt, med * tfac * path(cal.PROMPT_WORSENING, rel, force.storylines), med)
    med = np.where(unavailable, med * cal.RESOURCE_UNAVAILABLE_DELAY, med)
    minutes = lognormal(rng, med, sig, n)
    arrival = created + np.maximum((minutes * 60).astype(np.int64), 30)
    not_attended = rng.random(n) < np.array([cal.NOT_ATTENDED[g] for g in GRADES])[grade]
    no_arrival = not_attended | (arrival >= period.cut)

    thrive = _thrive(rng, grade, itype, crime_idx >= 0)
    cols = {
        "incident_id": C.ids(f"{force.code}-I", n, 9),
        "created_at": C.timestamps(created),
        "grade": C.labels(GRADES, grade),
        "incident_type": C.labels(TYPES, itype),
        "district": C.labels(force.district_names, district),
        "first_arrival_at": C.timestamps(arrival, no_arrival),
        "resource_unavailable": C.bools(unavailable),
        **{k: C.labels(THRIVE_LEVELS, v) for k, v in thrive.items()},
        "crime_id": C.take(crimes.ids, crime_idx),
        "updated_at": C.timestamps(np.full(n, period.extracted_at)),
    }
    return C.build(INCIDENTS, cols, n)
