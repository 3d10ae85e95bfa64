"""CompStat: crime types and call demand in day windows ending on a chosen date.

For an end date D, four windows, each against the same days a year earlier:

- ``7d``: the 7 days to D; ``28d``: the 28 days to D (the year-earlier window ends on D's date
  a year before, 29 February read as 28 February, and has the same number of days);
- ``ytd``: 1 January to D; ``fytd``: the start of the financial year (``period.FY_START_MONTH``,
  or the framework's ``financial_year_start``) to D; a year earlier, the same start a year
  before to D's date a year before (a leap day makes the two spans differ by a day: the test
  takes each span's length as its exposure).

Counts come from the records (their times carry the day), as Ibis expressions so that they
run on any backend: one aggregation of each source table to days x category x district, then
one range join of those daily counts with every window of every end date. Areas and the force
are sums of their districts (the force also holds records placed in no district). Each pair of
counts gets its % change and the exact conditional test of two Poisson counts
(``stats.ratetests``). Nothing here reads the framework's measures: the page is about volumes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from forcestat.period import FY_START_MONTH
from forcestat.stats.ratetests import conditional_poisson_test, pct_change

NOT_RECORDED = "Not recorded"
ALL = "All"
WINDOWS = ("7d", "28d", "ytd", "fytd")
WINDOW_LABELS = {
    "7d": "Last 7 days",
    "28d": "Last 28 days",
    "ytd": "Year to date",
    "fytd": "Financial year to date",
}


@dataclass(frozen=True)
class Source:
    """A record table counted by one of its category columns."""

    key: str
    title: str
    table: str
    date: str
    category: str
    category_title: str
    by_district: bool


SOURCES: tuple[Source, ...] = (
    Source("crime", "Recorded crime", "crimes", "recorded_at", "offence_group", "Crime type", True),
    Source(
        "incidents",
        "Calls for service (incidents)",
        "incidents",
        "created_at",
        "incident_type",
        "Incident type",
        True,
    ),
    Source("contacts", "Public contact", "calls", "received_at", "channel", "Channel", False),
)


@dataclass(frozen=True)
class Window:
    name: str
    end: date
    start: date
    previous_start: date
    previous_end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous_days(self) -> int:
        return (self.previous_end - self.previous_start).days + 1


def year_before(d: date) -> date:
    """The same date a year earlier; 29 February becomes 28 February."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:
        return d.replace(year=d.year - 1, day=28)


def windows(end: date, fy_start_month: int = FY_START_MONTH) -> list[Window]:
    """The four CompStat windows ending on ``end``, each with its year-earlier window."""
    prev_end = year_before(end)
    out = []
    for name, days in (("7d", 7), ("28d", 28)):
        out.append(
            Window(
                name,
                end,
                end - timedelta(days=days - 1),
                prev_end - timedelta(days=days - 1),
                prev_end,
            )
        )
    out.append(Window("ytd", end, date(end.year, 1, 1), date(end.year - 1, 1, 1), prev_end))
    fy_year = end.year if end.month >= fy_start_month else end.year - 1
    fy = date(fy_year, fy_start_month, 1)
    out.append(Window("fytd", end, fy, date(fy_year - 1, fy_start_month, 1), prev_end))
    return out


def end_dates(last: date, days: int = 56, months: int = 24) -> list[date]:
    """The end dates a refresh computes: each of the ``days`` days to ``last`` (a weekly
    meeting picks any of them) and the last day of each of the ``months`` months before."""
    out = {last - timedelta(days=k) for k in range(days)}
    first_of = date(last.year, last.month, 1)
    for _ in range(months):
        first_of_prev = (first_of - timedelta(days=1)).replace(day=1)
        out.add(first_of - timedelta(days=1))
        first_of = first_of_prev
    return sorted(out)


def first_day(backend: Any, source: Source) -> date:
    """The day of the source's first record."""
    first = backend.execute(backend.table(source.table)[source.date].min())
    return pd.Timestamp(first).date()


def daily_counts(table: Any, source: Source, start: date, end: date) -> Any:
    """Records per day, category and district between two dates (inclusive): an Ibis
    expression on the source table."""
    day = table[source.date].date()
    category = table[source.category].cast("string").fill_null(NOT_RECORDED)
    district = (
        table["district"].cast("string")
        if source.by_district
        else ibis.literal(None, type="string")
    )
    kept = table.filter(day >= ibis.date(start), day <= ibis.date(end))
    return kept.group_by(day=day, category=category, district=district).aggregate(n=kept.count())


def _window_table(ends: Iterable[date], fy_start_month: int) -> pd.DataFrame:
    rows = []
    for e in ends:
        for w in windows(e, fy_start_month):
            rows.append((e, w.name, "current", w.start, w.end))
            rows.append((e, w.name, "previous", w.previous_start, w.previous_end))
    return pd.DataFrame(rows, columns=["end_date", "window", "which", "start", "stop"])


def window_counts(
    backend: Any, source: Source, ends: Sequence[date], fy_start_month: int = FY_START_MONTH
) -> pd.DataFrame:
    """Counts of ``source``'s records per end date, window, current/previous, category and
    district: the daily counts range-joined with every window (Ibis, on the backend)."""
    spans = _window_table(ends, fy_start_month)
    table = backend.table(source.table)
    daily = daily_counts(table, source, spans["start"].min(), spans["stop"].max())
    w = ibis.memtable(spans)
    joined = daily.join(w, [daily.day >= w.start, daily.day <= w.stop])
    expr = joined.group_by(["end_date", "window", "which", "category", "district"]).aggregate(
        n=joined.n.sum()
    )
    return backend.execute(expr)


def compstat(
    backend: Any,
    ends: Sequence[date],
    areas: Mapping[str, str],
    force: str,
    *,
    fy_start_month: int = FY_START_MONTH,
    sources: Sequence[Source] = SOURCES,
    tables: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Every source's CompStat rows for every end date: one row per (source, end date, window,
    breakdown, unit, category), with ``current``, ``previous``, their spans in days,
    ``pct_change`` and ``p`` (the exact test). Categories include ``All`` (the source's
    total); units are the force, its areas and districts (records placed in no district
    count in the force only). Sources whose table the store lacks are left out."""
    have = set(tables) if tables is not None else set(backend.list_tables())
    frames = []
    firsts: dict[str, date] = {}
    for s in sources:
        if s.table not in have:
            continue
        raw = window_counts(backend, s, ends, fy_start_month)
        if raw.empty:
            continue
        frames.append(_roll_up(raw, s, areas, force))
        firsts[s.key] = first_day(backend, s)
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    spans = {
        (e, w.name): (w.days, w.previous_days) for e in ends for w in windows(e, fy_start_month)
    }
    keys = list(zip(out["end_date"], out["window"], strict=True))
    out["days"] = [spans[k][0] for k in keys]
    out["previous_days"] = [spans[k][1] for k in keys]
    out["pct_change"] = pct_change(out["current"], out["previous"])
    out["p"] = conditional_poisson_test(
        out["current"], out["previous"], out["days"], out["previous_days"]
    )
    # A year-earlier window that starts before the source's first record counts only part of
    # its days: no change and no test against it (the counts are still shown).
    starts = {(e, w.name): w.previous_start for e in ends for w in windows(e, fy_start_month)}
    early = np.array(
        [starts[k] < firsts[src] for k, src in zip(keys, out["source"], strict=True)], dtype=bool
    )
    out.loc[early, ["pct_change", "p"]] = np.nan
    out["end_date"] = [d.isoformat() for d in out["end_date"]]
    return out[COLUMNS]


COLUMNS = [
    "source",
    "end_date",
    "window",
    "breakdown",
    "unit",
    "category",
    "current",
    "previous",
    "days",
    "previous_days",
    "pct_change",
    "p",
]


def _roll_up(raw: pd.DataFrame, s: Source, areas: Mapping[str, str], force: str) -> pd.DataFrame:
    """District rows to area and force rows, with each unit's total over categories."""
    raw = raw.copy()
    raw["end_date"] = pd.to_datetime(raw["end_date"]).dt.date
    raw["district"] = raw["district"].fillna("")
    wide = raw.pivot_table(
        index=["end_date", "window", "category", "district"],
        columns="which",
        values="n",
        aggfunc="sum",
        fill_value=0,
    ).reset_index()
    for col in ("current", "previous"):
        if col not in wide:
            wide[col] = 0
    keys = ["end_date", "window", "category"]
    levels = [
        wide.groupby(keys, as_index=False)[["current", "previous"]]
        .sum()
        .assign(breakdown="force", unit=force)
    ]
    if s.by_district:
        placed = wide[wide["district"].isin(list(areas))]
        levels.append(placed.assign(breakdown="district", unit=placed["district"]))
        by_area = placed.assign(unit=placed["district"].map(dict(areas)))
        levels.append(
            by_area.groupby([*keys, "unit"], as_index=False)[["current", "previous"]]
            .sum()
            .assign(breakdown="area")
        )
    out = pd.concat([lv[[*keys, "breakdown", "unit", "current", "previous"]] for lv in levels])
    total = (
        out.groupby(["end_date", "window", "breakdown", "unit"], as_index=False)[
            ["current", "previous"]
        ]
        .sum()
        .assign(category=ALL)
    )
    out = pd.concat([out, total], ignore_index=True)
    out = out[(out["current"] > 0) | (out["previous"] > 0) | (out["category"] == ALL)]
    out["current"] = out["current"].astype(np.int64)
    out["previous"] = out["previous"].astype(np.int64)
    return out.assign(source=s.key)
