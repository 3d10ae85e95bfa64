"""Completed case audits for the demo: the VCOP compliance audit (30 victim-based crimes a
quarter) and the Domestic Abuse Scrutiny Group (30 domestic abuse crimes and 5 stalking
investigations a month), from April 2018; the VCOP quarter ending with the extract is audited
after it (left for ``forcestat audit sample`` to draw).

Cases are drawn as ``forcestat audit sample`` draws them (``store.audit_sample.draw``:
proportional, controlled rounding). Answers follow the records where the records say it: the
needs assessment and priority identification from the THRIVE assessment, timely updates and
key decisions from the Victims Code contacts, safeguarding referrals from the MARAC referral;
the rest from assumed compliance rates. Storyline: release under investigation gives way to
bail in domestic abuse cases over the last 12 months (BOARD 6.1.5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..store.audit_sample import STALKING_CODES, draw
from ..store.audit_schemes import load_schemes
from ..store.schema import AUDITS, PRIORITY_GROUPS
from . import calibration as cal
from . import columns as C
from .calendar import Period, path
from .crimes import Crimes

AUDITORS = ("Auditor A", "Auditor B", "Auditor C", "Auditor D")


def _months(period: Period, step: int, last_audited: bool) -> list[int]:
    """Indices into period.months of the last month of each sampled period from
    ``cal.AUDITS_FROM`` to the end; without ``last_audited``, to the period before the one
    holding the last month (audited after the extract, left for ``forcestat audit sample``)."""
    first = int((np.datetime64(cal.AUDITS_FROM, "M") - period.start).astype(np.int64))
    last = len(period.months) - 1
    stop = last + 1 if last_audited else last - step + 1
    ends = [i for i in range(stop) if i >= first + step - 1]
    return [i for i in ends if (i - (first + step - 1)) % step == 0]


def _frame(crimes: Crimes, idx: np.ndarray) -> pd.DataFrame:
    s = crimes.strata
    groups = np.array(s.group, dtype=object)[crimes.stratum[idx]]
    names = np.array(crimes.force.district_names, dtype=object)
    return pd.DataFrame(
        {
            "case_id": np.asarray(crimes.ids.take(pa.array(idx)).to_pylist(), dtype=object),
            "pos": idx,
            "offence_group": groups,
            "district": names[crimes.district[idx]],
        }
    )


def _by_crime(table: pa.Table | None, cases: pd.DataFrame) -> pd.DataFrame | None:
    """The rows of ``table`` about the audited crimes, with each crime's position (``pos``):
    the table is cut down in Arrow first (the contacts are 800,000 rows, the cases a few
    thousand)."""
    if table is None:
        return None
    ids = pa.array(cases["case_id"].tolist(), pa.string())
    df = table.filter(pc.is_in(table["crime_id"], value_set=ids)).to_pandas()
    pos = dict(zip(cases["case_id"], cases["pos"], strict=True))
    df["pos"] = df["crime_id"].map(pos).astype("int64")
    return df


def generate_audits(
    crimes: Crimes,
    period: Period,
    rng: np.random.Generator,
    thrive: pa.Table | None,
    contacts: pa.Table | None,
    safeguarding: pa.Table | None,
) -> pa.Table:
    schemes = load_schemes()
    vcop, da = schemes.get("vcop"), schemes.get("da_scrutiny")
    s = crimes.strata
    vb = s.victim_based[crimes.stratum]
    is_da = s.da[crimes.stratum]
    stalking = s.codes_in(STALKING_CODES)[crimes.stratum]
    month = period.month_index_of(crimes.recorded_at)
    rows: list[pd.DataFrame] = []
    # The quarter ending with the extract is audited after it (the demo leaves it for
    # `forcestat audit sample`); the month's scrutiny reviews are done within the month.
    for scheme, step, last, pops in (
        (vcop, 3, False, {"crime": vb}),
        (da, 1, True, {"crime": is_da, "stalking": stalking}),
    ):
        for end in _months(period, step, last):
            in_period = (month > end - step) & (month <= end)
            taken: set[str] = set()
            for sample in scheme.samples:
                if sample.case_type not in pops:
                    continue  # no court case reviews yet (a plan in May 2020)
                pool = _frame(crimes, np.flatnonzero(pops[sample.case_type] & in_period))
                pool = pool[~pool["case_id"].isin(taken)]
                got = draw(pool, sample.size, list(sample.stratify), rng)
                taken |= set(got["case_id"])
                got["case_type"] = sample.case_type
                got["scheme"] = scheme.id
                got["end"] = end
                rows.append(got)
    cases = pd.concat(rows, ignore_index=True)
    answers = _answers(cases, crimes, period, rng, schemes, thrive, contacts, safeguarding)
    return answers


def _answers(cases, crimes, period, rng, schemes, thrive, contacts, safeguarding) -> pa.Table:
    n_cases = len(cases)
    pos = cases["pos"].to_numpy()
    last_day = (period.months[cases["end"].to_numpy()] + 1).astype("datetime64[D]") - 1
    month_end = last_day.tolist()
    audited = (last_day - rng.integers(0, 10, n_cases)).tolist()
    auditor = np.array(AUDITORS, dtype=object)[rng.integers(0, len(AUDITORS), n_cases)]
    outcome = crimes.outcome_type[pos]
    risk = crimes.risk[pos]
    cut = period.cut
    rel = (cases["end"].to_numpy() - (len(period.months) - 1)).astype(float)

    th = _by_crime(thrive, cases)
    completed = np.ones(n_cases, dtype=bool)
    identified_right = np.ones(n_cases, dtype=bool)
    if th is not None:
        t = th.drop_duplicates("pos").set_index("pos")
        completed = t["completed"].reindex(pos).fillna(False).to_numpy(dtype=bool)
        truth = crimes.priority[pos]
        flagged = (
            t["priority_group"].reindex(pos).map({g: i for i, g in enumerate(PRIORITY_GROUPS)})
        )
        identified_right = flagged.fillna(-1).to_numpy() == truth
    updates_ok = np.full(n_cases, -1)  # -1 none due, 0 late or missed, 1 all on time
    key_ok = np.full(n_cases, -1)
    final_made = np.zeros(n_cases, dtype=bool)
    ct = _by_crime(contacts, cases)
    if ct is not None:
        ct = ct[ct["pos"].isin(set(pos))]
        on_time = ct["made_at"].notna() & (ct["made_at"] <= ct["due_at"])
        ct = ct.assign(on_time=on_time, made=ct["made_at"].notna())
        upd = ct[ct["contact_type"] == "update"].groupby("pos")["on_time"].all()
        key = ct[ct["contact_type"].isin(["key_event", "outcome"])].groupby("pos")
        updates_ok = upd.reindex(pos).map({True: 1, False: 0}).fillna(-1).to_numpy()
        key_ok = key["on_time"].all().reindex(pos).map({True: 1, False: 0}).fillna(-1).to_numpy()
        final_made = key["made"].any().reindex(pos).fillna(False).to_numpy(dtype=bool)
    marac = np.zeros(n_cases, dtype=bool)
    sg = _by_crime(safeguarding, cases)
    if sg is not None:
        m = set(sg.loc[sg["kind"] == "marac", "pos"])
        marac = np.array([p in m for p in pos])

    def yes(p) -> np.ndarray:
        return rng.random(n_cases) < p

    def noisy(truth: np.ndarray) -> np.ndarray:
        # Auditors read the record; a few disagree with it.
        flip = rng.random(n_cases) < cal.AUDIT_DISAGREE
        return np.where(flip, ~truth, truth)

    def yn(b: np.ndarray) -> np.ndarray:
        return np.where(b, "yes", "no").astype(object)

    closed = (outcome > 0) & (crimes.outcome_at[pos] < cut)
    a = cal.AUDIT_RATES
    answers: dict[str, np.ndarray] = {
        # VCOP
        "needs_assessment": yn(noisy(completed)),
        "priority_identified": yn(noisy(identified_right)),
        "written_acknowledgement": yn(yes(a["written_acknowledgement"])),
        "support_referral": np.where(
            yes(a["support_declined"]), "declined", yn(yes(a["support_referral"]))
        ).astype(object),
        "update_frequency_agreed": yn(yes(a["update_frequency_agreed"])),
        "updates_timely": np.where(updates_ok < 0, "n_a", yn(noisy(updates_ok == 1))),
        "key_decisions_informed": np.where(key_ok < 0, "n_a", yn(noisy(key_ok == 1))),
        "vps_offered": np.where(outcome == 1, yn(yes(a["vps_offered"])), "n_a"),
        "outcome_explained": np.where(closed, yn(noisy(final_made)), "n_a"),
    }
    # Domestic abuse scrutiny.
    arrest_p = np.where(risk == 2, a["positive_action_high"], a["positive_action"])
    arrested = yes(arrest_p)
    rui_p = path(cal.RUI_SHARE_PATH, rel, crimes.force.storylines)
    u = rng.random(n_cases)
    managed = np.select(
        [
            u < a["remanded"],
            u < a["remanded"] + a["released_nfa"],
            u < a["remanded"] + a["released_nfa"] + rui_p * (1 - a["remanded"] - a["released_nfa"]),
        ],
        ["remanded", "released_nfa", "rui"],
        default="bail",
    ).astype(object)
    answers |= {
        "positive_action": yn(arrested),
        "suspect_management": np.where(arrested, managed, "n_a"),
        "risk_assessment": yn(yes(a["risk_assessment"])),
        "safeguarding_referrals": np.where(
            risk == 2, yn(noisy(marac)), np.where(yes(0.5), "n_a", yn(yes(a["safeguarding"])))
        ),
        "protective_order_considered": np.where(
            yes(a["protective_na"]), "n_a", yn(yes(a["protective_order"]))
        ),
        "victim_updated": yn(yes(a["victim_updated"])),
        "supervisory_review": yn(yes(a["supervisory_review"])),
    }
    out: dict[str, list] = {c: [] for c in AUDITS.column_names}
    case_ids = cases["case_id"].tolist()
    ctypes = cases["case_type"].tolist()
    groups = cases["offence_group"].tolist()
    districts = cases["district"].tolist()
    schemes_of = cases["scheme"].to_numpy()
    for scheme in schemes.schemes:
        mine = np.flatnonzero(schemes_of == scheme.id).tolist()
        for q in scheme.questions:
            given = answers.get(q.id)
            if given is None:
                continue
            for i in mine:
                if ctypes[i] not in q.applies_to:
                    continue
                ans = str(given[i])
                out["scheme"].append(scheme.id)
                out["case_id"].append(case_ids[i])
                out["case_type"].append(ctypes[i])
                out["crime_id"].append(case_ids[i])
                out["period_end"].append(month_end[i])
                out["auditor"].append(auditor[i])
                out["audited_at"].append(audited[i])
                out["question"].append(q.id)
                out["answer"].append(ans)
                out["compliant"].append(q.compliant_of(ans))
                out["offence_group"].append(groups[i])
                out["district"].append(districts[i])
    n = len(out["scheme"])
    cols = {k: pa.array(v, type=C.ARROW_TYPES[AUDITS.column(k).type]) for k, v in out.items() if v}
    return C.build(AUDITS, cols, n)
