"""Which columns of the store a source could not fill, and why.

An importer of public data (data.police.uk publishes no domestic abuse flag, no offence code
finer than the crime type, no day of the month) records those columns here, so that a measure
reading them is reported as "not available from this data" rather than as a misleading zero.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def unavailable_columns(con: Any) -> dict[tuple[str, str], str]:
    """{(table, column): 'reason (source)'} for the whole store."""
    rows = con.execute(
        "SELECT table_name, column_name, string_agg(reason || ' (' || source || ')', '; ' "
        "ORDER BY source) FROM unavailable_columns GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    return {(t, c): why for t, c, why in rows}
