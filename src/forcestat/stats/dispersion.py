"""Overdispersion of a monthly series, for scaling window-against-benchmark tests.

A count or proportion summed over a 12-month window is compared with its benchmark as if every
record were independent (Poisson counts, binomial proportions). Real monthly series vary more
than that: compliance moves with staffing, crime with events, and neighbouring months move
together. The quasi-likelihood answer (Wedderburn 1974; McCullagh & Nelder 1989, section 9.2)
is a dispersion factor phi, Var = phi x the Poisson or binomial variance, with the test made on
effective counts x / phi, n / phi.

phi is estimated here from **year-on-year differences** of the monthly values, d_m = y_m -
y_(m-12), so that seasonality and the 28-31-day months (which cancel in a 12-month window)
are not mistaken for noise, as they are by residuals about a mean or a trend:

- each d_m is standardised by its variance under the plain model, v_m (counts: the pooled
  Poisson variance; proportions: binomial at the pooled rate, p(1-p)(1/n_m + 1/n_(m-12)));
- the standardised differences are centred within each block of 12 (the months of one year
  against the same months a year before: ``centre="block"``), so that a change from one year
  to the next, even one that grows from year to year, is not counted as noise (``detrend=True``
  also removes a straight line in each block), or (``centre="all"``) on their mean over the
  whole baseline, which takes out only a steady change (the same difference every year) and
  keeps the slow, year-to-year part of autocorrelated noise, the part a 12-month total is
  exposed to. The engine centres proportions overall (an AR(1) wobble with r = 0.5 gave 8%
  false alarms centred per block, 5% overall; Victims Code compliance 9-14%) and counts and
  totals per block (their extra variation is mostly independent from month to month, while
  their level often grows faster from year to year: docs/methods.md 2.3);
- the caller passes the months *before* the window being tested (the engine: up to the start of
  the 12 months to the period), so the change under test does not inflate phi: the rule "where
  the baseline's monthly counts are overdispersed" (docs/architecture.md §6). Detrending within
  blocks instead, with the current year included, protected power as well but left 15% false
  alarms on an AR(1) series (it removes the slow, autocorrelated part of the noise that the test
  is exposed to);
- phi is their long-run variance: a Bartlett-weighted (Newey & West 1987) sum of
  autocovariances up to lag L = 11, because the test is on a sum of 12 months and positively
  autocorrelated months make that sum vary more than 12 independent months would (a kernel
  spanning the block is what the variance of a block sum needs; the Newey-West rule of thumb,
  L = 2 or 3 here, left 13% false alarms on an AR(1) series with r = 0.5, L = 11 about 5%:
  docs/methods.md). ``lags=0`` gives the plain Pearson X^2 / df.

phi is estimated from few values (K = 36 differences at most), so it is noisy: ``Dispersion``
carries its Satterthwaite degrees of freedom (exact moments of the estimator when nothing is
overdispersed: about 4.1 for 36 differences, 3.0 for 24, 2.4 for 12). Whenever phi > 1 the
counts are divided by phi and the test's z is referred to Student's t with those df, as
quasi-likelihood tests with an estimated dispersion are; phi <= 1 leaves the plain test, so a
test is never made more liberal than the plain one. A pre-test (scale only when phi is
significantly above 1, as Spiegelhalter 2005 does with many institutions) was tried and
dropped: with 3-4 df it misses moderate overdispersion, and a series with phi = 3 then gave
13-16% false alarms (docs/methods.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

__all__ = [
    "Dispersion",
    "count_dispersion",
    "count_dispersions",
    "long_run_dispersion",
    "long_run_dispersions",
    "proportion_dispersion",
    "proportion_dispersions",
]

YEAR = 12
# Differences needed before phi is estimated at all: one block of 12 (so 24 months of data).
MIN_DIFFERENCES = 12
# Differences used at most: three years of them (four years of baseline).
MONTHS = 36


@dataclass(frozen=True)
class Dispersion:
    """An estimated dispersion factor and its approximate degrees of freedom."""

    phi: float
    df: float

    @property
    def overdispersed(self) -> bool:
        """phi estimated and above 1: the tests are scaled."""
        return math.isfinite(self.phi) and math.isfinite(self.df) and self.df > 0 and self.phi > 1

    @property
    def scale(self) -> float:
        """What to divide counts and bases by: phi when above 1, else 1."""
        return self.phi if self.overdispersed else 1.0

    def p_value(self, p_plain_scaled: float) -> float:
        """Refer the z of a two-sided p, computed on counts divided by ``scale``, to Student's
        t with ``df`` when the scaling applies (else the p stands)."""
        if not self.overdispersed or p_plain_scaled is None or not math.isfinite(p_plain_scaled):
            return p_plain_scaled
        z = -special.ndtri(max(p_plain_scaled, 1e-300) / 2.0)
        return float(2.0 * special.stdtr(self.df, -z))


NO_DISPERSION = Dispersion(math.nan, math.nan)


CENTRES = ("all", "block")


def _residual_maker(block: int, detrend: bool) -> np.ndarray:
    """I - X (X'X)^-1 X' for one block: X = [1] (centring) or [1, t] (a straight line)."""
    t = np.arange(block, dtype=float)
    x = np.column_stack([np.ones(block), t - t.mean()]) if detrend else np.ones((block, 1))
    return np.eye(block) - x @ np.linalg.solve(x.T @ x, x.T)


@lru_cache(maxsize=64)
def _centring(nblocks: int, block: int, detrend: bool, centre: str) -> np.ndarray:
    """The residual maker of all the differences: per block on its mean (``centre="block"``) or
    its straight line (``detrend``), or on their overall mean (``centre="all"``)."""
    if centre not in CENTRES:
        raise ValueError(f"centre must be one of {CENTRES}, got {centre!r}")
    k = nblocks * block
    if centre == "all" and not detrend:
        return np.eye(k) - np.full((k, k), 1.0 / k)
    return np.kron(np.eye(nblocks), _residual_maker(block, detrend))


@lru_cache(maxsize=64)
def _null_moments(
    nblocks: int, block: int, lags: int, detrend: bool = False, centre: str = "block"
) -> tuple[float, float]:
    """(E, df) of the bracket Q = r' A r when nothing is overdispersed: the values are
    year-on-year differences of independent months (so d_t and d_(t-block) share a month and
    correlate -1/2), standardised to variance 1 and centred (``_centring``); A
    holds 1 on the diagonal and the Bartlett weight on the l-th off-diagonals. With S the
    covariance of r, E = tr(A S) and Var Q = 2 tr((A S)^2) for Gaussian values, so Q / E is
    approximately chi2(df) / df with df = 2 E^2 / Var Q = tr(A S)^2 / tr((A S)^2)
    (Satterthwaite). Dividing by E makes phi exactly unbiased, about 1, for independent months
    of equal variance."""
    k = nblocks * block
    diff = np.zeros((k, k + block))
    idx = np.arange(k)
    diff[idx, idx + block] = 1.0 / math.sqrt(2.0)
    diff[idx, idx] = -1.0 / math.sqrt(2.0)
    c = _centring(nblocks, block, detrend, centre)
    cov = c @ diff @ diff.T @ c.T
    weights = np.zeros(k)
    weights[0] = 1.0
    for lag in range(1, lags + 1):
        weights[lag] = 1.0 - lag / (lags + 1.0)
    a_s = weights[np.abs(idx[:, None] - idx[None, :])] @ cov
    expected = float(np.trace(a_s))
    return expected, expected**2 / float(np.trace(a_s @ a_s))


def long_run_dispersion(
    standardised: Sequence[float] | np.ndarray,
    *,
    block: int = YEAR,
    lags: int | None = None,
    detrend: bool = False,
    centre: str = "block",
) -> Dispersion:
    """Long-run variance of standardised differences, centred within blocks of ``block``
    (``detrend=True``: about a straight line in each; ``centre="all"``: on their overall mean).

    With r the centred values, phi = [sum_t r_t^2 + 2 sum_(l=1..L) (1 - l/(L+1)) sum_t r_t
    r_(t-l)] / E, E that bracket's expectation for year-on-year differences of independent
    months (``_null_moments``), and df its Satterthwaite degrees of freedom. ``lags`` defaults
    to ``block`` - 1. Blocks run back from the latest value (the latest block is the current
    window's); an incomplete oldest block is dropped. Fewer than ``MIN_DIFFERENCES`` values
    give ``NO_DISPERSION``. The one-row case of ``long_run_dispersions``.
    """
    s = np.asarray(standardised, dtype=float)
    if s.ndim != 1:
        raise ValueError("standardised differences must be a 1-D array of finite numbers")
    return long_run_dispersions(s[None, :], block=block, lags=lags, detrend=detrend, centre=centre)[
        0
    ]


def long_run_dispersions(
    standardised: np.ndarray,
    *,
    block: int = YEAR,
    lags: int | None = None,
    detrend: bool = False,
    centre: str = "block",
) -> list[Dispersion]:
    """``long_run_dispersion`` of each row of a [series, value] array. The engine estimates
    phi for every unit of a breakdown at each period: their series end at the same month."""
    s = np.asarray(standardised, dtype=float)
    if s.ndim != 2 or not np.all(np.isfinite(s)):
        raise ValueError("standardised differences must be finite numbers, one row a series")
    rows, size = s.shape
    nblocks = size // block
    if nblocks * block < MIN_DIFFERENCES or nblocks < 1:
        return [NO_DISPERSION] * rows
    s = s[:, size - nblocks * block :]
    # Stacked matrix products: each row's residuals and lagged sums are the same products (and
    # so the same floating-point numbers) as for that row alone, so a unit's phi does not depend
    # on which other units are estimated with it.
    resid = np.matmul(s[:, None, :], _centring(nblocks, block, detrend, centre).T)[:, 0, :]
    nlags = min(block - 1 if lags is None else lags, block - 1)
    expected, df = _null_moments(nblocks, block, nlags, detrend, centre)
    if expected <= 0:
        return [NO_DISPERSION] * rows

    def dots(lag: int) -> np.ndarray:
        a, b = resid[:, lag:], resid[:, : resid.shape[1] - lag]
        return np.matmul(a[:, None, :], b[:, :, None])[:, 0, 0]

    total = dots(0)
    for lag in range(1, nlags + 1):
        total = total + 2.0 * (1.0 - lag / (nlags + 1.0)) * dots(lag)
    return [Dispersion(float(t) / expected, df) for t in total]


def count_dispersion(
    monthly_counts: Sequence[float] | np.ndarray,
    *,
    months: int = MONTHS,
    lags: int | None = None,
    detrend: bool = False,
    centre: str = "block",
) -> Dispersion:
    """phi of monthly counts from the year-on-year differences of the last ``months`` months
    (which needs ``months`` + 12 months of counts; fewer give fewer differences, down to 12;
    only whole blocks of 12 are used).

    d_m = y_m - y_(m-12) has Poisson variance mu_m + mu_(m-12); the pooled estimate of that,
    mean(y_m + y_(m-12)) over the differences used, standardises them (per-month observed
    counts would correlate the standardiser with the difference for small counts). Returns nan
    ``NO_DISPERSION`` when undefined (too few months, or all zero). The one-row case of
    ``count_dispersions``.
    """
    y = np.asarray(monthly_counts, dtype=float)
    if y.ndim != 1:
        raise ValueError("monthly_counts must be a 1-D array of non-negative numbers")
    return count_dispersions(y[None, :], months=months, lags=lags, detrend=detrend, centre=centre)[
        0
    ]


def count_dispersions(
    monthly_counts: np.ndarray,
    *,
    months: int = MONTHS,
    lags: int | None = None,
    detrend: bool = False,
    centre: str = "block",
) -> list[Dispersion]:
    """``count_dispersion`` of each row of a [series, month] array."""
    y = np.asarray(monthly_counts, dtype=float)
    if y.ndim != 2 or np.any(~np.isfinite(y)) or np.any(y < 0):
        raise ValueError("monthly counts must be non-negative numbers, one row a series")
    rows, size = y.shape
    k = min(months, size - YEAR) // YEAR * YEAR  # whole blocks only, as phi uses
    if k < MIN_DIFFERENCES:
        return [NO_DISPERSION] * rows
    cur, prev = y[:, size - k :], y[:, size - k - YEAR : size - YEAR]
    v = (cur + prev).mean(axis=1)
    ok = v > 0
    out = [NO_DISPERSION] * rows
    if ok.any():
        found = long_run_dispersions(
            (cur[ok] - prev[ok]) / np.sqrt(v[ok])[:, None],
            lags=lags,
            detrend=detrend,
            centre=centre,
        )
        for i, d in zip(np.flatnonzero(ok).tolist(), found, strict=True):
            out[i] = d
    return out


def proportion_dispersion(
    monthly_x: Sequence[float] | np.ndarray,
    monthly_n: Sequence[float] | np.ndarray,
    *,
    months: int = MONTHS,
    lags: int | None = None,
    x_year_before: Sequence[float] | np.ndarray | None = None,
    detrend: bool = False,
    centre: str = "block",
) -> Dispersion:
    """phi of monthly proportions x_m / n_m from year-on-year differences (quasi-binomial).

    d_m = x_m/n_m - x_(m-12)/n_(m-12), standardised by sqrt(p (1 - p) (1/n_m + 1/n_(m-12))),
    p the pooled rate of the months used. ``x_year_before[m]``, if given, replaces x_(m-12) in
    the difference of month m (a cohort outcome rate's month a year before, counted as at the
    same time after it as month m has had: see ``engine.kinds``). A month pair with an empty
    month carries no difference and is treated as a standardised 0 (it neither adds nor removes
    evidence of overdispersion); all pairs empty, or p of 0 or 1, gives ``NO_DISPERSION``.
    The one-row case of ``proportion_dispersions``.
    """
    x = np.asarray(monthly_x, dtype=float)
    n = np.asarray(monthly_n, dtype=float)
    if x.shape != n.shape or x.ndim != 1:
        raise ValueError("monthly_x and monthly_n must be 1-D arrays of the same length")
    xb = None
    if x_year_before is not None:
        xb = np.asarray(x_year_before, dtype=float)
        if xb.shape != x.shape:
            raise ValueError("x_year_before must be the same length as monthly_x")
        xb = xb[None, :]
    return proportion_dispersions(
        x[None, :],
        n[None, :],
        months=months,
        lags=lags,
        x_year_before=xb,
        detrend=detrend,
        centre=centre,
    )[0]


def proportion_dispersions(
    monthly_x: np.ndarray,
    monthly_n: np.ndarray,
    *,
    months: int = MONTHS,
    lags: int | None = None,
    x_year_before: np.ndarray | None = None,
    detrend: bool = False,
    centre: str = "block",
) -> list[Dispersion]:
    """``proportion_dispersion`` of each row of [series, month] arrays."""
    x = np.asarray(monthly_x, dtype=float)
    n = np.asarray(monthly_n, dtype=float)
    if x.shape != n.shape or x.ndim != 2:
        raise ValueError("monthly_x and monthly_n must be [series, month] arrays, same shape")
    if np.any(~np.isfinite(x)) or np.any(~np.isfinite(n)) or np.any(x < 0) or np.any(x > n):
        raise ValueError("need finite 0 <= x <= n in every month")
    rows, size = x.shape
    k = min(months, size - YEAR) // YEAR * YEAR  # whole blocks only, as phi uses
    if k < MIN_DIFFERENCES:
        return [NO_DISPERSION] * rows
    xc, nc = x[:, size - k :], n[:, size - k :]
    xp, np_ = x[:, size - k - YEAR : size - YEAR], n[:, size - k - YEAR : size - YEAR]
    if x_year_before is not None:
        xb = np.asarray(x_year_before, dtype=float)
        if xb.shape != x.shape:
            raise ValueError("x_year_before must be the same shape as monthly_x")
        xp = xb[:, size - k :]
    both = (nc > 0) & (np_ > 0)
    # The pooled rate over the months both of whose values exist; a row with an empty month
    # sums its others alone, as it would by itself (zeros in the sum would round differently).
    hits = xc.sum(axis=1) + xp.sum(axis=1)
    trials = nc.sum(axis=1) + np_.sum(axis=1)
    for i in np.flatnonzero(~both.all(axis=1)).tolist():
        b = both[i]
        hits[i] = xc[i][b].sum() + xp[i][b].sum()
        trials[i] = nc[i][b].sum() + np_[i][b].sum()
    ok = both.any(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.where(ok, hits / np.where(ok, trials, 1.0), 0.0)
        ok &= (pooled > 0.0) & (pooled < 1.0)
        var = pooled[:, None] * (1.0 - pooled[:, None]) * (1.0 / nc + 1.0 / np_)
        s = np.where(both, (xc / nc - xp / np_) / np.sqrt(var), 0.0)
    out = [NO_DISPERSION] * rows
    if ok.any():
        found = long_run_dispersions(s[ok], lags=lags, detrend=detrend, centre=centre)
        for i, d in zip(np.flatnonzero(ok).tolist(), found, strict=True):
            out[i] = d
    return out
