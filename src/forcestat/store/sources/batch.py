"""Load several tables as one transaction through the foundation loader's own steps.

``load_files`` validates, quarantines and merges one table per call, each in its own
transaction. An importer of public data writes several tables at once (a data.police.uk load
writes the published crimes, their outcome history, anti-social behaviour and the canonical
crimes derived from them) and must commit or roll back as a whole, reference tables it creates
or tops up included. So the importers open one transaction first, then create what the store
lacks, stage their rows in the shape the loader validates and run the loader's per-table
validation and merge (``_validate``, ``_load_valid``) inside it. Validation, quarantine,
versions, duplicate handling and lineage are the loader's, not reimplemented here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import loader
from ..loader import LoadReport
from ..schema import Table, create_table_sql
from ..store import Store, reference_rows, seed_reference
from ..validation import q


class _InOuterTransaction:
    """A DuckDB connection whose BEGIN / COMMIT / ROLLBACK are no-ops, so that the loader's
    per-table merge joins the caller's transaction instead of committing on its own."""

    _TRANSACTION = {"BEGIN", "BEGIN TRANSACTION", "COMMIT", "ROLLBACK"}

    def __init__(self, con: Any):
        self._con = con

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.strip().upper() in self._TRANSACTION:
            return None
        return self._con.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


@dataclass
class Part:
    """The rows of one table in a multi-table load: validated rows wait in the temp table
    ``valid`` (typed, with ``__file``/``__row`` indexing ``paths``) until the merge."""

    table: Table
    paths: list[Path]
    shas: list[str]
    report: LoadReport
    valid: str
    quarantine: list[tuple] = field(default_factory=list)
    _domains: dict | None = None


def existing_tables(con: Any) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary AND schema_name = 'main'"
    ).fetchall()
    return {r[0] for r in rows}


def ensure_tables(con: Any, tables: Sequence[Table]) -> None:
    """Create the tables the store lacks and seed reference tables from the packaged files.
    A reference table the store already has gains the packaged rows whose key it lacks (a new
    release's mappings reach old stores) and keeps its own rows as they are. Runs in the
    caller's transaction: a load that is refused or fails leaves no trace of it."""
    have = existing_tables(con)
    for t in tables:
        if t.name not in have:
            con.execute(create_table_sql(t))
            if t.reference:
                seed_reference(con, t)
        elif t.reference:
            _add_missing_reference_rows(con, t)


def _add_missing_reference_rows(con: Any, table: Table) -> None:
    import pyarrow as pa

    rows = reference_rows(table.name)
    con.register(
        "pkg_rows",
        pa.table({c.name: pa.array([r[c.name] for r in rows], pa.string()) for c in table.columns}),
    )
    casts = ", ".join(
        f"CAST(NULLIF(p.{q(c.name)}, '') AS {c.type}) AS {q(c.name)}" for c in table.columns
    )
    on = " AND ".join(
        f"s.{q(k)} = CAST(NULLIF(p.{q(k)}, '') AS {table.column(k).type})" for k in table.key
    )
    con.execute(
        f"INSERT INTO {q(table.name)} SELECT {casts} FROM pkg_rows p "
        f"WHERE NOT EXISTS (SELECT 1 FROM {q(table.name)} s WHERE {on})"
    )
    con.unregister("pkg_rows")


class Batch:
    """One multi-table load: ``with Batch(store) as batch, batch.transaction():`` create
    tables, stage files and ``validate`` them into parts, then ``merge`` the parts. Row numbers
    come from the files (the CSV reader and Parquet's row numbers), so staging inside the
    transaction is safe."""

    def __init__(self, store: Store):
        self.store = store
        self.con = store.writable()
        self.load_id = uuid.uuid4().hex[:16]
        self.parts: dict[str, Part] = {}
        self._temp: list[str] = []

    def temp_name(self, what: str) -> str:
        name = f"{what}_{self.load_id}_{len(self._temp)}"
        self._temp.append(name)
        return name

    def part(self, table: Table, paths: Sequence[Path], shas: Sequence[str]) -> Part:
        valid = f"valid_{self.load_id}_{table.name}"
        self._temp.append(valid)
        defs = ", ".join(f"{q(c.name)} {c.type}" for c in table.columns)
        self.con.execute(f"CREATE TEMP TABLE {valid} ({defs}, __file INTEGER, __row BIGINT)")
        report = LoadReport(table=table.name, load_id=self.load_id)
        report.files = [str(p) for p in paths]
        part = Part(table, list(paths), list(shas), report, valid)
        self.parts[table.name] = part
        return part

    def validate(self, part: Part, staged: str, structural: Sequence[tuple] = ()) -> None:
        """Check the rows of ``staged`` (the table's columns, as text or typed, plus ``__file``
        and ``__row``) into the part. ``structural`` rejections (rows the CSV reader could not
        split) are (file index, row, fields, reason, raw line)."""
        if part._domains is None:
            part._domains = loader._domains(self.con, part.table)
        part.quarantine += list(structural)
        part.quarantine += loader._validate(self.con, part.table, staged, part.valid, part._domains)
        n = self.con.execute(f"SELECT count(*) FROM {staged}").fetchone()[0]
        part.report.rows_read += n + len(structural)

    def merge(self, part: Part, strict: bool) -> LoadReport:
        """Merge the part's valid rows with the loader's own rules (in-load duplicates and
        versions, quarantine, record_changes, lineage, the loads table)."""
        loader._load_valid(
            _InOuterTransaction(self.con),
            part.table,
            part.valid,
            part.paths,
            part.shas,
            part.quarantine,
            part.report,
            strict,
            None,
        )
        return part.report

    @contextmanager
    def transaction(self, before_commit: Callable[[], None] | None = None) -> Iterator[Batch]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self
            if before_commit is not None:
                before_commit()  # lets tests fail a load at its most delicate point
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, *exc: object) -> None:
        for t in self._temp:
            self.con.execute(f"DROP TABLE IF EXISTS {t}")
        self._temp.clear()
