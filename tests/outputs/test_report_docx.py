"""The DOCX edition: Word's own Heading styles and real tables, read back with python-docx and
checked again in the raw WordprocessingML."""

from __future__ import annotations

import re
import zipfile


def test_docx_headings_are_word_headings(board):
    import docx

    doc = docx.Document(str(board.paths["docx"]))
    styles = [
        (p.style.name, p.text)
        for p in doc.paragraphs
        if p.style.name.startswith(("Heading", "Title"))
    ]
    names = {s for s, _ in styles}
    assert {"Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4"} <= names
    h1 = [t for s, t in styles if s == "Heading 1"]
    assert h1 == [
        "Executive summary",
        "1 Purpose",
        "2 Recommendation",
        "3 Background",
        "4 Performance updates",
        "5 Priority updates",
        "6 Plan objectives",
        "7 Recommendation",
    ]
    assert "5.1 Domestic Abuse" in [t for s, t in styles if s == "Heading 2"]
    # A heading's text is the title itself, never a leading space (the icon follows it).
    h4 = [t for s, t in styles if s == "Heading 4"]
    assert "Victim satisfaction: overall service" in [t.strip() for t in h4]
    assert all(t == t.lstrip() for t, _ in [(t, s) for s, t in styles])


def test_docx_has_real_tables(board, framework):
    import docx

    doc = docx.Document(str(board.paths["docx"]))
    summary = doc.tables[0]
    assert [c.text for c in summary.rows[0].cells] == [
        "Measure",
        "Latest",
        "Base (n)",
        "Compared with previous year",
        "Variation (SPC)",
    ]
    titles = {row.cells[0].text for row in summary.rows[1:]}
    assert {m.title for m in framework.measures} <= titles
    district_tables = [t for t in doc.tables[1:] if t.rows[0].cells[0].text == "Area / district"]
    assert len(district_tables) >= 20
    assert any("Fenland" in c.text for t in district_tables for c in t.columns[0].cells)
    # Independently of python-docx: the XML has Heading1 paragraphs, tables and pictures.
    with zipfile.ZipFile(board.paths["docx"]) as z:
        xml = z.read("word/document.xml").decode("utf-8")
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    assert len(re.findall(r'<w:pStyle w:val="Heading1"/>', xml)) == 8
    assert xml.count("<w:tbl>") == len(doc.tables)
    assert len(media) >= 20  # SPC charts as PNG


def test_docx_commentary_and_footer(board, store):
    import docx

    doc = docx.Document(str(board.paths["docx"]))
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "ALPHA-7" in body and "DELTA-9" in body and "FOXTROT-1" not in body
    footer = doc.sections[0].footer.paragraphs[0].text
    assert f"data snapshot {store.snapshot_hash()}" in footer


def test_docx_same_inputs_same_bytes():
    """Two renderings of the same report give the same bytes (fixed dates and zip times)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_public import AREAS, TINY, _tiny_results

    from forcestat.framework import loads_framework
    from forcestat.outputs.report import build_report
    from forcestat.outputs.report.docx import render_docx

    def once() -> bytes:
        return render_docx(
            build_report(
                _tiny_results(), loads_framework(TINY), "2020-03", areas=AREAS, edition="annex"
            )
        )

    assert once() == once()


def test_every_picture_has_alternative_text(board):
    """Charts say what they show and their latest point; icons say which variation they mark
    (Word's alternative text, read by screen readers)."""
    import docx

    doc = docx.Document(str(board.paths["docx"]))
    shapes = list(doc.inline_shapes)
    assert shapes
    alts = [s._inline.docPr.get("descr") for s in shapes]
    assert all(alts), sum(not a for a in alts)
    assert any(a.startswith("Statistical process control chart of") for a in alts)
