"""The demo's Board edition read as a Board member gets it: the PDF (poppler's pdftotext, not our
own code), its length, what pages 1-2 hold, no placeholders, the breakdowns and quarter views it
must show, and a layout where no caption or table row is left alone on a page. Figures in the
executive summary are recomputed from the store with plain SQL."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import duckdb
import pytest

PLACEHOLDERS = (
    "No update has been provided",
    "No commentary yet",
    "Example analyst commentary",
    "example analyst commentary",
    "National and regional comparisons need",
)


@pytest.fixture(scope="module")
def paper(demo_store_path, demo_computed, tmp_path_factory):
    from forcestat.pipeline import make_report, open_store

    out = tmp_path_factory.mktemp("paper")
    st = open_store(demo_store_path)
    try:
        return make_report(
            st, demo_computed.period, out, computed=demo_computed, formats=("html", "pdf")
        )
    finally:
        st.close()


def pdf_pages(path: Path) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


@pytest.fixture(scope="module")
def pages(paper) -> list[str]:
    return pdf_pages(paper.paths["pdf"])


def _lines(page: str) -> list[str]:
    """A page's text lines without the running footer."""
    return [ln.strip() for ln in page.splitlines() if ln.strip() and "data snapshot" not in ln]


def test_the_board_edition_is_short(pages):
    assert 6 <= len(pages) <= 16, len(pages)


def test_pages_one_and_two_are_the_executive_summary(pages, paper):
    first = pages[0]
    assert "Police and Crime Plan Performance Report" in first
    assert "Executive summary" in first
    assert "Concerns" in first
    two = pages[0] + pages[1]
    for heading in ("Concerns", "Improvements", "Shifts in volume"):
        assert heading in two, heading
    # The summary fills pages 1-2 and the paper proper starts after it.
    assert "1 Purpose" not in pages[0]
    start = next(i for i, p in enumerate(pages) if re.search(r"^\s*1\s+Purpose", p, re.M))
    assert start in (1, 2)
    # Every line gives its period and links to the section with the detail.
    html = paper.paths["html"].read_text()
    summary = html.split('id="s-executive-summary"')[1].split('id="s-purpose"')[0]
    lines = re.findall(r"<li data-measure=\"([a-z0-9_]+)\">(.*?)</li>", summary, re.S)
    assert len(lines) >= 10
    for mid, line in lines:
        assert "the 12 months ending March 2020" in line, mid
        assert re.search(r'href="#m-[a-z0-9_]+">Section \d', line), mid


def test_no_placeholder_in_the_board_edition(pages):
    text = "\n".join(pages)
    for p in PLACEHOLDERS:
        assert p not in text, p


def test_satisfaction_by_crime_type_is_always_shown(pages):
    text = "\n".join(pages)
    assert "Victim satisfaction: overall service: by offence group" in text
    for group in ("Residential burglary", "Violence with injury"):
        assert group in text


def test_the_executive_summary_figures_come_from_the_records(paper, demo_store_path):
    """Domestic abuse crimes and the 101 abandonment rate, counted again from the store."""
    html = paper.paths["html"].read_text()
    con = duckdb.connect(demo_store_path, read_only=True)
    try:

        def count(sql: str, lo: str, hi: str) -> int:
            return con.execute(sql, [lo, hi]).fetchone()[0]

        da = (
            "SELECT count(*) FROM crimes WHERE domestic_abuse AND recorded_at >= ? "
            "AND recorded_at < ?"
        )
        now, before = count(da, "2019-04-01", "2020-04-01"), count(da, "2018-04-01", "2019-04-01")
        calls = (
            "SELECT count(*), count(*) FILTER (WHERE abandoned) FROM calls WHERE channel = '101' "
            "AND received_at >= ? AND received_at < ?"
        )
        n, abandoned = con.execute(calls, ["2019-04-01", "2020-04-01"]).fetchone()
    finally:
        con.close()
    summary = html.split('id="s-executive-summary"')[1].split('id="s-purpose"')[0]
    text = re.sub(r"<[^>]+>", "", summary)
    pct = (now - before) / before * 100
    assert f"Domestic abuse crimes: {now:,} in the 12 months ending March 2020" in text
    assert f"than {before:,} in the 12 months ending March 2019 (+{pct:.1f}%)" in text
    rate = f"{abandoned / n * 100:.1f}%"
    assert f"101 abandonment rate: {rate} (n = {n:,})" in text


def _captions(html: str) -> list[str]:
    html = re.sub(r'<details class="detail">.*?</details>', "", html, flags=re.S)
    return [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<caption>(.*?)</caption>", html, re.S)
    ]


def test_no_caption_is_left_at_the_foot_of_a_page(pages, paper):
    """Each table's caption has its header and first row on the same page."""
    captions = _captions(paper.paths["html"].read_text())
    assert captions
    for caption in captions:
        for k, page in enumerate(pages):
            lines = _lines(page)
            hits = [i for i, ln in enumerate(lines) if ln.startswith(caption[:60])]
            for i in hits:
                assert len(lines) - i >= 4, f"caption {caption!r} alone at the foot of page {k + 1}"


def test_no_table_row_is_left_alone_on_a_page(pages, paper):
    """Walking each table's rows through the pages in order: a page holds none or at least two
    of a table's rows (a lone first row at a page's foot, or a lone last row at its top, is
    what the layout must avoid)."""
    from htmlparse import parse

    html = paper.paths["html"].read_text()
    # The print edition leaves out the collapsed detail: only the tables the PDF has.
    html = re.sub(r'<details class="detail">.*?</details>', "", html, flags=re.S)
    page = parse(html)
    caption_of = dict(
        re.findall(r'<table class="[^"]*" id="([^"]+)">\s*<caption>(.*?)</caption>', html, re.S)
    )
    flat = [(k, ln) for k, p in enumerate(pages) for ln in _lines(p)]
    for table in page.tables:
        caption = re.sub(r"<[^>]+>", "", caption_of.get(table.id, "")).strip()
        if not caption:
            continue
        labels = [r.cells.get("unit") or r.cells.get("measure") for r in table.rows]
        labels = [lbl for lbl in labels if lbl]
        if len(labels) < 3:
            continue
        start = next((i for i, (_, ln) in enumerate(flat) if ln.startswith(caption[:60])), None)
        if start is None:
            continue
        found: dict[int, int] = {}
        i = start
        for label in labels:
            while i < len(flat) and not flat[i][1].startswith(label[:25]):
                i += 1
            if i == len(flat):
                break
            found[flat[i][0]] = found.get(flat[i][0], 0) + 1
        assert all(n >= 2 for n in found.values()), (caption, found)


def test_charts_have_alternative_text_with_their_latest_point(paper):
    html = paper.paths["html"].read_text()
    labels = re.findall(r'<svg role="img" aria-label="([^"]+)"', html)
    charts = [lbl for lbl in labels if lbl.startswith("Statistical process control chart of")]
    assert charts and any(lbl.startswith("Map of") for lbl in labels)
    for label in charts:
        # The chart's own latest month (a cohort rate's chart may end before the period).
        assert re.search(r"The latest month, [A-Z][a-z]+ 20\d\d, is ", label), label


def _struct(pdf: Path):
    """The tagged PDF's structure elements: (tag, alternative text) in document order."""
    import pypdf
    from pypdf.generic import ArrayObject, DictionaryObject

    reader = pypdf.PdfReader(str(pdf))
    root = reader.trailer["/Root"]
    out: list[tuple[str, str | None]] = []

    def walk(node) -> None:
        node = node.get_object()
        if isinstance(node, DictionaryObject):
            if "/S" in node:
                alt = node.get("/Alt")
                out.append((str(node["/S"]), None if alt is None else str(alt)))
            kids = node.get("/K")
            if kids is not None:
                walk(kids)
        elif isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)

    walk(root["/StructTreeRoot"])
    return root, out


def test_the_pdf_is_tagged_for_screen_readers(paper):
    """PDF/UA-1 as WeasyPrint writes it: the language, headings, tables with header cells, and
    every figure (the SPC charts) with its alternative text."""
    root, tags = _struct(paper.paths["pdf"])
    assert str(root["/Lang"]) == "en"
    assert root["/MarkInfo"]["/Marked"]
    names = {t for t, _ in tags}
    assert {"/H1", "/Table", "/TH", "/TD", "/Caption"} <= names
    figures = [alt for t, alt in tags if t == "/Figure"]
    assert figures and all(alt and len(alt) > 40 for alt in figures)
    charts = [alt for alt in figures if alt.startswith("Statistical process control chart of")]
    assert charts and all("The latest month" in alt for alt in charts)
    assert any(alt.startswith("Map of") for alt in figures)


def test_the_assurance_icon_reads_the_target_against_the_limits(paper, demo_store_path):
    """Victims Code compliance has a target (80%): its assurance icon beside the variation icon
    says pass, fail or hit-and-miss from where the target lies against the latest process
    limits (Making Data Count), read here from the monthly series the chart draws."""
    from forcestat.engine.series import monthly_series
    from forcestat.pipeline import load_framework, open_store

    fw = load_framework(None)
    target = fw.measure("victims_code_compliance").target
    st = open_store(demo_store_path)
    try:
        s = monthly_series(st, fw, "2020-03", measures=["victims_code_compliance"])
    finally:
        st.close()
    (series,) = s.values()
    lcl, ucl = series.lcl[-1], series.ucl[-1]
    want = (
        "consistent_pass"
        if target <= lcl
        else "consistent_fail"
        if target > ucl
        else ("inconsistent")
    )
    html = paper.paths["html"].read_text()
    # Its home is a plan objective: its line in section 6 carries both icons.
    line = re.search(
        r'<div class="measure-line" id="m-victims_code_compliance">.*?</div>', html, re.S
    )
    assert line is not None
    assert f'class="assurance assurance-{want}"' in line.group(0)
