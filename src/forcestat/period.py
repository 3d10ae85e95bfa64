"""The one ``Period`` value: a calendar month that ends a reporting period.

Parsed once where text comes in (the command line, a request, a results file) and passed on as a
value; everything that needs a month index, a financial year or a label asks it. The financial
year rule (it starts in April, UK public sector; a framework may name another month) lives here
and nowhere else.

Months as integers are ``year * 12 + month - 1`` (``Period.index``), so arithmetic on them is
plain subtraction; a span is ``(first, last)`` inclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "FY_START_MONTH",
    "MONTHS",
    "WINDOWS",
    "Period",
    "PeriodError",
    "Span",
    "fy_months_elapsed",
    "length",
    "month_index",
    "month_label",
    "window_span",
]

# The financial year starts in April (UK public sector); frameworks may override it.
FY_START_MONTH = 4
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WINDOWS = ("12m", "3m", "1m", "fytd")
# Years a period may name: records before 1900 or far in the future are data errors, and a
# year outside four digits cannot be written as YYYY-MM.
FIRST_YEAR, LAST_YEAR = 1900, 9999

Span = tuple[int, int]

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """Text that is not a month ``YYYY-MM`` (the message says what was given)."""


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month ``YYYY-MM``: the last month of a reporting period."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise PeriodError(f"{self.year:04d}-{self.month:02d} is not a month YYYY-MM")

    @classmethod
    def parse(cls, text: str | Period) -> Period:
        """``'2020-03'`` -> ``Period(2020, 3)``; a ``Period`` is returned as it is."""
        if isinstance(text, Period):
            return text
        m = _PERIOD.match(text) if isinstance(text, str) else None
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise PeriodError(f"{text!r} is not a month: use YYYY-MM, e.g. 2020-03")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def from_index(cls, index: int) -> Period:
        return cls(index // 12, index % 12 + 1)

    # -- arithmetic ------------------------------------------------------------------------------
    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    def shift(self, months: int) -> Period:
        return Period.from_index(self.index + months)

    # -- financial year --------------------------------------------------------------------------
    def fy_start(self, start_month: int = FY_START_MONTH) -> Period:
        """The first month of the financial year this month falls in."""
        return self.shift(-fy_months_elapsed(self.index, start_month))

    def fy_end(self, start_month: int = FY_START_MONTH) -> Period:
        """The last month of the financial year this month falls in (March for April years)."""
        return self.fy_start(start_month).shift(11)

    def last_complete_fy_end(self, start_month: int = FY_START_MONTH) -> Period:
        """The end of the last financial year complete by this month (this month itself when it
        closes a year)."""
        end = self.fy_end(start_month)
        return end if end == self else end.shift(-12)

    def fy_label(self, start_month: int = FY_START_MONTH) -> str:
        """'2019/20' for any month of the year April 2019 to March 2020."""
        start = self.fy_start(start_month).year
        return f"{start}/{(start + 1) % 100:02d}"

    # -- labels ----------------------------------------------------------------------------------
    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def month_name(self) -> str:
        """'March 2020'."""
        return f"{MONTHS[self.month - 1]} {self.year}"

    def __str__(self) -> str:
        return self.label

    # -- windows ---------------------------------------------------------------------------------
    def window(self, window: str, fy_start: int = FY_START_MONTH) -> Span:
        return window_span(window, self.index, fy_start)


def fy_months_elapsed(index: int, start_month: int = FY_START_MONTH) -> int:
    """Months from the start of the financial year to the month ``index`` (0 in its first)."""
    return (index % 12 - (start_month - 1)) % 12


def month_index(period: str | Period) -> int:
    return Period.parse(period).index


def length(span: Span) -> int:
    return span[1] - span[0] + 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def window_span(window: str, period: int, fy_start: int = FY_START_MONTH) -> Span:
    """Months of the current window ending at month ``period``: 12m, 3m, 1m or financial year
    to date (from the first month of the financial year at or before the period)."""
    if window == "12m":
        return (period - 11, period)
    if window == "3m":
        return (period - 2, period)
    if window == "1m":
        return (period, period)
    if window == "fytd":
        return (period - fy_months_elapsed(period, fy_start), period)
    raise ValueError(f"unknown window {window!r}; expected one of {', '.join(WINDOWS)}")


def point_name(label: str) -> str:
    """A chart point's label in words: 'March 2020' for a month ``YYYY-MM``; '17 March 2020'
    for a day ``YYYY-MM-DD`` (the points of t and g charts are events, not months)."""
    if len(label) == 10 and label[4] == "-" and label[7] == "-":
        day = int(label[8:10])
        return f"{day} {Period.parse(label[:7]).month_name}"
    return Period.parse(label).month_name
