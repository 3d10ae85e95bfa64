"""The HTML edition: sections of the reference report, self-contained, deterministic,
commentary merged without touching its files, and driven by the framework file alone."""

from __future__ import annotations

import math
import re
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from htmlparse import parse  # noqa: E402

from conftest import COMMENTARY, PERIOD, fingerprint, write  # noqa: E402


def _html(written) -> str:
    return written.paths["html"].read_text(encoding="utf-8")


def _stub_html(report) -> str:
    """HTML of a report whose charts are not under test (drawing them takes seconds)."""
    from forcestat.outputs.report.html import render_html

    for c in report.charts:
        c.svg = "<svg></svg>"
    return render_html(report)


def pct(value: float) -> str:
    return str(Decimal(repr(float(value))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def test_sections_in_reference_order(board):
    page = parse(_html(board))
    h = [t for t, _, _ in page.tags if t in ("h1", "h2", "h3")]
    assert h, "no headings"
    titles = re.findall(r"<h1><span class=\"num\">(\d+)</span> ([^<]+)</h1>", _html(board))
    assert [t for _, t in titles] == [
        "Purpose",
        "Recommendation",
        "Background",
        "Performance updates",
        "Priority updates",
        "Plan objectives",
        "Recommendation",
    ]
    text = page.text
    # The ranked exceptions open the report; no second "headlines" section repeats them.
    assert text.index("Executive summary") < text.index("1 Purpose")
    assert "4.3 Performance headlines" not in text
    for expected in (
        "4.1 Strategic measures",
        "4.2 National context",
        "Home Office police recorded crime tables",  # the placeholder until a hook fills it
        "5.1 Domestic Abuse",
        "For the Board to note the contents of this report.",
    ):
        assert expected in text, expected


def test_summary_table_opens_section_4_with_every_measure(board, framework, results):
    html = _html(board)
    # Every measure's line opens the strategic measures (after the executive summary).
    start = html.index('id="s-strategic"')
    assert start < html.index('id="t-summary"') < html.index('id="s-theme-victims"')
    page = parse(html)
    summary = next(t for t in page.tables if t.id == "t-summary")
    units = [r.unit for r in summary.rows]
    assert sorted(units) == sorted(m.id for m in framework.measures)
    force = results[(results.breakdown == "force") & (results.window == "12m")]
    row = force.set_index("measure_id").loc["victim_satisfaction_overall"]
    cells = next(r for r in summary.rows if r.unit == "victim_satisfaction_overall").cells
    assert cells["value"] == f"{pct(row['value'])}%"
    assert cells["base"] == f"{math.floor(row['n']):,}"
    verdict = row["previous_year_verdict"]
    # The house style's words (docs/narrative.md): a comparable rate more than one percentage
    # point away reads "marginally", in the table as in the sentence.
    gap = row["value"] - row["previous_year_value"]
    if verdict == "comparable" and abs(gap) > 1.0:
        want = "Marginally higher" if gap > 0 else "Marginally lower"
    else:
        want = {
            "significantly_higher": "Significantly higher",
            "significantly_lower": "Significantly lower",
            "comparable": "Comparable",
        }.get(verdict, "Not compared")
    assert cells["verdict"] == want


def test_every_measure_has_sentences_chart_and_district_table(board, framework, results):
    html = _html(board)
    for m in framework.measures:
        block = re.search(rf'<section class="measure" id="m-{m.id}">(.*?)</section>', html, re.S)
        assert block, m.id
        body = block.group(1)
        assert '<p class="sentences">' in body, m.id
        has_district = not results[
            (results.measure_id == m.id) & (results.breakdown == "district")
        ].empty
        if has_district:
            assert 'data-level="district"' in body, m.id
            assert "<svg" in body and "<path" in body, m.id  # an SPC chart, inline


def test_house_style_sentence_from_the_row(board, results):
    """The value sentence rebuilt here from the measure_results row by DESIGN section 4's
    wording, independently of the findings code."""
    row = results[
        (results.measure_id == "victim_satisfaction_overall")
        & (results.breakdown == "force")
        & (results.window == "12m")
    ].iloc[0]
    n = math.floor(row["n"])
    base = f"(n = {n:,})" if n >= 100 else f"(treat with caution, n = {n:,})"
    sentence = (
        f"{pct(row['value'])}% of the victims of crime surveyed in the 12 months ending March "
        f"2020 were at least fairly satisfied with overall service delivery {base}."
    )
    assert sentence in parse(_html(board)).text


def test_self_contained(board):
    """No src/href to the network (citation links in text excepted), no script, no stylesheet
    link, no CSS url()."""
    html = _html(board)
    page = parse(html)
    for tag, attrs, ancestors in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "base"), tag
        for name in ("src", "srcset", "poster", "data", "action", "xlink:href"):
            value = attrs.get(name) or ""
            assert not re.match(r"^\s*(https?:)?//", value), (tag, name, value)
        href = attrs.get("href") or ""
        if re.match(r"^\s*(https?:)?//", href):
            # A citation in an analyst's text, as an ordinary link.
            assert tag == "a" and "div" in ancestors, (tag, href)
    for css in re.findall(r"<style>(.*?)</style>", html, re.S):
        assert "@import" not in css and "url(" not in css
        # Entities are not decoded inside <style>: the stylesheet must be there verbatim.
        assert "&#34;" not in css and "&quot;" not in css
        assert 'font-family: "DejaVu Sans"' in css and 'td[data-col="value"]' in css
    assert "https://www.ons.gov.uk" in html  # the citation is kept, as a link


def test_commentary_merged_and_never_written(board, commentary_dir, commentary_before):
    html = _html(board)
    text = parse(html).text
    for marker in ("ALPHA-7", "BRAVO-3", "CHARLIE-5", "DELTA-9", "ECHO-2"):
        assert marker in text, marker
    assert "FOXTROT-1" not in text
    assert [p.name for p in board.unused_commentary] == ["typo-section.md"]
    # The generated text is still there beside the commentary.
    assert "3.1 This report reviews performance in the 12 months ending March 2020" in text
    block = re.search(r'data-commentary="background">(.*?)</div>', html, re.S).group(1)
    assert "<strong>" not in block and "<li>first point BRAVO-3</li>" in block
    assert fingerprint(commentary_dir) == commentary_before
    assert {p.name for p in (commentary_dir / PERIOD).iterdir()} == set(COMMENTARY)


def test_same_inputs_same_html(
    board, results, framework, series, areas, commentary_dir, store, tmp_path
):
    again = write(
        results,
        framework,
        series,
        areas,
        tmp_path,
        commentary_dir=commentary_dir,
        snapshot=store.snapshot_hash(),
    )
    assert again.paths["html"].read_bytes() == board.paths["html"].read_bytes()


def test_footer_records_snapshot_framework_and_version(board, store, framework):
    import forcestat

    text = parse(_html(board)).text
    assert f"data snapshot {store.snapshot_hash()}" in text
    assert f"framework {framework.hash}" in text
    assert f"forcestat {forcestat.__version__}" in text
    assert len(framework.hash) >= 8 and framework.hash in _html(board).split("@bottom-left")[1]


NEW_PRIORITY = """

[[priority_areas]]
id = "night_time_economy"
title = "Night-time Economy"
theme = "demand"
measures = ["calls_999", "recorded_crime_victim_based"]
"""


def test_new_priority_in_framework_file_changes_report(results, series, areas, tmp_path):
    """A framework file with one more priority area of two measures: a new section 5.4 holds
    both measures in full (they leave their theme section), and the background names it."""
    from forcestat.framework import default_path, load_framework
    from forcestat.outputs.report import build_report

    path = tmp_path / "framework.toml"
    path.write_text(default_path().read_text(encoding="utf-8") + NEW_PRIORITY, encoding="utf-8")
    fw = load_framework(path)
    html = _stub_html(
        build_report(results, fw, PERIOD, series=series, areas=areas, edition="annex")
    )
    start = html.find('id="s-priority-night_time_economy"')
    assert start > 0, "no section for the new priority"
    body = html[start : html.index('id="s-objectives"')]
    assert '<span class="num">5.4</span> Night-time Economy' in body
    assert 'id="m-calls_999"' in body and 'id="m-recorded_crime_victim_based"' in body
    assert html.count('id="m-calls_999"') == 1
    assert "Serious Sexual Offences and Night-time Economy." in parse(html).text


def test_national_context_hook_replaces_placeholder(results, framework, series, areas, tmp_path):
    from forcestat.outputs.report import ExtraSection, build_report
    from forcestat.outputs.report.model import Paragraph, Section

    def national(ctx):
        assert ctx.period == PERIOD and not ctx.public
        return [
            ExtraSection(
                "national_context",
                Section(
                    "ons",
                    "",
                    "ONS release",
                    [Paragraph("Recorded crime rose by 2.9% nationally (hook text).")],
                ),
            )
        ]

    report = build_report(
        results, framework, PERIOD, series=series, areas=areas, hooks=[national], edition="annex"
    )
    text = parse(_stub_html(report)).text
    assert "4.2.1 ONS release" in text and "(hook text)" in text
    assert "Home Office police recorded crime tables" not in text
