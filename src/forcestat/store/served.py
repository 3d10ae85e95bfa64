"""Precomputed rows for the server (docs/serve.md): what ``forcestat refresh`` computed, so that
requests only read.

Four tables, each row keyed by the framework hash it was computed for (a store may serve more
than one framework); ``served_state`` records, per framework, the data snapshot the rows belong
to, the loads they include and when they were computed:

- ``served_results``: ``measure_results`` rows of every period, for each edition (``board``;
  ``public`` with the disclosure columns of ``engine.public``);
- ``served_series``: the monthly series behind the SPC charts, one row per unit and month;
- ``served_statements``: the structured findings (``findings.tell``) of each period;
- ``served_compstat``: the dashboard's CompStat counts (``engine.compstat``): each source's
  categories by unit in 7-day, 28-day, year-to-date and financial-year-to-date windows ending
  on each of a set of dates, with the same days a year earlier and the exact test;
- ``served_mi``: the supervisors' daily list (``engine.victim_mi``): Victims Code contacts due
  and overdue by district, team and officer, as at the latest load.

The store knows nothing of what the rows mean: the shape of each table follows the first frame
written to it, and rows are replaced by framework and (optionally) period, in one transaction
with the state row, so that a reader sees the old rows or the new, never a mixture. Frames go in
through DuckDB's Arrow scan; values never enter SQL text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from .sqltext import q

TABLES = (
    "served_results",
    "served_series",
    "served_statements",
    "served_compstat",
    "served_mi",
)

STATE_SQL = """CREATE TABLE IF NOT EXISTS served_state (
    framework_hash VARCHAR PRIMARY KEY, snapshot VARCHAR, load_ids VARCHAR,
    first_period VARCHAR, last_period VARCHAR, refreshed_at TIMESTAMP, seconds DOUBLE,
    periods_computed INTEGER, measures_computed INTEGER, measures VARCHAR)"""


class ServedError(LookupError):
    """The store holds no precomputed rows for what was asked."""


def _exists(con: Any, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchone()
    return bool(row and row[0])


def save(
    con: Any,
    framework_hash: str,
    frames: Mapping[str, pd.DataFrame],
    *,
    state: Mapping[str, Any],
    replace: Mapping[str, pd.DataFrame | None],
) -> None:
    """Write ``frames`` (table name -> rows, each with the table's columns) in one transaction.

    ``replace[table]``: key rows (any of the table's columns) whose matching old rows go first
    (None: all the framework's rows; an empty frame: none).
    ``state``: the ``served_state`` row's fields besides the framework hash (``measures``: the
    measures the data supported)."""
    con.execute("BEGIN")
    try:
        con.execute(STATE_SQL)
        for table, frame in frames.items():
            if table not in TABLES:
                raise ValueError(f"{table}: not a served table")
            frame = frame.assign(framework_hash=framework_hash)
            con.register("_served_frame", frame)
            try:
                if not _exists(con, table):
                    con.execute(f"CREATE TABLE {q(table)} AS SELECT * FROM _served_frame LIMIT 0")
                keys = replace.get(table)
                if keys is None:
                    con.execute(
                        f"DELETE FROM {q(table)} WHERE framework_hash = ?", [framework_hash]
                    )
                elif len(keys):
                    con.register("_served_keys", keys)
                    match = " AND ".join(f'k."{c}" = t."{c}"' for c in keys.columns)
                    con.execute(
                        f"DELETE FROM {q(table)} t WHERE framework_hash = ? AND EXISTS ("
                        f"SELECT 1 FROM _served_keys k WHERE {match})",
                        [framework_hash],
                    )
                    con.unregister("_served_keys")
                if len(frame):
                    con.execute(f"INSERT INTO {q(table)} BY NAME SELECT * FROM _served_frame")
            finally:
                con.unregister("_served_frame")
        con.execute("DELETE FROM served_state WHERE framework_hash = ?", [framework_hash])
        con.execute(
            "INSERT INTO served_state VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                framework_hash,
                state["snapshot"],
                json.dumps(sorted(state.get("load_ids", ()))),
                state.get("first_period"),
                state.get("last_period"),
                state.get("refreshed_at") or datetime.now(),
                float(state.get("seconds", 0.0)),
                int(state.get("periods_computed", 0)),
                int(state.get("measures_computed", 0)),
                json.dumps(sorted(state.get("measures", ()))),
            ],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def state(con: Any, framework_hash: str) -> dict[str, Any] | None:
    """The ``served_state`` row of a framework, None before its first refresh."""
    if not _exists(con, "served_state"):
        return None
    cur = con.execute("SELECT * FROM served_state WHERE framework_hash = ?", [framework_hash])
    row = cur.fetchone()
    if row is None:
        return None
    out = dict(zip([d[0] for d in cur.description], row, strict=True))
    out["load_ids"] = json.loads(out["load_ids"] or "[]")
    out["measures"] = json.loads(out.get("measures") or "[]")
    return out


def has_rows(con: Any, table: str, framework_hash: str) -> bool:
    """Whether a served table holds rows of a framework (a store refreshed before the table
    existed has none)."""
    if table not in TABLES:
        raise ValueError(f"{table}: not a served table")
    if not _exists(con, table):
        return False
    row = con.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {q(table)} WHERE framework_hash = ? LIMIT 1)",
        [framework_hash],
    ).fetchone()
    return bool(row and row[0])


def read(con: Any, table: str, framework_hash: str, **equal: str) -> pd.DataFrame:
    """Rows of a served table for a framework (and ``column=value`` filters), without the
    framework column. ``ServedError`` when the table was never written."""
    if table not in TABLES:
        raise ValueError(f"{table}: not a served table")
    if not _exists(con, table):
        raise ServedError(f"the store has no {table}: run `forcestat refresh` first")
    cols = [r[0] for r in con.execute(f"DESCRIBE {q(table)}").fetchall()]
    where, params = ["framework_hash = ?"], [framework_hash]
    for name, value in equal.items():
        if name not in cols:
            raise ValueError(f"{table} has no column {name!r}")
        where.append(f'"{name}" = ?')
        params.append(value)
    keep = ", ".join(f'"{c}"' for c in cols if c != "framework_hash")
    sql = f"SELECT {keep} FROM {q(table)} WHERE {' AND '.join(where)}"
    return con.execute(sql, params).df()


def load_ids(con: Any) -> list[tuple[str, str, int]]:
    """Every load in the store: (load_id, table_name, rows replaced)."""
    if not _exists(con, "loads"):
        return []
    rows = con.execute(
        "SELECT load_id, table_name, coalesce(sum(replaced), 0) FROM loads "
        "GROUP BY load_id, table_name"
    ).fetchall()
    return [(str(a), str(b), int(c)) for a, b, c in rows]


def months_loaded(
    con: Any, table: str, columns: Sequence[str], loads: Sequence[str]
) -> tuple[str, str] | None:
    """The first and last month (``YYYY-MM``) of ``columns`` among the records of ``table``
    that ``loads`` brought in; None when they hold none. Table and column names are the
    schema's (checked against the table), values go as parameters."""
    if not loads or not _exists(con, table):
        return None
    have = {r[0] for r in con.execute(f"DESCRIBE {q(table)}").fetchall()}
    cols = [c for c in columns if c in have]
    if not cols or "load_id" not in have:
        return None
    ids = pd.DataFrame({"load_id": list(loads)})
    con.register("_served_loads", ids)
    try:
        lo = ", ".join(f"min({q(c)})" for c in cols)
        hi = ", ".join(f"max({q(c)})" for c in cols)
        row = con.execute(
            f"SELECT least({lo}), greatest({hi}) FROM {q(table)} "
            "WHERE load_id IN (SELECT load_id FROM _served_loads)"
        ).fetchone()
    finally:
        con.unregister("_served_loads")
    if row is None or row[0] is None:
        return None
    return (f"{row[0]:%Y-%m}", f"{row[1]:%Y-%m}")
