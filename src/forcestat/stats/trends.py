"""Trend tests and the "trending upwards/downwards" and "trend halted" judgements.

docs/architecture.md §6: "trending" needs an SPC trend or shift signal in the recent points, or a
significant slope over the last 12 months (Poisson regression for counts, Mann-Kendall
otherwise); "halted" needs an earlier signal followed by 7 recent points of common-cause
variation, or a recent slope no longer significant. The rules here keep that shape but are
made to mean what a Board report says (docs/methods.md 5.3-5.5, docs/calibration.md fixes 5, 7
and 8): the SPC signal must be current, counts are judged per day and against their own
seasonal pattern, and "halted" needs a significant long-term trend and recent points that sit
significantly off its continuation.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np
from scipy import special

from forcestat.stats._glm import fit_poisson_trend, fit_poisson_trends
from forcestat.stats.spc import XmrResult, xmr

__all__ = [
    "ar1_design_effect",
    "halted",
    "level_departure",
    "mann_kendall",
    "mann_kendalls",
    "poisson_glm",
    "poisson_slope",
    "poisson_slopes",
    "reversing",
    "seasonal_exposure",
    "trend",
    "trend_halted",
]

KINDS = ("proportion", "count", "median", "mean", "rate_per_1000", "total")
_SIGN = {"upwards": 1, "downwards": -1}


@functools.lru_cache(maxsize=64)
def _pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs i < j of n points (the engine asks for the same few n again and again)."""
    return np.triu_indices(n, 1)


def ar1_design_effect(n: int, rho: float | np.ndarray | None) -> float | np.ndarray:
    """n / n*, how much positive lag-1 autocorrelation rho (an AR(1), autocorrelation rho^k at
    lag k) inflates the variance of a statistic of n consecutive values:
    1 + 2 sum_(k=1..n-1) (1 - k/n) rho^k (Bayley & Hammersley 1946; Matalas & Langbein 1962;
    the effective sample size of Yue & Wang 2004 for the Mann-Kendall test). 1 for rho None,
    nan or <= 0 (negative autocorrelation is not allowed for: it would make tests liberal)."""
    if rho is None:
        return 1.0
    r = np.asarray(rho, dtype=float)
    k = np.arange(1, max(int(n), 1), dtype=float)
    pos = np.where(np.isfinite(r) & (r > 0), np.minimum(r, 0.999), 0.0)
    out = 1.0 + 2.0 * ((1.0 - k / n) * pos[..., None] ** k).sum(axis=-1)
    return float(out) if np.ndim(out) == 0 else out


def mann_kendall(
    values: Sequence[float] | np.ndarray, *, continuity: bool = True, rho: float | None = None
) -> tuple[float, float]:
    """Mann (1945) / Kendall (1975) trend test: (z, two-sided p).

    S = sum over i < j of sign(x_j - x_i);
    Var(S) = [n(n-1)(2n+5) - sum over tie groups t(t-1)(2t+5)] / 18;
    z = (S - sign(S)) / sqrt(Var(S)) with the continuity correction (default), S / sqrt(Var(S))
    without it. Missing values are dropped (order kept). Fewer than 2 values gives (nan, nan);
    all values tied gives (0, 1). ``rho``: the series' lag-1 autocorrelation, if it is to be
    allowed for: Var(S) is multiplied by ``ar1_design_effect(n, rho)`` (Yue & Wang 2004).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 2:
        return (math.nan, math.nan)
    # sum over i < j of sign(x_j - x_i)
    i, j = _pairs(n)
    s = float(np.sign(x[j] - x[i]).sum())
    # Tie group sizes from the sorted values (np.unique's extra bookkeeping costs more here).
    xs = np.sort(x)
    bounds = np.flatnonzero(np.diff(xs)) + 1
    ties = np.diff(np.concatenate(([0], bounds, [n])))
    var = (n * (n - 1) * (2 * n + 5) - float(np.sum(ties * (ties - 1) * (2 * ties + 5)))) / 18.0
    if var <= 0:
        return (0.0, 1.0)
    var *= ar1_design_effect(n, rho)
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
    if overdispersion:
        slopes, ps = poisson_slopes(y[None, :], None if exp_ is None else exp_[None, :])
        return (float(slopes[0]), float(ps[0]))
    fit = fit_poisson_trend(y, exp_)
    if fit is None:
        return (math.nan, math.nan)
    z = fit.slope / math.sqrt(fit.slope_var)
    return (fit.slope, float(2.0 * special.ndtr(-abs(z))))


def poisson_slopes(
    counts: np.ndarray, exposure: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``poisson_slope`` (quasi-Poisson) of each row of a [series, month] array, fitted together
    (``_glm.fit_poisson_trends``): (slopes, p-values), nan where a row has no fit."""
    fits = fit_poisson_trends(np.asarray(counts, dtype=float), exposure)
    df = fits.df_resid
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.maximum(1.0, fits.pearson_chi2 / df)
        t = fits.slope / np.sqrt(fits.slope_var * phi)
        p = 2.0 * special.stdtr(df, -np.abs(t))
    return fits.slope, np.where(fits.ok, p, np.nan)


def mann_kendalls(
    values: np.ndarray, *, continuity: bool = True, rho: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``mann_kendall`` of each row of a [series, point] array: (z, p) arrays. Rows without
    missing values are tested together; a row with some is tested alone (its points differ).
    ``rho``: each row's lag-1 autocorrelation to allow for (nan: none)."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise ValueError("values must be two-dimensional (one series per row)")
    rows, n = x.shape
    rhos = np.full(rows, np.nan) if rho is None else np.asarray(rho, dtype=float)
    if rhos.shape != (rows,):
        raise ValueError("rho must hold one value per series")
    z = np.full(rows, np.nan)
    p = np.full(rows, np.nan)
    whole = np.isfinite(x).all(axis=1)
    for r in np.flatnonzero(~whole):
        z[r], p[r] = mann_kendall(x[r], continuity=continuity, rho=float(rhos[r]))
    if n < 2 or not whole.any():
        return z, p
    xw = x[whole]
    i, j = _pairs(n)
    s = np.sign(xw[:, j] - xw[:, i]).sum(axis=1)
    # Tie groups: runs of equal values in each sorted row (a row's first value starts a run).
    xs = np.sort(xw, axis=1)
    start = np.ones(xs.shape, dtype=bool)
    start[:, 1:] = xs[:, 1:] != xs[:, :-1]
    run = np.cumsum(start.ravel()) - 1
    size = np.bincount(run).astype(float)
    row_of_run = np.repeat(np.arange(xw.shape[0]), start.sum(axis=1))
    tie_term = np.bincount(row_of_run, weights=size * (size - 1) * (2 * size + 5))
    var = (n * (n - 1) * (2 * n + 5) - tie_term) / 18.0
    var = var * ar1_design_effect(n, rhos[whole])
    num = np.where(continuity & (s != 0), s - np.sign(s), s)
    with np.errstate(invalid="ignore", divide="ignore"):
        zw = num / np.sqrt(var)
        pw = 2.0 * special.ndtr(-np.abs(zw))
    flat = ~(var > 0)  # all values tied
    z[whole] = np.where(flat, 0.0, zw)
    p[whole] = np.where(flat, 1.0, pw)
    return z, p


def poisson_glm(
    y: np.ndarray, x: np.ndarray, offset: np.ndarray | None = None, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float] | None:
    """Poisson log-linear GLM by iteratively reweighted least squares: log E[y] = X b + offset.

    Returns (b, unscaled covariance of b, fitted means, Pearson X^2), or None when the fit has
    no maximum-likelihood estimate (fitted means collapsing to 0), X is rank deficient, or the
    iteration does not converge. Small designs only (month-of-year dummies, a level step).
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    off = np.zeros(y.size) if offset is None else np.asarray(offset, dtype=float)
    if y.sum() <= 0 or np.linalg.matrix_rank(x) < x.shape[1]:
        return None
    mu = y + 0.1 * y.mean() + 1e-9
    eta = np.log(mu)
    b = np.zeros(x.shape[1])
    for _ in range(max_iter):
        z = eta - off + (y - mu) / mu
        xw = x * mu[:, None]
        try:
            new = np.linalg.solve(x.T @ xw, xw.T @ z)
        except np.linalg.LinAlgError:  # weights collapsing (e.g. a run of zero months)
            return None
        eta = x @ new + off
        if np.any(eta > 700):
            return None
        mu = np.exp(eta)
        if np.max(np.abs(new - b)) < 1e-10 * (1.0 + np.max(np.abs(new))):
            b = new
            break
        b = new
    else:
        return None
    if np.any(mu < 1e-8):
        return None
    try:
        cov = np.linalg.inv(x.T @ (x * mu[:, None]))
    except np.linalg.LinAlgError:
        return None
    return b, cov, mu, float(np.sum((y - mu) ** 2 / mu))


def seasonal_exposure(
    counts: Sequence[float] | np.ndarray,
    month_of_year: Sequence[int] | np.ndarray,
    days: Sequence[float] | np.ndarray,
    *,
    fit_stop: int | None = None,
    min_months: int = 24,
) -> np.ndarray:
    """Expected relative size of each month of a count series: its length in days times its
    calendar month's seasonal factor, scaled to mean 1 over the series.

    The factors come from a Poisson GLM on months [0, ``fit_stop``) (all if None):
    log E[y_t] = log(days_t) + a + b t + s_(month of year), so a steady rise or fall is not
    read as seasonality; they are centred (mean log factor 0 over the twelve months). With
    fewer than ``min_months`` months to fit, or a failed fit, only month length is used.
    Dividing the counts by the exposure gives a series per standard month at the average
    season; ``poisson_slope(counts, exposure)`` tests its slope.
    """
    y = np.asarray(counts, dtype=float)
    moy = np.asarray(month_of_year, dtype=int) % 12
    d = np.asarray(days, dtype=float)
    if not (y.shape == moy.shape == d.shape) or y.ndim != 1:
        raise ValueError("counts, month_of_year and days must be one-dimensional, same length")
    if np.any(d <= 0):
        raise ValueError("days must be positive")
    base = d / d.mean()
    k = y.size if fit_stop is None else max(0, min(int(fit_stop), y.size))
    if k < max(min_months, 13) or len(set(moy[:k].tolist())) < 12 or not np.isfinite(y[:k]).all():
        return base
    s = _month_factors(y[:k], moy[:k], d[:k])
    if s is None:
        return base
    e = d * np.exp(s[moy] - s.mean())
    return e / e.mean()


def _month_factors(y: np.ndarray, moy: np.ndarray, d: np.ndarray) -> np.ndarray | None:
    """Log month-of-year factors of the GLM log E[y_t] = log d_t + b t + s_(month of t), by
    maximising the likelihood profiled over the factors (the same MLE as IRLS on the design
    with twelve month dummies, which ``poisson_glm`` fits; this runs for every unit, period and
    count measure). For a given b each factor has a closed form, exp(s_m) = Y_m / D_m(b) with
    Y_m the month's total count and D_m(b) = sum over its months of d_t exp(b t), so only b is
    found by Newton's method on the profile log-likelihood
    b sum y_t t - sum_m Y_m log D_m(b), which is concave in b. None when a calendar month has
    no counts (its factor has no finite estimate) or Newton does not converge."""
    ym = np.bincount(moy, weights=y, minlength=12)
    if np.any(ym <= 0):
        return None
    t = (np.arange(y.size, dtype=float) - (y.size - 1) / 2.0) / y.size
    t2 = t * t
    syt = float(y @ t)
    b = 0.0
    for _ in range(100):
        w = d * np.exp(b * t)
        d0 = np.bincount(moy, weights=w, minlength=12)
        d1 = np.bincount(moy, weights=w * t, minlength=12)
        d2 = np.bincount(moy, weights=w * t2, minlength=12)
        m1 = d1 / d0
        score = syt - float(ym @ m1)
        info = float(ym @ (d2 / d0 - m1 * m1))
        if not info > 0 or not math.isfinite(score):
            return None
        step = score / info
        b += step
        if abs(step) < 1e-12 * (1.0 + abs(b)):
            break
    else:
        return None
    w = d * np.exp(b * t)
    return np.log(ym / np.bincount(moy, weights=w, minlength=12))


def level_departure(
    values: Sequence[float] | np.ndarray,
    cut: int,
    *,
    kind: str,
    exposure: Sequence[float] | np.ndarray | None = None,
    reference: str = "continuation",
    rho: float | None = None,
) -> tuple[float, float]:
    """How far points [cut, n) sit from the continuation of the straight-line trend of points
    [0, cut): (departure, two-sided p). ``reference="level"``: from the level the trend had
    reached at point cut - 1 (the trend stops there, t is held at cut - 1 for later points).

    Fits y_t = a + b t + d R_t with R_t = 1 for t >= cut (the recent points), and tests d = 0.
    ``kind`` "count": Poisson GLM, log E[y_t] = a + b t + d R_t + log(exposure_t), quasi-Poisson
    (Var scaled by phi = max(1, Pearson X^2/(n - 3)), t on n - 3 df); d is on the log scale.
    Other kinds: ordinary least squares (missing values dropped), t on n - 3 df; d is on the
    values' scale; with ``rho`` (a positive lag-1 autocorrelation to allow for) generalised
    least squares for AR(1) errors by the Prais-Winsten transformation (each row less rho times
    the row before, the first scaled by sqrt(1 - rho^2)). (nan, nan) when there are too few
    points either side or no fit.
    """
    y = np.asarray(values, dtype=float)
    n = y.size
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if reference not in ("continuation", "level"):
        raise ValueError("reference must be 'continuation' or 'level'")
    t = np.arange(n, dtype=float)
    r = (t >= cut).astype(float)
    if reference == "level":
        t = np.minimum(t, cut - 1)
    t = (t - (n - 1) / 2.0) / max(n, 1)
    ok = np.isfinite(y)
    if (ok & (r == 0)).sum() < 3 or (ok & (r == 1)).sum() < 1 or ok.sum() < 5:
        return (math.nan, math.nan)
    x = np.column_stack([np.ones(n), t, r])[ok]
    yy = y[ok]
    df = yy.size - 3
    if kind == "count":
        off = None
        if exposure is not None:
            e = np.asarray(exposure, dtype=float)
            if e.shape != y.shape or np.any(e[ok] <= 0):
                raise ValueError("exposure must be positive and the same length as values")
            off = np.log(e[ok])
        fit = poisson_glm(yy, x, off)
        if fit is None:
            return (math.nan, math.nan)
        b, cov, _, pearson = fit
        phi = max(1.0, pearson / df)
        se = math.sqrt(cov[2, 2] * phi)
    else:
        if rho is not None and math.isfinite(rho) and 0 < rho < 1:
            x, yy = _prais_winsten(x, yy, rho)
        b, *_ = np.linalg.lstsq(x, yy, rcond=None)
        resid = yy - x @ b
        s2 = float(resid @ resid) / df
        xtx = x.T @ x
        if np.linalg.matrix_rank(xtx) < 3:
            return (math.nan, math.nan)
        se = math.sqrt(s2 * np.linalg.inv(xtx)[2, 2])
    d = float(b[2])
    if se == 0:
        return (d, 0.0 if d != 0 else 1.0)
    return (d, float(2.0 * special.stdtr(df, -abs(d / se))))


def _prais_winsten(x: np.ndarray, y: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a regression transformed so that AR(1) errors with ``rho`` become independent:
    row t less rho times row t - 1, the first row times sqrt(1 - rho^2) (Prais & Winsten 1954;
    consecutive rows are taken as consecutive in time)."""
    xt, yt = x.copy(), y.copy()
    xt[1:] -= rho * x[:-1]
    yt[1:] -= rho * y[:-1]
    scale = math.sqrt(1.0 - rho * rho)
    xt[0] *= scale
    yt[0] *= scale
    return xt, yt


def slope_signs(
    values: np.ndarray,
    kind: str,
    alpha: float,
    exposure: np.ndarray | None = None,
    *,
    rho: np.ndarray | None = None,
) -> np.ndarray:
    """``_slope_sign`` of each row of a [series, month] array, tested together: +1/-1 for a
    significant rise/fall, 0 otherwise. The engine passes these to ``trend`` and ``halted``
    (``slope_sign``, ``long_sign``) for every unit of a breakdown at once. ``rho``: each row's
    lag-1 autocorrelation for the Mann-Kendall test (counts' quasi-Poisson slope ignores it)."""
    if kind == "count":
        slope, p = poisson_slopes(values, exposure)
    else:
        slope, p = mann_kendalls(values, rho=rho)
    with np.errstate(invalid="ignore"):
        significant = p < alpha  # nan: not significant
    return np.where(significant, np.sign(slope), 0).astype(int)


def _slope_sign(
    values: np.ndarray,
    kind: str,
    alpha: float,
    exposure: np.ndarray | None,
    rho: float | None = None,
) -> int:
    """+1/-1 for a significant rise/fall of the series, 0 otherwise."""
    ex = None if exposure is None else np.asarray(exposure, dtype=float)[None, :]
    r = np.array([math.nan if rho is None else rho])
    return int(slope_signs(np.asarray(values, dtype=float)[None, :], kind, alpha, ex, rho=r)[0])


def _spc_sign(spc: XmrResult, recent: int) -> int:
    """Direction of a trend or shift signal that the latest point is part of, 0 if none.

    A trend (``trend_length`` points each higher/lower than the last) reaching the latest point
    counts. A shift counts only if its run of points on one side of the mean started within the
    last ``recent`` points: an older run that persists is a new level (Making Data Count would
    recalculate the limits), not a current trend. Where the latest point is part of a trend one
    way and a shift the other (a fall while still above the mean), the trend wins, as in the
    SPC rule priority.
    """
    n = len(spc)
    if n == 0 or not math.isfinite(spc.values[-1]):
        return 0
    trend_f, shift_f = spc.rule_flags["trend"], spc.rule_flags["shift"]
    if trend_f[-1] != 0:
        return int(trend_f[-1])
    way = int(shift_f[-1])
    if way == 0:
        return 0
    start = n - 1
    while start > 0 and shift_f[start - 1] == way and spc.segment[start - 1] == spc.segment[-1]:
        start -= 1
    return way if n - start <= recent else 0


def _prepare(
    values, kind: str, spc: XmrResult | None, exposure
) -> tuple[np.ndarray, XmrResult, np.ndarray | None]:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    y = np.asarray(values, dtype=float)
    if y.ndim != 1:
        raise ValueError("values must be one-dimensional")
    exp_ = None if exposure is None else np.asarray(exposure, dtype=float)
    if exp_ is not None and exp_.shape != y.shape:
        raise ValueError("exposure must be the same length as values")
    if spc is None:
        spc = xmr(y if exp_ is None else y / exp_)
    if len(spc) != y.size:
        raise ValueError("spc result and values differ in length")
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
    slope_sign: int | None = None,
    rho: float | None = None,
    reversal: int = 3,
) -> str:
    """ "upwards", "downwards" or "none" for the latest point of a monthly series.

    1. SPC: the latest point is part of a trend signal, or of a shift signal whose run began
       within the last ``recent`` points (``spc`` defaults to the XmR chart of the values, per
       unit of ``exposure`` when given; the engine passes the P' chart for proportions and the
       seasonally adjusted chart for counts, with the framework's baseline and rebase dates).
    2. Otherwise a significant slope (p < ``alpha``) over the last ``slope_window`` points:
       ``poisson_slope`` for kind "count" (with ``exposure``, e.g. month length x season, if
       given), Mann-Kendall for the other kinds (rates, medians, means, proportions).
       ``slope_sign``: that test's sign if the caller has it already (``slope_signs`` of many
       series at once). ``rho``: a lag-1 autocorrelation the Mann-Kendall test allows for.
    3. A series is "trending" only while its latest points still move that way: when each of
       the last ``reversal`` points moved against the trend (26, 16, 10, 0 after a rise), the
       reading is "none" (0 turns the rule off).
    """
    y, spc, exp_ = _prepare(values, kind, spc, exposure)
    n = y.size
    sign = _spc_sign(spc, recent)
    if sign == 0 and n >= 3:
        w = min(slope_window, n)
        if slope_sign is None:
            ex = None if exp_ is None else exp_[n - w :]
            slope_sign = _slope_sign(y[n - w :], kind, alpha, ex, rho)
        sign = slope_sign
    if sign and reversing(y, sign, reversal):
        return "none"
    return {1: "upwards", -1: "downwards"}.get(sign, "none")


def reversing(y: Sequence[float] | np.ndarray, sign: int, points: int = 3) -> bool:
    """Each of the last ``points`` values moved against ``sign`` (1 up, -1 down) from the one
    before it (missing values break the run)."""
    v = np.asarray(y, dtype=float)
    if points < 1 or v.size < points + 1:
        return False
    steps = np.diff(v[-(points + 1) :])
    return bool(np.all(np.isfinite(steps)) and np.all(steps * sign < 0))


def trend_halted(
    values: Sequence[float] | np.ndarray,
    *,
    kind: str,
    direction: str = "downwards",
    spc: XmrResult | None = None,
    halt_points: int = 7,
    halt_window: int = 24,
    alpha: float = 0.05,
    halt_alpha: float = 0.01,
    exposure: Sequence[float] | np.ndarray | None = None,
) -> bool:
    """Whether a long-term ``direction`` trend has been halted at the latest point.

    With n points and c = n - ``halt_points`` (the first of the recent points):

    1. a long-term trend: over the ``halt_window`` points before c (at least 12), the slope is
       significant in ``direction`` at ``halt_alpha`` (Poisson slope with ``exposure`` for
       counts, Mann-Kendall otherwise);
    2. the recent points are not still part of an SPC trend signal in that direction (a run of
       points each lower (higher) than the last; shifts and points outside limits fixed on the
       old level are not counted: they stay below an old mean however flat the series is);
    3. the recent points sit significantly (one-sided p < ``alpha``) on the other side of the
       long-term trend's continuation: ``level_departure`` over the window and the recent
       points.
    """
    if direction not in _SIGN:
        raise ValueError(f"direction must be 'upwards' or 'downwards', got {direction!r}")
    way = halted(
        values,
        kind=kind,
        spc=spc,
        halt_points=halt_points,
        halt_window=halt_window,
        alpha=alpha,
        halt_alpha=halt_alpha,
        exposure=exposure,
    )
    return way == direction


def halted(
    values: Sequence[float] | np.ndarray,
    *,
    kind: str,
    spc: XmrResult | None = None,
    halt_points: int = 7,
    halt_window: int = 24,
    alpha: float = 0.05,
    halt_alpha: float = 0.01,
    exposure: Sequence[float] | np.ndarray | None = None,
    long_sign: int | None = None,
    rho: float | None = None,
) -> str | None:
    """The direction ("upwards"/"downwards") of the long-term trend that has been halted at the
    latest point (``trend_halted``'s three conditions), or None. The long-term slope can be
    significant one way only, so both directions cost one slope test. ``long_sign``: that
    test's sign (``slope_signs`` at ``halt_alpha`` over the window) if the caller has it.
    ``rho``: a lag-1 autocorrelation both tests allow for (Mann-Kendall and the departure's
    generalised least squares; counts ignore it)."""
    if halt_points < 1:
        raise ValueError("halt_points must be >= 1")
    y, spc, exp_ = _prepare(values, kind, spc, exposure)
    n = y.size
    cut = n - halt_points
    start = max(0, cut - halt_window)
    if cut - start < 12:
        return None
    ex = None if exp_ is None else exp_[start:]
    target = long_sign
    if target is None:
        ex_long = None if ex is None else ex[: cut - start]
        target = _slope_sign(y[start:cut], kind, halt_alpha, ex_long, rho)
    if target == 0:
        return None
    if np.any(spc.rule_flags["trend"][cut:] == target):
        return None
    d, p = level_departure(y[start:], cut - start, kind=kind, exposure=ex, rho=rho)
    if math.isfinite(p) and d * target < 0 and p / 2.0 < alpha:
        return "upwards" if target > 0 else "downwards"
    return None
