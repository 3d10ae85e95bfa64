"""SPC charts and variation icons, drawn (never computed) from the engine's monthly series.

Charts are Altair specifications rendered offline by vl-convert: SVG for the HTML and PDF
editions, PNG (from the same SVG) for DOCX. Nothing is fetched: Altair's own HTML output loads
Vega from a CDN, so it is never used. Colours follow NHS "Making Data Count"
(NHSRplotthedots): grey common cause, blue improvement, orange concern, purple neither.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any, Protocol

import altair as alt
import numpy as np
import vl_convert as vlc


class Series(Protocol):
    """What the writers read of a monthly series (the engine's ``MonthlySeries``): the values,
    limits and point signals up to the period, all computed there."""

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

    def point_types(self) -> list[str]: ...


FONT = "sans-serif"  # fontconfig resolves it (DejaVu Sans on Debian) in PDF, PNG and browsers
COLOURS = {
    "common_cause": "#7B7D7D",
    "improvement": "#289DE0",
    "concern": "#FAB428",
    "neutral": "#361475",
    "none": "#BBBBBB",
}
ICON_LABELS = {
    "improvement": "Special cause variation: improvement",
    "concern": "Special cause variation: concern",
    "neutral": "Special cause variation: neither improvement nor concern",
    "common_cause": "Common cause variation",
    "none": "Not assessed (too few points)",
}
METHODS = {
    "xmr": "XmR chart: limits at the mean \u00b1 2.66 \u00d7 the mean moving range",
    "p_prime": "Laney P\u2032 chart: p chart limits widened for between-month variation",
    "p": "p chart: binomial limits for each month's base",
    "u": "u chart: Poisson limits for each month's exposure",
    "u_prime": "Laney U\u2032 chart: u chart limits widened for between-month variation",
    "c": "c chart: Poisson limits about the mean count",
    "run": "Run chart: the median, with Anh\u00f8j's rules for long runs and few crossings",
}
# Making Data Count's assurance icons (``measure_results.spc_assurance``): can the process be
# relied on to meet its target? Blue passes, orange fails, grey hit and miss.
ASSURANCE_COLOURS = {
    "consistent_pass": "#289DE0",
    "consistent_fail": "#FAB428",
    "inconsistent": "#7B7D7D",
}
ASSURANCE_LABELS = {
    "consistent_pass": "Assurance: the process will consistently meet the target",
    "consistent_fail": "Assurance: the process will consistently fail the target",
    "inconsistent": "Assurance: the process will hit and miss the target",
}
ASSURANCE_LETTERS = {"consistent_pass": "P", "consistent_fail": "F", "inconsistent": "?"}
WIDTH, HEIGHT = 600, 150
COMPACT = (300, 120)
VL_VERSION = "6.4"  # the Vega-Lite of Altair 6.3 (alt.SCHEMA_VERSION v6.4.x)


def y_title(kind: str, unit_label: str | None, method: str = "") -> str:
    if kind == "proportion":
        return "%"
    if kind == "count":
        return "number per day" if method.startswith("u") else "number per month"
    if kind == "rate_per_1000":
        return unit_label or "per 1,000 population"
    return unit_label or ""


def _finite(x: float) -> float | None:
    # Vega-Lite reads null as a gap; NaN would break the JSON.
    return round(float(x), 6) if np.isfinite(x) else None


def limit_lines(base: alt.Chart, width: float = 1.0, dash: tuple[int, int] = (4, 3)) -> alt.Chart:
    """The mean (solid) and control limits (dashed) of SPC charts and small multiples, one
    folded line mark drawn per limit segment."""
    return (
        base.transform_fold(["mean", "ucl", "lcl"], as_=["line", "level"])
        .mark_line(strokeWidth=width)
        .encode(
            y="level:Q",
            detail=alt.Detail(["line:N", "segment:N"]),
            color=alt.Color(
                "line:N",
                scale=alt.Scale(
                    domain=["mean", "ucl", "lcl"], range=["#231F20", "#6F6F6F", "#6F6F6F"]
                ),
                legend=None,
            ),
            strokeDash=alt.StrokeDash(
                "line:N",
                scale=alt.Scale(
                    domain=["mean", "ucl", "lcl"], range=[[1, 0], list(dash), list(dash)]
                ),
                legend=None,
            ),
        )
    )


@cache
def _template() -> str:
    """The chart authored once in Altair, as JSON; each series fills its data in. (Building an
    Altair chart costs ~0.2 s; copying the spec costs microseconds.)"""
    data = alt.NamedData(name="series")
    x = alt.X(
        "month:T",
        title=None,
        axis=alt.Axis(
            format="%b %y",
            labelAngle=0,
            tickCount=alt.TimeIntervalStep(interval="month", step=6),
            grid=False,
        ),
    )
    base = alt.Chart(data).encode(x=x)
    line = base.mark_line(color="#A6A6A6", strokeWidth=1.2).encode(
        y=alt.Y("value:Q", title="", scale=alt.Scale(zero=False))
    )
    points = base.mark_circle(size=28, opacity=1).encode(
        y="value:Q",
        color=alt.Color(
            "type:N",
            scale=alt.Scale(domain=list(COLOURS), range=list(COLOURS.values())),
            legend=None,
        ),
    )
    # Mean and limits as one folded line mark (fewer marks: vl-convert's time goes on marks
    # and their text, ~0.1 s a chart), solid for the mean, dashed for the limits.
    lines = limit_lines(base)
    chart = (
        alt.layer(line, lines, points)
        .resolve_scale(color="independent", strokeDash="independent")
        .properties(width=WIDTH, height=HEIGHT)
    )
    spec = chart.to_dict(validate=True)
    spec["config"] = {
        "font": FONT,
        "view": {"stroke": None},
        "axis": {
            "labelFontSize": 10,
            "titleFontSize": 10,
            "labelColor": "#333333",
            "labelOverlap": False,  # tickCount keeps labels apart; skipping the check is faster
            "labelBound": False,
        },
        "background": "white",
    }
    return json.dumps(spec, sort_keys=True)


def spc_spec(s: Series, unit_label: str | None = None, compact: bool = False) -> dict[str, Any]:
    """The Vega-Lite spec (a dict) of one SPC chart: monthly values joined by a line, points
    coloured by their special-cause type, the mean and the control limits (dashed), each
    limit segment drawn on its own when the framework rebased the chart."""
    kinds = s.point_types()
    rows = []
    for i, month in enumerate(s.months):
        rows.append(
            {
                "month": f"{month}-01",
                "value": _finite(s.values[i]),
                "mean": _finite(s.mean[i]),
                "ucl": _finite(s.ucl[i]),
                "lcl": _finite(s.lcl[i]),
                "type": kinds[i],
                "segment": int(s.segment[i]),
            }
        )
    spec = json.loads(_template())
    if compact:
        # Half the page's width beside the text (Board edition): a year's ticks, not six months'.
        spec["width"], spec["height"] = COMPACT
        spec["layer"][0]["encoding"]["x"]["axis"]["tickCount"] = {"interval": "month", "step": 12}
    spec["datasets"] = {"series": rows}
    spec["layer"][0]["encoding"]["y"]["title"] = y_title(s.kind, unit_label, s.method) or None
    return spec


def spc_alt(s: Series, title: str, unit_label: str | None = None) -> str:
    """The chart's text alternative: what it shows, its latest point and how many months show
    special cause variation (screen readers, the tagged PDF and the DOCX read it)."""
    from forcestat.findings.format import fmt_count, fmt_number, fmt_pct
    from forcestat.period import Period

    def figure(v: float) -> str:
        if s.kind == "proportion":
            return fmt_pct(v)
        if s.kind == "count":
            return fmt_count(v)
        return f"{fmt_number(v)} {unit_label}" if unit_label else fmt_number(v)

    first, last = (Period.parse(m).month_name for m in (s.months[0], s.months[-1]))
    text = (
        f"Statistical process control chart of {title}, {first} to {last}: the monthly "
        "values with their mean and control limits."
    )
    finite = [i for i, v in enumerate(s.values) if math.isfinite(v)]
    if finite:
        i = finite[-1]
        kinds = s.point_types()
        words = ICON_LABELS.get(kinds[i], kinds[i]).lower()
        month = Period.parse(s.months[i]).month_name
        text += f" The latest month, {month}, is {figure(s.values[i])}: {words}."
        special = sum(k != "common_cause" for k in kinds)
        if special:
            text += (
                f" {special} of the {len(kinds)} months show"
                f"{'s' if special == 1 else ''} special cause variation."
            )
    return text


def render_svgs(specs: Sequence[dict[str, Any]], keys: Sequence[str] | None = None) -> list[str]:
    """SVG text of each spec. vl-convert renders on one worker, so threads would not help;
    no data may be fetched (``allowed_base_urls=[]``): every chart carries its own values.
    vl-convert numbers a chart's gradients and clip paths with a counter that runs on through
    the process; they are renamed after the chart's key (its position when no keys are given),
    so the same charts give the same SVG and ids stay unique within a page."""
    keys = list(keys) if keys is not None else [str(i) for i in range(len(specs))]
    return [_svg(json.dumps(s, sort_keys=True), k) for s, k in zip(specs, keys, strict=True)]


@lru_cache(maxsize=512)
def _svg(spec: str, key: str) -> str:
    """One chart's SVG, remembered: two editions of one report (Board and draft) draw the same
    charts, and vl-convert takes a fifth of a second a chart."""
    svg = vlc.vegalite_to_svg(json.loads(spec), vl_version=VL_VERSION, allowed_base_urls=[])
    return _stable_ids(svg, key)


_SVG_ID = re.compile(r"\b(gradient|clip)_(\d+)\b")


def _stable_ids(svg: str, key: str) -> str:
    seen: dict[str, str] = {}
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", key)

    def rename(m: re.Match) -> str:
        return seen.setdefault(m.group(0), f"{m.group(1)}-{prefix}-{len(seen)}")

    return _SVG_ID.sub(rename, svg)


def svgs_to_pngs(svgs: Sequence[str], scale: float = 2.0) -> list[bytes]:
    return [vlc.svg_to_png(s, scale=scale) for s in svgs]


# -- variation icons ------------------------------------------------------------------------------


def icon_letter(icon: str, direction: str | None) -> str:
    """'H' / 'L' for a special cause (the latest point is high / low); '' otherwise."""
    if icon in ("improvement", "concern", "neutral") and direction in ("high", "low"):
        return "H" if direction == "high" else "L"
    return ""


@cache
def icon_svg(icon: str, letter: str = "", size: int = 22) -> str:
    """A small Making Data Count style icon: a coloured disc, H/L for the side of a special
    cause (when known), a wave for common cause, a dash when not assessed."""
    colour = COLOURS.get(icon, COLOURS["none"])
    label = ICON_LABELS.get(icon, icon)
    if letter:
        mark = (
            f'<text x="12" y="16.2" text-anchor="middle" font-family="{FONT}" '
            f'font-weight="bold" font-size="12" fill="#FFFFFF">{letter}</text>'
        )
    elif icon == "common_cause":
        mark = (
            '<path d="M5 12 q 1.75 -4 3.5 0 t 3.5 0 t 3.5 0 t 3.5 0" fill="none" '
            'stroke="#FFFFFF" stroke-width="1.8"/>'
        )
    elif icon == "none":
        mark = '<path d="M7 12 h10" stroke="#FFFFFF" stroke-width="2"/>'
    else:
        mark = ""  # a special cause whose side is not known here: the colour alone
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 24 24" role="img" aria-label="{label}" class="icon icon-{icon}">'
        f"<title>{label}</title>"
        f'<circle cx="12" cy="12" r="11" fill="{colour}"/>{mark}</svg>'
    )


def icon_html(icon: str, letter: str = "") -> str:
    """The icon as a styled span (HTML and PDF): a coloured disc with H/L, ~ or a dash. Drawn
    by CSS rather than SVG because WeasyPrint lays out hundreds of small SVGs slowly."""
    icon = icon if icon in COLOURS else "none"
    label = ICON_LABELS.get(icon, icon)
    mark = letter or {"common_cause": "~", "none": "\u2013"}.get(icon, "\u00a0")
    return (
        f'<span class="icon icon-{icon}" role="img" aria-label="{label}" title="{label}">'
        f"{mark}</span>"
    )


@cache
def icon_png(icon: str, letter: str = "") -> bytes:
    return vlc.svg_to_png(icon_svg(icon, letter), scale=4)


# -- assurance icons ------------------------------------------------------------------------------


@cache
def assurance_svg(assurance: str, size: int = 22) -> str:
    """The Making Data Count assurance icon of ``MonthlySeries.assurance`` (or
    ``measure_results.spc_assurance``), drawn beside the variation icon: a ring in the
    assurance colour with P (consistently passes the target), F (consistently fails) or ?
    (hit and miss). "none" (no target, or trial limits) draws nothing: ""."""
    if assurance not in ASSURANCE_COLOURS:
        return ""
    colour = ASSURANCE_COLOURS[assurance]
    label = ASSURANCE_LABELS[assurance]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 24 24" role="img" aria-label="{label}" '
        f'class="assurance assurance-{assurance}"><title>{label}</title>'
        f'<circle cx="12" cy="12" r="10" fill="#FFFFFF" stroke="{colour}" stroke-width="2.5"/>'
        f'<text x="12" y="16.2" text-anchor="middle" font-family="{FONT}" font-weight="bold" '
        f'font-size="12" fill="{colour}">{ASSURANCE_LETTERS[assurance]}</text></svg>'
    )


@cache
def assurance_png(assurance: str) -> bytes:
    """``assurance_svg`` as PNG bytes (DOCX); b"" for "none"."""
    svg = assurance_svg(assurance)
    return vlc.svg_to_png(svg, scale=4) if svg else b""
