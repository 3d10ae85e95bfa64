"""Draw a period's audit sample from the store: reproducible, proportionally stratified, and
never a case already audited or drawn for another period.

Allocation is proportional with *controlled rounding*: each stratum (e.g. offence group x
district) gets its expected share of the sample rounded down or up, and so does every margin
(each offence group, each district), so no stratum is more than one case from proportional.
Which strata round up is random (remainder-weighted) for the seed. Within a stratum the cases
are a simple random sample. The same seed, scheme and period give the same cases.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from .audit_schemes import Sample, Scheme

# Stalking investigations: the Home Office offence code for stalking.
STALKING_CODES = ("8Q",)

_CRIME_COLUMNS = (
    "crime_id AS case_id, crime_id, recorded_at, offence_group, district, "
    "victim_priority_group, supervisory_unit"
)
# The populations a sample can be drawn from: records dated in the period [start, end).
# Fixed SQL with bound parameters only (the period's dates).
POPULATIONS: dict[str, str] = {
    "victim_based": f"SELECT {_CRIME_COLUMNS} FROM crimes "
    "WHERE victim_based AND recorded_at >= ? AND recorded_at < ?",
    "domestic_abuse": f"SELECT {_CRIME_COLUMNS} FROM crimes "
    "WHERE domestic_abuse AND recorded_at >= ? AND recorded_at < ?",
    "stalking": f"SELECT {_CRIME_COLUMNS} FROM crimes "
    "WHERE offence_code IN (" + ", ".join("?" for _ in STALKING_CODES) + ") "
    "AND recorded_at >= ? AND recorded_at < ?",
    "cracked_or_ineffective_da": "SELECT k.case_id, k.crime_id, k.trial_listed_at AS "
    "recorded_at, c.offence_group, coalesce(k.district, c.district) AS district, "
    "c.victim_priority_group, c.supervisory_unit, k.trial_outcome "
    "FROM court_cases k JOIN crimes c USING (crime_id) "
    "WHERE c.domestic_abuse AND k.trial_outcome IN ('cracked', 'ineffective') "
    "AND k.trial_listed_at >= ? AND k.trial_listed_at < ?",
}
_EXTRA_PARAMS = {"stalking": list(STALKING_CODES)}

AUDIT_SAMPLES_SQL = """CREATE TABLE IF NOT EXISTS audit_samples (
    scheme VARCHAR, period_end DATE, case_id VARCHAR, case_type VARCHAR, crime_id VARCHAR,
    offence_group VARCHAR, district VARCHAR, seed BIGINT, drawn_at TIMESTAMP)"""

# Columns of the audit form before the questions (``form_columns``): what the auditor needs to
# find the case, then who audited it and when.
FORM_INFO = (
    "scheme",
    "period",
    "case_id",
    "case_type",
    "crime_id",
    "recorded_at",
    "offence_group",
    "district",
    "victim_priority_group",
    "supervisory_unit",
)
FORM_AUDIT = ("auditor", "audited_on")


@dataclass(frozen=True)
class Period:
    """The month or quarter a sample is drawn for: [start, end) and its label."""

    label: str  # YYYY-MM: the month, or the quarter's last month
    start: date
    end: date  # first day after the period

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)


def _month(label: str) -> tuple[int, int]:
    try:
        y, m = label.split("-")
        year, month = int(y), int(m)
        if len(y) != 4 or not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise ValueError(f"period {label!r} is not a month YYYY-MM") from None
    return year, month


def period_of(scheme: Scheme, label: str) -> Period:
    """The scheme's sampling period named by ``label`` (a quarter: its last month)."""
    year, month = _month(label)
    months = 3 if scheme.period == "quarter" else 1
    if months == 3 and month % 3:
        raise ValueError(
            f"{scheme.id.replace('_', '-')} samples quarters: --period must be a quarter's last "
            f"month (YYYY-03, -06, -09 or -12), got {label!r}"
        )
    first = year * 12 + month - months  # month index of the period's first month
    start = date(first // 12, first % 12 + 1, 1)
    nxt = year * 12 + month
    end = date(nxt // 12, nxt % 12 + 1, 1)
    return Period(label, start, end)


def controlled_rounding(expected: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Integers within one of ``expected`` (a strata x strata table, or a vector) whose row,
    column and grand totals are each their expected total rounded down or up; the grand total
    is exact when it is a whole number. Which cells round up is random, favouring the larger
    remainders. A zero-restricted controlled rounding always exists for a two-way table (Cox,
    1987); its constraint matrix is totally unimodular, so the mixed-integer program below is
    solved at the root."""
    e = np.atleast_2d(np.asarray(expected, dtype=float))
    base = np.floor(e + 1e-9)
    frac = np.where(e - base > 1e-9, e - base, 0.0)
    cells = np.flatnonzero(frac.ravel())
    out = base.copy()
    total = e.sum()
    need = round(total) - base.sum() if abs(total - round(total)) < 1e-6 else None
    if cells.size == 0:
        return out.reshape(np.shape(expected)).astype(np.int64)
    # Efraimidis-Spirakis keys: a larger remainder tends to win, any can.
    keys = rng.random(cells.size) ** (1.0 / frac.ravel()[cells])
    if 1 in e.shape and need is not None:
        # One stratifier: the only constraint is the total, so the cells with the largest keys
        # round up (what the program below would choose, without solving it).
        flat = out.ravel()
        flat[cells[np.argsort(-keys, kind="stable")[: int(need)]]] += 1
        return flat.reshape(np.shape(expected)).astype(np.int64)
    rows, cols = np.unravel_index(cells, e.shape)
    a, lb, ub = [], [], []

    def margin(index: np.ndarray, totals: np.ndarray, floors: np.ndarray) -> None:
        for k in np.unique(index):
            a.append((index == k).astype(float))
            lb.append(np.floor(totals[k] + 1e-9) - floors[k])
            ub.append(np.ceil(totals[k] - 1e-9) - floors[k])

    margin(rows, e.sum(axis=1), base.sum(axis=1))
    if e.shape[1] > 1 and e.shape[0] > 1:
        margin(cols, e.sum(axis=0), base.sum(axis=0))
    a.append(np.ones(cells.size))
    if need is None:
        lb.append(np.floor(total) - base.sum())
        ub.append(np.ceil(total) - base.sum())
    else:
        lb.append(need)
        ub.append(need)
    res = milp(
        -keys,
        constraints=LinearConstraint(np.array(a), np.array(lb), np.array(ub)),
        integrality=np.ones(cells.size),
        bounds=Bounds(0, 1),
    )
    if res.x is None:  # cannot happen for a two-way table (Cox 1987); say so if it does
        raise RuntimeError(f"controlled rounding failed: {res.message}")
    flat = out.ravel()
    flat[cells] += np.round(res.x)
    return flat.reshape(np.shape(expected)).astype(np.int64)


def _rng(seed: int, *names: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), *(zlib.crc32(n.encode()) for n in names)])


def draw(frame: pd.DataFrame, size: int, strata: list[str], rng: np.random.Generator):
    """``size`` rows of ``frame`` (all when it has fewer), proportionally stratified by the
    ``strata`` columns (at most two). Rows are considered in ``case_id`` order, so the result
    depends on the records, the seed and nothing else."""
    frame = frame.sort_values("case_id", kind="stable").reset_index(drop=True)
    if len(frame) <= size:
        return frame
    if len(strata) > 2:
        raise ValueError("a sample is stratified by at most two columns")
    n = len(frame)
    codes = [pd.factorize(frame[c].astype("string").fillna("(none)"), sort=True)[0] for c in strata]
    codes += [np.zeros(n, dtype=np.int64)] * (2 - len(codes))
    shape = (int(codes[0].max()) + 1, int(codes[1].max()) + 1)
    counts = np.zeros(shape)
    np.add.at(counts, (codes[0], codes[1]), 1)
    alloc = controlled_rounding(counts * size / n, rng)
    chosen: list[int] = []
    for (i, j), k in np.ndenumerate(alloc):
        if k:
            members = np.flatnonzero((codes[0] == i) & (codes[1] == j))
            chosen += rng.choice(members, size=int(k), replace=False).tolist()
    return frame.iloc[sorted(chosen)].reset_index(drop=True)


def _population(con: Any, sample: Sample, period: Period) -> pd.DataFrame:
    params = [*_EXTRA_PARAMS.get(sample.population, []), period.start, period.end]
    return con.execute(POPULATIONS[sample.population], params).df()


def draw_sample(store: Any, scheme: Scheme, label: str, seed: int) -> pd.DataFrame:
    """The period's sample of every case type of the scheme, recorded in ``audit_samples``
    (replacing an earlier draw for the same scheme and period). Excluded: cases audited, or
    drawn, for another period of the scheme. A period with results loaded is not drawn again."""
    period = period_of(scheme, label)
    con = store.duck
    con.execute(AUDIT_SAMPLES_SQL)
    done = con.execute(
        "SELECT count(DISTINCT case_id) FROM audits WHERE scheme = ? AND period_end = ?",
        [scheme.id, period.last_day],
    ).fetchone()[0]
    if done:
        raise ValueError(
            f"{scheme.id.replace('_', '-')} {label} already has results for {done} case(s): "
            "its sample has been audited, and a new draw would leave those results outside it "
            "(the sample drawn is in the store's audit_samples table)"
        )
    taken = {
        r[0]
        for r in con.execute(
            "SELECT case_id FROM audits WHERE scheme = ? AND period_end <> ? UNION "
            "SELECT case_id FROM audit_samples WHERE scheme = ? AND period_end <> ?",
            [scheme.id, period.last_day, scheme.id, period.last_day],
        ).fetchall()
    }
    parts = []
    for sample in scheme.samples:
        pool = _population(con, sample, period)
        drawn_now = set().union(*(set(p["case_id"]) for p in parts)) if parts else set()
        pool = pool[~pool["case_id"].isin(taken | drawn_now)]
        got = draw(
            pool, sample.size, list(sample.stratify), _rng(seed, scheme.id, label, sample.case_type)
        )
        got.insert(0, "case_type", sample.case_type)
        parts.append(got)
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    out.insert(0, "period", label)
    out.insert(0, "scheme", scheme.id)
    con.execute("BEGIN")
    try:
        con.execute(
            "DELETE FROM audit_samples WHERE scheme = ? AND period_end = ?",
            [scheme.id, period.last_day],
        )
        rows = [
            (
                scheme.id,
                period.last_day,
                r.case_id,
                r.case_type,
                r.crime_id,
                r.offence_group,
                r.district,
                int(seed),
            )
            for r in out.itertuples()
        ]
        if rows:
            con.executemany(
                "INSERT INTO audit_samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                rows,
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return out


def form(sample: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """The audit form: one row per case, the case's details, then ``auditor``, ``audited_on``
    and one empty column per question (a question that does not apply to a case type is left
    for the other rows: the loader rejects an answer to it)."""
    out = pd.DataFrame({c: sample.get(c, pd.Series([None] * len(sample))) for c in FORM_INFO})
    out["recorded_at"] = pd.to_datetime(out["recorded_at"]).dt.strftime("%Y-%m-%d %H:%M")
    for c in (*FORM_AUDIT, *(q.id for q in scheme.questions)):
        out[c] = ""
    return out
