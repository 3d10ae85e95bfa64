"""Fixtures. The calibration tests read the demo force exactly as ``forcestat demo`` makes it
(seed 1, five years to March 2020), queried in memory; the store tests use a small force."""

from __future__ import annotations

import dataclasses

import duckdb
import pytest

from forcestat.store.schema import REFERENCE, create_table_sql
from forcestat.store.store import seed_reference
from forcestat.synth.calendar import Period
from forcestat.synth.force import demo_force
from forcestat.synth.generate import StoreWriter, generate_force, source_label


@pytest.fixture(scope="session")
def demo_tables():
    """The demo force as Arrow tables: seed 1, 60 months ending March 2020."""
    return generate_force(demo_force(), Period.of("2020-03", 5), seed=1)


@pytest.fixture(scope="session")
def demo_db(demo_tables):
    """An in-memory DuckDB with the demo tables and the packaged reference tables."""
    con = duckdb.connect()
    for table in REFERENCE:
        con.execute(create_table_sql(table))
        seed_reference(con, table)
    for name, tbl in demo_tables.items():
        con.register(name, tbl)
    yield con
    con.close()


@pytest.fixture(scope="session")
def small_force():
    """The demo force at a tenth of its size: every code path, few rows."""
    return dataclasses.replace(demo_force(), annual_crimes=6_000.0)


@pytest.fixture(scope="session")
def small_tables(small_force):
    return generate_force(small_force, Period.of("2020-03", 2), seed=3)


@pytest.fixture(scope="session")
def small_store(small_tables, tmp_path_factory):
    """The small force written to a DuckDB store the way ``run`` writes the demo."""
    path = tmp_path_factory.mktemp("synth") / "small.duckdb"
    with StoreWriter(str(path), source_label(3, "2020-03", 2)) as writer:
        for name, tbl in small_tables.items():
            writer.submit(name, tbl)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()
