"""measure_results rows -> findings. Copies verdicts; never computes a statistic."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from forcestat.findings import rules
from forcestat.findings.format import WINDOWS
from forcestat.findings.model import (
    COMPARATORS,
    KINDS,
    POLARITIES,
    SPC_SIGNALS,
    TRENDS,
    VERDICTS,
    Finding,
    MeasureInfo,
)
from forcestat.period import Period
from forcestat.stats.verdicts import polarity_direction

Row = Mapping[str, Any]


def build_findings(
    rows: Iterable[Row],
    measures: Mapping[str, MeasureInfo] | Iterable[MeasureInfo],
    *,
    min_base: int = rules.MIN_BASE,
    caution_base: int = rules.CAUTION_BASE,
) -> list[Finding]:
    """One finding per row and comparator that has a verdict (one with comparator None for a row
    without any), sorted deterministically. Raises KeyError for a row whose measure is unknown
    and ValueError for values outside the measure_results contract.

    `min_base`/`caution_base` are the framework settings' base rules; a measure's own
    `min_base`/`caution_base` attributes, when set, take precedence (as in the engine)."""
    by_id = _index_measures(measures)
    found: list[Finding] = []
    for row in rows:
        measure_id = row["measure_id"]
        if measure_id not in by_id:
            raise KeyError(f"measure_results row for unknown measure {measure_id!r}")
        found.extend(_row_findings(row, by_id[measure_id], min_base, caution_base))
    return sorted(found)


def _index_measures(
    measures: Mapping[str, MeasureInfo] | Iterable[MeasureInfo],
) -> dict[str, MeasureInfo]:
    if isinstance(measures, Mapping):
        return dict(measures)
    return {m.id: m for m in measures}


def _bases(measure: MeasureInfo, min_base: int, caution_base: int) -> tuple[int, int]:
    lo = getattr(measure, "min_base", None)
    hi = getattr(measure, "caution_base", None)
    lo = min_base if lo is None else int(lo)
    hi = caution_base if hi is None else int(hi)
    return lo, max(lo, hi)


def _row_findings(
    row: Row, measure: MeasureInfo, min_base: int, caution_base: int
) -> list[Finding]:
    # A concentration (the share of a total borne by the top few) reads as a percentage.
    kind = "proportion" if measure.kind == "concentration" else measure.kind
    polarity = measure.polarity
    _check("kind", kind, KINDS, measure.id)
    _check("polarity", polarity, POLARITIES, measure.id)
    Period.parse(row["period_end"])
    _check("window", row["window"], WINDOWS, measure.id)

    value = _num(row.get("value"))
    n = _num(row.get("n"))
    small_base = _flag(row.get("small_base"))
    suppressed = _flag(row.get("suppressed"))
    spc_signal = _text(row.get("spc_signal")) or "none"
    trend = _text(row.get("trend")) or "none"
    _check("spc_signal", spc_signal, SPC_SIGNALS, measure.id)
    _check("trend", trend, TRENDS, measure.id)
    status = rules.base_status(
        kind, n, small_base, suppressed, *_bases(measure, min_base, caution_base)
    )
    unreportable = value is None or status in ("too_few", "withheld")

    common: dict[str, Any] = {
        "measure_id": measure.id,
        "phrase": measure.phrase,
        "kind": kind,
        "polarity": polarity,
        "breakdown": str(row["breakdown"]),
        "unit": str(row["unit"]),
        "period_end": row["period_end"],
        "window": row["window"],
        "value": value,
        "n": n,
        "ci_low": _num(row.get("ci_low")),
        "ci_high": _num(row.get("ci_high")),
        "spc_signal": spc_signal,
        "trend": trend,
        "small_base": small_base,
        "suppressed": suppressed,
        "base_status": status,
        "maturing": _flag(row.get("maturing")),
        "dispersion": _num(row.get("dispersion")),
    }

    found = []
    for cmp in COMPARATORS:
        verdict = _text(row.get(f"{cmp}_verdict"))
        if verdict is None:
            continue
        _check(f"{cmp}_verdict", verdict, VERDICTS, measure.id)
        cmp_value = _num(row.get(f"{cmp}_value"))
        diff = _num(row.get(f"{cmp}_diff"))
        if diff is None and value is not None and cmp_value is not None:
            diff = value - cmp_value
        strength = "insufficient" if unreportable else _strength(kind, verdict, value, cmp_value)
        found.append(
            Finding(
                **common,
                comparator=cmp,
                comparator_value=cmp_value,
                diff=diff,
                verdict=verdict,
                strength=strength,
                direction=_direction(verdict, strength, polarity),
            )
        )
    if not found:
        found.append(
            Finding(
                **common,
                comparator=None,
                comparator_value=None,
                diff=None,
                verdict="insufficient_data",
                strength="insufficient",
                direction="neutral",
            )
        )
    return found


def _strength(kind: str, verdict: str, value: float | None, benchmark: float | None) -> str:
    if verdict == "insufficient_data":
        return "insufficient"
    if value is None or benchmark is None:
        # Without both figures the size of a non-significant gap is unknown: claim nothing more
        # than the verdict does.
        return "significant" if verdict.startswith("significantly_") else "comparable"
    # Imported here so findings can be imported (and its formatting used) on its own; the
    # thresholds live with the statistics, in one place.
    from forcestat.stats.verdicts import strength

    return str(strength(kind, verdict, value, benchmark))


def _direction(verdict: str, strength: str, polarity: str) -> str:
    if strength == "insufficient":
        return "neutral"
    if not verdict.startswith("significantly_"):
        return "same"
    # Only a significant verdict gives a direction: a non-significant gap is "same", so no
    # wording built on direction (improved, deteriorated) can outrun the statistics.
    return polarity_direction(1.0 if verdict == "significantly_higher" else -1.0, polarity)


def _check(field: str, value: Any, allowed: Iterable[str], measure_id: str) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{measure_id}: {field} {value!r} is not one of {allowed}")


def _num(value: Any) -> float | None:
    """Numbers from dicts built by hand, pandas or pyarrow: NaN/NA/None -> None."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text if text and text not in ("<NA>", "nan", "None") else None


def _flag(value: Any) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    try:
        return bool(value)
    except TypeError:  # pandas.NA refuses bool()
        return False
