"""Reporting rules that choose wording from given values. Never a statistical test.

Thresholds here decide *what may be said* (base sizes, share bands, "double digit"), not whether
a difference is significant: significance only ever comes from a measure_results verdict.
"""

from __future__ import annotations

import math
from typing import Literal

from forcestat.stats.verdicts import base_rule

BaseStatus = Literal["ok", "caution", "too_few", "withheld"]

# docs/architecture.md §6: bases under 50 -> no rate, no comparison; 50-99 -> "treat with caution".
# The thresholds are applied by forcestat.stats.verdicts.base_rule (one place for them).
MIN_BASE = 50
CAUTION_BASE = 100

# Kinds whose `n` is a number of responses/cases behind a rate or average, so the base gates
# reporting. For counts and rates per 1,000 the engine's small_base/suppressed flags decide.
BASED_KINDS = frozenset({"proportion", "median", "mean"})

# "Double digit growth" is an increase of at least 10% on the comparator value.
GROWTH_THRESHOLD_PCT = 10.0

# Share bands for proportion values (percent), checked in order; the first that holds wins.
# Documented in docs/narrative.md. Values of 25% or less get no band (the figure is given).
SHARE_BANDS: tuple[tuple[float, str], ...] = (
    (75.0, "the majority"),  # 75 and over
    (55.0, "over half"),  # over 55, under 75
    (45.0, "around half"),  # 45 to 55 inclusive
    (100.0 / 3.0, "over a third"),  # over 33.3..., under 45
    (25.0, "over a quarter"),  # over 25, up to a third
)


def base_status(
    kind: str,
    n: float | None,
    small_base: bool,
    suppressed: bool,
    min_base: int = MIN_BASE,
    caution_base: int = CAUTION_BASE,
) -> BaseStatus:
    """Whether a row's figure may be reported, reported with caution, or not at all.

    - "too_few": the base is under `min_base` (rates, medians, means), or a suppressed count;
    - "withheld": suppressed by disclosure control although the base is big enough (e.g. 397 of
      400 satisfied: the 3 others are disclosive), so "too few responses" would be untrue;
    - "caution": the engine's small_base flag, or a base under `caution_base`;
    - "ok" otherwise. Counts and rates per 1,000 are their own base: only the flags decide.
    """
    rule = "ok"
    if kind in BASED_KINDS and n is not None:
        rule = base_rule(n, min_base=min_base, caution_below=caution_base)
    if rule == "suppress":
        return "too_few"
    if suppressed:
        return "withheld" if kind in BASED_KINDS and n is not None else "too_few"
    if small_base or rule == "caution":
        return "caution"
    return "ok"


def share_band(value_pct: float) -> str | None:
    """'over a third' for 36.4; None for 25% or less (the figure itself is then given)."""
    for low, label in SHARE_BANDS:
        # "around half" includes both ends (45 and 55); "the majority" includes 75.
        inclusive = label in ("around half", "the majority")
        if value_pct > low or (inclusive and value_pct == low):
            return label
    return None


def growth_pct(diff: float | None, comparator_value: float | None) -> float | None:
    """Percentage change on the comparator, from the row's own diff and comparator value."""
    if diff is None or comparator_value is None or comparator_value <= 0:
        return None
    return diff / comparator_value * 100.0


def growth_band(
    pct: float | None,
) -> Literal["double_digit", "doubled", "more_than_doubled"] | None:
    """Growth worth a word: 10% to under 100% "double digit", exactly 100% (to a tenth of a
    per cent, as printed) "doubled", over 100% "more than doubled"."""
    if pct is None or pct < GROWTH_THRESHOLD_PCT:
        return None
    if round(pct, 1) == 100.0:
        return "doubled"
    return "double_digit" if pct < 100.0 else "more_than_doubled"


def crossed_threshold(
    value: float, previous: float, falling: bool, step: float = 10.0
) -> float | None:
    """The round figure (multiple of `step`) a value fell below or rose above, if any.

    Falling from 52.1 to 48.5 crosses 50; falling from 61 to 48.5 reports 50 (the one nearest
    the new value). Used for "where confidence levels fell below 50%".
    """
    if falling:
        threshold = (math.floor(value / step) + 1) * step
        return threshold if previous >= threshold > value else None
    threshold = math.ceil(value / step) * step - step
    return threshold if previous <= threshold < value else None
