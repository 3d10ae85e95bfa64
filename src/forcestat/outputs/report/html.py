"""The report as one self-contained HTML file: CSS inline, charts and icons as inline SVG, no
script, no external resource. The same HTML is WeasyPrint's input for the PDF."""

from __future__ import annotations

import base64
from functools import cache
from importlib import resources

import jinja2
from markupsafe import Markup

from forcestat.outputs import charts
from forcestat.outputs.commentary import Commentary
from forcestat.outputs.report.model import Chart, Report

TEMPLATES = resources.files("forcestat.outputs") / "templates"
PAGE_BREAK_BEFORE = ("purpose",)


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(
        kind=lambda it: type(it).__name__,
        icon_html=lambda name, letter="": Markup(charts.icon_html(name or "none", letter or "")),
        assurance_html=lambda a: Markup(charts.assurance_svg(a or "none", size=16)),
        markdown=lambda c: Markup(c.html) if isinstance(c, Commentary) else "",
        icon_labels=[(k, v) for k, v in charts.ICON_LABELS.items()],
        assurance_labels=[(k, v) for k, v in charts.ASSURANCE_LABELS.items()],
        breaks=PAGE_BREAK_BEFORE,
    )
    return env


def _chart_svg(c: Chart) -> Markup:
    if not c.svg:
        raise ValueError(f"chart {c.key} was not rendered")
    # An accessible name for the chart; vl-convert's SVG carries none.
    label = str(Markup.escape(c.alt))
    return Markup(c.svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))


def _chart_png(c: Chart) -> Markup:
    if not c.png:
        raise ValueError(f"chart {c.key} has no PNG")
    data = base64.b64encode(c.png).decode("ascii")
    alt = str(Markup.escape(c.alt))
    return Markup(f'<img class="chart" alt="{alt}" src="data:image/png;base64,{data}">')


def css_string(text: str) -> str:
    """Text inside a CSS string literal (the PDF footer's margin box)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


CHART_SCHEME = "forcestat-chart:"


def _chart_link(c: Chart) -> Markup:
    alt = str(Markup.escape(c.alt))
    return Markup(f'<img class="chart" alt="{alt}" src="{CHART_SCHEME}{c.key}">')


def render_html(report: Report, *, charts_as: str = "svg") -> str:
    """The HTML text, charts inline as SVG (``charts_as="svg"``: the HTML edition), as PNG data
    (``"png"``) or as ``forcestat-chart:<key>`` links that ``pdf.render_pdf`` serves from
    memory (``"link"``). WeasyPrint draws a PNG in milliseconds and an SVG chart in a fifth of
    a second, and parses a page of base64 slowly, so the PDF uses links."""
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    footer = css_string(report.footer.text)
    for text in (css, footer):
        if "</" in text:
            raise ValueError("stylesheet text may not contain '</'")
    # Inside <style> entities are not decoded: the CSS goes in verbatim (Markup), not escaped.
    template = _env().get_template("report.html.j2")
    return template.render(
        report=report,
        css=Markup(css),
        footer_css=Markup(footer),
        chart_html={"svg": _chart_svg, "png": _chart_png, "link": _chart_link}[charts_as],
        # The collapsed detail is the HTML edition's; the PDF (charts as links) leaves it out.
        with_detail=charts_as == "svg",
    )
