"""Fixtures: the demo force generated once per test session (two years, so year-on-year
storylines can be checked; the five-year checks generate crimes only)."""

from __future__ import annotations

import dataclasses

import pytest

from forcestat.synth.calendar import Period
from forcestat.synth.force import demo_force
from forcestat.synth.generate import StoreWriter, generate_force, source_label


@pytest.fixture(scope="session")
def demo_tables():
    """The demo force, seed 1, 24 months ending March 2020, as Arrow tables."""
    return generate_force(demo_force(), Period.of("2020-03", 2), seed=1)


@pytest.fixture(scope="session")
def demo_store(demo_tables, tmp_path_factory):
    """The same tables written to a DuckDB store the way ``run`` writes them."""
    path = tmp_path_factory.mktemp("synth") / "demo.duckdb"
    with StoreWriter(str(path), source_label(1, "2020-03", 2)) as writer:
        for name, tbl in demo_tables.items():
            writer.submit(name, tbl)
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def five_year_crimes():
    """Crimes only, five years, for the long-term benchmark checks."""
    return generate_force(demo_force(), Period.of("2020-03", 5), seed=1, tables=("crimes",))[
        "crimes"
    ]


@pytest.fixture(scope="session")
def small_force():
    """The demo force at a tenth of its size: every code path, few rows (for the loader)."""
    return dataclasses.replace(demo_force(), annual_crimes=6_000.0)
