"""engine.signals: counts are read per day and against their own seasonal pattern for the
trend; the icon stays the drawn chart's (docs/methods.md 5.3)."""

import numpy as np

from forcestat.engine.kinds import stats_for
from forcestat.engine.rollup import Units
from forcestat.engine.signals import count_trend_inputs, days_in_months, signals
from forcestat.engine.windows import month_index
from forcestat.framework import load_framework
from forcestat.stats import spc

FIRST = month_index("2015-04")
# July peak, February low (month of year 0 = January)
SEASON = np.array([0.9, 0.88, 0.95, 1.0, 1.05, 1.08, 1.12, 1.1, 1.02, 0.98, 0.96, 0.96])


def _units(counts):
    return Units("force", ["Force"], FIRST, {"n": np.asarray(counts, dtype=float)[None, :]})


def _seasonal(n=60, growth=0.0):
    moy = (FIRST + np.arange(n)) % 12
    days = days_in_months(FIRST, n)
    return np.round(300 * days * SEASON[moy] * np.exp(growth * np.arange(n)))


def test_days_in_months():
    d = days_in_months(month_index("2019-12"), 4)
    assert list(d) == [31, 31, 29, 31]  # December, January, leap February 2020, March


def test_seasonal_count_is_not_trending_but_growth_is():
    fw = load_framework()
    m = fw.measure("calls_999")
    y = _seasonal()
    ks = stats_for(m, _units(y), fw.settings)
    # The raw chart falls from the summer peak into March: the old rule read "downwards".
    raw = spc.xmr(y)
    assert (raw.rule_flags["trend"][-12:] != 0).any() or (raw.rule_flags["shift"][-12:] != 0).any()
    icon, trend = signals(ks, m, fw.settings, 0, 60)
    assert trend == "none"
    assert icon == spc.spc_icon(ks.chart(0, 60)[1], m.polarity)  # the drawn chart's icon
    counts, exposure, chart = count_trend_inputs(ks, 0, 60, fw.settings)
    assert abs(exposure.mean() - 1) < 1e-12
    assert np.ptp(counts / exposure) < 0.01 * counts.mean()  # flat once adjusted
    grow = _seasonal(growth=0.01)
    ks = stats_for(m, _units(grow), fw.settings)
    assert signals(ks, m, fw.settings, 0, 60)[1] == "upwards"


def test_seasonal_switch_off_uses_month_length_only():
    fw = load_framework()
    settings = fw.settings.model_copy(
        update={"spc": fw.settings.spc.model_copy(update={"seasonal": False})}
    )
    m = fw.measure("calls_999")
    y = _seasonal()
    ks = stats_for(m, _units(y), settings)
    _, exposure, _ = count_trend_inputs(ks, 0, 60, settings)
    days = days_in_months(FIRST, 60)
    assert np.allclose(exposure, days / days.mean())
