"""National context: how the force compares with the other territorial forces (section 4.2 of
a Board paper).

From the Home Office and ONS tables (``store.national``), for a financial year: the force's
change in police recorded crime on the previous year and its rank among the 43 territorial
forces, England and Wales as a whole, crimes per 1,000 residents against England and Wales, and
the charge rate against England and Wales. The result is a structured object and rows in the
``measure_results`` shape (breakdown ``force`` / ``national``); the sentences are the findings
layer's (``findings.national``).

Figures are financial years (April to March) because that is what the Home Office tables hold;
the ONS' calendar-year figures are not available (docs/police-uk.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forcestat.period import Period
from forcestat.stats import comparisons, intervals, verdicts
from forcestat.store.national import NationalContextError, NationalTables, read_national
from forcestat.store.sources.police_uk import force_key

__all__ = [
    "MEASURES",
    "NATIONAL_UNIT",
    "Figure",
    "NationalContext",
    "NationalContextError",
    "national_context",
    "resolve_year",
]

NATIONAL_UNIT = "England and Wales"
MEASURES = {
    "recorded": "national_recorded_crime",
    "rate": "national_recorded_crime_per_1000",
    "charge": "national_charge_rate",
}
# The Home Office publishes by financial years starting in April, whatever a framework says.
HOME_OFFICE_FY_START = 4


@dataclass
class Figure:
    """One force-or-national figure for the year and the year before."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    previous: float | None = None
    previous_numerator: float | None = None
    previous_denominator: float | None = None

    @property
    def change_pct(self) -> float | None:
        if self.value is None or not self.previous:
            return None
        return (self.value - self.previous) / self.previous * 100


@dataclass
class NationalContext:
    force: str
    financial_year: str  # "2019/20"
    period_end: str  # "2020-03"
    forces_compared: int = 0
    recorded: Figure | None = None
    national_recorded: Figure | None = None
    rank: int | None = None  # among forces_compared, by change (see rank_direction)
    tied: bool = False
    rank_direction: str | None = None  # "increase" or "decrease"
    population_year: int | None = None
    rate: Figure | None = None
    national_rate: Figure | None = None
    charge_rate: Figure | None = None
    national_charge_rate: Figure | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def national_unit(self) -> str:
        return NATIONAL_UNIT

    @property
    def previous_period_end(self) -> str:
        return Period.parse(self.period_end).shift(-12).label

    def measure_rows(self) -> list[dict[str, Any]]:
        """Rows for ``measure_results``: window '12m' ending March."""
        rows = []
        pairs = (
            ("recorded", self.recorded, self.national_recorded),
            ("rate", self.rate, self.national_rate),
            ("charge", self.charge_rate, self.national_charge_rate),
        )
        for kind, own, nat in pairs:
            for breakdown, unit, fig in (
                ("force", self.force, own),
                ("national", NATIONAL_UNIT, nat),
            ):
                if fig is None or fig.value is None:
                    continue
                rows.append(_row(kind, breakdown, unit, fig, self.period_end))
        return rows

    def to_frame(self):
        """The rows as a ``measure_results`` frame (columns, types and order of the engine's)."""
        from forcestat.engine.results import to_frame

        return to_frame(self.measure_rows())


def _row(kind: str, breakdown: str, unit: str, fig: Figure, period_end: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "measure_id": MEASURES[kind],
        "breakdown": breakdown,
        "unit": unit,
        "period_end": period_end,
        "window": "12m",
        "value": fig.value,
        "numerator": fig.numerator,
        "denominator": fig.denominator,
        "n": fig.denominator if kind == "charge" else fig.numerator,
    }
    p = None
    if kind == "charge":
        row["ci_low"], row["ci_high"] = (
            100 * x for x in intervals.wilson_interval(fig.numerator, fig.denominator)
        )
        if fig.previous_denominator:
            p = comparisons.two_proportion_test(
                fig.numerator, fig.denominator, fig.previous_numerator, fig.previous_denominator
            )
    else:
        k = int(fig.numerator)
        lo, hi = intervals.poisson_exact_interval(k)
        scale = fig.value / k if k else 1.0
        row["ci_low"], row["ci_high"] = lo * scale, hi * scale
        if fig.previous_numerator is not None:
            p = comparisons.poisson_e_test(k, 1.0, fig.previous_numerator, 1.0)
    if fig.previous is not None:
        diff = fig.value - fig.previous
        row["previous_year_value"] = fig.previous
        row["previous_year_diff"] = diff
        row["previous_year_p"] = p
        row["previous_year_verdict"] = verdicts.verdict(p, diff)
    return row


def resolve_year(period: str | Period) -> tuple[str, str]:
    """'2019/20', '2020-03' or any month -> ('2019/20', '2020-03'): the last financial year
    complete by that month."""
    if isinstance(period, str) and "/" in period:
        start_s, _, end_s = period.strip().partition("/")
        if len(start_s) != 4 or not (start_s + end_s).isdigit():
            raise ValueError(f"financial year must look like '2019/20', got {period!r}")
        if int(end_s) != (int(start_s) + 1) % 100:
            raise ValueError(f"financial year must look like '2019/20', got {period!r}")
        end = Period(int(start_s) + 1, HOME_OFFICE_FY_START - 1 or 12)
    else:
        end = Period.parse(period.strip() if isinstance(period, str) else period)
        end = end.last_complete_fy_end(HOME_OFFICE_FY_START)
    return end.fy_label(HOME_OFFICE_FY_START), end.label


def national_context(store: Any, period: str | Period, force: str | None = None) -> NationalContext:
    """The national context for the financial year ending in (or last complete by) ``period``
    ('2020-03', '2019/20'), for ``force`` (default: the geography table's only force).
    ``store`` is a ``Store`` or any Ibis backend."""
    data = read_national(store)
    fy, period_end = resolve_year(period)
    start = int(fy[:4])
    prev_fy = f"{start - 1}/{start % 100:02d}"
    force = force or _default_force(data)
    key = force_key(force)
    territorial = data.territorial
    ctx = NationalContext(force=force, financial_year=fy, period_end=period_end)
    cur = _by_force(data.recorded, fy, territorial)
    prev = _by_force(data.recorded, prev_fy, territorial)
    if key not in cur:
        raise NationalContextError(
            f"no Home Office recorded crime for {force} in {fy}; the table has "
            + ", ".join(data.financial_years)
        )
    both = sorted(set(cur) & set(prev))
    ctx.forces_compared = len(both)
    if len(both) < len(territorial):
        missing = sorted(territorial[k] for k in set(territorial) - set(both))
        ctx.notes.append(
            f"{len(missing)} territorial force(s) lack figures for {prev_fy} or {fy} and are left "
            f"out of the ranking and the England and Wales total: {', '.join(missing)}."
        )
    nat_cur = sum(cur[k] for k in both)
    nat_prev = sum(prev[k] for k in both)
    ctx.recorded = Figure(cur[key], cur[key], None, prev.get(key), prev.get(key))
    ctx.national_recorded = Figure(nat_cur, nat_cur, None, nat_prev, nat_prev)
    _rank(ctx, cur, prev, both, key)
    _rates(data, ctx, start)
    _charges(data, ctx, cur, prev, both, key, prev_fy)
    return ctx


def _default_force(data: NationalTables) -> str:
    forces = data.geography_forces
    if len(forces) != 1:
        raise NationalContextError(
            f"the geography table has {len(forces)} forces ({', '.join(forces)}): name one"
        )
    return forces[0]


def _force_lads(data: NationalTables, force: str) -> list[str]:
    key = force_key(force)
    lads = sorted({lad for lad, pfa in data.lad_force if force_key(pfa) == key})
    if not lads:
        lads = sorted({lad for f, lad in data.geography_lads if force_key(f) == key})
    return lads


def _by_force(
    values: dict[tuple[str, str], float], fy: str, territorial: dict[str, str]
) -> dict[str, float]:
    return {k: v for (k, year), v in values.items() if year == fy and k in territorial}


def _population(
    data: NationalTables, lads: list[str], year: int
) -> tuple[int | None, float | None]:
    """(year used, population): the mid-year estimate for ``year``, else the latest before
    that has every one of the districts."""
    pop = data.population or {}
    if not lads:
        return None, None
    years = sorted({y for (lad, y) in pop if lad in lads and y <= year}, reverse=True)
    if not years:
        return None, None
    latest = years[0]
    got = [pop[(lad, latest)] for lad in lads if (lad, latest) in pop]
    if len(got) != len(lads):
        return None, None
    return latest, float(sum(got))


def _national_population(data: NationalTables, year: int) -> float | None:
    # Every district of England (E...) and Wales (W...) lies in one territorial force area.
    got = [v for (lad, y), v in (data.population or {}).items() if y == year and lad[:1] in "EW"]
    return float(sum(got)) if got else None


def _rank(ctx: NationalContext, cur, prev, both, key) -> None:
    if key not in both:
        ctx.notes.append(f"{ctx.force} has no figure for the previous year: no change or rank.")
        return
    change = {k: (cur[k] - prev[k]) / prev[k] for k in both}
    own = change[key]
    if own > 0:
        ctx.rank_direction = "increase"
        ctx.rank = 1 + sum(1 for k in both if change[k] > own)
    elif own < 0:
        ctx.rank_direction = "decrease"
        ctx.rank = 1 + sum(1 for k in both if change[k] < own)
    ctx.tied = sum(1 for k in both if change[k] == own) > 1


def _rates(data: NationalTables, ctx: NationalContext, start: int) -> None:
    if data.population is None:
        ctx.notes.append("No ONS population table is loaded: no rates per 1,000.")
        return
    lads = _force_lads(data, ctx.force)
    year, pop = _population(data, lads, start)
    year_p, pop_p = _population(data, lads, start - 1)
    if pop is None:
        ctx.notes.append(
            f"No population for {ctx.force}'s districts"
            + ("" if lads else " (no district codes for the force in lad_pfa or geography)")
            + ": no rate per 1,000."
        )
        return
    if year != start:
        ctx.notes.append(
            f"Population: ONS mid-{year} estimates, the latest loaded (not mid-{start})."
        )
    ctx.population_year = year
    nat = _national_population(data, year)
    nat_p = _national_population(data, year_p) if year_p is not None else None
    rec, nrec = ctx.recorded, ctx.national_recorded

    def fig(count: float, count_p: float | None, p: float | None, p_p: float | None) -> Figure:
        prev = count_p / p_p * 1000 if count_p is not None and p_p else None
        return Figure(count / p * 1000, count, p, prev, count_p, p_p)

    ctx.rate = fig(rec.value, rec.previous, pop, pop_p if year_p != year else None)
    if nat:
        same = year_p is not None and year_p != year
        ctx.national_rate = fig(nrec.value, nrec.previous, nat, nat_p if same else None)


def _charges(data: NationalTables, ctx, cur, prev, both, key, prev_fy) -> None:
    if data.charges is None:
        ctx.notes.append("No Home Office outcomes table is loaded: no charge rate.")
        return
    territorial = {k: k for k in both}
    t1 = _by_force(data.charges, ctx.financial_year, territorial)
    t1_prev = _by_force(data.charges, prev_fy, territorial)
    if key not in t1:
        ctx.notes.append(f"No Home Office outcomes for {ctx.force} in {ctx.financial_year}.")
        return

    def fig(x: float, n: float, xp: float | None, np_: float | None) -> Figure:
        prev_value = xp / np_ * 100 if xp is not None and np_ else None
        return Figure(x / n * 100, x, n, prev_value, xp, np_ if xp is not None else None)

    ctx.charge_rate = fig(t1[key], cur[key], t1_prev.get(key), prev.get(key))
    if set(t1) == set(both):
        nat_t1, nat_n = sum(t1.values()), sum(cur[k] for k in both)
        have_prev = set(t1_prev) == set(both)
        ctx.national_charge_rate = fig(
            nat_t1,
            nat_n,
            sum(t1_prev.values()) if have_prev else None,
            sum(prev[k] for k in both) if have_prev else None,
        )
    else:
        ctx.notes.append("Outcomes are missing for some forces: no England and Wales charge rate.")
