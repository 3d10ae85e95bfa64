"""Per measure kind: what a window holds, its point estimate, its comparison with a benchmark and
its monthly series for SPC. All statistics come from ``forcestat.stats``; this module only adds
up the cube and hands numbers over.
"""

from __future__ import annotations

import calendar
import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from forcestat.engine import spc_rules
from forcestat.engine.cube import LAG_CAP
from forcestat.engine.rollup import Units
from forcestat.framework.model import Measure, Settings
from forcestat.stats import comparisons, concentration, intervals, spc, totals, verdicts
from forcestat.stats.dispersion import (
    NO_DISPERSION,
    Dispersion,
    count_dispersions,
    proportion_dispersions,
)

NAN = math.nan


def days_in_months(first: int, n: int) -> np.ndarray:
    """Days in each of the ``n`` months from month index ``first`` (year * 12 + month - 1)."""
    return _days_in_months(first, n).copy()


@functools.lru_cache(maxsize=256)
def _days_in_months(first: int, n: int) -> np.ndarray:
    return np.array(
        [calendar.monthrange(i // 12, i % 12 + 1)[1] for i in range(first, first + n)],
        dtype=float,
    )


def _rows(units: Units, which: Any) -> list[int]:
    """Unit positions: ``which``, or every unit."""
    return list(range(len(units.labels))) if which is None else list(which)


def _cum(a: np.ndarray) -> np.ndarray:
    """Cumulative sums along months with a leading zero: window (i..j) = c[j+1] - c[i]."""
    return np.concatenate([np.zeros(a.shape[:-1] + (1,)), np.cumsum(a, axis=-1)], axis=-1)


@dataclass
class Point:
    value: float | None
    numerator: float | None
    denominator: float | None
    n: float | None
    ci_low: float | None
    ci_high: float | None
    base: float | None  # what the base rules read (None: counts, no base rule)
    suppressed: bool


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


class KindStats:
    """Window sums over one breakdown's units. Month positions are relative to ``units.first``."""

    # Tests already run in this run, by their inputs (set by the engine, one per process and
    # run): a count and its rate per 1,000, or a force's rapes and the rape offence group of
    # recorded crime, make the same E-tests, and exact E-tests on force-level counts are dear.
    tested: dict | None = None

    def __init__(self, m: Measure, units: Units, settings: Settings):
        self.m = m
        self.units = units
        self.settings = settings
        self.level = settings.confidence_level
        self.min_base, self.caution_base = m.bases(settings)
        self.cum = {k: _cum(v) for k, v in units.arrays.items()}
        self.spc_rules = spc_rules.base_rules(settings, m)
        self._rules_at: dict[int, spc.SpcRules] = {}

    def rules(self, stop: int) -> spc.SpcRules:
        """The SPC rules of a chart of months [0, stop) (the framework's rebase and excluded
        months as point indices)."""
        r = self._rules_at.get(stop)
        if r is None:
            r = spc_rules.at(self.spc_rules, self.settings, self.units.first, stop)
            self._rules_at[stop] = r
        return r

    # -- window sums -----------------------------------------------------------------------------
    def sums(self, u: int, i: int, j: int) -> dict[str, float]:
        return {k: float(c[u, j + 1] - c[u, i]) for k, c in self.cum.items()}

    def window(self, u: int, i: int, j: int) -> Any:
        return self.sums(u, i, j)

    def small(self, count: float) -> bool:
        return 1 <= count < self.settings.suppress_below

    # -- to be provided per kind -----------------------------------------------------------------
    def point(self, u: int, w: Any) -> Point:
        raise NotImplementedError

    def compare(self, u: int, cur: Any, bench: Any, windows: float, disp: Dispersion) -> tuple:
        """(benchmark value on the current window's scale, diff, p). ``disp`` is the unit's
        dispersion at the period (``dispersion``), which count and proportion tests scale by."""
        raise NotImplementedError

    def compare_many(self, u: int, items: list[tuple[Any, Any, float]], disp: Dispersion) -> list:
        """``compare`` of each (current window, benchmark, benchmark windows) of a unit; kinds
        whose test vectorises run them together."""
        return [self.compare(u, cur, bench, w, disp) for cur, bench, w in items]

    def compare_batch(self, groups: list[tuple[int, list[tuple[Any, Any, float]], Dispersion]]):
        """``compare_many`` of each (unit, items, the unit's dispersion): one breakdown's units
        and periods at once, so that kinds whose test vectorises pay numpy's per-call cost once
        rather than per unit."""
        return [self.compare_many(u, items, disp) for u, items, disp in groups]

    def chart(self, u: int, stop: int) -> tuple[np.ndarray, spc.XmrResult]:
        """Monthly values of months [0, stop) of unit ``u`` and their control chart."""
        values, charts = self.charts(stop, [u])
        return values[0], charts[0]

    def charts(self, stop: int, units: Any = None) -> tuple[np.ndarray, list[spc.XmrResult]]:
        """[unit, month] values of months [0, stop) and each unit's control chart (the measure's
        ``chart_type``), for the units at positions ``units`` (default: all), drawn together
        (``spc.xmr_rows`` and the like)."""
        raise NotImplementedError

    def _measured(self, y: np.ndarray, stop: int) -> tuple[np.ndarray, list[spc.XmrResult]]:
        """XmR or run charts of [unit, month] values (the kinds without a model of their own)."""
        rules = self.rules(stop)
        if self.m.chart_type == "run":
            return y, spc.run_chart_rows(y, rules)
        return y, spc.xmr_rows(y, rules)

    def as_at(self, u: int, bench: Any, span: tuple[int, int], cur: tuple[int, int], last: int):
        """The benchmark window ``bench`` (months ``span``) as it stood as long after its months
        as the current window ``cur`` has had by month ``last`` (kinds whose windows do not
        mature return it unchanged)."""
        return bench

    def chart_stop(self, stop: int, last: int) -> int:
        """Where the chart of a unit's months ends, given the period's ``stop`` and the last
        month of data (both relative): kinds whose latest months are incomplete end earlier."""
        return stop

    def extract_month(self, last: int) -> int:
        """The (relative) month the data are complete to: ``last``, the last month of data, except
        for cohort outcome rates (``ProportionStats``: the latest outcome month)."""
        return last

    def dispersion(self, u: int, stop: int, last: int) -> Dispersion:
        """Overdispersion of the unit's monthly series up to month ``stop`` (exclusive), from
        year-on-year differences (``stats.dispersion``; ``last``: the last month of data);
        kinds without a model for it have none."""
        return self.dispersions([u], stop, last)[0]

    def dispersions(self, units: list[int], stop: int, last: int) -> list[Dispersion]:
        """``dispersion`` of each of ``units``, estimated together."""
        return [NO_DISPERSION] * len(units)

    def base_ok(self, base: float | None) -> bool:
        return base is None or verdicts.base_rule(base, self.min_base, self.caution_base) != (
            "suppress"
        )

    def small_base(self, base: float | None) -> bool:
        return base is not None and verdicts.base_rule(base, self.min_base, self.caution_base) != (
            "ok"
        )


class CountStats(KindStats):
    """Counts: exact Poisson interval; E-test against the benchmark's mean per window, on counts
    divided by the dispersion when it is above 1 (z then referred to t); XmR chart of monthly
    counts."""

    per_1000 = False

    def scale(self, u: int) -> float:
        return 1.0

    def window(self, u: int, i: int, j: int) -> float:
        c = self.cum["n"]
        return float(c[u, j + 1] - c[u, i])

    def point(self, u: int, k: float) -> Point:
        lo, hi = intervals.poisson_exact_interval(int(round(k)), self.level)
        s = self.scale(u)
        return Point(
            value=_num(k * s),
            numerator=k,
            denominator=None,
            n=k,
            ci_low=_num(lo * s),
            ci_high=_num(hi * s),
            base=None,
            suppressed=self.small(k),
        )

    def compare(self, u: int, k: float, kb: float, windows: float, disp: Dispersion) -> tuple:
        return self.compare_many(u, [(k, kb, windows)], disp)[0]

    def compare_many(self, u: int, items: list[tuple[Any, Any, float]], disp: Dispersion) -> list:
        return self.compare_batch([(u, items, disp)])[0]

    def compare_batch(self, groups: list[tuple[int, list[tuple[Any, Any, float]], Dispersion]]):
        out: list[list] = [[(None, None, None)] * len(items) for _, items, _ in groups]
        where, cols, disps = [], [], []
        for gi, (u, items, disp) in enumerate(groups):
            s = self.scale(u)
            if math.isnan(s):
                continue
            for j, (k, kb, w) in enumerate(items):
                where.append((gi, j))
                cols.append((k, kb, w, disp.scale, s))
                disps.append(disp)
        if not cols:
            return out
        k, kb, windows, f, s = np.array(cols, dtype=float).T
        ps = self._e_tests(k / f, kb / f, windows, f != 1.0)
        bench = kb / windows
        value, diff = bench * s, (k - bench) * s
        for i, (gi, j) in enumerate(where):
            out[gi][j] = (float(value[i]), float(diff[i]), disps[i].p_value(float(ps[i])))
        return out

    def _e_tests(
        self, k: np.ndarray, kb: np.ndarray, windows: np.ndarray, scaled: np.ndarray
    ) -> np.ndarray:
        """``poisson_e_tests(k, 1, kb, windows)``, each distinct test run once per run; counts
        divided by a dispersion (``scaled``) take the test's continuous form, whose p does not
        move in steps with phi (docs/methods.md 2.2.1)."""
        done = {} if self.tested is None else self.tested
        keys = list(zip(k.tolist(), kb.tolist(), windows.tolist(), scaled.tolist(), strict=True))
        todo = list(dict.fromkeys(key for key in keys if key not in done))
        for a, b in _chunks(len(todo)):
            x1, x2, w, cont = np.array(todo[a:b], dtype=float).T
            ps = comparisons.poisson_e_tests(x1, 1.0, x2, w, continuous=cont).tolist()
            done.update(zip(todo[a:b], ps, strict=True))
        return np.array([done[key] for key in keys], dtype=float)

    def dispersions(self, units: list[int], stop: int, last: int) -> list[Dispersion]:
        return count_dispersions(self.units.arrays["n"][units, :stop])

    def charts(self, stop: int, units: Any = None) -> tuple[np.ndarray, list[spc.XmrResult]]:
        rows = _rows(self.units, units)
        counts = np.asarray(self.units.arrays["n"][rows, :stop], dtype=float)
        chart = self.m.chart_type
        if chart == "c":
            res = spc.c_chart_rows(counts, self.rules(stop))
            return counts, res
        if chart == "u":
            res = spc.u_chart_rows(counts, self.exposure(rows, stop), self.rules(stop))
            return np.stack([r.values for r in res]).reshape(len(rows), stop), res
        scales = np.array([self.scale(u) for u in rows], dtype=float)
        return self._measured(counts * scales[:, None], stop)

    def exposure(self, rows: list[int], stop: int) -> np.ndarray:
        """A u chart's exposure of each month: its days (a count per day)."""
        return np.broadcast_to(days_in_months(self.units.first, stop), (len(rows), stop))


class RateStats(CountStats):
    """Rate per 1,000 population: the count's statistics on the population's scale."""

    def scale(self, u: int) -> float:
        pop = self.units.population[u] if self.units.population is not None else NAN
        return 1000.0 / pop if pop and not math.isnan(pop) else NAN

    def point(self, u: int, k: float) -> Point:
        pt = super().point(u, k)
        pop = self.units.population[u] if self.units.population is not None else NAN
        pt.denominator = _num(pop)
        return pt

    def exposure(self, rows: list[int], stop: int) -> np.ndarray:
        """A u chart's exposure: the population in thousands (a rate per 1,000)."""
        thousands = np.array([1.0 / self.scale(u) for u in rows], dtype=float)
        return np.broadcast_to(thousands[:, None], (len(rows), stop))


class ProportionStats(KindStats):
    """Proportions: Wilson interval, two-proportion score test against the pooled benchmark (on
    numerators and bases divided by the dispersion when it is above 1: quasi-binomial),
    Laney P' chart. Weighted surveys use Kish's effective n, (sum w)^2 / sum w^2, computed
    from the additive sums (the same quantity as ``intervals.kish_effective_n``)."""

    _lag_cum: np.ndarray | None = None

    def effective(self, w: dict[str, float]) -> tuple[float, float]:
        """(x, n) on the effective-sample scale."""
        if "w2" not in w:
            return w["num"], w["den"]
        if w["den"] <= 0 or w["w2"] <= 0:
            return 0.0, 0.0
        n_eff = w["den"] ** 2 / w["w2"]
        return min(1.0, w["num"] / w["den"]) * n_eff, n_eff

    def point(self, u: int, w: dict[str, float]) -> Point:
        x, n = self.effective(w)
        raw_x, raw_n = (w["cnt_num"], w["cnt"]) if "cnt" in w else (w["num"], w["den"])
        if n <= 0:
            return Point(None, w["num"], w["den"], 0.0, None, None, 0.0, False)
        lo, hi = intervals.wilson_interval(x, n, self.level)
        return Point(
            value=100.0 * w["num"] / w["den"],
            numerator=w["num"],
            denominator=w["den"],
            n=n,
            ci_low=_num(100.0 * lo),
            ci_high=_num(100.0 * hi),
            base=n,
            suppressed=self.small(raw_x) or self.small(raw_n - raw_x),
        )

    def compare(self, u: int, cur: dict, bench: dict, windows: float, disp: Dispersion) -> tuple:
        return self.compare_batch([(u, [(cur, bench, windows)], disp)])[0][0]

    def compare_many(self, u: int, items: list[tuple[Any, Any, float]], disp: Dispersion) -> list:
        return self.compare_batch([(u, items, disp)])[0]

    def compare_batch(self, groups: list[tuple[int, list[tuple[Any, Any, float]], Dispersion]]):
        out: list[list] = [[(None, None, None)] * len(items) for _, items, _ in groups]
        where, cols, disps = [], [], []
        for gi, (_u, items, disp) in enumerate(groups):
            f = disp.scale
            for j, (cur, bench, _w) in enumerate(items):
                x1, n1 = self.effective(cur)
                x2, n2 = self.effective(bench)
                if n2 <= 0 or n1 <= 0:
                    continue
                where.append((gi, j, cur, bench, n1, n2))
                cols.append((x1 / f, n1 / f, x2 / f, n2 / f))
                disps.append(disp)
        if not cols:
            return out
        ps = comparisons.two_proportion_tests(*np.array(cols, dtype=float).T)
        for i, (gi, j, cur, bench, n1, n2) in enumerate(where):
            v1, v2 = 100.0 * cur["num"] / cur["den"], 100.0 * bench["num"] / bench["den"]
            p = disps[i].p_value(float(ps[i]))
            if not (self.base_ok(n1) and self.base_ok(n2)):
                p = None
            out[gi][j] = (v2, v1 - v2, p)
        return out

    def monthly(self, u: Any, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """(effective numerators, effective bases) of months [0, stop) of unit ``u`` (or of the
        units at positions ``u``, a list: [unit, month] arrays)."""
        a = {k: v[u, :stop] for k, v in self.units.arrays.items()}
        if "w2" not in a:
            return a["num"], a["den"]
        with np.errstate(invalid="ignore", divide="ignore"):
            n_eff = np.where(a["w2"] > 0, a["den"] ** 2 / a["w2"], 0.0)
            p = np.where(a["den"] > 0, np.minimum(1.0, a["num"] / a["den"]), 0.0)
        return p * n_eff, n_eff

    def dispersions(self, units: list[int], stop: int, last: int) -> list[Dispersion]:
        x, n = self.monthly(units, stop)
        before = None
        last = self.extract_month(last)
        if self.units.lagged is not None and stop > 12:
            # Cohort rates: month m against month m - 12 as it stood as long after it.
            t = np.arange(12, stop)
            before = np.zeros((len(units), stop))
            lags = np.clip(last - t, 0, LAG_CAP)
            before[:, 12:] = self._lag_cumulative()[np.asarray(units)[:, None], t - 12, lags]
        # Centred over the whole baseline, not per year: a proportion's extra variation is
        # mostly a slow wobble (compliance moves with staffing), whose year-to-year part is what
        # a 12-month rate is exposed to (docs/methods.md 2.3).
        return proportion_dispersions(np.minimum(x, n), n, x_year_before=before, centre="all")

    def extract_month(self, last: int) -> int:
        """The month (relative) outcomes are known to: the latest outcome month in the data
        when known, else ``last`` (the latest month of any date the table's measures read)."""
        e = self.units.extract
        return last if e is None else e - self.units.first

    def _lag_cumulative(self) -> np.ndarray:
        if self._lag_cum is None:
            self._lag_cum = np.cumsum(self.units.lagged, axis=2)
        return self._lag_cum

    def as_at(self, u: int, bench: Any, span: tuple[int, int], cur: tuple[int, int], last: int):
        """Cohort outcome rates: each benchmark month's numerator counts the outcomes reached
        within as many months of it as the current window's month at the same position (month
        i of the window, i = (t - span start) mod window length) has had by ``last``: the
        benchmark "as at" the same stage of maturity, so that outcomes still to come do not
        read as a fall (docs/methods.md)."""
        if self.units.lagged is None:
            return bench
        last = self.extract_month(last)
        t = np.arange(span[0], span[1] + 1)
        lag = np.clip(last - (cur[0] + (t - span[0]) % (cur[1] - cur[0] + 1)), 0, LAG_CAP)
        return {**bench, "num": float(self._lag_cumulative()[u, t, lag].sum())}

    def charts(self, stop: int, units: Any = None) -> tuple[np.ndarray, list[spc.XmrResult]]:
        rows = _rows(self.units, units)
        x, n = self.monthly(rows, stop)
        lag = self.chart_lag(stop)
        if lag is not None:
            # Cohort rates: every month counted at the latest month's maturity, so that the
            # months still collecting outcomes do not read as a fall.
            x = self._lag_cumulative()[rows, :stop, lag]
        rules = self.rules(stop)
        chart = self.m.chart_type
        if chart == "run":
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.where(n > 0, x / np.where(n > 0, n, 1.0), np.nan)
            return rate, spc.run_chart_rows(rate, rules)
        draw = spc.p_chart_rows if chart == "p" else spc.laney_p_prime_rows
        res = draw(x, n, rules)
        values = np.stack([r.values for r in res]) if res else np.zeros((0, stop))
        return values, res

    def chart_lag(self, stop: int) -> int | None:
        """Cohort rates: the months from recording to outcome the monthly chart counts (those
        the chart's latest month has had by the extract); None: the plain monthly rates."""
        if self.units.lagged is None or self.units.extract is None:
            return None
        return int(np.clip(self.units.extract - self.units.first - (stop - 1), 0, LAG_CAP))

    def chart_stop(self, stop: int, last: int) -> int:
        """Cohort rates: the chart ends ``chart_maturity`` months before the extract (without
        outcome dates, ``maturing`` months before the last month of data)."""
        if self.m.basis != "cohort":
            return stop
        if self.units.lagged is None or self.units.extract is None:
            return min(stop, last - self.m.maturing_in(self.settings) + 1)
        return min(stop, self.units.extract - self.units.first - self.m.chart_maturity + 1)


class MedianStats(KindStats):
    """Medians: exact from the merged monthly histograms (values binned down to the measure's
    resolution: read within their bin, ``intervals.medians_of_histograms``); distribution-free
    order-statistic interval; Mood's median test against the pooled benchmark; XmR of monthly
    medians."""

    def __init__(self, m: Measure, units: Units, settings: Settings):
        super().__init__(m, units, settings)
        self.hcum = [
            np.concatenate([np.zeros((1, c.shape[1]), dtype=np.int64), np.cumsum(c, axis=0)])
            for _, c in units.hist
        ]
        self._monthly: dict[int, np.ndarray] = {}

    def window(self, u: int, i: int, j: int) -> np.ndarray:
        c = self.hcum[u]
        return c[j + 1] - c[i]

    def point(self, u: int, counts: np.ndarray) -> Point:
        values = self.units.hist[u][0]
        n = float(counts.sum())
        if n == 0:
            return Point(None, None, None, 0.0, None, None, 0.0, False)
        med = intervals.medians_of_histograms(values, counts[None, :], self.units.bin_width)[0]
        lo, hi = intervals.median_interval_from_histogram(values, counts, self.level)
        return Point(_num(med), None, None, n, _num(lo), _num(hi), n, self.small(n))

    def compare(
        self, u: int, cur: np.ndarray, bench: np.ndarray, windows: float, disp: Dispersion
    ) -> tuple:
        return self.compare_many(u, [(cur, bench, windows)], disp)[0]

    def compare_many(self, u: int, items: list[tuple[Any, Any, float]], disp: Dispersion) -> list:
        """A unit's windows share its bins: their medians and tests run as [window, bin]
        arrays."""
        values = self.units.hist[u][0]
        if not items or values.size == 0:
            return [(None, None, None)] * len(items)
        cur = np.array([c for c, _, _ in items], dtype=np.int64)
        bench = np.array([b for _, b, _ in items], dtype=np.int64)
        width = self.units.bin_width
        m1 = intervals.medians_of_histograms(values, cur, width)
        m2 = intervals.medians_of_histograms(values, bench, width)
        ps = comparisons.median_tests_on_grid(values, cur, bench)
        n1, n2 = cur.sum(axis=1), bench.sum(axis=1)
        out: list[tuple] = []
        for i in range(len(items)):
            if n1[i] == 0 or n2[i] == 0:
                out.append((None, None, None))
                continue
            p = _num(float(ps[i]))
            if not (self.base_ok(float(n1[i])) and self.base_ok(float(n2[i]))):
                p = None
            out.append((float(m2[i]), float(m1[i] - m2[i]), p))
        return out

    def monthly_median(self, u: int) -> np.ndarray:
        if u not in self._monthly:
            values, counts = self.units.hist[u]
            self._monthly[u] = intervals.medians_of_histograms(values, counts, self.units.bin_width)
        return self._monthly[u]

    def charts(self, stop: int, units: Any = None) -> tuple[np.ndarray, list[spc.XmrResult]]:
        rows = _rows(self.units, units)
        y = np.array([self.monthly_median(u)[:stop] for u in rows], dtype=float)
        return self._measured(y.reshape(len(rows), stop), stop)


class MeanStats(KindStats):
    """Means (per record: sum / n; per day: the daily totals' mean). ``forcestat.stats`` has no
    interval or test for means yet, so rows carry the value, the benchmark and the difference,
    with verdict ``insufficient_data``; SPC uses the monthly means."""

    def _mean(self, w: dict[str, float]) -> tuple[float, float]:
        n = w["days"] if "days" in w else w["n"]
        return (w["s"] / n if n > 0 else NAN), n

    def point(self, u: int, w: dict[str, float]) -> Point:
        mean, n = self._mean(w)
        base = None if "days" in w else n
        return Point(_num(mean), w["s"], n, n, None, None, base, base is not None and self.small(n))

    def compare(self, u: int, cur: dict, bench: dict, windows: float, disp: Dispersion) -> tuple:
        m1, _ = self._mean(cur)
        m2, _ = self._mean(bench)
        if math.isnan(m1) or math.isnan(m2):
            return (None, None, None)
        return (m2, m1 - m2, None)

    def charts(self, stop: int, units: Any = None) -> tuple[np.ndarray, list[spc.XmrResult]]:
        rows = _rows(self.units, units)
        n = self.units.arrays["days" if "days" in self.units.arrays else "n"][rows, :stop]
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(n > 0, self.units.arrays["s"][rows, :stop] / n, np.nan)
        return self._measured(y, stop)


# E-tests run together at most this many at a time: their rows of x1 are laid end to end, and
# a breakdown's units over every period would otherwise make arrays of millions of rows.
CHUNK = 256


def _chunks(n: int) -> list[tuple[int, int]]:
    return [(a, min(n, a + CHUNK)) for a in range(0, n, CHUNK)]


def stats_for(m: Measure, units: Units, settings: Settings) -> KindStats:
    cls = {
        "count": CountStats,
        "rate_per_1000": RateStats,
        "proportion": ProportionStats,
        "median": MedianStats,
        "mean": MeanStats,
        "total": TotalStats,
        "concentration": ConcentrationStats,
    }[m.kind]
    return cls(m, units, settings)


class TotalStats(KindStats):
    """Totals of a value over records (e.g. crime harm, CCHI days): the records' weights as a
    compound Poisson sum (``stats.totals``). Fay & Feuer's gamma interval from the total s, the
    sum of squares ss and the measure's ``max_value`` (without one, the window's mean value and
    mean square, as Tiwari, Clegg & Zou); scaled-Poisson E-test against the
    benchmark's mean per window, scaled by the monthly dispersion when overdispersed; XmR chart
    of monthly totals. Records whose value is missing are left out (n counts the others)."""

    def point(self, u: int, w: dict[str, float]) -> Point:
        n, s, ss = w["n"], w["s"], w["ss"]
        s, ss = max(s, 0.0), max(ss, 0.0)  # rounding of cumulative sums
        if self.m.max_value is not None:  # Fay & Feuer: the largest weight
            lo, hi = totals.weighted_poisson_interval(s, ss, self.level, w_star=self.m.max_value)
        elif n > 0:  # Tiwari, Clegg & Zou's mean weight, from the records in the window
            lo, hi = totals.weighted_poisson_interval(
                s, ss, self.level, w_star=s / n, w2_star=ss / n
            )
        else:
            lo, hi = 0.0, NAN
        return Point(_num(s), s, None, n, _num(lo), _num(hi), None, self.small(n))

    def compare(self, u: int, cur: dict, bench: dict, windows: float, disp: Dispersion) -> tuple:
        # Window sums are differences of cumulative sums: clamp rounding below zero.
        t1, v1, t2, v2 = (max(0.0, x[k]) for x in (cur, bench) for k in ("s", "ss"))
        p = disp.p_value(totals.weighted_poisson_e_test(t1, v1, t2, v2, windows, disp.scale))
        return (t2 / windows, t1 - t2 / windows, p)

    def dispersions(self, units: list[int], stop: int, last: int) -> list[Dispersion]:
        a = self.units.arrays
        if not units:
            return []
        scaled = [totals.scaled_counts(a["s"][u, :stop], a["ss"][u, :stop]) for u in units]
        return count_dispersions(np.vstack(scaled))

    def charts(self, stop: int, units: Any = None) -> tuple[np.ndarray, list[spc.XmrResult]]:
        y = np.asarray(self.units.arrays["s"][_rows(self.units, units), :stop], dtype=float)
        return self._measured(y, stop)


class ConcentrationStats(KindStats):
    """Concentration: the share (%) of the window's total value borne by the top
    ``top_percent`` of entities (``stats.concentration``). A window's per-entity totals are
    summed from the monthly entries of its months, for every unit at once, once per span.
    Influence-function interval (logit scale) and z test of two windows' shares, taken as
    independent; a benchmark of another length than the window (a 36-month long-term period
    against 12 months) is not compared, as concentration grows with the period covered. SPC:
    XmR of the monthly shares."""

    def __init__(self, m: Measure, units: Units, settings: Settings):
        super().__init__(m, units, settings)
        self.p = m.top_fraction
        e = units.entities
        if e is None:
            e = tuple(np.zeros(0, dtype=np.int64) for _ in range(3)) + (np.zeros(0),)
        order = np.lexsort((e[1], e[0]))
        self.ui, self.mi, self.code, self.value = (a[order] for a in e)
        n_units = len(units.labels)
        # Per unit: its entries (sorted by month) as a slice, and its entities numbered
        # 0..k-1 within the unit, so that a window's per-entity totals are one bincount over
        # a contiguous run of entries.
        self.cuts = np.searchsorted(self.ui, np.arange(n_units + 1))
        self.local = np.zeros(self.code.size, dtype=np.int64)
        self.n_local = np.zeros(n_units, dtype=np.int64)
        for u in range(n_units):
            a, b = self.cuts[u], self.cuts[u + 1]
            if b > a:
                codes, inv = np.unique(self.code[a:b], return_inverse=True)
                self.local[a:b] = inv
                self.n_local[u] = codes.size
        # Windows' figures, by (unit, first month, last month): only numbers are kept, so a
        # run over every period does not hold every window's entities.
        self._stats: dict[tuple[int, int, int], tuple] = {}
        self._monthly: np.ndarray | None = None

    def _values(self, w: tuple[int, int, int]) -> np.ndarray:
        """Each entity's total over months i..j of unit u (positive totals only)."""
        u, i, j = w
        a, b = self.cuts[u], self.cuts[u + 1]
        lo = a + np.searchsorted(self.mi[a:b], i, side="left")
        hi = a + np.searchsorted(self.mi[a:b], j, side="right")
        totals = np.bincount(
            self.local[lo:hi], weights=self.value[lo:hi], minlength=int(self.n_local[u])
        )
        return totals[totals > 0]

    def window(self, u: int, i: int, j: int) -> Any:
        return (u, i, j)

    def _figures(self, w: tuple[int, int, int]) -> tuple:
        """(share, se, entities, top, total, ci low, ci high) of a window, worked out once."""
        got = self._stats.get(w)
        if got is None:
            x = self._values(w)
            share, top, total, n = concentration.top_share(x, self.p)
            se = concentration.top_share_se(x, self.p)
            lo, hi = concentration.top_share_interval(x, self.p, self.level)
            got = self._stats[w] = (share, se, n, top, total, lo, hi)
        return got

    def _share_se(self, w: tuple[int, int, int]) -> tuple[float, float, int]:
        share, se, n, *_ = self._figures(w)
        return share, se, n

    def point(self, u: int, w: Any) -> Point:
        share, _, n, top, total, lo, hi = self._figures(w)
        if n == 0 or math.isnan(share):
            return Point(None, None, None, float(n), None, None, float(n), False)
        return Point(
            value=100.0 * share,
            numerator=top,
            denominator=total,
            n=float(n),
            ci_low=_num(100.0 * lo),
            ci_high=_num(100.0 * hi),
            base=float(n),
            suppressed=self.small(n),
        )

    def compare(self, u: int, cur: Any, bench: Any, windows: float, disp: Dispersion) -> tuple:
        return self.compare_batch([(u, [(cur, bench, windows)], disp)])[0][0]

    def compare_batch(self, groups: list[tuple[int, list[tuple[Any, Any, float]], Dispersion]]):
        out: list[list] = [[(None, None, None)] * len(items) for _, items, _ in groups]
        where, cols = [], []
        for gi, (_u, items, _disp) in enumerate(groups):
            for j, (cur, bench, windows) in enumerate(items):
                if abs(windows - 1.0) > 1e-9:
                    continue  # a benchmark of another length: not comparable
                s1, se1, n1 = self._share_se(cur)
                s2, se2, n2 = self._share_se(bench)
                if math.isnan(s1) or math.isnan(s2):
                    continue
                where.append((gi, j, n1, n2))
                cols.append((s1, se1, s2, se2))
        if not cols:
            return out
        a = np.array(cols, dtype=float)
        ps = concentration.top_share_tests(a[:, 0], a[:, 1], a[:, 2], a[:, 3])
        for k, (gi, j, n1, n2) in enumerate(where):
            s1, _, s2, _ = cols[k]
            p = _num(float(ps[k]))
            if not (self.base_ok(n1) and self.base_ok(n2)):
                p = None
            out[gi][j] = (100.0 * s2, 100.0 * (s1 - s2), p)
        return out

    def monthly(self) -> np.ndarray:
        """[unit, month] shares of each month's entities (NaN: a month without any)."""
        if self._monthly is None:
            months = int(self.mi.max()) + 1 if self.mi.size else 0
            n_units = len(self.units.labels)
            shares = concentration.top_shares_by_group(
                self.ui * months + self.mi, self.value, self.p
            )
            full = np.full(n_units * months, np.nan)
            full[: shares.size] = shares
            self._monthly = 100.0 * full.reshape(n_units, months)
        return self._monthly

    def monthly_base(self, u: int, stop: int) -> np.ndarray:
        """Entities with a value in each of months [0, stop) of unit ``u``."""
        mine = self.ui == u
        return np.bincount(self.mi[mine], minlength=stop)[:stop].astype(float)

    def charts(self, stop: int, units: Any = None) -> tuple[np.ndarray, list[spc.XmrResult]]:
        rows = _rows(self.units, units)
        m = self.monthly()
        y = np.full((len(rows), stop), np.nan)
        have = min(stop, m.shape[1])
        if rows and have:
            y[:, :have] = m[rows, :have]
        return self._measured(y, stop)
