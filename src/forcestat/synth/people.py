"""Victims and suspects: a stable pseudonymous id for each, with realistic repeats.

Repeat victimisation and offending are "power few" processes: a small share of victims and
offenders accounts for a large share of crime and harm. Each crime of a kind (domestic abuse,
other crime against a person, shoplifting against a business) and district is, with the kind's
repeat probability, against someone already victimised: the victim of an earlier crime picked
at a recency-weighted random time before it (mean lag ``tau`` days). Picking an earlier *crime*
at random picks a victim in proportion to their crimes so far (preferential attachment), which
is what gives the heavy tail; the lag makes repeats cluster in time, as they do. Suspects of
crimes with an identified suspect follow the same process, except that a domestic abuse
victim's suspect is their abuser, the same across their repeats.

Drawn from their own stream after the crimes, so no other table's numbers change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import calibration as cal
from .calendar import DAY

ACQUISITIVE_TYPES = frozenset(
    {
        "Burglary",
        "Vehicle crime",
        "Other theft",
        "Shoplifting",
        "Bicycle theft",
        "Theft from the person",
        "Robbery",
    }
)

# Outcome types that mean no suspect was identified (14: evidential difficulties, suspect not
# identified; 18: investigation complete, no suspect identified).
NO_SUSPECT_OUTCOMES = (14, 18)


@dataclass
class People:
    """Per crime: index of its victim (-1: none) and suspect (-1: none identified); victims
    of shoplifting are businesses (``business`` True), numbered apart."""

    victim: np.ndarray
    business: np.ndarray
    suspect: np.ndarray
    n_persons: int
    n_businesses: int
    n_suspects: int


def _roots(parent: np.ndarray) -> np.ndarray:
    """Follow parent pointers to the first crime of each chain (pointer jumping)."""
    root = parent.copy()
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt


def repeat_chains(
    times: np.ndarray,
    group: np.ndarray,
    repeat_p: np.ndarray,
    tau_days: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """For crimes at ``times`` (epoch seconds), each in a ``group`` (kind x district), the index
    of the first crime of the same person: a crime repeats (with its group's ``repeat_p``) the
    person of the latest earlier crime of its group before a time ``Exp(tau)`` days back;
    otherwise, or when there is none, it starts a new person. Returns each crime's root."""
    n = len(times)
    parent = np.arange(n)
    if n == 0:
        return parent
    order = np.lexsort((np.arange(n), times, group))
    g, t = group[order], times[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    first_of = np.repeat(starts, np.diff(np.r_[starts, n]))
    back = rng.exponential(1.0, n) * tau_days[g] * DAY
    wants = rng.random(n) < repeat_p[g]
    # The latest crime of the same group at or before t - back (positions in ``order``).
    key = g.astype(np.float64) * 1e12 + t.astype(np.float64)
    target = g.astype(np.float64) * 1e12 + (t - back)
    pos = np.searchsorted(key, target, side="right") - 1
    ok = wants & (pos >= first_of) & (pos < np.arange(n))
    sorted_parent = np.arange(n)
    sorted_parent[ok] = pos[ok]
    root_sorted = _roots(sorted_parent)
    parent[order] = order[root_sorted]
    return parent


def _numbered(roots: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense person numbers 0..k-1 (in order of first crime) for the crimes in ``mask``."""
    out = np.full(len(roots), -1, dtype=np.int64)
    if not mask.any():
        return out, 0
    uniq, inv = np.unique(roots[mask], return_inverse=True)
    out[mask] = inv
    return out, len(uniq)


def assign_people(crimes, rng: np.random.Generator) -> People:
    s = crimes.strata
    st = crimes.stratum
    n = crimes.n
    vb = s.victim_based[st]
    da = s.da[st]
    shop = np.array([t == "Shoplifting" for t in s.police_uk_type])[st]
    n_d = len(crimes.force.district_names) + 1
    district = np.asarray(crimes.district, dtype=np.int64)

    # Victims: kinds 0 person, 1 domestic abuse, 2 business (shoplifting).
    kind = np.where(shop, 2, np.where(da, 1, 0))
    spec = cal.VICTIM_REPEATS
    names = ("person", "domestic_abuse", "business")
    rp = np.array([spec[k][0] for k in names], dtype=float)
    tau = np.array([spec[k][1] for k in names], dtype=float)
    group = kind * n_d + district
    roots = repeat_chains(crimes.recorded_at, group, np.repeat(rp, n_d), np.repeat(tau, n_d), rng)
    victim, n_persons = _numbered(roots, vb & ~shop)
    business, n_businesses = _numbered(roots, vb & shop)
    victim = np.where(shop, business, victim)

    # Suspects: identified unless the outcome the crime has, or will have, says none was; so an
    # open crime's suspect is known as it will be (suspects are mostly named early), and the
    # last months do not differ from earlier ones in who has a suspect.
    outcome = crimes.outcome_type if crimes.eventual_type is None else crimes.eventual_type
    known = ~np.isin(outcome, NO_SUSPECT_OUTCOMES)
    # Acquisitive, violent/sexual and other crime offend apart; DA suspects follow the victim.
    acquisitive = np.array([t in ACQUISITIVE_TYPES for t in s.police_uk_type])[st]
    skind = np.where(acquisitive, 0, np.where(vb, 1, 2))
    sspec = cal.SUSPECT_REPEATS
    snames = ("acquisitive", "violent_or_other_victim", "society")
    srp = np.array([sspec[k][0] for k in snames], dtype=float)
    stau = np.array([sspec[k][1] for k in snames], dtype=float)
    sgroup = skind * n_d + district
    other = known & ~da
    sroots = np.arange(n)
    idx = np.flatnonzero(other)
    if idx.size:
        r = repeat_chains(
            crimes.recorded_at[idx], sgroup[idx], np.repeat(srp, n_d), np.repeat(stau, n_d), rng
        )
        sroots[idx] = idx[r]
    # A DA victim's abuser: one per victim; some abusers have several victims over the years
    # (a new victim's abuser is, with DA_SERIAL_ABUSER, the abuser of an earlier victim).
    dai = np.flatnonzero(known & da)
    if dai.size:
        vroot = roots[dai]
        firsts = np.unique(vroot)  # a victim's first DA crime stands for the victim
        fr = repeat_chains(
            crimes.recorded_at[firsts],
            district[firsts],
            np.full(n_d, cal.DA_SERIAL_ABUSER),
            np.full(n_d, cal.DA_SERIAL_ABUSER_TAU_DAYS),
            rng,
        )
        abuser_of = dict(zip(firsts.tolist(), firsts[fr].tolist(), strict=True))
        sroots[dai] = np.array([abuser_of[v] for v in vroot.tolist()], dtype=np.int64)
    suspect, n_suspects = _numbered(sroots, known)
    return People(victim, shop & vb, suspect, n_persons, n_businesses, n_suspects)
