"""Disclosure control for the public edition (DESIGN section 6).

What the public edition shows of one measure is a hierarchy of units: the force, its areas, the
districts within each area (districts with no area, e.g. "No location", sit directly under the
force) or the measure's own breakdown under the force. Every figure a table or sentence gives
for a unit (a count; a rate with its base, from which the count follows) adds up the hierarchy,
so hiding a unit hides its whole row, and a hidden row must not be recoverable from the rows
shown:

1. primary: rows the engine flagged ``suppressed`` (a count of 1-4, or a rate whose numerator
   or its complement is 1-4, or a median/mean of 1-4 records), any count of 1-4
   (``stats.disclosure.primary_suppress``) and any base under 5;
2. secondary: a parent and its children form one equation (parent = sum of children). An
   equation with exactly one hidden cell gives that cell away, so another is hidden: the
   smallest non-zero shown child (``stats.disclosure.secondary_suppress_1d``), or the parent
   when no child is left;
3. audit: equations can combine (North = its districts, force = North + South, ...); every
   hidden cell must stay undetermined by the whole system (linear algebra over the hidden
   cells, as ``stats.disclosure.exposed_cells`` does for two-way tables). An exposed cell
   gets another complement and the audit runs again.

Previous-year counts are protected the same way, as a column of their own. Other previous-year
figures (rates, medians) are not shown in public tables: their bases are not in
``measure_results``, so they could rest on a handful of records.

No record-level detail: the report has none, and a monthly chart is withheld from the public
edition when any of its months rests on 1-4 records.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forcestat.stats.disclosure import primary_suppress, secondary_suppress_1d

FEWER_THAN = "fewer than {k}"
COUNT_KINDS = frozenset({"count", "rate_per_1000"})
GEO = ("force", "area", "district")

Key = tuple[str, str]  # (breakdown, unit)


def fewer_than(threshold: int) -> str:
    return FEWER_THAN.format(k=threshold)


@dataclass(frozen=True)
class Hierarchy:
    """Which unit adds up into which: ``parent[key]`` (None for the force)."""

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


def exposed(h: Hierarchy, hidden: set[Key]) -> set[Key]:
    """Hidden cells whose value follows from the shown ones through any combination of the
    hierarchy's equations: cell m is determined exactly when every null-space vector of the
    equations restricted to the hidden cells is zero at m."""
    cols = [k for k in h.keys if k in hidden]
    if not cols:
        return set()
    pos = {k: j for j, k in enumerate(cols)}
    eqs = []
    for p, kids in h.groups:
        row = np.zeros(len(cols))
        for k, sign in [(p, 1.0)] + [(c, -1.0) for c in kids]:
            if k in pos:
                row[pos[k]] += sign
        eqs.append(row)
    if not eqs:
        return set()
    a = np.vstack(eqs)
    _, sv, vt = np.linalg.svd(a)
    rank = int(np.sum(sv > 1e-9 * max(1.0, sv.max(initial=0.0))))
    null = vt[rank:]
    if null.size == 0:
        return set(cols)
    determined = np.all(np.abs(null) < 1e-9, axis=0)
    return {k for k, d in zip(cols, determined, strict=True) if d}


def _smallest(cands: Sequence[Key], values: Mapping[Key, float]) -> Key | None:
    """The smallest non-zero candidate (a zero only when nothing else is left), ties by order:
    hiding a zero next to one small count would let the pair's total give the count away."""
    if not cands:
        return None
    order = {k: i for i, k in enumerate(cands)}
    return min(cands, key=lambda k: (values.get(k, 0.0) == 0, values.get(k, 0.0), order[k]))


def protect(h: Hierarchy, values: Mapping[Key, float], primary: Iterable[Key]) -> set[Key]:
    """Primary plus secondary suppression over the hierarchy (see the module docstring)."""
    mask = set(primary) & set(h.keys)
    if not mask:
        return mask
    while True:
        changed = True
        while changed:
            changed = False
            for p, kids in h.groups:
                cells = [p, *kids]
                if sum(c in mask for c in cells) != 1:
                    continue
                if p not in mask and len(kids) > 1:
                    parts = np.array([values.get(c, 0.0) for c in kids])
                    hid = secondary_suppress_1d(
                        parts, True, primary_mask=np.array([c in mask for c in kids])
                    )
                    mask.update(c for c, x in zip(kids, hid, strict=True) if x)
                else:
                    pick = _smallest([c for c in cells if c not in mask], values)
                    if pick is not None:
                        mask.add(pick)
                changed = True
        bad = exposed(h, mask)
        if not bad:
            return mask
        for e in sorted(bad, key=h.keys.index):
            lines = [[p, *kids] for p, kids in h.groups if e in (p, *kids)]
            near = [c for line in lines for c in line if c not in mask]
            pick = _smallest(near, values) or _smallest(
                [k for k in h.keys if k not in mask], values
            )
            if pick is not None:
                mask.add(pick)
                break
        else:
            return mask


# -- one measure ----------------------------------------------------------------------------------


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


def protect_measure(
    rows: Sequence[Mapping[str, Any]], kind: str, areas: Mapping[str, str], threshold: int = 5
) -> Protection:
    """Hidden units of one measure, period and window (rows of one or more breakdowns)."""
    keyed = {(str(r["breakdown"]), str(r["unit"])): r for r in rows}
    out = Protection()
    for group in _breakdown_sets(keyed):
        h = hierarchy(group, areas)
        values = {k: base_count(keyed[k], kind) for k in group}
        prim = {k for k in group if bool(keyed[k].get("suppressed"))}
        # A base under the threshold is hidden too, whatever the engine's flag: a weighted
        # survey's effective base (Kish) can read "4" while its raw counts are 5 or more.
        prim |= {k for k in group if 0 < (_num(keyed[k].get("n")) or 0) < threshold}
        if kind in COUNT_KINDS:
            small = primary_suppress([values[k] for k in group], threshold)
            prim |= {k for k, s in zip(group, small, strict=True) if s}
        for k in protect(h, values, prim):
            out.current[k] = "primary" if k in prim else "secondary"
        if kind == "count":
            prev = {k: _num(keyed[k].get("previous_year_value")) or 0.0 for k in group}
            small = primary_suppress([prev[k] for k in group], threshold)
            pprim = {k for k, s in zip(group, small, strict=True) if s}
            for k in protect(h, prev, pprim):
                out.previous[k] = "primary" if k in pprim else "secondary"
    return out


def _breakdown_sets(keyed: Mapping[Key, Any]) -> list[list[Key]]:
    """Geography (force, areas, districts) as one system; each own breakdown with the force."""
    keys = sorted(keyed, key=lambda k: (GEO.index(k[0]) if k[0] in GEO else 3, k))
    geo = [k for k in keys if k[0] in GEO]
    force = [k for k in keys if k[0] == "force"]
    own = sorted({k[0] for k in keys if k[0] not in GEO})
    sets = [geo] if geo else []
    sets += [force + [k for k in keys if k[0] == b] for b in own]
    return sets


_VALUE_FIELDS = ("value", "numerator", "denominator", "ci_low", "ci_high")
_COMPARATORS = ("previous_year", "year_end", "long_term")


def narrative_rows(
    rows: Sequence[Mapping[str, Any]], kind: str, prot: Protection, threshold: int = 5
) -> list[dict[str, Any]]:
    """The rows the public narrative may read.

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
