"""engine.series.monthly_series: the monthly values and limits the report charts are the ones
behind measure_results' spc_signal."""

from __future__ import annotations

import numpy as np


def test_series_icons_match_measure_results(series, results):
    rows = results[results.window == "12m"].set_index(["measure_id", "breakdown", "unit"])
    assert len(series) > 100
    mismatched = [
        (k, s.icon, rows.loc[k, "spc_signal"])
        for k, s in series.items()
        if s.icon != rows.loc[k, "spc_signal"] or s.assurance != rows.loc[k, "spc_assurance"]
    ]
    assert mismatched == []


def test_assurance_icons_are_drawn_for_each_reading():
    from forcestat.outputs import charts

    for reading, letter in (
        ("consistent_pass", "P"),
        ("consistent_fail", "F"),
        ("inconsistent", "?"),
    ):
        svg = charts.assurance_svg(reading)
        assert svg.startswith("<svg") and f">{letter}</text>" in svg
        assert charts.ASSURANCE_COLOURS[reading] in svg
        assert charts.assurance_png(reading).startswith(b"\x89PNG")
    assert charts.assurance_svg("none") == "" and charts.assurance_png("none") == b""


def test_series_values_are_the_months_of_the_windows(series, results):
    """The last twelve monthly counts add up to the 12-month value in measure_results."""
    rows = results[(results.window == "12m") & (results.breakdown == "force")]
    for _, r in rows.iterrows():
        s = series.get((r["measure_id"], "force", r["unit"]))
        if s is None or s.kind != "count":
            continue
        assert s.months[-1] == "2020-03"
        assert np.nansum(s.values[-12:]) == r["value"], r["measure_id"]
        assert np.array_equal(s.base, s.values)


def test_series_points_and_limits_consistent(series):
    for s in series.values():
        n = len(s.months)
        assert len(s.values) == len(s.mean) == len(s.ucl) == len(s.lcl) == len(s.signal) == n
        ok = np.isfinite(s.ucl) & np.isfinite(s.lcl)
        assert (s.ucl[ok] >= s.lcl[ok]).all()
        types = s.point_types()
        assert set(types) <= {"improvement", "concern", "neutral", "common_cause"}
        if s.polarity == "neutral":
            assert "improvement" not in types and "concern" not in types
