"""Which columns of the store a source could not fill, and why.

An importer of public data (data.police.uk publishes no domestic abuse flag, no offence code
finer than the crime type, no day of the month) records those columns here, so that a measure
reading them is reported as "not available from this data" rather than as a misleading zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def mark_unavailable(con: Any, table: str, reasons: Mapping[str, str], source: str) -> None:
    """Record (idempotently) that ``source`` cannot fill these columns of ``table``."""
    con.execute(
        "DELETE FROM unavailable_columns WHERE table_name = ? AND source = ?", [table, source]
    )
    con.executemany(
        "INSERT INTO unavailable_columns VALUES (?, ?, ?, ?)",
        [[table, col, why, source] for col, why in sorted(reasons.items())],
    )


def unavailable_columns(store: Any) -> dict[tuple[str, str], str]:
    """{(table, column): 'reason (source); ...'} for the whole store (a ``Store`` or any Ibis
    backend); empty when the store keeps no such table."""
    backend = getattr(store, "ibis", store)
    if "unavailable_columns" not in backend.list_tables():
        return {}
    reasons: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for r in backend.table("unavailable_columns").to_pyarrow().to_pylist():
        key = (r["table_name"], r["column_name"])
        reasons.setdefault(key, []).append((r["source"], r["reason"]))
    return {
        key: "; ".join(f"{why} ({source})" for source, why in sorted(found))
        for key, found in sorted(reasons.items())
    }


def table_counts(store: Any, tables: Iterable[str]) -> dict[str, int]:
    """Rows in each of ``tables`` (0 for a table the store does not have)."""
    backend = getattr(store, "ibis", store)
    present = set(backend.list_tables())
    return {t: int(backend.table(t).count().execute()) if t in present else 0 for t in tables}
