"""t and g charts of a rare-event count in the engine (engine/events.py), on a hand-built store
of a few homicides at known moments: the points, centre lines and limits are worked out here
with numpy from qicharts2's formulas (``qic.t``: an I chart of t^(1/3.6) with moving ranges
above 3.267 x their mean screened out, limits mean +/- 2.66 x mean moving range, transformed
back, the lower one 0 when negative; ``qic.g``: limits m +/- 3 sqrt(m (m + 1)) about the mean
m, the lower at least 0, centre line the median), not taken from the code under test. 2.66 is
forcestat's XmR constant (Making Data Count); qicharts2 writes it 3 / 1.128 = 2.6596."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forcestat.engine import compute
from forcestat.engine.series import monthly_series
from forcestat.framework import loads_framework
from forcestat.store.store import open_store

# Days between consecutive homicides (fractional: each has a time of day). No run of 7 on one
# side of the centre and no 7 rising or falling: only the limits can signal.
GAPS = np.array(
    [
        40.25,
        25.5,
        61.0,
        33.75,
        50.5,
        18.25,
        72.0,
        45.5,
        29.0,
        55.25,
        38.5,
        64.0,
        41.75,
        30.5,
        47.0,
        36.25,
        58.5,
    ]
)
FIRST = pd.Timestamp("2017-05-03 10:00")
EVENTS = FIRST + pd.to_timedelta(np.r_[0.0, np.cumsum(GAPS)], unit="D")
# The last homicide and two periods: one ending soon after it, one after a long quiet spell.
SOON, QUIET = "2019-06", "2019-12"
DISTRICTS = ("Cambridge", "Fenland")

FRAMEWORK = """
[[themes]]
id = "t"
title = "Test"

[[measures]]
id = "homicides"
title = "Homicides"
theme = "t"
phrase = "homicides"
kind = "count"
polarity = "lower_is_better"
table = "crimes"
date = "reported_at"
filter = "offence_group = 'Homicide'"
chart = "{chart}"
"""


def _crimes() -> pd.DataFrame:
    """Homicides at EVENTS (alternating districts) among 20 other crimes a month."""
    months = pd.date_range("2017-04-01", "2020-12-01", freq="MS")
    other = pd.DatetimeIndex([m + pd.Timedelta(days=d, hours=9) for m in months for d in range(20)])
    at = EVENTS.append(other)
    n = len(at)
    homicide = np.r_[np.ones(len(EVENTS), bool), np.zeros(len(other), bool)]
    return pd.DataFrame(
        {
            "crime_id": [f"C{i:05d}" for i in range(n)],
            "reported_at": at,
            "recorded_at": at + pd.Timedelta(hours=2),
            "offence_code": np.where(homicide, "1", "8N"),
            "offence_group": np.where(homicide, "Homicide", "Violence with injury"),
            "victim_based": True,
            "district": [DISTRICTS[i % 2] for i in range(n)],
            "updated_at": pd.Timestamp("2021-01-05"),
        }
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("events") / "events.duckdb")
    st = open_store(path)
    df = _crimes()
    st.duck.register("_src", df)
    cols = ", ".join(df.columns)
    st.duck.execute(f"INSERT INTO crimes ({cols}) SELECT {cols} FROM _src")
    st.duck.unregister("_src")
    st.close()
    return path


def _run(store: str, chart: str, period: str):
    fw = loads_framework(FRAMEWORK.format(chart=chart))
    st = open_store(store, read_only=True)
    try:
        df = compute(st, fw, period, workers=1)
        series = monthly_series(st, fw, period, breakdowns=("force", "district"))
    finally:
        st.close()
    return df, series


def _force(df: pd.DataFrame) -> pd.Series:
    r = df[df.breakdown == "force"]
    assert r.spc_signal.nunique() == 1
    return r.iloc[0]


def _t_limits(t: np.ndarray) -> tuple[float, float, float]:
    """qicharts2 qic.t: (centre, lcl, ucl) on the days scale."""
    z = t ** (1 / 3.6)
    mr = np.abs(np.diff(z))
    mr = mr[mr < 3.267 * mr.mean()]
    centre, width = z.mean(), 2.66 * mr.mean()
    lo = max(centre - width, 0.0)
    return centre**3.6, lo**3.6, (centre + width) ** 3.6


def _days_to_end(period: str) -> float:
    end = pd.Period(period, "M").end_time.ceil("D")
    return (end - EVENTS[-1]) / pd.Timedelta(days=1)


def test_t_chart_points_and_limits_at_a_period_soon_after_the_last_event(store):
    df, series = _run(store, "t", SOON)
    s = series[("homicides", "force", _force(df).unit)]
    centre, lcl, ucl = _t_limits(GAPS)
    open_days = _days_to_end(SOON)
    assert s.method == "t" and s.open_point
    np.testing.assert_allclose(s.values, np.r_[GAPS, open_days], rtol=1e-9)
    assert s.months[:-1] == tuple(d.strftime("%Y-%m-%d") for d in EVENTS[1:])
    assert s.months[-1] == "2019-06-30"
    np.testing.assert_allclose(s.mean, centre, rtol=1e-9)
    np.testing.assert_allclose(s.ucl, ucl, rtol=1e-9)
    np.testing.assert_allclose(s.lcl, lcl, rtol=1e-9)
    # Every gap within the limits; the spell since the last event is short: common cause.
    gaps = GAPS.copy()
    assert (gaps > lcl).all() and (gaps < ucl).all() and open_days < ucl
    assert _force(df).spc_signal == "common_cause" == s.icon
    assert (df.spc_assurance == "none").all()


def test_a_quiet_spell_beyond_the_upper_limit_reads_as_fewer_events(store):
    df, series = _run(store, "t", QUIET)
    s = series[("homicides", "force", _force(df).unit)]
    _, _, ucl = _t_limits(GAPS)  # the open point is left out of the limits
    assert _days_to_end(QUIET) > ucl
    assert s.values[-1] == pytest.approx(_days_to_end(QUIET))
    np.testing.assert_allclose(s.ucl, ucl, rtol=1e-9)
    # Longer between homicides is better: improvement, on the high side.
    assert s.signal[-1] == "outside" and s.point_types()[-1] == "improvement"
    assert _force(df).spc_signal == "improvement" == s.icon


def test_district_units_chart_their_own_events(store):
    df, series = _run(store, "t", SOON)
    ours = EVENTS[::2]  # Cambridge holds every other homicide
    s = series[("homicides", "district", "Cambridge")]
    gaps = np.diff(ours.asi8) / 86_400e9
    np.testing.assert_allclose(s.values[:-1], gaps, rtol=1e-9)
    centre, lcl, ucl = _t_limits(gaps)
    np.testing.assert_allclose(s.mean, centre, rtol=1e-9)
    # Eight gaps: trial limits, too few points to read (settings.spc.min_points).
    r = df[(df.breakdown == "district") & (df.unit == "Cambridge")]
    assert (r.spc_signal == "none").all() and s.icon == "none"


def test_g_chart_of_whole_days_between_events(store):
    df, series = _run(store, "g", SOON)
    s = series[("homicides", "force", _force(df).unit)]
    g = np.diff(np.floor(EVENTS.asi8 / 86_400e9))
    m = g.mean()
    assert s.method == "g"
    np.testing.assert_allclose(s.values[:-1], g)
    np.testing.assert_allclose(s.mean, np.median(g))
    np.testing.assert_allclose(s.ucl, m + 3 * np.sqrt(m * (m + 1)))
    np.testing.assert_allclose(s.lcl, max(0.0, m - 3 * np.sqrt(m * (m + 1))))
    assert _force(df).spc_signal == s.icon


def test_the_open_point_is_read_from_the_centre_line_up():
    """A cluster (a last gap of 2 days, below the lower limit) is a concern until the spell
    since reaches the centre line; then common cause; past the upper limit, improvement."""
    from forcestat.engine.events import event_chart
    from forcestat.stats.spc import SpcRules

    gaps = np.r_[GAPS, 2.0]
    days = np.r_[0.0, np.cumsum(gaps)]
    centre, lcl, ucl = _t_limits(gaps)
    assert lcl > 2.0 and centre < 60 < ucl
    last = days[-1]

    def icon(after: float) -> str:
        return event_chart(days, last + after, "t", "lower_is_better", SpcRules()).icon

    assert icon(centre - 1) == "concern"
    assert icon(centre + 1) == "common_cause"
    assert icon(ucl + 1) == "improvement"
    # The period ends just after the last event: its reading.
    assert icon(1e-6) == "concern"


def test_the_t_chart_renders_in_the_report(store):
    """The report (annex edition: every measure in full) of the hand-built store draws the
    homicides' t chart: its SVG (HTML) and PNG (DOCX) exist, captioned with the events' dates."""
    from forcestat.outputs.report import render_charts
    from forcestat.outputs.report.html import render_html
    from forcestat.pipeline import assemble_report

    fw = loads_framework(FRAMEWORK.format(chart="t"))
    st = open_store(store, read_only=True)
    try:
        report, _, _ = assemble_report(st, SOON, framework=fw, edition="annex")
    finally:
        st.close()
    render_charts(report, png=True)
    html = render_html(report, charts_as="svg")
    assert 'data-chart="homicides"' in html
    assert "Days between events, 12 June 2017 to 30 June 2019" in html
    (chart,) = [c for c in report.charts if c.key == "homicides"]
    assert chart.svg.lstrip().startswith("<svg") and "days between events" in chart.svg
    assert chart.png[:8] == b"\x89PNG\r\n\x1a\n"
    # The public edition withholds it: each point is one dated event.
    st = open_store(store, read_only=True)
    try:
        public, _, _ = assemble_report(st, SOON, framework=fw, edition="annex", public=True)
    finally:
        st.close()
    assert [c.key for c in public.charts] == []
