"""Load a completed audit form into the ``audits`` table, and count its answers.

The form (``audit_sample.form``) has one row per case and one column per question. Loading
checks every row against the scheme and the drawn sample: a row naming a case that was not
drawn for the scheme, a question the scheme does not have (or that does not apply to the case
type), an answer not among the question's answers, a bad date, or a case given twice is
quarantined whole, with its row, fields and reasons, in the store's ``quarantine`` table (as
the loader does). The rest is written in one transaction as one ``audits`` row per answer,
replacing that case's earlier answers, so loading a file again changes nothing.
"""

from __future__ import annotations

import csv
import json
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .audit_sample import AUDIT_SAMPLES_SQL, FORM_AUDIT, FORM_INFO
from .audit_schemes import Scheme
from .loader import LoadReport, Rejection, StrictLoadError, file_sha256

TABLE = "audits"


@dataclass(frozen=True)
class _Case:
    case_type: str
    crime_id: str | None
    period_end: date
    offence_group: str | None
    district: str | None


def _drawn(con: Any, scheme: Scheme) -> dict[str, _Case]:
    con.execute(AUDIT_SAMPLES_SQL)
    rows = con.execute(
        "SELECT case_id, case_type, crime_id, period_end, offence_group, district "
        "FROM audit_samples WHERE scheme = ?",
        [scheme.id],
    ).fetchall()
    return {r[0]: _Case(*r[1:]) for r in rows}


def _date(text: str) -> date:
    return date.fromisoformat(text.strip()[:10])


def load_results(
    store: Any, scheme: Scheme, path: str | Path, *, strict: bool = False
) -> LoadReport:
    """Validate and load one completed form. ``strict``: refuse the whole file (the store
    untouched) if any row is rejected."""
    t0 = time.perf_counter()
    p = Path(path)
    con = store.duck
    report = LoadReport(TABLE, uuid.uuid4().hex[:16], files=[str(p)])
    try:
        with p.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = list(reader.fieldnames or [])
            records = list(reader)
    except OSError as exc:
        raise ValueError(f"{p}: cannot read the audit results: {exc.strerror or exc}") from None
    if "case_id" not in header:
        raise ValueError(f"{p}: no case_id column (the form's columns: {', '.join(FORM_INFO)})")
    known_columns = set(FORM_INFO) | set(FORM_AUDIT)
    drawn = _drawn(con, scheme)
    seen: dict[str, int] = {}
    rows: list[tuple] = []
    quarantine: list[tuple[int, str, str, str]] = []
    report.rows_read = len(records)
    for i, rec in enumerate(records, start=1):
        bad: list[tuple[str, str]] = []
        if None in rec:  # more fields than the header
            bad.append(("(row)", f"row has more fields than the header ({len(header)})"))
        case_id = (rec.get("case_id") or "").strip()
        given_scheme = (rec.get("scheme") or "").strip().replace("-", "_")
        if given_scheme and given_scheme != scheme.id:
            bad.append(("scheme", f"scheme {given_scheme!r} is not {scheme.id!r}"))
        case = drawn.get(case_id)
        if not case_id:
            bad.append(("case_id", "no case_id"))
        elif case is None:
            bad.append(
                ("case_id", f"unknown case {case_id!r}: not drawn for the {scheme.id} audit")
            )
        elif case_id in seen:
            bad.append(("case_id", f"case {case_id!r} already given in row {seen[case_id]}"))
        audited_on = None
        if (rec.get("audited_on") or "").strip():
            try:
                audited_on = _date(rec["audited_on"])
            except ValueError:
                bad.append(("audited_on", f"{rec['audited_on']!r} is not a date (YYYY-MM-DD)"))
        answers: list[tuple[str, str, bool | None]] = []
        for col in header:
            value = (rec.get(col) or "").strip()
            if col in known_columns or not value:
                continue
            q = scheme.question(col)
            if q is None:
                ids = ", ".join(x.id for x in scheme.questions)
                bad.append((col, f"unknown question {col!r} (questions of {scheme.id}: {ids})"))
                continue
            answer = value.lower()
            if answer not in q.answers:
                bad.append((col, f"{value!r} is not an answer to {col} ({', '.join(q.answers)})"))
                continue
            if case is not None and case.case_type not in q.applies_to:
                bad.append((col, f"{col} does not apply to {case.case_type} cases"))
                continue
            answers.append((col, answer, q.compliant_of(answer)))
        if not bad and not answers:
            bad.append(("(row)", "no question answered"))
        if bad:
            fields = ",".join(dict.fromkeys(f for f, _ in bad))
            reasons = "; ".join(f"{f}: {r}" if not r.startswith(f) else r for f, r in bad)
            quarantine.append((i, fields, reasons, json.dumps(rec, default=str)))
            report.rejections.append(Rejection(str(p), i, fields, reasons))
            continue
        seen[case_id] = i
        assert case is not None
        auditor = (rec.get("auditor") or "").strip() or None
        for qid, answer, compliant in answers:
            rows.append(
                (
                    scheme.id,
                    case_id,
                    case.case_type,
                    case.crime_id,
                    case.period_end,
                    auditor,
                    audited_on,
                    qid,
                    answer,
                    compliant,
                    case.offence_group,
                    case.district,
                    str(p.resolve()),
                    i,
                )
            )
    report.quarantined = len(quarantine)
    if strict and quarantine:
        raise StrictLoadError(
            f"{p}: {len(quarantine)} row(s) rejected; nothing loaded (--strict)", report
        )
    sha = file_sha256(p)
    con.execute("BEGIN")
    try:
        _write(con, scheme, rows, report)
        _record(con, p, sha, quarantine, report)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    report.seconds = time.perf_counter() - t0
    return report


def _write(con: Any, scheme: Scheme, rows: list[tuple], report: LoadReport) -> None:
    cases = sorted({r[1] for r in rows})
    before: dict[tuple[str, str], str] = {}
    if cases:
        marks = ", ".join("?" for _ in cases)
        for case_id, qid, answer in con.execute(
            f"SELECT case_id, question, answer FROM audits WHERE scheme = ? "  # noqa: S608
            f"AND case_id IN ({marks})",
            [scheme.id, *cases],
        ).fetchall():
            before[(case_id, qid)] = answer
        con.execute(
            f"DELETE FROM audits WHERE scheme = ? AND case_id IN ({marks})",  # noqa: S608
            [scheme.id, *cases],
        )
    for r in rows:
        old = before.get((r[1], r[7]))
        if old is None:
            report.inserted += 1
        elif old == r[8]:
            report.unchanged += 1
        else:
            report.replaced += 1
    if rows:
        con.executemany(
            "INSERT INTO audits (scheme, case_id, case_type, crime_id, period_end, auditor, "
            "audited_at, question, answer, compliant, offence_group, district, source_file, "
            "source_row, loaded_at, load_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
            [(*r, report.load_id) for r in rows],
        )


def _record(con: Any, p: Path, sha: str, quarantine: list, report: LoadReport) -> None:
    source = str(p.resolve())
    if quarantine:
        # Re-loading the same file must not quarantine its bad rows twice.
        con.execute("DELETE FROM quarantine WHERE table_name = ? AND file_sha256 = ?", [TABLE, sha])
        con.executemany(
            "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
            [(report.load_id, TABLE, source, sha, row, f, r, rec) for row, f, r, rec in quarantine],
        )
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, now(), now())",
        [
            report.load_id,
            TABLE,
            source,
            sha,
            report.rows_read,
            report.inserted,
            report.replaced,
            report.unchanged,
            report.quarantined,
        ],
    )


@dataclass(frozen=True)
class QuestionCount:
    question: str
    text: str
    case_type: str
    audited: int  # answers given
    compliant: int
    not_compliant: int
    not_applicable: int


def answer_counts(store: Any, scheme: Scheme, start: date, end: date) -> list[QuestionCount]:
    """Per question and case type, the answers of cases sampled for periods ending in
    [start, end): how many met the standard, did not, or did not apply."""
    rows = store.duck.execute(
        "SELECT question, case_type, count(*), count(*) FILTER (WHERE compliant), "
        "count(*) FILTER (WHERE NOT compliant), count(*) FILTER (WHERE compliant IS NULL) "
        "FROM audits WHERE scheme = ? AND period_end >= ? AND period_end < ? "
        "GROUP BY question, case_type",
        [scheme.id, start, end],
    ).fetchall()
    got = {(r[0], r[1]): r[2:] for r in rows}
    out = []
    for q in scheme.questions:
        for case_type in q.applies_to:
            if case_type not in {s.case_type for s in scheme.samples}:
                continue
            n, yes, no, na = got.get((q.id, case_type), (0, 0, 0, 0))
            out.append(QuestionCount(q.id, q.text, case_type, n, yes, no, na))
    return out


def case_counts(store: Any, scheme: Scheme, start: date, end: date) -> tuple[int, int]:
    """(cases with at least one applicable answer, those meeting the standard on every one),
    for cases sampled for periods ending in [start, end)."""
    row = store.duck.execute(
        "SELECT count(*), count(*) FILTER (WHERE ok) FROM (SELECT case_id, bool_and(compliant) "
        "AS ok FROM audits WHERE scheme = ? AND period_end >= ? AND period_end < ? "
        "AND compliant IS NOT NULL GROUP BY case_id)",
        [scheme.id, start, end],
    ).fetchone()
    return int(row[0]), int(row[1])


def force_name(store: Any) -> str:
    """The store's force (its geography's), or 'all forces' when it holds several."""
    names = [r[0] for r in store.duck.execute("SELECT DISTINCT force FROM geography").fetchall()]
    return names[0] if len(names) == 1 else "all forces"
