"""The rendered public edition audited as a reader can (``edition_audit``: every table, the
labels, whole numbers, every published total, counts printed under two names): no "fewer than
5" narrower than 1-4, no other hidden cell pinned to one value, no cell hidden in one table and
printed in another, and no hidden figure anywhere in the text (HTML and PDF). On the small
store of the report tests, on the demo (March 2020) and on a one-year store (May 2019, where
the financial year to date is two months)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from edition_audit import audit_edition, hidden_figures, numbers  # noqa: E402
from htmlparse import integer, parse  # noqa: E402

from conftest import PERIOD  # noqa: E402

# Numbers the report's own wording uses whatever the data: months in a year and in the
# long-term benchmark, SPC's 13 points, 24 hours, the 95% level, bases of 50 and 100.
WORDING = {12, 13, 24, 36, 50, 95, 100}


def _assert_audit_passes(html, results, framework, period, at_least=1):
    found = audit_edition(html, results, framework, period)
    assert found.crossed == [], found.crossed[:5]
    assert found.narrow == [], found.narrow[:5]
    assert found.hidden >= at_least, "the edition hides almost nothing: the test proves little"
    assert found.identities_checked > 0 and found.equations > 0
    return found


def _distinctive(hidden: set[int], html: str, framework) -> set[int]:
    """Hidden figures that could not appear in the text for another reason: not printed as
    any shown figure of any table, not a year, not the wording's own numbers (the framework's
    count of measures: "N of the 77 measures have something to report"), not tiny."""
    page = parse(html)
    shown = {
        integer(text)
        for t in page.tables
        for r in t.rows
        for text in r.cells.values()
        if integer(text) is not None
    }
    wording = WORDING | {len(framework.measures)}
    return {v for v in hidden if v >= 10 and v not in shown | wording and not 1990 <= v <= 2100}


# -- the small store (session fixtures of the report tests) ----------------------------------------


def test_public_edition_passes_a_readers_audit(public, results, framework):
    html = public.paths["html"].read_text(encoding="utf-8")
    _assert_audit_passes(html, results, framework, PERIOD, at_least=3)


def test_no_hidden_figure_in_the_public_text(public, board, results, framework):
    from pypdf import PdfReader

    html = public.paths["html"].read_text(encoding="utf-8")
    hidden = _distinctive(hidden_figures(public.results, results), html, framework)
    assert len(hidden) >= 5, "too few hidden figures to test"
    in_html = numbers(parse(html).text)
    pdf = PdfReader(str(public.paths["pdf"]))
    pages = len(pdf.pages)
    in_pdf = numbers(" ".join(p.extract_text() for p in pdf.pages)) - set(range(pages + 1))
    assert hidden & in_html == set()
    assert hidden & in_pdf == set()
    # The same figures are in the Board edition's text: the check can fail.
    board_text = numbers(parse(board.paths["html"].read_text(encoding="utf-8")).text)
    assert hidden & board_text


# -- the demo and a one-year store -----------------------------------------------------------------


def _edition(store_path, computed, framework=None):
    """The public annex edition's HTML (charts as links) and the results behind it."""
    from forcestat.outputs.report.html import render_html
    from forcestat.pipeline import assemble_report, open_store

    st = open_store(store_path)
    try:
        report, _, _ = assemble_report(
            st, computed.period, computed=computed, public=True, edition="annex"
        )
    finally:
        st.close()
    return render_html(report, charts_as="link")


@pytest.mark.slow
def test_demo_public_edition_passes_a_readers_audit(demo_store_path, demo_computed):
    html = _edition(demo_store_path, demo_computed)
    found = _assert_audit_passes(
        html, demo_computed.results, demo_computed.framework, "2020-03", at_least=5
    )
    assert found.cells > 500


@pytest.fixture(scope="module")
def one_year(tmp_path_factory):
    """``forcestat synth --years 1 --end 2019-05`` and its measure_results for May 2019."""
    from forcestat.period import Period
    from forcestat.pipeline import compute, load_framework, open_store
    from forcestat.synth.run import run

    path = tmp_path_factory.mktemp("one-year") / "one-year.duckdb"
    run(store=str(path), end="2019-05", years=1, seed=1, forces=1, out=None)
    st = open_store(str(path))
    try:
        computed = compute(st, load_framework(None), Period(2019, 5))
    finally:
        st.close()
    return str(path), computed


@pytest.mark.slow
def test_one_year_public_edition_passes_a_readers_audit(one_year):
    from forcestat.engine.public import public_results

    path, computed = one_year
    html = _edition(path, computed)
    _assert_audit_passes(html, computed.results, computed.framework, "2019-05", at_least=5)
    # The financial year to date (two months) is in the edition too: every hidden count of
    # it keeps its range (the frame, as the API serves it).
    public = public_results(computed.results, computed.framework, _areas(path))
    fytd = public[public["window"] == "fytd"]
    assert (fytd["disclosure"] == "primary").sum() > 0
    hidden = _distinctive(hidden_figures(public, computed.results), html, computed.framework)
    assert hidden & numbers(parse(html).text) == set()


def _areas(path):
    from forcestat.engine.rollup import Geography
    from forcestat.pipeline import open_store

    st = open_store(path)
    try:
        return Geography.load(st.ibis).area
    finally:
        st.close()
