"""Small vectorised sampling helpers shared by the generators."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def pick(rng: np.random.Generator, probs: np.ndarray, which: np.ndarray) -> np.ndarray:
    """One categorical draw per row: ``probs`` is (profiles, k), ``which`` each row's profile.
    Returns the category index 0..k-1."""
    cum = np.cumsum(np.asarray(probs, dtype=float), axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(which))
    out = np.empty(len(which), dtype=np.int64)
    for p in range(cum.shape[0]):
        rows = which == p
        out[rows] = np.searchsorted(cum[p], u[rows], side="left")
    return np.minimum(out, cum.shape[1] - 1)


def mix(rng: np.random.Generator, weights: Mapping, n: int) -> np.ndarray:
    """``n`` draws of the keys of ``weights`` (relative weights)."""
    keys = np.array(list(weights))
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def lognormal(rng: np.random.Generator, median, sigma, n: int) -> np.ndarray:
    return np.asarray(median) * np.exp(sigma * rng.standard_normal(n))


def cells(*keys: np.ndarray) -> np.ndarray:
    """One integer id per distinct combination of the key arrays."""
    stacked = np.column_stack([np.asarray(k, dtype=float) for k in keys])
    return np.unique(stacked, axis=0, return_inverse=True)[1].ravel()


def controlled(rng: np.random.Generator, p: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Bernoulli-like draws whose count of successes in each cell is the cell's expected count
    rounded at random (unbiased), the successes placed at random within the cell. Used for
    survey answers: rates land on their calibrated values with far less noise than binomial
    sampling, so the small survey storylines show in any seed (and stable rates stay stable)."""
    n = len(p)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    perm = np.lexsort((rng.random(n), cell))
    sorted_cells = cell[perm]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_cells)) + 1]
    which = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, n]))
    rank = np.arange(n) - starts[which]
    expected = np.add.reduceat(np.asarray(p, dtype=float)[perm], starts)
    k = np.floor(expected + rng.random(len(starts))).astype(np.int64)
    out[perm] = rank < k[which]
    return out
