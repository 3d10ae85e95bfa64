"""Trend tests against scipy/statsmodels, an independent likelihood fit, and hand-worked cases.

The "trending" and "halted" readings are tested in test_trends_rules.py."""

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

from forcestat.stats.trends import mann_kendall, poisson_slope

# -- Mann-Kendall ------------------------------------------------------------------------------


def test_mann_kendall_hand_worked_no_ties():
    # 1..5: S = 10, Var = 5*4*15/18 = 16.667, z = (10 - 1)/4.0825 = 2.20454, p = 0.027486
    z, p = mann_kendall([1, 2, 3, 4, 5])
    assert z == pytest.approx(2.204541, abs=1e-6)
    assert p == pytest.approx(0.027486, abs=1e-6)


def test_mann_kendall_hand_worked_with_ties():
    # 1,2,2,3: S = 5 (one tied pair), Var = (4*3*13 - 2*1*9)/18 = 7.6667,
    # z = (5 - 1)/2.76887 = 1.444630, p = 0.148562
    z, p = mann_kendall([1, 2, 2, 3])
    assert z == pytest.approx(1.444630, abs=1e-6)
    assert p == pytest.approx(0.148562, abs=1e-6)
    z, p = mann_kendall([3, 2, 2, 1])
    assert z == pytest.approx(-1.444630, abs=1e-6)


def test_mann_kendall_without_continuity_matches_scipy_kendalltau_against_time():
    # Kendall's tau against time: time has no ties, so scipy's asymptotic variance is the
    # Mann-Kendall one and z = S / sqrt(Var(S)) exactly (no continuity correction).
    rng = np.random.default_rng(5)
    for _ in range(30):
        n = int(rng.integers(5, 40))
        x = rng.integers(0, 8, size=n).astype(float) + 0.1 * np.arange(n) * rng.integers(0, 2)
        _, p = mann_kendall(x, continuity=False)
        expected = stats.kendalltau(np.arange(n), x, method="asymptotic").pvalue
        if math.isnan(expected):
            assert p == 1.0
        else:
            assert p == pytest.approx(expected, rel=1e-10)


def test_mann_kendall_edge_cases():
    assert mann_kendall([5, 5, 5, 5]) == (0.0, 1.0)
    z, p = mann_kendall([1])
    assert math.isnan(z) and math.isnan(p)
    assert mann_kendall([1, math.nan, 2, 3, 4, 5]) == pytest.approx(mann_kendall([1, 2, 3, 4, 5]))


# -- Poisson slope -----------------------------------------------------------------------------


def test_poisson_slope_hand_worked_exact_fit():
    # 10, 20, 40 doubles each month: the fit is exact, slope = ln 2. With centred time
    # (-1, 0, 1) and mu = y, the information is [[70, 30], [30, 50]], so
    # Var(b) = 70 / (70*50 - 30^2) = 0.0269231, se = 0.164083, z = 4.224397, p = 2.396e-5.
    slope, p = poisson_slope([10, 20, 40], overdispersion=False)
    assert slope == pytest.approx(math.log(2))
    assert p == pytest.approx(2 * stats.norm.sf(math.log(2) / math.sqrt(70 / 2600)), rel=1e-9)
    assert p == pytest.approx(2.396e-5, rel=1e-3)  # z = 4.224381
    # Quasi-Poisson: X^2 = 0 so phi is floored at 1, and the reference is t on 1 df.
    _, p_quasi = poisson_slope([10, 20, 40])
    assert p_quasi == pytest.approx(2 * stats.t.sf(math.log(2) / math.sqrt(70 / 2600), 1))


Y = np.array([100, 108, 95, 120, 131, 118, 140, 150, 133, 160, 171, 155])  # phi about 0.82
Y_DISPERSED = np.array([100, 140, 80, 150, 120, 95, 170, 130, 110, 190, 150, 140])


def _glm(y, exposure=None, **fit_kwargs):
    x = sm.add_constant(np.arange(len(y), dtype=float))
    offset = None if exposure is None else np.log(exposure)
    return sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(**fit_kwargs)


def test_poisson_slope_matches_statsmodels_glm():
    res = _glm(Y)
    slope, p = poisson_slope(Y, overdispersion=False)
    assert slope == pytest.approx(res.params[1], rel=1e-8)
    assert p == pytest.approx(res.pvalues[1], rel=1e-6)


def test_poisson_slope_with_exposure_matches_statsmodels_glm():
    exposure = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=float)
    res = _glm(Y, exposure)
    slope, p = poisson_slope(Y, exposure, overdispersion=False)
    assert slope == pytest.approx(res.params[1], rel=1e-8)
    assert p == pytest.approx(res.pvalues[1], rel=1e-6)


def test_quasi_poisson_slope_matches_statsmodels_scaled_fit():
    res = _glm(Y_DISPERSED, scale="X2", use_t=True)
    assert res.scale > 1
    slope, p = poisson_slope(Y_DISPERSED)
    assert slope == pytest.approx(res.params[1], rel=1e-8)
    assert p == pytest.approx(res.pvalues[1], rel=1e-6)
    # phi < 1 is floored at 1 (never more liberal than Poisson), still with t on n - 2 df
    res_floor = _glm(Y, scale=1.0, use_t=True)
    assert poisson_slope(Y)[1] == pytest.approx(res_floor.pvalues[1], rel=1e-6)


def test_poisson_slope_matches_direct_likelihood_maximisation():
    # An independent fit: maximise the Poisson log-likelihood with scipy.optimize.
    t = np.arange(Y_DISPERSED.size, dtype=float)

    def nll(beta):
        eta = beta[0] + beta[1] * t
        return np.sum(np.exp(eta) - Y_DISPERSED * eta)

    opt = optimize.minimize(nll, x0=[math.log(Y_DISPERSED.mean()), 0.0], method="BFGS", tol=1e-12)
    assert poisson_slope(Y_DISPERSED)[0] == pytest.approx(opt.x[1], abs=1e-6)


def test_poisson_slope_undefined_cases():
    for counts in ([0, 0, 0, 0], [0, 0, 0, 5], [3, 4]):
        slope, p = poisson_slope(counts)
        assert math.isnan(slope) and math.isnan(p)


# -- many series at once (the engine tests every unit of a breakdown together) -------------------

from forcestat.stats import trends as _trends  # noqa: E402


@pytest.mark.parametrize("seed", range(4))
def test_poisson_slopes_rows_match_statsmodels_and_one_at_a_time(seed):
    rng = np.random.default_rng(seed)
    rows, n = 30, 24
    level = rng.choice([0.5, 5.0, 80.0, 2000.0], size=(rows, 1))
    growth = np.exp(rng.normal(0, 0.02, size=(rows, 1)) * np.arange(n))
    y = rng.poisson(level * growth).astype(float)
    y[0] = 0.0  # no counts: no fit
    y[1, :12] = 0.0  # zeros at one end only
    exposure = rng.uniform(0.8, 1.2, size=(rows, n))
    slopes, ps = _trends.poisson_slopes(y, exposure)
    for r in range(rows):
        one = poisson_slope(y[r], exposure[r])
        np.testing.assert_allclose([slopes[r], ps[r]], one, rtol=1e-12, equal_nan=True)
        if r > 1 and y[r].sum() > 0:
            x = sm.add_constant(np.arange(n, dtype=float))
            res = sm.GLM(y[r], x, family=sm.families.Poisson(), exposure=exposure[r]).fit(
                scale="X2"
            )
            assert slopes[r] == pytest.approx(res.params[1], rel=1e-6, abs=1e-9)
    assert math.isnan(ps[0])


def test_mann_kendalls_rows_match_one_at_a_time_and_scipy():
    rng = np.random.default_rng(9)
    x = rng.integers(0, 6, size=(40, 12)).astype(float)  # many ties
    x[3] = 2.0  # all tied
    x[4, [2, 7]] = np.nan  # missing values: that row alone
    x[5] = np.arange(12.0)
    z, p = _trends.mann_kendalls(x)
    for r in range(40):
        np.testing.assert_allclose([z[r], p[r]], mann_kendall(x[r]), rtol=1e-12, equal_nan=True)
    tau = stats.kendalltau(np.arange(12), x[5])
    assert tau.statistic == pytest.approx(1.0) and p[5] < 1e-3 and (z[3], p[3]) == (0.0, 1.0)


def test_precomputed_slope_signs_give_the_same_readings():
    rng = np.random.default_rng(4)
    y = rng.poisson(np.linspace(200, 120, 48)[None, :] * np.ones((12, 1))).astype(float)
    y[:6, -7:] = rng.poisson(200, size=(6, 7))  # a halt for half of them
    long = _trends.slope_signs(y[:, 17:41], "count", 0.01)
    recent = _trends.slope_signs(y[:, -24:], "count", 0.05)
    for r in range(12):
        assert _trends.halted(y[r], kind="count", long_sign=int(long[r])) == _trends.halted(
            y[r], kind="count"
        )
        assert _trends.trend(
            y[r], kind="count", slope_window=24, slope_sign=int(recent[r])
        ) == _trends.trend(y[r], kind="count", slope_window=24)
    assert (long == -1).sum() >= 9  # the long fall is found in most series
    assert any(_trends.halted(y[r], kind="count") == "downwards" for r in range(6))
