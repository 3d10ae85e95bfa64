"""Open a store from what a user types: a DuckDB file path, a folder of Parquet, or a URL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis


def is_duckdb_target(url: str) -> bool:
    return "://" not in url or url.startswith("duckdb://")


def duckdb_path(url: str) -> str:
    """The file path behind a DuckDB store address (``:memory:`` allowed)."""
    if url.startswith("duckdb://"):
        path = url[len("duckdb://") :]
        return path[1:] if path.startswith("/") and not path.startswith("//") else path
    return url


def connect(url: str, read_only: bool = False) -> ibis.BaseBackend:
    """Connect through Ibis. A path (or duckdb:// URL) is an embedded DuckDB file; a folder of
    Parquet files is opened as read-only views; anything else goes to ``ibis.connect``."""
    import ibis

    if is_duckdb_target(url):
        path = duckdb_path(url)
        p = Path(path)
        if p.is_dir():
            con = ibis.duckdb.connect()
            for f in sorted(p.glob("*.parquet")):
                con.read_parquet(str(f), table_name=f.stem)
            for d in sorted(x for x in p.iterdir() if x.is_dir()):
                if any(d.rglob("*.parquet")):
                    con.read_parquet(str(d / "**" / "*.parquet"), table_name=d.name)
            return con
        if path != ":memory:":
            p.parent.mkdir(parents=True, exist_ok=True)
        return ibis.duckdb.connect(path, read_only=read_only)
    return ibis.connect(url)
