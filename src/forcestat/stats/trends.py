"""Trend tests and the "trending upwards/downwards" and "trend halted" judgements.

DESIGN section 6: "trending" needs an SPC trend or shift signal in the recent points, or a
significant slope over the last 12 months (Poisson regression for counts, Mann-Kendall
otherwise); "halted" needs an earlier signal followed by 7 recent points of common-cause
variation, or a recent slope no longer significant. The precise definitions are in
docs/methods.md and in the docstrings below.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import special

from forcestat.stats._glm import fit_poisson_trend
from forcestat.stats.spc import RULES, XmrResult, xmr

__all__ = ["mann_kendall", "poisson_slope", "trend", "trend_halted"]

KINDS = ("proportion", "count", "median", "mean", "rate_per_1000", "total")
_SIGN = {"upwards": 1, "downwards": -1}


def mann_kendall(
    values: Sequence[float] | np.ndarray, *, continuity: bool = True
) -> tuple[float, float]:
    """Mann (1945) / Kendall (1975) trend test: (z, two-sided p).

    S = sum over i < j of sign(x_j - x_i);
    Var(S) = [n(n-1)(2n+5) - sum over tie groups t(t-1)(2t+5)] / 18;
    z = (S - sign(S)) / sqrt(Var(S)) with the continuity correction (default), S / sqrt(Var(S))
    without it. Missing values are dropped (order kept). Fewer than 2 values gives (nan, nan);
    all values tied gives (0, 1).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 2:
        return (math.nan, math.nan)
    s = float(np.sum(np.sign(x[None, :] - x[:, None])[np.triu_indices(n, 1)]))
    _, ties = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - float(np.sum(ties * (ties - 1) * (2 * ties + 5)))) / 18.0
    if var <= 0:
        return (0.0, 1.0)
    num = s - math.copysign(1.0, s) if continuity and s != 0 else s
    z = num / math.sqrt(var)
    return (z, float(2.0 * special.ndtr(-abs(z))))


def poisson_slope(
    counts: Sequence[float] | np.ndarray,
    exposure: Sequence[float] | np.ndarray | None = None,
    *,
    overdispersion: bool = True,
) -> tuple[float, float]:
    """Log-linear Poisson regression of monthly counts on month: (slope, two-sided p).

    log E[y_t] = a + b t + log(exposure_t); ``slope`` is b, the change in log rate per month
    (exp(b) - 1 is the monthly percentage change). Wald test of b = 0.

    ``overdispersion=True`` (default) is quasi-Poisson: the variance of b is multiplied by
    phi = max(1, Pearson X^2 / (n - 2)) and p comes from t with n - 2 df, as R's
    ``glm(family = quasipoisson)`` does; monthly crime counts are usually overdispersed and a
    pure Poisson slope calls noise a trend. ``overdispersion=False`` is the plain Poisson GLM
    (normal reference). Returns (nan, nan) with fewer than 3 months or when the fit has no
    maximum likelihood estimate (e.g. all zero).
    """
    y = np.asarray(counts, dtype=float)
    if y.ndim != 1:
        raise ValueError("counts must be one-dimensional")
    exp_ = None if exposure is None else np.asarray(exposure, dtype=float)
    if exp_ is not None and (exp_.shape != y.shape or np.any(exp_ <= 0)):
        raise ValueError("exposure must be positive and the same length as counts")
    fit = fit_poisson_trend(y, exp_)
    if fit is None:
        return (math.nan, math.nan)
    if not overdispersion:
        z = fit.slope / math.sqrt(fit.slope_var)
        return (fit.slope, float(2.0 * special.ndtr(-abs(z))))
    phi = max(1.0, fit.pearson_chi2 / fit.df_resid)
    t = fit.slope / math.sqrt(fit.slope_var * phi)
    return (fit.slope, float(2.0 * special.stdtr(fit.df_resid, -abs(t))))


def _slope_sign(values: np.ndarray, kind: str, alpha: float, exposure: np.ndarray | None) -> int:
    """+1/-1 for a significant rise/fall of the series, 0 otherwise."""
    if kind == "count":
        slope, p = poisson_slope(values, exposure)
    else:
        slope, p = mann_kendall(values)
    if math.isnan(p) or p >= alpha:
        return 0
    return 1 if slope > 0 else -1 if slope < 0 else 0


def _spc_sign(spc: XmrResult, start: int, stop: int) -> int:
    """Direction of the latest trend or shift signal among points [start, stop), 0 if none.

    A point can be part of a trend one way and a shift the other (a fall while still above the
    mean); the trend wins, as in the SPC rule priority.
    """
    trend_f, shift_f = spc.rule_flags["trend"], spc.rule_flags["shift"]
    for i in range(stop - 1, max(start, 0) - 1, -1):
        if trend_f[i] != 0:
            return int(trend_f[i])
        if shift_f[i] != 0:
            return int(shift_f[i])
    return 0


def _prepare(
    values, kind: str, spc: XmrResult | None, exposure
) -> tuple[np.ndarray, XmrResult, np.ndarray | None]:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    y = np.asarray(values, dtype=float)
    if y.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if spc is None:
        spc = xmr(y)
    if len(spc) != y.size:
        raise ValueError("spc result and values differ in length")
    exp_ = None if exposure is None else np.asarray(exposure, dtype=float)
    if exp_ is not None and exp_.shape != y.shape:
        raise ValueError("exposure must be the same length as values")
    return y, spc, exp_


def trend(
    values: Sequence[float] | np.ndarray,
    *,
    kind: str,
    spc: XmrResult | None = None,
    recent: int = 12,
    alpha: float = 0.05,
    slope_window: int = 12,
    exposure: Sequence[float] | np.ndarray | None = None,
) -> str:
    """ "upwards", "downwards" or "none" for the latest point of a monthly series.

    1. SPC: if any of the last ``recent`` points is part of a trend or shift, the direction of
       the latest such point (``spc`` defaults to ``xmr(values)``; pass the P' chart for
       proportions and a rebased/baselined chart where the framework sets one).
    2. Otherwise a significant slope (p < ``alpha``) over the last ``slope_window`` points:
       ``poisson_slope`` for kind "count" (with ``exposure`` if given), Mann-Kendall for the
       other kinds (rates, medians, means).
    """
    y, spc, exp_ = _prepare(values, kind, spc, exposure)
    n = y.size
    sign = _spc_sign(spc, n - recent, n)
    if sign == 0 and n >= 3:
        w = min(slope_window, n)
        sign = _slope_sign(y[n - w :], kind, alpha, None if exp_ is None else exp_[n - w :])
    return {1: "upwards", -1: "downwards"}.get(sign, "none")


def trend_halted(
    values: Sequence[float] | np.ndarray,
    *,
    kind: str,
    direction: str = "downwards",
    spc: XmrResult | None = None,
    recent: int = 12,
    halt_points: int = 7,
    alpha: float = 0.05,
    slope_window: int = 12,
    exposure: Sequence[float] | np.ndarray | None = None,
) -> bool:
    """Whether an earlier ``direction`` trend has been halted at the latest point.

    With n points and c = n - ``halt_points`` (the start of the "recent" stretch):

    - earlier signal: the series was trending in ``direction`` as at point c, by the same test
      as ``trend``: a trend/shift signal in that direction on the latest flagged point among
      [c - ``recent``, c) of the full-series chart, or a significant slope in that direction
      over the ``slope_window`` points before c; and then
    - (a) the last ``halt_points`` points are all common cause (no rule fires on any of
      them), or
    - (b) the slope over the last ``slope_window`` points is no longer significant in that
      direction and no rule fires in that direction on the last ``halt_points`` points.
    """
    if direction not in _SIGN:
        raise ValueError(f"direction must be 'upwards' or 'downwards', got {direction!r}")
    if halt_points < 1:
        raise ValueError("halt_points must be >= 1")
    y, spc, exp_ = _prepare(values, kind, spc, exposure)
    n = y.size
    cut = n - halt_points
    if cut < 1:
        return False
    target = _SIGN[direction]

    def slope_sign(stop: int) -> int:
        start = max(0, stop - slope_window)
        if stop - start < 3:
            return 0
        ex = None if exp_ is None else exp_[start:stop]
        return _slope_sign(y[start:stop], kind, alpha, ex)

    earlier = _spc_sign(spc, cut - recent, cut) == target or slope_sign(cut) == target
    if not earlier:
        return False
    recent_signals = spc.signal[cut:]
    all_common_cause = all(s is None for s in recent_signals)
    adverse_recent = any(
        int(spc.rule_flags[rule][i]) == target for rule in RULES for i in range(cut, n)
    )
    slope_released = slope_sign(n) != target and not adverse_recent
    return all_common_cause or slope_released
