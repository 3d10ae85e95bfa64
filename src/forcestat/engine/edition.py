"""The cells of one period's public edition, and every relation between them a reader can use.

A public edition prints many figures that are the same number, or parts of one another: the
base of a rate is the count of another measure (child sexual exploitation's share of child
sexual abuse offences rests on the child sexual abuse count), the financial year to date in
March is the 12 months, last year's figure of one window is the year-end figure of another, a
quarter's crimes are among the year's. Disclosure control that protects each table on its own
leaves a figure hidden in one table printed in another. So every figure of ``measure_results``
that counts records (or sums a value over them) is mapped here to a *cell*:

- the records it counts: the measure's table, date column and filter conditions (the filter's
  ``and``-ed conditions as a set, so that their order and spacing do not matter); a rate's
  numerator and the rest of its base are records too (the filter with the numerator, and with
  its negation). Measures whose figures agree on every unit, window and comparator of the
  period are taken to count the same records (a reader seeing two tables agree everywhere
  would), so a cell is never hidden in one and printed in the other;
- the unit (breakdown, unit) and the months (the window's, or a comparator's).

The relations (``docs/methods.md`` 6):

- equations: at every set of months, the force is the sum of its areas (and of districts with
  no area), an area of its districts, the force of each breakdown's units; a rate's base is its
  numerator plus the rest; months that split into two other cells' months add up. An equation
  the figures do not satisfy exactly (a breakdown that leaves records out) is not used;
- subsets: a cell is at most the cell of the same records over months that contain its months,
  and at most the cell of records with fewer conditions over the same months;
- ties: hiding one cell hides others: a rate's numerator and the rest of its base go together
  (either gives the other from the base), and hiding the base hides both (the rate and its
  numerator would give the base); a total's or a mean's value goes with its count. A rate whose
  numerator is hidden keeps its base when the base is not hidden itself.

``engine.public`` hands these to ``stats.disclosure.protect`` with the interval audit.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, permutations
from typing import Any

from forcestat.engine.evaluate import SEASONAL_KINDS
from forcestat.engine.windows import comparator_span, matched_span
from forcestat.framework import expr
from forcestat.framework.model import Framework, Measure
from forcestat.period import Span, month_index, window_span
from forcestat.stats.disclosure import Equation, Known, Subset, hierarchy

COMPARATORS = ("previous_year", "year_end", "long_term", "previous_period")
# Kinds whose comparator figures are counts over the comparator's months (a rate per 1,000 is
# its count on the population's scale).
COUNTED = frozenset({"count", "rate_per_1000"})
Months = tuple[Span, ...]


@dataclass(frozen=True, order=True)
class CellKey:
    """A cell: the records counted (``records``, an opaque signature), the unit and months."""

    records: Any
    breakdown: str
    unit: str
    months: Months

    # A record signature is a deep tuple, and an edition hashes its cells millions of times
    # (two thirds of the audit's time before this cache). The hash is kept out of pickles:
    # string hashes differ between processes.
    def __hash__(self) -> int:
        try:
            return self.__dict__["_hash"]
        except KeyError:
            h = hash((self.records, self.breakdown, self.unit, self.months))
            object.__setattr__(self, "_hash", h)
            return h

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}


@dataclass
class Edition:
    """One period's cells (true values), where each row's figures sit, and the relations."""

    rows: list[dict[str, Any]]
    kinds: list[str]
    values: dict[CellKey, float] = field(default_factory=dict)
    # Per row: the cells whose hiding hides its figure, the base printed beside it when that
    # is a cell of its own (a rate's), and its comparators' cells.
    figure: list[tuple[CellKey, ...]] = field(default_factory=list)
    base: list[CellKey | None] = field(default_factory=list)
    comparators: list[dict[str, CellKey]] = field(default_factory=list)
    ties: dict[CellKey, tuple[CellKey, ...]] = field(default_factory=dict)
    equations: list[Equation] = field(default_factory=list)
    subsets: list[Subset] = field(default_factory=list)
    # Rows the engine flagged (a small base or numerator it knows of): hidden whatever; rows
    # whose base itself is under the threshold.
    flagged: set[int] = field(default_factory=set)
    small_bases: set[int] = field(default_factory=set)
    real: set[CellKey] = field(default_factory=set)  # sums of values, not counts
    # Cells a table or column prints (a count, a base, a comparator) rather than a rate's parts.
    printed: set[CellKey] = field(default_factory=set)
    zero_ok: set[CellKey] = field(default_factory=set)  # may be 0 when hidden
    order: list[CellKey] = field(default_factory=list)
    unused_equations: int = 0
    threshold: int = 5

    @property
    def small(self) -> set[CellKey]:
        """Counts of 1 .. threshold-1: what the edition protects."""
        return {c for c, v in self.values.items() if c not in self.real and 0 < v < self.threshold}

    @property
    def primary(self) -> list[CellKey]:
        small = self.small
        out = [c for c in self.order if c in small]
        for i in sorted(self.flagged):
            out += list(self.figure[i])
        for i in sorted(self.small_bases):
            out.append(self.base[i])
        return list(dict.fromkeys(out))

    def own(self, i: int) -> tuple[CellKey, ...]:
        b = self.base[i]
        return self.figure[i] + ((b,) if b is not None else ())

    @property
    def rate_rows(self) -> list[int]:
        """Rates hidden for a small figure of their own (numerator, rest or base)."""
        small = self.small
        return [
            i
            for i, k in enumerate(self.kinds)
            if k == "proportion"
            and self.figure[i]
            and (i in self.flagged or any(c in small for c in self.own(i)))
        ]

    @property
    def some_small(self) -> list[tuple[CellKey, ...]]:
        """Per such rate, its cells: a reader knows one is small, not which."""
        return [self.own(i) for i in self.rate_rows]

    @property
    def weak(self) -> set[CellKey]:
        """Cells of rates hidden as too few that no count label speaks of."""
        return {c for i in self.rate_rows for c in self.own(i)} - self.counted

    @property
    def sensitive(self) -> set[CellKey]:
        """Small counts a label calls "fewer than k": their range must cover the label's."""
        return self.small - self.weak

    @property
    def two_values(self) -> set[CellKey]:
        """Cells that must keep two feasible values when hidden: every printed one, and the
        small numerator, rest or base of a rate hidden as too few (``docs/methods.md`` 6)."""
        return self.printed | (self.small & self.weak)

    def known(self) -> dict[CellKey, Known]:
        """What a reader knows of each cell were it hidden, assuming (to be safe) that the
        reader can tell a count hidden for being small from one hidden to protect it: a count
        of 1-4 reads "fewer than 5"; any other hidden count is not small (a complement is never
        a zero); a rate's numerator or remainder may be zero. Of a rate hidden as too few, only
        that one of its numerator, rest and base is small (``some_small``), unless a count
        elsewhere says more; of a sum of values, only that it is not negative."""
        weak = self.weak
        bases = {b for b in self.base if b is not None}
        out = {}
        for c, v in self.values.items():
            if c in self.real:
                out[c] = Known()
            elif c in weak:
                out[c] = Known(1.0 if c in bases else 0.0)
            else:
                out[c] = Known.of_count(v, self.threshold, zero=c in self.zero_ok)
        return out

    @property
    def counted(self) -> set[CellKey]:
        """Cells printed as counts somewhere (a count, a rate's crimes, a base of a median,
        a comparator)."""
        out = {c for d in self.comparators for c in d.values()}
        for i, k in enumerate(self.kinds):
            if k != "proportion":
                out |= {c for c in self.figure[i] if c not in self.real}
        return out

    def is_integer(self, cell: Hashable) -> bool:
        return cell not in self.real


def conjuncts(node: expr.Node | None) -> frozenset:
    """The ``and``-ed conditions of a filter, as a set."""
    if node is None:
        return frozenset()
    if isinstance(node, expr.BoolOp) and node.op == "and":
        return conjuncts(node.left) | conjuncts(node.right)
    return frozenset({node})


def _records(m: Measure, extra: frozenset = frozenset()) -> tuple:
    """The records a measure counts, as a signature that sorts the same in every run (its
    conditions in the order of their text)."""
    conds = conjuncts(m.filter_expr) | extra
    return ("records", m.table, m.date_column, tuple(sorted(conds, key=repr)))


def _months(spans: Sequence[Span]) -> Months:
    """Spans as a canonical tuple: sorted, touching spans merged."""
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def _month_set(months: Months) -> frozenset[int]:
    return frozenset(i for a, b in months for i in range(a, b + 1))


def _num(v: Any) -> float | None:
    if v is None:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _whole(x: float) -> float:
    r = round(x)
    return float(r) if abs(x - r) < 1e-6 * max(1.0, abs(x)) else x


def build_edition(
    rows: Sequence[Mapping[str, Any]],
    framework: Framework,
    areas: Mapping[str, str],
) -> Edition:
    """The cells and relations of one period's ``measure_results`` rows (every measure,
    breakdown and window of that period)."""
    settings = framework.settings
    k = settings.suppress_below
    fy, lt = settings.financial_year_start, settings.long_term_months
    by_id = framework.by_id
    ed = Edition([dict(r) for r in rows], [], threshold=k)
    found: dict[CellKey, list[float]] = {}
    integral_only: set[CellKey] = set()  # weighted rates: counts only when whole

    def cell(records: Any, r: Mapping, months: Months, v: float, real: bool = False) -> CellKey:
        key = CellKey(records, str(r["breakdown"]), str(r["unit"]), months)
        found.setdefault(key, []).append(v)
        if real:
            ed.real.add(key)
        return key

    for i, r in enumerate(ed.rows):
        m = by_id.get(str(r["measure_id"]))
        kind = m.kind if m is not None else ""
        ed.kinds.append(kind)
        own: list[CellKey] = []
        base: CellKey | None = None
        cmps: dict[str, CellKey] = {}
        if m is None:
            ed.figure.append(())
            ed.base.append(None)
            ed.comparators.append(cmps)
            continue
        p = month_index(str(r["period_end"]))
        span = window_span(str(r["window"]), p, fy)
        months = _months([span])
        value, num, den, n = (_num(r.get(c)) for c in ("value", "numerator", "denominator", "n"))
        if kind == "count" and value is not None:
            own.append(cell(_records(m), r, months, _whole(value)))
        elif kind == "rate_per_1000" and num is not None:
            own.append(cell(_records(m), r, months, _whole(num)))
        elif kind == "proportion" and num is not None and den is not None:
            if m.weight is None:
                sigs = [_records(m)]
                sigs += [_records(m, frozenset({m.numerator_expr}))]
                sigs += [_records(m, frozenset({expr.Not(m.numerator_expr)}))]
            else:
                sigs = [("weighted", m.id, part) for part in ("base", "numerator", "rest")]
            b, x, y = (
                cell(s, r, months, _whole(v))
                for s, v in zip(sigs, (den, num, den - num), strict=True)
            )
            own += [x, y]
            base = b
            ed.ties.update({x: (y,), y: (x,), b: (x, y)})
            ed.zero_ok |= {x, y}
            ed.equations.append(Equation(b, (x, y)))
            if m.weight is not None:
                integral_only |= {b, x, y}
        elif kind == "median" and n is not None:
            own.append(cell(("median", m.id), r, months, _whole(n)))
        elif kind in ("mean", "total") and n is not None and (kind == "total" or m.per == "record"):
            own.append(cell((kind, m.id, "n"), r, months, _whole(n)))
            s = value if kind == "total" else num
            if s is not None:
                own.append(cell((kind, m.id, "sum"), r, months, s, real=True))
                ed.ties.update({own[0]: (own[1],), own[1]: (own[0],)})
        if kind in COUNTED:
            span_of = matched_span if kind in SEASONAL_KINDS else comparator_span
            scale = 1.0
            if kind == "rate_per_1000":
                scale = (den or math.nan) / 1000.0
            for c in COMPARATORS:
                cv = _num(r.get(f"{c}_value"))
                if cv is None or not math.isfinite(scale):
                    continue
                try:
                    bench = span_of(c, span, fy, lt)
                except ValueError:
                    continue
                bm = _months(bench.parts or [bench.span])
                cmps[c] = cell(_records(m), r, bm, _whole(cv * bench.windows * scale))
        suppressed = bool(r.get("suppressed"))
        if own and (suppressed or 0 < (n or 0) < k):
            ed.flagged.add(i)
        if base is not None and 0 < (n or 0) < k:
            # A base printed under the threshold (a survey's effective base of 4.7 reads "5"
            # or "4") is hidden whatever its raw count.
            ed.small_bases.add(i)
        ed.figure.append(tuple(own))
        ed.base.append(base)
        ed.comparators.append(cmps)

    for key, vs in found.items():
        ed.values[key] = vs[0]
    for c in integral_only:
        if ed.values[c] != round(ed.values[c]):
            ed.real.add(c)
    _relations(ed, areas)
    # Cells that are one number under two names become one cell (see the module docstring).
    current = sorted(
        {
            _months([window_span(str(r["window"]), month_index(str(r["period_end"])), fy)])
            for r in ed.rows
        }
    )
    _merge(ed, _same_cells(ed.values, ed.real, k, current))
    ed.order = list(
        dict.fromkeys(
            [c for i in range(len(ed.rows)) for c in ed.own(i)]
            + [c for d in ed.comparators for c in d.values()]
        )
    )
    ed.printed = {c for c in ed.order if c not in ed.real}
    ed.printed -= {c for i, k in enumerate(ed.kinds) if k == "proportion" for c in ed.figure[i]}
    ed.printed |= {b for b in ed.base if b is not None}
    return ed


def _merge(ed: Edition, alias: Mapping[CellKey, CellKey]) -> None:
    """Rename merged cells everywhere (values, rows, relations)."""
    if not alias:
        return

    def a(c: CellKey) -> CellKey:
        return alias.get(c, c)

    ed.values = {a(c): v for c, v in ed.values.items()}
    ed.figure = [tuple(a(c) for c in cs) for cs in ed.figure]
    ed.base = [None if b is None else a(b) for b in ed.base]
    ed.comparators = [{k: a(v) for k, v in d.items()} for d in ed.comparators]
    ties: dict[CellKey, tuple[CellKey, ...]] = {}
    for x, cs in ed.ties.items():
        ties[a(x)] = tuple(dict.fromkeys([*ties.get(a(x), ()), *(a(c) for c in cs)]))
    ed.ties = {x: tuple(c for c in cs if c != x) for x, cs in ties.items()}
    eqs = [Equation(a(e.total), tuple(a(q) for q in e.parts)) for e in ed.equations]
    ed.equations = [e for e in dict.fromkeys(eqs) if e.parts != (e.total,)]
    subs = [Subset(a(sb.part), a(sb.whole)) for sb in ed.subsets]
    ed.subsets = [sb for sb in dict.fromkeys(subs) if sb.part != sb.whole]
    ed.real = {a(c) for c in ed.real}
    ed.zero_ok = {a(c) for c in ed.zero_ok}


def _same_cells(
    values: Mapping[CellKey, float], real: set[CellKey], threshold: int, current: Sequence[Months]
) -> dict[CellKey, CellKey]:
    """Cells that are one number under two names -> the name kept.

    - Two definitions of records whose cells agree on every unit and months they share (at
      least four, one not zero, half of each definition's cells);
    - two series of figures that agree over every set of months they share (at least three,
      one of them at least the threshold) where one's records are among the other's (the
      same table and date, more conditions) and both are the same unit, or one is the force
      and the other a unit of a breakdown: a breakdown's unit and a measure filtered to it
      (rape offences among recorded crime by offence group, and the rape offences measure),
      which their definitions do not show.

    A reader who sees two series agree may take them as one; so does the audit (it only adds
    true equalities). Definitions by records are kept as names, then the earlier in a fixed
    order."""
    by_sig: dict[Any, dict[tuple, float]] = {}
    series: dict[tuple, dict[Months, float]] = {}
    for c, v in values.items():
        if c in real:
            continue
        by_sig.setdefault(c.records, {})[(c.breakdown, c.unit, c.months)] = v
        series.setdefault((c.records, c.breakdown, c.unit), {})[c.months] = v
    parent: dict[tuple, tuple] = {}

    def find(x: tuple) -> tuple:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    def rank(x: tuple) -> tuple:
        return (not _by_records(x[0]), x[1] != "force", repr(x))

    def join(x: tuple, y: tuple) -> None:
        rx, ry = find(x), find(y)
        if rx != ry:
            keep, drop = sorted((rx, ry), key=rank)
            parent[drop] = keep

    sigs = sorted(by_sig, key=lambda s: (not _by_records(s), repr(s)))
    for a, b in combinations(sigs, 2):
        va, vb = by_sig[a], by_sig[b]
        common = va.keys() & vb.keys()
        if len(common) < 4 or 2 * len(common) < max(len(va), len(vb)):
            continue
        if any(va[x] != vb[x] for x in common) or not any(va[x] for x in common):
            continue
        for bu in {(x[0], x[1]) for x in va} & {(x[0], x[1]) for x in vb}:
            join((a, *bu), (b, *bu))
    # Series: bucket by their figures over the months most of them share, then compare.
    buckets: dict[tuple, list[tuple]] = {}
    for key, ser in series.items():
        if max(ser.values(), default=0.0) < threshold or len(ser) < 3:
            continue
        head = tuple((m, ser[m]) for m in current if m in ser)
        buckets.setdefault(head, []).append(key)
    for keys in buckets.values():
        keys.sort(key=repr)
        for x, y in combinations(keys, 2):
            if not _nested(x, y):
                continue
            sx, sy = series[x], series[y]
            common = sx.keys() & sy.keys()
            if len(common) >= 3 and all(sx[m] == sy[m] for m in common):
                join(x, y)
    out = {}
    for c in values:
        key = (c.records, c.breakdown, c.unit)
        root = find(key)
        if root != key:
            out[c] = CellKey(root[0], root[1], root[2], c.months)
    return out


def _nested(x: tuple, y: tuple) -> bool:
    """(records, breakdown, unit) pairs whose equal figures mean the same records: nested
    definitions of one table and date, at the same unit or the force and a breakdown's unit."""
    (ra, ba, ua), (rb, bb, ub) = x, y
    if not (_by_records(ra) and _by_records(rb)) or ra[1:3] != rb[1:3]:
        return False
    ca, cb = set(ra[3]), set(rb[3])
    if not (ca >= cb or cb >= ca):
        return False
    if (ba, ua) == (bb, ub):
        return True
    geo = ("force", "area", "district")
    return (ba == "force" and bb not in geo) or (bb == "force" and ba not in geo)


def _by_records(sig: Any) -> bool:
    return isinstance(sig, tuple) and sig[0] == "records"


def _valid(eq: Equation, values: Mapping[CellKey, float]) -> bool:
    total = values[eq.total]
    return abs(total - sum(values[q] for q in eq.parts)) <= 1e-6 * max(1.0, abs(total))


def _relations(ed: Edition, areas: Mapping[str, str]) -> None:
    """Equations of each set of units, months that split, records that split by a condition
    and its negation, and subsets (see the module)."""
    groups: dict[tuple, list[tuple[str, str]]] = {}
    for c in ed.values:
        groups.setdefault((c.records, c.months), []).append((c.breakdown, c.unit))
    eqs = list(ed.equations)
    for (rec, months), keys in groups.items():
        for eq in _unit_equations(keys, areas):
            eqs.append(
                Equation(
                    CellKey(rec, *eq.total, months),
                    tuple(CellKey(rec, *q, months) for q in eq.parts),
                )
            )
    # Months: same records and unit over nested or splitting months.
    by_unit: dict[tuple, list[CellKey]] = {}
    for c in ed.values:
        if c not in ed.real:
            by_unit.setdefault((c.records, c.breakdown, c.unit), []).append(c)
    subsets: list[Subset] = []
    for cells in by_unit.values():
        if len(cells) < 2:
            continue
        sets = {c: _month_set(c.months) for c in cells}
        # Only the nearest containing months: the rest follow (a month within its quarter
        # within its year), and fewer links keep the audit's integer programs small.
        for a, b in permutations(cells, 2):
            if sets[a] < sets[b] and not any(sets[a] < sets[m] < sets[b] for m in cells):
                subsets.append(Subset(a, b))
        for whole in cells:
            for a, b in combinations([c for c in cells if sets[c] < sets[whole]], 2):
                if not sets[a] & sets[b] and sets[a] | sets[b] == sets[whole]:
                    eqs.append(Equation(whole, (a, b)))
    # Records of one table and date: more conditions within fewer (the nearest only), and a
    # condition and its negation splitting the records without it.
    recs = sorted({c.records for c in ed.values if _by_records(c.records)}, key=repr)
    conds = {r: set(r[3]) for r in recs}
    fewer: dict[Any, set[Any]] = {
        a: {b for b in recs if a[1:3] == b[1:3] and conds[a] > conds[b]} for a in recs
    }
    nearest = {(a, b) for a in recs for b in fewer[a] if not any(b in fewer[m] for m in fewer[a])}
    splits = []
    for a, b in combinations(recs, 2):
        if a[1:3] != b[1:3] or len(conds[a]) != len(conds[b]):
            continue
        ra, rb = conds[a] - conds[b], conds[b] - conds[a]
        if len(ra) == 1 and len(rb) == 1:
            x, y = next(iter(ra)), next(iter(rb))
            if x == expr.Not(y) or y == expr.Not(x):
                rest = tuple(sorted(conds[a] & conds[b], key=repr))
                splits.append(((a[0], a[1], a[2], rest), a, b))
    by_place: dict[tuple, set[Any]] = {}
    for c in ed.values:
        if _by_records(c.records):
            by_place.setdefault((c.breakdown, c.unit, c.months), set()).add(c.records)
    for (b_, u, months), there in by_place.items():
        for a, b in nearest:
            if a in there and b in there:
                subsets.append(Subset(CellKey(a, b_, u, months), CellKey(b, b_, u, months)))
        for whole, a, b in splits:
            if whole in there and a in there and b in there:
                eqs.append(
                    Equation(
                        CellKey(whole, b_, u, months),
                        (CellKey(a, b_, u, months), CellKey(b, b_, u, months)),
                    )
                )
    good = [e for e in dict.fromkeys(eqs) if _valid(e, ed.values)]
    ed.unused_equations = len(set(eqs)) - len(good)
    ed.equations = good
    ed.subsets = list(dict.fromkeys(subsets))


def _unit_equations(keys: list[tuple[str, str]], areas: Mapping[str, str]) -> list[Equation]:
    """Force > areas > districts, and the force over each of its own breakdowns."""
    geo = [k for k in keys if k[0] in ("force", "area", "district")]
    force = [k for k in keys if k[0] == "force"]
    out = list(hierarchy(sorted(geo), areas).equations) if geo else []
    own = sorted({k[0] for k in keys if k[0] not in ("force", "area", "district")})
    for b in own:
        out += hierarchy(force + sorted(k for k in keys if k[0] == b), areas).equations
    return out
