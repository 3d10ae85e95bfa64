"""The ``total`` measure kind (crime harm: CCHI days summed over crimes) recomputed
independently: pandas sums of ``cchi_days`` straight from the canonical crimes table the store
was built from, scipy for the gamma interval and the E-test. Nothing here calls the engine's or
forcestat.stats' code to get an expected value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_results import (
    GEO,
    MATCHED_LONG_TERM,
    MATCHED_YEAR_END,
    PREVIOUS,
    WINDOWS,
    month,
    row,
    within,
)

from conftest import PERIOD
from etest_reference import continuous_e_test

HARM = """
[[themes]]
id = "t"
title = "T"
[[measures]]
id = "harm"
title = "Crime harm"
theme = "t"
phrase = "crime harm"
kind = "total"
polarity = "lower_is_better"
table = "crimes"
value = "cchi_days"
{extra}
"""


def _compute(store_path, extra: str = "", settings: str = "") -> pd.DataFrame:
    from forcestat.engine import compute
    from forcestat.framework import loads_framework
    from forcestat.store.store import open_store

    fw = loads_framework(settings + HARM.format(extra=extra))
    st = open_store(store_path, read_only=True)
    try:
        return compute(st, fw, PERIOD)
    finally:
        st.close()


@pytest.fixture(scope="module")
def harm(store_path) -> pd.DataFrame:
    return _compute(store_path, "max_value = 5475.0")


def _select(c: pd.DataFrame, breakdown: str, unit: str) -> pd.DataFrame:
    if breakdown == "force":
        return c
    if breakdown == "area":
        return c[c.district.map(lambda d: GEO.get(d, {}).get("area")) == unit]
    return c[c[breakdown] == unit]


def _gamma_ci(y: float, v: float, wm: float, wm2: float) -> tuple[float, float]:
    """Fay & Feuer (1997) with scipy's gamma distribution, written out."""
    lo = stats.gamma.ppf(0.025, y * y / v, scale=v / y) if y > 0 else 0.0
    ys, vs = y + wm, v + wm2
    return lo, stats.gamma.ppf(0.975, ys * ys / vs, scale=vs / ys)


@pytest.mark.parametrize("window", ["12m", "3m", "1m", "fytd"])
@pytest.mark.parametrize(
    ("breakdown", "unit"),
    [
        ("force", "Cambridgeshire"),
        ("area", "North"),
        ("area", "South"),
        ("district", "Fenland"),
        ("district", "Cambridge"),
        ("district", "No location"),
    ],
)
def test_harm_totals_by_area_district_and_window(harm, raw, window, breakdown, unit):
    c = _select(raw["crimes"], breakdown, unit)
    r = row(harm, "harm", window, breakdown, unit)
    cur = c[within(c.recorded_at, WINDOWS[window])]
    w = cur.cchi_days.dropna()
    assert r.value == pytest.approx(w.sum(), rel=1e-12)
    assert r.numerator == pytest.approx(w.sum(), rel=1e-12)
    assert r.n == len(w) and pd.isna(r.denominator)
    lo, hi = _gamma_ci(w.sum(), (w**2).sum(), 5475.0, 5475.0**2)
    assert r.ci_low == pytest.approx(lo, rel=1e-9)
    assert r.ci_high == pytest.approx(hi, rel=1e-9)
    length = WINDOWS[window][1] - WINDOWS[window][0] + 1
    prev = c[within(c.recorded_at, PREVIOUS[window])].cchi_days.sum()
    assert r.previous_year_value == pytest.approx(prev, rel=1e-12)
    assert r.previous_year_diff == pytest.approx(w.sum() - prev, rel=1e-9, abs=1e-6)
    # Totals of windows shorter than a year: the same calendar months of earlier years.
    spans, years = MATCHED_LONG_TERM[window]
    lt = sum(c[within(c.recorded_at, sp)].cchi_days.sum() for sp in spans)
    assert r.long_term_value == pytest.approx(lt / years, rel=1e-12)
    ye = c[within(c.recorded_at, MATCHED_YEAR_END[window])].cchi_days.sum()
    scale = 1.0 if length < 12 else length / 12
    assert r.year_end_value == pytest.approx(ye * scale, rel=1e-12)


def test_area_totals_add_up_to_the_force(harm):
    at = harm[(harm.window == "12m") & (harm.measure_id == "harm")]
    force = at[at.breakdown == "force"].value.item()
    no_area = at[(at.breakdown == "district") & at.unit.isin(["No location"])].value.sum()
    areas = at[at.breakdown == "area"].value.sum()
    assert areas + no_area == pytest.approx(force, rel=1e-12)
    assert at[at.breakdown == "district"].value.sum() == pytest.approx(force, rel=1e-12)


@pytest.mark.parametrize("unit", ["Fenland", "East Cambridgeshire"])
def test_harm_p_values_are_the_scaled_poisson_e_test(store_path, raw, unit):
    """Without the overdispersion setting: the E-test on the totals divided by the pooled
    variance-to-mean ratio (sum w^2 / sum w over window and benchmark), in its continuous form
    (the effective counts are not whole numbers; an independent evaluation here)."""
    res = _compute(store_path, 'windows = ["3m"]', "[settings]\noverdispersion = false\n")
    c = raw["crimes"][raw["crimes"].district == unit]
    r = row(res, "harm", "3m", "district", unit)
    cur = c[within(c.recorded_at, WINDOWS["3m"])].cchi_days.dropna()
    for cmp, spans, t2 in (
        ("previous_year", [PREVIOUS["3m"]], 1.0),
        ("long_term", *MATCHED_LONG_TERM["3m"]),
    ):
        b = pd.concat([c[within(c.recorded_at, sp)].cchi_days.dropna() for sp in spans])
        scale = ((cur**2).sum() + (b**2).sum()) / (cur.sum() + b.sum())
        expected = continuous_e_test(cur.sum() / scale, 1.0, b.sum() / scale, t2)
        assert r[f"{cmp}_p"] == pytest.approx(expected, rel=1e-6, abs=1e-12), cmp


def test_a_total_of_ones_is_the_count(store_path, results):
    """Every record weighing 1: the total is recorded crime, its gamma interval the exact
    Poisson one and its test the count's E-test, dispersion included (the scale
    sum w^2 / sum w is 1), so the rows agree with the count measure's."""
    from forcestat.engine import compute
    from forcestat.framework import loads_framework
    from forcestat.store.store import open_store

    one = 'value = "coalesce(outcome_type * 0, 0) + 1"'  # 1 for every record
    fw = loads_framework(HARM.replace('value = "cchi_days"', one).format(extra=""))
    st = open_store(store_path, read_only=True)
    try:
        ones = compute(st, fw, PERIOD)
    finally:
        st.close()
    cols = ["value", "ci_low", "ci_high"] + [
        f"{c}_{f}" for c in ("previous_year", "year_end", "long_term") for f in ("value", "p")
    ]
    for window in ("12m", "3m", "1m"):
        for breakdown, unit in (("force", "Cambridgeshire"), ("district", "Fenland")):
            a = row(ones, "harm", window, breakdown, unit)
            b = row(results, "recorded_crime", window, breakdown, unit)
            for col in cols:
                assert a[col] == pytest.approx(b[col], rel=1e-9, abs=1e-12), (window, unit, col)
            # (The SPC icon reads the polarity, which differs: lower_is_better vs neutral.)
            assert a.trend == b.trend


def test_harm_without_max_value_uses_the_mean_weight(store_path, raw):
    res = _compute(store_path, 'windows = ["1m"]')
    c = raw["crimes"][raw["crimes"].district == "Fenland"]
    w = c[within(c.recorded_at, WINDOWS["1m"])].cchi_days.dropna()
    r = row(res, "harm", "1m", "district", "Fenland")
    lo, hi = _gamma_ci(w.sum(), (w**2).sum(), w.mean(), (w**2).mean())
    assert (r.ci_low, r.ci_high) == (pytest.approx(lo, rel=1e-9), pytest.approx(hi, rel=1e-9))


def test_harm_spc_is_the_xmr_of_monthly_totals(store_path, raw, harm):
    """The chart the engine draws for the total is an XmR of the monthly totals: its centre
    line is their mean, its limits mean +/- 2.66 x the mean moving range (with the one-pass
    screening of moving ranges at 3.267 x)."""
    from forcestat.engine.series import monthly_series
    from forcestat.framework import loads_framework
    from forcestat.store.store import open_store

    fw = loads_framework(HARM.format(extra="max_value = 5475.0"))
    st = open_store(store_path, read_only=True)
    try:
        series = monthly_series(st, fw, PERIOD, measures=["harm"], breakdowns=["force"])
    finally:
        st.close()
    s = series[("harm", "force", "Cambridgeshire")]
    c = raw["crimes"]
    m = month(c.recorded_at)
    first = m.min()
    y = np.array([c.cchi_days[m == i].sum() for i in range(first, WINDOWS["12m"][1] + 1)])
    assert s.values == pytest.approx(y, rel=1e-12)
    mr = np.abs(np.diff(y))
    mr = mr[mr < 3.267 * mr.mean()]
    assert s.mean[-1] == pytest.approx(y.mean(), rel=1e-12)
    assert s.ucl[-1] == pytest.approx(y.mean() + 2.66 * mr.mean(), rel=1e-9)
