"""Loads into a PostgreSQL store: the DuckDB loader run on a staging copy, its changes written
to PostgreSQL in one transaction there (the steps: store/postgres.py)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .loader import LoadReport
from .loader import load_files as load_duckdb
from .postgres import (
    BOOKKEEPING,
    LOAD_LOCK,
    columns_of,
    connect,
    initialise,
    stage_from,
    write_back,
)
from .schema import REFERENCE, get_table
from .store import open_store


def load_files(
    store: Any,
    table_name: str,
    files: Sequence[str | Path],
    *,
    before_commit: Callable[[], None] | None = None,
    **kwargs: Any,
) -> LoadReport:
    """``loader.load_files`` into a PostgreSQL store (see the module docstring); the same
    report. ``before_commit`` runs after the rows are written to PostgreSQL, before its
    commit (tests crash or fail a load there)."""
    from psycopg import sql

    url = getattr(store, "url", None) or str(store)  # a Store or its URL
    table = get_table(table_name)
    initialise(url)
    with tempfile.TemporaryDirectory(prefix="forcestat-pg-") as tmp, connect(url) as conn:
        stage = open_store(str(Path(tmp) / "stage.duckdb"))
        try:
            duck = stage.duck
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOAD_LOCK])
                # What the loader reads: the stored records of the table (to compare and
                # replace), the loads (files already loaded), this table's quarantine (a
                # re-loaded file's bad rows replace their earlier entries) and the reference
                # tables that validation checks codes against.
                stage_from(cur, duck, table.name, columns_of(table))
                for ref in REFERENCE:
                    if ref.name != table.name:
                        stage_from(cur, duck, ref.name, columns_of(ref))
                stage_from(cur, duck, "loads", BOOKKEEPING["loads"])
                stage_from(
                    cur,
                    duck,
                    "quarantine",
                    BOOKKEEPING["quarantine"],
                    sql.SQL("table_name = %s"),
                    [table.name],
                )
                report = load_duckdb(stage, table.name, files, **kwargs)
                write_back(cur, duck, table, report.load_id)
                if before_commit is not None:
                    before_commit()
            conn.commit()
        finally:
            stage.close()
    return report
