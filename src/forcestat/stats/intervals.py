"""Point estimates' intervals: proportions, Poisson counts, medians from histograms.

Pure functions over numbers. Proportions are on the 0-1 scale here; the engine multiplies by
100 when it writes ``measure_results`` (docs/architecture.md §2).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
from scipy import special, stats

__all__ = [
    "kish_effective_n",
    "median_from_histogram",
    "medians_of_histograms",
    "median_interval_from_histogram",
    "median_intervals_from_histograms",
    "median_rank_interval",
    "newcombe_diff_interval",
    "poisson_exact_interval",
    "wilson_interval",
]


def _check_level(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    return 1.0 - level


# The engine calls these functions one value at a time (~10,000 calls per period), so they use
# scipy.special's ufuncs directly: the same functions scipy.stats' distributions evaluate
# (norm.isf(q) = -ndtri(q), chi2.ppf(q, df) = 2 gammaincinv(df / 2, q), chi2.isf(q, df) =
# chdtri(df, q)), hence the same numbers, without the distributions' per-call argument handling.
@functools.lru_cache(maxsize=64)
def _z(alpha: float) -> float:
    """Two-sided normal critical value: norm.isf(alpha / 2)."""
    return float(-special.ndtri(alpha / 2.0))


def wilson_interval(x: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """Wilson (1927) score interval for a binomial proportion x/n, on the 0-1 scale.

    ``x`` and ``n`` may be non-integer: for a weighted survey pass ``n`` = Kish's effective n
    and ``x`` = weighted proportion x ``n`` (docs/architecture.md §6). ``n == 0`` gives
    ``(nan, nan)`` so that empty breakdowns flow through the engine without special cases.
    """
    alpha = _check_level(level)
    if n < 0 or x < 0 or x > n:
        raise ValueError(f"need 0 <= x <= n, got x={x!r}, n={n!r}")
    if n == 0:
        return (math.nan, math.nan)
    z = _z(alpha)
    p = x / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
    # Clamp only against floating-point spill: the Wilson interval is inside [0, 1] exactly.
    return (max(0.0, float(centre - half)), min(1.0, float(centre + half)))


def poisson_exact_interval(k: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood 1936) interval for a Poisson mean, given one observed count ``k``.

    lower = chi2.ppf(alpha/2, 2k) / 2 (0 when k = 0); upper = chi2.ppf(1 - alpha/2, 2k + 2) / 2.
    """
    alpha = _check_level(level)
    if k < 0 or int(k) != k:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    k = int(k)
    lower = 0.0 if k == 0 else float(special.gammaincinv(k, alpha / 2.0))
    upper = float(special.chdtri(2 * k + 2, alpha / 2.0) / 2.0)
    return (lower, upper)


def kish_effective_n(weights: Sequence[float] | np.ndarray) -> float:
    """Kish (1965) effective sample size (sum w)^2 / sum(w^2) of a weighted sample."""
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1:
        raise ValueError("weights must be one-dimensional")
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    ss = float(np.sum(w * w))
    if ss == 0.0:
        return 0.0
    return float(np.sum(w)) ** 2 / ss


def _histogram(
    values: Sequence[float] | np.ndarray, counts: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray, int]:
    v = np.asarray(values, dtype=float)
    c = np.asarray(counts)
    if v.ndim != 1 or c.shape != v.shape:
        raise ValueError("values and counts must be one-dimensional and of equal length")
    if not np.isfinite(v).all():
        raise ValueError("values must be finite")
    if v.size > 1 and not (v[1:] > v[:-1]).all():
        raise ValueError("values must be strictly increasing (one bin per value)")
    if c.dtype.kind in "iub":
        if c.size and c.min() < 0:
            raise ValueError("counts must be non-negative integers")
    elif (c < 0).any() or (np.asarray(c, dtype=float) != np.floor(c)).any():
        raise ValueError("counts must be non-negative integers")
    c = c.astype(np.int64, copy=False)
    return v, c, int(c.sum())


def _histogram_rows(
    values: Sequence[float] | np.ndarray, counts: Sequence[Sequence[int]] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The sorted values and the counts (one histogram per row), checked."""
    c = np.asarray(counts)
    if c.ndim != 2:
        raise ValueError("counts must be two-dimensional (one histogram per row)")
    v, _, _ = _histogram(values, c.sum(axis=0))
    if c.size and (c.min() < 0 or (c.dtype.kind == "f" and (c != np.floor(c)).any())):
        raise ValueError("counts must be non-negative integers")
    return v, c


def _order_statistic(v: np.ndarray, cum: np.ndarray, rank: int) -> float:
    """Value of the ``rank``-th smallest observation (1-based) of the multiset."""
    # cum[i] is the number of observations <= v[i]; the rank-th lies in the first bin reaching it.
    return float(v[int(np.searchsorted(cum, rank, side="left"))])


def median_from_histogram(
    values: Sequence[float] | np.ndarray, counts: Sequence[int] | np.ndarray
) -> float:
    """Exact sample median of the multiset {values[i] repeated counts[i] times}.

    For an even total the two middle observations are averaged (numpy's convention).
    An empty histogram gives ``nan``.
    """
    v, c, n = _histogram(values, counts)
    if n == 0:
        return math.nan
    # Both middle ranks in one searchsorted (they coincide when n is odd).
    lo, hi = np.searchsorted(np.cumsum(c), ((n + 1) // 2, n // 2 + 1), side="left")
    if n % 2 == 1:
        return float(v[lo])
    return (float(v[lo]) + float(v[hi])) / 2.0


def medians_of_histograms(
    values: Sequence[float] | np.ndarray,
    counts: Sequence[Sequence[int]] | np.ndarray,
    width: float | None = None,
) -> np.ndarray:
    """``median_from_histogram`` of each row of ``counts`` (e.g. one row per month) over the
    same ``values``, in one pass: nan for an empty row.

    ``width``: the values are the lower edges of bins that wide (continuous values binned
    down, e.g. response times to the tenth of a minute), and the median is interpolated
    within its bin, taking the bin's records as spread evenly across it (the grouped-data
    median, L + (n/2 - F) / f x width): not the truncated edge (11.7 where the records give
    11.77)."""
    v, c = _histogram_rows(values, counts)
    cum = np.cumsum(c.astype(np.int64, copy=False), axis=1)
    n = cum[:, -1] if c.shape[1] else np.zeros(c.shape[0], dtype=np.int64)
    out = np.full(c.shape[0], np.nan)
    has = n > 0
    if not has.any():
        return out
    cum, n = cum[has], n[has]
    if width is not None:
        half = n / 2.0
        k = np.argmax(cum >= half[:, None], axis=1)
        rows = np.arange(cum.shape[0])
        below = np.where(k > 0, cum[rows, np.maximum(k - 1, 0)], 0)
        inside = cum[rows, k] - below
        out[has] = v[k] + (half - below) / inside * width
        return out
    # The first bin whose cumulative count reaches each of the two middle ranks.
    lo = np.argmax(cum >= ((n + 1) // 2)[:, None], axis=1)
    hi = np.argmax(cum >= (n // 2 + 1)[:, None], axis=1)
    out[has] = np.where(n % 2 == 1, v[lo], (v[lo] + v[hi]) / 2.0)
    return out


@functools.lru_cache(maxsize=4096)
def _median_rank_interval(n: int, level: float) -> tuple[int, int] | None:
    alpha = _check_level(level)
    if n <= 0:
        return None
    half = alpha / 2.0
    # ppf gives the smallest j with F(j) >= half; step back unless F(j) equals half exactly.
    j = int(stats.binom.ppf(half, n, 0.5))
    if stats.binom.cdf(j, n, 0.5) > half * (1.0 + 1e-12):
        j -= 1
    r = j + 1
    if r < 1:
        return None
    return (r, n - r + 1)


def median_rank_interval(n: int, level: float = 0.95) -> tuple[int, int] | None:
    """Ranks (r, n - r + 1) of the distribution-free interval for a median (Conover 1999, ch. 3).

    r is the largest rank with P(B <= r - 1) <= alpha / 2, B ~ Binomial(n, 1/2), so the
    interval [X_(r), X_(n-r+1)] covers the population median with probability
    1 - 2 P(B <= r - 1) >= level. Returns None when even [X_(1), X_(n)] falls short of the
    level (n < 6 at 95%).
    """
    # A pure function of (n, level) called for every median window: cached.
    return _median_rank_interval(n, level)


def median_interval_from_histogram(
    values: Sequence[float] | np.ndarray,
    counts: Sequence[int] | np.ndarray,
    level: float = 0.95,
) -> tuple[float, float]:
    """Distribution-free order-statistic interval for the median of a histogram.

    Conover (1999) Practical Nonparametric Statistics, ch. 3 (the quantile test and its
    interval); Hollander & Wolfe (1999), the interval that goes with the sign test. The ranks
    come from Binomial(n, 1/2) (see ``median_rank_interval``); the endpoints are the order
    statistics at those ranks, read from the cumulative counts. With ties (binned data) the
    coverage is at least the nominal level. Returns ``(nan, nan)`` when the sample is too
    small to reach the level.
    """
    v, c, n = _histogram(values, counts)
    ranks = median_rank_interval(n, level)
    if ranks is None:
        return (math.nan, math.nan)
    cum = np.cumsum(c)
    return (_order_statistic(v, cum, ranks[0]), _order_statistic(v, cum, ranks[1]))


def median_intervals_from_histograms(
    values: Sequence[float] | np.ndarray,
    counts: Sequence[Sequence[int]] | np.ndarray,
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray]:
    """``median_interval_from_histogram`` of each row of ``counts`` (e.g. one row per window)
    over the same ``values``, in one pass: (lower, upper) arrays, nan where a row is too small
    to reach the level. The engine works out every window of a unit at once."""
    v, c = _histogram_rows(values, counts)
    rows = c.shape[0]
    lo, hi = np.full(rows, np.nan), np.full(rows, np.nan)
    if rows == 0 or c.shape[1] == 0:
        return lo, hi
    cum = np.cumsum(c.astype(np.int64, copy=False), axis=1)
    ranks = [median_rank_interval(int(n), level) for n in cum[:, -1].tolist()]
    ok = np.array([r is not None for r in ranks], dtype=bool)
    if not ok.any():
        return lo, hi
    r = np.array([x for x in ranks if x is not None], dtype=np.int64)
    # The first bin whose cumulative count reaches each rank (``_order_statistic``).
    at = cum[ok]
    lo[ok] = v[np.argmax(at >= r[:, :1], axis=1)]
    hi[ok] = v[np.argmax(at >= r[:, 1:], axis=1)]
    return lo, hi


def newcombe_diff_interval(
    x1: float, n1: float, x2: float, n2: float, level: float = 0.95
) -> tuple[float, float]:
    """Newcombe (1998) hybrid score interval (his method 10) for p1 - p2, on the 0-1 scale.

    Built from the two Wilson intervals (l_i, u_i):
    L = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), U = d + sqrt((u1 - p1)^2 + (p2 - l2)^2).
    Used to give the size of a year-on-year change in a rate alongside the score test.
    """
    if n1 == 0 or n2 == 0:
        return (math.nan, math.nan)
    l1, u1 = wilson_interval(x1, n1, level)
    l2, u2 = wilson_interval(x2, n2, level)
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    return (
        d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2),
    )
