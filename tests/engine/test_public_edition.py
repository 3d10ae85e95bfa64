"""The public edition of hand-built ``measure_results`` frames, read back as a reader would
(``tests/disclosure_reader.py``: exhaustive enumeration over whole numbers, the labels and every
published total): the issue's two failure cases, windows and comparators that are the same
months, and the charts a hidden force figure withholds."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent))

from disclosure_reader import brute_ranges, label  # noqa: E402

AREAS = {
    "Fenland": "North",
    "Huntingdonshire": "North",
    "Peterborough": "North",
    "Cambridge": "South",
    "East Cambridgeshire": "South",
    "South Cambridgeshire": "South",
}

TOML = """
[framework]
name = "Test framework"
[[themes]]
id = "t"
title = "Test theme"
[[measures]]
id = "orders_granted"
title = "Civil orders granted"
theme = "t"
phrase = "civil orders granted"
kind = "count"
polarity = "higher_is_better"
table = "civil_orders"
date = "decided_at"
filter = "granted"
[[measures]]
id = "csa"
title = "Child sexual abuse offences"
theme = "t"
phrase = "child sexual abuse offences"
kind = "count"
polarity = "neutral"
table = "crimes"
filter = "child_sexual_abuse"
[[measures]]
id = "cse_share"
title = "Child sexual exploitation share"
theme = "t"
phrase = "the CSE share"
kind = "proportion"
polarity = "neutral"
table = "crimes"
filter = "child_sexual_abuse"
numerator = "coalesce(child_sexual_exploitation, false)"
"""


@pytest.fixture(scope="module")
def fw():
    from forcestat.framework import loads_framework

    return loads_framework(TOML)


def _levels(districts: dict[str, float]) -> dict[tuple[str, str], float]:
    out = {("district", d): float(v) for d, v in districts.items()}
    for a in ("North", "South"):
        out[("area", a)] = sum(v for d, v in districts.items() if AREAS[d] == a)
    out[("force", "Cambridgeshire")] = sum(districts.values())
    return out


def count_rows(mid, period, window, now, before=None, **comparators):
    """A count measure's rows (force, areas, districts) with previous-year and other
    comparator figures per unit."""
    cur = _levels(now)
    prev = _levels(before) if before else {}
    others = {c: _levels(v) for c, v in comparators.items()}
    rows = []
    for (level, unit), v in cur.items():
        row = {
            "measure_id": mid,
            "breakdown": level,
            "unit": unit,
            "period_end": period,
            "window": window,
            "value": v,
            "numerator": v,
            "n": v,
            "suppressed": 1 <= v <= 4,
        }
        if prev:
            row["previous_year_value"] = prev[(level, unit)]
            row["previous_year_diff"] = v - prev[(level, unit)]
            row["previous_year_p"] = 0.5
            row["previous_year_verdict"] = "comparable"
        for c, vals in others.items():
            row[f"{c}_value"] = vals[(level, unit)]
            row[f"{c}_diff"] = v - vals[(level, unit)]
            row[f"{c}_p"] = 0.5
            row[f"{c}_verdict"] = "comparable"
        rows.append(row)
    return rows


def rate_rows(mid, period, window, base, num):
    b, x = _levels(base), _levels(num)
    return [
        {
            "measure_id": mid,
            "breakdown": level,
            "unit": unit,
            "period_end": period,
            "window": window,
            "value": 100.0 * x[key] / b[key],
            "numerator": x[key],
            "denominator": b[key],
            "n": b[key],
            "suppressed": 1 <= x[key] <= 4 or 1 <= b[key] - x[key] <= 4 or 1 <= b[key] <= 4,
        }
        for key in b
        for level, unit in [key]
    ]


def publish(rows, fw):
    from forcestat.engine.public import public_results
    from forcestat.engine.results import to_frame

    return to_frame(rows), public_results(to_frame(rows), fw, AREAS)


def read(public, mid, window, col="value", why="disclosure"):
    """A reader's ranges for the hidden cells of one column of one measure and window, from
    the published frame only: shown figures, labels, force = areas = districts."""
    part = public[(public["measure_id"] == mid) & (public["window"] == window)]
    values, hidden, known = {}, set(), {}
    for r in part.to_dict("records"):
        key = (r["breakdown"], r["unit"])
        shown = r[col]
        if r[why] or shown is None or (isinstance(shown, float) and math.isnan(shown)):
            hidden.add(key)
            known[key] = label(r[why])
            values[key] = 0.0
        else:
            values[key] = float(shown)
    eqs = _equations(values)
    top = max(values.values())
    return brute_ranges(eqs, values, hidden, known, cap=int(top) + 20)


def _equations(values):
    from types import SimpleNamespace

    def eq(total, parts):
        parts = tuple(p for p in parts if p in values)
        return SimpleNamespace(total=total, parts=parts, cells=(total, *parts))

    force = ("force", "Cambridgeshire")
    out = [eq(force, [("area", "North"), ("area", "South")])]
    for a in ("North", "South"):
        out.append(eq(("area", a), [("district", d) for d in AREAS if AREAS[d] == a]))
    return out


# -- (a) a primary count recoverable from whole numbers and labels ---------------------------------

CASE_A = {
    "Fenland": 30,
    "Huntingdonshire": 40,
    "Peterborough": 60,
    "Cambridge": 14,
    "East Cambridgeshire": 1,
    "South Cambridgeshire": 5,
}


def test_a_small_count_keeps_its_whole_range(fw):
    """South 20 = Cambridge 14 + East Cambridgeshire "fewer than 5" + South Cambridgeshire
    "not shown": a complement of 5 gave 1 and 5 back (the issue's financial year to May 2019
    in a one-year store)."""
    _, public = publish(count_rows("orders_granted", "2019-05", "fytd", CASE_A), fw)
    got = read(public, "orders_granted", "fytd")
    assert got[("district", "East Cambridgeshire")] == (1, 4)
    assert all(hi > lo for lo, hi in got.values()), got
    why = dict(zip(public["unit"], public["disclosure"], strict=True))
    assert why["East Cambridgeshire"] == "primary"
    assert why["South Cambridgeshire"] == "" and why["Cambridge"] == "secondary"


# -- (b) one count under two names: a rate's base and a count measure ------------------------------

CSA = {
    "Fenland": 119,
    "Huntingdonshire": 174,
    "Peterborough": 352,
    "Cambridge": 239,
    "East Cambridgeshire": 74,
    "South Cambridgeshire": 127,
}
CSE = {
    "Fenland": 46,
    "Huntingdonshire": 81,
    "Peterborough": 153,
    "Cambridge": 96,
    "East Cambridgeshire": 2,
    "South Cambridgeshire": 57,
}


def _same_count_everywhere(public):
    """Per unit: the count's figure and the rate's base are both printed (the same number) or
    both hidden."""
    csa = public[public["measure_id"] == "csa"].set_index("unit")
    cse = public[public["measure_id"] == "cse_share"].set_index("unit")
    bad = []
    for unit in csa.index:
        a, b = csa.loc[unit, "value"], cse.loc[unit, "n"]
        shown_a, shown_b = not pd_isna(a), not pd_isna(b)
        if shown_a != shown_b or (shown_a and float(a) != float(b)):
            bad.append((unit, a, b))
    return bad


def pd_isna(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def test_b_a_rate_hidden_for_its_numerator_prints_the_same_base_as_the_count(fw):
    rows = count_rows("csa", "2020-03", "12m", CSA) + rate_rows(
        "cse_share", "2020-03", "12m", CSA, CSE
    )
    _, public = publish(rows, fw)
    cse = public[public["measure_id"] == "cse_share"].set_index("unit")
    assert cse.loc["East Cambridgeshire", "disclosure"] == "primary"
    assert _same_count_everywhere(public) == []
    # The small numerator (2) is protected by another hidden rate in its area: a reader of the
    # numerators left (shown rates times bases) cannot tell it.
    got = read(public, "cse_share", "12m", col="numerator")
    assert got[("district", "East Cambridgeshire")][0] <= 1
    assert got[("district", "East Cambridgeshire")][1] >= 4


def test_b_a_small_count_is_hidden_in_both_tables_with_the_same_complements(fw):
    """A small count that is also a rate's base: hidden in both, and what protects it in one
    table protects it in the other (one system of equations)."""
    csa = dict(CSA, **{"East Cambridgeshire": 3})
    cse = dict(CSE, **{"East Cambridgeshire": 1, "Peterborough": 3})
    rows = count_rows("csa", "2020-03", "12m", csa) + rate_rows(
        "cse_share", "2020-03", "12m", csa, cse
    )
    _, public = publish(rows, fw)
    assert _same_count_everywhere(public) == []
    got = read(public, "csa", "12m")
    assert got[("district", "East Cambridgeshire")] == (1, 4)
    assert all(hi > lo for lo, hi in got.values())
    got = read(public, "cse_share", "12m", col="n")
    assert got[("district", "East Cambridgeshire")] == (1, 4)


# -- windows and comparators that are the same months ---------------------------------------------


def test_the_same_months_under_two_windows_or_comparators_are_hidden_alike(fw):
    """In March the financial year to date is the 12 months, and last year's 12 months are the
    year-end benchmark: each pair is one cell, hidden in both or shown in both."""
    now = dict(CASE_A, **{"East Cambridgeshire": 9})
    before = dict(CASE_A, **{"Fenland": 2, "Huntingdonshire": 12})
    rows = []
    for w in ("12m", "fytd"):
        rows += count_rows("orders_granted", "2020-03", w, now, before, year_end=before)
    _, public = publish(rows, fw)
    a = public[public["window"] == "12m"].set_index("unit")
    b = public[public["window"] == "fytd"].set_index("unit")
    for col in ("disclosure", "previous_disclosure", "value", "previous_year_value"):
        assert a[col].fillna(-1).tolist() == b[col].fillna(-1).tolist(), col
    assert a.loc["Fenland", "previous_disclosure"] == "primary"
    for unit in a.index:
        if a.loc[unit, "previous_disclosure"]:
            # The year-end figure is last year's: not printed beside a hidden one.
            assert pd_isna(a.loc[unit, "year_end_value"]), unit
            assert pd_isna(a.loc[unit, "previous_year_p"]), unit
    got = read(
        public, "orders_granted", "12m", col="previous_year_value", why="previous_disclosure"
    )
    assert got[("district", "Fenland")] == (1, 4)


def test_a_hidden_force_figure_withholds_the_force_chart(fw):
    from forcestat.engine.public import hidden_at_force

    small = {d: 1 if d == "Fenland" else 0 for d in AREAS}
    rows = count_rows("orders_granted", "2020-03", "12m", CASE_A, small)
    results, public = publish(rows, fw)
    assert hidden_at_force(public, results) == frozenset({"orders_granted"})
    results, public = publish(count_rows("csa", "2020-03", "12m", CSA, CSA), fw)
    assert hidden_at_force(public, results) == frozenset()
