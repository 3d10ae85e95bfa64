"""Comparisons of a window with its benchmark: proportions, counts, medians.

Every function returns a two-sided p-value (``nan`` when the test is undefined, which
``verdicts.verdict`` turns into ``insufficient_data``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special

from forcestat.stats._glm import fit_poisson_trend
from forcestat.stats.intervals import median_from_histogram

__all__ = [
    "dispersion_index",
    "median_test_from_histograms",
    "median_tests_on_grid",
    "poisson_e_test",
    "poisson_e_tests",
    "poisson_e_test_overdispersed",
    "two_proportion_test",
    "two_proportion_tests",
]


def two_proportion_test(x1: float, n1: float, x2: float, n2: float) -> float:
    """Two-sided p of the pooled score test for p1 = p2 (no continuity correction).

    z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)), p = (x1 + x2) / (n1 + n2). This is
    ``statsmodels.stats.proportion.proportions_ztest`` (default pooled variance) and equals
    ``test_proportions_2indep(method="score", correction=False)``; statsmodels' default
    ``correction=True`` multiplies the variance by n / (n - 1) (Miettinen-Nurminen), which we
    do not use because the design's worked examples are uncorrected score tests.
    Identical rates of 0% or 100% give p = 1 (no evidence of a difference); an empty group
    gives nan.
    """
    for x, n in ((x1, n1), (x2, n2)):
        if n < 0 or x < 0 or x > n:
            raise ValueError(f"need 0 <= x <= n, got x={x!r}, n={n!r}")
    if n1 == 0 or n2 == 0:
        return math.nan
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    if var <= 0.0:
        return 1.0
    z = (x1 / n1 - x2 / n2) / math.sqrt(var)
    # norm.sf(x) is ndtr(-x); the ufunc directly skips scipy.stats' per-call overhead.
    return float(2.0 * special.ndtr(-abs(z)))


def two_proportion_tests(x1, n1, x2, n2) -> np.ndarray:
    """``two_proportion_test`` of each element of the (broadcast) arrays: the engine runs a
    dozen per unit and period. Same rules: 0% or 100% on both sides gives 1, an empty group
    nan."""
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x1, n1, x2, n2)))
    x1, n1, x2, n2 = (a.ravel() for a in arrays)
    if np.any(n1 < 0) | np.any(n2 < 0) | np.any(x1 < 0) | np.any(x2 < 0):
        raise ValueError("need 0 <= x <= n for every test")
    if np.any(x1 > n1) | np.any(x2 > n2):
        raise ValueError("need 0 <= x <= n for every test")
    out = np.full(x1.size, np.nan)
    ok = (n1 > 0) & (n2 > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (x1 + x2) / (n1 + n2)
        var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
        z = (x1 / n1 - x2 / n2) / np.sqrt(var)
        p = 2.0 * special.ndtr(-np.abs(z))
    out[ok] = np.where(var[ok] <= 0.0, 1.0, p[ok])
    return out


# From this many rows of x1 on, X2's tails are read from one run of its probabilities
# (``_cdf_at``, ``_sf_at``) instead of an incomplete gamma per row, which costs about ten
# log-gammas: a third less time for force-level counts. The probabilities come from log-gamma
# like pmf1's, so the relative error of p stays of the order of 1e-15 x the counts (about 1e-10
# at 100,000; measured against mpmath), where one ``pdtr`` per row gives about 1e-14.
CUMULATIVE_ROWS = 200


def _pmf_run(lo: int, hi: int, mu: float) -> np.ndarray:
    k = np.arange(lo, hi + 1, dtype=float)
    return np.exp(k * math.log(mu) - mu - special.gammaln(k + 1.0))


def _cdf_at(k: np.ndarray, mu: float) -> np.ndarray:
    """P(X <= k) for integers k >= 0, X ~ Poisson(mu): one incomplete gamma below the smallest
    k, then running sums of the probabilities up to each k (summed upwards, so that a small
    lower tail keeps its relative accuracy)."""
    if k.size == 0:
        return k
    lo, hi = int(k.min()), int(k.max())
    base = float(special.pdtr(lo - 1, mu)) if lo > 0 else 0.0
    return base + np.cumsum(_pmf_run(lo, hi, mu))[(k - lo).astype(np.int64)]


def _sf_at(k: np.ndarray, mu: float) -> np.ndarray:
    """P(X > k) for integers k >= 0: running sums from above the largest k downwards (a small
    upper tail keeps its relative accuracy), plus one incomplete gamma beyond it."""
    if k.size == 0:
        return k
    lo, hi = int(k.min()), int(k.max())
    top = float(special.pdtrc(hi + 1, mu))  # P(X > hi + 1)
    tail = np.cumsum(_pmf_run(lo + 1, hi + 1, mu)[::-1])[::-1]  # P(k < X <= hi + 1), k >= lo
    return top + tail[(k - lo).astype(np.int64)]


def poisson_e_test(
    k1: float, t1: float, k2: float, t2: float, *, continuous: bool = False
) -> float:
    """Two-sided E-test of Krishnamoorthy & Thomson (2004) for equal Poisson rates.

    Tests k1/t1 = k2/t2 with the statistic T = (X1/t1 - X2/t2) / sqrt(X1/t1^2 + X2/t2^2)
    (their eq. 3.3), and p = sum over (x1, x2) of Pois(x1; t1 L) Pois(x2; t2 L)
    I(|T(x1, x2)| >= |T(k1, k2)|), L = (k1 + k2) / (t1 + t2). Same test as
    ``scipy.stats.poisson_means_test`` and statsmodels' ``method="etest-wald"``.

    For a count against a benchmark, k2 and t2 are the benchmark's total and its number of
    windows: 130 this year against 300 over the three years before is (130, 1, 300, 3).
    The design's "130 vs 100 -> p = 0.048" is (130, 1, 100, 1).

    The double sum is done row by row: for fixed x1, T is strictly decreasing in x2, so the
    rejection region is x2 <= L(x1) or x2 >= U(x1), with L and U the roots of a quadratic
    (checked against T directly to settle floating-point ties). That makes the cost
    O(sqrt(count)) rather than O(count), which matters when the engine runs this for every
    measure, breakdown and period. Values of X1 with probability below 1e-17 of the most likely
    one are left out, so p is exact to about 1e-15 (absolute) but for the rounding of the
    Poisson probabilities themselves (relative, about 1e-15 x the counts: ``CUMULATIVE_ROWS``).
    Observed counts may be
    non-integer (see ``poisson_e_test_overdispersed``).

    ``continuous=True``: for counts divided by a dispersion (non-integer effective counts).
    The rejection region in x2 of each row has real boundaries L(x1) and U(x1); the exact test
    counts the integers beyond them, so its p moves in steps as the observed statistic (and so
    phi) moves, by up to a boundary point's probability. The continuous form spreads each
    count's probability evenly over the unit interval centred on it and takes each row's tails
    at the real boundaries: P(X2 <= L) + P(X2 >= U) = 1 - (G(U) - G(L)), with
    G(x) = P(X2 <= j - 1) + (x + 1/2 - j) P(X2 = j), j = floor(x + 1/2), which is the Poisson
    distribution function at every j + 1/2. It is the average over its randomisation of the
    randomised E-test (a boundary count in the region with the probability of the share of its
    unit interval beyond the boundary). p is then continuous in the counts and phi, and in
    simulation neither above nor below the exact test's on average (docs/methods.md 2.2.1).
    """
    return float(poisson_e_tests([k1], [t1], [k2], [t2], continuous=continuous)[0])


def poisson_e_tests(k1, t1, k2, t2, *, continuous: Any = False) -> np.ndarray:
    """``poisson_e_test`` of each element of the (broadcast) arrays, in one vectorised pass
    (``continuous``: a bool, or one per test).

    The engine runs a dozen of these per unit and period (windows x comparators), most on
    small counts, where numpy's per-call overhead rather than the arithmetic is the cost: the
    rows of x1 of every test are laid end to end and summed per test.
    """
    arrays = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (k1, t1, k2, t2, np.asarray(continuous, float)))
    )
    k1, t1, k2, t2, cont = (a.ravel() for a in arrays)
    if not (np.isfinite(k1).all() and np.isfinite(k2).all() and np.isfinite(t1).all()):
        raise ValueError("counts and exposures must be finite numbers")
    if not np.isfinite(t2).all():
        raise ValueError("counts and exposures must be finite numbers")
    if np.any(np.minimum(k1, k2) < 0) or np.any(t1 <= 0) or np.any(t2 <= 0):
        raise ValueError("counts must be >= 0 and exposures > 0")
    out = np.ones(k1.size)
    todo = np.flatnonzero((k1 != 0) | (k2 != 0))  # no counts at all: p = 1
    if todo.size == 0:
        return out
    k1, t1, k2, t2, cont = k1[todo], t1[todo], k2[todo], t2[todo], cont[todo] != 0
    n = todo.size
    # The observed statistic of each test.
    c = np.abs((k1 / t1 - k2 / t2) / np.sqrt(k1 / t1**2 + k2 / t2**2))
    lam = (k1 + k2) / (t1 + t2)
    mu1, mu2 = t1 * lam, t2 * lam  # > 0: some count is
    # x1 beyond 12 standard deviations (+15 for small means) carries < 1e-20 of probability.
    spread = 12.0 * np.sqrt(mu1) + 15.0
    lo = np.maximum(0.0, np.floor(mu1 - spread))
    sizes = (np.ceil(mu1 + spread) - lo + 1.0).astype(np.int64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    g = np.repeat(np.arange(n), sizes)  # the test each row belongs to
    x1 = lo[g] + (np.arange(g.size) - starts[g])
    pmf1 = np.exp(x1 * np.log(mu1)[g] - mu1[g] - special.gammaln(x1 + 1.0))
    # Rows whose probability is below 1e-17 of their test's largest add less than about 1e-15
    # to its p in all (p is a sum of pmf1 x a probability): their Poisson tails are the cost.
    keep = pmf1 >= 1e-17 * np.maximum.reduceat(pmf1, starts)[g]
    x1, pmf1, g = x1[keep], pmf1[keep], g[keep]
    tt1, tt2, cc = t1[g], t2[g], c[g]
    a = x1 / tt1
    v1 = x1 / tt1**2
    # (a - y)^2 = c^2 (v1 + y / t2) in y = x2 / t2; discriminant is >= 0 by construction.
    b = 2.0 * a + cc * cc / tt2
    disc = 4.0 * a * cc * cc / tt2 + cc**4 / tt2**2 + 4.0 * cc * cc * v1
    root = np.sqrt(np.maximum(disc, 0.0))
    low_x2 = np.floor((b - root) / 2.0 * tt2)
    up_x2 = np.ceil((b + root) / 2.0 * tt2)
    tol = cc * (1.0 - 1e-10)

    def e_stat(x2: np.ndarray) -> np.ndarray:
        return (a - x2 / tt2) / np.sqrt(v1 + x2 / tt2**2)

    # Settle ties at the boundary with the statistic itself (the observed point is in the region).
    with np.errstate(invalid="ignore", divide="ignore"):
        low_x2 = np.where(e_stat(low_x2 + 1) >= tol, low_x2 + 1, low_x2)
        low_x2 = np.where((low_x2 >= 0) & ~(e_stat(low_x2) >= tol), low_x2 - 1, low_x2)
        up_x2 = np.where((up_x2 >= 1) & (e_stat(up_x2 - 1) <= -tol), up_x2 - 1, up_x2)
        up_x2 = np.where(~(e_stat(up_x2) <= -tol), up_x2 + 1, up_x2)
    # x1 = x2 = 0 has no statistic (0/0) and is never in the region.
    zero = x1 == 0
    low_x2 = np.where(zero, -1.0, low_x2)
    up_x2 = np.where(zero, np.maximum(up_x2, 1.0), up_x2)
    # P(X2 <= low) + P(X2 >= up) per row, evaluated only where needed: a row whose region is
    # every x2 is 1; no lower tail is P = 0, no upper tail 1. scipy.special's Poisson cdf/sf
    # are plain ufuncs (much cheaper than scipy.stats.poisson); for large counts X2's tails
    # come from running sums of its probabilities instead (``CUMULATIVE_ROWS``).
    row = np.ones_like(x1)
    smooth = cont[g]  # the continuous form's rows are evaluated below
    split = (low_x2 < up_x2 - 1.0) & ~smooth
    below = split & (low_x2 >= 0)
    above = split & (up_x2 >= 1)
    row[split] = 0.0
    bounds = np.searchsorted(g, np.arange(n + 1))
    large = np.diff(bounds) >= CUMULATIVE_ROWS
    plain = ~large[g]
    m2 = mu2[g]
    sel = below & plain
    row[sel] = special.pdtr(low_x2[sel], m2[sel])
    sel = above & plain
    row[sel] = row[sel] + special.pdtrc(up_x2[sel] - 1.0, m2[sel])
    for j in np.flatnonzero(large):
        r = slice(bounds[j], bounds[j + 1])
        bl, ab = below[r], above[r]
        part = row[r]
        part[bl] = _cdf_at(low_x2[r][bl], float(mu2[j]))
        part[ab] = part[ab] + _sf_at(up_x2[r][ab] - 1.0, float(mu2[j]))
    row[split & ~above] = row[split & ~above] + 1.0
    if smooth.any():
        # Each count's probability spread evenly over the unit interval centred on it: the
        # rows' two tails are 1 - (G(U) - G(L)), G that distribution function.
        low_r, up_r = (b - root) / 2.0 * tt2, (b + root) / 2.0 * tt2
        g_low, g_up = _spread_cdf((low_r, up_r), m2, g, large, bounds, smooth)
        # x1 = 0: no lower region (0/0 at x2 = 0), only P(X2 >= U).
        g_low = np.where(zero, 0.0, g_low)
        row[smooth] = np.clip(1.0 - (g_up - g_low)[smooth], 0.0, 1.0)
    p = np.bincount(g, weights=pmf1 * row, minlength=n)
    out[todo] = np.clip(p, 0.0, 1.0)
    return out


def _spread_cdf(
    xs: tuple[np.ndarray, ...],
    mu2: np.ndarray,
    g: np.ndarray,
    large: np.ndarray,
    bounds: np.ndarray,
    rows: np.ndarray,
) -> list[np.ndarray]:
    """G(x) = P(X2 <= j - 1) + (x + 1/2 - j) P(X2 = j), j = floor(x + 1/2), of each array of
    ``xs`` on ``rows`` (0 elsewhere): the distribution function of X2's Poisson probabilities
    each spread evenly over the unit interval centred on its count (continuous, and equal to
    the Poisson distribution function at j + 1/2). ``mu2`` and ``g`` are per row (rows of a
    test are consecutive); a test with many rows reads its probabilities from one run of them
    (``_pmf_run``), as the exact tails do, the others from scipy.special per row."""
    out = [np.zeros_like(x) for x in xs]
    js = [np.floor(x + 0.5) for x in xs]
    plain = rows & ~large[g]
    for x, j, o in zip(xs, js, out, strict=True):
        sel = plain & (j >= 0)
        jj, m = j[sel], mu2[sel]
        pmf = np.exp(jj * np.log(m) - m - special.gammaln(jj + 1.0))
        below = np.where(jj >= 1, special.pdtr(np.maximum(jj - 1.0, 0.0), m), 0.0)
        o[sel] = below + (x[sel] + 0.5 - jj) * pmf
    for t in np.flatnonzero(large):
        r = slice(bounds[t], bounds[t + 1])
        if not rows[r].any():
            continue
        mu = float(mu2[bounds[t]])
        picks = [np.flatnonzero(rows[r] & (j[r] >= 0)) for j in js]
        used = [j[r][p] for j, p in zip(js, picks, strict=True)]
        if not any(u.size for u in used):
            continue
        lo = int(min(u.min() for u in used if u.size))
        hi = int(max(u.max() for u in used if u.size))
        run = _pmf_run(lo, hi, mu)
        # P(X2 <= lo - 1) once, then running sums: cdf_before[i] = P(X2 <= lo + i - 1).
        start = float(special.pdtr(lo - 1, mu)) if lo > 0 else 0.0
        cdf_before = start + np.concatenate(([0.0], np.cumsum(run)[:-1]))
        for x, o, p, jj in zip(xs, out, picks, used, strict=True):
            k = (jj - lo).astype(np.int64)
            o[bounds[t] + p] = cdf_before[k] + (x[r][p] + 0.5 - jj) * run[k]
    return out


def dispersion_index(
    monthly_counts: Sequence[float] | np.ndarray, *, around: str = "mean"
) -> float:
    """Pearson dispersion statistic phi = X^2 / df of monthly counts; about 1 if Poisson.

    ``around="mean"``: X^2 = sum (y - ybar)^2 / ybar, df = n - 1 (the index of dispersion).
    ``around="trend"``: residuals about a Poisson log-linear trend in time,
    X^2 = sum (y - mu_t)^2 / mu_t, df = n - 2, so a steady rise or fall is not mistaken for
    overdispersion. Seasonality is not removed by either; it inflates phi for monthly counts
    even though it cancels in 12-month totals, so phi errs on the conservative side there.
    Returns nan when undefined (too few months, all zero, trend fit has no MLE).
    """
    y = np.asarray(monthly_counts, dtype=float)
    if y.ndim != 1 or np.any(~np.isfinite(y)) or np.any(y < 0):
        raise ValueError("monthly_counts must be a 1-D array of non-negative numbers")
    if around == "mean":
        if y.size < 2 or y.mean() == 0:
            return math.nan
        return float(np.sum((y - y.mean()) ** 2) / y.mean() / (y.size - 1))
    if around == "trend":
        fit = fit_poisson_trend(y)
        if fit is None or fit.df_resid < 1:
            return math.nan
        return fit.pearson_chi2 / fit.df_resid
    raise ValueError(f"around must be 'mean' or 'trend', got {around!r}")


def poisson_e_test_overdispersed(k1: float, t1: float, k2: float, t2: float, phi: float) -> float:
    """E-test allowing for overdispersion phi (quasi-Poisson: Var = phi x mean).

    When phi > 1 the counts are divided by phi before the E-test: under the quasi-Poisson
    model k / phi has variance equal to its mean, so it behaves as a Poisson count with the
    same rate ratio (an "effective count", as Kish's effective n is for a weighted sample;
    Wedderburn 1974; McCullagh & Nelder 1989; Spiegelhalter 2005). phi <= 1 or nan leaves the test
    as it is: we never make a test more liberal than Poisson.
    """
    if phi is None or not math.isfinite(phi) or phi <= 1.0:
        return poisson_e_test(k1, t1, k2, t2)
    return poisson_e_test(k1 / phi, t1, k2 / phi, t2)


def median_test_from_histograms(
    values1: Sequence[float] | np.ndarray,
    counts1: Sequence[int] | np.ndarray,
    values2: Sequence[float] | np.ndarray,
    counts2: Sequence[int] | np.ndarray,
    *,
    ties: str = "below",
    correction: bool = True,
) -> float:
    """Mood's median test for two samples given as histograms; two-sided p.

    The grand median of the pooled sample splits each group into "above" and "not above"
    (``ties="below"``: values equal to the grand median count as below, scipy's default;
    ``"above"`` counts them above; ``"ignore"`` drops them). The 2 x 2 table is tested with
    Pearson's chi-square on 1 df, with Yates' correction by default, as
    ``scipy.stats.median_test``. Returns nan when the table has an empty row or column.
    """
    if ties not in ("below", "above", "ignore"):
        raise ValueError(f"ties must be 'below', 'above' or 'ignore', got {ties!r}")
    v1 = np.asarray(values1, dtype=float)
    v2 = np.asarray(values2, dtype=float)
    c1 = np.asarray(counts1, dtype=np.int64)
    c2 = np.asarray(counts2, dtype=np.int64)
    pooled_values = np.union1d(v1, v2)
    pooled_counts = np.zeros(pooled_values.size, dtype=np.int64)
    np.add.at(pooled_counts, np.searchsorted(pooled_values, v1), c1)
    np.add.at(pooled_counts, np.searchsorted(pooled_values, v2), c2)
    grand = median_from_histogram(pooled_values, pooled_counts)
    if math.isnan(grand):
        return math.nan

    def split(v: np.ndarray, c: np.ndarray) -> tuple[int, int]:
        above = int(c[v > grand].sum())
        below = int(c[v < grand].sum())
        at = int(c[v == grand].sum())
        if ties == "below":
            below += at
        elif ties == "above":
            above += at
        return above, below

    table = np.array([split(v1, c1), split(v2, c2)], dtype=float).T  # rows: above, below
    total = table.sum()
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / total if total else None
    if expected is None or np.any(expected == 0):
        return math.nan
    observed = table
    if correction:
        # Yates: move each observed count up to 0.5 towards its expected value (scipy's rule).
        diff = expected - observed
        observed = observed + np.sign(diff) * np.minimum(0.5, np.abs(diff))
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    return float(special.chdtrc(1, chi2))  # chi2.sf(chi2, 1)


def median_tests_on_grid(
    values: Sequence[float] | np.ndarray,
    counts1: np.ndarray,
    counts2: np.ndarray,
) -> np.ndarray:
    """``median_test_from_histograms`` (ties below, Yates' correction) of each row pair of two
    [test, bin] count arrays over the same bin ``values``, in one pass: the engine tests a
    unit's windows against their benchmarks on the unit's own bins."""
    v = np.asarray(values, dtype=float)
    c1 = np.asarray(counts1, dtype=np.int64)
    c2 = np.asarray(counts2, dtype=np.int64)
    if c1.ndim != 2 or c1.shape != c2.shape or c1.shape[1] != v.size:
        raise ValueError("counts must be [test, bin] arrays over the same values")
    if v.size > 1 and not (v[1:] > v[:-1]).all():
        raise ValueError("values must be strictly increasing (one bin per value)")
    if c1.size and (c1.min() < 0 or c2.min() < 0):
        raise ValueError("counts must be non-negative integers")
    out = np.full(c1.shape[0], np.nan)
    if c1.shape[0] == 0 or v.size == 0:
        return out
    pooled = np.cumsum(c1 + c2, axis=1)
    n = pooled[:, -1]
    has = n > 0
    # The grand median's bins: the first reaching each of the two middle ranks.
    lo = np.argmax(pooled >= ((n + 1) // 2)[:, None], axis=1)
    hi = np.argmax(pooled >= (n // 2 + 1)[:, None], axis=1)
    grand = np.where(n % 2 == 1, v[lo], (v[lo] + v[hi]) / 2.0)
    # "Not above" the grand median: every bin whose value is <= it (ties count below).
    below_bins = v[None, :] <= grand[:, None]
    b1 = np.where(below_bins, c1, 0).sum(axis=1).astype(float)
    b2 = np.where(below_bins, c2, 0).sum(axis=1).astype(float)
    a1 = c1.sum(axis=1) - b1
    a2 = c2.sum(axis=1) - b2
    observed = np.stack([np.stack([a1, a2], 1), np.stack([b1, b2], 1)], 1)  # [test, row, col]
    total = observed.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        rows, cols = observed.sum(axis=2), observed.sum(axis=1)
        expected = rows[:, :, None] * cols[:, None, :] / total[:, None, None]
        diff = expected - observed
        corrected = observed + np.sign(diff) * np.minimum(0.5, np.abs(diff))
        chi2 = ((corrected - expected) ** 2 / expected).sum(axis=(1, 2))
    defined = has & (expected > 0).all(axis=(1, 2))
    out[defined] = special.chdtrc(1, chi2[defined])
    return out
