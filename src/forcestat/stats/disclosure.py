"""Disclosure control for public outputs (DESIGN section 6).

Counts of 1-4 are suppressed ("fewer than 5"); zeros are shown. Secondary suppression then
hides enough other cells that no suppressed count can be worked out from the published
totals. Methods after Hundepool et al. (2012) Statistical Disclosure Control, chapter 4.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "exposed_cells",
    "primary_suppress",
    "secondary_suppress",
    "secondary_suppress_1d",
]


def primary_suppress(counts: Sequence[float] | np.ndarray, threshold: int = 5) -> np.ndarray:
    """Boolean mask of counts to suppress: 1 <= count < ``threshold``. Any shape.

    Zero is shown: a zero reveals nothing about a person. Missing values (nan) are not
    suppressed here; they are not counts.
    """
    c = np.asarray(counts, dtype=float)
    with np.errstate(invalid="ignore"):
        return (c >= 1) & (c < threshold)


def _pick_complement(values: np.ndarray, candidates: np.ndarray, bonus: np.ndarray) -> int | None:
    """Index of the complement among ``candidates``: the smallest non-zero count, preferring
    (on equal counts) one that also completes another line. A zero is used only when nothing
    else is left: hiding a zero next to a single small count lets the pair's total equal the
    small count itself."""
    idx = np.flatnonzero(candidates)
    if idx.size == 0:
        return None
    keys = sorted(idx, key=lambda i: (values[i] == 0, values[i], not bonus[i], i))
    return int(keys[0])


def exposed_cells(table_counts: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Suppressed cells whose value follows from the shown cells and all row, column and grand
    totals by linear algebra (any combination of additions and subtractions, not only one
    row or column at a time).

    A hidden cell x_m is determined exactly when the unit vector e_m lies in the row space of
    the constraint matrix over the hidden cells, i.e. when every null-space vector has a zero
    in position m.
    """
    t = np.asarray(table_counts, dtype=float)
    m = np.asarray(mask, dtype=bool)
    if t.ndim != 2 or m.shape != t.shape:
        raise ValueError("table_counts and mask must be 2-D arrays of the same shape")
    hidden = np.argwhere(m)
    out = np.zeros_like(m)
    k = hidden.shape[0]
    if k == 0:
        return out
    r, c = t.shape
    a = np.zeros((r + c, k))
    for j, (i, col) in enumerate(hidden):
        a[i, j] = 1.0
        a[r + col, j] = 1.0
    _, sv, vt = np.linalg.svd(a)
    rank = int(np.sum(sv > 1e-9 * max(1.0, sv.max(initial=0.0))))
    null = vt[rank:]  # rows span the null space
    determined = np.all(np.abs(null) < 1e-9, axis=0) if null.size else np.ones(k, dtype=bool)
    for j, (i, col) in enumerate(hidden):
        out[i, col] = bool(determined[j])
    return out


def secondary_suppress(table_counts: np.ndarray, primary_mask: np.ndarray) -> np.ndarray:
    """Secondary suppression for a 2-D table whose row, column and grand totals are published.

    1. Every row and column holding a suppressed cell must hold at least two: where a line
       has exactly one, suppress its smallest non-zero shown cell (preferring, on equal
       counts, one whose other line also needs a complement). Repeat until stable.
    2. Audit (``exposed_cells``): a pattern can pass step 1 and still give a cell away by
       combining several lines (a "bridge" between two blocks of hidden cells). For each
       exposed cell suppress the smallest non-zero shown cell in its row, then go back to 1.
    Each round hides at least one more cell, so this ends; a fully hidden table (r, c >= 2)
    exposes nothing. Returns the full mask (primary and secondary).

    Not covered: interval disclosure (a hidden cell narrowed to a small range by the
    non-negativity of counts) and suppressed totals; see docs/methods.md.
    """
    t = np.asarray(table_counts, dtype=float)
    mask = np.array(primary_mask, dtype=bool, copy=True)
    if t.ndim != 2 or mask.shape != t.shape:
        raise ValueError("table_counts and primary_mask must be 2-D arrays of the same shape")
    if not mask.any():
        return mask
    if min(t.shape) < 2:
        raise ValueError("a table with one row or column: use secondary_suppress_1d")
    while True:
        changed = True
        while changed:
            changed = False
            for axis in (0, 1):
                view_t = t if axis == 0 else t.T
                view_m = mask if axis == 0 else mask.T  # a view: writes go to mask
                for i in range(view_m.shape[0]):
                    if view_m[i].sum() == 1:
                        completes_other_line = view_m.sum(axis=0) == 1
                        j = _pick_complement(view_t[i], ~view_m[i], completes_other_line)
                        if j is not None:
                            view_m[i, j] = True
                            changed = True
        exposed = exposed_cells(t, mask)
        if not exposed.any():
            return mask
        for i, col in np.argwhere(exposed):
            if mask.all():
                break
            no_bonus_row = np.zeros(t.shape[1], dtype=bool)
            j = _pick_complement(t[i], ~mask[i], no_bonus_row)
            if j is not None:
                mask[i, j] = True
                continue
            j = _pick_complement(t[:, col], ~mask[:, col], np.zeros(t.shape[0], dtype=bool))
            if j is not None:
                mask[j, col] = True
                continue
            # Row and column already fully hidden: take the smallest shown cell anywhere.
            flat = _pick_complement(t.ravel(), ~mask.ravel(), np.zeros(t.size, dtype=bool))
            if flat is not None:
                mask.flat[flat] = True


def secondary_suppress_1d(
    parts: Sequence[float] | np.ndarray,
    total_shown: bool,
    *,
    primary_mask: Sequence[bool] | np.ndarray | None = None,
    threshold: int = 5,
) -> np.ndarray:
    """Secondary suppression for parts of a total (e.g. districts of a force).

    If the total is shown and exactly one part is suppressed, it equals the total minus the
    others, so the smallest non-zero shown part is suppressed too (a zero only if nothing
    else is left). With the total hidden, primary suppression is enough. ``primary_mask``
    defaults to ``primary_suppress(parts, threshold)``.
    """
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
    if total_shown and mask.sum() == 1:
        j = _pick_complement(p, ~mask, np.zeros(p.size, dtype=bool))
        if j is None:
            raise ValueError("the only part is suppressed: suppress the total as well")
        mask[j] = True
    return mask
