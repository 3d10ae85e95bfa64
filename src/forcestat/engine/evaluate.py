"""Evaluate one measure over its breakdown units, periods and windows into measure_results rows."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from forcestat.engine.kinds import KindStats
from forcestat.engine.signals import Reading, signals_all
from forcestat.engine.windows import (
    comparator_span,
    matched_span,
    month_label,
    window_span,
)
from forcestat.framework.model import VIEW_WINDOWS, Measure, Settings
from forcestat.stats import verdicts
from forcestat.stats.dispersion import NO_DISPERSION

# Kinds whose level depends on which calendar months a window covers: their sub-annual windows
# are compared with the same months of earlier years (``windows.matched_span``).
SEASONAL_KINDS = ("count", "rate_per_1000", "total")


def _add(a: Any, b: Any) -> Any:
    """Window sums of two spans added (floats, dicts of sums or histogram arrays)."""
    if isinstance(a, dict):
        return {k: a[k] + b[k] for k in a}
    return a + b


class _Pending(NamedTuple):
    """A unit and period whose comparisons await their batch: the points of its windows, the
    test each (window, comparator) reads (None: none) and the tests, by key."""

    u: int
    p: int
    disp: Any
    points: dict[tuple[int, int], Any]
    keys: dict[tuple[str, str], tuple | None]
    tests: dict[tuple, tuple[Any, Any, float]]


# The dispersion of a unit's tests is estimated on the months before the 12 months to the
# period (its baseline, docs/architecture.md §6), so that the change under test does not inflate it.
BASELINE_GAP = 12


def rows_for(
    ks: KindStats,
    m: Measure,
    settings: Settings,
    periods: Sequence[int],
    data_span: tuple[int, int],
) -> Iterator[dict[str, Any]]:
    """One row per unit, period and window that the data cover."""
    units = ks.units
    first, last = data_span
    off = units.first
    windows = m.windows_in(settings)
    comparators = m.comparators_in(settings)
    fy, lt = settings.financial_year_start, settings.long_term_months
    cohort = m.basis == "cohort"
    span_of = matched_span if m.kind in SEASONAL_KINDS else comparator_span

    def covered(span: tuple[int, int]) -> bool:
        return first <= span[0] and span[1] <= last

    # A cohort window is still maturing while fewer than ``maturing`` months separate its end
    # from the extract (outcomes are known to the latest outcome month, not the latest record).
    extract = ks.extract_month(last - off) + off
    # The windows a period has data for, and every unit's SPC icon and trend at it: the units'
    # series end at the same month, so their charts are drawn together (``signals_all``).
    span_at: dict[int, dict[str, tuple[int, int]]] = {}
    signals_at: dict[int, list[Reading]] = {}
    for p in periods:
        spans = {w: window_span(w, p, fy) for w in windows}
        spans = {w: s for w, s in spans.items() if covered(s)}
        if spans:
            span_at[p] = spans
            # A cohort rate's chart counts every month at one maturity and may end early
            # (``ProportionStats.chart_stop``, ``charts``).
            signals_at[p] = signals_all(ks, m, settings, ks.chart_stop(p - off + 1, last - off))
    # Then every unit and period's windows and benchmarks, their tests in one batch per kind
    # (``compare_batch``), and the rows.
    todo: list[_Pending] = []
    everyone = list(range(len(units.labels)))
    disp_at = {
        p: ks.dispersions(everyone, max(0, p - off + 1 - BASELINE_GAP), last - off)
        if settings.overdispersion
        else [NO_DISPERSION] * len(everyone)
        for p in span_at
    }
    for u in everyone:
        for p, spans in span_at.items():
            disp = disp_at[p][u]
            # Windows that cover the same months (fytd in March is the 12 months; year end is
            # then the previous year) share their statistics rather than recomputing them.
            cur_of = {ab: ks.window(u, ab[0] - off, ab[1] - off) for ab in spans.values()}
            points = {ab: ks.point(u, cur) for ab, cur in cur_of.items()}
            keys: dict[tuple[str, str], tuple | None] = {}
            pending: dict[tuple, tuple[Any, Any, float]] = {}
            for w, (a, b) in spans.items():
                for c in comparators:
                    if c == "previous_period" and w not in VIEW_WINDOWS:
                        keys[(w, c)] = None  # a quarter against the last; not a year's
                        continue
                    bench = span_of(c, (a, b), fy, lt)
                    if not covered(bench.span) or points[(a, b)].value is None:
                        keys[(w, c)] = None
                        continue
                    key = ((a, b), bench.span, bench.parts)  # (window, span, parts)
                    keys[(w, c)] = key
                    if key in pending:
                        continue
                    if bench.parts is None:
                        rel = (bench.span[0] - off, bench.span[1] - off)
                        bw = ks.window(u, *rel)
                        bw = ks.as_at(u, bw, rel, (a - off, b - off), last - off)
                    else:
                        bw = None
                        for s0, s1 in bench.parts:
                            w_ = ks.window(u, s0 - off, s1 - off)
                            bw = w_ if bw is None else _add(bw, w_)
                    pending[key] = (cur_of[(a, b)], bw, bench.windows)
            todo.append(_Pending(u, p, disp, points, keys, pending))
    results = ks.compare_batch([(t.u, list(t.tests.values()), t.disp) for t in todo])
    for t, res in zip(todo, results, strict=True):
        tested = dict(zip(t.tests, res, strict=True))
        reading = signals_at[t.p][t.u]
        for w, (a, b) in span_at[t.p].items():
            pt = t.points[(a, b)]
            row: dict[str, Any] = {
                "measure_id": m.id,
                "breakdown": units.breakdown,
                "unit": units.labels[t.u],
                "period_end": month_label(t.p),
                "window": w,
                "value": pt.value,
                "numerator": pt.numerator,
                "denominator": pt.denominator,
                "n": pt.n,
                "ci_low": pt.ci_low,
                "ci_high": pt.ci_high,
            }
            for c in comparators:
                key = t.keys[(w, c)]
                value, diff, pval = (None, None, None) if key is None else tested[key]
                if pt.base is not None and not ks.base_ok(pt.base):
                    pval = None
                row[f"{c}_value"] = value
                row[f"{c}_diff"] = diff
                row[f"{c}_p"] = pval
                row[f"{c}_verdict"] = verdicts.verdict(
                    pval, math.nan if diff is None else diff, settings.alpha
                )
            row["spc_signal"] = reading.icon
            row["spc_assurance"] = reading.assurance
            row["trend"] = reading.trend
            row["small_base"] = ks.small_base(pt.base)
            row["suppressed"] = bool(pt.suppressed)
            row["maturing"] = cohort and (extract - b) < m.maturing_in(settings)
            phi = getattr(t.disp, "phi", None)
            row["dispersion"] = phi if phi is not None and math.isfinite(phi) else None
            yield row
