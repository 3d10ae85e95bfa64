"""Small multiples: one panel per unit in the order given, special-cause points coloured as in
the SPC charts, rendered by vl-convert and read back from the SVG; and maps and multiples
render wherever the report's charts do."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from forcestat.engine.series import MonthlySeries
from forcestat.outputs.charts import COLOURS
from forcestat.outputs.figure import Figure
from forcestat.outputs.maps import choropleth
from forcestat.outputs.multiples import small_multiples

MONTHS = tuple(f"{2017 + (i + 3) // 12}-{(i + 3) % 12 + 1:02d}" for i in range(36))  # 2017-04..


def _series(unit: str, level: float, flags: dict[int, str] | None = None, seed: int = 0):
    """A count series with hand-set special-cause points {month index: 'high' | 'low'}."""
    rng = np.random.default_rng(seed)
    values = rng.poisson(level, 36).astype(float)
    signal, direction = [None] * 36, [None] * 36
    for i, way in (flags or {}).items():
        values[i] = level * (2.5 if way == "high" else 0.2)
        signal[i], direction[i] = "outside", way
    mean = np.full(36, level)
    return MonthlySeries(
        measure_id="da_crimes",
        breakdown="district",
        unit=unit,
        kind="count",
        polarity="lower_is_better",
        months=MONTHS,
        values=values,
        mean=mean,
        ucl=mean + 3 * np.sqrt(level),
        lcl=mean - 3 * np.sqrt(level),
        signal=tuple(signal),
        direction=tuple(direction),
        trial=np.zeros(36, dtype=bool),
        segment=np.zeros(36, dtype=int),
        base=values,
        method="xmr",
        icon="common_cause",
    )


UNITS = [
    _series("Peterborough", 60, {35: "high"}, seed=1),  # concern (higher is worse)
    _series("Fenland", 25, seed=2),
    _series("Huntingdonshire", 30, {20: "low", 21: "low"}, seed=3),  # improvement
    _series("Cambridge", 45, seed=4),
]


def test_one_panel_per_unit_in_the_order_given():
    fig = small_multiples(UNITS, title="Domestic abuse crimes by district").render()
    svg = fig.svg
    assert svg.count('class="mark-symbol role-mark') == 4  # one points layer per panel
    names = [u.unit for u in UNITS]
    headers = re.findall(r'font-weight="bold"[^>]*>([^<]+)</text>', svg)
    assert [h for h in headers if h in names] == names
    # each panel draws all 36 months as points
    points = re.findall(r'<path aria-label="month: ([A-Za-z]{3} \d\d); value: [^"]+; type: (\w+)"'
                        r'[^>]*?fill="(#[0-9A-Fa-f]{6})"', svg)  # fmt: skip
    assert len(points) == 36 * 4


def test_special_cause_points_are_coloured_as_in_the_spc_charts():
    svg = small_multiples(UNITS, title="t").render().svg
    points = re.findall(
        r'<path aria-label="month: ([A-Za-z]{3} \d\d); value: [^"]+; type: (\w+)"[^>]*?'
        r'fill="(#[0-9A-Fa-f]{6})"',
        svg,
    )
    by_type: dict[str, list[str]] = {}
    for month, kind, fill in points:
        assert fill.upper() == COLOURS[kind].upper(), (month, kind, fill)
        by_type.setdefault(kind, []).append(month)
    # Peterborough's last month is a concern; Huntingdonshire's Dec 18 and Jan 19 improvements
    assert by_type["concern"] == ["Mar 20"]
    assert sorted(by_type["improvement"]) == ["Dec 18", "Jan 19"]
    assert len(by_type["common_cause"]) == 36 * 4 - 3


def test_shared_y_scale_by_default_and_independent_on_request():
    def axis_labels(svg: str) -> list[str]:
        return re.findall(r"aria-label=\"Y-axis[^\"]*? with values from ([^\"]+)\"", svg)

    shared = small_multiples(UNITS, title="t").render().svg
    own = small_multiples(UNITS, title="t", shared_y=False).render().svg
    assert len(axis_labels(shared)) >= 2 and len(set(axis_labels(shared))) == 1
    assert len(axis_labels(own)) == 4 and len(set(axis_labels(own))) == 4


def test_alt_text_says_what_it_shows_and_the_latest_value_of_each_unit():
    fig = small_multiples(UNITS, title="Domestic abuse crimes by district")
    alt = fig.alt
    assert alt.startswith("Small multiples: Domestic abuse crimes by district. One panel per unit")
    assert "from April 2017 to March 2020" in alt
    latest = re.search(r"Latest \(March 2020\): (.*?)\.(?: |$)", alt).group(1)
    parts = latest.split("; ")
    assert [p.split(" ")[0] for p in parts] == [u.unit for u in UNITS]
    for p, u in zip(parts, UNITS, strict=True):
        assert f"{u.unit} {u.values[-1]:,.1f}" in p
    assert "Peterborough 150.0, special cause, concern" in alt
    assert "Special-cause points: Peterborough (1 concern); Huntingdonshire (2 improvement)." in alt


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="no series"):
        small_multiples([], title="t")
    with pytest.raises(ValueError, match="twice: Fenland"):
        small_multiples([UNITS[1], UNITS[1]], title="t")
    other = dataclasses.replace(UNITS[0], measure_id="other")
    with pytest.raises(ValueError, match="different measures"):
        small_multiples([other, UNITS[1]], title="t")


def test_figures_render_wherever_the_report_renders_a_chart():
    """A Figure carries every field of the report's Chart, so the writers take it as one."""
    from forcestat.outputs.report.model import Chart

    chart_fields = {f.name for f in dataclasses.fields(Chart)}
    assert chart_fields <= {f.name for f in dataclasses.fields(Figure)}
    fig = choropleth({"Cambridge": 1.0, "Fenland": 2.0}, title="t", legend_title="l")
    chart = Chart(**{k: getattr(fig, k) for k in chart_fields})
    from forcestat.outputs import charts

    (svg,) = charts.render_svgs([chart.spec])
    (png,) = charts.svgs_to_pngs([svg], scale=1.0)
    assert svg.startswith("<svg") and png[:8] == b"\x89PNG\r\n\x1a\n"
