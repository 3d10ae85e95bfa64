"""Findings: structured statements about one measure_results row against one comparator."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property, total_ordering
from typing import Any, Protocol

# The order in which sentences name comparators (and findings sort).
COMPARATORS = ("previous_year", "long_term", "year_end", "previous_period")
VERDICTS = ("significantly_higher", "significantly_lower", "comparable", "insufficient_data")
STRENGTHS = ("significant", "marginal", "comparable", "insufficient")
DIRECTIONS = ("better", "worse", "same", "neutral")
KINDS = ("proportion", "count", "median", "mean", "rate_per_1000", "total")
POLARITIES = ("higher_is_better", "lower_is_better", "neutral")
SPC_SIGNALS = ("improvement", "concern", "neutral", "common_cause", "none")
TRENDS = ("upwards", "downwards", "halted_downwards", "halted_upwards", "none")

# Geography first (force, area, district), then any measure-specific breakdown.
BREAKDOWN_ORDER = {"force": 0, "area": 1, "district": 2}
# The window a Board paper leads with comes first.
WINDOW_ORDER = {"12m": 0, "fytd": 1, "3m": 2, "1m": 3}


class MeasureInfo(Protocol):
    """What findings need to know about a measure (framework metadata, docs/architecture.md §2).

    Optional attributes, read with getattr when present:
    - ``statement``: template for the value sentence, with ``{value}``, ``{period}`` and
      optionally ``{share}``, ``{n}``, ``{unit}``;
    - ``unit_label``: unit of a median/mean/rate value, e.g. "minutes";
    - ``base_label``: what the base counts, for "too few ... to report" (default "responses").
    """

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def theme(self) -> str: ...
    @property
    def phrase(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def polarity(self) -> str: ...


def _none_last(value: Any) -> tuple[int, Any]:
    # None sorts after any value of the same field, so ordering never compares None with a number.
    return (1, 0) if value is None else (0, value)


@total_ordering
@dataclass(frozen=True)
class Finding:
    """One row of measure_results read against one comparator (or none: comparator is None).

    `verdict` is copied from the row; `strength` comes from forcestat.stats.verdicts.strength
    (or "insufficient" when the base is too small to compare); `direction` reads a significant
    verdict against the measure's polarity: better/worse, "neutral" for a neutral polarity or when
    there is nothing to judge, "same" for a non-significant comparison.
    """

    measure_id: str
    phrase: str
    kind: str
    polarity: str
    breakdown: str
    unit: str
    period_end: str
    window: str
    comparator: str | None
    value: float | None
    n: float | None
    ci_low: float | None
    ci_high: float | None
    comparator_value: float | None
    diff: float | None
    verdict: str
    strength: str
    direction: str
    spc_signal: str
    trend: str
    small_base: bool
    suppressed: bool
    base_status: str  # rules.base_status: ok | caution | too_few | withheld
    maturing: bool  # an outcome-rate window whose crimes have had little time to reach an outcome
    # The overdispersion factor the unit's tests allowed for (None: not estimated).
    dispersion: float | None = None

    # -- ordering -------------------------------------------------------------------------------
    def sort_key(self) -> tuple[Any, ...]:
        """measure, period, window, geography level, unit, comparator, then every other field."""
        return self._head + self._tail

    @cached_property
    def _head(self) -> tuple[Any, ...]:
        # Cached: sorting compares each finding many times. cached_property writes the instance
        # __dict__ directly, so it works on a frozen dataclass and is not a field (eq ignores it).
        return (
            self.measure_id,
            self.period_end,
            WINDOW_ORDER.get(self.window, len(WINDOW_ORDER)),
            self.window,
            BREAKDOWN_ORDER.get(self.breakdown, len(BREAKDOWN_ORDER)),
            self.breakdown,
            self.unit,
            COMPARATORS.index(self.comparator) if self.comparator in COMPARATORS else 99,
            _none_last(self.comparator),
        )

    @cached_property
    def _tail(self) -> tuple[Any, ...]:
        return tuple(_none_last(getattr(self, f.name)) for f in fields(self))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        # The head tells findings of one measure_results table apart (a row per key and a
        # finding per comparator); the other fields only break ties between identical keys.
        if self._head != other._head:
            return self._head < other._head
        return self._tail < other._tail

    # -- derived reading ------------------------------------------------------------------------
    @property
    def is_significant(self) -> bool:
        """True only when the row's verdict says so and the base allows a comparison."""
        return self.verdict.startswith("significantly_") and not self.unreportable

    @property
    def unreportable(self) -> bool:
        """No figure, comparison, trend or signal may be worded (base too small, suppressed)."""
        return self.base_status in ("too_few", "withheld")

    @property
    def reportable(self) -> bool:
        """A comparison may be worded (base big enough, comparator verdict usable)."""
        return self.comparator is not None and self.strength != "insufficient"

    @property
    def higher(self) -> bool | None:
        """Which side of the comparator the value is on: from the verdict when significant,
        else from the row's diff (None when there is no diff or it is zero)."""
        if self.verdict == "significantly_higher":
            return True
        if self.verdict == "significantly_lower":
            return False
        if self.diff is None or self.diff == 0:
            return None
        return self.diff > 0


# What a statement does in a measure's paragraph: readers pick statements by role, never by their
# words. headline: the lead (the measure's figure, or a count's significant change, and the
# comparison that goes with it); detail: areas, districts, trends, SPC, growth; caution: bases
# too small to report or to trust, and windows still maturing.
ROLES = ("headline", "detail", "caution")
# What a statement is about, so that a shorter edition can leave out some details.
TOPICS = ("value", "comparison", "area", "districts", "trend", "spc", "growth", "base", "maturing")

Key = tuple[str, str]  # (breakdown, unit)


@dataclass(frozen=True)
class Statement:
    """One sentence about a measure, with what it is about.

    ``units`` are the (breakdown, unit) keys the sentence speaks of, named or implied ("all six
    districts"); ``verdict`` is the comparison verdict it states for them
    (``significantly_higher``/``significantly_lower``/``comparable``, or ``mixed`` when it
    contrasts units), None when it states none (a figure, a trend, an SPC signal, a base)."""

    text: str
    role: str = "detail"
    units: tuple[Key, ...] = ()
    verdict: str | None = None
    measure_id: str = ""
    topic: str = "value"

    def about(self, key: Key) -> bool:
        return key in self.units
