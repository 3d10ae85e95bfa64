"""A reader of a public edition, written for the tests and independent of
``forcestat.stats.disclosure``'s linear programming: every whole-number assignment of the hidden
cells that agrees with the shown figures, the equations (total = sum of parts), the subsets
(part <= whole), the labels and "one of these is small" is enumerated by depth-first search,
and the smallest and largest value each hidden cell takes is what a reader can know of it."""

from __future__ import annotations

import math


def brute_ranges(equations, values, hidden, known, subsets=(), some_small=(), k=5, cap=None):
    """Enumerate every assignment of the hidden cells (whole numbers 0..cap within their
    labels) that satisfies all constraints; the smallest and largest value of each cell.
    Exhaustive depth-first search: a free cell takes each value of its domain in turn; a cell
    left alone in an equation takes the one value the equation allows."""
    cap = int(2 * max(values.values())) if cap is None else cap
    hidden = sorted(hidden, key=repr)
    domain = {c: {v for v in range(cap + 1) if _holds(known.get(c), v)} for c in hidden}
    lo = {c: math.inf for c in hidden}
    hi = {c: -math.inf for c in hidden}
    low = {c: min(d, default=0) for c, d in domain.items()}

    def ok(x) -> bool:
        def val(c):
            return x.get(c, values.get(c)) if c in domain else values[c]

        for e in equations:
            cells = e.cells
            if all(c not in domain or c in x for c in cells):
                if val(e.total) != sum(val(p) for p in e.parts):
                    return False
            elif e.total not in domain or e.total in x:
                # Parts are never negative: those known so far cannot exceed the total.
                least = sum(val(p) if p not in domain or p in x else low[p] for p in e.parts)
                if least > val(e.total):
                    return False
        for s in subsets:
            done = all(c not in domain or c in x for c in (s.part, s.whole))
            if done and val(s.part) > val(s.whole):
                return False
        for g in some_small:
            done = all(c not in domain or c in x for c in g)
            if done and not any(0 < val(c) < k for c in g):
                return False
        return True

    def search(x):
        x = dict(x)
        changed = True
        while changed:
            changed = False
            for e in equations:
                free = [c for c in e.cells if c in domain and c not in x]
                if len(free) != 1:
                    continue
                c = free[0]
                parts = sum(x.get(p, values.get(p, 0)) for p in e.parts if p != c)
                total = x.get(e.total, values.get(e.total, 0))
                v = total - parts if c != e.total else parts
                if c != e.total and c in e.parts and e.parts.count(c) != 1:
                    continue
                if v not in domain[c]:
                    return
                x[c] = v
                changed = True
        if not ok(x):
            return
        free = [c for c in hidden if c not in x]
        if not free:
            for c in hidden:
                lo[c], hi[c] = min(lo[c], x[c]), max(hi[c], x[c])
            return
        c = free[0]
        for v in sorted(domain[c]):
            search({**x, c: v})

    search({})
    return {c: (lo[c], hi[c]) for c in hidden}


def _holds(label, v: int) -> bool:
    """A label is anything with ``lo``, ``hi`` and ``zero`` (None: any count)."""
    if label is None:
        return True
    return (label.zero and v == 0) or label.lo <= v <= label.hi


def label(text: str, threshold: int = 5):
    """What a printed label tells: "fewer than k" is 1..k-1; "not shown" (a count hidden to
    protect one) is at least k."""

    class Label:
        def __init__(self, lo, hi, zero=False):
            self.lo, self.hi, self.zero = lo, hi, zero

    if text == "primary":
        return Label(1, threshold - 1)
    if text == "secondary":
        return Label(threshold, math.inf)
    return Label(0, math.inf)
