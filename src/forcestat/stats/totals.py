"""Totals of weighted events: crime harm (each crime weighted by its Cambridge Crime Harm Index
days) and any other sum of a non-negative value over records.

Model: the records of each kind (offence) arrive as independent Poisson processes and each
carries a fixed weight, so a window's total T = sum w_i is a weighted sum of Poisson counts
(compound Poisson). Its variance is sum_j lambda_j w_j^2, estimated without bias by
V = sum w_i^2 over the records in the window. Everything here needs only the three additive
sums the engine keeps per month: the number of records n, the total S = sum w and the sum of
squares V = sum w^2.

Pure functions over numbers; methods and sources in docs/methods.md section 2.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special

from forcestat.stats.comparisons import poisson_e_test

__all__ = [
    "scaled_counts",
    "weighted_poisson_e_test",
    "weighted_poisson_interval",
    "weighted_poisson_z_test",
]


def _gamma_ppf(q: float, mean: float, var: float) -> float:
    """Quantile of the gamma distribution with this mean and variance (shape mean^2/var, scale
    var/mean): ``scipy.stats.gamma.ppf(q, mean**2 / var, scale=var / mean)``."""
    return float(special.gammaincinv(mean * mean / var, q) * (var / mean))


def weighted_poisson_interval(
    total: float,
    sum_sq: float,
    level: float = 0.95,
    *,
    w_star: float,
    w2_star: float | None = None,
) -> tuple[float, float]:
    """Gamma interval for the expected value of a weighted sum of Poisson counts.

    Fay & Feuer (1997): with y = sum w x (``total``) and v = sum w^2 x (``sum_sq``),

        lower = G^-1(alpha/2;     mean y,       variance v)           (0 when y = 0)
        upper = G^-1(1 - alpha/2; mean y + w*,  variance v + w2*)

    where G(.; mean, variance) is the gamma distribution with that mean and variance. Fay and
    Feuer take w* = the largest weight and w2* = w*^2 (``w2_star=None``); Tiwari, Clegg & Zou
    (2006) take w* = the mean weight and w2* = the mean squared weight, which keeps close to
    nominal coverage with less conservatism (the engine's choice: it knows n, S and V, not the
    largest weight). With every weight 1 both are the exact Poisson (Garwood) interval.
    Weights must be non-negative. ``w_star <= 0`` (nothing to add: no records) gives an
    upper limit of ``nan``.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    if total < 0 or sum_sq < 0:
        raise ValueError("total and sum_sq must be non-negative (weights >= 0)")
    alpha = 1.0 - level
    w2 = w_star * w_star if w2_star is None else w2_star
    lower = 0.0 if total == 0 or sum_sq == 0 else _gamma_ppf(alpha / 2.0, total, sum_sq)
    if not (w_star > 0 and w2 > 0):
        return (lower, math.nan)
    upper = _gamma_ppf(1.0 - alpha / 2.0, total + w_star, sum_sq + w2)
    return (lower, upper)


def _scale(t1: float, v1: float, t2: float, v2: float, phi: float | None) -> float:
    """Variance-to-mean ratio of the totals under the null (pooled over both), times the
    overdispersion phi when it is above 1."""
    c = (v1 + v2) / (t1 + t2)
    if phi is not None and math.isfinite(phi) and phi > 1.0:
        c *= phi
    return c


def _check(t1: float, v1: float, t2: float, v2: float, windows: float) -> None:
    if min(t1, v1, t2, v2) < 0:
        raise ValueError("totals and sums of squares must be non-negative (weights >= 0)")
    if windows <= 0:
        raise ValueError("windows must be positive")


def weighted_poisson_e_test(
    t1: float,
    v1: float,
    t2: float,
    v2: float,
    windows: float = 1.0,
    phi: float | None = None,
    *,
    continuous: bool | None = None,
) -> float:
    """Two-sided test of the current window's total against the benchmark's mean per window.

    ``t1``, ``v1``: the window's total and sum of squared weights; ``t2``, ``v2``: the
    benchmark's, over ``windows`` windows' worth of time (as ``poisson_e_test``'s t2).

    Scaled Poisson: a compound Poisson total has variance c x mean with
    c = E[w^2] / E[w]; divided by c it behaves as a Poisson count with the same ratio of
    means (the moment matching behind Fay & Feuer's gamma interval; as the quasi-Poisson
    "effective count" of ``poisson_e_test_overdispersed``). c is estimated pooled over both
    periods, c = (v1 + v2) / (t1 + t2), which is right under the null of one process, and
    multiplied by the overdispersion ``phi`` when phi > 1. The effective counts t1/c and t2/c
    go to the E-test of Krishnamoorthy & Thomson (2004), in its continuous form when they are
    scaled (c is not 1: ``poisson_e_test``'s ``continuous``, whose p does not move in steps with
    c and phi; ``continuous`` forces either form). With every weight 1 and phi <= 1 (c = 1) this
    is exactly the count test. Both totals zero gives 1.
    """
    _check(t1, v1, t2, v2, windows)
    if t1 + t2 == 0 or v1 + v2 == 0:
        return 1.0
    c = _scale(t1, v1, t2, v2, phi)
    smooth = c != 1.0 if continuous is None else continuous
    return poisson_e_test(t1 / c, 1.0, t2 / c, windows, continuous=smooth)


def weighted_poisson_z_test(
    t1: float, v1: float, t2: float, v2: float, windows: float = 1.0, phi: float | None = None
) -> float:
    """Two-sided Wald z test of the same hypothesis as ``weighted_poisson_e_test``:

        z = (t1 - t2/k) / sqrt(phi' (v1 + v2 / k^2)),   k = ``windows``, phi' = max(1, phi)

    (the variances of the two independent compound Poisson totals, each estimated by its sum
    of squared weights). Simple, but with few records it is liberal, as a Wald test of Poisson
    counts is; the engine uses the E-test. Undefined (nan) when both sums of squares are 0 and
    the totals differ; 1 when they are equal.
    """
    _check(t1, v1, t2, v2, windows)
    diff = t1 - t2 / windows
    var = v1 + v2 / (windows * windows)
    if phi is not None and math.isfinite(phi) and phi > 1.0:
        var *= phi
    if var <= 0:
        return 1.0 if diff == 0 else math.nan
    return float(2.0 * special.ndtr(-abs(diff) / math.sqrt(var)))


def scaled_counts(
    totals: Sequence[float] | np.ndarray, sums_sq: Sequence[float] | np.ndarray
) -> np.ndarray:
    """Monthly totals on the Poisson scale, totals / c with c = sum(sums_sq) / sum(totals)
    over the months given: their Pearson dispersion (``comparisons.dispersion_index``) is about
    1 when the totals are compound Poisson, so it measures overdispersion beyond the weights.
    All zero gives the zeros back."""
    t = np.asarray(totals, dtype=float)
    v = np.asarray(sums_sq, dtype=float)
    if t.shape != v.shape:
        raise ValueError("totals and sums_sq must have the same shape")
    st, sv = float(t.sum()), float(v.sum())
    if st <= 0 or sv <= 0:
        return t.copy()
    return t * (st / sv)
