"""Survey responses: victim satisfaction (sampled from the generated crimes) and community
confidence (a quota sample per district)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from ..store.schema import SURVEY_RESPONSES
from . import calibration as cal
from . import columns as C
from .calendar import DAY, Period, seconds_in_day
from .crimes import Crimes
from .draw import cells, controlled

SAT_GROUPS = tuple(cal.SATISFACTION_QUOTA)
_BURGLARY = ("28E", "28F", "29", "28G", "28H")
# How answers spread over the scale codes within "positive" and "negative". [ASSUMED]
_SAT_POS = (0.25, 0.40, 0.35)  # codes 1, 2, 3
_SAT_NEG = (0.35, 0.30, 0.20, 0.15)  # codes 4..7
_AGREE_POS = (0.30, 0.70)  # codes 1, 2
_AGREE_NEG = (0.40, 0.35, 0.25)  # codes 3..5


def _code(rng, positive: np.ndarray, pos_w, neg_w) -> np.ndarray:
    n = len(positive)
    pos = rng.choice(len(pos_w), size=n, p=np.array(pos_w) / sum(pos_w)) + 1
    neg = rng.choice(len(neg_w), size=n, p=np.array(neg_w) / sum(neg_w)) + 1 + len(pos_w)
    return np.where(positive, pos, neg)


def survey_group(crimes: Crimes) -> np.ndarray:
    """Survey offence group per crime (index into SAT_GROUPS, -1 = not surveyed)."""
    s = crimes.strata
    group = np.array(s.group, dtype=object)
    violent = np.isin(group, ["Violence with injury", "Violence without injury"])
    burglary = s.codes_in(_BURGLARY)
    vehicle = group == "Vehicle offences"
    per_stratum = np.select(
        [s.da, burglary, violent, vehicle],
        [
            SAT_GROUPS.index(g)
            for g in ("domestic abuse", "burglary", "violent crime", "vehicle crime")
        ],
        default=-1,
    )
    g = per_stratum[crimes.stratum]
    return np.where(crimes.hate & s.victim_based[crimes.stratum], SAT_GROUPS.index("hate crime"), g)


def _answers(on: bool) -> Callable[[np.random.Generator, np.ndarray, np.ndarray], np.ndarray]:
    """Controlled rounding with the storylines (so the small survey storylines show in any
    seed); plain Bernoulli draws without them, so a null force has honest sampling noise."""
    if on:
        return controlled
    return lambda rng, p, cell: rng.random(len(p)) < p


def _satisfaction(crimes: Crimes, period: Period, rng: np.random.Generator) -> dict:
    on = crimes.force.storylines
    answer = _answers(on)
    g = survey_group(crimes)
    last = period.rel_of(crimes.recorded_at) >= -11
    per_year = cal.SATISFACTION_PER_YEAR * cal.SATISFACTION_SAMPLING_UPLIFT * crimes.force.scale
    quota = np.array([cal.SATISFACTION_QUOTA[k] for k in SAT_GROUPS]) * per_year
    eligible = np.array([max(((g == k) & last).sum(), 1) for k in range(len(SAT_GROUPS))])
    rate = np.r_[quota / eligible, 0.0]  # index -1 -> 0
    chosen = np.flatnonzero(rng.random(crimes.n) < rate[g])
    # Victims are interviewed six to twelve weeks after the crime was recorded.
    day0 = crimes.recorded_at[chosen] // DAY * DAY
    at = day0 + rng.integers(42, 85, len(chosen)) * DAY + seconds_in_day(rng, len(chosen), "office")
    keep = at < period.cut
    chosen, at, grp = chosen[keep], at[keep], g[chosen][keep]
    rel = period.rel_of(at)
    recent = rel >= -11
    prev_p = np.array([cal.SATISFACTION_OVERALL[k][0] for k in SAT_GROUPS])[grp]
    last_p = np.array([cal.SATISFACTION_OVERALL[k][1] for k in SAT_GROUPS])[grp]
    # Answers are controlled per group and 12-month block ending with the report month, so the
    # rates of the years the report compares sit on their calibrated values.
    block = (rel + 11) // 12
    p_overall = np.where(recent & on, last_p, prev_p)
    overall_pos = answer(rng, p_overall, cells(grp, block, p_overall))
    out = {"overall": _code(rng, overall_pos, _SAT_POS, _SAT_NEG)}
    violent = grp == SAT_GROUPS.index("violent crime")
    for aspect, (p_pos, p_neg) in cal.ASPECTS.items():
        p = np.where(overall_pos, p_pos, p_neg)
        if aspect in cal.RECENT_ASPECT_DROP and on:
            p = np.where(overall_pos & (rel >= -5), p * cal.RECENT_ASPECT_DROP[aspect], p)
        if aspect == "follow_up" and on:
            p = np.where(violent & recent, p * cal.VIOLENT_FOLLOW_UP_DROP, p)
        agree = answer(rng, p, cells(grp, block, overall_pos, p))
        out[aspect] = _code(rng, agree, _SAT_POS, _SAT_NEG)
    return {
        "at": at,
        "district": crimes.district[chosen],
        "crime": chosen,
        "group": grp,
        **out,
    }


def _confidence_p(spec: tuple[int, float, float], rel: np.ndarray, on: bool = True) -> np.ndarray:
    """Where confidence fell, it fell 12 months ago and recovered a little in the last six, so
    the rolling 12-month rate improves recently but stays below the year before (and a fall as
    large as Fenland's is significant year on year, as in the reference report)."""
    _, prev, last = spec
    if not on:
        return np.full(len(rel), prev)
    if last >= prev:
        return np.where(rel >= -16, last, prev)
    return np.select([rel < -12, rel <= -6], [prev, last - 0.03], default=last + 0.03)


def _confidence(crimes: Crimes, period: Period, rng: np.random.Generator) -> dict:
    force = crimes.force
    k = len(force.districts)
    default = (cal.SATISFACTION_PER_YEAR * 0.9 * force.scale / k, 0.58, 0.58)
    specs = [cal.CONFIDENCE.get(d.name, default) for d in force.districts]
    n_month = np.array([s[0] for s in specs]) / 12.0
    # Fieldwork runs to a monthly quota per district (randomly rounded), not a random count.
    quota = np.repeat(n_month[:, None], len(period.months), axis=1)
    counts = np.floor(quota + rng.random(quota.shape)).astype(np.int64)
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    d, m = np.unravel_index(flat, counts.shape)
    n = len(d)
    month_start = period.months.astype("datetime64[s]").astype(np.int64)
    days_in = (period.months + 1).astype("datetime64[D]") - period.months.astype("datetime64[D]")
    day = rng.integers(0, days_in.astype(np.int64)[m])
    at = month_start[m] + day * DAY + seconds_in_day(rng, n, "office")
    rel = period.month_rel[m]
    p = np.zeros(n)
    for j, spec in enumerate(specs):
        sel = d == j
        p[sel] = _confidence_p(spec, rel[sel], force.storylines)
    agree = _answers(force.storylines)(rng, p, cells(d, (rel + 11) // 12, p))
    return {"at": at, "district": d, "confidence": _code(rng, agree, _AGREE_POS, _AGREE_NEG)}


def generate_surveys(crimes: Crimes, period: Period, rng: np.random.Generator) -> pa.Table:
    sat = _satisfaction(crimes, period, rng)
    conf = _confidence(crimes, period, rng)
    n_s, n_c = len(sat["at"]), len(conf["at"])
    at = np.r_[sat["at"], conf["at"]]
    order = np.argsort(at, kind="stable")
    n = n_s + n_c
    is_sat = np.r_[np.ones(n_s, bool), np.zeros(n_c, bool)][order]

    def both(sat_vals, conf_vals):
        return np.r_[sat_vals, conf_vals][order]

    empty = np.zeros(n_c, dtype=np.int64)
    crime_idx = both(sat["crime"], empty)
    cols = {
        "response_id": C.ids(f"{crimes.force.code}-S", n, 7),
        "survey": C.labels(("victim_satisfaction", "community_confidence"), (~is_sat).astype(int)),
        "interviewed_at": C.timestamps(at[order]),
        "district": C.labels(crimes.force.district_names, both(sat["district"], conf["district"])),
        "crime_id": C.take(crimes.ids, crime_idx, ~is_sat),
        "offence_group": C.labels(SAT_GROUPS, both(sat["group"], empty), ~is_sat),
        "confidence": C.ints(both(np.zeros(n_s, np.int64), conf["confidence"]), is_sat),
    }
    for aspect in ("overall", "ease_of_contact", "actions_taken", "follow_up", "treatment"):
        cols[aspect] = C.ints(both(sat[aspect], empty), ~is_sat)
    return C.build(SURVEY_RESPONSES, cols, n)
