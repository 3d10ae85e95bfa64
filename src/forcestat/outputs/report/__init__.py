"""The Board report's writers: an assembled ``Report`` (``build.build_report``, from
measure_results, findings, series and commentary) -> charts -> HTML, PDF, DOCX.

What turns a store into a report (open, compute, find, hand to these writers) is
``forcestat.pipeline``. The same inputs give the same HTML, byte for byte, and PDF and DOCX files
with the same content (fixed dates and identifiers).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from forcestat.outputs.report.build import build_report
from forcestat.outputs.report.model import Report
from forcestat.outputs.report.sections import ExtraSection, ReportContext, SectionHook

FORMATS = ("html", "pdf", "docx")

__all__ = [
    "FORMATS",
    "ExtraSection",
    "ReportContext",
    "SectionHook",
    "Written",
    "build_report",
    "file_stem",
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


def file_stem(period: str, public: bool, edition: str = "board") -> str:
    """'performance-report-2020-03', with '-annex' / '-draft' and '-public' as they apply."""
    tail = "" if edition == "board" else f"-{edition}"
    return f"performance-report-{period}{tail}" + ("-public" if public else "")


def render_charts(report: Report, png: bool, detail: bool = True) -> None:
    """SVG (and, for PDF/DOCX, PNG) of every chart, in report order; ``detail=False`` leaves
    out the charts only the HTML's collapsed detail shows."""
    from forcestat.outputs import charts

    todo = [c for c in report.charts if detail or not c.detail]
    svgs = charts.render_svgs([c.spec for c in todo], [c.key for c in todo])
    for c, svg in zip(todo, svgs, strict=True):
        c.svg = svg
    if png:
        # 1.5x: ~135 dpi across the page width; 2x costs the PDF a third more time for little
        # visible gain. Charts of the HTML's collapsed detail never reach the PDF or DOCX.
        printed = [c for c in report.charts if not c.detail]
        pngs = charts.svgs_to_pngs([c.svg for c in printed], scale=1.5)
        for c, data in zip(printed, pngs, strict=True):
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
    stem = file_stem(report.period, report.public, report.edition)
    done = Written(report=report)
    t = time.perf_counter()
    if progress:
        progress("drawing charts")
    render_charts(report, png=bool({"pdf", "docx"} & set(formats)), detail="html" in formats)
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
