"""Small multiples: one small SPC panel per unit (the force, its areas, its districts, or a
breakdown's units) of one measure, side by side on a shared scale, so that a Board sees at a
glance which unit moves.

Each panel draws what the engine's series carry (values, mean, control limits, and each point's
special-cause type, coloured as in ``charts``); nothing statistical is computed here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

import altair as alt
import numpy as np

from forcestat.outputs import charts
from forcestat.outputs.charts import COLOURS, FONT, Series, y_title
from forcestat.outputs.figure import Figure, check_format, format_value, join_names, slug
from forcestat.period import Period

PANEL_WIDTH, PANEL_HEIGHT = 175, 80  # three panels across the 600 px of an SPC chart
TYPE_WORDS = {
    "improvement": "special cause, improvement",
    "concern": "special cause, concern",
    "neutral": "special cause, neither improvement nor concern",
}


@cache
def _template(shared_y: bool) -> str:
    data = alt.NamedData(name="series")
    x = alt.X(
        "month:T",
        title=None,
        axis=alt.Axis(
            format="%b %y",
            labelAngle=0,
            tickCount=alt.TimeIntervalStep(interval="month", step=12),
            grid=False,
            labelFontSize=8,
        ),
    )
    base = alt.Chart().encode(x=x)
    line = base.mark_line(color="#A6A6A6", strokeWidth=1).encode(
        y=alt.Y("value:Q", title="__y_title__", scale=alt.Scale(zero=False))
    )
    lines = charts.limit_lines(base, width=0.9, dash=(3, 2))
    points = base.mark_circle(opacity=1).encode(
        y="value:Q",
        # Special-cause points larger, so that they stand out in a small panel and in print.
        size=alt.condition(
            "datum.type === 'common_cause' || datum.type === 'none'", alt.value(9), alt.value(30)
        ),
        color=alt.Color(
            "type:N",
            scale=alt.Scale(domain=list(COLOURS), range=list(COLOURS.values())),
            legend=None,
        ),
    )
    chart = (
        alt.layer(line, lines, points, data=data)
        .resolve_scale(color="independent", strokeDash="independent")
        .properties(width=PANEL_WIDTH, height=PANEL_HEIGHT)
        .facet(
            facet=alt.Facet(
                "unit:N",
                title=None,
                header=alt.Header(labelFontSize=10, labelFontWeight="bold", labelPadding=2),
            ),
            columns=3,
        )
    )
    if not shared_y:
        chart = chart.resolve_scale(y="independent")
    spec = chart.to_dict(validate=True)
    spec.pop("$schema", None)
    spec["config"] = {
        "font": FONT,
        "view": {"stroke": "#DDDDDD"},
        "axis": {"labelFontSize": 8, "titleFontSize": 9, "labelColor": "#333333"},
        "background": "white",
    }
    return json.dumps(spec)


def _rows(s: Series) -> list[dict[str, Any]]:
    kinds = s.point_types()
    return [
        {
            "unit": s.unit,
            "month": f"{m}-01",
            "value": _finite(s.values[i]),
            "mean": _finite(s.mean[i]),
            "ucl": _finite(s.ucl[i]),
            "lcl": _finite(s.lcl[i]),
            "type": kinds[i],
            "segment": int(s.segment[i]),
        }
        for i, m in enumerate(s.months)
    ]


def _finite(x: float) -> float | None:
    return round(float(x), 6) if np.isfinite(x) else None


def small_multiples(
    series: Sequence[Series],
    *,
    title: str,
    unit_label: str | None = None,
    fmt: str = ",.1f",
    columns: int = 3,
    shared_y: bool = True,
    key: str | None = None,
) -> Figure:
    """One panel per series, in the order given, ``columns`` to a row: the monthly values
    (points coloured by special-cause type as in the SPC charts), the mean (solid) and the
    control limits (dashed). The vertical scale is shared unless ``shared_y=False`` (units of
    very different size). ``unit_label`` titles the vertical axis of rates and means; ``fmt``
    formats the latest values in the alt text."""
    check_format(fmt)
    if not series:
        raise ValueError(f"small multiples {title!r}: no series given")
    units = [s.unit for s in series]
    dupes = sorted({u for u in units if units.count(u) > 1})
    if dupes:
        raise ValueError(f"small multiples {title!r}: units appear twice: {', '.join(dupes)}")
    if len({s.measure_id for s in series}) > 1:
        raise ValueError(f"small multiples {title!r}: the series are of different measures")
    if columns < 1:
        raise ValueError(f"small multiples {title!r}: columns must be at least 1")

    spec = json.loads(_template(shared_y))
    spec["datasets"] = {"series": [row for s in series for row in _rows(s)]}
    spec["facet"]["sort"] = units
    spec["columns"] = min(columns, len(series))
    spec["spec"]["layer"][0]["encoding"]["y"]["title"] = y_title(series[0].kind, unit_label) or None
    return Figure(
        key=key or f"multiples-{slug(title)}",
        spec=spec,
        caption=title,
        alt=_alt(series, title, fmt, shared_y),
    )


def _alt(series: Sequence[Series], title: str, fmt: str, shared_y: bool) -> str:
    months = sorted({m for s in series for m in s.months})
    first, last = Period.parse(months[0]).month_name, Period.parse(months[-1]).month_name
    parts = [
        f"Small multiples: {title}. One panel per unit ({len(series)}: "
        f"{join_names([s.unit for s in series])}), monthly from {first} to {last}, each with "
        f"its mean (solid line) and control limits (dashed)"
        + (", on a shared vertical scale." if shared_y else ", each on its own vertical scale.")
    ]
    latest = []
    for s in series:
        ok = np.flatnonzero(np.isfinite(np.asarray(s.values, dtype=float)))
        if not len(ok):
            latest.append(f"{s.unit} no figure")
            continue
        i = int(ok[-1])
        kind = s.point_types()[i]
        when = "" if s.months[i] == months[-1] else f" ({Period.parse(s.months[i]).month_name})"
        note = f", {TYPE_WORDS[kind]}" if kind in TYPE_WORDS else ""
        latest.append(f"{s.unit} {format_value(float(s.values[i]), fmt)}{when}{note}")
    parts.append(f"Latest ({last}): {'; '.join(latest)}.")
    flagged = []
    for s in series:
        types = s.point_types()
        counts = {k: types.count(k) for k in ("concern", "improvement", "neutral") if k in types}
        if counts:
            flagged.append(f"{s.unit} ({', '.join(f'{n} {k}' for k, n in counts.items())})")
    if flagged:
        parts.append(f"Special-cause points: {'; '.join(flagged)}.")
    else:
        parts.append("No special-cause points.")
    return " ".join(parts)
