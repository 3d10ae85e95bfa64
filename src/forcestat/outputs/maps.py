"""District maps drawn from plain figures: a choropleth of a value per district and a hexagonal
density map of crime locations, over the Local Authority District boundaries shipped with
forcestat (``outputs.boundaries``).

Each map is a Vega-Lite spec carrying its outlines inline (never a URL) and renders offline
through vl-convert like the SPC charts (``Figure``). Projection: transverse Mercator centred on
the districts' own meridian (as the British National Grid is on 2 degrees W), fitted to the
districts drawn. Colours: reversed viridis, light yellow (low) to dark purple (high), whose
lightness rises steadily, so the order reads in greyscale and with every common colour vision
deficiency. A district without a figure is grey with diagonal hatching and labelled "no figure"
(or why its figure is not shown). The maps compute no statistic: they draw what they are given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from functools import cache
from typing import Any, Literal

import altair as alt
import numpy as np

from forcestat.outputs import boundaries as bnd
from forcestat.outputs import geometry as geo
from forcestat.outputs.charts import FONT
from forcestat.outputs.figure import Figure, check_format, format_value, join_names, slug

SCHEME = "viridis"  # reversed on every scale: light = low, dark = high
NO_FIGURE = "no figure"
NOT_SHOWN = "not shown"
GREY = "#D9D9D9"  # a district or hexagon without a figure
HATCH = "#7A7A7A"
OUTLINE = "#404040"
WIDTH = 460
MAX_LABELLED = 40  # beyond this labels would overlap; the alt text still gives the extremes
HATCH_LINES = 70  # hatch lines across the map's diagonal


def _size(features: Sequence[dict[str, Any]], plane: geo.Plane) -> tuple[int, int]:
    lo, hi = geo.bounds(f["geometry"] for f in features)
    w, h = (hi[0] - lo[0]) * plane.k, hi[1] - lo[1]
    height = WIDTH * h / w if w > 0 else WIDTH
    return WIDTH, int(min(max(height, 260), 620))


def _hidden_labels(hidden: Mapping[str, str] | Collection[str]) -> dict[str, str]:
    if isinstance(hidden, str):  # one name, not its letters
        hidden = [hidden]
    if isinstance(hidden, Mapping):
        return {str(k): str(v) for k, v in hidden.items()}
    return dict.fromkeys(hidden, NOT_SHOWN)


# Each map is authored once in Altair, as JSON with sentinel strings where a call's legend
# title and number format go; a call fills those in and hands its rows as named ``datasets``
# (building an Altair chart with inline data costs ~0.3 s; filling a template, microseconds).
_TITLE, _FMT = "__legend_title__", "__fmt__"


def _fill(obj: Any, subs: Mapping[str, str]) -> Any:
    if isinstance(obj, dict):
        return {k: _fill(v, subs) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_fill(v, subs) for v in obj]
    return subs.get(obj, obj) if isinstance(obj, str) else obj


def _geoshape(name: str, **mark: Any) -> alt.Chart:
    return alt.Chart(alt.NamedData(name=name)).mark_geoshape(**mark)


def _status_fill() -> alt.Fill:
    """Grey swatches for what has no figure; the legend lists only the statuses present."""
    return alt.Fill(
        "properties.status:N",
        title=None,
        scale=alt.Scale(range=[GREY]),
        legend=alt.Legend(orient="right", symbolType="square"),
    )


def _value_colour(field: str, log: bool = False) -> alt.Color:
    # The domain is the data's own (no zero, no rounding): the lightest colour is the lowest
    # figure drawn and the darkest the highest.
    scale = alt.Scale(scheme=SCHEME, reverse=True, zero=False, nice=False)
    if log:
        scale = alt.Scale(type="log", scheme=SCHEME, reverse=True, nice=False)
    return alt.Color(
        f"properties.{field}:Q",
        title=_TITLE,
        scale=scale,
        legend=alt.Legend(format=_FMT, orient="right", gradientLength=160),
    )


def _attribution() -> alt.Chart:
    """The OGL attribution inside the figure, so that it travels with a downloaded image."""
    return (
        alt.Chart(alt.NamedData(name="attribution"))
        .mark_text(align="left", baseline="top", fontSize=7.5, color="#555555", lineBreak="\n")
        .encode(text="t:N", x=alt.value(0), y=alt.value({"expr": "height + 6"}))
    )


def _labels() -> list[alt.Chart]:
    """Name and value at each district's label point, dark text on a white halo (readable on
    the darkest and the lightest fill)."""
    enc = {"longitude": "lon:Q", "latitude": "lat:Q", "text": "label:N"}
    style = {"fontSize": 9.5, "lineBreak": "\n", "font": FONT}
    data = alt.NamedData(name="labels")
    halo = alt.Chart(data).mark_text(
        **style, stroke="white", strokeWidth=3, strokeJoin="round", fill="white"
    )
    text = alt.Chart(data).mark_text(**style, fill="#111111")
    return [halo.encode(**enc), text.encode(**enc)]


def _finish(layers: list[alt.Chart]) -> str:
    chart = alt.layer(*layers).resolve_scale(color="independent", fill="independent")
    spec = chart.to_dict(validate=True)
    spec.pop("$schema", None)
    spec["config"] = {
        "font": FONT,
        "view": {"stroke": None},
        "background": "white",
        "legend": {"labelFontSize": 9, "titleFontSize": 9.5, "titleLimit": 260},
    }
    return json.dumps(spec)


@cache
def _choropleth_template(filled: bool, blank: bool, labelled: bool) -> str:
    # A layer without rows is left out: Vega sizes an empty legend as infinite.
    layers = []
    if filled:
        layers.append(
            _geoshape("filled", stroke=OUTLINE, strokeWidth=0.7).encode(
                color=_value_colour("value"), description="properties.description:N"
            )
        )
    if blank:
        layers += [
            _geoshape("blank", stroke=OUTLINE, strokeWidth=0.7).encode(
                fill=_status_fill(), description="properties.description:N"
            ),
            _geoshape("hatch", filled=False, stroke=HATCH, strokeWidth=0.6),
        ]
    if labelled:
        layers += _labels()
    return _finish([*layers, _attribution()])


@cache
def _hexbin_template(small: bool, bins: bool) -> str:
    layers = []
    if small:
        layers.append(_geoshape("small", strokeWidth=0).encode(fill=_status_fill()))
    if bins:
        layers.append(
            _geoshape("bins", strokeWidth=0).encode(color=_value_colour("count", log=True))
        )
    layers.append(_geoshape("outlines", filled=False, stroke=OUTLINE, strokeWidth=0.7))
    return _finish([*layers, _attribution()])


def _spec(
    template: str,
    datasets: dict[str, list[dict[str, Any]]],
    subs: Mapping[str, str],
    size: tuple[int, int],
    projection: dict[str, Any],
) -> dict[str, Any]:
    spec = _fill(json.loads(template), subs)
    datasets = {k: v for k, v in datasets.items() if v}
    spec["datasets"] = {**datasets, "attribution": [{"t": bnd.ATTRIBUTION_SHORT}]}
    spec["width"], spec["height"] = size
    spec["projection"] = projection
    return spec


def _projection(features: Sequence[dict[str, Any]]) -> dict[str, Any]:
    lo, hi = geo.bounds(f["geometry"] for f in features)
    lon0 = round(float(lo[0] + hi[0]) / 2, 3)
    return {"type": "transverseMercator", "rotate": [-lon0, 0, 0]}


def choropleth(
    values: Mapping[str, float | None],
    *,
    title: str,
    legend_title: str,
    fmt: str = ",.1f",
    hidden: Mapping[str, str] | Collection[str] = (),
    labels: bool | None = None,
    key: str | None = None,
) -> Figure:
    """A map of one value per district (district name -> value, or None for no figure).

    ``hidden``: districts whose figure the edition withholds, drawn like those without a figure
    and labelled with the reason (a mapping name -> reason, e.g. "fewer than 5") or "not
    shown"; their values, if given, never enter the figure. ``fmt`` formats the labels, the
    legend and the alt text. Every district is labelled with its name and value when there are
    at most 40 (``labels`` forces either way). Names are matched to the shipped boundaries
    (``boundaries.boundaries``); names without an outline are listed in ``notes`` and in the alt
    text.
    """
    check_format(fmt)
    why = _hidden_labels(hidden)
    names = list(dict.fromkeys([*values, *why]))
    found = bnd.boundaries(names)
    if not found.features:
        raise ValueError(f"choropleth {title!r}: {found.problem() or 'no districts given'}")
    plane = geo.Plane.around(f["geometry"] for f in found.features)
    width, height = _size(found.features, plane)

    shown: dict[str, float] = {}
    for name in found.names:
        v = values.get(name)
        if name not in why and v is not None and math.isfinite(v):
            shown[name] = float(v)
    labelled = labels if labels is not None else len(found.features) <= MAX_LABELLED

    lo, hi = geo.bounds(f["geometry"] for f in found.features)
    spacing = math.hypot((hi[0] - lo[0]) * plane.k, hi[1] - lo[1]) / HATCH_LINES
    filled, blank, hatch, label_rows = [], [], [], []
    for f in found.features:
        name = f["properties"]["name"]
        g = geo.for_vega(f["geometry"])
        if name in shown:
            text = format_value(shown[name], fmt)
            filled.append(_feature(g, name=name, value=shown[name], description=f"{name}: {text}"))
        else:
            text = why.get(name, NO_FIGURE)
            blank.append(_feature(g, name=name, status=text, description=f"{name}: {text}"))
            lines = geo.hatch(f["geometry"], plane, spacing)
            if lines:
                hatch.append(_feature({"type": "MultiLineString", "coordinates": lines}))
        if labelled:
            lon, lat = geo.label_point(f["geometry"], plane)
            label_rows.append({"lon": lon, "lat": lat, "label": f"{name}\n{text}"})

    spec = _spec(
        _choropleth_template(bool(filled), bool(blank), labelled),
        {"filled": filled, "blank": blank, "hatch": hatch, "labels": label_rows},
        {_TITLE: legend_title, _FMT: fmt},
        (width, height),
        _projection(found.features),
    )
    notes = (found.problem(),) if found.unmatched else ()
    return Figure(
        key=key or f"map-{slug(title)}",
        spec=spec,
        caption=title,
        alt=_choropleth_alt(title, legend_title, fmt, found, shown, why),
        notes=notes,
        source=bnd.ATTRIBUTION,
    )


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _choropleth_alt(
    title: str,
    legend_title: str,
    fmt: str,
    found: bnd.Boundaries,
    shown: Mapping[str, float],
    why: Mapping[str, str],
) -> str:
    n = len(found.features)
    parts = [
        f"Map of {n} district{'s' if n != 1 else ''}: {title}, shaded by {legend_title} "
        f"(darker is higher)."
    ]
    if shown:
        ranked = sorted(shown.items(), key=lambda kv: (-kv[1], kv[0]))
        if len(ranked) <= 8:
            listed = "; ".join(f"{k} {format_value(v, fmt)}" for k, v in ranked)
            parts.append(f"From highest to lowest: {listed}.")
        else:
            top, bottom = ranked[0], ranked[-1]
            parts.append(
                f"Highest: {top[0]}, {format_value(top[1], fmt)}; lowest: {bottom[0]}, "
                f"{format_value(bottom[1], fmt)}."
            )
    blank = [k for k in found.names if k not in shown]
    by_reason: dict[str, list[str]] = {}
    for k in blank:
        by_reason.setdefault(why.get(k, NO_FIGURE), []).append(k)
    for reason, names in by_reason.items():
        parts.append(f"{reason.capitalize()}: {join_names(names)}.")
    if found.unmatched:
        parts.append(f"Not drawn (no boundary): {join_names(list(found.unmatched))}.")
    return " ".join(parts)


# -- hexagonal density ----------------------------------------------------------------------------


def _nice_width(km: float) -> float:
    """The 1-2-5 step at or below ``km`` (0.25 km at least)."""
    if km <= 0.25:
        return 0.25
    e = 10 ** math.floor(math.log10(km))
    return max(s * e for s in (1, 2, 5) if s * e <= km)


def hexbin(
    points: Sequence[tuple[float, float]] | np.ndarray,
    *,
    districts: Iterable[str],
    title: str,
    legend_title: str = "crimes per hexagon",
    cell_km: float | None = None,
    min_count: int = 5,
    small: Literal["grey", "omit"] = "grey",
    key: str | None = None,
) -> Figure:
    """A density map of locations (longitude, latitude) in hexagons ``cell_km`` across
    (default: a 1-2-5 step near a fortieth of the districts' width), over the outlines of
    ``districts``.

    Hexagons with fewer than ``min_count`` points (default 5: a public edition never shows a
    count of 1-4) carry no count: they are drawn grey ("fewer than 5") or left out
    (``small="omit"``). Points without coordinates are left out and counted in ``notes``.
    Binning runs in the local plane (``outputs.geometry``), where the hexagons are regular.
    """
    if min_count < 1:
        raise ValueError(f"hexbin {title!r}: min_count must be at least 1, not {min_count}")
    if small not in ("grey", "omit"):
        raise ValueError(f"hexbin {title!r}: small must be 'grey' or 'omit', not {small!r}")
    found = bnd.boundaries(districts)
    if not found.features:
        raise ValueError(f"hexbin {title!r}: {found.problem() or 'no districts given'}")
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    plane = geo.Plane.around(f["geometry"] for f in found.features)
    width, height = _size(found.features, plane)
    lo, hi = geo.bounds(f["geometry"] for f in found.features)
    if cell_km is None:
        cell_km = _nice_width((hi[0] - lo[0]) * plane.k * geo.KM_PER_DEGREE / 40)
    if cell_km <= 0:
        raise ValueError(f"hexbin {title!r}: cell_km must be positive, not {cell_km}")
    cell = cell_km / geo.KM_PER_DEGREE

    located = np.isfinite(pts).all(axis=1)
    # A location far outside the districts (a 0,0 placeholder, another force's record) would
    # stretch the map to take it in: beyond one hexagon of the districts' extent it is left out.
    margin = np.array([cell / plane.k, cell])
    with np.errstate(invalid="ignore"):
        near = located & ((pts >= lo - margin) & (pts <= hi + margin)).all(axis=1)
    missing, outside = int((~located).sum()), int((located & ~near).sum())
    pts = pts[near]
    if len(pts):
        centres, counts = geo.hex_bin(plane.to_xy(pts), cell)
    else:
        centres, counts = np.empty((0, 2)), np.empty(0, dtype=np.int64)
    # Every hexagon ring is wound clockwise (geometry.hexagons), as Vega reads an outer ring.
    # 7 decimals (1 cm), so that the hexagons drawn hold the points counted in them.
    rings = np.round(
        plane.to_lonlat(geo.hexagons(centres, cell).reshape(-1, 2)).reshape(-1, 7, 2), 7
    )
    lonlat = np.round(plane.to_lonlat(centres), 5)
    keep = counts >= min_count
    big = [
        _feature(
            {"type": "Polygon", "coordinates": [rings[i].tolist()]},
            count=int(counts[i]),
            lon=float(lonlat[i, 0]),
            lat=float(lonlat[i, 1]),
        )
        for i in np.flatnonzero(keep)
    ]
    little = []
    if small == "grey" and (~keep).any():
        # One shape for all the small hexagons, without counts: the figure must not tell 1-4
        # apart from each other (and one path draws far faster than thousands).
        grey = {"type": "MultiPolygon", "coordinates": [[r.tolist()] for r in rings[~keep]]}
        little.append(_feature(grey, status=f"fewer than {min_count}"))

    outlines = [_feature(geo.for_vega(f["geometry"])) for f in found.features]
    spec = _spec(
        _hexbin_template(bool(little), bool(big)),
        {"small": little, "bins": big, "outlines": outlines},
        {_TITLE: legend_title, _FMT: ",d"},
        (width, height),
        _projection(found.features),
    )
    notes = []
    if found.unmatched:
        notes.append(found.problem())
    if missing:
        notes.append(f"{missing:,} location(s) without coordinates are not mapped")
    if outside:
        notes.append(
            f"{outside:,} location(s) beyond the map's extent (the districts and one hexagon "
            "around them) are not shown"
        )
    return Figure(
        key=key or f"hexbin-{slug(title)}",
        spec=spec,
        caption=title,
        alt=_hexbin_alt(title, cell_km, found, big, counts, min_count, small),
        notes=tuple(notes),
        source=bnd.ATTRIBUTION,
    )


def _hexbin_alt(
    title: str,
    cell_km: float,
    found: bnd.Boundaries,
    big: list[dict[str, Any]],
    counts: np.ndarray,
    min_count: int,
    small: str,
) -> str:
    n_small = int((counts < min_count).sum())
    names = join_names(list(found.names))
    parts = [
        f"Density map: {title}, counted in hexagons {cell_km:g} km across over the outlines of "
        f"{names} (darker is more)."
    ]
    if not n_small:
        # With hexagons hidden, the total is not given: with a total printed elsewhere, it
        # would tell the hidden hexagons' sum.
        parts.append(f"{int(counts.sum()):,} locations are mapped.")
    if big:
        top = max(big, key=lambda b: b["properties"]["count"])
        p = np.array([[top["properties"]["lon"], top["properties"]["lat"]]])
        where = ""
        for f in found.features:
            if any(geo.inside(p, poly)[0] for poly in geo.polygons(f["geometry"])):
                where = f", in {f['properties']['name']}"
                break
        parts.append(
            f"{len(big):,} hexagons hold {min_count} or more; the densest holds "
            f"{top['properties']['count']:,}{where}."
        )
    else:
        parts.append(f"No hexagon holds {min_count} or more.")
    if n_small:
        parts.append(
            f"{n_small:,} hexagons with fewer than {min_count} are "
            + ("shown in grey." if small == "grey" else "left out.")
        )
    return " ".join(parts)
