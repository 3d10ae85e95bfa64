"""The executive summary: the exceptions a Board should hear first, ranked by one rule.

A measure is an exception at a unit (the force, an area or a district) when that unit's figure
differs significantly from a benchmark or its monthly figures show special cause variation;
failing those, a "marginal" difference may fill a list that is not full. Each exception goes
to one list by what it means for the measure's polarity:

- concerns: significantly worse, or special cause variation of concern;
- improvements: significantly better, or special cause variation of improvement;
- shifts in volume: a significant change in a measure with no better or worse direction
  (demand, recorded crime, a share of offences), or special cause variation in one.

The rule (lexicographic; docs/report.md):

1. force level before areas before districts;
2. a significant change or special cause before a marginal difference;
3. measures of the framework's priority areas before the others;
4. the larger effect first: the relative change on the benchmark;
5. then the framework's own order of measures.

One exception per measure (its best by the rule), at most ``LIMITS`` per list. Nothing here
computes a statistic: verdicts, signals and differences come from ``measure_results``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from forcestat.findings.format import comparator_name, fmt_base, fmt_pct, period_name
from forcestat.findings.model import COMPARATORS, Finding, MeasureInfo
from forcestat.findings.units import is_place
from forcestat.findings.wording import relation, value_text
from forcestat.stats.verdicts import polarity_direction

CATEGORIES = ("concern", "improvement", "volume")
LIMITS = {"concern": 7, "improvement": 6, "volume": 6}
LEVELS = {"force": 0, "area": 1, "district": 2}
SPECIAL = {"concern": "concern", "improvement": "improvement", "neutral": "volume"}


@dataclass(frozen=True)
class Highlight:
    """One line of the executive summary."""

    measure_id: str
    category: str  # concern | improvement | volume
    text: str
    breakdown: str
    unit: str
    verdict: str  # the comparison's verdict, or "special_cause"
    comparator: str | None
    spc_signal: str
    rank: tuple


def highlights(
    measures: Sequence[MeasureInfo],
    findings: Mapping[str, Iterable[Finding]],
    *,
    priority: Iterable[str] = (),
    limits: Mapping[str, int] = LIMITS,
) -> dict[str, list[Highlight]]:
    """{category: highlights, best first} from each measure's findings (one period and
    window: what its paragraph reads)."""
    chosen = set(priority)
    order = {m.id: i for i, m in enumerate(measures)}
    best: list[Highlight] = []
    for m in measures:
        found = [h for h in _candidates(m, findings.get(m.id, ()), m.id in chosen, order[m.id])]
        if found:
            best.append(min(found, key=lambda h: h.rank))
    out: dict[str, list[Highlight]] = {c: [] for c in CATEGORIES}
    for h in sorted(best, key=lambda h: h.rank):
        if len(out[h.category]) < limits.get(h.category, 0):
            out[h.category].append(h)
    return out


def _candidates(m: MeasureInfo, findings: Iterable[Finding], priority: bool, position: int):
    by_unit: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.breakdown in LEVELS and is_place(f) and not f.unreportable and f.value is not None:
            by_unit.setdefault((f.breakdown, f.unit), []).append(f)
    for (level, _), fs in by_unit.items():
        fs = sorted(fs, key=lambda f: COMPARATORS.index(f.comparator or COMPARATORS[0]))
        significant = next((f for f in fs if f.comparator and f.is_significant), None)
        special = SPECIAL.get(fs[0].spc_signal)
        marginal = next((f for f in fs if f.comparator and f.strength == "marginal"), None)
        if significant is not None:
            lead, strength = significant, 0
            category = _category(significant)
        elif special is not None:
            lead, strength, category = _with_comparison(fs), 0, special
        elif marginal is not None:
            lead, strength = marginal, 1
            category = _category(marginal, marginal=True)
        else:
            continue
        if category is None:
            continue
        effect = _effect(lead)
        rank = (LEVELS[level], strength, 0 if priority else 1, -effect, position)
        yield Highlight(
            measure_id=m.id,
            category=category,
            text=summary_sentence(lead, m, special_cause=special),
            breakdown=lead.breakdown,
            unit=lead.unit,
            verdict=lead.verdict if lead.comparator else "special_cause",
            comparator=lead.comparator,
            spc_signal=fs[0].spc_signal,
            rank=rank,
        )


def _with_comparison(fs: Sequence[Finding]) -> Finding:
    """The finding a special-cause line quotes: the previous year when it can be compared."""
    return next((f for f in fs if f.comparator and f.reportable), fs[0])


def _category(f: Finding, marginal: bool = False) -> str | None:
    if f.polarity == "neutral":
        return "volume"
    if marginal:
        if f.higher is None:
            return None
        direction = polarity_direction(1.0 if f.higher else -1.0, f.polarity)
    else:
        direction = f.direction
    return {"better": "improvement", "worse": "concern"}.get(direction)


def _effect(f: Finding) -> float:
    if f.diff is None or not f.comparator_value:
        return 0.0
    return abs(f.diff / f.comparator_value)


def summary_sentence(f: Finding, measure: MeasureInfo, special_cause: str | None = None) -> str:
    """'101 abandonment rate: 11.2% (n = 299,231) in the 12 months ending March 2020,
    significantly higher than 7.0% in the 12 months ending March 2019; monthly figures show
    special cause variation of concern.'"""
    title = getattr(measure, "title", measure.phrase)
    where = "" if f.breakdown == "force" else f" in {_unit(f)}"
    based = f.kind in ("proportion", "median", "mean")
    caution = f.base_status == "caution"
    base = fmt_base(f.n if based else None, caution)
    text = (
        f"{title}{where}: {value_text(f, measure)}{base} in {period_name(f.period_end, f.window)}"
    )
    rel = relation(f) if f.comparator else None
    if rel is not None and f.comparator_value is not None:
        figure = value_text(_as_value(f, f.comparator_value), measure)
        name = comparator_name(f.comparator, f.period_end, f.window)
        if f.comparator == "previous_year":
            text += f", {rel} {figure} in {name}"
        else:
            text += f", {rel} {name} of {figure}"
        if f.kind == "count" and f.diff is not None and f.comparator_value > 0:
            pct = f.diff / f.comparator_value * 100
            sign = "+" if pct > 0 else "\u2212" if pct < 0 else ""
            text += f" ({sign}{fmt_pct(abs(pct))})"
    if special_cause is not None:
        what = {"concern": " of concern", "improvement": " of improvement", "volume": ""}
        sep = "; monthly" if rel is not None else ". Monthly"
        text += f"{sep} figures show special cause variation{what[special_cause]}"
    return f"{text}."


def _as_value(f: Finding, value: float) -> Finding:
    return replace(f, value=value)


def _unit(f: Finding) -> str:
    return f"{f.unit} policing area" if f.breakdown == "area" else f.unit
