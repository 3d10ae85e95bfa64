"""House-style formatting of numbers, periods, comparators and lists of names.

Pure string functions: no statistics, no I/O. Every rule here is listed in docs/narrative.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from forcestat.period import WINDOWS, Period

_NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def month_name(year: int, month: int) -> str:
    return Period(year, month).month_name


def _round_half_up(value: float, dp: int) -> Decimal:
    # Decimal via repr so 77.25 rounds to 77.3 as a reader expects, not to binary-nearest.
    quantum = Decimal(1).scaleb(-dp)
    rounded = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)
    return rounded + 0  # turns -0.0 into 0.0


def fmt_number(value: float, dp: int = 1) -> str:
    """1 dp with thousands separators: 11.2, 1,234.5."""
    return f"{_round_half_up(value, dp):,.{dp}f}"


def fmt_pct(value: float) -> str:
    """Percentages (0-100) to 1 dp: 77.2%."""
    return f"{fmt_number(value, 1)}%"


def fmt_count(value: float) -> str:
    """Counts as whole numbers with thousands separators: 1,234."""
    return f"{_round_half_up(value, 0):,.0f}"


def fmt_n(n: float) -> str:
    """A base: whole, thousands separators, rounded *down* so that an effective base (Kish's
    n for weighted surveys, e.g. 49.6) never reads as meeting a threshold it misses."""
    return f"{math.floor(n + 1e-9):,d}"


def fmt_base(n: float | None, caution: bool = False) -> str:
    """'(n = 971)', or '(treat with caution, n = 63)' for a small base; '' if no base."""
    if n is None:
        return " (treat with caution)" if caution else ""
    prefix = "treat with caution, " if caution else ""
    return f" ({prefix}n = {fmt_n(n)})"


def period_name(period_end: str | Period, window: str) -> str:
    """The reporting period of a window: 'the 12 months ending March 2020', ..."""
    p = Period.parse(period_end)
    end = p.month_name
    if window == "12m":
        return f"the 12 months ending {end}"
    if window == "3m":
        return f"the three months ending {end}"
    if window == "1m":
        return end
    if window == "fytd":
        return f"the financial year to date ({_fy_span(p)})"
    raise ValueError(f"unknown window {window!r}; expected one of {WINDOWS}")


def _fy_span(p: Period) -> str:
    start = p.fy_start().month_name
    return start if start == p.month_name else f"{start} to {p.month_name}"


def previous_period_name(period_end: str | Period, window: str) -> str:
    """The same window ending 12 months earlier (the 'previous year' comparator)."""
    p = Period.parse(period_end)
    if window == "fytd":
        if p == p.fy_end():
            # A financial-year-to-date window ending at the year's end is the whole year.
            return "the previous financial year"
        return f"the same period of the previous financial year ({_fy_span(p.shift(-12))})"
    return period_name(p.shift(-12), window)


def comparator_name(comparator: str, period_end: str, window: str) -> str:
    if comparator == "previous_year":
        return previous_period_name(period_end, window)
    if comparator == "year_end":
        return "the year end benchmark"
    if comparator == "long_term":
        return "the long term benchmark"
    if comparator == "previous_period":
        return {"3m": "the previous three months", "1m": "the previous month"}.get(
            window, "the previous period"
        )
    raise ValueError(f"unknown comparator {comparator!r}")


def over_the_last(period_end: str, window: str) -> str:
    """The count-headline form of a window: 'over the last 12 months'."""
    if window == "12m":
        return "over the last 12 months"
    if window == "3m":
        return "over the last three months"
    return f"in {period_name(period_end, window)}"


def number_word(k: int) -> str:
    return _NUMBER_WORDS[k] if 0 <= k < len(_NUMBER_WORDS) else str(k)


def join_names(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C' (no Oxford comma, as in the reference report)."""
    names = list(names)
    if not names:
        return ""
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


def both_names(names: Sequence[str]) -> str:
    """Like join_names, but 'both A and B' for exactly two."""
    return f"both {join_names(names)}" if len(names) == 2 else join_names(names)


def capitalise(text: str) -> str:
    """Upper-case the first character only ('all crime' -> 'All crime', 'iPhone' kept)."""
    return text[:1].upper() + text[1:]


def area_label(area: str) -> str:
    """'North' -> 'North policing area'; names that already say 'area' are kept."""
    return area if area.lower().endswith("area") else f"{area} policing area"


def areas_phrase(areas: Sequence[str], total: int) -> str:
    """Areas after 'in': 'North policing area', 'both North and South policing areas'."""
    areas = list(areas)
    if len(areas) == 1:
        return area_label(areas[0])
    if len(areas) >= 3 and len(areas) == total:
        return f"all {number_word(len(areas))} policing areas"
    return f"{both_names(areas)} policing areas"


def where_phrase(force: bool, areas: Sequence[str], total_areas: int) -> str:
    """Where a statement holds, for force and area units.

    - areas only: 'in both North and South policing areas'
    - force and every area: the same (force level is implied when every area agrees)
    - force and some areas: 'at both force level and in North policing area'
    - force alone: '' (the paragraph is about the force unless it says otherwise)
    """
    areas = list(areas)
    if not areas:
        return ""
    in_areas = f"in {areas_phrase(areas, total_areas)}"
    if not force or (len(areas) == total_areas and total_areas >= 2):
        return in_areas
    if len(areas) == 1:
        return f"at both force level and {in_areas}"
    return f"at force level and {in_areas}"


def districts_phrase(districts: Sequence[str], total: int) -> str:
    """Districts after 'in': 'Fenland', 'both Fenland and Peterborough', 'all six districts'."""
    districts = list(districts)
    if len(districts) >= 3 and len(districts) == total:
        return f"all {number_word(len(districts))} districts"
    return both_names(districts)


_ARTICLES = ("the ", "a ", "an ")


def with_article(phrase: str) -> str:
    """'the <phrase>', unless the phrase already starts with an article ('the IMU backlog')."""
    return phrase if phrase.lower().startswith(_ARTICLES) else f"the {phrase}"


def lower_article(text: str) -> str:
    """'The all crime ...' -> 'the all crime ...' after a prefix; other first words (names,
    figures) are left alone."""
    return text[:1].lower() + text[1:] if text.lower().startswith(_ARTICLES) else text


def is_plural(phrase: str) -> bool:
    """Count phrases: a last word ending in 's' is read as a plural noun ('serious sexual
    offences', '999 calls'); anything else as a mass noun ('recorded crime'). Decides between
    'A significantly higher number of X were recorded' and 'Levels of X were significantly
    higher'."""
    words = phrase.strip().rstrip(").,;:'\"").split()
    return bool(words) and words[-1].lower().endswith("s")
