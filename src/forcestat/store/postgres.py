"""A force's PostgreSQL database as the store (``--store postgresql://user@host/db``).

The engine reads it through Ibis like any backend. Loads keep the DuckDB loader's promises
(every field validated, bad rows quarantined, one transaction, re-loading does not double
count) by running that very loader on a staging copy:

1. one PostgreSQL transaction starts and takes an advisory lock (loads into the store queue);
2. the target table, the bookkeeping tables and the reference tables are copied from
   PostgreSQL into a temporary DuckDB store;
3. ``loader.load_files`` loads the files there, exactly as into a DuckDB store;
4. what the load changed goes back inside the same transaction: the stored rows whose keys
   the load wrote are deleted and the load's rows copied in (COPY), and the load's bookkeeping
   rows (loads, quarantine, record changes) likewise; then it commits.

A load that fails or is killed at any point leaves PostgreSQL as it was (the transaction is
never committed). Values travel only through COPY and query parameters; table and column names
come from the packaged schema and are quoted by psycopg (``sql.Identifier``). The staging copy
reads the whole target table each load: fine for one force's records (a few million rows);
docs/scale.md says what a national warehouse would want instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import StoreError
from .schema import CANONICAL, REFERENCE, Table

SCHEMES = ("postgresql", "postgres")
# A constant key for pg_advisory_xact_lock: one load at a time per database.
LOAD_LOCK = 0x666F7263  # "forc"
# DuckDB's names for the schema's types -> PostgreSQL's.
PG_TYPES = {"DOUBLE": "DOUBLE PRECISION", "VARCHAR": "TEXT"}
LINEAGE = (
    ("source_file", "VARCHAR"),
    ("source_row", "BIGINT"),
    ("loaded_at", "TIMESTAMP"),
    ("load_id", "VARCHAR"),
)
BOOKKEEPING: dict[str, tuple[tuple[str, str], ...]] = {
    "loads": (
        ("load_id", "VARCHAR"),
        ("table_name", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("file_sha256", "VARCHAR"),
        ("rows_read", "BIGINT"),
        ("inserted", "BIGINT"),
        ("replaced", "BIGINT"),
        ("unchanged", "BIGINT"),
        ("duplicates", "BIGINT"),
        ("superseded", "BIGINT"),
        ("quarantined", "BIGINT"),
        ("started_at", "TIMESTAMP"),
        ("finished_at", "TIMESTAMP"),
    ),
    "quarantine": (
        ("load_id", "VARCHAR"),
        ("table_name", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("file_sha256", "VARCHAR"),
        ("source_row", "BIGINT"),
        ("fields", "VARCHAR"),
        ("reasons", "VARCHAR"),
        ("record", "VARCHAR"),
        ("quarantined_at", "TIMESTAMP"),
    ),
    "unavailable_columns": (
        ("table_name", "VARCHAR"),
        ("column_name", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("source", "VARCHAR"),
    ),
    "record_changes": (
        ("load_id", "VARCHAR"),
        ("table_name", "VARCHAR"),
        ("record_key", "VARCHAR"),
        ("changed_columns", "VARCHAR"),
        ("old_values", "VARCHAR"),
        ("new_values", "VARCHAR"),
        ("old_source", "VARCHAR"),
        ("new_source", "VARCHAR"),
        ("changed_at", "TIMESTAMP"),
    ),
}


def columns_of(table: Table) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a stored table: its fields, then lineage for record tables."""
    cols = [(c.name, c.type) for c in table.columns]
    return cols + list(LINEAGE) if not table.reference else cols


def _pg_type(duck_type: str) -> str:
    return PG_TYPES.get(duck_type, duck_type)


def connect(url: str) -> Any:
    """A psycopg connection (libpq reads the URL: user, host or socket folder, database)."""
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            f"{url}: PostgreSQL support is not installed (pip install 'forcestat[postgres]')"
        ) from None
    try:
        return psycopg.connect(url, autocommit=False)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StoreError(f"{url}: cannot connect to PostgreSQL: {first}") from None


def _create(cur: Any, name: str, cols: Sequence[tuple[str, str]]) -> None:
    from psycopg import sql

    defs = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_pg_type(t))) for c, t in cols
    )
    cur.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(sql.Identifier(name), defs))


def _existing_columns(cur: Any, name: str) -> set[str]:
    cur.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s",
        [name],
    )
    return {r[0] for r in cur.fetchall()}


def initialise(url: str) -> None:
    """Create any missing table (and any column a newer schema added); seed the reference
    tables from the package's files. One transaction; idempotent."""
    from psycopg import sql

    from .reference_files import reference_rows

    with connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOAD_LOCK])
        for t in CANONICAL:
            cols = columns_of(t)
            have = _existing_columns(cur, t.name)
            _create(cur, t.name, cols)
            for c, typ in cols:
                if have and c not in have:
                    cur.execute(
                        sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(
                            sql.Identifier(t.name), sql.Identifier(c), sql.SQL(_pg_type(typ))
                        )
                    )
        for name, cols in BOOKKEEPING.items():
            _create(cur, name, cols)
        for t in REFERENCE:
            if _existing_columns(cur, t.name):
                continue
            _create(cur, t.name, columns_of(t))
            rows = [
                [None if (r.get(c.name) or "") == "" else r[c.name] for c in t.columns]
                for r in reference_rows(t.name)
            ]
            copy_in(cur, t.name, [c.name for c in t.columns], rows)
        conn.commit()


def copy_in(cur: Any, name: str, cols: Sequence[str], rows: Any) -> int:
    """COPY rows into a table (values travel as COPY data, never as SQL text)."""
    from psycopg import sql

    stmt = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(name), sql.SQL(", ").join(map(sql.Identifier, cols))
    )
    n = 0
    with cur.copy(stmt) as cp:
        for row in rows:
            cp.write_row(row)
            n += 1
    return n


def _fetch(
    cur: Any,
    name: str,
    cols: Sequence[tuple[str, str]],
    where: Any = None,
    params: Sequence[Any] = (),
) -> Any:
    """A PostgreSQL table (or its rows matching ``where``) as an Arrow table typed as the
    staging store's columns."""
    import pyarrow as pa
    from psycopg import sql

    stmt = sql.SQL("SELECT {} FROM {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c, _ in cols), sql.Identifier(name)
    )
    if where is not None:
        stmt = stmt + sql.SQL(" WHERE ") + where
    cur.execute(stmt, list(params))
    rows = cur.fetchall()
    arrow_types = {
        "VARCHAR": pa.string(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
    }
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in cols]
    return pa.table(
        {c: pa.array(list(v), type=arrow_types[t]) for (c, t), v in zip(cols, columns, strict=True)}
    )


def stage_from(
    cur: Any,
    duck: Any,
    name: str,
    cols: Sequence[tuple[str, str]],
    where: Any = None,
    params: Sequence[Any] = (),
) -> None:
    """Replace the staging store's table ``name`` with PostgreSQL's rows."""
    from .sqltext import q

    data = _fetch(cur, name, cols, where, params)
    duck.execute(f"DELETE FROM {q(name)}")
    duck.register("pg_rows", data)
    names = ", ".join(q(c) for c, _ in cols)
    duck.execute(f"INSERT INTO {q(name)} ({names}) SELECT {names} FROM pg_rows")
    duck.unregister("pg_rows")


def _rows(
    duck: Any,
    name: str,
    cols: Sequence[tuple[str, str]],
    where: str = "",
    params: Sequence[Any] = (),
) -> Any:
    from .sqltext import q

    names = ", ".join(q(c) for c, _ in cols)
    return duck.execute(f"SELECT {names} FROM {q(name)} {where}", list(params)).fetchall()


def write_back(cur: Any, duck: Any, table: Table, load_id: str) -> None:
    """Copy what the staged load changed into PostgreSQL (inside the caller's transaction)."""
    from psycopg import sql

    cols = columns_of(table)
    names = [c for c, _ in cols]
    ident = sql.Identifier(table.name)
    if table.reference:
        # A reference table is small and carries no lineage: it is replaced whole.
        cur.execute(sql.SQL("DELETE FROM {}").format(ident))
        copy_in(cur, table.name, names, _rows(duck, table.name, cols))
    else:
        written = _rows(duck, table.name, cols, "WHERE load_id = ?", [load_id])
        if written:
            # The keys this load wrote: new ones, and stored ones it replaced (deleted here).
            key_cols = [(c, t) for c, t in cols if c in table.key]
            cur.execute(
                sql.SQL("CREATE TEMP TABLE forcestat_keys ({}) ON COMMIT DROP").format(
                    sql.SQL(", ").join(
                        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_pg_type(t)))
                        for c, t in key_cols
                    )
                )
            )
            pos = [names.index(c) for c, _ in key_cols]
            copy_in(
                cur,
                "forcestat_keys",
                [c for c, _ in key_cols],
                ([r[i] for i in pos] for r in written),
            )
            match = sql.SQL(" AND ").join(
                sql.SQL("t.{c} = k.{c}").format(c=sql.Identifier(c)) for c, _ in key_cols
            )
            cur.execute(
                sql.SQL("DELETE FROM {} t USING forcestat_keys k WHERE {}").format(ident, match)
            )
            copy_in(cur, table.name, names, written)
    # Bookkeeping: this table's quarantine as the staged load left it (a re-loaded file's bad
    # rows replace their earlier entries), and the load's own rows of the others.
    qcols = BOOKKEEPING["quarantine"]
    cur.execute("DELETE FROM quarantine WHERE table_name = %s", [table.name])
    copy_in(
        cur,
        "quarantine",
        [c for c, _ in qcols],
        _rows(duck, "quarantine", qcols, "WHERE table_name = ?", [table.name]),
    )
    for name in ("loads", "record_changes"):
        bcols = BOOKKEEPING[name]
        copy_in(
            cur,
            name,
            [c for c, _ in bcols],
            _rows(duck, name, bcols, "WHERE load_id = ?", [load_id]),
        )
