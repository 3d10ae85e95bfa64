"""What the dashboard's pages show, built from the rows the query layer returns in the caller's
scope (``web.query``): the Board summary, a measure's units and breakdowns, a unit beside the
force, CompStat, the supervisors' daily list and the district map's values.

Nothing here computes a statistic: figures, verdicts and signals are the served rows', worded
by the findings layer and the report's table cells (``outputs.report.tables``) so that a page
says what the Board paper says.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from forcestat.engine.compstat import SOURCES, WINDOW_LABELS, WINDOWS
from forcestat.findings import build_findings
from forcestat.findings.format import fmt_count, fmt_pct
from forcestat.findings.model import WINDOW_ORDER, Finding
from forcestat.findings.wording import value_text, verdict_label
from forcestat.outputs import charts
from forcestat.outputs.report.tables import (
    COUNT_KINDS,
    NOT_SHOWN,
    fewer_than,
    previous_cell,
    short_period,
    unit_label,
    value_cells,
)
from forcestat.period import Period
from forcestat.web import query
from forcestat.web.query import Scope
from forcestat.web.snapshot import Snapshot

GEO = ("force", "area", "district")
COMPARATOR_TITLES = {
    "previous_year": "Previous year",
    "year_end": "Year end",
    "long_term": "Long term",
}
SIGNAL_WORDS = {
    "improvement": "Improvement",
    "concern": "Concern",
    "neutral": "Special cause",
    "common_cause": "Common cause",
    "none": "Not assessed",
}
RULE_WORDS = {
    "outside": "a point outside the control limits",
    "shift": "a shift: a run of points on one side of the mean",
    "trend": "a trend: points rising or falling in a row",
    "two_of_three": "two of three points close to a limit",
    "long_run": "a long run on one side of the median",
    "few_crossings": "too few crossings of the median",
}
JUDGED = ("improvement", "concern")


@dataclass(frozen=True)
class Cell:
    text: str
    cls: str = ""


@dataclass
class Icon:
    signal: str
    letter: str
    assurance: str = "none"

    @property
    def html(self) -> str:
        return charts.icon_html(self.signal, self.letter)

    @property
    def assurance_html(self) -> str:
        return charts.assurance_svg(self.assurance)

    @property
    def words(self) -> str:
        return SIGNAL_WORDS.get(self.signal, self.signal)


@dataclass
class MeasureRow:
    """A row of a table of measures (the summary, a unit's page)."""

    measure_id: str
    title: str
    theme: str
    priorities: tuple[str, ...]
    value: Cell
    base: Cell
    verdicts: dict[str, Cell]
    icon: Icon
    window: str | None
    significant: bool = False


@dataclass
class UnitRow:
    """A row of a measure's table of units (force, areas and districts, or a breakdown)."""

    breakdown: str
    unit: str
    name: str
    level: str
    value: Cell
    base: Cell
    previous: Cell
    verdict: Cell
    icon: Icon


# -- helpers -------------------------------------------------------------------------------------


def letter(signal: str, polarity: str, direction: str | None = None) -> str:
    """H/L on a special-cause icon: the side of the latest point (from the chart's direction
    when known, else what improvement or concern means for the measure's polarity)."""
    if signal in ("improvement", "concern", "neutral") and direction in ("high", "low"):
        return "H" if direction == "high" else "L"
    if signal in JUDGED and polarity != "neutral":
        high_good = polarity == "higher_is_better"
        return "H" if (signal == "improvement") == high_good else "L"
    return ""


def leading(windows: Iterable[str]) -> str | None:
    ws = sorted(set(windows))
    return min(ws, key=lambda w: (WINDOW_ORDER.get(w, 99), w)) if ws else None


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and math.isnan(v) else v


def _hidden_cell(why: str, kind: str, threshold: int) -> Cell:
    small = why == "primary" and kind in COUNT_KINDS
    return Cell(fewer_than(threshold) if small else NOT_SHOWN, "hidden")


def _verdict(f: Finding | None) -> Cell:
    text = verdict_label(f)
    if f is None or text == "Not compared":
        return Cell(text, "muted")
    cls = f.direction if f.is_significant and f.direction in ("better", "worse") else ""
    return Cell(text, cls)


class Measures:
    """The framework's measures, themes and priority areas as pages list them."""

    def __init__(self, framework: Any):
        self.framework = framework
        self.by_id = {m.id: m for m in framework.measures}
        self.themes = [(t.id, t.title) for t in framework.themes]
        self.theme_title = dict(self.themes)
        self.priorities = [(p.id, p.title) for p in framework.priority_areas]
        self.priority_of: dict[str, list[str]] = {}
        for p in framework.priority_areas:
            for mid in p.measures:
                self.priority_of.setdefault(mid, []).append(p.id)
        s = framework.settings
        self.bases = {"min_base": s.min_base, "caution_base": s.caution_base}
        self.threshold = s.suppress_below

    def findings(self, rows: Sequence[Mapping[str, Any]], mid: str) -> list[Finding]:
        m = self.by_id[mid]
        return build_findings(
            [{k: _clean(v) for k, v in r.items()} for r in rows], {mid: m}, **self.bases
        )


# -- the summary and a unit's page ---------------------------------------------------------------


def _measure_row(
    ms: Measures, mid: str, rows: list[dict[str, Any]], public: bool, direction: str | None = None
) -> MeasureRow | None:
    m = ms.by_id.get(mid)
    if m is None or not rows:
        return None
    window = leading(r["window"] for r in rows)
    rows = [r for r in rows if r["window"] == window]
    row = rows[0]
    found = ms.findings(rows, mid)
    by = {f.comparator: f for f in found}
    lead = by.get("previous_year") or (found[0] if found else None)
    why = row.get("disclosure") if public else None
    signal = str(row.get("spc_signal") or "none")
    icon = Icon(
        signal, letter(signal, m.polarity, direction), str(row.get("spc_assurance") or "none")
    )
    if why:
        value, base = _hidden_cell(why, m.kind, ms.threshold), Cell("")
        verdicts = {c: Cell("\u2014", "muted") for c in COMPARATOR_TITLES}
        icon = Icon("none", "")
    elif lead is None:
        value, base = Cell("no figure", "muted"), Cell("")
        verdicts = {c: Cell("Not compared", "muted") for c in COMPARATOR_TITLES}
    else:
        v, b = value_cells(lead, m)
        value, base = Cell(v.text, v.cls), Cell(b.text, b.cls)
        verdicts = {c: _verdict(by.get(c)) for c in COMPARATOR_TITLES}
        if lead.unreportable:
            icon = Icon("none", "")
    return MeasureRow(
        measure_id=mid,
        title=m.title,
        theme=m.theme,
        priorities=tuple(ms.priority_of.get(mid, ())),
        value=value,
        base=base,
        verdicts=verdicts,
        icon=icon,
        window=window,
        significant=any(f.is_significant for f in found) or signal in JUDGED,
    )


def _grouped(table: query.Table) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in table.records():
        out.setdefault(str(r["measure_id"]), []).append(r)
    return out


@dataclass
class Summary:
    period: str
    rows: list[MeasureRow]

    def filtered(self, theme: str | None, priority: str | None) -> list[MeasureRow]:
        return [
            r
            for r in self.rows
            if (not theme or r.theme == theme) and (not priority or priority in r.priorities)
        ]


def latest_directions(
    snap: Snapshot, scope: Scope, period: str, breakdown: str = "force", unit: str | None = None
) -> dict[str, str | None]:
    """measure -> the side (high/low) of its chart's latest point at ``period``, where the
    served chart ends there (charts are served at each measure's latest period)."""
    out: dict[str, str | None] = {}
    for (mid,) in snap.series:
        try:
            t = query.series(snap, scope, mid, breakdown=breakdown, unit=unit)
        except (query.Forbidden, query.NotFound):
            continue
        if len(t) == 0:
            continue
        months = t.table.column("month").to_pylist()
        last = max(range(len(months)), key=months.__getitem__)
        if months[last] == period:
            out[mid] = t.table.column("direction")[last].as_py()
    return out


def summary(ms: Measures, snap: Snapshot, scope: Scope, period: str) -> Summary:
    """Every measure at force level: latest value, base, verdicts, SPC and assurance icons."""
    table = query.results(snap, scope, period=period, breakdown="force")
    by = _grouped(table)
    ways = latest_directions(snap, scope, period)
    rows = []
    for m in ms.framework.measures:
        r = _measure_row(ms, m.id, by.get(m.id, []), scope.edition == "public", ways.get(m.id))
        if r is not None:
            rows.append(r)
    return Summary(period, rows)


@dataclass
class UnitPage:
    unit: str
    breakdown: str
    period: str
    rows: list[tuple[MeasureRow, MeasureRow | None]]  # (unit, force)
    districts: list[str] = field(default_factory=list)
    area: str | None = None


def unit_kind(snap: Snapshot, unit: str) -> str | None:
    if unit in query.area_units(snap):
        return "area"
    if unit in snap.areas:
        return "district"
    return None


def unit_page(ms: Measures, snap: Snapshot, scope: Scope, unit: str, period: str) -> UnitPage:
    """A unit's measures beside the force's, the exceptions first (a significant difference
    from a benchmark or special cause variation of improvement or concern at the unit)."""
    kind = unit_kind(snap, unit)
    if kind is None:
        raise query.NotFound(f"no area or district {unit!r}")
    mine = _grouped(query.results(snap, scope, period=period, breakdown=kind, unit=unit))
    force = _grouped(query.results(snap, scope, period=period, breakdown="force"))
    public = scope.edition == "public"
    pairs = []
    for m in ms.framework.measures:
        r = _measure_row(ms, m.id, mine.get(m.id, []), public)
        if r is None:
            continue
        pairs.append((r, _measure_row(ms, m.id, force.get(m.id, []), public)))
    order = {m.id: i for i, m in enumerate(ms.framework.measures)}
    pairs.sort(key=lambda p: (not p[0].significant, order[p[0].measure_id]))
    districts = sorted(query.area_units(snap).get(unit, ())) if kind == "area" else []
    return UnitPage(unit, kind, period, pairs, districts, snap.areas.get(unit))


# -- a measure's page ------------------------------------------------------------------------------


@dataclass
class MeasurePage:
    measure: Any
    period: str
    window: str | None
    breakdown: str  # the table's: "geo" (force, areas, districts) or an own breakdown
    breakdowns: list[str]  # the measure's own breakdowns with rows in scope
    rows: list[UnitRow]
    statements: list[dict[str, Any]]
    heading: str

    @cached_property
    def units(self) -> set[tuple[str, str]]:
        return {(r.breakdown, r.unit) for r in self.rows}


def measure_page(
    ms: Measures,
    snap: Snapshot,
    scope: Scope,
    mid: str,
    period: str,
    breakdown: str | None,
    areas: Mapping[str, str],
) -> MeasurePage:
    m = ms.by_id.get(mid)
    if m is None:
        raise query.NotFound(f"no measure {mid!r} in the framework")
    table = query.results(snap, scope, period=period, measure=mid)
    records = table.records()
    window = leading(r["window"] for r in records)
    records = [r for r in records if r["window"] == window]
    own = sorted({str(r["breakdown"]) for r in records} - set(GEO))
    chosen = breakdown if breakdown in own else "geo"
    if breakdown not in (None, "geo", *GEO, *own):
        raise query.NotFound(f"measure {mid!r} has no breakdown {breakdown!r}")
    keep = [
        r
        for r in records
        if (r["breakdown"] in GEO if chosen == "geo" else r["breakdown"] in ("force", chosen))
    ]
    found = ms.findings(keep, mid)
    by: dict[tuple[str, str], Finding] = {}
    for f in found:
        k = (f.breakdown, f.unit)
        if k not in by or f.comparator == "previous_year":
            by[k] = f
    public = scope.edition == "public"
    rows = []
    for r in _ordered(keep, areas):
        k = (str(r["breakdown"]), str(r["unit"]))
        f = by.get(k)
        signal = str(r.get("spc_signal") or "none")
        icon = Icon(signal, letter(signal, m.polarity), str(r.get("spc_assurance") or "none"))
        why = r.get("disclosure") if public else None
        name = f"{k[1]} policing area" if k[0] == "area" else unit_label(k[1])
        if why or f is None:
            hidden = _hidden_cell(why, m.kind, ms.threshold) if why else Cell("no figure", "muted")
            rows.append(
                UnitRow(
                    *k,
                    name,
                    k[0],
                    hidden,
                    Cell(""),
                    Cell(""),
                    Cell("\u2014", "muted"),
                    Icon("none", ""),
                )
            )
            continue
        if f.value is None and f.n == 0 and k[0] != "force":
            continue  # a unit with no records in the window: no row (as in the report)
        v, b = value_cells(f, m)
        p = previous_cell(f, m)
        if public and r.get("previous_disclosure"):
            p = _hidden_cell(str(r["previous_disclosure"]), "count", ms.threshold)
        rows.append(
            UnitRow(
                *k,
                name,
                k[0],
                Cell(v.text, v.cls),
                Cell(b.text, b.cls),
                Cell(p.text, p.cls),
                _verdict(f),
                Icon("none", "") if f.unreportable else icon,
            )
        )
    statements = query.findings(snap, scope, period=period, measure=mid).records()
    heading = short_period(period, window or "12m") if window else period
    return MeasurePage(m, period, window, chosen, own, rows, statements, heading)


def _ordered(rows: list[dict[str, Any]], areas: Mapping[str, str]) -> list[dict[str, Any]]:
    """Force, then each area followed by its districts, then the rest (other districts, a
    breakdown's units) alphabetically."""
    level = {"force": 0, "area": 1, "district": 2}

    def key(r: dict[str, Any]) -> tuple:
        b, u = str(r["breakdown"]), str(r["unit"])
        if b == "force":
            return (0, "", 0, "")
        if b == "area":
            return (1, u, 0, "")
        if b == "district" and u in areas:
            return (1, areas[u], 1, u)
        return (2, b, level.get(b, 3), u)

    return sorted(rows, key=key)


# -- CompStat ----------------------------------------------------------------------------------


@dataclass
class CompRow:
    category: str
    cells: dict[str, tuple[str, str, str, str, str]]  # window -> current, previous, %, p, cls
    total: bool = False


@dataclass
class CompTable:
    key: str
    title: str
    category_title: str
    rows: list[CompRow]


def _p_text(p: float | None) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def compstat_tables(table: query.Table, alpha: float) -> list[CompTable]:
    """One table per source: categories down, the four windows across (this year, a year
    earlier, % change, p), the source's total first."""
    rows = table.records()
    out = []
    for s in SOURCES:
        mine = [r for r in rows if r["source"] == s.key]
        if not mine:
            continue
        cats: dict[str, dict[str, tuple[str, str, str, str, str]]] = {}
        for r in mine:
            pct = _clean(r["pct_change"])
            p = _clean(r["p"])
            cls = ""
            if p is not None and p < alpha:
                cls = "up" if r["current"] > r["previous"] else "down"
            cats.setdefault(str(r["category"]), {})[str(r["window"])] = (
                fmt_count(r["current"]),
                fmt_count(r["previous"]),
                ""
                if pct is None
                else ("+" if pct > 0 else "\u2212" if pct < 0 else "") + fmt_pct(abs(pct)),
                _p_text(p),
                cls,
            )
        ordered = sorted(cats, key=lambda c: (c != "All", c))
        out.append(
            CompTable(
                s.key,
                s.title,
                s.category_title,
                [CompRow(c, cats[c], c == "All") for c in ordered],
            )
        )
    return out


COMPSTAT_WINDOWS = [(w, WINDOW_LABELS[w]) for w in WINDOWS]


# -- the map ---------------------------------------------------------------------------------------

MAP_METRICS = {
    "rate": ("crime_rate_per_1000", "Recorded crime per 1,000 residents", "value", ",.1f"),
    "harm": ("crime_harm", "Crime harm (Cambridge Crime Harm Index days)", "value", ",.0f"),
    "change": (
        "recorded_crime",
        "Recorded crime: % change on the previous year",
        "change",
        ",.1f",
    ),
}
MAP_LEGENDS = {"rate": "per 1,000 residents", "harm": "CCHI days", "change": "% change"}


@dataclass
class MapValues:
    metric: str
    title: str
    legend: str
    measure_id: str
    values: dict[str, float | None]
    hidden: dict[str, str]
    fmt: str
    window: str | None
    rows: list[tuple[str, str]]  # district, shown value


def map_values(
    ms: Measures, snap: Snapshot, scope: Scope, metric: str, period: str
) -> MapValues | None:
    """One figure per district in scope; the districts outside a commander's scope are
    withheld ("outside your area") and their values never leave the query layer."""
    mid, title, what, fmt = MAP_METRICS[metric]
    if mid not in ms.by_id:
        return None
    table = query.results(snap, scope, period=period, measure=mid, breakdown="district")
    recs = table.records()
    window = leading(r["window"] for r in recs)
    recs = [r for r in recs if r["window"] == window]
    values: dict[str, float | None] = {}
    hidden: dict[str, str] = {}
    for r in recs:
        d = str(r["unit"])
        if d not in snap.areas:
            continue
        if scope.edition == "public" and r.get("disclosure"):
            hidden[d] = _hidden_cell(str(r["disclosure"]), ms.by_id[mid].kind, ms.threshold).text
            continue
        if what == "value":
            values[d] = _clean(r["value"])
        else:
            prev, diff = _clean(r.get("previous_year_value")), _clean(r.get("previous_year_diff"))
            values[d] = diff / prev * 100 if prev and diff is not None else None
    for d in snap.areas:
        if d not in values and d not in hidden and not scope.allows("district", d):
            hidden[d] = "outside your area"
    shown = []
    for d in sorted(set(values) | set(hidden)):
        v = values.get(d)
        text = hidden.get(d) or ("no figure" if v is None else format(v, fmt))
        if what == "change" and v is not None and d not in hidden:
            text += "%"
        shown.append((d, text))
    return MapValues(metric, title, MAP_LEGENDS[metric], mid, values, hidden, fmt, window, shown)


# -- periods ---------------------------------------------------------------------------------------


def default_period(snap: Snapshot, edition: str) -> str | None:
    """The latest period with results for the most measures: a few measures (court cases
    decided after the extract) may run on past the month every other measure ends in."""
    counts = {
        period: len(set(part.keys["measure_id"]))
        for (ed, period), part in snap.results.items()
        if ed == edition
    }
    if not counts:
        return None
    best = max(counts.values())
    return max(p for p, n in counts.items() if n >= best)


def period_label(period: str) -> str:
    return Period.parse(period).month_name


def value_of(f: Finding | None, m: Any) -> str:
    if f is None or f.value is None:
        return "no figure"
    return value_text(f, m)


# -- the supervisors' daily list ---------------------------------------------------------------

MI_COUNTS = ("overdue", "overdue_7d", "due_next_7d", "due_28d", "on_time_28d")


@dataclass
class MiRow:
    name: str
    counts: dict[str, int]
    oldest_due: str
    on_time_pct: str


@dataclass
class MiTeam:
    team: MiRow
    officers: list[MiRow]


def _mi_row(name: str, rows: list[dict[str, Any]]) -> MiRow:
    counts = {c: int(sum(r[c] or 0 for r in rows)) for c in MI_COUNTS}
    dues = [r["oldest_due"] for r in rows if r.get("oldest_due") is not None]
    oldest = min(dues).strftime("%-d %b %Y") if dues else ""
    pct = fmt_pct(100 * counts["on_time_28d"] / counts["due_28d"]) if counts["due_28d"] else ""
    return MiRow(name, counts, oldest, pct)


def mi_rows(table: query.Table) -> list[MiTeam]:
    """Teams (most overdue first), each with its officers (most overdue first), summed over
    the districts in scope."""
    by: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for r in table.records():
        by.setdefault(str(r["team"]), {}).setdefault(str(r["officer"]), []).append(r)
    teams = []
    for team, officers in by.items():
        rows = [r for rs in officers.values() for r in rs]
        people = sorted(
            (_mi_row(o, rs) for o, rs in officers.items()),
            key=lambda x: (-x.counts["overdue"], x.name),
        )
        teams.append(MiTeam(_mi_row(team, rows), people))
    teams.sort(key=lambda t: (-t.team.counts["overdue"], t.team.name))
    return teams


def hexbin_points(snap: Any, scope: Any) -> tuple[Any, list[str]]:
    """(locations, district outlines) of the hexbin map for ``scope``: every crime and district
    for a force-wide scope; a commander's own districts and their crimes only."""
    districts = sorted(d for d in snap.areas if scope.allows("district", d))
    if snap.points is None or not districts:
        return None, []
    if scope.units is None:
        return snap.points, districts
    return snap.points[np.isin(snap.point_districts, districts)], districts
