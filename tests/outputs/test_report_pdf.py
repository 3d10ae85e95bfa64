"""The PDF edition: it renders, its pages can be counted and its text read by two independent
readers (pypdf and poppler's pdftotext), with the summary table and house-style sentences."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_report_html import pct  # noqa: E402


def _pages_text(path: Path) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    pages = []
    for page in reader.pages:
        lines = (page.extract_text() or "").splitlines()
        # Drop the running footer (margin boxes) so sentences read across page breaks.
        lines = [ln for ln in lines if "data snapshot" not in ln and not ln.startswith("Page ")]
        pages.append(" ".join(lines))
    return len(reader.pages), " ".join(" ".join(pages).split())


def test_pdf_renders_pages_and_text(board, results, framework):
    path = board.paths["pdf"]
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    n, text = _pages_text(path)
    assert 10 <= n <= 120, n
    assert "Summary of performance" in text
    assert "Compared with previous year" in text and "Variation (SPC)" in text
    for m in framework.measures[:5]:
        assert m.title in text, m.title
    row = results[
        (results.measure_id == "victim_satisfaction_overall")
        & (results.breakdown == "force")
        & (results.window == "12m")
    ].iloc[0]
    k = math.floor(row["n"])
    base = f"(n = {k:,})" if k >= 100 else f"(treat with caution, n = {k:,})"
    assert (
        f"{pct(row['value'])}% of the victims of crime surveyed in the 12 months ending March "
        f"2020 were at least fairly satisfied with overall service delivery {base}."
    ) in text
    assert "For the Board to note the contents of this report." in text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_pages_and_footer_by_poppler(board, store, framework):
    path = board.paths["pdf"]
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    from pypdf import PdfReader

    assert pages == len(PdfReader(str(path)).pages)
    text = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The running footer (a page margin box) is on every page, with its font.
    assert f"data snapshot {store.snapshot_hash()}" in text
    assert f"framework {framework.hash}" in text
    assert f"Page 2 of {pages}" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert "DejaVu-Sans" in fonts and "Serif" not in fonts  # the stylesheet applied


def test_pdf_same_inputs_same_bytes():
    """Two renderings of the same report give the same file (fixed identifier, no dates).
    A one-measure report keeps this quick; the mechanism is the same for any size."""
    from test_public import AREAS, TINY, _tiny_results

    from forcestat.framework import loads_framework
    from forcestat.outputs.report import build_report
    from forcestat.outputs.report.html import render_html
    from forcestat.outputs.report.pdf import render_pdf

    def once() -> bytes:
        report = build_report(
            _tiny_results(), loads_framework(TINY), "2020-03", areas=AREAS, edition="annex"
        )
        return render_pdf(render_html(report, charts_as="link"), {})

    first = once()
    assert first.startswith(b"%PDF-") and first == once()
