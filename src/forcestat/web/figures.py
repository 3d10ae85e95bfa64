"""The dashboard's charts and maps, drawn (never computed) from the served rows the query layer
returned in the caller's scope.

- The measure page's SPC chart is the report's chart (``outputs.charts.spc_spec``) with a
  tooltip on every point (month, value, base, mean, limits and the rule that fired), drawn in
  the browser by the vendored Vega with its CSP-safe expression interpreter.
- Previews, downloads (SVG, PNG) and maps are rendered on the server by vl-convert, as the
  report's are, and cached per data snapshot: a chart is drawn once, then served from memory.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from forcestat.outputs import charts, maps
from forcestat.outputs.figure import Figure, slug
from forcestat.period import Period
from forcestat.web.cache import LRU
from forcestat.web.views import RULE_WORDS, MapValues

POINT_WORDS = {
    "improvement": "special cause: improvement",
    "concern": "special cause: concern",
    "neutral": "special cause",
    "common_cause": "common cause",
}


@dataclass
class ServedSeries:
    """One unit's monthly series as served (``served_series``), shaped as the writers'
    ``charts.Series``."""

    measure_id: str
    breakdown: str
    unit: str
    kind: str
    polarity: str
    months: tuple[str, ...]
    values: np.ndarray
    mean: np.ndarray
    ucl: np.ndarray
    lcl: np.ndarray
    signal: tuple[str | None, ...]
    direction: tuple[str | None, ...]
    trial: np.ndarray
    segment: np.ndarray
    base: np.ndarray
    method: str
    icon: str
    outcome_lag: int | None
    types: tuple[str, ...]

    def point_types(self) -> list[str]:
        return list(self.types)


def _f(v: Any) -> float:
    return float("nan") if v is None else float(v)


def series_of(rows: Sequence[dict[str, Any]]) -> dict[tuple[str, str], ServedSeries]:
    """Served series rows (any units) -> one ``ServedSeries`` per (breakdown, unit)."""
    by: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault((str(r["breakdown"]), str(r["unit"])), []).append(r)
    out = {}
    for k, rs in by.items():
        rs = sorted(rs, key=lambda r: r["month"])
        first = rs[0]
        lag = first.get("outcome_lag")
        out[k] = ServedSeries(
            measure_id=str(first["measure_id"]),
            breakdown=k[0],
            unit=k[1],
            kind=str(first["kind"]),
            polarity=str(first["polarity"]),
            months=tuple(str(r["month"]) for r in rs),
            values=np.array([_f(r["value"]) for r in rs]),
            mean=np.array([_f(r["mean"]) for r in rs]),
            ucl=np.array([_f(r["ucl"]) for r in rs]),
            lcl=np.array([_f(r["lcl"]) for r in rs]),
            signal=tuple(r["signal"] for r in rs),
            direction=tuple(r["direction"] for r in rs),
            trial=np.array([bool(r["trial"]) for r in rs]),
            segment=np.array([int(r["segment"] or 0) for r in rs]),
            base=np.array([_f(r["base"]) for r in rs]),
            method=str(first["method"]),
            icon=str(first["icon"]),
            outcome_lag=None if lag is None else int(lag),
            types=tuple(str(r["point_type"]) for r in rs),
        )
    return out


def _num(v: float, kind: str) -> str | None:
    if not math.isfinite(v):
        return None
    if kind == "proportion":
        return f"{v:.1f}%"
    if kind == "count" and float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:,.2f}"


def interactive_spec(s: ServedSeries, title: str, unit_label: str | None) -> dict[str, Any]:
    """The SPC chart as Vega-Lite with a tooltip on each month: the month, value, base, mean,
    limits and the rule that fired (or "common cause")."""
    spec = charts.spc_spec(s, unit_label)
    types = s.point_types()
    for i, row in enumerate(spec["datasets"]["series"]):
        rule = s.signal[i]
        row["Month"] = Period.parse(s.months[i]).month_name
        row["Value"] = _num(s.values[i], s.kind)
        row["Base"] = None if not math.isfinite(s.base[i]) else f"{s.base[i]:,.0f}"
        row["Mean"] = _num(s.mean[i], s.kind)
        row["Upper limit"] = _num(s.ucl[i], s.kind)
        row["Lower limit"] = _num(s.lcl[i], s.kind)
        row["Variation"] = POINT_WORDS.get(types[i], types[i])
        row["Rule"] = RULE_WORDS.get(rule, rule) if rule else "none"
    tip = [
        {"field": f, "type": "nominal"}
        for f in ("Month", "Value", "Base", "Mean", "Upper limit", "Lower limit", "Variation")
    ] + [{"field": "Rule", "type": "nominal", "title": "Rule that fired"}]
    points = spec["layer"][2]
    points["mark"] = {**points["mark"], "size": 70, "cursor": "pointer"}
    points["encoding"]["tooltip"] = tip
    spec["width"] = "container"
    spec["description"] = title
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


def spec_json(spec: dict[str, Any]) -> str:
    """JSON for a ``<script type="application/json">`` block: no ``</script>`` can close it."""
    return json.dumps(spec, separators=(",", ":")).replace("<", "\\u003c")


class RenderCache(LRU):
    """Rendered figures (SVG text or PNG bytes) by key; the key carries the data snapshot, so
    a refresh never serves an old picture. vl-convert renders on one worker: one at a time."""

    def __init__(self, size: int = 512):
        super().__init__(size)
        self.lock = threading.Lock()

    def get(self, key: tuple, make: Callable[[], Any]) -> Any:
        with self.lock:
            return super().get(key, make)


def spc_svg(s: ServedSeries, key: str, unit_label: str | None, compact: bool) -> str:
    spec = charts.spc_spec(s, unit_label, compact=compact)
    (svg,) = charts.render_svgs([spec], [key])
    return svg


def svg_png(svg: str) -> bytes:
    (png,) = charts.svgs_to_pngs([svg])
    return png


def district_map(mv: MapValues) -> Figure:
    fig = maps.choropleth(
        mv.values,
        title=mv.title,
        legend_title=mv.legend,
        fmt=mv.fmt,
        hidden=mv.hidden,
        key=f"map-{mv.metric}",
    )
    return fig.render()


def hexbin_map(points: np.ndarray, districts: Sequence[str], title: str) -> Figure:
    return maps.hexbin(
        points, districts=districts, title=title, key=f"hexbin-{slug(title)}"
    ).render()
