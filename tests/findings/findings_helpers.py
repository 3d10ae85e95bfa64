"""Hand-written measure metadata and measure_results rows for the findings tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FORCE = "Cambridgeshire"
NORTH_DISTRICTS = ("Fenland", "Huntingdonshire", "Peterborough")
SOUTH_DISTRICTS = ("Cambridge City", "East Cambridgeshire", "South Cambridgeshire")
AREAS = {d: "North" for d in NORTH_DISTRICTS} | {d: "South" for d in SOUTH_DISTRICTS}


@dataclass(frozen=True)
class Measure:
    id: str
    phrase: str
    kind: str
    polarity: str
    title: str = ""
    theme: str = "Victims"
    statement: str | None = None
    unit_label: str | None = None


SATISFACTION = Measure(
    id="victim_satisfaction",
    phrase="victim satisfaction rate",
    kind="proportion",
    polarity="higher_is_better",
    statement=(
        "{value} of the victims of crime surveyed in {period} were at least fairly satisfied "
        "with overall service delivery"
    ),
)
CONFIDENCE = Measure(
    id="confidence",
    phrase="confidence",
    kind="proportion",
    polarity="higher_is_better",
    theme="Communities",
    statement=(
        "{value} of people surveyed in {period} agreed that the Constabulary was dealing with "
        "the things that matter to people in their local community"
    ),
)
OUTCOME_RATE = Measure(
    id="pp_outcome_all",
    phrase="all crime prosecution possible outcome rate",
    kind="proportion",
    polarity="higher_is_better",
    theme="Offenders",
)
SSO = Measure(
    id="sso_count", phrase="serious sexual offences", kind="count", polarity="lower_is_better"
)
CSA = Measure(
    id="csa_count", phrase="Child Sexual Abuse offences", kind="count", polarity="lower_is_better"
)
CRIME = Measure(id="crime", phrase="crime", kind="count", polarity="lower_is_better")
CSE_SHARE = Measure(
    id="cse_share",
    phrase="share of child abuse crimes related to Child Sexual Exploitation",
    kind="proportion",
    polarity="neutral",
    statement="{share} of all crimes related to Child Sexual Exploitation",
)
RESPONSE = Measure(
    id="immediate_response",
    phrase="median time to attend immediate grade incidents",
    kind="median",
    polarity="lower_is_better",
    unit_label="minutes",
)


def cmp(value: float | None, verdict: str, diff: float | None = None) -> dict[str, Any]:
    """A comparator's columns; diff defaults to nothing so findings derive value - benchmark."""
    return {"value": value, "verdict": verdict, "diff": diff, "p": None}


def row(
    measure: Measure,
    value: float | None,
    n: float | None = None,
    *,
    breakdown: str = "force",
    unit: str = FORCE,
    period_end: str = "2020-03",
    window: str = "12m",
    previous_year: dict[str, Any] | None = None,
    year_end: dict[str, Any] | None = None,
    long_term: dict[str, Any] | None = None,
    spc_signal: str = "common_cause",
    trend: str = "none",
    small_base: bool = False,
    suppressed: bool = False,
    ci: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """One measure_results row (DESIGN section 2), every column present."""
    out: dict[str, Any] = {
        "measure_id": measure.id,
        "breakdown": breakdown,
        "unit": unit,
        "period_end": period_end,
        "window": window,
        "value": value,
        "numerator": None,
        "denominator": n,
        "n": n,
        "ci_low": ci[0] if ci else None,
        "ci_high": ci[1] if ci else None,
        "spc_signal": spc_signal,
        "trend": trend,
        "small_base": small_base,
        "suppressed": suppressed,
    }
    for name, given in (
        ("previous_year", previous_year),
        ("year_end", year_end),
        ("long_term", long_term),
    ):
        given = given or {"value": None, "verdict": None, "diff": None, "p": None}
        for col in ("value", "diff", "p", "verdict"):
            out[f"{name}_{col}"] = given[col]
    return out


def area(measure: Measure, name: str, value: float | None, n: float | None = None, **kw: Any):
    return row(measure, value, n, breakdown="area", unit=name, **kw)


def district(measure: Measure, name: str, value: float | None, n: float | None = None, **kw: Any):
    return row(measure, value, n, breakdown="district", unit=name, **kw)
