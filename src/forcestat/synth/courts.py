"""Court cases of charged crimes: the victim's journey from charge to finalisation.

Every crime charged by the extract (outcome type 1) becomes a case: to the Crown Court when
its harm weight is high (or by election), else the magistrates'. A first hearing follows the
charge (next day in custody, weeks later by postal requisition); a guilty plea there ends the
case (Crown: sentence a few weeks later); some cases are discontinued before trial; the rest
are listed for trial, which goes ahead (effective), ends on the day without one (cracked: a
late plea or the prosecution dropped) or is adjourned (ineffective) and relisted. Domestic
abuse trials crack more often. Trials listed from 23 March 2020 were mostly adjourned (the
lockdown). Events after the extract are left empty.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ..store.schema import COURT_CASES, COURT_RESULTS, COURTS, TRIAL_OUTCOMES
from . import calibration as cal
from . import columns as C
from .calendar import DAY, Period, day_of
from .crimes import Crimes

LOCKDOWN_TRIALS_FROM = "2020-03-23"


def _days(rng: np.random.Generator, lo_hi: tuple[int, int], n: int) -> np.ndarray:
    lo, hi = lo_hi
    return rng.integers(lo * DAY, hi * DAY + 1, n)


def generate_courts(crimes: Crimes, period: Period, rng: np.random.Generator) -> pa.Table:
    s = crimes.strata
    idx = np.flatnonzero(crimes.outcome_type == 1)
    n = len(idx)
    charged = crimes.outcome_at[idx]
    da = s.da[crimes.stratum[idx]]
    harm = np.nan_to_num(s.cchi_days[crimes.stratum[idx]])
    crown = (harm >= cal.CROWN_CCHI_DAYS) | (rng.random(n) < cal.CROWN_ELECTION)
    court = crown.astype(np.int64)  # index into COURTS

    custody = rng.random(n) < cal.FIRST_HEARING_CUSTODY
    first = charged + np.where(
        custody,
        _days(rng, cal.FIRST_HEARING_DAYS["custody"], n),
        _days(rng, cal.FIRST_HEARING_DAYS["postal"], n),
    )
    p_plea = np.where(crown, cal.GUILTY_PLEA_FIRST["crown"], cal.GUILTY_PLEA_FIRST["magistrates"])
    u = rng.random(n)
    plea = u < p_plea
    discontinued = ~plea & (u < p_plea + (1 - p_plea) * cal.DISCONTINUED_BEFORE_TRIAL)
    to_trial = ~plea & ~discontinued

    listed = first + np.where(
        crown,
        _days(rng, cal.TRIAL_LISTED_DAYS["crown"], n),
        _days(rng, cal.TRIAL_LISTED_DAYS["magistrates"], n),
    )
    probs = np.where(da[:, None], cal.TRIAL_OUTCOMES["da"], cal.TRIAL_OUTCOMES["other"])
    outcome = (rng.random(n)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1).clip(0, 2)
    lockdown = listed >= day_of(LOCKDOWN_TRIALS_FROM)
    if crimes.force.storylines:
        adjourned = lockdown & (rng.random(n) < cal.TRIAL_LOCKDOWN_INEFFECTIVE)
        outcome = np.where(adjourned, 2, outcome)
    # An ineffective trial is relisted once; the relisted trial goes ahead or cracks.
    relisted = listed + _days(rng, cal.RELIST_DAYS, n)
    second_cracks = rng.random(n) < 0.35
    trial_day = np.where(outcome == 2, relisted, listed)
    final_outcome = np.where(outcome == 2, np.where(second_cracks, 1, 0), outcome)

    p_drop = np.where(da, cal.CRACKED_DISCONTINUED["da"], cal.CRACKED_DISCONTINUED["other"])
    convicted = rng.random(n) < cal.CONVICTED_AFTER_TRIAL
    cracked_drop = rng.random(n) < p_drop
    result = np.select(
        [
            plea,
            discontinued,
            final_outcome == 0,
            final_outcome == 1,
        ],
        [
            COURT_RESULTS.index("guilty_plea"),
            COURT_RESULTS.index("discontinued"),
            np.where(
                convicted,
                COURT_RESULTS.index("convicted_after_trial"),
                COURT_RESULTS.index("acquitted"),
            ),
            np.where(
                cracked_drop,
                COURT_RESULTS.index("discontinued"),
                COURT_RESULTS.index("guilty_plea"),
            ),
        ],
    )
    sentence = _days(rng, cal.CROWN_SENTENCE_DAYS, n)
    finalised = np.select(
        [plea, discontinued],
        [first + np.where(crown, sentence, 0), first + _days(rng, (20, 90), n)],
        default=trial_day + np.where(crown & np.isin(result, (0, 1)), sentence, 0),
    )
    finalised = np.where(discontinued, np.minimum(finalised, listed - DAY), finalised)

    cut = period.cut
    no_first = first >= cut
    no_trial = ~to_trial
    outcome_unknown = no_trial | (listed >= cut)
    not_final = finalised >= cut
    order = np.argsort(charged, kind="stable")
    pp = crimes.people
    cols = {
        "case_id": C.ids(f"{crimes.force.code}-K", n, 7),
        "crime_id": C.take(crimes.ids, idx[order]),
        "victim_id": C.take(crimes.victim_ids, idx[order], pp.victim[idx[order]] < 0),
        "charged_at": C.timestamps(charged[order]),
        "court": C.labels(COURTS, court[order]),
        "first_hearing_at": C.timestamps(first[order], no_first[order]),
        "trial_listed_at": C.timestamps(listed[order], no_trial[order] | no_first[order]),
        "trial_outcome": C.labels(TRIAL_OUTCOMES, outcome[order], outcome_unknown[order]),
        "finalised_at": C.timestamps(finalised[order], not_final[order]),
        "result": C.labels(COURT_RESULTS, result[order], not_final[order]),
        "district": C.labels(crimes.force.district_names, crimes.district[idx[order]]),
    }
    return C.build(COURT_CASES, cols, n)
