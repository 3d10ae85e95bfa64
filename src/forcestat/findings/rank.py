"""Rank findings by what a Board most needs to hear. Deterministic: an additive score with
fixed weights, ties broken by the findings' own sort order.

Score (sum of what applies; see docs/narrative.md):

- significant change (verdict significantly_*, base big enough): 100 if worse, 90 if better,
  80 for a neutral-polarity measure;
- SPC special cause: concern 60, improvement 40, neutral 20;
- a district or area out of line with its force, for the same measure, period, window and
  comparator: 50 if its verdict differs from the force's (both reportable), +20 when it is the
  only unit at its level to differ (at least three units compared: "the only district not ...");
  50 if the force's value lies outside the unit's own 95% interval (rates, medians and means;
  the interval comes from measure_results);
- small base: 30 if too few to report (or withheld), 25 if to be treated with caution;
- trend: 15 for trending upwards/downwards or a halted trend;
  (SPC and trend count only for units whose base is big enough to report)
- tie-breaks: +3 force, +2 area, +1 district; +3 previous year, +2 long term, +1 year end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from forcestat.findings.model import Finding
from forcestat.findings.units import is_place

WEIGHTS: dict[str, int] = {
    "significant_worse": 100,
    "significant_better": 90,
    "significant_neutral": 80,
    "spc_concern": 60,
    "spc_improvement": 40,
    "spc_neutral": 20,
    "out_of_line_verdict": 50,
    "only_unit_out_of_line": 20,
    "out_of_line_value": 50,
    "too_few": 30,
    "caution": 25,
    "trend": 15,
}
LEVEL_BONUS = {"force": 3, "area": 2, "district": 1}
COMPARATOR_BONUS = {"previous_year": 3, "long_term": 2, "year_end": 1}

_SUBUNITS = ("area", "district")
_VALUE_KINDS = frozenset({"proportion", "median", "mean", "rate_per_1000"})


@dataclass(frozen=True)
class Scored:
    finding: Finding
    score: int
    reasons: tuple[str, ...]


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Findings, most important first."""
    return [s.finding for s in scored(findings)]


def scored(findings: Iterable[Finding]) -> list[Scored]:
    """Findings with their score and the reasons (WEIGHTS keys) behind it, best first."""
    findings = sorted(f for f in findings if is_place(f))
    force = {_key(f): f for f in findings if f.breakdown == "force"}
    differing = _differing_counts(findings, force)
    out = []
    for f in findings:
        reasons = _reasons(f, force.get(_key(f)), differing)
        score = sum(WEIGHTS[r] for r in reasons)
        score += LEVEL_BONUS.get(f.breakdown, 0) + COMPARATOR_BONUS.get(f.comparator or "", 0)
        out.append(Scored(f, score, tuple(reasons)))
    # Stable sort over already-sorted findings: equal scores keep the findings' own order.
    return sorted(out, key=lambda s: -s.score)


def _key(f: Finding) -> tuple[str, str, str, str | None]:
    return (f.measure_id, f.period_end, f.window, f.comparator)


def _reasons(f: Finding, force: Finding | None, differing: dict) -> list[str]:
    reasons = []
    if f.is_significant and f.reportable:
        reasons.append(
            {"worse": "significant_worse", "better": "significant_better"}.get(
                f.direction, "significant_neutral"
            )
        )
    too_few = f.unreportable  # no figure to report, so no signal or trend either
    if f.spc_signal in ("concern", "improvement", "neutral") and not too_few:
        reasons.append(f"spc_{f.spc_signal}")
    if f.breakdown in _SUBUNITS and force is not None:
        if _verdict_differs(f, force):
            reasons.append("out_of_line_verdict")
            level_key = (*_key(f), f.breakdown)
            compared, differ = differing.get(level_key, (0, 0))
            if differ == 1 and compared >= 3:
                reasons.append("only_unit_out_of_line")
        if _value_differs(f, force):
            reasons.append("out_of_line_value")
    if too_few:
        reasons.append("too_few")
    elif f.base_status == "caution":
        reasons.append("caution")
    if f.trend != "none" and not too_few:
        reasons.append("trend")
    return reasons


def _verdict_differs(f: Finding, force: Finding) -> bool:
    return f.reportable and force.reportable and f.verdict != force.verdict


def _value_differs(f: Finding, force: Finding) -> bool:
    # Reads the unit's given interval; no test is computed here.
    if f.kind not in _VALUE_KINDS or f.unreportable or force.value is None:
        return False
    if f.ci_low is None or f.ci_high is None:
        return False
    return not f.ci_low <= force.value <= f.ci_high


def _differing_counts(
    findings: list[Finding], force: dict[tuple[str, str, str, str | None], Finding]
) -> dict[tuple[str, str, str, str | None, str], tuple[int, int]]:
    """Per (measure, period, window, comparator, level): units compared and units differing."""
    counts: dict[tuple[str, str, str, str | None, str], list[int]] = defaultdict(lambda: [0, 0])
    for f in findings:
        ref = force.get(_key(f))
        if f.breakdown not in _SUBUNITS or ref is None or not (f.reportable and ref.reportable):
            continue
        tally = counts[(*_key(f), f.breakdown)]
        tally[0] += 1
        tally[1] += f.verdict != ref.verdict
    return {k: (v[0], v[1]) for k, v in counts.items()}
