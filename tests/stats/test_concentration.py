"""Top-share concentration: the value by hand, the influence-function standard error against a
bootstrap, the interval's coverage by simulation, and the grouped version against the plain."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from forcestat.stats.concentration import (
    top_count,
    top_share,
    top_share_interval,
    top_share_se,
    top_share_tests,
    top_shares_by_group,
)


def test_top_share_by_hand():
    # 5 entities, top 20% = 1 entity: 10 of 20.
    assert top_share(np.array([1, 10, 3, 5, 1, 0, 0]), 0.2) == (0.5, 10.0, 20.0, 5)
    # ceil(0.05 * 41) = 3 entities; zeros are not entities.
    x = np.r_[np.arange(1, 42), np.zeros(5)]
    share, top, total, n = top_share(x, 0.05)
    assert (top, total, n) == (39 + 40 + 41, 41 * 42 / 2, 41)
    assert top_count(0, 0.05) == 0 and top_count(3, 0.05) == 1 and top_count(40, 0.05) == 2
    assert math.isnan(top_share(np.zeros(3), 0.05)[0])


@pytest.mark.parametrize("shape", ["lognormal", "harm_like"])
def test_standard_error_agrees_with_the_bootstrap(shape):
    rng = np.random.default_rng(4)
    if shape == "lognormal":
        x = rng.lognormal(0, 1.3, 4000)
    else:  # CCHI-like: a few heavy offence weights, repeats multiply them
        w = rng.choice([1, 10, 30, 180, 1825], p=[0.5, 0.3, 0.15, 0.045, 0.005], size=6000)
        x = w * (1 + rng.poisson(0.3, 6000))
    se = top_share_se(x, 0.05)
    boot = [top_share(rng.choice(x, x.size), 0.05)[0] for _ in range(600)]
    assert se == pytest.approx(np.std(boot, ddof=1), rel=0.12)


def test_interval_covers_the_population_share():
    rng = np.random.default_rng(9)
    population = rng.lognormal(0, 1.2, 2_000_000)
    truth = top_share(population, 0.05)[0]
    hits, reps = 0, 300
    for _ in range(reps):
        lo, hi = top_share_interval(rng.choice(population, 2500), 0.05, 0.95)
        hits += lo <= truth <= hi
    assert 0.91 <= hits / reps <= 0.98


def test_z_test_p_values():
    p = top_share_tests(
        np.array([0.42, 0.40]),
        np.array([0.01, 0.01]),
        np.array([0.40, 0.40]),
        np.array([0.01, 0.02]),
    )
    assert p[0] == pytest.approx(2 * stats.norm.sf(0.02 / math.sqrt(2e-4)))
    assert p[1] == pytest.approx(1.0)


def test_grouped_shares_equal_one_group_at_a_time():
    rng = np.random.default_rng(1)
    g = rng.integers(0, 7, 3000)
    v = rng.lognormal(0, 1, 3000) * (rng.random(3000) > 0.1)
    got = top_shares_by_group(g, v, 0.1)
    for k in range(7):
        assert got[k] == pytest.approx(top_share(v[g == k], 0.1)[0])
