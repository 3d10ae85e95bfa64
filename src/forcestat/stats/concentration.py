"""Concentration: the share of a total borne by the top few (the "power few" of crime harm).

For values x_1..x_n >= 0 of n entities (e.g. each victim's crime harm in a window) and a top
fraction p, the top share is the sum of the k = ceil(p n) largest values over the sum of all
(docs/methods.md). It is a functional of the distribution, T = E[X 1(X > xi)] / E[X] with xi the
(1 - p) quantile, whose influence function (e.g. Beach & Davidson 1983 for Lorenz ordinates;
Cowell & Flachaire 2015) is

    IF(x) = [ (x - xi) 1(x > xi) + p xi - G - T (x - mu) ] / mu,   G = T mu,

so that var(T) ~ mean(IF^2) / n. The interval is built on the logit scale (it stays inside
0..1) and two windows are compared with a z test on the difference of their shares.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def top_count(n: int, p: float) -> int:
    """Entities in the top ``p`` of ``n``: ceil(p n), at least one (none of none)."""
    if n <= 0:
        return 0
    return max(1, math.ceil(p * n - 1e-9))


def top_share(values: np.ndarray, p: float) -> tuple[float, float, float, int]:
    """(share, top sum, total, entities) of the positive ``values``; share NaN when the total
    is zero."""
    x = np.asarray(values, dtype=float)
    x = x[x > 0]
    n = x.size
    total = float(x.sum())
    if n == 0 or total <= 0:
        return math.nan, 0.0, total, n
    k = top_count(n, p)
    top = float(np.partition(x, n - k)[n - k :].sum())
    return top / total, top, total, n


def top_share_se(values: np.ndarray, p: float) -> float:
    """Large-sample standard error of ``top_share`` (influence function; NaN below 2)."""
    x = np.asarray(values, dtype=float)
    x = x[x > 0]
    n = x.size
    if n < 2:
        return math.nan
    k = top_count(n, p)
    xi = float(np.partition(x, n - k)[n - k])  # the smallest value in the top group
    mu = float(x.mean())
    share = float(np.partition(x, n - k)[n - k :].sum()) / float(x.sum())
    g = share * mu
    # p as realised (k / n), so the influence function has mean zero on the sample.
    pk = k / n
    above = np.zeros(n, dtype=bool)
    above[np.argpartition(-x, k - 1)[:k]] = True
    infl = ((x - xi) * above + pk * xi - g - share * (x - mu)) / mu
    return float(math.sqrt(np.mean(infl**2) / n))


def top_share_interval(values: np.ndarray, p: float, level: float = 0.95) -> tuple[float, float]:
    """Interval for the top share on the logit scale; (nan, nan) when it cannot be formed."""
    share, *_ = top_share(values, p)
    se = top_share_se(values, p)
    if not (0 < share < 1) or not math.isfinite(se) or se <= 0:
        return (share, share) if share in (0.0, 1.0) else (math.nan, math.nan)
    z = stats.norm.ppf(0.5 + level / 2)
    logit = math.log(share / (1 - share))
    half = z * se / (share * (1 - share))
    lo, hi = logit - half, logit + half
    return 1 / (1 + math.exp(-lo)), 1 / (1 + math.exp(-hi))


def top_share_tests(s1: np.ndarray, se1: np.ndarray, s2: np.ndarray, se2: np.ndarray) -> np.ndarray:
    """Two-sided p of z = (s1 - s2) / sqrt(se1^2 + se2^2), for independent estimates (NaN
    where a standard error is missing)."""
    s1, se1, s2, se2 = (np.asarray(a, dtype=float) for a in (s1, se1, s2, se2))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (s1 - s2) / np.sqrt(se1**2 + se2**2)
    return 2 * stats.norm.sf(np.abs(z))


def top_shares_by_group(group: np.ndarray, values: np.ndarray, p: float) -> np.ndarray:
    """``top_share`` of each group 0..max(group) at once: ``values`` are one entity's total
    each (entities already summed within their group). NaN for a group with none."""
    group = np.asarray(group, dtype=np.int64)
    x = np.asarray(values, dtype=float)
    keep = x > 0
    group, x = group[keep], x[keep]
    size = int(group.max()) + 1 if group.size else 0
    out = np.full(size, math.nan)
    if not group.size:
        return out
    order = np.lexsort((-x, group))
    g, xs = group[order], x[order]
    n = np.bincount(g, minlength=size)
    start = np.concatenate([[0], np.cumsum(n)[:-1]])
    rank = np.arange(g.size) - start[g]
    k = np.array([top_count(int(c), p) for c in n])
    top = np.bincount(g, weights=np.where(rank < k[g], xs, 0.0), minlength=size)
    total = np.bincount(g, weights=xs, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, top / total, math.nan)
    return out
