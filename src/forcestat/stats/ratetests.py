"""The exact test of two Poisson counts that CompStat tables print beside each % change.

Two counts over two spans of time (this year's 28 days and the same 28 days a year earlier),
x1 over t1 and x2 over t2, are independent Poisson under the null of equal daily rates.
Given their total n = x1 + x2, x1 is then Binomial(n, t1 / (t1 + t2)): the conditional
binomial test (Przyborowski and Wilenski, 1940). Its two-sided p-value sums the probabilities
of every outcome no more likely than the one observed (the "minimum likelihood" rule of R's
``binom.test`` and scipy's ``binomtest``, with the same relative tolerance of 1e-7 for ties),
so it is exact at any count, small or large, with no normal approximation.

Vectorised: a CompStat page tests a few hundred pairs at once. The other tail's boundary is
found by bisection on the binomial probabilities (they fall monotonically away from the mode),
about log2(n) steps for every pair together.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["conditional_poisson_test", "pct_change"]

RTOL = 1 + 1e-7


def conditional_poisson_test(x1, x2, t1=1.0, t2=1.0) -> np.ndarray:
    """Two-sided p-values of H0: equal rates, for counts ``x1`` over exposure ``t1`` and ``x2``
    over ``t2`` (broadcast arrays; counts are whole numbers >= 0, exposures > 0). Both counts
    zero gives p = 1."""
    x1, x2, t1, t2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x1, x2, t1, t2)))
    if np.any(x1 < 0) or np.any(x2 < 0) or np.any(x1 % 1) or np.any(x2 % 1):
        raise ValueError("counts must be whole numbers >= 0")
    if np.any(t1 <= 0) or np.any(t2 <= 0):
        raise ValueError("exposures must be > 0")
    n = x1 + x2
    p = t1 / (t1 + t2)
    out = np.ones(x1.shape)
    d = stats.binom.pmf(x1, n, p) * RTOL
    expected = n * p
    low = (x1 < expected) & (n > 0)
    high = (x1 > expected) & (n > 0)
    if low.any():
        # The upper tail: the first y above the mean with pmf(y) <= pmf(x1).
        nn, pp, dd = n[low], p[low], d[low]
        y = _first_at_or_below(dd, nn, pp, np.ceil(nn * pp), nn, upper=True)
        out[low] = stats.binom.cdf(x1[low], nn, pp) + stats.binom.sf(y - 1, nn, pp)
    if high.any():
        # The lower tail: the last y below the mean with pmf(y) <= pmf(x1).
        nn, pp, dd = n[high], p[high], d[high]
        y = _first_at_or_below(dd, nn, pp, np.zeros_like(nn), np.floor(nn * pp), upper=False)
        out[high] = stats.binom.cdf(y, nn, pp) + stats.binom.sf(x1[high] - 1, nn, pp)
    return np.minimum(out, 1.0)


def _first_at_or_below(d, n, p, lo, hi, *, upper: bool) -> np.ndarray:
    """Upper side (pmf falling from lo to hi): the smallest y in [lo, hi + 1] with
    pmf(y) <= d, hi + 1 when there is none. Lower side (pmf rising from lo to hi): the largest
    y in [lo - 1, hi] with pmf(y) <= d, lo - 1 when there is none."""
    if upper:
        a, b = lo.copy(), hi + 1  # invariant: pmf(a - 1) > d (or a = lo), answer in [a, b]
        while np.any(a < b):
            mid = np.floor((a + b) / 2)
            active, ok = a < b, stats.binom.pmf(mid, n, p) <= d
            b = np.where(active & ok, mid, b)
            a = np.where(active & ~ok, mid + 1, a)
        return a
    a, b = lo - 1, hi.copy()  # answer in [a, b]
    while np.any(a < b):
        mid = np.ceil((a + b) / 2)
        active, ok = a < b, stats.binom.pmf(mid, n, p) <= d
        a = np.where(active & ok, mid, a)
        b = np.where(active & ~ok, mid - 1, b)
    return a


def pct_change(current, previous) -> np.ndarray:
    """(current - previous) / previous x 100; nan where the previous count is 0."""
    c, p = np.broadcast_arrays(np.asarray(current, float), np.asarray(previous, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, (c - p) / np.where(p > 0, p, 1.0) * 100.0, np.nan)
