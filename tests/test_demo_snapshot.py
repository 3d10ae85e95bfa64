"""The demo Board report's HTML, kept as a committed snapshot (tests/snapshots/) so that any
change in what the report says or shows is a reviewable diff.

Charts are left as links (their SVG is vl-convert's, not ours); every figure, sentence, table
and icon is in the snapshot. When a change to the report is meant, regenerate it and review the
diff:

    FORCESTAT_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_demo_snapshot.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "demo-report-2020-03.html"


@pytest.fixture(scope="module")
def demo_html(demo_store_path, demo_computed, tmp_path_factory) -> str:
    """The demo's report exactly as ``forcestat demo`` builds it (same store, seed, period), in
    the Board edition, rendered with charts as links."""
    from forcestat.outputs.report.html import render_html
    from forcestat.pipeline import assemble_report, open_store

    st = open_store(demo_store_path)
    try:
        report, _, _ = assemble_report(st, demo_computed.period, computed=demo_computed)
    finally:
        st.close()
    return render_html(report, charts_as="link")


@pytest.mark.slow
def test_demo_report_matches_its_snapshot(demo_html):
    if os.environ.get("FORCESTAT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(demo_html, encoding="utf-8")
    want = SNAPSHOT.read_text(encoding="utf-8")
    if demo_html != want:
        diff = difflib.unified_diff(
            want.splitlines(), demo_html.splitlines(), "snapshot", "now", lineterm="", n=1
        )
        shown = "\n".join(list(diff)[:80])
        pytest.fail(
            "the demo report changed; if that is meant, regenerate the snapshot "
            f"(see this file's docstring) and review its diff:\n{shown}"
        )
