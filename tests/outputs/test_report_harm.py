"""Crime harm in the Board report: its sentence in days (never "crimes"), beside recorded
crime in the demand theme, with its area and district table. The expected sentence is rebuilt
here from the measure_results row, independently of the findings code."""

from __future__ import annotations

import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from htmlparse import parse  # noqa: E402


def _row(results, breakdown="force", unit=None):
    r = results[
        (results.measure_id == "crime_harm")
        & (results.breakdown == breakdown)
        & (results.window == "12m")
    ]
    if unit is not None:
        r = r[r.unit == unit]
    return r.iloc[0]


def _days(value: float) -> str:
    return f"{int(Decimal(repr(float(value))).quantize(Decimal('1'), ROUND_HALF_UP)):,} days"


def test_harm_sentence_in_days(board, results):
    text = parse(board.paths["html"].read_text(encoding="utf-8")).text
    r = _row(results)
    n = int(r["n"])
    sentence = (
        "The total harm of recorded crime, weighted by the Cambridge Crime Harm Index, was "
        f"{_days(r['value'])} in the 12 months ending March 2020 (n = {n:,})."
    )
    assert sentence in text
    assert f"{_days(r['value'])} crimes" not in text


def test_harm_sits_beside_recorded_crime(board):
    html = board.paths["html"].read_text(encoding="utf-8")
    crime = html.index("Recorded crime: by area and district")
    harm = html.index("Crime harm (CCHI days): by area and district")
    victim_based = html.index("Recorded crime: victim-based")
    assert crime < harm
    # In the summary table and in the theme, harm comes straight after recorded crime.
    summary_crime = html.index(">Recorded crime<")
    assert summary_crime < html.index(">Crime harm (CCHI days)<") < victim_based


def test_harm_area_values_match_results(board, results):
    text = parse(board.paths["html"].read_text(encoding="utf-8")).text
    for area in ("North", "South"):
        r = _row(results, "area", area)
        assert f"In {area} policing area, the total harm of recorded crime" in text
        assert _days(r["value"]) in text


def test_cohort_rate_chart_caption_says_its_maturity(board):
    """The outcome rate's monthly chart counts every month at the latest month's maturity
    (outcomes in the month of recording at the extract month); its caption says so, because
    those monthly values sit below the headline rate."""
    text = parse(board.paths["html"].read_text(encoding="utf-8")).text
    assert (
        "Each month counts only the outcomes reached in its month of recording (the time the "
        "latest month has had), so that months compare like for like." in text
    )
