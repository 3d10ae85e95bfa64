"""The schema, the packaged reference tables, the generated data-model page and a new store
agree with each other."""

from __future__ import annotations

import csv
from pathlib import Path

from forcestat.store import datamodel
from forcestat.store.schema import ALL_TABLES, CANONICAL, REFERENCE, SOURCE_TABLES, get_table
from forcestat.store.store import reference_path

REPO = Path(__file__).resolve().parents[2]


def test_data_model_doc_is_generated_from_the_schema():
    doc = (REPO / "docs" / "data-model.md").read_text()
    assert doc == datamodel.render(), (
        "docs/data-model.md is stale: run .venv/bin/python -m forcestat.store.datamodel "
        "> docs/data-model.md"
    )
    for t in CANONICAL + REFERENCE + tuple(SOURCE_TABLES.values()):
        for c in t.columns:
            assert f"| `{c.name}` |" in doc


def test_reference_files_have_exactly_the_schema_columns():
    for t in REFERENCE:
        with reference_path(t.name).open(newline="") as fh:
            header = next(csv.reader(fh))
        assert header == list(t.column_names), t.name


def test_reference_values_used_by_the_report_are_right():
    with reference_path("geography").open(newline="") as fh:
        geo = list(csv.DictReader(fh))
    areas = {g["district"]: g["area"] for g in geo}
    assert areas == {
        "Peterborough": "North",
        "Fenland": "North",
        "Huntingdonshire": "North",
        "Cambridge": "South",
        "South Cambridgeshire": "South",
        "East Cambridgeshire": "South",
    }
    # ONS mid-2019 estimates; the PFA total is SOURCES.md fact 7.
    assert sum(int(g["population"]) for g in geo) == 855_796
    with reference_path("outcome_types").open(newline="") as fh:
        pp = {
            int(r["outcome_type"])
            for r in csv.DictReader(fh)
            if r["prosecution_possible"] == "true"
        }
    assert pp == {1, 2, 3, 4, 6, 7, 8}  # DESIGN.md section 6 default
    with reference_path("offence_codes").open(newline="") as fh:
        codes = list(csv.DictReader(fh))
    assert len({c["offence_code"] for c in codes}) == len(codes)
    society = {c["offence_group"] for c in codes if c["victim_based"] == "false"}
    assert society == {
        "Trafficking of drugs",
        "Possession of drugs",
        "Possession of weapons offences",
        "Public order offences",
        "Miscellaneous crimes against society",
    }


def test_new_store_has_every_table_with_schema_columns(store):
    for name, t in ALL_TABLES.items():
        cols = [r[0] for r in store.duck.execute(f'DESCRIBE "{name}"').fetchall()]
        assert cols[: len(t.column_names)] == list(t.column_names)
    assert store.count("offence_codes") > 100
    assert store.count("geography") == 6


def test_unknown_table_message_lists_the_known_ones():
    try:
        get_table("crime")
    except KeyError as exc:
        assert "crimes" in str(exc) and "calls" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected KeyError")
