"""The public edition: no count of 1-4 in any table, and no hidden figure that can be worked out
from the figures and totals shown. Checked by brute force over the rendered tables, against
hand-derived expectations, and on random hierarchies."""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from htmlparse import HIDDEN, Table, derivable, integer, parse  # noqa: E402
from htmlparse import Row as HRow  # noqa: E402

from conftest import PERIOD  # noqa: E402

NUMERIC = ("value", "base", "previous")


def _html(written) -> str:
    return written.paths["html"].read_text(encoding="utf-8")


# -- the checker itself can fail ------------------------------------------------------------------


def _table(cells: dict[str, tuple[str, str, str]]) -> Table:
    t = Table("t", "units")
    for unit, (level, parent, text) in cells.items():
        t.rows.append(HRow(level, unit, parent, {"value": text}))
    return t


def test_checker_flags_a_lone_hidden_cell_and_a_bridge():
    lone = _table(
        {
            "F": ("force", "", "100"),
            "N": ("area", "F", "60"),
            "S": ("area", "F", "40"),
            "a": ("district", "N", "fewer than 5"),
            "b": ("district", "N", "57"),
        }
    )
    assert derivable(lone, "value") == ["a"]
    # Two hidden in every line, yet a combination of lines pins both (S = c + d, N = a + b,
    # F = N + S with N, S shown: a + b known, but a alone only if b is shown...).
    bridge = _table(
        {
            "F": ("force", "", "not shown"),
            "N": ("area", "F", "60"),
            "S": ("area", "F", "40"),
            "a": ("district", "N", "fewer than 5"),
            "b": ("district", "N", "not shown"),
        }
    )
    assert derivable(bridge, "value") == ["F"]
    safe = _table(
        {
            "F": ("force", "", "100"),
            "N": ("area", "F", "60"),
            "S": ("area", "F", "40"),
            "a": ("district", "N", "fewer than 5"),
            "b": ("district", "N", "not shown"),
            "c": ("district", "N", "55"),
        }
    )
    assert derivable(safe, "value") == []


# -- protect() on random hierarchies ---------------------------------------------------------------


def _brute_exposed(keys, parent, hidden) -> set:
    eqs = []
    for p in keys:
        kids = [k for k in keys if parent.get(k) == p]
        if kids:
            eqs.append({p: 1, **{k: -1 for k in kids}})
    out = set()
    for h in hidden:
        for coeffs in itertools.product((-1, 0, 1), repeat=len(eqs)):
            tot: dict = {}
            for c, eq in zip(coeffs, eqs, strict=True):
                for k, v in eq.items():
                    tot[k] = tot.get(k, 0) + c * v
            if tot.get(h, 0) and all(tot.get(o, 0) == 0 for o in hidden - {h}):
                out.add(h)
                break
    return out


@pytest.mark.parametrize("seed", range(40))
def test_protect_random_hierarchies(seed):
    from forcestat.stats.disclosure import hierarchy, protect

    rng = np.random.default_rng(seed)
    n_areas = int(rng.integers(1, 4))
    areas, values = {}, {}
    for a in range(n_areas):
        for d in range(int(rng.integers(1, 5))):
            name = f"D{a}{d}"
            areas[name] = f"A{a}"
            values[("district", name)] = float(rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40]))
    loose = [f"X{i}" for i in range(int(rng.integers(0, 2)))]  # districts with no area
    for x in loose:
        values[("district", x)] = float(rng.choice([0, 2, 12]))
    for a in range(n_areas):
        values[("area", f"A{a}")] = sum(
            v for (lvl, u), v in values.items() if lvl == "district" and areas.get(u) == f"A{a}"
        )
    values[("force", "F")] = sum(v for (lvl, _), v in values.items() if lvl == "district")
    keys = (
        [("force", "F")]
        + sorted(k for k in values if k[0] == "area")
        + sorted(k for k in values if k[0] == "district")
    )
    h = hierarchy(keys, areas)
    primary = {k for k in keys if 1 <= values[k] <= 4}
    hidden = protect(h.equations, values, primary)
    assert primary <= hidden
    assert not _brute_exposed(keys, dict(h.parent), hidden), (values, hidden)
    if not primary:
        assert not hidden


# -- a hand-built table with a known answer --------------------------------------------------------

TINY = """
[framework]
name = "Test framework"
[[themes]]
id = "t"
title = "Test theme"
[[measures]]
id = "thefts"
title = "Thefts"
theme = "t"
phrase = "thefts"
kind = "count"
polarity = "neutral"
table = "crimes"
"""

AREAS = {
    "Fenland": "North",
    "Huntingdonshire": "North",
    "Peterborough": "North",
    "Cambridge": "South",
    "South Cambridgeshire": "South",
    "East Cambridgeshire": "South",
}
NOW = {
    "Fenland": 3,
    "Huntingdonshire": 40,
    "Peterborough": 60,
    "Cambridge": 2,
    "South Cambridgeshire": 50,
    "East Cambridgeshire": 30,
}
BEFORE = {
    "Fenland": 10,
    "Huntingdonshire": 2,
    "Peterborough": 55,
    "Cambridge": 12,
    "South Cambridgeshire": 45,
    "East Cambridgeshire": 33,
}


def _tiny_results():
    from forcestat.engine.results import to_frame

    rows = []

    def row(level, unit, now, before):
        rows.append(
            {
                "measure_id": "thefts",
                "breakdown": level,
                "unit": unit,
                "period_end": PERIOD,
                "window": "12m",
                "value": now,
                "numerator": now,
                "n": now,
                "previous_year_value": before,
                "previous_year_diff": now - before,
                "previous_year_p": 0.5,
                "previous_year_verdict": "comparable",
                "spc_signal": "common_cause",
                "trend": "none",
                "small_base": False,
                "suppressed": 1 <= now <= 4,
            }
        )

    for d in NOW:
        row("district", d, NOW[d], BEFORE[d])
    for a in ("North", "South"):
        row(
            "area",
            a,
            sum(v for d, v in NOW.items() if AREAS[d] == a),
            sum(v for d, v in BEFORE.items() if AREAS[d] == a),
        )
    row("force", "Cambridgeshire", sum(NOW.values()), sum(BEFORE.values()))
    return to_frame(rows)


def test_hand_built_table_hides_exactly_what_it_must(tmp_path):
    from forcestat.engine.public import public_results
    from forcestat.framework import loads_framework
    from forcestat.outputs.report import build_report
    from forcestat.outputs.report.html import render_html

    fw = loads_framework(TINY)
    edition = public_results(_tiny_results(), fw, AREAS)
    report = build_report(edition, fw, PERIOD, areas=AREAS, public_edition=True, edition="annex")
    html = render_html(report)
    table = next(t for t in parse(html).tables if t.id == "t-thefts")
    shown = {r.unit: r.cells for r in table.rows}
    # Primary: the counts of 1-4. Secondary: the smallest other count in each area with one
    # hidden (Huntingdonshire 40 < Peterborough 60; East Cambridgeshire 30 < 50).
    assert shown["Fenland"]["value"] == "fewer than 5"
    assert shown["Cambridge"]["value"] == "fewer than 5"
    assert shown["Huntingdonshire"]["value"] == "not shown"
    assert shown["East Cambridgeshire"]["value"] == "not shown"
    assert {u for u, c in shown.items() if c["value"] in HIDDEN} == {
        "Fenland",
        "Huntingdonshire",
        "Cambridge",
        "East Cambridgeshire",
    }
    assert shown["Peterborough"]["value"] == "60" and shown["North"]["value"] == "103"
    # Previous year: Huntingdonshire's 2, and Fenland's 10 with it.
    assert shown["Huntingdonshire"]["previous"] == "fewer than 5"
    assert shown["Fenland"]["previous"] == "not shown"
    assert shown["Peterborough"]["previous"] == "55"
    for col in ("value", "previous"):
        assert derivable(table, col) == []
    # The sentences give no hidden figure; "too few" is said only of the real small counts and
    # the units hidden only to protect them are not mentioned.
    block = next(it for s in report.walk() for it in s.items if getattr(it, "id", "") == "thefts")
    said = " ".join(block.sentences)
    assert "too few thefts to report in Cambridge and Fenland" in said
    for figure in ("40", "30", " 3 ", " 2 "):
        assert figure not in said
    assert "Huntingdonshire" not in said and "East Cambridgeshire" not in said
    assert "185 thefts were recorded" in said
    # The Board edition of the same rows shows the other figures; small counts read as the
    # sentences do.
    board = parse(
        render_html(build_report(_tiny_results(), fw, PERIOD, areas=AREAS, edition="annex"))
    )
    cells = {r.unit: r.cells for r in next(t for t in board.tables if t.id == "t-thefts").rows}
    assert cells["Huntingdonshire"]["value"] == "40"
    assert cells["East Cambridgeshire"]["value"] == "30"
    assert cells["Fenland"]["value"] == "too few to report"
    assert cells["Huntingdonshire"]["previous"] == "2"


# -- the public edition of the small store ---------------------------------------------------------


def test_public_tables_show_no_count_of_1_to_4(public, board):
    def small_ints(html):
        found = []
        for t in parse(html).tables:
            for r in t.rows:
                for col, text in r.cells.items():
                    k = integer(text)
                    if k is not None and 1 <= k <= 4:
                        found.append((t.id, r.unit, col, text))
        return found

    assert small_ints(_html(public)) == []
    # The Board edition of the same data does have such counts: the check can fail.
    assert small_ints(_html(board)), "the fixture has no small counts: the test proves nothing"
    text = parse(_html(public)).text
    assert not re.search(r"\(n = [1-4]\)", text)
    assert not re.search(
        r"(?<![\d.,])[1-4] (?:[a-z]+ )?(?:were recorded|offences|crimes|reports)\b", text
    )


def test_public_tables_hide_nothing_derivable(public):
    tables = [t for t in parse(_html(public)).tables if t.id != "t-summary"]
    hidden_cells = 0
    for t in tables:
        for col in NUMERIC:
            if any(col in r.cells for r in t.rows):
                assert derivable(t, col) == [], (t.id, col)
                hidden_cells += sum(r.cells.get(col) in HIDDEN for r in t.rows)
    assert hidden_cells >= 5, "the fixture hides almost nothing: the test proves little"


def test_public_withholds_charts_on_small_monthly_numbers(public, series):
    html = _html(public)
    assert "public edition" in parse(html).text.lower()
    small = [
        k for k, s in series.items() if k[1] == "force" and ((s.base >= 1) & (s.base < 5)).any()
    ]
    for mid, _, _ in small:
        block = re.search(rf'id="m-{mid}">(.*?)</section>', html, re.S).group(1)
        assert "<svg" not in block and "chart is not shown in the public edition" in block


def test_small_effective_base_is_hidden_even_when_not_flagged():
    """A weighted survey's Kish base of 4.7 (raw counts of 5 or more, so the engine does not
    flag it) would print as "4": the public edition hides the row, and one more in its area so
    that its figures cannot be worked out from the area's."""
    from forcestat.engine.public import public_results
    from forcestat.engine.results import to_frame
    from forcestat.framework import load_framework

    def row(level, unit, n, x):
        return {
            "measure_id": "victim_satisfaction_overall",
            "breakdown": level,
            "unit": unit,
            "period_end": PERIOD,
            "window": "12m",
            "value": 100.0 * x / n,
            "numerator": x,
            "denominator": n,
            "n": n,
            "suppressed": False,
        }

    rows = [
        row("force", "F", 300.0, 240.0),
        row("area", "North", 160.0, 128.0),
        row("area", "South", 140.0, 112.0),
        row("district", "a", 4.7, 3.7),
        row("district", "b", 155.3, 124.3),
        row("district", "c", 70.0, 56.0),
        row("district", "d", 70.0, 56.0),
    ]
    areas = {"a": "North", "b": "North", "c": "South", "d": "South"}
    edition = public_results(to_frame(rows), load_framework(), areas)
    why = dict(zip(edition["unit"], edition["disclosure"], strict=True))
    assert why["a"] == "primary"
    assert why["b"] == "secondary"
    assert {u for u, w in why.items() if w} == {"a", "b"}
    a = edition[edition["unit"] == "a"].iloc[0]
    assert pd.isna(a["value"]) and pd.isna(a["n"]) and pd.isna(a["numerator"])
