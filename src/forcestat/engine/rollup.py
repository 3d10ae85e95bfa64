"""Roll the cube up to breakdown units (force, area, district, the measure's own) as dense
unit x month arrays, ready for window sums by cumulative difference."""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forcestat.engine.cube import (
    BIN,
    DAY,
    DISTRICT,
    ENTITY,
    FORCE,
    LAG,
    LAG_CAP,
    MONTH,
    TOTAL,
    Pass,
    duckdb_con,
    maturing,
    metric,
    metrics_of,
)
from forcestat.framework.model import CROSS, Measure

GEOGRAPHY = "geography"
# Label for a record whose own breakdown value is empty.
NOT_RECORDED = "Not recorded"
# Label of the force unit when records cannot be placed in one of several forces.
ALL_FORCES = "All forces"


@dataclass
class Geography:
    """District -> area -> force, with population (the store's geography reference table)."""

    area: dict[str, str]
    force: dict[str, str]
    population: dict[str, float]

    @property
    def forces(self) -> list[str]:
        return sorted(set(self.force.values()))

    @property
    def sole_force(self) -> str | None:
        f = self.forces
        return f[0] if len(f) == 1 else None

    def area_label(self, district: str) -> str | None:
        """Areas are named within a force ("North"); with several forces the force prefixes it."""
        a = self.area.get(district)
        if a is None or self.sole_force is not None:
            return a
        return f"{self.force[district]} / {a}"

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> Geography:
        area, force, pop = {}, {}, {}
        for r in rows:
            d = str(r["district"])
            area[d] = str(r["area"])
            force[d] = str(r["force"])
            if r.get("population") not in (None, ""):
                pop[d] = float(r["population"])
        return cls(area, force, pop)

    @classmethod
    def load(cls, backend: Any) -> Geography:
        """From the store's geography table. A store without one (or with an empty one) gets
        the packaged reference table, with a ``GeographyWarning`` that says so."""
        con = duckdb_con(backend)
        if con is not None:
            # Straight from DuckDB: Ibis' round trip costs 20 ms on a six-row table, and every
            # run reads it.
            found = con.execute(
                "SELECT count(*) FROM (SELECT table_name FROM duckdb_tables() UNION ALL "
                "SELECT view_name FROM duckdb_views()) WHERE table_name = ?",
                [GEOGRAPHY],
            ).fetchone()[0]
            rows = []
            if found:
                rel = con.sql('SELECT * FROM "geography"')
                rows = [dict(zip(rel.columns, r, strict=True)) for r in rel.fetchall()]
                for r in rows:  # as pandas reads it: a missing population is NaN, not absent
                    if r.get("population", 0) is None:
                        r["population"] = float("nan")
        else:
            found = GEOGRAPHY in backend.list_tables()
            rows = backend.table(GEOGRAPHY).to_pandas().to_dict("records") if found else []
        if rows:
            return cls.from_rows(rows)
        why = "its geography table is empty" if found else "it has no geography table"
        warnings.warn(
            f"the store's districts cannot be placed in areas: {why}; using the packaged "
            "geography (Cambridgeshire's districts and areas) instead",
            GeographyWarning,
            stacklevel=2,
        )
        from forcestat.store.store import reference_path

        with open(reference_path(GEOGRAPHY), encoding="utf-8", newline="") as fh:
            return cls.from_rows(list(csv.DictReader(fh)))


class GeographyWarning(UserWarning):
    """The store has no geography of its own; the packaged one stands in."""


@dataclass
class Units:
    """One breakdown of one pass: unit labels and, per metric, a [unit, month] array."""

    breakdown: str
    labels: list[str]
    first: int  # month index of column 0
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    # Medians: per unit, (bin values, [month, bin] counts); daily means: per unit arrays.
    hist: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    # Medians of values binned down: each bin's width (its values are the lower edges), so
    # that medians are read within their bin rather than at its edge; None: exact values.
    bin_width: float | None = None
    population: np.ndarray | None = None
    # Cohort outcome rates: [unit, month, lag] numerator counts by months from recording to
    # outcome (the last lag holds LAG_CAP and later), and the extract's month: the latest month
    # an outcome is known in (outcomes are what the extract date limits, not recording).
    lagged: np.ndarray | None = None
    extract: int | None = None
    # Concentrations: one entry per (unit, month, entity) with a value: unit position, month
    # (relative to ``first``), entity code and the entity's value that month in that unit.
    entities: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None


def _label_of(breakdown: str, value: Any, geo: Geography, has_force: bool) -> str | None:
    """The unit label of one key value for a breakdown (None: the row has no such unit)."""
    if breakdown == "force":
        if has_force:
            return NOT_RECORDED if _missing(value) else str(value)
        if geo.sole_force is not None:
            return geo.sole_force
        return geo.force.get(value) if not _missing(value) else None
    if breakdown == "area":
        return None if _missing(value) else geo.area_label(value)
    if _missing(value):
        return NOT_RECORDED
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def unit_codes(p: Pass, breakdown: str, geo: Geography) -> tuple[np.ndarray, list[str]] | None:
    """Per cube row, the index of its unit in the sorted unit labels (-1: no unit); cached on
    the pass because every measure of the pass shares it. None: the breakdown does not apply."""
    cache = p.__dict__.setdefault("_units", {})
    if breakdown in cache:
        return cache[breakdown]
    frame = p.frame
    assert frame is not None
    if CROSS in breakdown:
        out = _cross_codes(p, breakdown, geo)
        cache[breakdown] = out
        return out
    has_force = FORCE in frame.columns
    if breakdown == "force":
        source = FORCE if has_force else DISTRICT if DISTRICT in frame.columns else None
    elif breakdown in ("area", "district"):
        source = DISTRICT if DISTRICT in frame.columns else None
        if source is None:
            cache[breakdown] = None
            return None
    else:
        source = breakdown if breakdown in frame.columns else None
        if source is None:
            cache[breakdown] = None
            return None
    if source is None:  # a table without district or force: one force-wide unit
        label = geo.sole_force or ALL_FORCES
        out = (np.zeros(len(frame), dtype=np.int64), [label])
        cache[breakdown] = out
        return out
    codes, uniques = pd.factorize(frame[source], use_na_sentinel=True)
    names = [_label_of(breakdown, v, geo, has_force) for v in uniques]
    if (codes < 0).any():
        names.append(_label_of(breakdown, None, geo, has_force))
        codes = np.where(codes < 0, len(names) - 1, codes)
    labels = sorted({n for n in names if n is not None})
    pos = {u: i for i, u in enumerate(labels)}
    lookup = np.array([pos[n] if n is not None else -1 for n in names], dtype=np.int64)
    out = (lookup[codes] if len(codes) else np.zeros(0, dtype=np.int64), labels)
    cache[breakdown] = out
    return out


def _cross_codes(p: Pass, breakdown: str, geo: Geography) -> tuple[np.ndarray, list[str]] | None:
    """Units of a cross breakdown: every combination present, labelled "Fenland / Burglary"."""
    coded = [unit_codes(p, part, geo) for part in breakdown.split(CROSS)]
    if any(c is None for c in coded):
        return None
    combined = np.zeros(len(p.frame), dtype=np.int64)  # type: ignore[arg-type]
    missing = np.zeros(len(p.frame), dtype=bool)  # type: ignore[arg-type]
    for codes, labels in coded:  # type: ignore[misc]
        combined = combined * max(1, len(labels)) + np.maximum(codes, 0)
        missing |= codes < 0
    present = np.unique(combined[~missing])
    names: dict[int, tuple[str, ...]] = {}
    for key in present.tolist():
        parts, rest = [], key
        for _codes, labels in reversed(coded):  # type: ignore[misc]
            parts.append(labels[rest % len(labels)])
            rest //= len(labels)
        names[key] = tuple(reversed(parts))
    order = sorted(names, key=lambda k: names[k])
    pos = {k: i for i, k in enumerate(order)}
    codes = np.array([pos.get(k, -1) for k in combined.tolist()], dtype=np.int64)
    codes[missing] = -1
    p.__dict__.setdefault("_cross_parts", {})[breakdown] = [names[k] for k in order]
    return codes, [" / ".join(names[k]) for k in order]


def _population(
    breakdown: str, labels: list[str], geo: Geography, parts: list[tuple[str, ...]] | None = None
) -> np.ndarray:
    def total(districts: list[str]) -> float:
        vals = [geo.population[d] for d in districts if d in geo.population]
        return float(sum(vals)) if vals else np.nan

    if parts is not None:
        # A cross breakdown takes the population of its geographic part (the force's if none).
        names = breakdown.split(CROSS)
        for i, name in enumerate(names):
            if name in ("district", "area", "force"):
                return _population(name, [pt[i] for pt in parts], geo)
        return _population("offence_group", labels, geo)
    out = []
    for u in labels:
        if breakdown == "district":
            out.append(geo.population.get(u, np.nan))
        elif breakdown == "area":
            out.append(total([d for d in geo.area if geo.area_label(d) == u]))
        elif breakdown == "force" and u in geo.forces:
            out.append(total([d for d, f in geo.force.items() if f == u]))
        else:
            # Own breakdowns (and "All forces") are force-wide: the whole population.
            out.append(total(list(geo.population)))
    return np.asarray(out, dtype=float)


def roll(p: Pass, m: Measure, breakdown: str, geo: Geography, span: tuple[int, int]) -> Units:
    """Sum the pass's cube for measure ``m`` by ``breakdown`` unit and month over ``span``."""
    frame = p.frame
    assert frame is not None
    first, last = span
    months = last - first + 1
    coded = unit_codes(p, breakdown, geo)
    if coded is None or not coded[1]:
        return Units(breakdown, [], first)
    labels = coded[1]
    keep, ui, mi, flat = _layout(p, breakdown, geo, span)

    def column(name: str, dtype: Any = float) -> np.ndarray:
        # Each measure reads its columns once per breakdown: pandas' column access is the cost.
        cache = p.__dict__.setdefault("_np", {})
        if (name, dtype) not in cache:
            cache[(name, dtype)] = frame[name].to_numpy(dtype=dtype)
        values = cache[(name, dtype)]
        return values if keep is None else values[keep]

    units = Units(breakdown, labels, first)
    if m.kind == "rate_per_1000":
        parts = p.__dict__.get("_cross_parts", {}).get(breakdown)
        units.population = _population(breakdown, labels, geo, parts)
    n_units = len(labels)
    if p.kind == "additive":
        for name in metrics_of(m):
            values = column(metric(m, name))
            units.arrays[name] = _bin_sum(flat, values, n_units * months).reshape(n_units, months)
        if p.lagged is not None and maturing(m) and p.lagged.frame is not None:
            units.lagged = _lagged(p.lagged, m, breakdown, geo, labels, first, months)
            e = p.lagged.extract
            units.extract = e if e is not None else _extract_month(p.lagged)
    elif p.kind == "median":
        units.bin_width = m.bin_width if p.binned else None
        # Per unit, its own bins: the (unit, bin) pairs present, sorted by unit then bin, and a
        # [month, pair] count array whose columns split into the units' histograms.
        bins = column(BIN, np.int64)
        lo = int(bins.min()) if bins.size else 0
        width = int(bins.max()) - lo + 1 if bins.size else 1
        pairs, col = _present(ui * width + (bins - lo), n_units * width)
        # Sums of integer counts are exact in float64: no rounding needed.
        counts = _bin_sum(mi * pairs.size + col, column("count"), months * pairs.size)
        counts = counts.astype(np.int64).reshape(months, pairs.size)
        cuts = np.searchsorted(pairs // width, np.arange(n_units + 1))
        for k in range(n_units):
            a, b = cuts[k], cuts[k + 1]
            values = (pairs[a:b] % width + lo).astype(float) * m.bin_width
            units.hist.append((values, np.ascontiguousarray(counts[:, a:b])))
    elif p.kind == "entity":
        code = column(ENTITY, np.int64)
        value = column(TOTAL)
        # An entity of several districts in a month is one entry per unit and month.
        n_codes = int(code.max()) + 1 if code.size else 1
        key = flat * n_codes + code
        uniq, inv = np.unique(key, return_inverse=True)
        total = _bin_sum(inv, value, uniq.size)
        cell = uniq // n_codes
        units.entities = (cell // months, cell % months, uniq % n_codes, total)
    else:  # daily: the day's total over the unit's records, then per month total and days
        day = column(DAY, np.int64)  # days since 1970 (``cube.run``)
        d0 = int(day.min()) if day.size else 0
        span_days = int(day.max()) - d0 + 1 if day.size else 1
        # One entry per (unit, month, day) present: its total, then totals and days per month.
        combos, inv = np.unique(flat * span_days + (day - d0), return_inverse=True)
        per_day = _bin_sum(inv, column("total"), combos.size)
        cell = combos // span_days
        units.arrays["s"] = _bin_sum(cell, per_day, n_units * months).reshape(n_units, months)
        units.arrays["days"] = (
            np.bincount(cell, minlength=n_units * months).astype(float).reshape(n_units, months)
        )
    return units


def _layout(
    p: Pass, breakdown: str, geo: Geography, span: tuple[int, int]
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray]:
    """(rows kept or None for all, their unit, their month within ``span``, their flat
    unit x month cell) of the pass's cube for a breakdown: shared by every measure of the pass
    (cached on it), so each measure's roll-up is one bincount per metric."""
    cache = p.__dict__.setdefault("_layout", {})
    key = (breakdown, span)
    if key in cache:
        return cache[key]
    frame = p.frame
    assert frame is not None
    first, last = span
    months = last - first + 1
    all_ui, _labels = unit_codes(p, breakdown, geo)  # type: ignore[misc]
    keep: np.ndarray | None = all_ui >= 0
    if keep.all():  # type: ignore[union-attr]
        keep = None
    ui = all_ui if keep is None else all_ui[keep]
    mi = frame[MONTH].to_numpy(dtype=np.int64)
    mi = (mi if keep is None else mi[keep]) - first
    if mi.size and (mi.min() < 0 or mi.max() >= months):
        # The sums index unit x month cells by position: a month outside the span would land in
        # another unit's cells.
        raise ValueError(
            f"{p.name}: cube months {int(mi.min()) + first}..{int(mi.max()) + first} fall outside "
            f"the table's span {first}..{last}"
        )
    # Dense [unit, month] sums by one bincount on the flat index (np.add.at is several times
    # slower); every month is inside the span (checked above).
    out = (keep, ui, mi, ui * months + mi)
    cache[key] = out
    return out


def _lagged(
    p: Pass, m: Measure, breakdown: str, geo: Geography, labels: list[str], first: int, months: int
) -> np.ndarray:
    """[unit, month, lag] numerators of ``m`` from its lagged pass, on ``labels``' units."""
    out = np.zeros((len(labels), months, LAG_CAP + 1))
    coded = unit_codes(p, breakdown, geo)
    if coded is None or not coded[1]:
        return out
    codes, lag_labels = coded
    pos = {u: i for i, u in enumerate(labels)}
    remap = np.array([pos.get(u, -1) for u in lag_labels], dtype=np.int64)
    ui = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
    frame = p.frame
    assert frame is not None
    mi = frame[MONTH].to_numpy(dtype=np.int64) - first
    keep = (ui >= 0) & (mi >= 0) & (mi < months)
    lag = np.maximum(frame[LAG].to_numpy(dtype=np.int64), 0)
    num = frame[metric(m, "num")].to_numpy(dtype=float)
    flat = (ui[keep] * months + mi[keep]) * (LAG_CAP + 1) + lag[keep]
    return _bin_sum(flat, num[keep], out.size).reshape(out.shape)


def _present(ids: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(ids, return_inverse=True)`` for non-negative ids below ``space``: by a
    presence table rather than a sort when the id space is not much bigger than the ids."""
    if space > max(4 * ids.size, 1 << 16):
        return np.unique(ids, return_inverse=True)
    seen = np.zeros(space, dtype=bool)
    seen[ids] = True
    rank = np.cumsum(seen) - 1
    return np.flatnonzero(seen), rank[ids]


def _bin_sum(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Sums of ``weights`` by ``index`` into an array of ``size`` (np.add.at, faster)."""
    if index.size == 0:
        return np.zeros(size)
    return np.bincount(index, weights=weights, minlength=size).astype(float, copy=False)


def _extract_month(p: Pass) -> int | None:
    """The latest outcome month in a lagged pass (recording month + months to outcome)."""
    frame = p.frame
    assert frame is not None
    lag = frame[LAG].to_numpy(dtype=np.int64)
    dated = (lag >= 0) & (lag < LAG_CAP)
    if not dated.any():
        return None
    return int((frame[MONTH].to_numpy(dtype=np.int64)[dated] + lag[dated]).max())
