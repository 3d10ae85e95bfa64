# The per-measure disclosure control forcestat shipped before the joint edition (the module
# src/forcestat/stats/disclosure.py as of commit 26820e6), kept unchanged as the baseline of
# benchmarks/disclosure.py. Not used by the package.
"""Disclosure control for public outputs: primary and secondary cell suppression with an
exposure audit, for any set of published totals (methods after Hundepool et al. (2012)
Statistical Disclosure Control, chapter 4; docs/methods.md).

One implementation serves every layout. Published figures are *cells*; a published total and
its parts form an *equation* (total = sum of parts): a force and its areas, an area and its
districts, a two-way table's rows and columns and their margins. Then:

1. primary: counts of 1-4 ("fewer than 5"; zeros are shown) and whatever else the caller
   flags (``primary``);
2. secondary: an equation with exactly one hidden cell gives that cell away, so another of its
   cells is hidden too: the smallest non-zero shown part (a zero only when nothing else is
   left: hiding a zero beside one small count lets the pair's total give the count away), else
   the total;
3. audit: equations combine (force = North + South, North = its districts, ...). A hidden cell
   is exposed when its value follows from the shown cells through any combination of the
   equations (linear algebra over the hidden cells); an exposed cell gets another complement
   from one of its equations and the audit runs again. Each round hides one more cell, so this
   ends.

``protect_measure`` applies this to one measure's ``measure_results`` rows (force, areas,
districts, or its own breakdown under the force); ``narrative_rows`` gives the rows a public
narrative may read.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "COUNT_KINDS",
    "Equation",
    "Hierarchy",
    "Protection",
    "base_count",
    "chart_disclosive",
    "exposed",
    "exposed_cells",
    "hierarchy",
    "narrative_rows",
    "primary_suppress",
    "protect",
    "protect_measure",
    "secondary_suppress",
    "secondary_suppress_1d",
]

Cell = Hashable
Key = tuple[str, str]  # (breakdown, unit) of a measure_results row
GEO = ("force", "area", "district")
# Kinds whose published figure is itself a count (a rate per 1,000 prints its crimes as base).
COUNT_KINDS = frozenset({"count", "rate_per_1000"})


def primary_suppress(counts: Sequence[float] | np.ndarray, threshold: int = 5) -> np.ndarray:
    """Boolean mask of counts to suppress: 1 <= count < ``threshold``. Any shape.

    Zero is shown: a zero reveals nothing about a person. Missing values (nan) are not
    suppressed here; they are not counts.
    """
    c = np.asarray(counts, dtype=float)
    with np.errstate(invalid="ignore"):
        return (c >= 1) & (c < threshold)


# -- the one implementation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Equation:
    """A published total and its parts: ``total = sum(parts)``."""

    total: Cell
    parts: tuple[Cell, ...]

    @property
    def cells(self) -> tuple[Cell, ...]:
        return (self.total, *self.parts)


def exposed(equations: Sequence[Equation], hidden: Iterable[Cell]) -> set[Cell]:
    """Hidden cells whose value follows from the shown cells through any combination of the
    equations.

    Restricted to the hidden cells, the equations are a linear system A x = b (b from the shown
    cells). A hidden cell x_m is determined exactly when the unit vector e_m lies in the row
    space of A, i.e. when every vector of A's null space is zero at m."""
    cols = list(dict.fromkeys(hidden))
    if not cols:
        return set()
    pos = {c: j for j, c in enumerate(cols)}
    rows = []
    for eq in equations:
        row = np.zeros(len(cols))
        for cell, sign in [(eq.total, 1.0)] + [(p, -1.0) for p in eq.parts]:
            if cell in pos:
                row[pos[cell]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return set()
    a = np.vstack(rows)
    _, sv, vt = np.linalg.svd(a)
    rank = int(np.sum(sv > 1e-9 * max(1.0, sv.max(initial=0.0))))
    null = vt[rank:]
    if null.size == 0:
        return set(cols)
    determined = np.all(np.abs(null) < 1e-9, axis=0)
    return {c for c, d in zip(cols, determined, strict=True) if d}


def _smallest(cands: Sequence[Cell], values: Mapping[Cell, float]) -> Cell | None:
    """The smallest non-zero candidate (a zero only when nothing else is left); ties by order."""
    if not cands:
        return None
    order = {c: i for i, c in enumerate(cands)}
    return min(cands, key=lambda c: (values.get(c, 0.0) == 0, values.get(c, 0.0), order[c]))


def _complement(eq: Equation, mask: set[Cell], values, fixed) -> Cell | None:
    """The cell of ``eq`` to hide beside its one hidden cell: a shown part, else the total."""
    parts = [p for p in eq.parts if p not in mask and p not in fixed]
    if parts:
        return _smallest(parts, values)
    return eq.total if eq.total not in mask and eq.total not in fixed else None


def protect(
    equations: Sequence[Equation],
    values: Mapping[Cell, float],
    primary: Iterable[Cell],
    *,
    fixed: Iterable[Cell] = (),
    cells: Sequence[Cell] = (),
) -> set[Cell]:
    """Primary plus secondary suppression over the equations (see the module docstring).
    ``fixed`` cells are published whatever happens (e.g. a two-way table's margins); a
    primary cell is hidden even if it is also fixed. ``cells`` orders the cells (ties and
    the audit's order; by default, as the equations name them)."""
    fixed = set(fixed)
    every = [*cells, *(c for eq in equations for c in eq.cells)]
    mask = set(primary)
    if not mask:
        return mask
    fixed -= mask
    while True:
        changed = True
        while changed:
            changed = False
            for eq in equations:
                if sum(c in mask for c in eq.cells) != 1:
                    continue
                pick = _complement(eq, mask, values, fixed)
                if pick is not None:
                    mask.add(pick)
                    changed = True
        bad = exposed(equations, mask)
        if not bad:
            return mask
        order = {c: i for i, c in enumerate(dict.fromkeys(every))}
        for e in sorted(bad, key=lambda c: order.get(c, len(order))):
            near = [c for eq in equations if e in eq.cells for c in eq.cells]
            near = [c for c in dict.fromkeys(near) if c not in mask and c not in fixed]
            pick = _smallest(near, values) or _smallest(
                [c for c in order if c not in mask and c not in fixed], values
            )
            if pick is not None:
                mask.add(pick)
                break
        else:
            return mask


# -- layouts: hierarchies, two-way tables, parts of a total ---------------------------------------


@dataclass(frozen=True)
class Hierarchy:
    """Which unit adds up into which: ``parent[key]`` (None for the top)."""

    keys: tuple[Key, ...]
    parent: Mapping[Key, Key | None]

    @property
    def groups(self) -> list[tuple[Key, list[Key]]]:
        kids: dict[Key, list[Key]] = {}
        for k in self.keys:
            p = self.parent.get(k)
            if p is not None:
                kids.setdefault(p, []).append(k)
        return [(p, kids[p]) for p in self.keys if p in kids]

    @property
    def equations(self) -> list[Equation]:
        return [Equation(p, tuple(kids)) for p, kids in self.groups]


def hierarchy(keys: Iterable[Key], areas: Mapping[str, str]) -> Hierarchy:
    """Force > areas > districts (a district whose area is not shown hangs off the force);
    any other breakdown hangs off the force."""
    keys = tuple(keys)
    force = next((k for k in keys if k[0] == "force"), None)
    present = set(keys)
    parent: dict[Key, Key | None] = {}
    for k in keys:
        level, unit = k
        if level == "force":
            parent[k] = None
        elif level == "district" and ("area", areas.get(unit, "")) in present:
            parent[k] = ("area", areas[unit])
        else:
            parent[k] = force
    return Hierarchy(keys, parent)


def _table_equations(shape: tuple[int, int]) -> tuple[list[Equation], list[Cell]]:
    """A two-way table whose row, column and grand totals are published."""
    r, c = shape
    eqs = [Equation(("row", i), tuple((i, j) for j in range(c))) for i in range(r)]
    eqs += [Equation(("col", j), tuple((i, j) for i in range(r))) for j in range(c)]
    margins = [("row", i) for i in range(r)] + [("col", j) for j in range(c)]
    return eqs, margins


def exposed_cells(table_counts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``exposed`` for a two-way table with its margins published, as a boolean mask."""
    t = np.asarray(table_counts, dtype=float)
    m = np.asarray(mask, dtype=bool)
    if t.ndim != 2 or m.shape != t.shape:
        raise ValueError("table_counts and mask must be 2-D arrays of the same shape")
    eqs, _ = _table_equations(t.shape)
    out = np.zeros_like(m)
    for i, j in exposed(eqs, [tuple(map(int, x)) for x in np.argwhere(m)]):
        out[i, j] = True
    return out


def secondary_suppress(table_counts: np.ndarray, primary_mask: np.ndarray) -> np.ndarray:
    """``protect`` for a two-way table whose row, column and grand totals are published:
    the full mask (primary and secondary)."""
    t = np.asarray(table_counts, dtype=float)
    mask = np.asarray(primary_mask, dtype=bool)
    if t.ndim != 2 or mask.shape != t.shape:
        raise ValueError("table_counts and primary_mask must be 2-D arrays of the same shape")
    if not mask.any():
        return mask.copy()
    if min(t.shape) < 2:
        raise ValueError("a table with one row or column: use secondary_suppress_1d")
    eqs, margins = _table_equations(t.shape)
    values = {(i, j): float(t[i, j]) for i in range(t.shape[0]) for j in range(t.shape[1])}
    hidden = protect(eqs, values, [tuple(map(int, x)) for x in np.argwhere(mask)], fixed=margins)
    out = np.zeros_like(mask)
    for i, j in hidden:
        out[i, j] = True
    return out


def secondary_suppress_1d(
    parts: Sequence[float] | np.ndarray,
    total_shown: bool,
    *,
    primary_mask: Sequence[bool] | np.ndarray | None = None,
    threshold: int = 5,
) -> np.ndarray:
    """``protect`` for the parts of one total (e.g. districts of a force). With the total
    hidden, primary suppression is enough. ``primary_mask`` defaults to
    ``primary_suppress(parts, threshold)``."""
    p = np.asarray(parts, dtype=float)
    if p.ndim != 1:
        raise ValueError("parts must be one-dimensional")
    mask = (
        primary_suppress(p, threshold)
        if primary_mask is None
        else np.array(primary_mask, dtype=bool, copy=True)
    )
    if mask.shape != p.shape:
        raise ValueError("primary_mask must match parts")
    if not total_shown or mask.sum() != 1:
        return mask
    if p.size == 1:
        raise ValueError("the only part is suppressed: suppress the total as well")
    eq = Equation("total", tuple(range(p.size)))
    hidden = protect(
        [eq], dict(enumerate(p.tolist())), np.flatnonzero(mask).tolist(), fixed=["total"]
    )
    return np.isin(np.arange(p.size), [h for h in hidden if h != "total"])


# -- one measure's measure_results rows -----------------------------------------------------------


@dataclass
class Protection:
    """What the public edition hides of one measure's units: key -> "primary"/"secondary"."""

    current: dict[Key, str] = field(default_factory=dict)
    previous: dict[Key, str] = field(default_factory=dict)

    def hides(self, key: Key) -> bool:
        return key in self.current


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def base_count(row: Mapping[str, Any], kind: str) -> float:
    """The additive figure behind a row: the count, or the base of a rate/median/mean."""
    if kind == "count":
        return _num(row.get("value")) or 0.0
    if kind == "rate_per_1000":
        return _num(row.get("numerator")) or 0.0
    return _num(row.get("denominator")) or _num(row.get("n")) or 0.0


def _breakdown_sets(keyed: Mapping[Key, Any]) -> list[list[Key]]:
    """Geography (force, areas, districts) as one system; each own breakdown with the force."""
    keys = sorted(keyed, key=lambda k: (GEO.index(k[0]) if k[0] in GEO else 3, k))
    geo = [k for k in keys if k[0] in GEO]
    force = [k for k in keys if k[0] == "force"]
    own = sorted({k[0] for k in keys if k[0] not in GEO})
    sets = [geo] if geo else []
    sets += [force + [k for k in keys if k[0] == b] for b in own]
    return sets


def protect_measure(
    rows: Sequence[Mapping[str, Any]], kind: str, areas: Mapping[str, str], threshold: int = 5
) -> Protection:
    """Hidden units of one measure, period and window (rows of one or more breakdowns).

    Primary: rows the engine flagged ``suppressed``, any count of 1-4 and any base under the
    threshold (a weighted survey's effective base (Kish) can read "4" while its raw counts are
    5 or more). Previous-year counts are protected the same way, as a column of their own."""
    keyed = {(str(r["breakdown"]), str(r["unit"])): r for r in rows}
    out = Protection()
    for group in _breakdown_sets(keyed):
        eqs = hierarchy(group, areas).equations
        values = {k: base_count(keyed[k], kind) for k in group}
        prim = {k for k in group if bool(keyed[k].get("suppressed"))}
        prim |= {k for k in group if 0 < (_num(keyed[k].get("n")) or 0) < threshold}
        if kind in COUNT_KINDS:
            small = primary_suppress([values[k] for k in group], threshold)
            prim |= {k for k, s in zip(group, small, strict=True) if s}
        for k in protect(eqs, values, prim, cells=group):
            out.current.setdefault(k, "primary" if k in prim else "secondary")
        if kind == "count":
            prev = {k: _num(keyed[k].get("previous_year_value")) or 0.0 for k in group}
            small = primary_suppress([prev[k] for k in group], threshold)
            pprim = {k for k, s in zip(group, small, strict=True) if s}
            for k in protect(eqs, prev, pprim, cells=group):
                out.previous.setdefault(k, "primary" if k in pprim else "secondary")
    return out


_VALUE_FIELDS = ("value", "numerator", "denominator", "ci_low", "ci_high")
_COMPARATORS = ("previous_year", "year_end", "long_term", "previous_period")


def narrative_rows(
    rows: Sequence[Mapping[str, Any]], kind: str, prot: Protection, threshold: int = 5
) -> list[dict[str, Any]]:
    """The rows a public narrative may read.

    Primary-hidden rows keep only what says they are too small (``suppressed``, and the base
    of a rate, which findings never print for a suppressed row, so a large base reads
    "not reported" rather than "too few responses"). Secondary-hidden rows are left out: their
    figures are not small, only protective, and "too few" would be untrue. Comparator figures
    below the threshold, or hidden in the tables, are dropped with their differences."""
    out = []
    for r in rows:
        key = (str(r["breakdown"]), str(r["unit"]))
        why = prot.current.get(key)
        if why == "secondary":
            continue
        row = dict(r)
        if why == "primary":
            for f in _VALUE_FIELDS:
                row[f] = None
            n = _num(row.get("n"))
            if kind in COUNT_KINDS or kind == "mean" or n is None or n < threshold:
                row["n"] = None
            row["suppressed"] = True
            for c in _COMPARATORS:
                row[f"{c}_value"] = row[f"{c}_diff"] = row[f"{c}_p"] = None
                row[f"{c}_verdict"] = "insufficient_data"
        for c in _COMPARATORS:
            v = _num(row.get(f"{c}_value"))
            small = kind in COUNT_KINDS and v is not None and 0 < v < threshold
            if small or (c == "previous_year" and key in prot.previous):
                row[f"{c}_value"] = row[f"{c}_diff"] = None
        out.append(row)
    return out


def chart_disclosive(base: Sequence[float] | np.ndarray, threshold: int = 5) -> bool:
    """True when a monthly chart would show a month resting on 1..threshold-1 records."""
    return bool(primary_suppress(np.asarray(base, dtype=float), threshold).any())
