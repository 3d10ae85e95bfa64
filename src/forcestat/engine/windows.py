"""Which months a window and its comparators cover (docs/architecture.md §6).

Months are integers ``year * 12 + month - 1`` so that arithmetic is plain subtraction. A span is
``(first, last)`` inclusive. Every comparator span ends before the current window starts: rolling
windows a month apart share most of their records and are not independent, so only windows that
do not overlap are ever compared.
"""

from __future__ import annotations

from dataclasses import dataclass

from forcestat.period import Span, fy_months_elapsed, length, month_index, month_label, window_span

__all__ = [
    "Benchmark",
    "Span",
    "comparator_span",
    "length",
    "matched_span",
    "month_index",
    "month_label",
    "window_span",
]


@dataclass(frozen=True)
class Benchmark:
    span: Span
    # How many current-window lengths the benchmark covers: a count benchmark is compared as
    # its total over ``windows`` windows (its mean per window is total / windows).
    windows: float
    # Seasonally matched benchmarks: the benchmark is these spans (the current window's calendar
    # months in earlier years) rather than all of ``span``, which is then their hull.
    parts: tuple[Span, ...] | None = None


def comparator_span(
    comparator: str, current: Span, fy_start: int = 4, long_term_months: int = 36
) -> Benchmark:
    """The benchmark of a comparator for the current window.

    - previous_year: the same months twelve months earlier (for a 12-month window, the twelve
      months before it);
    - year_end: the last completed financial year (12 months ending with the month before
      ``fy_start``, i.e. March) that ends before the current window starts;
    - long_term: the ``long_term_months`` months before the current window;
    - previous_period: the window of the same length just before it (this quarter against the
      last: not the same calendar months, so only for the short windows of a measure's views).
    """
    a, b = current
    n = length(current)
    if comparator == "previous_year":
        if n > 12:
            raise ValueError("previous_year needs a window of at most 12 months")
        return Benchmark((a - 12, b - 12), 1.0)
    if comparator == "previous_period":
        return Benchmark((a - n, b - n), 1.0)
    if comparator == "year_end":
        # The last month of the last financial year complete before the window starts.
        end = a - 1
        end -= (fy_months_elapsed(end, fy_start) + 1) % 12
        return Benchmark((end - 11, end), 12.0 / n)
    if comparator == "long_term":
        return Benchmark((a - long_term_months, a - 1), long_term_months / n)
    raise ValueError(f"unknown comparator {comparator!r}")


def matched_span(
    comparator: str, current: Span, fy_start: int = 4, long_term_months: int = 36
) -> Benchmark:
    """The comparator for a window shorter than a year, on the same calendar months: a count's
    level depends on which months it covers (burglary peaks in winter, violence in summer), so a
    3-month count against a quarter of a year's total calls seasonality a change.

    - previous_year: as ``comparator_span`` (already the same months);
    - year_end: the window's months in the last completed financial year before the window
      that holds them all (the window moved back by whole years until it ends by that year's
      end);
    - long_term: the window's months in each of the ``long_term_months`` / 12 years before it,
      compared as their mean.
    Windows of 12 months or more are ``comparator_span``'s.
    """
    a, b = current
    n = length(current)
    if n >= 12 or comparator in ("previous_year", "previous_period"):
        return comparator_span(comparator, current, fy_start, long_term_months)
    if comparator == "year_end":
        fy_end = comparator_span("year_end", current, fy_start, long_term_months).span[1]
        k = 1
        while b - 12 * k > fy_end:
            k += 1
        part = (a - 12 * k, b - 12 * k)
        return Benchmark(part, 1.0, (part,))
    if comparator == "long_term":
        years = max(1, long_term_months // 12)
        parts = tuple((a - 12 * k, b - 12 * k) for k in range(years, 0, -1))
        return Benchmark((parts[0][0], parts[-1][1]), float(years), parts)
    raise ValueError(f"unknown comparator {comparator!r}")
