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
