"""Crime outcomes: which Home Office outcome type each crime gets, and when.

The probability of a prosecution-possible outcome is a product of the offence group's rate,
the area's factor and the all-crime storyline; domestic abuse and burglary dwelling follow
their own storyline paths. The group rates are scaled so that the last 12 months' eventual
rate equals the Home Office figure. Outcomes assigned after the extraction are left open.
"""

from __future__ import annotations

import numpy as np

from . import calibration as cal
from .calendar import DAY, day_of, path
from .draw import lognormal, pick
from .force import ForceSpec
from .strata import Strata


def positive_probability(strata: Strata, s, area, force: ForceSpec, rel) -> tuple:
    """(p, p_regular, kind): p = P(prosecution possible); p_regular the part drawn from the
    usual type mix (the rest of p is community resolutions); kind 0 other, 1 DA, 2 burglary
    dwelling."""
    base = np.array([cal.POSITIVE_RATE_BY_GROUP[g] for g in strata.group])[s]
    factors = np.array([cal.AREA_POSITIVE_FACTOR.get(a, 1.0) for a in force.areas] + [1.0])
    af = factors[area]  # area -1 ('No location') picks the trailing 1.0
    on = force.storylines
    m = path(cal.ALL_CRIME_POSITIVE_PATH, rel, on)
    da = strata.da[s]
    bd = strata.codes_in(cal.BURGLARY_DWELLING_CODES)[s] & ~da
    kind = np.where(da, 1, np.where(bd, 2, 0))
    fixed = np.where(
        da,
        path(cal.DA_POSITIVE_PATH, rel, on) * af,
        path(cal.BURGLARY_DWELLING_POSITIVE_PATH, rel, on) * af,
    )
    other = kind == 0
    last = rel >= -11
    # Scale the group rates so the last 12 months' eventual rate is the Home Office figure.
    want = cal.TARGET_POSITIVE_RATE * last.sum() - fixed[last & ~other].sum()
    k = want / (base * af * m)[last & other].sum() if (last & other).any() else 1.0
    p_other = base * af * m * k
    p = np.clip(np.where(other, p_other, fixed), 0, 0.95)
    p_regular = np.where(other, np.clip(base * af * np.minimum(m, 1) * k, 0, 0.95), p)
    return p, p_regular, kind


def _types(mix: dict) -> tuple[np.ndarray, np.ndarray]:
    return np.array(list(mix)), np.array(list(mix.values()), dtype=float)


def assign_outcomes(rng, strata: Strata, s, area, force: ForceSpec, rel, recorded):
    """Eventual outcome type and time for every crime (even those after the extraction)."""
    n = len(s)
    p, p_regular, kind = positive_probability(strata, s, area, force, rel)
    u = rng.random(n)
    positive = u < p
    regular = u < p_regular

    pos_keys, pos_w = _types(cal.POSITIVE_TYPE_MIX)
    da_keys, da_w = _types(cal.DA_POSITIVE_TYPE_MIX)
    da_w_full = np.array([da_w[list(da_keys).index(k)] if k in da_keys else 0 for k in pos_keys])
    pos_type = pos_keys[pick(rng, np.vstack([pos_w, da_w_full]), (kind == 1).astype(int))]
    pos_type = np.where(regular, pos_type, 8)  # the rise in the all-crime rate: more CRs

    kinds = ["acquisitive", "person", "society"]
    kind_by_type = cal.NEGATIVE_KIND_BY_TYPE
    kind_of = np.array(
        [kinds.index(kind_by_type.get(t, "acquisitive")) for t in strata.police_uk_type]
    )[s]
    neg_keys = sorted({k for m in cal.NEGATIVE_MIX.values() for k in m})
    neg_w = np.array([[cal.NEGATIVE_MIX[k].get(t, 0) for t in neg_keys] for k in kinds])
    neg_type = np.array(neg_keys)[pick(rng, neg_w, kind_of)]
    diversion = rng.random(n) < cal.DIVERSIONARY_RATE / np.maximum(1 - p, 0.05)
    neg_type = np.where(diversion, 22, neg_type)
    outcome = np.where(positive, pos_type, neg_type)

    # Delays: positives split into custody (0-2 days) and investigated; no-suspect filed fast.
    delay = np.where(
        outcome == 18,
        lognormal(rng, cal.DELAY_NO_SUSPECT[0], cal.DELAY_NO_SUSPECT[1], n),
        lognormal(rng, cal.DELAY_OTHER[0], cal.DELAY_OTHER[1], n),
    )
    invest = lognormal(rng, cal.DELAY_POSITIVE[0], cal.DELAY_POSITIVE[1], n)
    custody = rng.random(n) < cal.CUSTODY_SHARE_OF_POSITIVES
    delay = np.where(positive, np.where(custody, rng.uniform(0.02, 2, n), invest), delay)
    group = np.array(strata.group, dtype=object)
    rape = (group == "Rape offences")[s]
    other_sexual = (group == "Other sexual offences")[s]
    delay = np.where(rape, lognormal(rng, cal.DELAY_RAPE[0], cal.DELAY_RAPE[1], n), delay)
    delay = np.where(other_sexual, lognormal(rng, *cal.DELAY_SEXUAL, n), delay)
    at = recorded + np.maximum((delay * DAY).astype(np.int64), 600)
    # Outcome 22 exists only from January 2019: earlier it was recorded as 21.
    outcome = np.where((outcome == 22) & (at < day_of(cal.DIVERSIONARY_FROM)), 21, outcome)
    return outcome.astype(np.int64), at
