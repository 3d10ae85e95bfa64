"""Open a store from what a user types: a DuckDB file path, a folder of Parquet, or a URL.

A store address that cannot be a store is refused with one line saying why, before anything
is created or written: a CSV or Parquet file (data to load, not a store), a file that is not a
DuckDB database, a missing store for a command that only reads, a URL whose scheme no backend
knows, a store another process holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import StoreError

if TYPE_CHECKING:
    import ibis

__all__ = ["StoreError", "check_store_path", "connect", "duckdb_path", "is_duckdb_target"]


# Names of data files: a store given such a name is a mistake for the file to load.
DATA_SUFFIXES = (
    ".csv",
    ".csv.gz",
    ".tsv",
    ".txt",
    ".gz",
    ".parquet",
    ".pq",
    ".json",
    ".xlsx",
    ".xls",
    ".zip",
)
DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def is_duckdb_target(url: str) -> bool:
    return "://" not in url or url.startswith("duckdb://")


def is_postgres_url(url: str) -> bool:
    return "://" in url and url.split("://", 1)[0].lower() in ("postgresql", "postgres")


def duckdb_path(url: str) -> str:
    """The file path behind a DuckDB store address (``:memory:`` allowed)."""
    if url.startswith("duckdb://"):
        path = url[len("duckdb://") :]
        return path[1:] if path.startswith("/") and not path.startswith("//") else path
    return url


def check_store_path(url: str, must_exist: bool) -> None:
    """Refuse a DuckDB store address that is not one (see the module docstring)."""
    path = duckdb_path(url)
    if path in (":memory:", ""):
        if not path:
            raise StoreError("--store: empty store path")
        return
    p = Path(path)
    if p.is_dir():
        return
    if p.name.lower().endswith(DATA_SUFFIXES):
        what = "exists and is" if p.exists() else "names"
        raise StoreError(
            f"{path}: {what} a data file, not a store; a store is a DuckDB file (e.g. "
            "force.duckdb), a folder of Parquet files or a connection URL"
        )
    if p.exists():
        if not p.is_file():
            raise StoreError(f"{path}: not a file or folder")
        try:
            with p.open("rb") as fh:
                head = fh.read(12)
        except OSError as exc:
            raise StoreError(f"{path}: the store cannot be read: {exc.strerror or exc}") from None
        if head[8:12] != DUCKDB_MAGIC:
            what = "an empty file" if not head else "not a DuckDB database"
            raise StoreError(
                f"{path}: {what}; a store is a DuckDB file, a folder of Parquet files or a "
                "connection URL"
            )
    elif must_exist:
        raise StoreError(
            f"{path}: no such store (create one with forcestat load or forcestat synth)"
        )


def open_error(url: str, exc: Exception) -> StoreError:
    """A DuckDB failure to open ``url``, as one line without DuckDB's own text."""
    import re

    text = str(exc)
    if "lock" in text.lower():
        pid = re.search(r"PID (\d+)", text)
        who = f" (process {pid.group(1)})" if pid else ""
        return StoreError(
            f"{url}: the store is in use by another process{who}; try again when it has finished"
        )
    if "newer version" in text.lower() or "older version" in text.lower():
        return StoreError(f"{url}: the store was written by another version of DuckDB")
    return StoreError(f"{url}: not a readable DuckDB store (damaged or truncated?)")


def connect(url: str, read_only: bool = False) -> ibis.BaseBackend:
    """Connect through Ibis. A path (or duckdb:// URL) is an embedded DuckDB file; a folder of
    Parquet files is opened as read-only views; anything else goes to ``ibis.connect``."""
    import duckdb
    import ibis

    if is_duckdb_target(url):
        path = duckdb_path(url)
        check_store_path(url, must_exist=read_only)
        p = Path(path)
        if p.is_dir():
            con = ibis.duckdb.connect()
            try:
                for f in sorted(p.glob("*.parquet")):
                    con.read_parquet(str(f), table_name=f.stem)
                for d in sorted(x for x in p.iterdir() if x.is_dir()):
                    if any(d.rglob("*.parquet")):
                        con.read_parquet(str(d / "**" / "*.parquet"), table_name=d.name)
            except duckdb.Error:
                raise StoreError(f"{url}: a Parquet file in this folder cannot be read") from None
            return con
        if path != ":memory:":
            p.parent.mkdir(parents=True, exist_ok=True)
        try:
            return ibis.duckdb.connect(path, read_only=read_only)
        except duckdb.Error as exc:
            raise open_error(url, exc) from None
    return _connect_url(url)


def _connect_url(url: str) -> ibis.BaseBackend:
    from importlib.metadata import entry_points

    import ibis

    from . import spark

    if spark.is_spark_url(url):
        # Ibis' own pyspark URL makes a session from a warehouse folder only: forcestat starts
        # the session the URL names and registers the store's tables (store/spark.py).
        return spark.connect(url)
    scheme = url.split("://", 1)[0].lower()
    known = sorted(e.name for e in entry_points(group="ibis.backends"))
    aliases = {"postgresql": "postgres", "spark": "pyspark"}
    if aliases.get(scheme, scheme) not in known:
        raise StoreError(
            f"{url}: unknown store URL scheme {scheme!r}; use a DuckDB file path, a folder of "
            f"Parquet files or a URL of one of: {', '.join(known)}"
        )
    try:
        return ibis.connect(url)
    except ImportError:
        raise StoreError(
            f"{url}: the {scheme} backend is not installed (pip install 'ibis-framework[{scheme}]')"
        ) from None
    except Exception as exc:  # noqa: BLE001 - drivers raise their own types
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreError(f"{url}: cannot connect to the store: {first}") from None
