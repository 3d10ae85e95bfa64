"""A plain-text summary of what a store holds (the demo prints it)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table as RichTable

from .schema import CANONICAL, DATE_COLUMNS
from .store import Store
from .validation import q


def store_summary(store: Store) -> list[tuple[str, int, str | None, str | None]]:
    """(table, rows, first date, last date) of every canonical table; a table the store does
    not hold (a national set, a warehouse with some tables) counts 0 rows."""
    if not store.is_duckdb or store.is_folder:
        return _summary_ibis(store)
    rows = []
    for t in CANONICAL:
        d = DATE_COLUMNS[t.name]
        n, lo, hi = store.duck.execute(
            f"SELECT count(*), min({q(d)})::DATE::VARCHAR, max({q(d)})::DATE::VARCHAR "
            f"FROM {q(t.name)}"
        ).fetchone()
        rows.append((t.name, int(n), lo, hi))
    return rows


def _summary_ibis(store: Store) -> list[tuple[str, int, str | None, str | None]]:
    """The same through Ibis, for any backend (one aggregate query per table)."""
    present = set(store.tables())
    rows = []
    for t in CANONICAL:
        if t.name not in present:
            rows.append((t.name, 0, None, None))
            continue
        tbl = store.table(t.name)
        d = tbl[DATE_COLUMNS[t.name]]
        got = tbl.aggregate(n=tbl.count(), lo=d.min(), hi=d.max()).to_pyarrow().to_pylist()[0]
        day = lambda v: None if v is None else str(v)[:10]  # noqa: E731
        rows.append((t.name, int(got["n"]), day(got["lo"]), day(got["hi"])))
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
    held = store.count("quarantine") if "quarantine" in store.tables() else 0
    if held:
        console.print(f"{held:,} row(s) in quarantine: forcestat quarantine --store {store.url}")
