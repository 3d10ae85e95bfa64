"""Turn numbers into the categorical judgements of docs/architecture.md §6.

These return codes, never sentences: the findings layer owns the wording.
"""

from __future__ import annotations

import math

__all__ = [
    "BASE_RULES",
    "DIRECTIONS",
    "STRENGTHS",
    "VERDICTS",
    "base_rule",
    "polarity_direction",
    "strength",
    "verdict",
]

VERDICTS = ("significantly_higher", "significantly_lower", "comparable", "insufficient_data")
STRENGTHS = ("significant", "marginal", "comparable", "insufficient")
BASE_RULES = ("suppress", "caution", "ok")
DIRECTIONS = ("better", "worse", "same", "neutral")
POLARITIES = ("higher_is_better", "lower_is_better", "neutral")
KINDS = ("proportion", "count", "median", "mean", "rate_per_1000", "total")

# Differences this small are floating-point noise (77.2 - 76.2 = 1.0000000000000142).
_EPS = 1e-9


def verdict(p: float | None, diff: float, alpha: float = 0.05) -> str:
    """Comparison verdict from a two-sided p-value and the sign of value - benchmark.

    ``p`` None or nan (test undefined, base too small) -> "insufficient_data";
    p < alpha -> "significantly_higher"/"significantly_lower" by the sign of ``diff``;
    otherwise "comparable" (the strength says whether it is marginally so).
    """
    if p is None or math.isnan(p):
        return "insufficient_data"
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p!r}")
    if math.isnan(diff):
        return "insufficient_data"
    if p < alpha and diff > 0:
        return "significantly_higher"
    if p < alpha and diff < 0:
        return "significantly_lower"
    return "comparable"


def strength(
    kind: str,
    verdict: str,
    value: float,
    benchmark: float,
    *,
    rate_tolerance_pp: float = 1.0,
    count_tolerance: float = 0.02,
) -> str:
    """How strongly to word a verdict (docs/architecture.md §6, house style).

    - "insufficient" for ``insufficient_data``;
    - "significant" for a significant difference;
    - "comparable" when not significant and the difference is within ``rate_tolerance_pp``
      percentage points (kind "proportion"; ``value`` and ``benchmark`` are percentages
      0-100, as in ``measure_results``) or within ``count_tolerance`` of the benchmark
      (every other kind: counts, rates per 1,000, medians, means), boundaries inclusive;
    - "marginal" otherwise: "marginally higher/lower than, but comparable to".
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    if verdict == "insufficient_data":
        return "insufficient"
    if verdict != "comparable":
        return "significant"
    if math.isnan(value) or math.isnan(benchmark):
        return "insufficient"
    diff = abs(value - benchmark)
    if kind == "proportion":
        return "comparable" if diff <= rate_tolerance_pp + _EPS else "marginal"
    if benchmark == 0:
        return "comparable" if diff <= _EPS else "marginal"
    return "comparable" if diff / abs(benchmark) <= count_tolerance + _EPS else "marginal"


def base_rule(n: int, min_base: int = 50, caution_below: int = 100) -> str:
    """ "suppress" below ``min_base`` (no rate, no comparison), "caution" below
    ``caution_below`` ("treat with caution"), else "ok"."""
    if n < min_base:
        return "suppress"
    if n < caution_below:
        return "caution"
    return "ok"


def polarity_direction(diff: float, polarity: str) -> str:
    """Whether a change (value - benchmark) is better or worse given the measure's polarity.

    diff == 0 -> "same" whatever the polarity; a neutral measure -> "neutral".
    """
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {POLARITIES}, got {polarity!r}")
    if math.isnan(diff):
        raise ValueError("diff is nan: there is no direction to report")
    if diff == 0:
        return "same"
    if polarity == "neutral":
        return "neutral"
    up_is_good = polarity == "higher_is_better"
    return "better" if (diff > 0) == up_is_good else "worse"
