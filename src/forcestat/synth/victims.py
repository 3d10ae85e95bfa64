"""Victim services: Victims Code contacts, referrals to support services, and civil orders."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..store.schema import CIVIL_ORDERS, CONTACT_TYPES, REFERRALS, VICTIM_CONTACTS
from . import calibration as cal
from . import columns as C
from .calendar import DAY, Period, day_of, lockdown_intensity, path
from .crimes import UNITS, Crimes
from .draw import mix

HOUR = 3600
# Contact compliance differs by investigating unit [BOARD 6.1.2]. [ASSUMED] sizes.
_UNIT_COMPLIANCE = {
    "IMU": 0.05,
    "North Response Investigation": -0.06,
    "South Response Investigation": -0.07,
    "Domestic Abuse Investigation Unit": 0.02,
    "CAISU": 0.04,
    "RASSO": 0.04,
}


def _monthly_wobble(period: Period, rng: np.random.Generator) -> np.ndarray:
    """AR(1) month-to-month fluctuation of compliance ("continues to fluctuate")."""
    e = np.zeros(len(period.months))
    shocks = rng.normal(0, cal.VCC_MONTHLY_SD, len(e))
    for i in range(len(e)):
        e[i] = (0.5 * e[i - 1] if i else 0.0) + shocks[i]
    return e


def generate_contacts(crimes: Crimes, period: Period, rng: np.random.Generator) -> pa.Table:
    vb = np.flatnonzero(crimes.strata.victim_based[crimes.stratum])
    rec = crimes.recorded_at[vb]
    priority = crimes.priority[vb] > 0
    parts = [(vb, rec + np.where(priority, 1, 5) * DAY, 0)]  # initial
    eventual = crimes.eventual_at[vb]
    for k in range(1, cal.VCC_MAX_UPDATES + 1):
        due = rec + k * cal.VCC_UPDATE_EVERY_DAYS * DAY
        still_open = eventual > due
        parts.append((vb[still_open], due[still_open], 1))
    done = crimes.outcome_type[vb] > 0
    charged = crimes.outcome_type[vb] == 1
    final_due = crimes.outcome_at[vb] + np.where(charged, 1, 5) * DAY
    parts.append((vb[done & charged], final_due[done & charged], 2))  # key event
    parts.append((vb[done & ~charged], final_due[done & ~charged], 3))  # outcome
    crime = np.concatenate([p[0] for p in parts])
    due = np.concatenate([p[1] for p in parts])
    ctype = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    keep = due < period.cut
    crime, due, ctype = crime[keep], due[keep], ctype[keep]
    order = np.lexsort((crime, due))
    crime, due, ctype = crime[order], due[order], ctype[order]
    n = len(crime)

    base = np.array([cal.VCC_COMPLIANCE[t] for t in CONTACT_TYPES])[ctype]
    unit = np.array([_UNIT_COMPLIANCE.get(u, 0.0) for u in UNITS])[crimes.unit[crime]]
    month = np.clip(period.month_index_of(due), 0, len(period.months) - 1)
    wobble = _monthly_wobble(period, rng)[month]
    day_idx = np.clip((due - period.day_seconds[0]) // DAY, 0, period.n_days - 1)
    lockdown = lockdown_intensity(period.days, crimes.force.storylines)
    gain = cal.VCC_LOCKDOWN_GAIN * lockdown[day_idx]
    p = np.clip(base + unit + wobble + gain, 0.3, 0.98)
    u = rng.random(n)
    on_time = u < p
    late = ~on_time & (u < p + (1 - p) / 2)
    earliest = np.where(ctype == 0, crimes.recorded_at[crime], due - 3 * DAY)
    made_on_time = earliest + (rng.random(n) * (due - earliest)).astype(np.int64)
    made_late = due + rng.integers(HOUR, 10 * DAY, n)
    made = np.where(on_time, made_on_time, made_late)
    not_made = ~(on_time | late) | (made >= period.cut)
    groups = sorted(set(crimes.strata.group))
    group_of = np.array([groups.index(g) for g in crimes.strata.group])
    cols = {
        "contact_id": C.ids(f"{crimes.force.code}-V", n, 9),
        "crime_id": C.take(crimes.ids, crime),
        "due_at": C.timestamps(due),
        "made_at": C.timestamps(made, not_made),
        "contact_type": C.labels(CONTACT_TYPES, ctype),
        "district": C.labels(crimes.force.district_names, crimes.district[crime]),
        "offence_group": C.labels(groups, group_of[crimes.stratum[crime]]),
        "supervisory_unit": C.labels(UNITS, crimes.unit[crime]),
        "officer": C.labels(OFFICERS, _officer_of(crime, crimes.unit[crime])),
    }
    return C.build(VICTIM_CONTACTS, cols, n)


# Each unit's officers in the case: collar numbers 1001.. in blocks of 100 per unit [ASSUMED].
OFFICERS_PER_UNIT = 12
OFFICERS = tuple(
    f"PC {1001 + 100 * u + k}" for u in range(len(UNITS)) for k in range(OFFICERS_PER_UNIT)
)


def _officer_of(crime: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """A crime's officer within its unit, from a hash of the crime's number rather than a
    draw, so that the random streams (and every other column of the demo) stay as they were."""
    k = (crime.astype(np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)
    return unit.astype(np.int64) * OFFICERS_PER_UNIT + (k % OFFICERS_PER_UNIT).astype(np.int64)


def _alliance(crimes: Crimes, period: Period, rng: np.random.Generator):
    """DA Alliance pilot: referrals from Peterborough DA crimes over the last months, and the
    orders they led to (exact counts from the Board report)."""
    spec = cal.DA_ALLIANCE
    names = crimes.force.district_names
    if not crimes.force.storylines:
        return None  # the pilot is a storyline
    if spec["district"] not in names or period.years * 12 < spec["months"]:
        return None
    d = names.index(spec["district"])
    rel = period.rel_of(crimes.recorded_at)
    ok = (
        crimes.strata.da[crimes.stratum]
        & (crimes.district == d)
        & (rel > -spec["months"])
        & (crimes.recorded_at < period.cut - 45 * DAY)
    )
    pool = np.flatnonzero(ok)
    if len(pool) < 2 * spec["referrals"]:
        return None  # too small a force for the pilot (never the case for the demo force)
    crime = np.sort(rng.choice(pool, size=spec["referrals"], replace=False))
    referred = crimes.recorded_at[crime] + rng.integers(HOUR, 7 * DAY, len(crime))
    n_orders = spec["NMO"] + spec["occupation"] + spec["child_arrangements"]
    # Granted orders come from the earliest referrals (they had time to reach court); the
    # pending applications from later ones.
    pending = spec["pending_NMO"]
    order_of = np.full(len(crime), -1)
    order_of[:n_orders] = np.arange(n_orders)
    pend = rng.choice(np.arange(n_orders, len(crime)), size=pending, replace=False)
    order_of[pend] = np.arange(n_orders, n_orders + pending)
    result = np.where(
        order_of >= 0,
        "application_made",
        mix(rng, {"not_suitable": 25, "withdrawn": 15}, len(crime)),
    )
    result = np.where((order_of >= 0) & (order_of < n_orders), "order_granted", result)
    types = (
        ["NMO"] * spec["NMO"]
        + ["occupation"] * spec["occupation"]
        + ["child_arrangements"] * spec["child_arrangements"]
        + ["NMO"] * pending
    )
    has = np.flatnonzero(order_of >= 0)
    has = has[np.argsort(order_of[has])]
    applied = referred[has] + rng.integers(2 * DAY, 10 * DAY, len(has))
    decided = applied + rng.integers(HOUR, 14 * DAY, len(has))
    granted_ok = np.arange(len(has)) < n_orders
    # Pending applications are decided after the extraction, so they show as undecided.
    decided = np.where(granted_ok, np.minimum(decided, period.cut - HOUR), period.cut + 30 * DAY)
    return {
        "crime": crime,
        "referred": referred,
        "result": result,
        "order_ref": has,
        "order_type": np.array(types),
        "applied": applied,
        "decided": decided,
        "granted": granted_ok,
        "pending": ~granted_ok,
    }


def generate_referrals(crimes: Crimes, period: Period, rng: np.random.Generator):
    """Referrals table, plus the DA Alliance part needed by the civil orders."""
    s = crimes.strata
    rel = period.rel_of(crimes.recorded_at)
    vb = s.victim_based[crimes.stratum]
    hub = vb & (rng.random(crimes.n) < path(cal.HUB_REFERRAL_PATH, rel, crimes.force.storylines))
    group = np.array(s.group, dtype=object)[crimes.stratum]
    assault = s.codes_in(("20A", "20B", "17A", "17B"))[crimes.stratum]
    p_sarc = np.where(
        group == "Rape offences",
        cal.SARC_RATE["Rape offences"],
        np.where(assault, cal.SARC_RATE["sexual_assault"], 0.0),
    )
    sarc = rng.random(crimes.n) < p_sarc
    high_risk_da = s.da[crimes.stratum] & (crimes.risk == 2)
    idva = high_risk_da & (rng.random(crimes.n) < cal.IDVA_RATE_HIGH_RISK)

    parts = []
    for service, chosen, results, lag in (
        ("victim_witness_hub", hub, cal.HUB_RESULTS, 2 * DAY),
        ("sarc", sarc, cal.SARC_RESULTS, DAY),
        ("idva", idva, cal.IDVA_RESULTS, 3 * DAY),
    ):
        idx = np.flatnonzero(chosen)
        at = crimes.recorded_at[idx] + rng.integers(0, lag, len(idx))
        parts.append(
            (
                idx,
                at,
                np.full(len(idx), service, dtype=object),
                mix(rng, results, len(idx)).astype(object),
            )
        )
    alliance = _alliance(crimes, period, rng)
    if alliance is not None:
        k = len(alliance["crime"])
        parts.append(
            (
                alliance["crime"],
                alliance["referred"],
                np.full(k, "da_alliance", dtype=object),
                alliance["result"].astype(object),
            )
        )
    crime = np.concatenate([p[0] for p in parts])
    at = np.concatenate([p[1] for p in parts])
    service = np.concatenate([p[2] for p in parts])
    result = np.concatenate([p[3] for p in parts])
    keep = at < period.cut
    order = np.lexsort((crime, at))
    order = order[keep[order]]
    n = len(order)
    ref_ids = C.ids(f"{crimes.force.code}-R", n, 8)
    if alliance is not None:
        # Map the alliance referrals that led to orders to their referral ids.
        pos = np.empty(len(crime), dtype=np.int64)
        pos[order] = np.arange(n)
        first_alliance = sum(len(p[0]) for p in parts[:-1])
        alliance["referral_pos"] = pos[first_alliance + alliance["order_ref"]]
        alliance["referral_ids"] = ref_ids.take(pa.array(alliance["referral_pos"]))
    cols = {
        "referral_id": ref_ids,
        "crime_id": C.take(crimes.ids, crime[order]),
        "service": pa.array(service[order].tolist(), pa.string()),
        "referred_at": C.timestamps(at[order]),
        "result": pa.array(result[order].tolist(), pa.string()),
        "district": C.labels(crimes.force.district_names, crimes.district[crime[order]]),
    }
    return C.build(REFERRALS, cols, n), alliance


def generate_civil_orders(
    crimes: Crimes, period: Period, rng: np.random.Generator, alliance: dict | None
) -> pa.Table:
    force = crimes.force
    rows_type, rows_applied, rows_decided, rows_granted, rows_district, rows_ref = (
        [],
        [],
        [],
        [],
        [],
        [],
    )

    def add(otype, applied, decided, granted, district, ref=None):
        k = len(applied)
        rows_type.append(np.broadcast_to(np.asarray(otype, dtype=object), (k,)))
        rows_applied.append(applied)
        rows_decided.append(decided)
        rows_granted.append(granted)
        rows_district.append(district)
        rows_ref.append(ref if ref is not None else np.full(k, None, dtype=object))

    # DVPN (police notice, effective when issued) then DVPO applications to court.
    rel = period.rel_of(crimes.recorded_at)
    da_risky = crimes.strata.da[crimes.stratum] & (crimes.risk >= 1)
    per_year = cal.DVPN_PER_YEAR * force.scale
    rate = per_year / max((da_risky & (rel >= -11)).sum(), 1)
    dvpn = np.flatnonzero(da_risky & (rng.random(crimes.n) < rate))
    issued = crimes.recorded_at[dvpn] + rng.integers(HOUR, DAY, len(dvpn))
    ok = issued < period.cut
    dvpn, issued = dvpn[ok], issued[ok]
    add("DVPN", issued, issued, np.ones(len(dvpn), bool), crimes.district[dvpn])
    to_court = rng.random(len(dvpn)) < cal.DVPO_AFTER_DVPN
    applied = issued[to_court] + rng.integers(24 * HOUR, 48 * HOUR, to_court.sum())
    decided = applied + rng.integers(HOUR, DAY, len(applied))
    granted = rng.random(len(applied)) < cal.DVPO_GRANTED
    ok = applied < period.cut
    add("DVPO", applied[ok], decided[ok], granted[ok], crimes.district[dvpn[to_court]][ok])

    # SHPOs: a flat rate over the period, districts in proportion to recorded crime.
    shares = np.r_[force.crime_shares(), 0.0]
    n_shpo = rng.poisson(cal.SHPO_PER_YEAR * force.scale * period.years)
    applied = period.day_seconds[0] + rng.integers(0, period.cut - period.day_seconds[0], n_shpo)
    add(
        "SHPO",
        applied,
        applied + rng.integers(7 * DAY, 70 * DAY, n_shpo),
        rng.random(n_shpo) < 0.95,
        rng.choice(len(shares), n_shpo, p=shares),
    )

    # SPOs exist from 20 January 2020; the force's first went to court in March 2020.
    first = day_of(cal.SPO_FIRST) + 10 * HOUR
    if first < period.cut and force.storylines:  # a new order type is a change: none if null
        months = max((period.cut - first) / (30.44 * DAY) - 1, 0)
        k = rng.poisson(cal.SPO_PER_MONTH * force.scale * months)
        later = first + 30 * DAY + rng.integers(0, max(period.cut - first - 30 * DAY, 1), k)
        applied = np.sort(np.r_[first, later]) if k else np.array([first])
        applied = applied[applied < period.cut]
        add(
            "SPO",
            applied,
            applied + rng.integers(30 * DAY, 60 * DAY, len(applied)),
            rng.random(len(applied)) < 0.85,
            rng.choice(len(shares), len(applied), p=shares),
        )

    if alliance is not None:
        k = len(alliance["applied"])
        add(
            alliance["order_type"],
            alliance["applied"],
            alliance["decided"],
            alliance["granted"],
            np.full(k, crimes.district[alliance["crime"][0]]),
            np.array(alliance["referral_ids"].to_pylist(), dtype=object),
        )

    otype = np.concatenate(rows_type)
    applied = np.concatenate(rows_applied).astype(np.int64)
    decided = np.concatenate(rows_decided).astype(np.int64)
    granted = np.concatenate(rows_granted).astype(bool)
    district = np.concatenate(rows_district).astype(np.int64)
    ref = np.concatenate(rows_ref)
    order = np.argsort(applied, kind="stable")
    otype, applied, decided, granted, district, ref = (
        x[order] for x in (otype, applied, decided, granted, district, ref)
    )
    pending = decided >= period.cut
    n = len(applied)
    cols = {
        "order_id": C.ids(f"{force.code}-O", n, 6),
        "order_type": pa.array(otype.tolist(), pa.string()),
        "applied_at": C.timestamps(applied),
        "decided_at": C.timestamps(decided, pending),
        "granted": C.bools(granted, pending),
        "district": C.labels(force.district_names, district),
        "referral_id": pa.array(ref.tolist(), pa.string()),
    }
    return C.build(CIVIL_ORDERS, cols, n)
