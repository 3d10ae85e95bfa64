"""A report from data.police.uk records alone: the measures the data supports, a list of those
it does not (never zeros), and the national context from the Home Office tables."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from forcestat.pipeline import make_report
from forcestat.store.sources.home_office import load_home_office
from forcestat.store.sources.police_uk import load_police_uk
from forcestat.store.store import open_store

SLICE = Path(__file__).resolve().parents[1] / "data" / "police_uk"


def _text(path: Path) -> str:
    s = path.read_text()
    s = re.sub(r"<(svg|style)\b.*?</\1>", " ", s, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", s)))


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("real")
    st = open_store(str(tmp / "puk.duckdb"))
    load_police_uk(st, [SLICE / "street", SLICE / "outcomes"])
    load_home_office(st, [SLICE / "national"])
    out = {}
    for period in ("2019-02", "2020-03"):
        written = make_report(st, period, tmp / period, formats=["html"])
        out[period] = _text(written.paths["html"])
    st.close()
    return out


@pytest.fixture(scope="module")
def report_text(reports) -> str:
    return reports["2019-02"]


def test_unsupported_measures_are_listed_not_reported(report_text):
    summary = report_text.split("Summary of performance")[1].split("Force-wide figures")[0]
    assert "Recorded crime" in summary
    for absent in ("Domestic abuse crimes", "Victim satisfaction", "Serious sexual offences"):
        assert absent not in summary
    appendix = report_text.split("Measures not available from this data")[-1]
    assert "Domestic abuse crimes: domestic_abuse: not published (data.police.uk)" in appendix
    assert "nothing was loaded into the survey_responses table" in appendix


def test_national_context_section_from_the_home_office_tables(reports):
    section = reports["2020-03"].split("National context")[1][:3000]
    # SOURCES.md fact 6, worked out independently from the Home Office table:
    # 64,505 (2018/19) -> 68,220 (2019/20) = +5.76%, the 9th highest increase of 43 forces.
    assert (
        "Police recorded crime in Cambridgeshire increased by 5.8% in the 12 months to March "
        "2020, the 9th highest increase nationally." in section
    )
    assert "0.7%" in section  # England and Wales: 5,200,043 -> 5,234,118 = +0.66%


def test_objectives_without_data_are_quoted_and_say_so(report_text):
    """A data.police.uk store supports none of the Victims Code measures: the objective is still
    quoted (a Plan commitment) and says its figures cannot be reported, pointing to the list of
    measures not available."""
    section = report_text.split("6 Plan objectives")[1]
    assert "Ensure victims of crime receive a timely and high quality investigation" in section
    assert "cannot be reported from the data in this store" in section
