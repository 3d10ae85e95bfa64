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

The linear audit of step 3 is not what a reader can do: a reader also knows that counts are
whole numbers, that a count shown as "fewer than 5" is 1-4 and that one hidden to protect it is
not (at least 5), and that some counts are parts of others (a quarter's crimes are among the
year's). ``feasible_ranges`` bounds each hidden cell as such a reader can (an integer program
per cell, ``scipy.optimize.milp``), and ``protect(..., audit=Audit(...))`` replaces step 3 by
it: a count of 1-4 must stay feasible over the whole 1-4 (or over a share of its value either
side, ``Audit.ratio``) and every hidden cell must keep at least two feasible values; where one
does not, another cell is hidden and the audit runs again.

``hierarchy`` gives the equations of force > areas > districts (and any other breakdown under
the force). A whole edition (every measure, window and comparator sharing cells) is put together
by ``forcestat.engine.edition`` and protected by ``forcestat.engine.public``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Audit",
    "Equation",
    "Hierarchy",
    "chart_disclosive",
    "exposed",
    "exposed_cells",
    "feasible_ranges",
    "hierarchy",
    "Known",
    "primary_suppress",
    "protect",
    "secondary_suppress",
    "secondary_suppress_1d",
    "shortfall",
    "Subset",
]

Cell = Hashable
Key = tuple[str, str]  # (breakdown, unit) of a measure_results row


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


@dataclass(frozen=True)
class Subset:
    """``part <= whole``: the part's records are among the whole's (a quarter within its year)."""

    part: Cell
    whole: Cell


@dataclass(frozen=True)
class Known:
    """What a reader knows of a hidden cell from its label alone: ``lo <= x <= hi``, or
    ``x == 0`` as well when ``zero``."""

    lo: float = 0.0
    hi: float = math.inf
    zero: bool = False

    def holds(self, x: float) -> bool:
        return (self.zero and x == 0) or self.lo - 1e-9 <= x <= self.hi + 1e-9

    @classmethod
    def of_count(cls, value: float, threshold: int, *, zero: bool = False) -> Known:
        """A hidden count: 1..threshold-1 when it is one ("fewer than 5"), else at least the
        threshold (a cell hidden to protect another is not small), or 0 when ``zero``."""
        if 0 < value < threshold:
            return cls(1.0, float(threshold - 1))
        return cls(float(threshold), math.inf, zero=zero or value == 0)


def _rows_of(
    equations: Sequence[Equation],
    subsets: Sequence[Subset],
    hidden: set[Cell],
    groups: Sequence[Sequence[Cell]] = (),
    values: Mapping[Cell, float] | None = None,
    threshold: int = 5,
) -> list[tuple[dict[Cell, float], dict[Cell, float], str]]:
    """Constraints touching a hidden cell: (hidden coefficients, shown coefficients, kind) for
    ``sum(coef * x) == 0`` ("eq"), ``<= 0`` ("le"), or "or": at least one of the hidden cells
    is 1..threshold-1 (a group none of whose shown cells is)."""
    out = []
    for g in groups:
        h = {c: 1.0 for c in g if c in hidden}
        shown = [(values or {}).get(c, 0.0) for c in g if c not in hidden]
        if h and not any(0 < v < threshold for v in shown):
            out.append((h, {}, "or"))
    for eq in equations:
        coef: dict[Cell, float] = {}
        for cell, sign in [(eq.total, 1.0)] + [(q, -1.0) for q in eq.parts]:
            coef[cell] = coef.get(cell, 0.0) + sign
        h = {c: a for c, a in coef.items() if c in hidden and a}
        if h:
            out.append((h, {c: a for c, a in coef.items() if c not in hidden and a}, "eq"))
    for sb in subsets:
        if sb.part in hidden or sb.whole in hidden:
            coef = {sb.part: 1.0, sb.whole: -1.0}
            h = {c: a for c, a in coef.items() if c in hidden}
            out.append((h, {c: a for c, a in coef.items() if c not in hidden}, "le"))
    return out


def _components(cells: Sequence[Cell], rows: Sequence[tuple[dict, dict, str]]) -> list[list[Cell]]:
    """Hidden cells linked by a constraint that holds two or more of them."""
    parent = {c: c for c in cells}

    def find(c: Cell) -> Cell:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for h, _, _ in rows:
        first, *rest = list(h)
        for c in rest:
            a, b = find(first), find(c)
            if a != b:
                parent[b] = a
    groups: dict[Cell, list[Cell]] = {}
    for c in cells:
        groups.setdefault(find(c), []).append(c)
    return list(groups.values())


def feasible_ranges(
    equations: Sequence[Equation],
    values: Mapping[Cell, float],
    hidden: Iterable[Cell],
    known: Mapping[Cell, Known],
    *,
    subsets: Sequence[Subset] = (),
    integer: Callable[[Cell], bool] | None = None,
    cells: Iterable[Cell] | None = None,
    some_small: Sequence[Sequence[Cell]] = (),
    threshold: int = 5,
) -> dict[Cell, tuple[float, float]]:
    """The smallest and largest value of each hidden cell (``cells``: those of interest; by
    default every hidden one) that agrees with everything published: the shown cells'
    values, every equation and subset relation, what each hidden cell's label says (``known``;
    default: non-negative), for each group of ``some_small`` that one of its cells is
    1..threshold-1 (a rate hidden as "too few": its numerator, the rest or the base is small),
    and, for ``integer`` cells (default: all), whole numbers.

    Solved exactly as two integer programs per cell (``scipy.optimize.milp``; HiGHS) over the
    hidden cells linked to it; ``math.inf`` when nothing bounds a cell from above. A label
    allowing zero besides a range (``Known.zero``) takes one binary variable."""
    hidden = set(hidden)
    rows = _rows_of(equations, subsets, hidden, some_small, values, threshold)
    want = set(hidden if cells is None else cells) & hidden
    order = list(dict.fromkeys([c for c in values if c in hidden] + sorted(hidden, key=repr)))
    touching: dict[Cell, list[int]] = {}
    for i, (h, _, _) in enumerate(rows):
        for c in h:
            touching.setdefault(c, []).append(i)
    out: dict[Cell, tuple[float, float]] = {}
    for comp in _components(order, rows):
        if not want.intersection(comp):
            continue
        idx = sorted({i for c in comp for i in touching.get(c, ())})
        out.update(
            _solve_component(
                comp,
                [rows[i] for i in idx],
                values,
                known,
                integer,
                want.intersection(comp),
                threshold,
            )
        )
    return out


class _Model:
    """One linked group of hidden cells as an integer program: the published constraints on
    them and what their labels say (see ``feasible_ranges``)."""

    def __init__(
        self,
        comp: list[Cell],
        rows: list[tuple[dict, dict, str]],
        values: Mapping[Cell, float],
        known: Mapping[Cell, Known],
        integer: Callable[[Cell], bool] | None,
        threshold: int = 5,
    ) -> None:
        from scipy.optimize import Bounds, LinearConstraint

        self.comp = comp
        ks = {c: known.get(c, Known()) for c in comp}
        # The bound standing in for "no upper limit" (every cell is capped by it, so that an
        # unbounded maximum is a number rather than a solver's doubt): a bounded cell's range
        # ends at a signed sum of the figures involved, so it stays below half of this; a
        # maximum beyond half of it is reported as unbounded.
        shown = {c for _, sh, _ in rows for c in sh}
        scale = sum(abs(values.get(c, 0.0)) for c in {*comp, *shown})
        scale += sum(k.lo + (k.hi if math.isfinite(k.hi) else 0.0) for k in ks.values())
        self.big = big = 4.0 * scale + 16.0
        self.unbounded = big / 2
        self.pos = pos = {c: j for j, c in enumerate(comp)}
        # Each cell's switch rows below use its own upper bound as their big-M: one M for all
        # (millions, beside counts of 1-4) leaves HiGHS's presolve declaring a feasible model
        # infeasible. The bounds are implied by the rows, so the feasible set is unchanged.
        top_of = _upper_bounds(comp, rows, values, ks, integer)
        zs = [c for c in comp if ks[c].zero and ks[c].lo > 0]
        zpos = {c: len(comp) + j for j, c in enumerate(zs)}
        # "At least one is small": a binary per member, on when that member is 1..k-1.
        ors = [(i, c) for i, (h, _, kind) in enumerate(rows) if kind == "or" for c in h]
        opos = {key: len(comp) + len(zs) + j for j, key in enumerate(ors)}
        self.nvar = nvar = len(comp) + len(zs) + len(ors)
        a_rows, lo_b, hi_b = [], [], []
        for i, (h, _, kind) in enumerate(rows):
            if kind != "or":
                continue
            pick = np.zeros(nvar)
            for c in h:
                s_ = opos[(i, c)]
                pick[s_] = 1.0
                m = max(min(top_of[c], big) - (threshold - 1), 0.0)
                for coefs, bound in (
                    (((pos[c], 1.0), (s_, -1.0)), (0.0, np.inf)),  # on: x >= 1
                    (((pos[c], 1.0), (s_, m)), (-np.inf, threshold - 1 + m)),  # on: x <= k-1
                ):
                    row = np.zeros(nvar)
                    for j, a in coefs:
                        row[j] = a
                    a_rows.append(row)
                    lo_b.append(bound[0])
                    hi_b.append(bound[1])
            a_rows.append(pick)
            lo_b.append(1.0)
            hi_b.append(np.inf)
        for h, shown, kind in rows:
            if kind == "or":
                continue
            row = np.zeros(nvar)
            for c, a in h.items():
                row[pos[c]] = a
            rhs = -sum(a * values.get(c, 0.0) for c, a in shown.items())
            a_rows.append(row)
            lo_b.append(rhs if kind == "eq" else -np.inf)
            hi_b.append(rhs)
        lb, ub = np.zeros(nvar), np.full(nvar, np.inf)
        for j in opos.values():
            ub[j] = 1.0
        for c in comp:
            k = ks[c]
            if c in zpos:  # x == 0, or lo <= x <= hi: x - lo * z >= 0 and x - hi * z <= 0
                top = min(k.hi, top_of[c], big)
                ub[pos[c]] = top
                for zcoef, bound in ((-k.lo, (0.0, np.inf)), (-top, (-np.inf, 0.0))):
                    row = np.zeros(nvar)
                    row[pos[c]] = 1.0
                    row[zpos[c]] = zcoef
                    a_rows.append(row)
                    lo_b.append(bound[0])
                    hi_b.append(bound[1])
                lb[zpos[c]], ub[zpos[c]] = 0.0, 1.0
            else:
                lb[pos[c]] = max(0.0, k.lo)
                ub[pos[c]] = min(k.hi, top_of[c])
        self.integral = np.ones(nvar)
        if integer is not None:
            for c in comp:
                self.integral[pos[c]] = 1.0 if integer(c) else 0.0
        self.cons = [LinearConstraint(np.vstack(a_rows), lo_b, hi_b)] if a_rows else []
        self.capped = Bounds(lb, np.minimum(ub, big))
        self.solves = 0
        self.retries = 0
        self.skipped = 0  # exact ends read off a bound instead of solved

    def solve(self, weights: Mapping[Cell, float]):
        """Minimise sum(w * x): (status, x or None) — status "ok", "unbounded"."""
        from scipy.optimize import milp

        obj = np.zeros(self.nvar)
        for c, w in weights.items():
            obj[self.pos[c]] = w
        self.solves += 1
        # Every cell capped far above the figures: an unbounded maximum then reaches the cap
        # (reported as unbounded) rather than leaving HiGHS unsure between that and infeasible.
        res = milp(obj, constraints=self.cons, integrality=self.integral, bounds=self.capped)
        if res.status == 2:
            # HiGHS's MIP presolve declares some feasible models infeasible (ERGO-Code/HiGHS
            # issues 2388, 3090; the true figures always satisfy the model): solved again
            # without it, only an infeasible answer of the full search is believed.
            self.retries += 1
            res = milp(
                obj,
                constraints=self.cons,
                integrality=self.integral,
                bounds=self.capped,
                options={"presolve": False},
            )
        if res.status == 3:
            return "unbounded", None
        if res.status != 0:
            raise ValueError(f"disclosure audit: no feasible values ({res.message})")
        return "ok", res.x

    def end(self, c: Cell, sense: float) -> tuple[float, np.ndarray | None]:
        """The smallest (sense 1) or largest (-1) value of ``c``, and the solution."""
        status, x = self.solve({c: sense})
        if status == "unbounded":
            return (math.inf if sense < 0 else -math.inf), None
        v = float(x[self.pos[c]])
        if sense < 0 and v >= self.unbounded:
            return math.inf, x
        if self.integral[self.pos[c]]:
            v = float(round(v))
        return v, x

    def exact(self, cells: Iterable[Cell]) -> dict[Cell, tuple[float, float]]:
        out = {}
        for c in cells:
            lo, _ = self.end(c, 1.0)
            hi, _ = self.end(c, -1.0)
            out[c] = (lo, hi)
        return out

    def audit(
        self,
        values: Mapping[Cell, float],
        targets: Mapping[Cell, tuple[float, float] | None],
        seen: Mapping[Cell, tuple[float, float]] | None = None,
    ) -> dict[Cell, tuple[float, float]]:
        """Feasible ranges good enough to judge each cell: for a cell with target (lo, hi) the
        range must reach both; for one without (None) it must hold two values. Every feasible
        solution found is a witness for every cell at once, so a few solves over many cells
        settle most of them; a cell still short is solved exactly at the end it lacks. The
        ranges are exact at any end that falls short and inner bounds elsewhere. ``seen``:
        values already shown feasible (hiding more cells only adds solutions)."""
        lo = {c: values.get(c, 0.0) for c in self.comp}
        hi = dict(lo)
        for c, (a, b) in (seen or {}).items():
            if c in lo:
                lo[c], hi[c] = min(lo[c], a), max(hi[c], b)
        exact: dict[Cell, list[bool]] = {c: [False, False] for c in self.comp}

        def see(x: np.ndarray | None) -> None:
            if x is None:
                return
            for c, j in self.pos.items():
                v = float(x[j])
                if self.integral[j]:
                    v = float(round(v))
                if v >= self.unbounded:
                    v = math.inf
                lo[c], hi[c] = min(lo[c], v), max(hi[c], v)

        def short(c: Cell) -> tuple[bool, bool]:
            t = targets.get(c)
            if t is None:
                two = hi[c] > lo[c]
                return (not two, not two)
            return (lo[c] > t[0], hi[c] < t[1])

        wanted = [c for c in self.comp if c in targets]
        sens = [c for c in wanted if targets[c] is not None]
        rest = [c for c in wanted if targets[c] is None]
        for group in (sens, rest):
            group = [c for c in group if any(short(c))]
            if len(group) > 1:
                see(self.solve({c: -1.0 for c in group})[1])
                see(self.solve({c: 1.0 for c in group if any(short(c))})[1])
        for c in wanted:
            low, high = short(c)
            j = self.pos[c]
            if high and not exact[c][1]:
                # A feasible value at the cell's implied upper bound is its maximum: no solve.
                if hi[c] < self.capped.ub[j]:
                    v, x = self.end(c, -1.0)
                    see(x)
                    hi[c] = v
                    self.skipped -= 1
                self.skipped += 1
                exact[c][1] = True
                low, high = short(c)
                if targets.get(c) is None and not high:
                    continue
            if low and not exact[c][0]:
                if lo[c] > self.capped.lb[j]:
                    v, x = self.end(c, 1.0)
                    see(x)
                    lo[c] = v
                    self.skipped -= 1
                self.skipped += 1
                exact[c][0] = True
        return {c: (lo[c], hi[c]) for c in wanted}


def _upper_bounds(
    comp: Sequence[Cell],
    rows: Sequence[tuple[dict, dict, str]],
    values: Mapping[Cell, float],
    known: Mapping[Cell, Known],
    integer: Callable[[Cell], bool] | None,
) -> dict[Cell, float]:
    """An upper bound of each cell implied by the equations and subsets over non-negative
    cells (bound propagation: a part is at most its total less the other parts' least), or
    ``math.inf``. Only valid bounds: they never cut a feasible value."""
    lo = {c: max(0.0, known[c].lo) if not known[c].zero else 0.0 for c in comp}
    hi = {c: known[c].hi for c in comp}
    lin = []
    for h, shown, kind in rows:
        if kind == "or":
            continue
        rhs = -sum(a * values.get(c, 0.0) for c, a in shown.items())
        lin.append((h, rhs))  # sum(a x) <= rhs, for "eq" also >= rhs
        if kind == "eq":
            lin.append(({c: -a for c, a in h.items()}, -rhs))
    for _ in range(len(comp) + 1):
        changed = False
        for h, rhs in lin:
            least = {c: a * (lo[c] if a > 0 else hi[c]) for c, a in h.items()}
            total = sum(least.values())
            if math.isinf(total):
                continue  # a term unbounded below bounds nothing
            for c, a in h.items():
                if a <= 0:
                    continue
                bound = (rhs - total + least[c]) / a
                if integer is None or integer(c):
                    bound = math.floor(bound + 1e-9)
                if bound < hi[c] - 1e-9:
                    hi[c], changed = max(bound, lo[c]), True
        if not changed:
            break
    return hi


def _solve_component(
    comp: list[Cell],
    rows: list[tuple[dict, dict, str]],
    values: Mapping[Cell, float],
    known: Mapping[Cell, Known],
    integer: Callable[[Cell], bool] | None,
    want: set[Cell],
    threshold: int = 5,
) -> dict[Cell, tuple[float, float]]:
    model = _Model(comp, rows, values, known, integer, threshold)
    return model.exact(c for c in comp if c in want)


def shortfall(
    rng: tuple[float, float],
    value: float,
    *,
    sensitive: bool = False,
    threshold: int = 5,
    ratio: float | None = None,
    integer: bool = True,
    target: tuple[float, float] | None = None,
) -> float:
    """How far a hidden cell's feasible range falls short of the rule (0: wide enough).

    A hidden cell keeps at least two feasible values (a whole number apart for counts); a
    ``sensitive`` cell (a count shown as "fewer than k") must stay feasible over the whole
    1..k-1 (``ratio`` None: the reader learns nothing beyond the label), or over its value
    plus and minus ``ratio`` of it, within 1..k-1 (the protection interval of Hundepool et al.
    2012, 4.2); ``target`` gives that range directly."""
    lo, hi = rng
    if sensitive or target is not None:
        want_lo, want_hi = target or _target(value, threshold, ratio, integer)
        return max(0.0, lo - want_lo) + max(0.0, want_hi - hi)
    need = 1.0 if integer else 1e-9 * max(1.0, abs(value))
    return max(0.0, need - (hi - lo))


def _target(
    value: float, threshold: int, ratio: float | None, integer: bool
) -> tuple[float, float]:
    if ratio is None:
        return 1.0, float(threshold - 1)
    want_lo = max(1.0, value - ratio * value)
    want_hi = min(float(threshold - 1), value + ratio * value)
    if integer:
        want_lo, want_hi = math.floor(want_lo + 1e-9), math.ceil(want_hi - 1e-9)
    return want_lo, want_hi


@dataclass
class Audit:
    """The interval audit ``protect`` runs instead of the linear one (see ``feasible_ranges``
    and ``shortfall``). ``known`` says what each hidden cell's label tells a reader (default:
    ``Known.of_count``); ``ties`` say which cells hiding a cell hides too (a rate's base takes
    its numerator with it); ``sensitive`` the cells that must stay feasible over their whole
    label (default: the primary cells); ``integer`` the whole-number cells (default: all);
    ``printed`` the cells that must keep two feasible values when hidden (default: all)."""

    threshold: int = 5
    ratio: float | None = None
    subsets: Sequence[Subset] = ()
    known: Mapping[Cell, Known] | None = None
    integer: Callable[[Cell], bool] | None = None
    ties: Mapping[Cell, Sequence[Cell]] = field(default_factory=dict)
    sensitive: Iterable[Cell] | None = None
    # Cells printed with a label when hidden ("not shown"): they keep two feasible values
    # (default: every cell). Others (a hidden rate's numerator) answer only to ``sensitive``.
    printed: Container[Cell] | None = None
    # Groups of which a reader knows one cell is small, not which (a rate "too few to report").
    some_small: Sequence[Sequence[Cell]] = ()
    # Filled by ``protect``: the feasible range of every hidden cell at the end.
    ranges: dict[Cell, tuple[float, float]] = field(default_factory=dict)
    _cache: dict[frozenset, dict[Cell, tuple[float, float]]] = field(default_factory=dict)
    _linked: dict[Cell, frozenset] = field(default_factory=dict)
    _goals: dict[Cell, tuple[float, float]] = field(default_factory=dict)
    _goals_for: frozenset | None = None
    # Breaches no complement could mend (cell -> shortfall), and tries per breached cell.
    unresolved: dict[Cell, float] = field(default_factory=dict)
    _index: dict = field(default_factory=dict)
    _seen: dict[Cell, tuple[float, float]] = field(default_factory=dict)
    _index_for: Any = None
    # Every complement: (cell hidden, the cell it protects, why).
    trail: list[tuple[Cell, Cell, str]] = field(default_factory=list)
    _tries: dict[Cell, list[float]] = field(default_factory=dict)

    def linked(self, cell: Cell) -> set[Cell]:
        """The hidden cells linked to ``cell`` by constraints (at the last audit)."""
        return set(self._linked.get(cell, {cell}))

    solves: int = 0

    def target(self, value: float, integer: bool = True) -> tuple[float, float]:
        """The range a sensitive cell's feasible range must cover (see ``shortfall``)."""
        return _target(value, self.threshold, self.ratio, integer)

    def goals(
        self, equations: Sequence[Equation], values: Mapping[Cell, float], sensitive: set[Cell]
    ) -> dict[Cell, tuple[float, float]]:
        """The range each sensitive cell must cover: its label's (``shortfall``), within what
        the labels alone allow where small cells (and zeros, which are printed) are bound to
        each other (a force of 3 made of three order types of 1 and zeros leaves each 1-2; an
        area of 2 with districts of 1 and 1, 1-1... : no complement can change that, and no
        reader learns more from the other figures)."""
        key = frozenset(sensitive)
        if self._goals_for == key:
            return self._goals
        goal = {c: self.target(values.get(c, 0.0), self.is_integer(c)) for c in sensitive}

        def bound(c: Cell) -> bool:  # small, or a zero (printed as 0: hides no one)
            return c in sensitive or values.get(c, 0.0) == 0

        own = [eq for eq in equations if all(bound(c) for c in eq.cells)]
        subs = [sb for sb in self.subsets if bound(sb.part) and bound(sb.whole)]
        if own or subs:
            bound = _rows_of(own, subs, sensitive)
            linked = {c for h, _, _ in bound for c in h}
            known = {c: self.known_of(c, values) for c in linked}
            for comp in _components(sorted(linked, key=repr), bound):
                rows = [r for r in bound if set(r[0]) & set(comp)]
                model = _Model(comp, rows, values, known, self.integer, self.threshold)
                inner = model.exact(comp)
                for c, (lo, hi) in inner.items():
                    want = goal[c]
                    goal[c] = (max(want[0], lo), min(want[1], hi))
        self._goals, self._goals_for = goal, key
        return goal

    lookahead: int = 6

    def best(
        self,
        e: Cell,
        short: float,
        cands: Sequence[Cell],
        equations: Sequence[Equation],
        values: Mapping[Cell, float],
        mask: set[Cell],
    ) -> Cell | None:
        """Of ``cands``, the first whose hiding mends ``e``'s range, else the one that shortens
        its shortfall most, else the first."""
        if not cands:
            return None
        goal = self._goals.get(e)
        best, best_short = None, short
        for c in cands:
            more = set(mask) | {c}
            todo = [c]
            while todo:
                x = todo.pop()
                for y in self.ties.get(x, ()):
                    if y not in more:
                        more.add(y)
                        todo.append(y)
            cells, rows = self._around(e, more, equations, values)
            known = {x: self.known_of(x, values) for x in cells}
            model = _Model(cells, rows, values, known, self.integer, self.threshold)
            # Only the ends that fell short can have moved out of reach of the goal.
            lo, hi = self.ranges.get(e, (-math.inf, math.inf))
            v = values.get(e, 0.0)
            want = goal if goal is not None else (v, v + 1.0)
            if lo > want[0] or goal is None and hi - lo < 1:
                lo = model.end(e, 1.0)[0]
            if hi < want[1] or goal is None and hi - lo < 1:
                hi = model.end(e, -1.0)[0]
            rng = (lo, hi)
            self.solves += model.solves
            now = shortfall(rng, values.get(e, 0.0), integer=self.is_integer(e), target=goal)
            if now == 0:
                return c
            if now < best_short:
                best, best_short = c, now
        return best if best is not None else cands[0]

    def index(self, equations: Sequence[Equation]) -> None:
        """Which constraints each cell is in: ("eq" | "sub" | "or", position)."""
        if self._index_for is equations:
            return
        self._index = {}
        for i, eq in enumerate(equations):
            for c in eq.cells:
                self._index.setdefault(c, []).append(("eq", i))
        for i, sb in enumerate(self.subsets):
            for c in (sb.part, sb.whole):
                self._index.setdefault(c, []).append(("sub", i))
        for i, g in enumerate(self.some_small):
            for c in g:
                self._index.setdefault(c, []).append(("or", i))
        self._index_for = equations

    def refs(self, cell: Cell, kind: str) -> list[int]:
        return [i for k, i in self._index.get(cell, ()) if k == kind]

    def _around(
        self, e: Cell, hidden: set[Cell], equations: Sequence[Equation], values
    ) -> tuple[list[Cell], list]:
        """The hidden cells linked to ``e`` and the constraints on them."""
        self.index(equations)
        seen, todo, refs = {e}, [e], set()
        while todo:
            c = todo.pop()
            for ref in self._index.get(c, ()):
                if ref in refs:
                    continue
                refs.add(ref)
                kind, i = ref
                members = (
                    equations[i].cells
                    if kind == "eq"
                    else (self.subsets[i].part, self.subsets[i].whole)
                    if kind == "sub"
                    else tuple(self.some_small[i])
                )
                # Constraints with one hidden cell bound it but link nothing.
                if sum(m in hidden for m in members) < 2:
                    continue
                for m in members:
                    if m in hidden and m not in seen:
                        seen.add(m)
                        todo.append(m)
        touching = {r for c in seen for r in self._index.get(c, ())}
        eqs = [equations[i] for kind, i in sorted(touching) if kind == "eq"]
        subs = [self.subsets[i] for kind, i in sorted(touching) if kind == "sub"]
        groups = [self.some_small[i] for kind, i in sorted(touching) if kind == "or"]
        rows = _rows_of(eqs, subs, hidden, groups, values, self.threshold)
        cells = sorted(seen, key=repr)
        return cells, [r for r in rows if set(r[0]) <= seen]

    def labelled(self, cell: Cell) -> bool:
        return self.printed is None or cell in self.printed

    def known_of(self, cell: Cell, values: Mapping[Cell, float]) -> Known:
        if self.known is not None and cell in self.known:
            return self.known[cell]
        return Known.of_count(values.get(cell, 0.0), self.threshold)

    def is_integer(self, cell: Cell) -> bool:
        return True if self.integer is None else bool(self.integer(cell))

    def breaches(
        self,
        equations: Sequence[Equation],
        values: Mapping[Cell, float],
        hidden: set[Cell],
        sensitive: set[Cell],
    ) -> dict[Cell, float]:
        """Hidden cells whose feasible range is too narrow -> their shortfall."""
        self.index(equations)
        near = sorted({r for c in hidden for r in self._index.get(c, ())})
        rows = _rows_of(
            [equations[i] for k, i in near if k == "eq"],
            [self.subsets[i] for k, i in near if k == "sub"],
            hidden,
            [self.some_small[i] for k, i in near if k == "or"],
            values,
            self.threshold,
        )
        order = sorted(hidden, key=repr)
        known = {c: self.known_of(c, values) for c in hidden}
        touching: dict[Cell, list[int]] = {}
        for i, (h, _, _) in enumerate(rows):
            for c in h:
                touching.setdefault(c, []).append(i)
        goal = self.goals(equations, values, sensitive)
        ranges: dict[Cell, tuple[float, float]] = {}
        self._linked = {}
        for comp in _components(order, rows):
            key = frozenset(comp)
            for c in comp:
                self._linked[c] = key
            if key not in self._cache:
                idx = sorted({i for c in comp for i in touching.get(c, ())})
                model = _Model(
                    comp, [rows[i] for i in idx], values, known, self.integer, self.threshold
                )
                targets = {c: goal.get(c) for c in comp if c in sensitive or self.labelled(c)}
                self._cache[key] = model.audit(values, targets, self._seen)
                for c, (a, b) in self._cache[key].items():
                    was = self._seen.get(c, (a, b))
                    self._seen[c] = (min(a, was[0]), max(b, was[1]))
                self.solves += model.solves
            ranges.update(self._cache[key])
        self.ranges = ranges
        out = {}
        for c in order:
            if c not in ranges:
                continue
            short = shortfall(
                ranges[c], values.get(c, 0.0), integer=self.is_integer(c), target=goal.get(c)
            )
            if short > 0:
                out[c] = short
        return out


def _smallest(cands: Sequence[Cell], values: Mapping[Cell, float]) -> Cell | None:
    """The smallest non-zero candidate (a zero only when nothing else is left); ties by order."""
    if not cands:
        return None
    order = {c: i for i, c in enumerate(cands)}
    return min(cands, key=lambda c: (values.get(c, 0.0) == 0, values.get(c, 0.0), order[c]))


def _complement(
    eq: Equation, mask: set[Cell], values, fixed, need: float | None = None
) -> Cell | None:
    """The cell of ``eq`` to hide beside its one hidden cell: a shown part, else the total.
    With ``need`` (the interval audit), the smallest non-zero part of at least ``need``, else
    the largest part."""
    parts = [p for p in eq.parts if p not in mask and p not in fixed]
    if need is not None:
        # A hidden zero protects nothing a reader cannot undo (under a small total it can
        # only be zero): the interval audit never takes one.
        parts = [p for p in parts if values.get(p, 0.0) > 0]
        if parts:
            return _fitting(parts, values, need)
    if parts:
        return _smallest(parts, values)
    return eq.total if eq.total not in mask and eq.total not in fixed else None


def _fitting(cands: Sequence[Cell], values: Mapping[Cell, float], need: float) -> Cell | None:
    """The smallest candidate of at least ``need``, else the largest (zeros last: a hidden zero
    hides little)."""
    if not cands:
        return None
    order = {c: i for i, c in enumerate(cands)}
    big = [c for c in cands if values.get(c, 0.0) >= need]
    if big:
        return min(big, key=lambda c: (values.get(c, 0.0), order[c]))
    return max(cands, key=lambda c: (values.get(c, 0.0) > 0, values.get(c, 0.0), -order[c]))


def protect(
    equations: Sequence[Equation],
    values: Mapping[Cell, float],
    primary: Iterable[Cell],
    *,
    fixed: Iterable[Cell] = (),
    cells: Sequence[Cell] = (),
    audit: Audit | None = None,
) -> set[Cell]:
    """Primary plus secondary suppression over the equations (see the module docstring).
    ``fixed`` cells are published whatever happens (e.g. a two-way table's margins); a
    primary cell is hidden even if it is also fixed. ``cells`` orders the cells (ties and
    the audit's order; by default, as the equations name them). With ``audit``, the interval
    audit (``Audit``) replaces the linear one; ``audit.ranges`` then holds every hidden cell's
    feasible range."""
    fixed = set(fixed)
    every = [*cells, *(c for eq in equations for c in eq.cells)]
    tie: Mapping[Cell, Sequence[Cell]] = audit.ties if audit is not None else {}
    mask: set[Cell] = set()

    def hide(c: Cell) -> None:
        todo = [c]
        while todo:
            x = todo.pop()
            if x not in mask:
                mask.add(x)
                todo += [y for y in tie.get(x, ()) if y not in mask]

    primary = list(dict.fromkeys(primary))
    for c in primary:
        hide(c)
    if not mask:
        return mask
    fixed -= mask
    sensitive = set(primary) if audit is None or audit.sensitive is None else set(audit.sensitive)
    order = {c: i for i, c in enumerate(dict.fromkeys(every))}
    k = audit.threshold if audit is not None else 5
    while True:
        changed = True
        while changed:
            changed = False
            for eq in equations:
                inside = [c for c in eq.cells if c in mask]
                if len(inside) != 1:
                    continue
                need = None
                if audit is not None:
                    h = inside[0]
                    v = values.get(h, 0.0)
                    need = max(k, 2 * k - 1 - v) if h in sensitive else k + 1
                pick = _complement(eq, mask, values, fixed, need)
                if pick is not None:
                    hide(pick)
                    changed = True
                    if audit is not None:
                        audit.trail.append((pick, inside[0], "alone in an equation"))
        if audit is None:
            bad = dict.fromkeys(exposed(equations, mask), 1.0)
        else:
            bad = audit.breaches(equations, values, mask, sensitive & mask)
        if audit is not None:
            audit.unresolved = {c: v for c, v in bad.items() if c in audit.unresolved}
        if not bad:
            return mask
        if not _widen(bad, equations, audit, mask, fixed, values, order, hide, k):
            if audit is not None:
                audit.unresolved = dict(bad)
            return mask


def _widen(bad, equations, audit, mask, fixed, values, order, hide, k) -> bool:
    """Hide one more cell for each breach (at most one per equation a round). Linear audit:
    the smallest shown cell of the breached cell's equations, else the smallest anywhere.
    Interval audit: the candidates are the shown cells of the breached cell's equations, then
    its subset partners, then the cells of the equations and subsets of the hidden cells linked
    to it, each in the
    order of ``_fitting``; the first few are tried (the breached cell's range recomputed with
    each hidden) and the first that mends it, else the one that helps most, is taken. False
    when nothing is left to hide."""
    rows = list(equations)
    subsets = list(audit.subsets) if audit is not None else []
    if audit is not None:
        audit.index(equations)
    picked: set[Cell] = set()
    hid = False
    for e in sorted(bad, key=lambda c: order.get(c, len(order))):
        if audit is not None:
            near = [c for i in audit.refs(e, "eq") for c in rows[i].cells]
        else:
            near = [c for eq in rows if e in eq.cells for c in eq.cells]
        if picked.intersection(near):
            continue  # this round already widened it: audit again first
        near = [c for c in dict.fromkeys(near) if c not in mask and c not in fixed]
        if audit is None:
            pick = _smallest(near, values) or _smallest(
                [c for c in order if c not in mask and c not in fixed], values
            )
        else:
            tried = audit._tries.setdefault(e, [])
            tried.append(bad[e])
            # Three complements that did not shorten the shortfall: stop hiding on its behalf.
            if len(tried) > 3 and tried[-1] >= tried[-4]:
                audit.unresolved[e] = bad[e]
                continue
            need = k + bad[e]
            linked = audit.linked(e)
            linked = sorted(linked, key=lambda c: order.get(c, len(order)))
            wide = [c for x in linked for i in audit.refs(x, "eq") for c in rows[i].cells]
            own = [c for i in audit.refs(e, "sub") for c in (subsets[i].part, subsets[i].whole)]
            partners = [
                c
                for x in linked
                for i in audit.refs(x, "sub")
                for c in (subsets[i].part, subsets[i].whole)
            ]
            pool: list[Cell] = []
            for group in (near, own, wide, partners):
                group = [
                    c
                    for c in dict.fromkeys(group)
                    if c not in mask and c not in fixed and values.get(c, 0.0) > 0
                ]
                group.sort(key=lambda c: order.get(c, len(order)))
                pool += _ranked(group, values, need)
            pool = list(dict.fromkeys(pool))
            pick = audit.best(e, bad[e], pool[: audit.lookahead], equations, values, mask)
        if pick is None:
            continue
        hide(pick)
        picked.add(pick)
        hid = True
        if audit is not None:
            audit.trail.append((pick, e, "feasible range too narrow"))
        if audit is None:
            break
    return hid


def _ranked(cands: Sequence[Cell], values: Mapping[Cell, float], need: float) -> list[Cell]:
    """``_fitting``'s order: cells of at least ``need`` from the smallest up, then the rest from
    the largest down, zeros last."""
    big = sorted((c for c in cands if values.get(c, 0.0) >= need), key=lambda c: values.get(c, 0))
    rest = sorted(
        (c for c in cands if values.get(c, 0.0) < need),
        key=lambda c: (values.get(c, 0.0) <= 0, -values.get(c, 0.0)),
    )
    return big + rest


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


# -- charts -------------------------------------------------------------------------------------


def chart_disclosive(base: Sequence[float] | np.ndarray, threshold: int = 5) -> bool:
    """True when a monthly chart would show a month resting on 1..threshold-1 records."""
    return bool(primary_suppress(np.asarray(base, dtype=float), threshold).any())
