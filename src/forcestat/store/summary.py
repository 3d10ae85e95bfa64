"""A plain-text summary of what a store holds (the demo prints it)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table as RichTable

from .schema import CANONICAL, DATE_COLUMNS
from .store import Store
from .validation import q


def store_summary(store: Store) -> list[tuple[str, int, str | None, str | None]]:
    rows = []
    for t in CANONICAL:
        d = DATE_COLUMNS[t.name]
        n, lo, hi = store.duck.execute(
            f"SELECT count(*), min({q(d)})::DATE::VARCHAR, max({q(d)})::DATE::VARCHAR "
            f"FROM {q(t.name)}"
        ).fetchone()
        rows.append((t.name, int(n), lo, hi))
    return rows


def print_summary(store: Store, console: Console) -> None:
    tbl = RichTable(title=f"Store {store.url}")
    tbl.add_column("table")
    tbl.add_column("rows", justify="right")
    tbl.add_column("from")
    tbl.add_column("to")
    for name, n, lo, hi in store_summary(store):
        tbl.add_row(name, f"{n:,}", lo or "", hi or "")
    console.print(tbl)
    q = store.count("quarantine")
    if q:
        console.print(f"{q:,} row(s) in quarantine: forcestat quarantine --store {store.url}")
