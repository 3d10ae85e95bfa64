"""Crime harm on data.police.uk crimes: each derived crime carries the Cambridge Crime Harm
Index weight of its data.police.uk crime type (not the representative offence code's), checked
against the street CSVs and the packaged weights read with Python's csv module."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict

import pytest
from puk_helpers import read_rows, street

from forcestat.store.sources.police_uk import load_police_uk
from forcestat.store.store import reference_path


def _weights() -> dict[str, float]:
    with open(reference_path("police_uk_crime_types"), encoding="utf-8", newline="") as fh:
        return {
            r["crime_type"]: float(r["cchi_days"]) for r in csv.DictReader(fh) if r["cchi_days"]
        }


def test_crimes_carry_the_crime_type_weight(new_store):
    files = street("2019-01-cambridgeshire-street.csv", "2024-01-cambridgeshire-street.csv")
    st = new_store()
    rep = load_police_uk(st, files)
    assert rep.quarantined == 0
    weights = _weights()
    expected: dict[str, float] = defaultdict(float)
    counts: Counter[str] = Counter()
    for path in files:
        for r in read_rows(path):
            if r["Crime type"] == "Anti-social behaviour":
                continue
            expected[r["Month"]] += weights[r["Crime type"]]
            counts[r["Month"]] += 1
    got = st.duck.execute(
        "SELECT strftime(recorded_at, '%Y-%m'), sum(cchi_days), count(cchi_days), count(*) "
        "FROM crimes GROUP BY 1"
    ).fetchall()
    assert {m: (pytest.approx(s, rel=1e-12), n, k) for m, s, n, k in got} == {
        m: (expected[m], counts[m], counts[m]) for m in expected
    }
    # Violence and sexual offences: 194.21 days (the crime type's mean), where its
    # representative code 105A alone would give 10.
    assert st.duck.execute(
        "SELECT DISTINCT c.cchi_days FROM crimes c JOIN police_uk_crimes p USING (crime_id) "
        "WHERE p.crime_type = 'Violence and sexual offences'"
    ).fetchall() == [(194.21,)]


def test_crime_harm_is_available_from_police_uk_data(new_store):
    """The report lists crime harm among the measures a data.police.uk store supports (the
    weights exist), while measures needing a domestic abuse flag are not available."""
    from forcestat.engine.availability import unavailable_measures
    from forcestat.framework import load_framework

    st = new_store()
    load_police_uk(st, street("2019-01-cambridgeshire-street.csv"))
    missing = unavailable_measures(st, load_framework())
    assert "crime_harm" not in missing and "recorded_crime" not in missing
    assert "domestic_abuse_crimes" in missing
