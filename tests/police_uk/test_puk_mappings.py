"""The packaged mapping tables agree with the canonical reference tables and cover every category
in the real files (the slices here; the full files where CI has them)."""

from __future__ import annotations

import csv
from pathlib import Path

from puk_helpers import DATA, REAL, REPO, needs_real, read_rows

from forcestat.store.schema import SOURCE_REFERENCE
from forcestat.store.store import reference_path, reference_rows


def _rows(name: str) -> list[dict[str, str]]:
    return reference_rows(name)


def test_reference_files_have_the_schema_columns():
    for t in SOURCE_REFERENCE:
        with reference_path(t.name).open(newline="") as fh:
            assert next(csv.reader(fh)) == list(t.column_names), t.name


def test_crime_types_map_to_real_offence_codes_and_their_groups():
    codes = {r["offence_code"]: r for r in _rows("offence_codes")}
    types = _rows("police_uk_crime_types")
    assert len(types) == 14  # the 13 crime types and anti-social behaviour
    for t in types:
        if t["crime_type"] == "Anti-social behaviour":
            assert t["is_crime"] == "false" and not t["offence_code"]
            continue
        assert t["is_crime"] == "true"
        code = codes[t["offence_code"]]
        # The representative code belongs to the type and to the group the row names ...
        assert code["police_uk_crime_type"] == t["crime_type"]
        assert code["offence_group"] == t["offence_group"]
        # ... and every group the type covers is a group of the type's codes.
        groups = {
            c["offence_group"]
            for c in codes.values()
            if c["police_uk_crime_type"] == (t["crime_type"])
        }
        assert set(t["covers"].split("; ")) == groups, t["crime_type"]


def test_burglary_is_never_counted_as_dwelling_burglary():
    # The default framework's burglary dwelling measure selects codes 28E, 28F and 29; a
    # police.uk burglary may be a business burglary, so it must not land on those codes.
    burglary = next(r for r in _rows("police_uk_crime_types") if r["crime_type"] == "Burglary")
    assert burglary["offence_code"] not in {"28E", "28F", "29"}
    assert burglary["offence_group"] == "Residential burglary"


def test_harm_weights_are_the_cchi_per_crime_type():
    # Cambridge Crime Harm Index 2026, days per police.uk crime type (SOURCES.md section 2,
    # crime_harm/cchi2026_weights_by_policeuk_crime_type.csv), transcribed.
    expected = {
        "Violence and sexual offences": 194.21,
        "Public order": 7.5,
        "Criminal damage and arson": 11.18,
        "Shoplifting": 1.0,
        "Other theft": 2.0,
        "Vehicle crime": 5.0,
        "Burglary": 244.68,
        "Drugs": 3.66,
        "Theft from the person": 2.0,
        "Robbery": 365.0,
        "Possession of weapons": 273.75,
        "Bicycle theft": 2.0,
        "Other crime": 10.0,
    }
    got = {
        r["crime_type"]: float(r["cchi_days"])
        for r in _rows("police_uk_crime_types")
        if (r["cchi_days"])
    }
    assert got == expected


def test_outcome_categories_map_to_home_office_types():
    types = {int(r["outcome_type"]): r for r in _rows("outcome_types")}
    rows = {r["outcome_category"]: r for r in _rows("police_uk_outcomes")}
    for cat, r in rows.items():
        assert r["why"], cat
        if not r["outcome_type"]:
            assert r["covers"] == "open", cat
            continue
        t = int(r["outcome_type"])
        assert t in types and str(t) in r["covers"].split("; "), cat
        # A category standing for several types never mixes "prosecution possible" outcomes
        # with others, so prosecution-possible and charge rates do not depend on the choice.
        possible = {types[int(c)]["prosecution_possible"] for c in r["covers"].split("; ")}
        assert len(possible) == 1, cat
    assert {c for c, r in rows.items() if not r["outcome_type"]} == {
        "Under investigation",
        "Status update unavailable",
    }
    # Court results imply a charge or summons.
    court = [c for c in rows if c.startswith(("Offender sent", "Offender fined", "Defendant"))]
    assert court and all(rows[c]["outcome_type"] == "1" for c in court)
    assert rows["Suspect charged"]["outcome_type"] == "1"
    assert rows["Local resolution"]["outcome_type"] == "8"
    assert rows["Investigation complete; no suspect identified"]["outcome_type"] == "18"


def _categories(paths: list[Path]) -> tuple[set[str], set[str]]:
    crime_types, outcome_cats = set(), set()
    for p in paths:
        for r in read_rows(p):
            if "Crime type" in r:
                crime_types.add(r["Crime type"])
                if r["Last outcome category"]:
                    outcome_cats.add(r["Last outcome category"])
            else:
                outcome_cats.add(r["Outcome type"])
    return crime_types, outcome_cats


def _assert_covered(paths: list[Path]) -> None:
    crime_types, cats = _categories(paths)
    assert crime_types <= {r["crime_type"] for r in _rows("police_uk_crime_types")}
    assert cats <= {r["outcome_category"] for r in _rows("police_uk_outcomes")}


def test_every_category_in_the_slices_is_mapped():
    _assert_covered(sorted(DATA.glob("*/*-street.csv*")) + sorted(DATA.glob("*/*-outcomes.csv*")))


@needs_real
def test_every_category_in_the_real_files_is_mapped():
    _assert_covered(sorted((REAL / "police_uk").rglob("*.csv*")))


def test_territorial_forces_and_districts():
    pfas = _rows("police_force_areas")
    assert len(pfas) == 43
    assert sum(r["country"] == "Wales" for r in pfas) == 4
    assert all(r["pfa_code"].startswith(("E23", "W15")) for r in pfas)
    lads = {r["lad_code"]: r["lad_name"] for r in _rows("lad_pfa")}
    geo = {r["lad_code"]: r["district"] for r in _rows("geography")}
    assert lads == geo  # SOURCES.md section 3: the six Cambridgeshire districts


def test_docs_show_the_mappings_as_shipped():
    doc = (REPO / "docs" / "police-uk.md").read_text()
    for r in _rows("police_uk_crime_types"):
        if r["is_crime"] == "true":
            cells = f"| {r['crime_type']} | {r['offence_code']} ("
            assert cells in doc and f"| {r['offence_group']} | {r['covers']} |" in doc
    for r in _rows("police_uk_outcomes"):
        t = r["outcome_type"] or "open"
        assert f"| {r['outcome_category']} | {t} " in doc, r["outcome_category"]
        assert f"| {r['covers']} | {r['why']} |" in doc, r["outcome_category"]
