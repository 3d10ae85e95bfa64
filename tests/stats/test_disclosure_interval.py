"""The interval audit checked against brute force: every integer assignment of the hidden cells
that agrees with the published figures, the equations, the subsets and the labels is
enumerated (no linear programming), and its smallest and largest value per cell must equal
``feasible_ranges``; ``protect(..., audit=Audit())`` must leave every "fewer than 5" cell free
over the whole 1-4 and every other hidden cell with two values."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

from forcestat.stats.disclosure import (
    Audit,
    Equation,
    Known,
    Subset,
    feasible_ranges,
    hierarchy,
    protect,
    shortfall,
)

sys.path.insert(0, str(Path(__file__).parent.parent))

from disclosure_reader import brute_ranges  # noqa: E402


def _cap(values) -> int:
    """Enumeration stops here: a cell reaching it is unbounded as far as the test goes."""
    return int(2 * max(values.values()))


def _agree(got, want, wider):
    """The audit's range equals enumeration's; a maximum that grows when enumeration may go
    further (``wider``: the same search with twice the cap) is unbounded."""
    lo, hi = got
    assert lo == want[0], (got, want)
    if wider[1] > want[1]:
        assert math.isinf(hi), (got, want, wider)
    else:
        assert hi == want[1], (got, want)


def _random_tree(rng):
    """A force, two or three areas and their districts with small counts."""
    areas, values = {}, {}
    for a in range(2):
        for d in range(int(rng.integers(2, 4))):
            areas[f"D{a}{d}"] = f"A{a}"
            values[("district", f"D{a}{d}")] = float(rng.choice([0, 1, 2, 3, 4, 5, 6, 8]))
    for a in set(areas.values()):
        values[("area", a)] = sum(
            v for (lvl, u), v in values.items() if lvl == "district" and areas[u] == a
        )
    values[("force", "F")] = sum(v for (lvl, _), v in values.items() if lvl == "district")
    keys = sorted(values, key=lambda k: (("force", "area", "district").index(k[0]), k[1]))
    return hierarchy(keys, areas).equations, values, keys


# -- the issue's case: South 20 = Cambridge 14 + East Cambridgeshire + South Cambridgeshire ----

ISSUE_EQS = [
    Equation("force", ("North", "South")),
    Equation("North", ("Fenland", "Huntingdonshire", "Peterborough")),
    Equation("South", ("Cambridge", "East Cambridgeshire", "South Cambridgeshire")),
]
ISSUE_VALUES = {
    "force": 150.0,
    "North": 130.0,
    "South": 20.0,
    "Fenland": 30.0,
    "Huntingdonshire": 40.0,
    "Peterborough": 60.0,
    "Cambridge": 14.0,
    "East Cambridgeshire": 1.0,
    "South Cambridgeshire": 5.0,
}


def _labels(values, hidden, k=5):
    return {c: Known.of_count(values[c], k) for c in hidden}


def test_linear_audit_leaves_the_issue_case_recoverable():
    """Before: the linear audit is satisfied (two hidden cells in the South equation), yet a
    reader who knows whole numbers and the labels ("fewer than 5" is 1-4, "not shown" at
    least 5) gets East Cambridgeshire exactly."""
    hidden = protect(ISSUE_EQS, ISSUE_VALUES, ["East Cambridgeshire"])
    assert hidden == {"East Cambridgeshire", "South Cambridgeshire"}
    found = brute_ranges(ISSUE_EQS, ISSUE_VALUES, hidden, _labels(ISSUE_VALUES, hidden))
    assert found["East Cambridgeshire"] == (1, 1)
    assert found["South Cambridgeshire"] == (5, 5)


def test_interval_audit_protects_the_issue_case():
    audit = Audit()
    hidden = protect(ISSUE_EQS, ISSUE_VALUES, ["East Cambridgeshire"], audit=audit)
    found = brute_ranges(ISSUE_EQS, ISSUE_VALUES, hidden, _labels(ISSUE_VALUES, hidden))
    assert found["East Cambridgeshire"] == (1, 4)
    assert all(hi > lo for lo, hi in found.values())
    # The complement is a cell large enough to leave 1-4 open (Cambridge, 14), not the 5.
    assert hidden == {"East Cambridgeshire", "Cambridge"}
    assert audit.ranges["East Cambridgeshire"] == (1.0, 4.0)
    assert not audit.unresolved


# -- feasible_ranges against brute force --------------------------------------------------------


@pytest.mark.parametrize("seed", range(30))
def test_feasible_ranges_agree_with_brute_force(seed):
    rng = np.random.default_rng(seed)
    eqs, values, keys = _random_tree(rng)
    hidden = {k for k in keys if rng.random() < 0.4}
    if not hidden:
        hidden = {keys[-1]}
    known = {}
    for c in hidden:
        v = values[c]
        # Labels as an edition prints them; now and then one that also allows zero.
        known[c] = Known.of_count(v, 5, zero=bool(rng.random() < 0.3))
    got = feasible_ranges(eqs, values, hidden, known)
    want = brute_ranges(eqs, values, hidden, known)
    wider = brute_ranges(eqs, values, hidden, known, cap=2 * _cap(values))
    for c in hidden:
        _agree(got[c], want[c], wider[c])


@pytest.mark.parametrize("seed", range(15))
def test_subsets_and_one_small_agree_with_brute_force(seed):
    """Months within months (a quarter's figure at most the year's) and rates hidden as too
    few (one of numerator, rest and base is small, the reader does not know which)."""
    rng = np.random.default_rng(100 + seed)
    year, v_year, keys = _random_tree(rng)
    quarter = [Equation(("q", e.total), tuple(("q", p) for p in e.parts)) for e in year]
    values = dict(v_year)
    for k in keys:
        if k[0] == "district":
            values[("q", k)] = float(rng.integers(0, int(values[k]) + 1))
    for e in year[::-1]:
        values[("q", e.total)] = sum(values[("q", p)] for p in e.parts)
    subsets = [Subset(("q", k), k) for k in keys]
    eqs = year + quarter
    cells = [*keys, *(("q", k) for k in keys)]
    hidden = {c for c in cells if rng.random() < 0.25} or {cells[-1]}
    hidden = set(sorted(hidden, key=repr)[:5])
    known = {c: Known() for c in hidden}
    groups = [tuple(c for c in cells if c[0] != "q" and c in hidden)[:2]]
    groups = [g for g in groups if g and any(0 < values[c] < 5 for c in g)]
    got = feasible_ranges(eqs, values, hidden, known, subsets=subsets, some_small=groups)
    want = brute_ranges(eqs, values, hidden, known, subsets=subsets, some_small=groups)
    wider = brute_ranges(
        eqs, values, hidden, known, subsets=subsets, some_small=groups, cap=2 * _cap(values)
    )
    for c in hidden:
        _agree(got[c], want[c], wider[c])


# -- protect with the interval audit ---------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_protect_leaves_every_small_count_its_whole_range(seed):
    rng = np.random.default_rng(1000 + seed)
    eqs, values, keys = _random_tree(rng)
    primary = [k for k in keys if 0 < values[k] < 5]
    audit = Audit()
    hidden = protect(eqs, values, primary, cells=keys, audit=audit)
    assert set(primary) <= hidden
    if not primary:
        assert not hidden
        return
    # (Enumeration up to the force's count and room for four more small counts.)
    cap = int(max(values.values())) + 20
    want = brute_ranges(eqs, values, hidden, _labels(values, hidden), cap=cap)
    # What the labels alone allow where small counts add up to each other (an area of 2 with
    # two districts of 1 leaves each 1-3 whatever else is shown): the most any complement
    # can give.
    among = [e for e in eqs if all(c in primary for c in e.cells)]
    alone = brute_ranges(among, values, primary, _labels(values, primary))
    for c in hidden:
        lo, hi = want[c]
        if c in primary:
            assert (lo, hi) == alone[c], (c, values, hidden, want)
        else:
            assert hi > lo, (c, values, hidden, want)
    assert not audit.unresolved
    # What the audit says of each cell is what enumeration finds (within the cap).
    for c in hidden:
        lo, hi = audit.ranges[c]
        if c in primary:
            assert (lo, hi) == want[c]


def test_ratio_rule_needs_less_than_the_whole_range():
    # A value of 2 with a 50% protection interval needs 1..3 to stay feasible, not 1..4.
    assert shortfall((1, 3), 2, sensitive=True, ratio=0.5) == 0
    assert shortfall((1, 3), 2, sensitive=True) == 1
    assert shortfall((2, 4), 2, sensitive=True, ratio=0.5) == 1
    # Any other hidden cell: two values.
    assert shortfall((7, 7), 7) == 1 and shortfall((7, 8), 7) == 0


def test_the_audit_can_fail_and_says_so():
    """A breach that no complement can mend (nothing left to hide) is reported."""
    eqs = [Equation("T", ("a", "b"))]
    values = {"T": 6.0, "a": 1.0, "b": 5.0}
    audit = Audit()
    hidden = protect(eqs, values, ["a"], fixed=["T"], audit=audit)
    assert hidden == {"a", "b"}
    assert audit.unresolved and "a" in audit.unresolved
