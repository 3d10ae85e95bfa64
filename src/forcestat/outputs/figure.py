"""A drawn figure (map or small multiples) as the report writers take a chart: a Vega-Lite spec
with its key, caption and alternative text, rendered offline by vl-convert like the SPC charts.

The fields ``key, spec, caption, alt, svg, png`` are those of the report's ``Chart``, so a
``Figure`` renders wherever a ``Chart`` does; ``notes`` say what the figure could not show
(districts without an outline, locations without coordinates) for the text around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from forcestat.outputs import charts


@dataclass
class Figure:
    key: str
    spec: dict[str, Any]
    caption: str
    alt: str
    notes: tuple[str, ...] = ()
    source: str = ""  # attribution the figure carries (also drawn inside it)
    svg: str = ""
    png: bytes = b""
    detail: bool = False  # as ``Chart.detail``: only in the HTML's collapsed detail

    def render(self, png: bool = False, scale: float = 1.5) -> Figure:
        """Fill ``svg`` (and ``png``) as the report's ``render_charts`` does."""
        (self.svg,) = charts.render_svgs([self.spec], [self.key])
        if png:
            (self.png,) = charts.svgs_to_pngs([self.svg], scale=scale)
        return self


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:60] or "figure"


def format_value(value: float, fmt: str) -> str:
    """``value`` in the Python format ``fmt``; the same text is handed to Vega's d3-format for
    legends, so ``fmt`` must mean the same in both (",.1f", ",d", ".0%": the common subset)."""
    return format(value, fmt)


def check_format(fmt: str) -> None:
    try:
        format(1234.5, fmt)
    except ValueError as e:
        raise ValueError(f"fmt {fmt!r} is not a number format (e.g. ',.1f'): {e}") from None
    if not re.fullmatch(r"[<>=^]?[-+ ]?0?\d*,?(\.\d+)?[defg%]?", fmt):
        raise ValueError(f"fmt {fmt!r}: use a format Python and d3-format read alike, e.g. ',.1f'")


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
