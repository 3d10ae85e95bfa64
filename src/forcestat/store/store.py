"""The store: canonical tables plus reference tables and load bookkeeping, in DuckDB by default."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .connection import (
    StoreError,
    connect,
    duckdb_path,
    is_duckdb_target,
    is_postgres_url,
    open_error,
)
from .reference_files import REFERENCE_DIR, reference_path, reference_rows
from .schema import ALL_TABLES, CANONICAL, REFERENCE, Table, create_table_sql
from .validation import lit, q

# Bookkeeping tables: what was loaded, what was rejected and what a newer version replaced.
BOOKKEEPING_SQL = (
    """CREATE TABLE IF NOT EXISTS loads (
        load_id VARCHAR, table_name VARCHAR, source_file VARCHAR, file_sha256 VARCHAR,
        rows_read BIGINT, inserted BIGINT, replaced BIGINT, unchanged BIGINT,
        duplicates BIGINT, superseded BIGINT, quarantined BIGINT,
        started_at TIMESTAMP, finished_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        load_id VARCHAR, table_name VARCHAR, source_file VARCHAR, file_sha256 VARCHAR,
        source_row BIGINT, fields VARCHAR, reasons VARCHAR, record VARCHAR,
        quarantined_at TIMESTAMP)""",
    # Columns a source cannot fill (e.g. data.police.uk publishes no domestic abuse flag):
    # measures that read them are listed as "not available from this data", never shown as 0.
    """CREATE TABLE IF NOT EXISTS unavailable_columns (
        table_name VARCHAR, column_name VARCHAR, reason VARCHAR, source VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS record_changes (
        load_id VARCHAR, table_name VARCHAR, record_key VARCHAR, changed_columns VARCHAR,
        old_values VARCHAR, new_values VARCHAR, old_source VARCHAR, new_source VARCHAR,
        changed_at TIMESTAMP)""",
)


class Store:
    """A store addressed by path or URL. DuckDB is the embedded default; the loader writes
    through DuckDB's own connection (transactions), the engine reads through Ibis."""

    def __init__(self, url: str, read_only: bool = False):
        self.url = url
        self.ibis = connect(url, read_only=read_only)
        self.read_only = read_only

    @property
    def is_duckdb(self) -> bool:
        return is_duckdb_target(self.url)

    @property
    def is_postgres(self) -> bool:
        return is_postgres_url(self.url)

    @property
    def is_folder(self) -> bool:
        return self.is_duckdb and Path(self.path).is_dir()

    @property
    def duck(self) -> Any:
        """The underlying duckdb connection (DuckDB stores only)."""
        if not self.is_duckdb:
            raise StoreError(f"{self.url}: loading is supported into DuckDB stores only")
        return self.ibis.con

    def writable(self) -> Any:
        """The duckdb connection to load through; an error for a store that cannot take a
        load (another backend, a folder of Parquet files, a store opened read-only)."""
        if self.is_postgres:
            raise StoreError(
                f"{self.url}: a PostgreSQL store takes canonical loads (forcestat load TABLE "
                "FILE...); the data.police.uk and Home Office importers load into DuckDB"
            )
        if self.is_folder:
            raise StoreError(
                f"{self.url}: a folder of Parquet files is a read-only store; load into a "
                "DuckDB file (e.g. --store force.duckdb)"
            )
        if self.read_only:
            raise StoreError(f"{self.url}: the store was opened read-only")
        return self.duck

    @property
    def path(self) -> str:
        return duckdb_path(self.url)

    def tables(self) -> list[str]:
        return list(self.ibis.list_tables())

    def initialise(self) -> None:
        """Create any missing table; seed reference tables from the package files."""
        con = self.duck
        existing = set(self.tables())
        con.execute("BEGIN")
        try:
            for t in CANONICAL:
                con.execute(create_table_sql(t))
                if t.name in existing:
                    _add_new_columns(con, t)
            for sql in BOOKKEEPING_SQL:
                con.execute(sql)
            for t in REFERENCE:
                if t.name not in existing:
                    con.execute(create_table_sql(t))
                    seed_reference(con, t)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def table(self, name: str):
        return self.ibis.table(name)

    def count(self, name: str) -> int:
        if not self.is_duckdb:
            return int(self.table(name).count().execute())
        return int(self.duck.execute(f"SELECT count(*) FROM {q(name)}").fetchone()[0])

    def snapshot_hash(self) -> str:
        """A short hash identifying the data in the store (its load history), for report
        footers: two stores loaded from the same files give the same hash."""
        if not self.is_duckdb:
            return self._snapshot_ibis()
        h = hashlib.sha256()
        rows = self.duck.execute(
            "SELECT table_name, file_sha256, inserted, replaced FROM loads "
            "ORDER BY table_name, file_sha256, started_at"
        ).fetchall()
        for r in rows:
            h.update(repr(r).encode())
        for t in CANONICAL:
            h.update(f"{t.name}:{self.count(t.name)}".encode())
        return h.hexdigest()[:12]

    def _snapshot_ibis(self) -> str:
        """``snapshot_hash`` on another backend (a PostgreSQL store keeps the same bookkeeping),
        read through Ibis: the same rows give the same hash as on DuckDB."""
        h = hashlib.sha256()
        t = self.table("loads")
        rows = (
            t.select("table_name", "file_sha256", "inserted", "replaced", "started_at")
            .to_pyarrow()
            .to_pylist()
        )
        rows.sort(key=lambda r: (r["table_name"], r["file_sha256"], r["started_at"]))
        for r in rows:
            row = (r["table_name"], r["file_sha256"], r["inserted"], r["replaced"])
            h.update(repr(row).encode())
        present = set(self.tables())
        for t in CANONICAL:
            h.update(f"{t.name}:{self.count(t.name) if t.name in present else 0}".encode())
        return h.hexdigest()[:12]

    def close(self) -> None:
        self.ibis.disconnect()


def _add_new_columns(con: Any, table: Table) -> None:
    """A store made by an earlier version gains the columns added to a canonical table since
    (empty in the rows it holds), so that loads and the synthetic writer see the schema's
    shape. Names and types come from the schema module, never from a file."""
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND NOT internal",
            [table.name],
        ).fetchall()
    }
    for c in table.columns:
        if c.name not in have:
            con.execute(f"ALTER TABLE {q(table.name)} ADD COLUMN {q(c.name)} {c.type}")


def seed_reference(con: Any, table: Table) -> None:
    cols = ", ".join(q(c.name) for c in table.columns)
    types = ", ".join(f"{lit(c.name)}: 'VARCHAR'" for c in table.columns)
    casts = ", ".join(
        f"CAST(NULLIF({q(c.name)}, '') AS {c.type}) AS {q(c.name)}" for c in table.columns
    )
    con.execute(
        f"INSERT INTO {q(table.name)} ({cols}) SELECT {casts} FROM read_csv(?, header=true, "
        f"columns={{{types}}})",
        [str(reference_path(table.name))],
    )


def open_store(url: str, read_only: bool = False, initialise: bool = True) -> Store:
    """Open (and, unless ``read_only``, create and initialise) a store. A read-only open of a
    DuckDB path that does not exist is an error, never a new empty store."""
    import duckdb

    from .postgres import initialise as initialise_postgres

    if initialise and not read_only and is_postgres_url(url):
        # Tables first: Ibis lists them when it connects.
        initialise_postgres(url)
    store = Store(url, read_only=read_only)
    if initialise and not read_only and store.is_duckdb and not store.is_folder:
        try:
            store.initialise()
        except duckdb.Error as exc:
            store.close()
            raise open_error(url, exc) from None
    return store


__all__ = [
    "ALL_TABLES",
    "REFERENCE_DIR",
    "Store",
    "StoreError",
    "open_store",
    "reference_path",
    "reference_rows",
]
