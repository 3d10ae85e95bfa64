"""Disclosure control checked by brute force: nothing suppressed can be worked out."""

import itertools

import numpy as np
import pytest

from forcestat.stats.disclosure import (
    exposed_cells,
    primary_suppress,
    secondary_suppress,
    secondary_suppress_1d,
)


def recoverable_by_subtraction(table, mask):
    """Cells that are the only suppressed cell of their row or column (margins published)."""
    found = set()
    for i in range(table.shape[0]):
        cols = np.flatnonzero(mask[i])
        if cols.size == 1:
            found.add((i, int(cols[0])))
    for j in range(table.shape[1]):
        rows = np.flatnonzero(mask[:, j])
        if rows.size == 1:
            found.add((int(rows[0]), j))
    return found


def feasible_values(table, mask):
    """Every table of non-negative integers with the same shown cells and margins: for each
    hidden cell, the set of values it takes. Exhaustive search, row by row."""
    table = np.asarray(table, dtype=int)
    rows, cols = table.shape
    col_left = table.sum(axis=0) - np.where(mask, 0, table).sum(axis=0)
    hidden = [np.flatnonzero(mask[i]) for i in range(rows)]
    seen = {(i, int(j)): set() for i in range(rows) for j in hidden[i]}

    def fill(i, col_left, chosen):
        if i == rows:
            if not col_left.any():
                for (r, c), v in chosen.items():
                    seen[(r, c)].add(v)
            return
        need = int(table[i][mask[i]].sum())
        cells = hidden[i]
        if cells.size == 0:
            fill(i + 1, col_left, chosen)
            return
        for head in itertools.product(*(range(int(col_left[c]) + 1) for c in cells[:-1])):
            last = need - sum(head)
            if last < 0 or last > col_left[cells[-1]]:
                continue
            values = (*head, last)
            left = col_left.copy()
            left[cells] -= values
            fill(
                i + 1,
                left,
                {**chosen, **{(i, int(c)): v for c, v in zip(cells, values, strict=True)}},
            )

    fill(0, col_left, {})
    return seen


def test_primary_suppression():
    counts = np.array([0, 1, 4, 5, 12, np.nan])
    assert primary_suppress(counts).tolist() == [False, True, True, False, False, False]
    assert primary_suppress([[3, 10]], threshold=10).tolist() == [[True, False]]


TABLES = [
    # districts x offence groups, with a few small counts
    np.array([[3, 10, 20], [15, 2, 30], [40, 50, 60]]),
    np.array([[1, 12, 7, 30], [9, 8, 15, 22], [14, 3, 0, 19]]),
    np.array([[0, 4, 9], [6, 0, 11], [25, 13, 0]]),
    np.array([[2, 2, 2], [2, 2, 2]]),
    np.array([[4, 30, 30, 30], [30, 30, 30, 30], [30, 30, 30, 1]]),
]


@pytest.mark.parametrize("table", TABLES)
def test_no_suppressed_cell_recoverable_by_subtraction(table):
    primary = primary_suppress(table)
    mask = secondary_suppress(table, primary)
    assert np.all(mask[primary])  # primary cells stay hidden
    assert recoverable_by_subtraction(table, mask) == set()


@pytest.mark.parametrize("table", TABLES[:4])
def test_every_suppressed_cell_has_several_feasible_values(table):
    mask = secondary_suppress(table, primary_suppress(table))
    values = feasible_values(table, mask)
    assert all(len(v) >= 2 for v in values.values()), values
    # and the true table is among the feasible ones
    assert all(int(table[cell]) in v for cell, v in values.items())


def test_complement_is_smallest_non_zero_cell():
    table = np.array([[3, 0, 50, 7], [20, 30, 40, 9], [11, 12, 13, 14]])
    mask = secondary_suppress(table, primary_suppress(table))
    # row 0: 3 needs a partner: 7 (not the zero); column 0 then needs one: 11; column 3: 9 ...
    assert mask[0].tolist() == [True, False, False, True]
    assert recoverable_by_subtraction(table, mask) == set()


def test_bridge_between_blocks_is_found_and_fixed():
    # Two blocks of hidden cells joined by one cell: every line has two hidden cells, yet
    # rows 0+1 minus columns 0+1 give cell (0, 2) exactly.
    table = np.array([[1, 2, 3, 1], [2, 1, 1, 3], [3, 1, 2, 2], [1, 3, 2, 1]]) + 2
    pattern = np.zeros((4, 4), dtype=bool)
    pattern[:2, :2] = True
    pattern[2:, 2:] = True
    pattern[0, 2] = True
    assert recoverable_by_subtraction(table, pattern) == set()
    values = feasible_values(table, pattern)
    assert values[(0, 2)] == {5}  # brute force agrees: the bridge is determined
    exposed = exposed_cells(table, pattern)
    assert {tuple(map(int, c)) for c in np.argwhere(exposed)} == {(0, 2)}
    fixed = secondary_suppress(table, pattern)
    assert not exposed_cells(table, fixed).any()
    assert all(len(v) >= 2 for v in feasible_values(table, fixed).values())


def bridges(mask):
    """Hidden cells that are bridges of the bipartite graph rows - columns (an edge per hidden
    cell): exactly the cells that the margins determine (a cell on a cycle can move by +/-1
    around the cycle without changing any total)."""
    rows, cols = mask.shape
    edges = [(int(i), int(j)) for i, j in np.argwhere(mask)]
    found = set()
    for e in edges:
        adj = {("r", i): set() for i in range(rows)} | {("c", j): set() for j in range(cols)}
        for i, j in edges:
            if (i, j) != e:
                adj[("r", i)].add(("c", j))
                adj[("c", j)].add(("r", i))
        seen, stack = {("r", e[0])}, [("r", e[0])]
        while stack:
            for nxt in adj[stack.pop()] - seen:
                seen.add(nxt)
                stack.append(nxt)
        if ("c", e[1]) not in seen:
            found.add(e)
    return found


def test_exposed_cells_are_the_bridges_and_have_one_feasible_value():
    rng = np.random.default_rng(2)
    for _ in range(60):
        shape = (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
        table = rng.integers(0, 4, size=shape)
        pattern = rng.random(shape) < 0.45
        exposed = exposed_cells(table, pattern)
        assert {tuple(map(int, c)) for c in np.argwhere(exposed)} == bridges(pattern)
    for _ in range(30):
        table = rng.integers(0, 6, size=(3, 3))
        pattern = rng.random((3, 3)) < 0.45
        values = feasible_values(table, pattern)
        exposed = exposed_cells(table, pattern)
        assert all(len(values[c]) == 1 for c in values if exposed[c])


def test_nothing_to_do_without_primary_suppression():
    table = np.array([[10, 20], [30, 40]])
    assert not secondary_suppress(table, primary_suppress(table)).any()


def test_one_dimensional():
    # total shown: 2 alone could be recovered -> smallest non-zero other part (7) hidden too
    assert secondary_suppress_1d([0, 2, 0, 10, 7], True).tolist() == [
        False,
        True,
        False,
        False,
        True,
    ]
    # total not shown: nothing to derive
    assert secondary_suppress_1d([0, 2, 0, 10, 7], False).tolist() == [
        False,
        True,
        False,
        False,
        False,
    ]
    # two small parts protect each other
    assert secondary_suppress_1d([3, 4, 50], True).tolist() == [True, True, False]
    # only zeros left: a zero is used
    assert secondary_suppress_1d([3, 0, 0], True).tolist() == [True, True, False]
    with pytest.raises(ValueError):
        secondary_suppress_1d([3], True)


def test_one_dimensional_brute_force():
    rng = np.random.default_rng(9)
    for _ in range(200):
        parts = rng.integers(0, 12, size=int(rng.integers(2, 7)))
        mask = secondary_suppress_1d(parts, True)
        assert mask.sum() != 1  # a single hidden part is the total minus the rest
        assert np.all(mask[primary_suppress(parts)])
