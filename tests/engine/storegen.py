"""A small hand-built store for the engine tests: every canonical table, random but seeded.

The synthetic force generator (``forcestat.synth``) builds the demo store; this builder is
deliberately independent of it so the engine's tests do not move when the demo's storylines do,
and it is small enough to build in well under a second.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from forcestat.store.schema import CANONICAL
from forcestat.store.store import open_store, reference_path

INCIDENT_TYPES = ("domestic", "concern_for_safety", "violence", "theft")
SURVEY_GROUPS = ("burglary", "violent crime", "hate crime", "domestic abuse")


def _ref(name: str) -> list[dict[str, str]]:
    with open(reference_path(name), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _times(rng: np.random.Generator, months: np.ndarray) -> pd.Series:
    """A random time within each month index (year * 12 + month - 1)."""
    starts = pd.to_datetime(
        {"year": months // 12, "month": months % 12 + 1, "day": np.ones_like(months)}
    )
    days = starts.dt.days_in_month.to_numpy()
    secs = (rng.random(months.size) * days * 86400).astype("int64")
    return (starts + pd.to_timedelta(secs, unit="s")).dt.floor("s")


def _months(rng: np.random.Generator, first: int, last: int, per_month: float, trend: float):
    """Month index of each record: Poisson counts per month with a gentle linear trend."""
    idx = np.arange(first, last + 1)
    lam = per_month * (1.0 + trend * (idx - first) / max(1, last - first))
    return np.repeat(idx, rng.poisson(lam))


def frames(start: str = "2016-04", end: str = "2020-03", seed: int = 0, scale: float = 1.0):
    """The canonical tables as DataFrames (no lineage columns)."""
    rng = np.random.default_rng(seed)
    y0, m0 = map(int, start.split("-"))
    y1, m1 = map(int, end.split("-"))
    first, last = y0 * 12 + m0 - 1, y1 * 12 + m1 - 1
    geo = _ref("geography")
    districts = np.array([g["district"] + "" for g in geo] + ["No location"])
    dprob = np.array([float(g["population"]) for g in geo] + [30000.0])
    dprob /= dprob.sum()
    codes = _ref("offence_codes")
    code_ids = np.array([c["offence_code"] for c in codes])
    code_group = {c["offence_code"]: c["offence_group"] for c in codes}
    code_vb = {c["offence_code"]: c["victim_based"] == "true" for c in codes}
    code_cchi = {c["offence_code"]: float(c["cchi_days"] or "nan") for c in codes}
    out: dict[str, pd.DataFrame] = {}

    # crimes
    mon = _months(rng, first, last, 220 * scale, 0.15)
    n = mon.size
    reported = _times(rng, mon)
    recorded = reported + pd.to_timedelta(rng.exponential(14, n) * 3600, unit="s").round("s")
    code = rng.choice(code_ids, n)
    # Outcome types 1-22: about a quarter prosecution possible (1-4, 6-8).
    weights = np.r_[[0.12, 0.01, 0.02, 0.01, 0.005, 0.02, 0.02, 0.06], [0.0475] * 14]
    outcome = rng.choice(np.arange(1, 23), n, p=weights / weights.sum())
    open_ = rng.random(n) < 0.1
    outcome_at = recorded + pd.to_timedelta(rng.exponential(40, n) * 86400, unit="s").round("s")
    crimes = pd.DataFrame(
        {
            "crime_id": [f"C{i:07d}" for i in range(n)],
            "reported_at": reported,
            "recorded_at": recorded,
            "offence_code": code,
            "offence_group": [code_group[c] for c in code],
            "victim_based": [code_vb[c] for c in code],
            "cchi_days": [code_cchi[c] for c in code],
            "district": rng.choice(districts, n, p=dprob),
            "domestic_abuse": rng.random(n) < 0.15,
            "hate": rng.random(n) < 0.03,
            "child_sexual_abuse": rng.random(n) < 0.03,
            "child_sexual_exploitation": rng.random(n) < 0.01,
            "knife": rng.random(n) < 0.02,
            "victim_age_group": rng.choice(
                ["0-12", "13-15", "16-17", "18-24", "25-39", "40-59", "60+", "unknown"], n
            ),
            "victim_priority_group": rng.choice(
                ["none", "serious_crime", "persistently_targeted", "vulnerable_or_intimidated"],
                n,
                p=[0.7, 0.1, 0.1, 0.1],
            ),
            "risk_level": rng.choice(["standard", "medium", "high"], n),
            "outcome_type": pd.array(np.where(open_, pd.NA, outcome), dtype="Int64"),
            "outcome_at": outcome_at.where(~open_),
            "supervisory_unit": rng.choice(["CID North", "CID South", "IMU"], n),
            "updated_at": pd.Timestamp("2020-04-05"),
        }
    )
    # Outcomes cannot be assigned after the extract.
    late = crimes["outcome_at"] > pd.Timestamp(f"{end}-28")
    crimes.loc[late, "outcome_at"] = pd.NaT
    crimes.loc[late, "outcome_type"] = pd.NA
    out["crimes"] = crimes

    # incidents
    mon = _months(rng, first, last, 180 * scale, 0.1)
    n = mon.size
    created = _times(rng, mon)
    grade = rng.choice(["immediate", "prompt", "standard", "scheduled"], n, p=[0.3, 0.4, 0.2, 0.1])
    minutes = np.where(grade == "immediate", rng.gamma(3, 4, n), rng.gamma(3, 25, n))
    attended = rng.random(n) < 0.9
    arrival = (created + pd.to_timedelta(minutes * 60, unit="s").round("s")).where(attended)
    out["incidents"] = pd.DataFrame(
        {
            "incident_id": [f"I{i:07d}" for i in range(n)],
            "created_at": created,
            "grade": grade,
            "incident_type": rng.choice(INCIDENT_TYPES, n),
            "district": rng.choice(districts, n, p=dprob),
            "first_arrival_at": arrival,
            "resource_unavailable": rng.random(n) < 0.2,
            "crime_id": None,
            "updated_at": pd.Timestamp("2020-04-05"),
        }
    )

    # calls
    mon = _months(rng, first, last, 300 * scale, 0.0)
    n = mon.size
    received = _times(rng, mon)
    abandoned = rng.random(n) < 0.08
    wait = rng.gamma(2, 60, n).astype("int64")
    out["calls"] = pd.DataFrame(
        {
            "call_id": [f"K{i:07d}" for i in range(n)],
            "received_at": received,
            "channel": rng.choice(
                ["999", "101", "webchat", "online_report"], n, p=[0.3, 0.5, 0.1, 0.1]
            ),
            "answered_at": (received + pd.to_timedelta(wait, unit="s")).where(~abandoned),
            "abandoned": abandoned,
            "wait_seconds": wait,
        }
    )

    # survey responses (weights: some missing = 1)
    mon = _months(rng, first, last, 60 * scale, 0.0)
    n = mon.size
    survey = rng.choice(["victim_satisfaction", "community_confidence"], n)
    vs = survey == "victim_satisfaction"

    def answers(k: int, p_good: float) -> np.ndarray:
        good = rng.random(n) < p_good
        return np.where(good, rng.integers(1, 4, n), rng.integers(4, k + 1, n))

    weight = np.where(rng.random(n) < 0.3, np.nan, rng.uniform(0.5, 2.0, n))
    out["survey_responses"] = pd.DataFrame(
        {
            "response_id": [f"S{i:07d}" for i in range(n)],
            "survey": survey,
            "interviewed_at": _times(rng, mon),
            "district": rng.choice(districts[:-1], n),
            "crime_id": None,
            "offence_group": np.where(vs, rng.choice(SURVEY_GROUPS, n), None),
            "overall": pd.array(np.where(vs, answers(7, 0.77), pd.NA), dtype="Int64"),
            "ease_of_contact": pd.array(np.where(vs, answers(7, 0.9), pd.NA), dtype="Int64"),
            "actions_taken": pd.array(np.where(vs, answers(7, 0.75), pd.NA), dtype="Int64"),
            "follow_up": pd.array(np.where(vs, answers(7, 0.6), pd.NA), dtype="Int64"),
            "treatment": pd.array(np.where(vs, answers(7, 0.9), pd.NA), dtype="Int64"),
            "confidence": pd.array(
                np.where(
                    ~vs,
                    np.where(rng.random(n) < 0.56, rng.integers(1, 3, n), rng.integers(3, 6, n)),
                    pd.NA,
                ),
                dtype="Int64",
            ),
            "weight": weight,
        }
    )

    # victim contacts
    sample = crimes.sample(frac=0.4, random_state=seed)
    n = len(sample)
    due = sample["recorded_at"].reset_index(drop=True) + pd.to_timedelta(
        rng.integers(1, 10, n), unit="D"
    )
    made_offset = pd.to_timedelta(rng.normal(-1, 2, n) * 86400, unit="s").round("s")
    out["victim_contacts"] = pd.DataFrame(
        {
            "contact_id": [f"V{i:07d}" for i in range(n)],
            "crime_id": sample["crime_id"].to_numpy(),
            "due_at": due,
            "made_at": (due + made_offset).where(rng.random(n) < 0.9),
            "contact_type": rng.choice(["initial", "update", "key_event", "outcome"], n),
            "district": sample["district"].to_numpy(),
        }
    )

    # referrals: about a fifth of victim-based crimes to the hub, a few DA Alliance
    vb = crimes[crimes["victim_based"]]
    hub = vb.sample(frac=0.21, random_state=seed + 1)
    da = crimes[crimes["domestic_abuse"]].sample(frac=0.05, random_state=seed + 2)
    ref = pd.concat([hub.assign(service="victim_witness_hub"), da.assign(service="da_alliance")])
    n = len(ref)
    out["referrals"] = pd.DataFrame(
        {
            "referral_id": [f"R{i:07d}" for i in range(n)],
            "crime_id": ref["crime_id"].to_numpy(),
            "service": ref["service"].to_numpy(),
            "referred_at": (ref["recorded_at"] + pd.Timedelta(days=1)).to_numpy(),
            "result": None,
            "district": ref["district"].to_numpy(),
        }
    )

    # civil orders
    mon = _months(rng, first, last, 6 * scale, 0.3)
    n = mon.size
    applied = _times(rng, mon)
    decided = (applied + pd.to_timedelta(rng.integers(1, 40, n), unit="D")).where(
        rng.random(n) < 0.8
    )
    decided = decided.where(decided <= pd.Timestamp(f"{end}-28"))
    out["civil_orders"] = pd.DataFrame(
        {
            "order_id": [f"O{i:06d}" for i in range(n)],
            "order_type": rng.choice(["SPO", "DVPN", "DVPO", "SHPO", "NMO"], n),
            "applied_at": applied,
            "decided_at": decided,
            "granted": pd.array(
                np.where(decided.notna(), rng.random(n) < 0.8, pd.NA), dtype="boolean"
            ),
            "district": rng.choice(districts[:-1], n),
            "referral_id": None,
        }
    )

    # missing persons
    mon = _months(rng, first, last, 40 * scale, 0.2)
    n = mon.size
    age = rng.integers(8, 70, n)
    child = age < 18
    out["missing_persons"] = pd.DataFrame(
        {
            "report_id": [f"M{i:06d}" for i in range(n)],
            "reported_at": _times(rng, mon),
            "age": age,
            "in_care": pd.array(np.where(child, rng.random(n) < 0.3, False), dtype="boolean"),
            "from_childrens_home": child & (rng.random(n) < 0.15),
            "district": rng.choice(districts, n, p=dprob),
        }
    )

    # workload snapshots: one row per unit per day
    days = pd.date_range(f"{start}-01", pd.Timestamp(f"{end}-01") + pd.offsets.MonthEnd(0))
    rows = []
    for unit, base in (("IMU", 300), ("CID North", 900), ("CID South", 800)):
        level = base + np.cumsum(rng.normal(0, 5, days.size))
        rows.append(
            pd.DataFrame(
                {
                    "snapshot_date": days.date,
                    "unit": unit,
                    "awaiting_qa": np.maximum(0, level * 0.2).astype("int64"),
                    "awaiting_closure": np.maximum(0, level * 0.1).astype("int64"),
                    "live_investigations": np.maximum(0, level).astype("int64"),
                }
            )
        )
    out["workload_snapshots"] = pd.concat(rows, ignore_index=True)
    _victims_tables(out, np.random.default_rng(seed + 100), end)
    return out


def _victims_tables(out: dict[str, pd.DataFrame], rng: np.random.Generator, end: str) -> None:
    """Victim and suspect references on crimes and the victims tables (THRIVE, safeguarding
    referrals, court cases, audits), from a stream of their own so the tables above do not
    move."""
    crimes = out["crimes"]
    n = len(crimes)
    # A pool smaller than the crimes: victims recur (about a fifth of crimes are repeats).
    crimes["victim_id"] = np.where(
        crimes["victim_based"], [f"V{i:06d}" for i in rng.integers(0, int(n * 0.8), n)], None
    )
    crimes["suspect_id"] = np.where(
        rng.random(n) < 0.4, [f"S{i:06d}" for i in rng.integers(0, int(n * 0.2), n)], None
    )
    vb = crimes[crimes["victim_based"]]
    m = len(vb)
    out["thrive_assessments"] = pd.DataFrame(
        {
            "assessment_id": [f"T{i:07d}" for i in range(m)],
            "assessed_at": vb["reported_at"].to_numpy(),
            "crime_id": vb["crime_id"].to_numpy(),
            "victim_id": vb["victim_id"].to_numpy(),
            "channel": rng.choice(["999", "101", "online_report", "in_person"], m),
            "completed": rng.random(m) < 0.9,
            "risk": rng.choice(["low", "medium", "high"], m),
            "priority_group": rng.choice(
                ["none", "serious_crime", "vulnerable_or_intimidated"], m, p=[0.7, 0.15, 0.15]
            ),
            "grade": rng.choice(["immediate", "prompt", "standard", "scheduled"], m),
            "district": vb["district"].to_numpy(),
        }
    )
    ref = out["referrals"]
    kinds = ("marac", "operation_encompass", "idva", "sarc")
    k = max(1, len(ref) // 4)
    pick = crimes.sample(k, random_state=int(rng.integers(1 << 30)))
    out["safeguarding_referrals"] = pd.concat(
        [
            pd.DataFrame(
                {
                    "referral_id": ref["referral_id"],
                    "kind": ref["service"],
                    "referred_at": ref["referred_at"],
                    "crime_id": ref["crime_id"],
                    "outcome": "support_accepted",
                    "district": ref["district"],
                }
            ),
            pd.DataFrame(
                {
                    "referral_id": [f"G{i:07d}" for i in range(k)],
                    "kind": rng.choice(kinds, k),
                    "referred_at": (pick["recorded_at"] + pd.Timedelta(hours=5)).to_numpy(),
                    "crime_id": pick["crime_id"].to_numpy(),
                    "victim_id": pick["victim_id"].to_numpy(),
                    "outcome": "heard",
                    "district": pick["district"].to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    charged = crimes[(crimes["outcome_type"] == 1) & crimes["outcome_at"].notna()]
    c = len(charged)
    first = charged["outcome_at"] + pd.to_timedelta(rng.integers(1, 60, c), unit="D")
    trial = first + pd.to_timedelta(rng.integers(30, 200, c), unit="D")
    final = trial + pd.to_timedelta(rng.integers(0, 30, c), unit="D")
    cut = pd.Timestamp(f"{end}-28")
    out["court_cases"] = pd.DataFrame(
        {
            "case_id": [f"K{i:06d}" for i in range(c)],
            "crime_id": charged["crime_id"].to_numpy(),
            "charged_at": charged["outcome_at"].to_numpy(),
            "court": rng.choice(["magistrates", "crown"], c, p=[0.85, 0.15]),
            "first_hearing_at": first.where(first < cut).to_numpy(),
            "trial_listed_at": trial.to_numpy(),
            "trial_outcome": np.where(
                trial < cut, rng.choice(["effective", "cracked", "ineffective"], c), None
            ),
            "finalised_at": final.where(final < cut).to_numpy(),
            "district": charged["district"].to_numpy(),
        }
    )
    audited = crimes[crimes["victim_based"]].sample(400, random_state=int(rng.integers(1 << 30)))
    qs = ("needs_assessment", "updates_timely", "vps_offered")
    rows = []
    for scheme in ("vcop", "da_scrutiny"):
        for q in qs if scheme == "vcop" else ("positive_action", "suspect_management"):
            answers = (
                rng.choice(["bail", "rui", "n_a"], len(audited))
                if q == "suspect_management"
                else rng.choice(["yes", "no", "n_a"], len(audited), p=[0.6, 0.3, 0.1])
            )
            period_end = (audited["recorded_at"] + pd.offsets.MonthEnd(0)).dt.normalize()
            rows.append(
                pd.DataFrame(
                    {
                        "scheme": scheme,
                        "case_id": audited["crime_id"].to_numpy(),
                        "case_type": "crime",
                        "crime_id": audited["crime_id"].to_numpy(),
                        "period_end": period_end.dt.date.to_numpy(),
                        "question": q,
                        "answer": answers,
                        "compliant": pd.array(
                            np.where(
                                np.isin(answers, ["n_a"]), None, np.isin(answers, ["yes", "bail"])
                            ),
                            dtype="boolean",
                        ),
                        "district": audited["district"].to_numpy(),
                    }
                )
            )
    out["audits"] = pd.concat(rows, ignore_index=True)


def build_store(path: str | Path, **kw) -> dict[str, pd.DataFrame]:
    """Create a DuckDB store at ``path`` holding ``frames(**kw)``; returns the frames."""
    data = frames(**kw)
    st = open_store(str(path))
    con = st.duck
    for t in CANONICAL:
        if t.name not in data:
            continue  # tables this generator does not make stay empty
        df = data[t.name]
        cols = [c for c in t.column_names if c in df.columns]
        con.register("_src", df[cols])
        collist = ", ".join(f'"{c}"' for c in cols)
        casts = ", ".join(f'CAST("{c}" AS {t.column(c).type}) AS "{c}"' for c in cols)
        con.execute(f'INSERT INTO "{t.name}" ({collist}) SELECT {casts} FROM _src')
        con.unregister("_src")
    st.close()
    return data
