"""The engine draws the chart a measure asks for (``chart``), reads its target (``target``,
``targets``) and leaves the framework's excluded months out of the limits: measure_results'
``spc_signal`` and ``spc_assurance`` against charts of monthly counts computed here with pandas
from the store's crimes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import PERIOD
from forcestat.engine import compute
from forcestat.engine.series import monthly_series
from forcestat.engine.windows import month_index
from forcestat.stats import spc
from forcestat.store.store import open_store, reference_rows

GEO = {r["district"]: r for r in reference_rows("geography")}


def _monthly_counts(crimes: pd.DataFrame, district: str | None = None) -> np.ndarray:
    """Crimes by month of recording, from the first month of the table to the period."""
    c = crimes if district is None else crimes[crimes.district == district]
    months = c.recorded_at.dt.year * 12 + c.recorded_at.dt.month - 1
    first = int((crimes.recorded_at.dt.year * 12 + crimes.recorded_at.dt.month - 1).min())
    stop = month_index(PERIOD) - first + 1
    return np.bincount(months - first, minlength=stop)[:stop].astype(float)


def _framework(base, **changes):
    """The default framework with recorded crime (and its rate) drawn and targeted as asked."""
    measures = []
    for m in base.measures:
        if m.id in changes:
            m = m.model_copy(update=changes[m.id])
        measures.append(m)
    return base.model_copy(update={"measures": measures})


def _run(store_path, fw, ids):
    st = open_store(store_path, read_only=True)
    try:
        df = compute(st, fw, PERIOD, measures=ids)
        series = monthly_series(st, fw, PERIOD, measures=ids, breakdowns=("force", "district"))
    finally:
        st.close()
    return df, series


def _row(df, measure, breakdown, unit):
    r = df[(df.measure_id == measure) & (df.breakdown == breakdown) & (df.unit == unit)]
    assert len(r) > 0
    assert r.spc_signal.nunique() == 1 and r.spc_assurance.nunique() == 1
    return r.iloc[0]


@pytest.fixture(scope="module")
def drawn(store_path, framework, raw):
    counts = _monthly_counts(raw["crimes"])
    chart = spc.c_chart(counts)
    lo, hi = chart.lcl[-1], chart.ucl[-1]
    fw = _framework(
        framework,
        recorded_crime={
            "chart": "c",
            "polarity": "lower_is_better",
            # Above the upper limit: every month meets a "no more than" target.
            "target": float(hi + 50),
            "targets": {"Fenland": float((lo + hi) / 2)},
        },
        crime_rate_per_1000={"chart": "u", "polarity": "lower_is_better"},
    )
    return _run(store_path, fw, ["recorded_crime", "crime_rate_per_1000"]) + (fw,)


def test_c_chart_and_its_assurance(drawn, raw):
    df, series, fw = drawn
    counts = _monthly_counts(raw["crimes"])
    chart = spc.c_chart(counts)
    r = _row(df, "recorded_crime", "force", "Cambridgeshire")
    assert r.spc_signal == spc.spc_icon(chart, "lower_is_better")
    assert r.spc_assurance == "consistent_pass"
    s = series[("recorded_crime", "force", "Cambridgeshire")]
    assert s.method == "c" and s.assurance == "consistent_pass"
    assert s.ucl == pytest.approx(chart.ucl) and s.values == pytest.approx(counts)
    assert s.target == pytest.approx(fw.measure("recorded_crime").target)


def test_a_units_target_overrides_the_measures(drawn, raw):
    df, series, fw = drawn
    counts = _monthly_counts(raw["crimes"], "Fenland")
    chart = spc.c_chart(counts)
    target = fw.measure("recorded_crime").targets["Fenland"]
    expected = spc.assurance(chart, "lower_is_better", target)
    r = _row(df, "recorded_crime", "district", "Fenland")
    assert r.spc_assurance == expected
    assert series[("recorded_crime", "district", "Fenland")].assurance == expected
    # Without a target of its own a district reads the measure's.
    cam = spc.c_chart(_monthly_counts(raw["crimes"], "Cambridge"))
    expected = spc.assurance(cam, "lower_is_better", fw.measure("recorded_crime").target)
    assert _row(df, "recorded_crime", "district", "Cambridge").spc_assurance == expected


def test_u_chart_of_a_rate_per_1000(drawn, raw):
    df, series, _ = drawn
    counts = _monthly_counts(raw["crimes"], "Cambridge")
    pop = float(GEO["Cambridge"]["population"]) / 1000.0
    chart = spc.u_chart(counts, np.full(counts.size, pop))
    s = series[("crime_rate_per_1000", "district", "Cambridge")]
    assert s.method == "u"
    assert s.values == pytest.approx(counts / pop)
    assert s.ucl == pytest.approx(chart.ucl) and s.lcl == pytest.approx(chart.lcl)
    r = _row(df, "crime_rate_per_1000", "district", "Cambridge")
    assert r.spc_signal == spc.spc_icon(chart, "lower_is_better")
    assert r.spc_assurance == "none"  # no target


def test_excluded_months_and_run_charts(store_path, framework, raw):
    settings = framework.settings.model_copy(
        update={"spc": framework.settings.spc.model_copy(update={"exclude": ["2018-07"]})}
    )
    fw = _framework(framework, recorded_crime={"chart": "run"}).model_copy(
        update={"settings": settings}
    )
    df, series = _run(store_path, fw, ["recorded_crime"])
    counts = _monthly_counts(raw["crimes"])
    first = int(raw["crimes"].recorded_at.min().year * 12 + raw["crimes"].recorded_at.min().month)
    idx = month_index("2018-07") - (first - 1)
    chart = spc.run_chart(counts, exclude=[idx])
    s = series[("recorded_crime", "force", "Cambridgeshire")]
    assert s.method == "run" and s.excluded.tolist() == [i == idx for i in range(counts.size)]
    assert s.mean == pytest.approx(chart.mean)
    assert s.mean[0] == np.median(np.delete(counts, idx))
    r = _row(df, "recorded_crime", "force", "Cambridgeshire")
    assert r.spc_signal == spc.spc_icon(chart, "neutral")
