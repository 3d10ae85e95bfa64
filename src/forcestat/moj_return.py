"""The Ministry of Justice quarterly return of the Victims' Code compliance audit, as CSV.

It joins the store's answer counts (``store.audit_results``) to their Wilson intervals
(``stats.intervals``), so it sits at the top with the command line rather than among the
writers (which are handed finished figures).

One row per question of the scheme (and case type), then the questions pooled and the cases
compliant on every applicable question: answers given, meeting the Code, not meeting it, not
applicable, the compliance rate (meeting / applicable answers) and its Wilson interval. The
layout is forcestat's (docs/audits.md); the figures are what the return asks for.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from forcestat.stats.intervals import wilson_interval

COLUMNS = (
    "force",
    "scheme",
    "quarter",
    "period_start",
    "period_end",
    "question",
    "case_type",
    "text",
    "answers",
    "compliant",
    "not_compliant",
    "not_applicable",
    "compliance_pct",
    "ci_low_pct",
    "ci_high_pct",
)


def _rate(x: int, n: int, level: float) -> tuple[Any, Any, Any]:
    if n == 0:
        return "", "", ""
    lo, hi = wilson_interval(x, n, level)
    return round(100.0 * x / n, 1), round(100.0 * lo, 1), round(100.0 * hi, 1)


def return_rows(
    counts: Iterable[Any],
    cases: tuple[int, int],
    *,
    force: str,
    scheme: str,
    quarter: str,
    start: str,
    end: str,
    level: float = 0.95,
) -> list[dict[str, Any]]:
    """Rows of the return. ``counts``: per question and case type, objects with ``question``,
    ``text``, ``case_type``, ``audited``, ``compliant``, ``not_compliant``, ``not_applicable``
    (``store.audit_results.answer_counts``); ``cases``: (cases, fully compliant cases)."""
    head = {
        "force": force,
        "scheme": scheme,
        "quarter": quarter,
        "period_start": start,
        "period_end": end,
    }
    rows: list[dict[str, Any]] = []
    total = [0, 0, 0, 0]
    for c in counts:
        applicable = c.compliant + c.not_compliant
        pct, lo, hi = _rate(c.compliant, applicable, level)
        rows.append(
            {
                **head,
                "question": c.question,
                "case_type": c.case_type,
                "text": c.text,
                "answers": c.audited,
                "compliant": c.compliant,
                "not_compliant": c.not_compliant,
                "not_applicable": c.not_applicable,
                "compliance_pct": pct,
                "ci_low_pct": lo,
                "ci_high_pct": hi,
            }
        )
        for i, v in enumerate((c.audited, c.compliant, c.not_compliant, c.not_applicable)):
            total[i] += v
    pct, lo, hi = _rate(total[1], total[1] + total[2], level)
    rows.append(
        {
            **head,
            "question": "all_questions",
            "case_type": "",
            "text": "All questions pooled (answers of one case are not independent: the "
            "interval is narrower than it should be)",
            "answers": total[0],
            "compliant": total[1],
            "not_compliant": total[2],
            "not_applicable": total[3],
            "compliance_pct": pct,
            "ci_low_pct": lo,
            "ci_high_pct": hi,
        }
    )
    n_cases, ok = cases
    pct, lo, hi = _rate(ok, n_cases, level)
    rows.append(
        {
            **head,
            "question": "cases_fully_compliant",
            "case_type": "",
            "text": "Cases meeting the Code on every question that applied",
            "answers": n_cases,
            "compliant": ok,
            "not_compliant": n_cases - ok,
            "not_applicable": "",
            "compliance_pct": pct,
            "ci_low_pct": lo,
            "ci_high_pct": hi,
        }
    )
    return rows


def write_return(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        w.writeheader()
        w.writerows(rows)
    return p
