"""A two-parameter Poisson log-linear fit (intercept + slope), by Newton-Raphson.

Kept in-house (not statsmodels) so the tests can check it against statsmodels' GLM as an
independent implementation, and because importing statsmodels costs about a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PoissonFit:
    intercept: float  # at the centre of the time axis
    slope: float
    slope_var: float  # unscaled (Poisson) variance of the slope, from the inverse information
    fitted: np.ndarray
    pearson_chi2: float
    df_resid: int


def fit_poisson_trend(
    counts: np.ndarray, exposure: np.ndarray | None = None, max_iter: int = 100
) -> PoissonFit | None:
    """Fit log E[y_t] = a + b (t - mean t) + log(exposure_t), t = 0, 1, ...

    Returns None when the maximum likelihood estimate does not exist (all counts zero, or zeros
    at one end only that push the slope to infinity) or the fit does not converge.
    """
    y = np.asarray(counts, dtype=float)
    e = None if exposure is None else np.asarray(exposure, dtype=float)[None, :]
    fits = fit_poisson_trends(y[None, :], e, max_iter)
    if not fits.ok[0]:
        return None
    return PoissonFit(
        intercept=float(fits.intercept[0]),
        slope=float(fits.slope[0]),
        slope_var=float(fits.slope_var[0]),
        fitted=fits.fitted[0],
        pearson_chi2=float(fits.pearson_chi2[0]),
        df_resid=fits.df_resid,
    )


@dataclass(frozen=True)
class PoissonFits:
    """``PoissonFit`` of each row (``ok`` False: no fit; its other entries are nan)."""

    ok: np.ndarray
    intercept: np.ndarray
    slope: np.ndarray
    slope_var: np.ndarray
    fitted: np.ndarray
    pearson_chi2: np.ndarray
    df_resid: int


def fit_poisson_trends(
    counts: np.ndarray, exposure: np.ndarray | None = None, max_iter: int = 100
) -> PoissonFits:
    """``fit_poisson_trend`` of each row of a [series, month] array, Newton's method run on all
    rows together (each row stops when its own step is below the tolerance): the engine fits a
    slope per unit and period, where numpy's per-call cost would dominate. Sums run along each
    row (the same arithmetic whatever the number of rows)."""
    y = np.asarray(counts, dtype=float)
    if y.ndim != 2:
        raise ValueError("counts must be two-dimensional (one series per row)")
    rows, n = y.shape
    off = np.zeros_like(y) if exposure is None else np.log(np.asarray(exposure, dtype=float))
    if off.shape != y.shape or np.any(~np.isfinite(off)):
        raise ValueError("exposure must be positive and the same length as counts")
    nan = np.full(rows, np.nan)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(y).all(axis=1) & ~(y < 0).any(axis=1)
    total = np.where(ok, np.where(np.isfinite(y), y, 0.0).sum(axis=1), 0.0)
    ok &= (total != 0) & (n >= 3)
    # Centring time makes the information matrix diagonal at the start and the fit stable.
    t = np.arange(n, dtype=float) - (n - 1) / 2.0
    powers = np.stack([np.ones(n), t, t * t])  # sum mu, sum mu t, sum mu t^2
    a = np.where(ok, np.log(np.where(ok, total, 1.0) / np.exp(off).sum(axis=1)), np.nan)
    b = np.where(ok, 0.0, np.nan)
    active = ok.copy()
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        with np.errstate(invalid="ignore", over="ignore"):
            eta = a[idx, None] + b[idx, None] * t + off[idx]
            mu = np.exp(np.minimum(eta, 700.0))
        info = (mu[:, None, :] * powers).sum(axis=2)
        score = (y[idx, None, :] * powers[:2]).sum(axis=2) - info[:, :2]
        i00, i01, i11 = info.T
        det = i00 * i11 - i01 * i01
        fail = (eta.max(axis=1) > 700) | ~(det > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            da = (i11 * score[:, 0] - i01 * score[:, 1]) / det
            db = (i00 * score[:, 1] - i01 * score[:, 0]) / det
        na, nb = a[idx] + da, b[idx] + db
        done = np.maximum(np.abs(da), np.abs(db)) < 1e-12 * (
            1.0 + np.maximum(np.abs(na), np.abs(nb))
        )
        a[idx], b[idx] = na, nb
        ok[idx[fail]] = False
        active[idx[fail | done]] = False
    ok &= ~active  # not converged within max_iter
    # A slope running off to infinity (MLE does not exist) shows as fitted means collapsing
    # to zero; reject it rather than report a huge, meaningless slope. (Rows already failed may
    # hold infinite or missing coefficients.)
    with np.errstate(invalid="ignore", over="ignore"):
        mu = np.exp(np.minimum(a[:, None] + b[:, None] * t + off, 700.0))
        ok &= ~(mu < 1e-8).any(axis=1)
    info = (mu[:, None, :] * powers).sum(axis=2)
    i00, i01, i11 = info.T
    with np.errstate(invalid="ignore", divide="ignore"):
        slope_var = i00 / (i00 * i11 - i01 * i01)
        pearson = ((y - mu) ** 2 / mu).sum(axis=1)
    return PoissonFits(
        ok=ok,
        intercept=np.where(ok, a, nan),
        slope=np.where(ok, b, nan),
        slope_var=np.where(ok, slope_var, nan),
        fitted=np.where(ok[:, None], mu, np.nan),
        pearson_chi2=np.where(ok, pearson, nan),
        df_resid=n - 2,
    )
