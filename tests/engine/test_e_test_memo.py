"""Within a run, each distinct E-test is computed once; the answers are the plain E-test's."""

from __future__ import annotations

import numpy as np
import pytest

from forcestat.engine.kinds import stats_for
from forcestat.engine.rollup import Units
from forcestat.stats import comparisons
from forcestat.stats.comparisons import poisson_e_test
from forcestat.stats.dispersion import NO_DISPERSION


def test_repeated_tests_run_once_and_agree(framework, monkeypatch):
    m = framework.measure("recorded_crime")
    units = Units("force", ["A", "B"], 0, arrays={"n": np.ones((2, 24))})
    items = [(130.0, 300.0, 3.0), (130.0, 100.0, 1.0), (130.0, 300.0, 3.0)]
    expected = [poisson_e_test(k, 1, kb, w) for k, kb, w in items]
    calls: list[int] = []
    real = comparisons.poisson_e_tests

    def counting(k1, t1, k2, t2, continuous=False):
        calls.append(np.size(k1))
        assert not np.any(continuous)  # unscaled counts: the exact test
        return real(k1, t1, k2, t2, continuous=continuous)

    monkeypatch.setattr(comparisons, "poisson_e_tests", counting)
    tested: dict = {}
    for _ in range(2):  # a second measure making the same tests
        ks = stats_for(m, units, framework.settings)
        ks.tested = tested
        out = ks.compare_batch([(0, items, NO_DISPERSION), (1, items[:1], NO_DISPERSION)])
        assert [p for _, _, p in out[0]] == pytest.approx(expected, rel=1e-12)
        assert out[1][0] == out[0][0]
    assert calls == [2]  # two distinct tests, once
    assert out[0][1][2] == pytest.approx(0.048, abs=0.001)  # the design's 130 vs 100
