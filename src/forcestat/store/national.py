"""National context: how the force compares with the other territorial forces (issue 5 item 3;
section 4.2 of the reference report).

Reads the Home Office and ONS tables loaded with ``forcestat load --format home-office`` and
gives, for a financial year: the force's change in police recorded crime on the previous year
and its rank among the 43 territorial forces, England and Wales as a whole, crimes per 1,000
residents against England and Wales, and the charge rate against England and Wales. The result
is a structured object, rows in the ``measure_results`` shape (breakdown ``force`` /
``national``) and sentences in the house style.

Figures are financial years (April to March) because that is what the Home Office tables hold;
the reference report's calendar-year ONS figures are not available (docs/police-uk.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .schema import LAD_PFA, POLICE_FORCE_AREAS
from .sources.police_uk import force_key
from .store import Store, reference_rows

NATIONAL_UNIT = "England and Wales"
MEASURES = {
    "recorded": "national_recorded_crime",
    "rate": "national_recorded_crime_per_1000",
    "charge": "national_charge_rate",
}


class NationalContextError(LookupError):
    """The store lacks what the national context needs (the message says what to load)."""


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
    sentences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def measure_rows(self) -> list[dict[str, Any]]:
        """Rows for ``measure_results`` (DESIGN.md section 2): window '12m' ending March."""
        from forcestat.stats import comparisons, intervals, verdicts

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
                row: dict[str, Any] = {
                    "measure_id": MEASURES[kind],
                    "breakdown": breakdown,
                    "unit": unit,
                    "period_end": self.period_end,
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
                            fig.numerator,
                            fig.denominator,
                            fig.previous_numerator,
                            fig.previous_denominator,
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
                rows.append(row)
        return rows

    def to_frame(self):
        """The rows as a ``measure_results`` frame (columns, types and order of the engine's)."""
        from forcestat.engine.results import to_frame

        return to_frame(self.measure_rows())


# -- reading the store -----------------------------------------------------------------------------


def _duck(store: Store | Any) -> Any:
    """The DuckDB connection of a forcestat Store or of an Ibis DuckDB backend."""
    backend = getattr(store, "ibis", store)
    con = getattr(backend, "con", None)
    if con is None or not hasattr(con, "execute"):
        raise NationalContextError(f"{store!r}: the national context reads DuckDB stores")
    return con


def _has(store: Store, table: str) -> bool:
    rows = _duck(store).execute(
        "SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND NOT temporary", [table]
    )
    return rows.fetchone() is not None


def _fetch(store: Store, sql: str, params: list | None = None) -> list[tuple]:
    return _duck(store).execute(sql, params or []).fetchall()


def resolve_year(period: str) -> tuple[str, str]:
    """'2019/20', '2020-03' or any 'YYYY-MM' -> ('2019/20', '2020-03'): the last financial
    year complete by that month."""
    p = period.strip()
    if "/" in p:
        start_s, end_s = p.split("/")
        start = int(start_s)
        if len(start_s) != 4 or int(end_s) != (start + 1) % 100:
            raise ValueError(f"financial year must look like '2019/20', got {period!r}")
    else:
        try:
            year, month = (int(x) for x in p.split("-"))
        except ValueError:
            raise ValueError(f"period must be 'YYYY-MM' or 'YYYY/YY', got {period!r}") from None
        if not 1 <= month <= 12:
            raise ValueError(f"period must be 'YYYY-MM' or 'YYYY/YY', got {period!r}")
        start = (year if month >= 3 else year - 1) - 1
    return f"{start}/{(start + 1) % 100:02d}", f"{start + 1}-03"


def _territorial(store: Store) -> dict[str, str]:
    """force_key -> name of the 43 territorial forces (the store's copy, else the package's)."""
    if _has(store, POLICE_FORCE_AREAS.name):
        names = [r[0] for r in _fetch(store, "SELECT pfa_name FROM police_force_areas")]
    else:
        names = [r["pfa_name"] for r in reference_rows(POLICE_FORCE_AREAS.name)]
    return {force_key(n): n for n in names}


def _default_force(store: Store) -> str:
    forces = sorted({r[0] for r in _fetch(store, "SELECT DISTINCT force FROM geography")})
    if len(forces) != 1:
        raise NationalContextError(
            f"the geography table has {len(forces)} forces ({', '.join(forces)}): name one"
        )
    return forces[0]


def _force_lads(store: Store, force: str) -> list[str]:
    key = force_key(force)
    if _has(store, LAD_PFA.name):
        pairs = _fetch(store, "SELECT lad_code, pfa_name FROM lad_pfa")
    else:
        pairs = [(r["lad_code"], r["pfa_name"]) for r in reference_rows(LAD_PFA.name)]
    lads = sorted({lad for lad, pfa in pairs if force_key(pfa) == key})
    if not lads:
        rows = _fetch(
            store, "SELECT force, lad_code FROM geography WHERE NULLIF(lad_code, '') IS NOT NULL"
        )
        lads = sorted({lad for f, lad in rows if force_key(f) == key})
    return lads


def _by_force(store: Store, sql: str, fy: str, territorial: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for force, value in _fetch(store, sql, [fy]):
        k = force_key(force)
        if k in territorial and value is not None:
            out[k] = float(value)
    return out


def _population(store: Store, lads: list[str], year: int) -> tuple[int | None, float | None]:
    """(year used, population): the mid-year estimate for ``year``, else the latest before."""
    if not lads:
        return None, None
    marks = ", ".join("?" for _ in lads)
    rows = _fetch(
        store,
        f"SELECT year, sum(population), count(*) FROM ons_population "
        f"WHERE ladcode19 IN ({marks}) AND year <= ? GROUP BY year ORDER BY year DESC LIMIT 1",
        [*lads, year],
    )
    if not rows or rows[0][2] != len(lads):
        return None, None
    return int(rows[0][0]), float(rows[0][1])


def _national_population(store: Store, year: int) -> float | None:
    # Every district of England (E...) and Wales (W...) lies in one territorial force area.
    row = _fetch(
        store,
        "SELECT sum(population) FROM ons_population WHERE year = ? "
        "AND (ladcode19 LIKE 'E%' OR ladcode19 LIKE 'W%')",
        [year],
    )
    return float(row[0][0]) if row and row[0][0] is not None else None


# -- the computation -------------------------------------------------------------------------------


def national_context(store: Store, period: str, force: str | None = None) -> NationalContext:
    """The national context for the financial year ending in (or last complete by) ``period``
    ('2020-03', '2019/20'), for ``force`` (default: the geography table's only force)."""
    if not _has(store, "ho_recorded_crime"):
        raise NationalContextError(
            "the store has no Home Office recorded crime table: load it with "
            "`forcestat load --format home-office FILE...`"
        )
    fy, period_end = resolve_year(period)
    start = int(fy[:4])
    prev_fy = f"{start - 1}/{start % 100:02d}"
    force = force or _default_force(store)
    key = force_key(force)
    territorial = _territorial(store)
    ctx = NationalContext(force=force, financial_year=fy, period_end=period_end)
    sql = "SELECT force, recorded_crime FROM ho_recorded_crime WHERE fy = ?"
    cur = _by_force(store, sql, fy, territorial)
    prev = _by_force(store, sql, prev_fy, territorial)
    if key not in cur:
        raise NationalContextError(
            f"no Home Office recorded crime for {force} in {fy}; the table has "
            + ", ".join(r[0] for r in _fetch(store, "SELECT DISTINCT fy FROM ho_recorded_crime"))
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
    _rates(store, ctx, start)
    _charges(store, ctx, cur, prev, both, key, prev_fy)
    ctx.sentences = sentences(ctx)
    return ctx


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


def _rates(store: Store, ctx: NationalContext, start: int) -> None:
    if not _has(store, "ons_population"):
        ctx.notes.append("No ONS population table is loaded: no rates per 1,000.")
        return
    lads = _force_lads(store, ctx.force)
    year, pop = _population(store, lads, start)
    year_p, pop_p = _population(store, lads, start - 1)
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
    nat = _national_population(store, year)
    nat_p = _national_population(store, year_p) if year_p is not None else None
    rec, nrec = ctx.recorded, ctx.national_recorded

    def fig(count: float, count_p: float | None, p: float | None, p_p: float | None) -> Figure:
        prev = count_p / p_p * 1000 if count_p is not None and p_p else None
        return Figure(count / p * 1000, count, p, prev, count_p, p_p)

    ctx.rate = fig(rec.value, rec.previous, pop, pop_p if year_p != year else None)
    if nat:
        same = year_p is not None and year_p != year
        ctx.national_rate = fig(nrec.value, nrec.previous, nat, nat_p if same else None)


def _charges(store: Store, ctx, cur, prev, both, key, prev_fy) -> None:
    if not _has(store, "ho_outcomes"):
        ctx.notes.append("No Home Office outcomes table is loaded: no charge rate.")
        return
    sql = "SELECT force, closed_all_t1 FROM ho_outcomes WHERE fy = ?"
    territorial = {k: k for k in both}
    t1 = _by_force(store, sql, ctx.financial_year, territorial)
    t1_prev = _by_force(store, sql, prev_fy, territorial)
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


# -- house-style sentences -------------------------------------------------------------------------


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _year_end(period_end: str) -> str:
    from forcestat.findings.format import month_name, parse_period

    return month_name(*parse_period(period_end))


def _compare(a: float, b: float, fmt) -> str:
    if fmt(a) == fmt(b):
        return "the same as"
    return "higher than" if a > b else "lower than"


def sentences(ctx: NationalContext) -> list[str]:
    from forcestat.findings.format import fmt_count, fmt_number, fmt_pct

    out: list[str] = []
    end = _year_end(ctx.period_end)
    prev_end = _year_end(f"{int(ctx.period_end[:4]) - 1}-03")
    rec = ctx.recorded
    if rec is not None and rec.change_pct is not None:
        pct = rec.change_pct
        if fmt_pct(abs(pct)) == fmt_pct(0):
            s = f"Police recorded crime in {ctx.force} was unchanged in the 12 months to {end}"
        else:
            verb = "increased" if pct > 0 else "decreased"
            s = (
                f"Police recorded crime in {ctx.force} {verb} by {fmt_pct(abs(pct))} "
                f"in the 12 months to {end}"
            )
            if ctx.rank is not None:
                which = (
                    "highest increase" if ctx.rank_direction == "increase" else "largest decrease"
                )
                place = "" if ctx.rank == 1 and not ctx.tied else f"{ordinal(ctx.rank)} "
                joint = "joint " if ctx.tied else ""
                s += f", the {joint}{place}{which} nationally"
        out.append(
            s + f". {ctx.force} recorded {fmt_count(rec.value)} crimes, against "
            f"{fmt_count(rec.previous)} in the 12 months to {prev_end}."
        )
    nat = ctx.national_recorded
    if nat is not None and nat.change_pct is not None:
        pct = nat.change_pct
        how = (
            "was unchanged"
            if fmt_pct(abs(pct)) == fmt_pct(0)
            else f"{'increased' if pct > 0 else 'decreased'} by {fmt_pct(abs(pct))}"
        )
        out.append(
            f"Across England and Wales ({ctx.forces_compared} territorial police forces) "
            f"recorded crime {how} over the same period, to {fmt_count(nat.value)} crimes."
        )
    if ctx.rate is not None:
        r = ctx.rate.value
        s = f"{ctx.force} recorded {fmt_number(r)} crimes per 1,000 residents"
        if ctx.national_rate is not None:
            n = ctx.national_rate.value
            s += f", {_compare(r, n, fmt_number)} the England and Wales rate of {fmt_number(n)}"
        out.append(s + f" (ONS mid-{ctx.population_year} population estimates).")
    cr = ctx.charge_rate
    if cr is not None:
        s = (
            f"Charges and summonses in the 12 months to {end} were equivalent to "
            f"{fmt_pct(cr.value)} of the crimes {ctx.force} recorded "
            f"({fmt_count(cr.numerator)} against {fmt_count(cr.denominator)})"
        )
        if ctx.national_charge_rate is not None:
            n = ctx.national_charge_rate.value
            s += f", {_compare(cr.value, n, fmt_pct)} {fmt_pct(n)} for England and Wales"
        out.append(s + ".")
    return out
