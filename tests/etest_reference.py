"""An independent, slow evaluation of the continuous E-test (``poisson_e_test(...,
continuous=True)``) for tests: every row of x1 up to far in its tail, each row's rejection
boundaries from ``numpy.roots`` of the statistic's quadratic, and the tails from X2's Poisson
probabilities (scipy.stats) with each count's probability spread evenly over the unit interval
centred on it."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats


def spread_cdf(x: float, mu: float) -> float:
    """P(X <= x) when each count j's probability is spread evenly over [j - 1/2, j + 1/2]."""
    if x < -0.5:
        return 0.0
    j = math.floor(x + 0.5)
    return float(stats.poisson.cdf(j - 1, mu) + (x + 0.5 - j) * stats.poisson.pmf(j, mu))


def continuous_e_test(k1: float, t1: float, k2: float, t2: float) -> float:
    lam = (k1 + k2) / (t1 + t2)
    mu1, mu2 = t1 * lam, t2 * lam
    c = abs((k1 / t1 - k2 / t2) / math.sqrt(k1 / t1**2 + k2 / t2**2))
    total = 0.0
    for x1 in range(int(mu1 + 40 * math.sqrt(mu1) + 60)):
        a, v1 = x1 / t1, x1 / t1**2
        # (a - y/t2)^2 = c^2 (v1 + y/t2^2) as a quadratic in y = x2:
        # y^2/t2^2 - (2a/t2 + c^2/t2^2) y + a^2 - c^2 v1 = 0.
        lo, hi = sorted(
            np.real(np.roots([1 / t2**2, -(2 * a / t2 + c * c / t2**2), a * a - c * c * v1]))
        )
        lower = 0.0 if x1 == 0 else spread_cdf(lo, mu2)
        total += stats.poisson.pmf(x1, mu1) * (1.0 - (spread_cdf(hi, mu2) - lower))
    return total
