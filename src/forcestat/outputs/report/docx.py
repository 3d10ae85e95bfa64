"""DOCX through python-docx: real Word heading styles (Heading 1-4), real tables, charts as PNG.

Analysts often finish a Board paper in Word, so the document uses the built-in styles (the
navigation pane and a table of contents work) rather than formatted text that looks like a
heading. The file is deterministic: fixed document dates, and zip entries written with a fixed
timestamp, so the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from forcestat.outputs import charts
from forcestat.outputs.commentary import Commentary
from forcestat.outputs.report.model import (
    Figures,
    Highlights,
    MeasureBlock,
    MeasureLine,
    MeasureRef,
    Paragraph,
    Placeholder,
    Quote,
    Report,
    Section,
    Table,
)
from forcestat.period import Period

ACCENT = RGBColor(0x00, 0x30, 0x87)
MUTED = RGBColor(0x6B, 0x6B, 0x6B)
VERDICT_COLOURS = {"better": RGBColor(0x00, 0x70, 0x3C), "worse": RGBColor(0xB3, 0x26, 0x1E)}
NUMERIC = ("value", "base", "previous")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _fixed_date(period: str) -> dt.datetime:
    """The first day after the period: when data to that month can first be reported."""
    after = Period.parse(period).shift(1)
    return dt.datetime(after.year, after.month, 1, tzinfo=dt.UTC)


def _heading(doc, text: str, level: int) -> None:
    doc.add_heading(text, level=min(level, 9))


def _para(doc, text: str = "", style: str | None = None, italic: bool = False, colour=None):
    p = doc.add_paragraph(style=style)
    if text:
        run = p.add_run(text)
        run.italic = italic
        if colour is not None:
            run.font.color.rgb = colour
    return p


def _icon(paragraph, icon: str, letter: str) -> None:
    run = paragraph.add_run()
    pic = run.add_picture(io.BytesIO(charts.icon_png(icon or "none", letter or "")), width=Cm(0.32))
    _alt_text(pic, charts.ICON_LABELS.get(icon or "none", icon or "none"))
    paragraph.add_run(" ")


def _dot(paragraph, icon: str, letter: str) -> None:
    """A table's variation icon as a coloured disc character (a picture per cell would make
    a Word file of hundreds of images that opens and saves slowly)."""
    colour = charts.COLOURS.get(icon, charts.COLOURS["none"]).lstrip("#")
    run = paragraph.add_run("\u25cf")
    run.font.size = Pt(9)
    run.font.color.rgb = RGBColor.from_string(colour.upper())
    tail = f" {letter} " if letter else " "
    small = paragraph.add_run(tail)
    small.font.size = Pt(7)
    small.bold = True


def _shade(cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    props.append(shd)


def _table(doc, t: Table) -> None:
    cap = _para(doc, t.caption, style="Caption")
    cap.paragraph_format.keep_with_next = True
    width = len(t.header)
    table = doc.add_table(rows=1 + len(t.rows), cols=width)  # add_row() is slow: all at once
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for cell, text, col in zip(table.rows[0].cells, t.header, t.cols, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(8)
        if col in NUMERIC:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    rows = list(table.rows)
    _repeat_header(rows[0])
    for row, r in zip(rows[1:], t.rows, strict=True):
        cells = row.cells
        if r.level == "group":
            merged = cells[0].merge(cells[-1])
            run = merged.paragraphs[0].add_run(r.cells[0].text)
            run.bold = True
            run.font.size = Pt(8)
            run.font.color.rgb = ACCENT
            _shade(merged, "F2F4F7")
            continue
        for cell, c in zip(cells, r.cells, strict=False):
            p = cell.paragraphs[0]
            if c.icon:
                _dot(p, c.icon, c.letter)
            if c.assurance:
                mark = p.add_run(f"{charts.ASSURANCE_LETTERS[c.assurance]} ")
                mark.bold = True
                mark.font.size = Pt(7)
                colour = charts.ASSURANCE_COLOURS[c.assurance].lstrip("#").upper()
                mark.font.color.rgb = RGBColor.from_string(colour)
            text = c.text
            if c.col == "unit" and r.level == "district":
                text = "\u2003" + text  # indent districts under their area
            run = p.add_run(text)
            run.font.size = Pt(8)
            run.bold = r.level == "force" or c.cls in ("better", "worse")
            run.italic = c.cls in ("muted", "hidden", "num caution")
            if c.cls in VERDICT_COLOURS:
                run.font.color.rgb = VERDICT_COLOURS[c.cls]
            elif c.cls in ("muted", "hidden"):
                run.font.color.rgb = MUTED
            if c.col in NUMERIC:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if r.level == "force":
                _shade(cell, "F2F4F7")
    for note in t.notes:
        p = _para(doc, note, italic=True, colour=MUTED)
        p.runs[0].font.size = Pt(7.5)


def _repeat_header(row) -> None:
    props = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    props.append(el)


def _commentary(doc, c: Commentary) -> None:
    label = _para(doc, "Analyst commentary", colour=MUTED)
    label.runs[0].font.size = Pt(7.5)
    label.runs[0].bold = True
    for b in c.blocks:
        style = {
            "bullet": "List Bullet",
            "number": "List Number",
            "quote": "Quote",
        }.get(b.kind)
        if b.kind == "heading":
            p = doc.add_paragraph()
            for r in b.runs:
                run = p.add_run(r.text)
                run.bold = True
            continue
        p = doc.add_paragraph(style=style)
        for r in b.runs:
            run = p.add_run(r.text)
            run.bold = r.bold
            run.italic = r.italic
            if r.href and r.href != r.text:
                p.add_run(f" ({r.href})")


def _measure(doc, b: MeasureBlock) -> None:
    # The heading's text is the title alone (a screen reader's outline, Word's navigation
    # pane); the variation icon follows it.
    h = doc.add_heading(b.title, level=4)
    h.add_run(" ")
    _icon(h, b.icon, b.letter)
    if b.assurance:
        pic = h.add_run().add_picture(io.BytesIO(charts.assurance_png(b.assurance)), width=Cm(0.32))
        _alt_text(pic, charts.ASSURANCE_LABELS[b.assurance])
    for sentences in b.paragraphs:
        _para(doc, " ".join(sentences))
    if b.chart is not None:
        if not b.chart.png:
            raise ValueError(f"chart {b.chart.key} has no PNG")
        doc.add_picture(io.BytesIO(b.chart.png), width=Cm(16.5))
        _alt_text(doc.inline_shapes[-1], b.chart.alt)
        doc.paragraphs[-1].paragraph_format.keep_with_next = True
        cap = _para(doc, b.chart.caption, style="Caption")
        cap.paragraph_format.keep_with_next = b.table is not None
    elif b.chart_note:
        _para(doc, b.chart_note, italic=True, colour=MUTED)
    for t in ([b.table] if b.table is not None else []) + list(b.breakdowns):
        _table(doc, t)
    if b.commentary is not None:
        _commentary(doc, b.commentary)


def _alt_text(shape, text: str) -> None:
    """Word's alternative text of a picture (the drawing's docPr ``descr``)."""
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", text)
    doc_pr.set("title", text.split(":")[0])


def _section(doc, s: Section) -> None:
    _heading(doc, f"{s.number} {s.title}" if s.number else s.title, min(s.depth, 3))
    for it in s.items:
        if isinstance(it, Highlights):
            for title, lines in it.groups:
                _heading(doc, title, 3)
                for hl in lines:
                    p = doc.add_paragraph(style="List Bullet")
                    _icon(p, hl.icon, hl.letter)
                    p.add_run(f"{hl.text} Section {hl.where}.")
        elif isinstance(it, Figures):
            for c in it.charts:
                if not c.png:
                    raise ValueError(f"figure {c.key} has no PNG")
                wide = Cm(12 if c.key.startswith("map") else 16.5)
                doc.add_picture(io.BytesIO(c.png), width=wide)
                _alt_text(doc.inline_shapes[-1], c.alt)
                doc.paragraphs[-1].paragraph_format.keep_with_next = True
                _para(doc, c.caption, style="Caption")
        elif isinstance(it, MeasureLine):
            p = doc.add_paragraph()
            _icon(p, it.icon, it.letter)
            if it.assurance:
                pic = p.add_run().add_picture(
                    io.BytesIO(charts.assurance_png(it.assurance)), width=Cm(0.32)
                )
                _alt_text(pic, charts.ASSURANCE_LABELS[it.assurance])
                p.add_run(" ")
            p.add_run(f"{it.title}. ").bold = True
            p.add_run(it.text)
        elif isinstance(it, Paragraph):
            _para(doc, f"{it.number}\t{it.text}" if it.number else it.text)
        elif isinstance(it, Placeholder):
            _para(doc, it.text, italic=True, colour=MUTED)
        elif isinstance(it, Quote):
            p = doc.add_paragraph()
            p.add_run(f"{it.number}\t")
            p.add_run(f"\u2018{it.text}\u2019").italic = True
        elif isinstance(it, Commentary):
            _commentary(doc, it)
        elif isinstance(it, MeasureRef):
            p = doc.add_paragraph()
            p.add_run(f"{it.title}. ").bold = True
            p.add_run(f"{it.lead} See section {it.where}.".lstrip())
        elif isinstance(it, MeasureBlock):
            _measure(doc, it)
        elif isinstance(it, Table):
            _table(doc, it)
    for c in s.children:
        _section(doc, c)


def _footer(doc, text: str) -> None:
    sec = doc.sections[0]
    p = sec.footer.paragraphs[0]
    run = p.add_run(text + " \u00b7 page ")
    run.font.size = Pt(7)
    run.font.color.rgb = MUTED
    _field(p, "PAGE")


def _field(paragraph, code: str) -> None:
    run = paragraph.add_run()
    run.font.size = Pt(7)
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = code
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(begin)
    run._r.append(instr)
    run._r.append(end)


def render_docx(report: Report, path: Path | None = None) -> bytes:
    """The DOCX bytes (charts must carry PNGs)."""
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(1.8)
    sec.top_margin, sec.bottom_margin = Cm(1.6), Cm(1.8)
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)

    props = doc.core_properties
    props.title = f"{report.title}: {report.subtitle}"
    props.subject = report.footer.text
    props.author = f"forcestat {report.footer.version}"
    props.last_modified_by = props.author
    props.created = props.modified = _fixed_date(report.period)
    props.revision = 1

    doc.add_heading(report.title, level=0)
    _para(doc, report.subtitle, style="Subtitle")
    for label, value in report.meta:
        p = doc.add_paragraph()
        p.add_run(f"{label}: ").bold = True
        p.add_run(value)
    for s in report.sections:
        _section(doc, s)
    _para(doc, report.footer.text, italic=True, colour=MUTED)
    _footer(doc, report.footer.text)

    buf = io.BytesIO()
    doc.save(buf)
    data = _stable_zip(buf.getvalue())
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _stable_zip(data: bytes) -> bytes:
    """The same archive with every entry's timestamp fixed, in the same order."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()
