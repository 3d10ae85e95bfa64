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
    n = y.size
    if n < 3 or np.any(~np.isfinite(y)) or np.any(y < 0) or y.sum() == 0:
        return None
    off = np.zeros(n) if exposure is None else np.log(np.asarray(exposure, dtype=float))
    if off.shape != y.shape or np.any(~np.isfinite(off)):
        raise ValueError("exposure must be positive and the same length as counts")
    # Centring time makes the information matrix diagonal at the start and the fit stable.
    t = np.arange(n, dtype=float) - (n - 1) / 2.0
    x = np.column_stack([np.ones(n), t])
    beta = np.array([np.log(y.sum() / np.exp(off).sum()), 0.0])
    for _ in range(max_iter):
        eta = x @ beta + off
        if np.any(eta > 700):
            return None
        mu = np.exp(eta)
        score = x.T @ (y - mu)
        info = x.T @ (x * mu[:, None])
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12 * (1.0 + np.max(np.abs(beta))):
            break
    else:
        return None
    # A diverging slope (MLE at infinity) still "converges" in step size once mu underflows;
    # reject fits whose fitted means collapse to zero somewhere the data are also zero.
    mu = np.exp(x @ beta + off)
    if np.any(mu < 1e-8):
        return None
    info = x.T @ (x * mu[:, None])
    cov = np.linalg.inv(info)
    pearson = float(np.sum((y - mu) ** 2 / mu))
    return PoissonFit(
        intercept=float(beta[0]),
        slope=float(beta[1]),
        slope_var=float(cov[1, 1]),
        fitted=mu,
        pearson_chi2=pearson,
        df_resid=n - 2,
    )
