"""The public edition of ``measure_results``: disclosure control applied to the table itself,
before any finding is drawn from it, so that every reader of the edition (report tables and
sentences, charts, the API, exports) sees the same cells hidden.

For each period, ``engine.edition`` maps every figure of every measure, window and comparator to
the cell it counts, with the equations and subsets that join them, and
``stats.disclosure.protect`` hides cells jointly (primary: counts of 1-4 and what the engine
flagged; secondary: complements) until the interval audit finds every hidden cell's feasible
range wide enough. A cell is then hidden wherever it appears. Two columns record the decision:

- ``disclosure``: ``"primary"`` (a small figure: printed "fewer than 5" for counts) or
  ``"secondary"`` (hidden to protect another: "not shown"), empty when shown;
- ``previous_disclosure``: the same for the previous year's count.

The figures of a hidden row are blanked (a rate keeps its base, and a count its earlier years'
counts, when those are not hidden themselves); a comparator whose cell is hidden loses its
value, difference and p-value. No reader can print a hidden figure by mistake.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forcestat.engine.edition import COMPARATORS, COUNTED, Edition, build_edition
from forcestat.framework.model import Framework
from forcestat.stats.disclosure import Audit, protect

DISCLOSURE_COLUMNS = ("disclosure", "previous_disclosure")
_FIGURES = ("value", "numerator", "denominator", "ci_low", "ci_high")


@dataclass
class AuditReport:
    """What disclosure control did to an edition, per period: cells, hidden cells (primary,
    joint extra), the narrowest protected range, and the seconds it took."""

    periods: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(p["seconds"] for p in self.periods.values())


def public_results(
    results: pd.DataFrame,
    framework: Framework,
    areas: Mapping[str, str],
    *,
    report: AuditReport | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """``results`` with disclosure control applied (see the module docstring), period by
    period; the row order and every other column are kept. ``report`` collects the audit's
    figures. Periods are independent editions: with ``workers`` > 1 and several periods they
    are protected in that many forked processes (a refresh of every period)."""
    groups = [g for _, g in results.groupby("period_end", sort=False, observed=True)]
    parts: list[pd.DataFrame] = []
    figures: list[tuple[str, dict[str, Any]]] = []
    if workers > 1 and len(groups) > 1:
        global _JOB
        _JOB = (framework, areas)
        try:
            with ProcessPoolExecutor(
                min(workers, len(groups)), mp_context=mp.get_context("fork")
            ) as pool:
                # Largest periods first, so that no long one starts last.
                order = sorted(range(len(groups)), key=lambda i: -len(groups[i]))
                done = dict(zip(order, pool.map(_forked, [groups[i] for i in order]), strict=True))
        finally:
            _JOB = None
        for i in range(len(groups)):
            part, fig = done[i]
            parts.append(part)
            figures.append(fig)
    else:
        for group in groups:
            part, fig = _protect_period(group, framework, areas)
            parts.append(part)
            figures.append(fig)
    if report is not None:
        report.periods.update(figures)
    columns = [*results.columns, *DISCLOSURE_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(parts).reindex(results.index)[columns]
    return frame.astype({c: results[c].dtype for c in results.columns}, errors="ignore")


# The framework and areas of a forked pool's run: inherited by the fork, never pickled.
_JOB: tuple[Framework, Mapping[str, str]] | None = None


def _forked(group: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, dict[str, Any]]]:
    assert _JOB is not None
    return _protect_period(group, *_JOB)


def _protect_period(
    group: pd.DataFrame, framework: Framework, areas: Mapping[str, str]
) -> tuple[pd.DataFrame, tuple[str, dict[str, Any]]]:
    """One period's rows protected as one edition, and the audit's figures."""
    threshold = framework.settings.suppress_below
    period = str(group["period_end"].iloc[0])
    t = time.perf_counter()
    rows = group.to_dict("records")
    ed = build_edition(rows, framework, areas)
    small = ed.small
    audit = edition_audit(ed, framework)
    try:
        hidden = protect(ed.equations, ed.values, ed.primary, cells=ed.order, audit=audit)
    except ValueError as e:
        # The true figures always satisfy what a reader knows: no feasible values means a
        # relation of the edition is wrong; say which period's.
        raise ValueError(f"public edition for {period}: {e}") from e
    out = [_row(ed, i, hidden, small, threshold) for i in range(len(rows))]
    part = pd.DataFrame(out, index=group.index)
    return part, (period, _figures(ed, hidden, audit, time.perf_counter() - t))


def edition_audit(ed: Edition, framework: Framework) -> Audit:
    """The interval audit of an edition: what its labels, relations and ties tell a reader."""
    return Audit(
        framework.settings.suppress_below,
        framework.settings.protection_ratio,
        subsets=ed.subsets,
        known=ed.known(),
        integer=ed.is_integer,
        ties=ed.ties,
        sensitive=ed.sensitive,
        printed=ed.two_values,
        some_small=ed.some_small,
    )


def _row(ed: Edition, i: int, hidden: set, small: set, threshold: int) -> dict[str, Any]:
    row = dict(ed.rows[i])
    kind = ed.kinds[i]
    own = ed.own(i)
    hides = i in ed.flagged or any(c in hidden for c in ed.figure[i])
    why = ""
    if hides:
        why = "primary" if i in ed.flagged or any(c in small for c in own) else "secondary"
    prev = ed.comparators[i].get("previous_year")
    previous = ""
    if kind in COUNTED and prev is not None and prev in hidden:
        previous = "primary" if prev in small else "secondary"
    if hides:
        base = ed.base[i]
        keep_base = base is not None and base not in hidden
        for f in _FIGURES:
            if not (keep_base and f == "denominator"):
                row[f] = None
        if not keep_base:
            row["n"] = None
        for c in COMPARATORS:
            cell = ed.comparators[i].get(c)
            # A comparator's own count stays when the edition publishes it (last year's
            # figure beside this year's hidden one); its difference and test go.
            keep = cell is not None and cell not in hidden
            value = row.get(f"{c}_value")
            _drop(row, c)
            if keep:
                row[f"{c}_value"] = value
        if why == "primary":
            row["suppressed"] = True
    else:
        for c, cell in ed.comparators[i].items():
            if cell in hidden:
                _drop(row, c, verdict=False)
    row["disclosure"] = why
    row["previous_disclosure"] = previous
    return row


def _drop(row: dict[str, Any], comparator: str, verdict: bool = True) -> None:
    """A comparator's figures go (its p-value too: with the current figure it would give the
    hidden one back); its verdict goes with a hidden row."""
    for part in ("value", "diff", "p"):
        if f"{comparator}_{part}" in row:
            row[f"{comparator}_{part}"] = None
    if verdict and f"{comparator}_verdict" in row:
        row[f"{comparator}_verdict"] = "insufficient_data"


def _figures(ed: Edition, hidden: set, audit: Audit, seconds: float) -> dict[str, Any]:
    def narrowest(cells: set) -> float:
        widths = [audit.ranges[c][1] - audit.ranges[c][0] + 1 for c in cells if c in audit.ranges]
        return min(widths, default=math.inf)

    return {
        "rows": len(ed.rows),
        "cells": len(ed.values),
        "equations": len(ed.equations),
        "subsets": len(ed.subsets),
        "unused_equations": ed.unused_equations,
        "primary": len(set(ed.primary)),
        "hidden": len(hidden),
        "hidden_rows": sum(
            1 for i in range(len(ed.rows)) if i in ed.flagged or set(ed.figure[i]) & hidden
        ),
        # Values a "fewer than k" count can still take (at least k-1 by the rule), and a
        # hidden rate's small part or any other hidden cell (at least 2).
        "narrowest_labelled": narrowest(ed.sensitive & hidden),
        "narrowest_other": narrowest((hidden & ed.two_values) - ed.sensitive),
        "unresolved": len(audit.unresolved),
        "solves": audit.solves,
        "seconds": seconds,
    }


def hidden_at_force(public: pd.DataFrame, results: pd.DataFrame) -> frozenset[str]:
    """Measures with a force-level figure hidden in any window or comparator: their monthly
    force chart would give it back (its months add up to every window)."""
    force = public["breakdown"].astype(str) == "force"
    out = set(public.loc[force & (public["disclosure"] != ""), "measure_id"].astype(str))
    out |= set(public.loc[force & (public["previous_disclosure"] != ""), "measure_id"].astype(str))
    for c in COMPARATORS:
        col = f"{c}_value"
        if col in public.columns:
            lost = force & public[col].isna() & results[col].reindex(public.index).notna()
            out |= set(public.loc[lost, "measure_id"].astype(str))
    return frozenset(out)
