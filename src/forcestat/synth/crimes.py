"""Recorded crime: daily Poisson counts per stratum and district, then one row per crime.

Expected counts are a product of independent pieces, each a documented storyline or a
calibration constant: share of the force's crime x district share x trend (DA growth, district
growth, sexual-offence and CSE steps) x seasonality x lockdown. Everything not named in a
storyline has a flat trend, so the statistics can be tested for false alarms.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store.schema import AGE_GROUPS, CRIMES, PRIORITY_GROUPS, RISK_LEVELS
from . import calibration as cal
from . import columns as C
from .calendar import Period, events, growth, lockdown_intensity, seasonal, seconds_in_day
from .draw import pick
from .force import ForceSpec
from .outcomes import assign_outcomes
from .strata import Strata, build_strata

UNITS = (
    "IMU",
    "North CID",
    "South CID",
    "North Response Investigation",
    "South Response Investigation",
    "Domestic Abuse Investigation Unit",
    "CAISU",
    "RASSO",
)
_SERIOUS_CID = {"1", "4.1", "2", "5D", "5E", "34A", "34B", "29", "31", "10A", "92A", "106", "36"}
_ACQUISITIVE = {
    "Burglary",
    "Vehicle crime",
    "Other theft",
    "Shoplifting",
    "Bicycle theft",
    "Theft from the person",
    "Criminal damage and arson",
}


@dataclass
class Crimes:
    """Generated crimes as arrays (one entry per crime, in crime_id order)."""

    force: ForceSpec
    period: Period
    strata: Strata
    stratum: np.ndarray
    district: np.ndarray  # index into force.district_names
    area: np.ndarray  # index into force.areas, -1 for 'No location'
    recorded_at: np.ndarray
    reported_at: np.ndarray
    hate: np.ndarray
    knife: np.ndarray
    age: np.ndarray  # index into AGE_GROUPS, -1 = null
    priority: np.ndarray  # index into PRIORITY_GROUPS, -1 = null
    risk: np.ndarray  # index into RISK_LEVELS, -1 = null
    outcome_type: np.ndarray  # 0 = open at extraction
    outcome_at: np.ndarray  # epoch seconds, meaningful where outcome_type > 0
    eventual_at: np.ndarray  # when the outcome is (or will be) assigned, even if after the cut
    unit: np.ndarray  # index into UNITS
    # The outcome each crime has or will have (``outcome_type`` is 0 while open at the cut).
    eventual_type: np.ndarray | None = None
    # Victims and suspects (``people.assign_people``), set after the crimes are drawn.
    people: Any = None

    @property
    def n(self) -> int:
        return len(self.stratum)

    @cached_property
    def ids(self) -> pa.Array:
        return C.ids(f"{self.force.code}-C", self.n, 8)

    def to_arrow(self) -> pa.Table:
        s, n = self.strata, self.n
        codes = sorted(set(s.code))
        code_idx = np.array([codes.index(c) for c in s.code])[self.stratum]
        groups = sorted(set(s.group))
        group_idx = np.array([groups.index(g) for g in s.group])[self.stratum]
        open_ = self.outcome_type == 0
        cols = {
            "crime_id": self.ids,
            "reported_at": C.timestamps(self.reported_at),
            "recorded_at": C.timestamps(self.recorded_at),
            "offence_code": C.labels(codes, code_idx),
            "offence_group": C.labels(groups, group_idx),
            "victim_based": C.bools(s.victim_based[self.stratum]),
            "cchi_days": pa.array(s.cchi_days[self.stratum], type=pa.float64(), from_pandas=True),
            "district": C.labels(self.force.district_names, self.district),
            "domestic_abuse": C.bools(s.da[self.stratum]),
            "hate": C.bools(self.hate),
            "child_sexual_abuse": C.bools(s.csa[self.stratum]),
            "child_sexual_exploitation": C.bools(s.cse[self.stratum]),
            "knife": C.bools(self.knife),
            "victim_age_group": C.labels(AGE_GROUPS, np.maximum(self.age, 0), self.age < 0),
            "victim_priority_group": C.labels(
                PRIORITY_GROUPS, np.maximum(self.priority, 0), self.priority < 0
            ),
            "risk_level": C.labels(RISK_LEVELS, np.maximum(self.risk, 0), self.risk < 0),
            "outcome_type": C.ints(self.outcome_type, open_),
            "outcome_at": C.timestamps(self.outcome_at, open_),
            "supervisory_unit": C.labels(UNITS, self.unit),
            "updated_at": C.timestamps(np.full(n, self.period.extracted_at)),
        }
        if self.people is not None:
            cols["victim_id"] = self.victim_ids
            cols["suspect_id"] = self.suspect_ids
        return C.build(CRIMES, cols, n)

    @cached_property
    def victim_ids(self) -> pa.Array:
        """Per crime, its victim's pseudonymous id (null: none): persons 'P', businesses 'B'."""
        pp = self.people
        code = self.force.code
        persons = C.ids(f"{code}-P", max(pp.n_persons, 1), 7)
        shops = C.ids(f"{code}-B", max(pp.n_businesses, 1), 5)
        v = np.maximum(pp.victim, 0)
        person = C.take(persons, np.where(pp.business, 0, v), pp.victim < 0)
        shop = C.take(shops, np.where(pp.business, v, 0), pp.victim < 0)
        return pc.if_else(pa.array(pp.business), shop, person)

    @cached_property
    def suspect_ids(self) -> pa.Array:
        pp = self.people
        ids = C.ids(f"{self.force.code}-S", max(pp.n_suspects, 1), 7)
        return C.take(ids, pp.suspect)


def _lockdown_depth(strata: Strata) -> np.ndarray:
    d = cal.LOCKDOWN_DEPTH_CRIME
    depth = np.array([d.get(t, d["default"]) for t in strata.police_uk_type])
    depth[strata.sexual] = cal.LOCKDOWN_DEPTH_SEXUAL
    depth[strata.da] = 0.0  # domestic abuse did not fall in the lockdown
    return depth


def _seasonality(strata: Strata, period: Period) -> np.ndarray:
    """(strata, months) seasonal factors."""
    moy = period.month_of_year
    out = np.ones((len(strata), len(moy)))
    for i, t in enumerate(strata.police_uk_type):
        peak, amp = cal.SEASONALITY_DA if strata.da[i] else cal.SEASONALITY.get(t, (1, 0.0))
        out[i] = seasonal(moy, peak, amp)
    return out


def district_weights(force: ForceSpec, strata: Strata) -> np.ndarray:
    """(strata, districts + 'No location') share of each stratum's crime per district."""
    crime = force.crime_shares()
    b = cal.DA_DISTRICT_BLEND_POPULATION
    general = np.r_[crime * (1 - cal.NO_LOCATION_SHARE), cal.NO_LOCATION_SHARE]
    da = np.r_[(1 - b) * crime + b * force.population_shares(), 0.0]
    return np.where(strata.da[:, None], da[None, :], general[None, :])


def trends(force: ForceSpec, period: Period, strata: Strata, weights: np.ndarray) -> np.ndarray:
    """(strata, districts, months) trend factors; 1 in the last 12 months except DA growth."""
    rel = period.month_rel
    before = rel < -11
    n_s, n_d = weights.shape
    t = np.ones((n_s, n_d, len(rel)))
    if not force.storylines:
        return t
    da_grows = strata.da & ~strata.sexual
    t[da_grows] = growth(rel, cal.DA_ANNUAL_GROWTH)[None, :]

    areas = [*(d.area for d in force.districts), None]
    for i, story in enumerate(strata.story):
        if story == "sexual_assault":
            for j, area in enumerate(areas):
                g = cal.SEXUAL_ASSAULT_GROWTH.get(area, 0.0) if area else 0.0
                t[i, j, before] = 1 / (1 + g)
        elif story == "cse":
            t[i, :, before] = 1 / (1 + cal.CSE_GROWTH)

    # District growth of all recorded crime: solve, per district, the growth of the crimes
    # with no storyline of their own so that the district total grows as calibrated.
    general = ~strata.sexual & ~strata.da
    last, prev = rel >= -11, (rel < -11) & (rel >= -23)
    if prev.any():
        a = strata.share[:, None] * weights
        lt = (a * t[:, :, last].mean(axis=2)).sum(axis=0)
        fixed = (a[~general] * t[~general][:, :, prev].mean(axis=2)).sum(axis=0)
        lgen = a[general].sum(axis=0)
        g = force.district_growth
        shares = force.crime_shares()
        mean_g = float(sum(shares[k] * g.get(d.name, 0.0) for k, d in enumerate(force.districts)))
        target = np.array([g.get(d.name, 0.0) for d in force.districts] + [mean_g])
        x = lgen / (lt / (1 + target) - fixed) - 1
        t[np.ix_(general, np.arange(n_d), np.flatnonzero(before))] /= (1 + x)[None, :, None]
    return t


def expected_counts(force: ForceSpec, period: Period, strata: Strata) -> np.ndarray:
    """(strata, districts, days) expected crimes, scaled so the last 12 months hold the force's
    annual recorded crime before any lockdown effect (the lockdown then takes its share)."""
    w = district_weights(force, strata)
    t = trends(force, period, strata, w)
    dm = period.day_month
    seas = _seasonality(strata, period)[:, dm]  # (S, days)
    intensity = lockdown_intensity(period.days, force.storylines)
    lock = 1 - _lockdown_depth(strata)[:, None] * intensity[None, :]
    per_day = seas[:, None, :] * t[:, :, dm] * (strata.share[:, None] * w)[:, :, None]
    last = period.day_rel >= -11
    per_day *= force.annual_crimes / per_day[:, :, last].sum()
    return per_day * lock[:, None, :]


def _per_code(strata: Strata, table: dict[str, float]) -> np.ndarray:
    return np.array([table.get(c, 0.0) for c in strata.code])


def generate_crimes(force: ForceSpec, period: Period, rng: np.random.Generator) -> Crimes:
    strata = build_strata()
    lam = expected_counts(force, period, strata)
    s, d, day = (x.astype(np.int64) for x in events(rng, lam))
    n = len(s)
    recorded = period.day_seconds[day] + seconds_in_day(rng, n, "crime")
    order = np.argsort(recorded, kind="stable")
    s, d, recorded = s[order], d[order], recorded[order]

    # Most crimes are recorded within hours of the report; a few take days (CDI).
    u = rng.random(n)
    lag = np.where(
        u < 0.7,
        rng.integers(0, 6 * 3600, n),
        np.where(u < 0.95, rng.integers(6 * 3600, 3 * 86400, n), rng.integers(3, 30, n) * 86400),
    )
    reported = recorded - lag

    area = force.area_index()[d]
    vb = strata.victim_based[s]
    da = strata.da[s]

    hate_codes = strata.codes_in(cal.HATE_CODES)
    hate = hate_codes[s] | (rng.random(n) < _per_code(strata, cal.HATE_RATE)[s])
    knife = rng.random(n) < _per_code(strata, cal.KNIFE_RATE)[s]

    profiles = list(cal.AGE_PROFILES)
    prof = np.array([profiles.index(a) if a else -1 for a in strata.ages])[s]
    age = pick(rng, np.array(list(cal.AGE_PROFILES.values())), np.maximum(prof, 0))
    age = np.where(prof < 0, -1, age)

    child = (age >= 0) & (age <= 2)
    serious = da | strata.sexual[s] | hate | strata.codes_in(("1", "4.1", "2", "5D", "5E"))[s]
    persistent_codes = strata.codes_in(("8L", "8Q", "58A", "58D", "105A"))[s]
    r = rng.random(n)
    priority = np.select(
        [~vb, serious, child | (r < 0.03), persistent_codes & (r < 0.07)],
        [-1, 1, 3, 2],
        default=0,
    )

    # Risk (standard, medium, high) for other victims, DA (DASH) and child sexual abuse.
    # [ASSUMED] shares; DASH high risk ~10% is the usual national order.
    risk_probs = np.array([[0.90, 0.08, 0.02], [0.58, 0.32, 0.10], [0.30, 0.40, 0.30]])
    which = np.where(da, 1, np.where(strata.csa[s], 2, 0))
    risk = np.where(vb, pick(rng, risk_probs, which), -1)

    rel = period.rel_of(recorded)
    outcome_type, eventual_at = assign_outcomes(rng, strata, s, area, force, rel, recorded)
    cut = period.cut
    is_open = eventual_at >= cut
    outcome_at = np.where(is_open, 0, eventual_at)
    observed = np.where(is_open, 0, outcome_type)

    unit = _units(strata, s, area, risk, outcome_type, rng)
    return Crimes(
        force,
        period,
        strata,
        s,
        d,
        area,
        recorded,
        reported,
        hate,
        knife,
        age,
        priority,
        risk,
        observed,
        outcome_at,
        eventual_at,
        unit,
        eventual_type=outcome_type,
    )


def _units(strata, s, area, risk, outcome_type, rng) -> np.ndarray:
    """Investigating unit: specialist teams for sexual, child and higher-risk DA crimes, CID
    for serious crime, the IMU for volume crime with no suspect, response investigation else."""
    area_name = np.where(area < 0, np.where(rng.random(len(s)) < 0.6, 0, 1), area)
    north = area_name == 0
    acquisitive = np.array([t in _ACQUISITIVE for t in strata.police_uk_type])[s]
    return np.select(
        [
            strata.csa[s],
            strata.sexual[s],
            strata.da[s] & (risk >= 1),
            strata.codes_in(tuple(_SERIOUS_CID))[s],
            acquisitive & (outcome_type == 18),
        ],
        [
            UNITS.index("CAISU"),
            UNITS.index("RASSO"),
            UNITS.index("Domestic Abuse Investigation Unit"),
            np.where(north, UNITS.index("North CID"), UNITS.index("South CID")),
            UNITS.index("IMU"),
        ],
        default=np.where(
            north,
            UNITS.index("North Response Investigation"),
            UNITS.index("South Response Investigation"),
        ),
    )
