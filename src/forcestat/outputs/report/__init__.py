"""The Board report: measure_results + framework + findings + commentary -> HTML, PDF, DOCX.

``make_report`` is the whole pipeline behind ``forcestat report``: evaluate the framework on the
store (``engine.compute``), take the monthly series behind each SPC signal
(``engine.series.monthly_series``), assemble the report (``build.build_report``), draw the
charts and write the formats asked for. The same inputs give the same HTML, byte for byte, and
PDF and DOCX files with the same content (fixed dates and identifiers).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forcestat.outputs.report.build import build_report
from forcestat.outputs.report.model import Report
from forcestat.outputs.report.sections import (
    SECTION_HOOKS,
    ExtraSection,
    ReportContext,
    register_section_hook,
)

FORMATS = ("html", "pdf", "docx")

__all__ = [
    "FORMATS",
    "SECTION_HOOKS",
    "ExtraSection",
    "ReportContext",
    "Written",
    "build_report",
    "make_report",
    "register_section_hook",
    "render_charts",
    "write_report",
]

Progress = Callable[[str], None]


@dataclass
class Written:
    paths: dict[str, Path] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    unused_commentary: list[Path] = field(default_factory=list)
    report: Report | None = None


def file_stem(period: str, public: bool) -> str:
    return f"performance-report-{period}" + ("-public" if public else "")


def render_charts(report: Report, png: bool) -> None:
    """SVG (and, for PDF/DOCX, PNG) of every chart, in report order."""
    from forcestat.outputs import charts

    svgs = charts.render_svgs([c.spec for c in report.charts])
    for c, svg in zip(report.charts, svgs, strict=True):
        c.svg = svg
    if png:
        # 1.5x: ~135 dpi across the page width; 2x costs the PDF a third more time for little
        # visible gain.
        for c, data in zip(report.charts, charts.svgs_to_pngs(svgs, scale=1.5), strict=True):
            c.png = data


def _pdf_child(html: str, images: dict[str, bytes], path: str) -> None:
    from forcestat.outputs.report.pdf import render_pdf

    render_pdf(html, images, Path(path))


def write_report(
    report: Report,
    out_dir: Path,
    formats: Sequence[str] = FORMATS,
    *,
    progress: Progress | None = None,
) -> Written:
    """Render charts and write each format into ``out_dir``. The PDF (the slowest) is laid out
    in a forked process while this one writes the HTML and DOCX."""
    from forcestat.outputs.report.html import render_html

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(unknown)}; use {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = file_stem(report.period, report.public)
    done = Written(report=report)
    t = time.perf_counter()
    if progress:
        progress("drawing charts")
    render_charts(report, png=bool({"pdf", "docx"} & set(formats)))
    done.seconds["charts"] = time.perf_counter() - t

    child = None
    if "pdf" in formats:
        t = time.perf_counter()
        path = out_dir / f"{stem}.pdf"
        html = render_html(report, charts_as="link")
        images = {c.key: c.png for c in report.charts}
        if progress:
            progress("laying out the PDF")
        if "fork" in mp.get_all_start_methods() and (os.cpu_count() or 1) > 1:
            import weasyprint  # noqa: F401  (loaded once, before the fork)

            child = mp.get_context("fork").Process(
                target=_pdf_child, args=(html, images, str(path)), daemon=True
            )
            child.start()
        else:
            _pdf_child(html, images, str(path))
            done.seconds["pdf"] = time.perf_counter() - t
        done.paths["pdf"] = path
        t_pdf = t
    if "html" in formats:
        t = time.perf_counter()
        path = out_dir / f"{stem}.html"
        path.write_text(render_html(report, charts_as="svg"), encoding="utf-8")
        done.paths["html"] = path
        done.seconds["html"] = time.perf_counter() - t
    if "docx" in formats:
        from forcestat.outputs.report.docx import render_docx

        t = time.perf_counter()
        if progress:
            progress("writing the DOCX")
        path = out_dir / f"{stem}.docx"
        render_docx(report, path)
        done.paths["docx"] = path
        done.seconds["docx"] = time.perf_counter() - t
    if child is not None:
        child.join()
        if child.exitcode != 0:
            raise RuntimeError(f"PDF rendering failed (exit code {child.exitcode})")
        done.seconds["pdf"] = time.perf_counter() - t_pdf
    done.paths = {k: done.paths[k] for k in FORMATS if k in done.paths}
    return done


def make_report(
    store: Any,
    period: str,
    out_dir: Path,
    *,
    framework: Any = None,
    commentary_dir: Path | None = None,
    formats: Sequence[str] = FORMATS,
    public: bool = False,
    results: Any = None,
    progress: Progress | None = None,
) -> Written:
    """Evaluate, assemble and write the report of ``period`` for a store (a ``Store`` or a
    store URL). ``results`` (measure_results) skips the evaluation when the caller has it."""
    from forcestat.engine import compute
    from forcestat.engine.availability import unavailable_measures
    from forcestat.engine.rollup import Geography
    from forcestat.engine.series import monthly_series
    from forcestat.framework import load_framework
    from forcestat.outputs.commentary import load_commentary
    from forcestat.store.national_section import register as register_national_context
    from forcestat.store.store import open_store

    register_national_context()  # section 4.2 when the store holds the Home Office tables
    fw = framework if framework is not None else load_framework(None)
    commentary = load_commentary(commentary_dir, period)
    st = open_store(store, read_only=True) if isinstance(store, str | Path) else store
    # Measures the data cannot support are listed, not reported as zeros or empty charts.
    duck = getattr(st, "duck", None) if getattr(st, "is_duckdb", False) else None
    missing = unavailable_measures(duck, fw) if duck is not None else {}
    full, fw = fw, fw.without(set(missing))
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    if results is None:
        if progress:
            progress("evaluating measures")
        results = compute(st, fw, period)
    seconds["measures"] = time.perf_counter() - t
    t = time.perf_counter()
    if progress:
        progress("reading monthly series")
    # Force-level series draw the charts; districts' icons read their letters from polarity.
    series = monthly_series(st, fw, period, breakdowns=("force",))
    areas = Geography.load(getattr(st, "ibis", st)).area
    seconds["series"] = time.perf_counter() - t
    t = time.perf_counter()
    report = build_report(
        results,
        fw,
        period,
        series=series,
        areas=areas,
        commentary=commentary,
        public_edition=public,
        snapshot=_snapshot(st),
        store=st,
        hooks=[*SECTION_HOOKS, not_available_hook(full, missing)] if missing else None,
    )
    seconds["assemble"] = time.perf_counter() - t
    written = write_report(report, out_dir, formats, progress=progress)
    written.seconds = {**seconds, **written.seconds}
    written.unused_commentary = commentary.unused()
    return written


def not_available_hook(fw: Any, missing: dict[str, str]):
    """Report section hook: an appendix naming each measure the data cannot support, and why."""
    from forcestat.outputs.report.model import Paragraph, Section
    from forcestat.outputs.report.sections import ExtraSection

    def hook(ctx: Any) -> list:
        items = [
            Paragraph(
                f"{len(missing)} of the framework's {len(fw.measures)} measures are not "
                "available from the data in this store, so they are left out of the report "
                "rather than shown as zeros or empty charts:"
            )
        ]
        items += [Paragraph(f"{m.title}: {missing[m.id]}.") for m in fw.measures if m.id in missing]
        return [
            ExtraSection(
                "appendix",
                Section("not-available", "", "Measures not available from this data", items),
            )
        ]

    return hook


def _snapshot(st: Any) -> str:
    try:
        return st.snapshot_hash()
    except Exception:  # noqa: BLE001 - a store without load bookkeeping (e.g. a plain backend)
        return "unknown"
