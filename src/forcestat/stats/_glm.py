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
    powers = np.stack([np.ones(n), t, t * t])  # sum mu, sum mu t, sum mu t^2 in one product
    a, b = float(np.log(y.sum() / np.exp(off).sum())), 0.0
    # Newton-Raphson with the 2 x 2 information matrix inverted by hand: this runs for every
    # unit and period in the engine, where numpy's per-call overhead is the cost.
    for _ in range(max_iter):
        eta = a + b * t + off
        if eta.max() > 700:
            return None
        mu = np.exp(eta)
        i00, i01, i11 = (powers @ mu).tolist()
        s0, s1 = (powers[:2] @ y).tolist()
        s0, s1 = s0 - i00, s1 - i01  # score: sum (y - mu), sum (y - mu) t
        det = i00 * i11 - i01 * i01
        if not det > 0:
            return None
        da = (i11 * s0 - i01 * s1) / det
        db = (i00 * s1 - i01 * s0) / det
        a, b = a + da, b + db
        if max(abs(da), abs(db)) < 1e-12 * (1.0 + max(abs(a), abs(b))):
            break
    else:
        return None
    mu = np.exp(a + b * t + off)
    # A slope running off to infinity (MLE does not exist) shows as fitted means collapsing
    # to zero; reject it rather than report a huge, meaningless slope.
    if mu.min() < 1e-8:
        return None
    i00, i01, i11 = (powers @ mu).tolist()
    det = i00 * i11 - i01 * i01
    pearson = float(np.sum((y - mu) ** 2 / mu))
    return PoissonFit(
        intercept=a,
        slope=b,
        slope_var=i00 / det,
        fitted=mu,
        pearson_chi2=pearson,
        df_resid=n - 2,
    )
