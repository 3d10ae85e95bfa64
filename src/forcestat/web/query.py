"""The one query layer: every endpoint (and every page built on the server) reads the served rows
through these functions, which apply the caller's scope (docs/serve.md, "Roles").

- ``analyst`` and ``board``: the Board edition, every unit;
- ``commander`` of a unit (an area or a district): the Board edition's rows of that unit and of
  the units inside it (an area's districts), and the force-level rows (the force, and the
  force's own breakdowns such as offence group); never another area's or district's rows, in
  results, series and findings alike;
- ``public``: the public edition (disclosure control applied by ``engine.public`` at refresh),
  every unit, and no chart with a month resting on fewer records than the threshold.

Requests filter in-memory partitions with array comparisons: a request's values never reach
any SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from forcestat.web.snapshot import Part, Snapshot

SUBUNITS = ("area", "district")
RESULT_KEYS = ("measure_id", "breakdown", "unit", "period_end", "window")


class Forbidden(PermissionError):
    """The caller's role does not reach what was asked (403)."""


class NotFound(LookupError):
    """Nothing of that name (404)."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user (by session or token) or the public."""

    name: str | None
    role: str  # analyst | commander | board | public
    unit: str | None = None
    via: str = "public"  # session | token | public

    @property
    def is_public(self) -> bool:
        return self.role == "public"


PUBLIC = Principal(None, "public")


@dataclass(frozen=True)
class Scope:
    edition: str  # "board" or "public"
    # (breakdown, unit) of the areas and districts the caller may see; None: all of them.
    # Force-level rows (the force, the measure's own breakdowns) are always in scope.
    units: frozenset[tuple[str, str]] | None = None
    charts_small_numbers: bool = True  # False: withhold charts with months of 1-4 records

    def allows(self, breakdown: str, unit: str) -> bool:
        return self.units is None or breakdown not in SUBUNITS or (breakdown, unit) in self.units

    def keys(self) -> list[str]:
        return sorted(f"{b}\x1f{u}" for b, u in self.units or ())


def area_units(snap: Snapshot) -> dict[str, set[str]]:
    """area label -> its districts."""
    out: dict[str, set[str]] = {}
    for d, a in snap.areas.items():
        out.setdefault(a, set()).add(d)
    return out


def scope_for(who: Principal, snap: Snapshot, edition: str | None = None) -> Scope:
    """The scope of a principal; ``edition="public"`` is the public edition for anyone."""
    if edition == "public" or who.is_public:
        return Scope("public", None, charts_small_numbers=False)
    if who.role in ("analyst", "board"):
        return Scope("board")
    if who.role == "commander":
        areas = area_units(snap)
        if who.unit in areas:
            keys = {("area", who.unit)} | {("district", d) for d in areas[who.unit]}
        elif who.unit in snap.areas:
            keys = {("district", who.unit)}
        else:
            keys = set()  # a unit the geography no longer has: force-level rows only
        return Scope("board", frozenset(keys))
    raise Forbidden(f"role {who.role!r} has no access")


def check_unit(snap: Snapshot, scope: Scope, unit: str | None, breakdown: str | None) -> None:
    """403 when a request names an area or district outside the caller's scope."""
    if unit is None or scope.units is None:
        return
    named = set()
    if breakdown in (None, "area") and unit in area_units(snap):
        named.add(("area", unit))
    if breakdown in (None, "district") and unit in snap.areas:
        named.add(("district", unit))
    if any(k not in scope.units for k in named):
        raise Forbidden(f"unit {unit!r} is outside your role's units")


@dataclass
class Table:
    """Rows ready for any output format: an Arrow table of exactly the served columns."""

    table: pa.Table

    @property
    def columns(self) -> list[str]:
        return list(self.table.column_names)

    def records(self) -> list[dict[str, Any]]:
        return self.table.to_pylist()

    def __len__(self) -> int:
        return self.table.num_rows


EMPTY = Table(pa.table({}))


def _mask(part: Part, scope: Scope, **equal: str | None) -> np.ndarray:
    """Rows of a partition whose key columns equal the values given (None: any), in the scope:
    force-level rows always, areas and districts only those the scope reaches."""
    mask = np.ones(part.table.num_rows, dtype=bool)
    for col, value in equal.items():
        if value is not None:
            mask &= part.keys[col] == value
    if scope.units is not None:
        sub = np.isin(part.keys["breakdown"], SUBUNITS)
        mask &= ~sub | np.isin(part.keys["_key"], scope.keys())
    return mask


def _take(part: Part, mask: np.ndarray) -> Table:
    if mask.all():
        return Table(part.table)
    return Table(part.table.take(np.flatnonzero(mask)))


def periods(snap: Snapshot, scope: Scope) -> list[str]:
    return list(snap.periods.get(scope.edition, []))


def latest_period(snap: Snapshot, scope: Scope) -> str | None:
    p = periods(snap, scope)
    return p[-1] if p else None


def measures(snap: Snapshot) -> list[dict[str, Any]]:
    return snap.measures


def _known_measure(snap: Snapshot, measure: str | None) -> None:
    if measure is not None and measure not in {m["id"] for m in snap.measures}:
        raise NotFound(f"no measure {measure!r} in the framework")


def _period(snap: Snapshot, scope: Scope, period: str | None, what: str) -> str | None:
    period = period or latest_period(snap, scope)
    if period is not None and (scope.edition, period) not in snap.results:
        raise NotFound(f"no {what} for period {period}")
    return period


def results(
    snap: Snapshot,
    scope: Scope,
    *,
    period: str | None = None,
    measure: str | None = None,
    breakdown: str | None = None,
    unit: str | None = None,
    window: str | None = None,
) -> Table:
    """``measure_results`` rows of one period (default: the latest), filtered, in scope."""
    _known_measure(snap, measure)
    check_unit(snap, scope, unit, breakdown)
    period = _period(snap, scope, period, "results")
    part = snap.results.get((scope.edition, period or ""))
    if part is None:
        return EMPTY
    mask = _mask(part, scope, measure_id=measure, breakdown=breakdown, unit=unit, window=window)
    return _take(part, mask)


def series(
    snap: Snapshot,
    scope: Scope,
    measure: str,
    *,
    breakdown: str | None = None,
    unit: str | None = None,
) -> Table:
    """The monthly series (values, SPC limits, signals) of a measure, one row per unit and
    month, in scope; default breakdown ``force``. The public edition leaves out every unit's
    chart with a month on fewer records than the disclosure threshold."""
    _known_measure(snap, measure)
    check_unit(snap, scope, unit, breakdown)
    if breakdown is None and unit is None:
        breakdown = "force"
    part = snap.series.get((measure,))
    if part is None:
        return EMPTY
    mask = _mask(part, scope, breakdown=breakdown, unit=unit)
    if not scope.charts_small_numbers:
        mask &= ~part.keys["disclosive"].astype(bool)
    return _take(part, mask)


def findings(
    snap: Snapshot, scope: Scope, *, period: str | None = None, measure: str | None = None
) -> Table:
    """The statements of a period (default: the latest): text, role, verdict and the units each
    speaks of. A commander gets only statements all of whose units are in scope (and that name
    no other area or district); a statement naming no unit is left out for them."""
    _known_measure(snap, measure)
    period = _period(snap, scope, period, "findings")
    part = snap.statements.get((scope.edition, period or ""))
    if part is None:
        return EMPTY
    mask = _mask(part, Scope(scope.edition), measure_id=measure)
    if scope.units is not None:
        others = _other_names(snap, scope)
        for i in np.flatnonzero(mask):
            units, text = part.keys["units"][i], part.keys["text"][i]
            ok = bool(units) and all(scope.allows(u["breakdown"], u["unit"]) for u in units)
            mask[i] = ok and (others is None or not others.search(_without(text, scope)))
    return _take(part, mask)


def _other_names(snap: Snapshot, scope: Scope) -> re.Pattern | None:
    """A pattern matching, as whole words, the name of any area or district outside a
    restricted scope: a belt to the braces of ``Statement.units``."""
    if scope.units is None:
        return None
    names = {("district", d) for d in snap.areas} | {("area", a) for a in snap.areas.values()}
    mine = {u for _, u in scope.units}
    others = sorted({u for b, u in names if (b, u) not in scope.units and u not in mine}, key=len)
    if not others:
        return None
    return re.compile("|".join(rf"\b{re.escape(n)}\b" for n in reversed(others)))


def _without(text: str, scope: Scope) -> str:
    """The text less the names of the caller's own units (which may contain another's)."""
    for name in sorted({u for _, u in scope.units or ()}, key=len, reverse=True):
        text = text.replace(name, " ")
    return text


def compstat_dates(snap: Snapshot) -> list[str]:
    """The end dates (``YYYY-MM-DD``) the CompStat counts were computed for, oldest first."""
    return sorted(k[0] for k in snap.compstat)


def _not_public(scope: Scope, what: str) -> None:
    if scope.edition == "public":
        raise Forbidden(f"{what} is not part of the public edition")


def compstat(
    snap: Snapshot,
    scope: Scope,
    end: str,
    *,
    unit: str | None = None,
    breakdown: str | None = None,
) -> Table:
    """CompStat rows ending on ``end`` for one unit (default: the force), in scope. Not in the
    public edition: its counts are not disclosure-controlled."""
    _not_public(scope, "CompStat")
    check_unit(snap, scope, unit, breakdown)
    part = snap.compstat.get((end,))
    if part is None:
        raise NotFound(f"no CompStat counts for {end}")
    if unit is None:
        breakdown = "force"
    return _take(part, _mask(part, scope, breakdown=breakdown, unit=unit))


def mi(snap: Snapshot, scope: Scope, *, unit: str | None = None) -> Table:
    """The supervisors' daily list of Victims Code contacts: a commander's districts only
    (an area commander's: every district of the area); ``unit`` an area or a district."""
    _not_public(scope, "The daily management information")
    check_unit(snap, scope, unit, None)
    part = snap.mi
    if part is None:
        return EMPTY
    mask = _mask(part, scope)
    if unit is not None:
        districts = area_units(snap).get(unit, {unit})
        mask &= np.isin(part.keys["unit"], sorted(districts))
    return _take(part, mask)
