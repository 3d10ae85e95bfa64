"""THRIVE assessments at the initial point of contact: one per victim-based crime.

A crime reported through an incident is assessed as that incident was (its THRIVE levels and
grade); other crimes (reported online, by 101 without an incident, in person) get levels drawn
the same way. Whether the victim is identified at first contact as in a Victims Code priority
group depends on the group (persistent targeting is seen when the victim has been a victim
before; vulnerability is the hardest) and on whether the assessment was completed.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store.schema import (
    FIRST_CONTACT_CHANNELS,
    GRADES,
    PRIORITY_GROUPS,
    THRIVE_ASSESSMENTS,
    THRIVE_LEVELS,
)
from . import calibration as cal
from . import columns as C
from .calendar import DAY, Period, path
from .crimes import Crimes

THRIVE_FIELDS = ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")


def previous_victimisation(crimes: Crimes) -> np.ndarray:
    """Per crime, whether its victim was the victim of another crime recorded in the 365 days
    before it (the measures' repeat victimisation definition)."""
    pp = crimes.people
    v = np.where(pp.business, pp.victim + pp.n_persons, pp.victim)
    out = np.zeros(crimes.n, dtype=bool)
    has = np.flatnonzero(pp.victim >= 0)
    order = has[np.lexsort((crimes.recorded_at[has], v[has]))]
    same = v[order][1:] == v[order][:-1]
    gap = crimes.recorded_at[order][1:] - crimes.recorded_at[order][:-1]
    out[order[1:]] = same & (gap <= 365 * DAY)
    return out


def generate_thrive(
    crimes: Crimes, period: Period, rng: np.random.Generator, incidents: pa.Table | None
) -> pa.Table:
    s = crimes.strata
    idx = np.flatnonzero(s.victim_based[crimes.stratum])
    n = len(idx)
    # The incident each crime was reported through, if any.
    inc_of = np.full(crimes.n, -1, dtype=np.int64)
    if incidents is not None and incidents.num_rows:
        linked = pc.is_valid(incidents["crime_id"])
        crime_ids = incidents["crime_id"].filter(linked)
        pos = pc.index_in(crime_ids, value_set=crimes.ids).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(linked.to_numpy(zero_copy_only=False))
        ok = ~np.isnan(pos.astype(float)) if pos.dtype.kind == "f" else pos >= 0
        inc_of[pos[ok].astype(np.int64)] = rows[ok]
    inc = inc_of[idx]
    via = inc >= 0

    # Channel of first contact: an incident came by 999 (immediate grades mostly) or 101.
    grade = np.full(n, -1, dtype=np.int64)
    levels = {f: np.full(n, -1, dtype=np.int64) for f in THRIVE_FIELDS}
    if incidents is not None and via.any():
        g = pc.index_in(incidents["grade"], value_set=pa.array(GRADES)).to_numpy(
            zero_copy_only=False
        )
        grade[via] = g[inc[via]]
        for f in THRIVE_FIELDS:
            col = pc.index_in(incidents[f"thrive_{f}"], value_set=pa.array(THRIVE_LEVELS))
            levels[f][via] = col.to_numpy(zero_copy_only=False)[inc[via]]
    u = rng.random(n)
    channel = np.where(
        via,
        np.where(grade == 0, np.where(u < 0.85, 0, 1), np.where(u < 0.25, 0, 1)),
        np.select([u < 0.45, u < 0.80], [3, 1], default=4),  # online, 101, in person
    )
    # Crimes not reported through an incident: levels from the victim's risk and a draw.
    risk = crimes.risk[idx]
    severity = np.maximum(risk, 0) * 0.9 + 0.4 * rng.standard_normal(n)
    for f in THRIVE_FIELDS:
        drawn = np.digitize(severity + 0.6 * rng.standard_normal(n), [0.5, 1.4])
        levels[f] = np.where(via, levels[f], drawn)
    grade = np.where(via, grade, np.where(severity > 1.4, 1, np.where(channel == 3, 3, 2)))

    # Completed at first contact: online reports carry a partial assessment more often.
    p_done = np.where(channel == 3, cal.THRIVE_COMPLETED_ONLINE, cal.THRIVE_COMPLETED)
    completed = rng.random(n) < p_done

    # Priority group identified at first contact.
    truth = crimes.priority[idx]
    rel = period.rel_of(crimes.reported_at[idx])
    ident = cal.PRIORITY_IDENTIFIED
    repeat = previous_victimisation(crimes)[idx]
    p = np.select(
        [truth == 1, truth == 2, truth == 3],
        [
            ident["serious_crime"],
            np.where(repeat, ident["persistently_targeted_repeat"], ident["persistently_targeted"]),
            path(cal.VULNERABLE_IDENTIFIED_PATH, rel, crimes.force.storylines),
        ],
        default=0.0,
    )
    p = np.where(completed, p, p * cal.PRIORITY_IDENTIFIED_NOT_COMPLETED)
    hit = rng.random(n) < p
    false_flag = (truth == 0) & (rng.random(n) < ident["false_positive"])
    flagged = np.where(hit, truth, np.where(false_flag, 3, 0))

    assessed = crimes.reported_at[idx] + rng.integers(60, 20 * 60, n)
    keep = (assessed < period.cut) & (assessed >= period.day_seconds[0])
    sel = np.flatnonzero(keep)
    order = sel[np.argsort(assessed[sel], kind="stable")]
    m = len(order)
    not_done = ~completed[order]
    pp = crimes.people
    cols = {
        "assessment_id": C.ids(f"{crimes.force.code}-T", m, 8),
        "assessed_at": C.timestamps(assessed[order]),
        "incident_id": C.take(incidents["incident_id"], inc[order])
        if incidents is not None
        else pa.nulls(m, pa.string()),
        "crime_id": C.take(crimes.ids, idx[order]),
        "victim_id": C.take(crimes.victim_ids, idx[order], pp.victim[idx[order]] < 0),
        "channel": C.labels(FIRST_CONTACT_CHANNELS, channel[order]),
        "completed": C.bools(completed[order]),
        **{
            f: C.labels(THRIVE_LEVELS, np.clip(levels[f][order], 0, 2), not_done)
            for f in THRIVE_FIELDS
        },
        "priority_group": C.labels(PRIORITY_GROUPS, np.maximum(flagged[order], 0)),
        "grade": C.labels(GRADES, np.clip(grade[order], 0, 3)),
        "district": C.labels(crimes.force.district_names, crimes.district[idx[order]]),
    }
    return C.build(THRIVE_ASSESSMENTS, cols, m)
