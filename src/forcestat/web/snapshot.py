"""What the server serves, read from the store into memory: the served rows of one framework,
the geography, the users and their token hashes.

The server holds no connection to the store while it runs (a DuckDB file takes one writer
process, and loads and refreshes must go on while the server serves). It reads the store once
at start, then whenever the file changes (checked every ``poll`` seconds by its size and
modification time), with a short read-only connection; while the store is locked by a load the
rows already in memory go on being served and the read is tried again at the next check. A new
set of rows replaces the old one whole: a request sees one snapshot, never a mixture.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from forcestat.store import served, users

log = logging.getLogger("forcestat.web")


class NotRefreshed(LookupError):
    """The store holds no served rows for the framework: ``forcestat refresh`` first."""


@dataclass
class Snapshot:
    """The served rows in an in-memory DuckDB database (tables ``results``, ``series``,
    ``statements``), and what goes with them."""

    db: Any  # duckdb connection to an in-memory database; use db.cursor() per thread
    framework_hash: str
    snapshot: str
    refreshed_at: str
    periods: dict[str, list[str]]  # edition -> periods with results
    areas: dict[str, str]  # district -> area
    users: dict[str, users.User]
    tokens: dict[str, str]  # token sha256 -> user name
    measures: list[dict[str, Any]] = field(default_factory=list)  # the framework, for /measures
    columns: dict[str, list[str]] = field(default_factory=dict)  # table -> columns (query.py)


def _read(path: str, framework: Any) -> Snapshot:
    from forcestat.store.connection import duckdb_path

    con = duckdb.connect(duckdb_path(path), read_only=True)
    try:
        st = served.state(con, framework.hash)
        if st is None:
            raise NotRefreshed(
                f"{path}: no served rows for framework {framework.hash}: "
                "run `forcestat refresh --store ...` first"
            )
        frames = {
            "results": served.read(con, "served_results", framework.hash),
            "series": served.read(con, "served_series", framework.hash),
            "statements": served.read(con, "served_statements", framework.hash),
        }
        geo = con.execute("SELECT district, area FROM geography").fetchall()
        people = users.all_users(con)
        tokens = users.tokens(con)
    finally:
        con.close()
    db = duckdb.connect(":memory:")
    for name, frame in frames.items():
        db.register("_frame", frame)
        db.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _frame')
        db.unregister("_frame")
    db.execute("CREATE INDEX results_key ON results (edition, period_end, measure_id)")
    periods: dict[str, list[str]] = {}
    for edition, period in db.execute(
        "SELECT DISTINCT edition, period_end FROM results ORDER BY 1, 2"
    ).fetchall():
        periods.setdefault(edition, []).append(period)
    return Snapshot(
        db=db,
        framework_hash=framework.hash,
        snapshot=str(st["snapshot"]),
        refreshed_at=str(st["refreshed_at"]),
        periods=periods,
        areas={str(d): str(a) for d, a in geo},
        users={u.name: u for u in people},
        tokens=tokens,
        measures=describe_measures(framework, frames["results"]),
    )


def describe_measures(framework: Any, results: pd.DataFrame) -> list[dict[str, Any]]:
    """The framework's measures as the API lists them, with whether the store's rows hold any
    (a measure the data cannot support has none)."""
    have = set(results["measure_id"].astype(str)) if len(results) else set()
    priority: dict[str, list[str]] = {}
    for pa in getattr(framework, "priority_areas", ()):
        for mid in pa.measures:
            priority.setdefault(mid, []).append(pa.id)
    out = []
    for m in framework.measures:
        out.append(
            {
                "id": m.id,
                "title": m.title,
                "kind": m.kind,
                "polarity": m.polarity,
                "theme": m.theme,
                "description": m.description,
                "priority_areas": priority.get(m.id, []),
                "table": m.table,
                "breakdowns": [
                    "force",
                    *(("area", "district") if m.geography else ()),
                    *m.breakdowns,
                ],
                "windows": list(m.windows_in(framework.settings)),
                "comparators": list(m.comparators_in(framework.settings)),
                "available": m.id in have,
            }
        )
    return json.loads(json.dumps(out, default=str))


class SnapshotHolder:
    """The current snapshot, re-read when the store file changes."""

    def __init__(self, store_path: str, framework: Any, poll: float = 1.0):
        from forcestat.store.connection import duckdb_path

        self.path = duckdb_path(store_path)
        self.framework = framework
        self.poll = poll
        self._stamp = self._file_stamp()
        self.current: Snapshot = _read(self.path, framework)
        self._listeners: list[Callable[[Snapshot], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _file_stamp(self) -> tuple:
        out = []
        for p in (Path(self.path), Path(self.path + ".wal")):
            try:
                s = os.stat(p)
                out.append((s.st_mtime_ns, s.st_size))
            except FileNotFoundError:
                out.append(None)
        return tuple(out)

    def on_change(self, fn: Callable[[Snapshot], None]) -> None:
        self._listeners.append(fn)

    def check(self) -> bool:
        """Re-read the store if its file changed; True when a new snapshot is in."""
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return False
        try:
            snap = _read(self.path, self.framework)
        except (duckdb.IOException, duckdb.TransactionException) as exc:
            # A load or refresh holds the store: keep serving what we have, try again.
            log.info("store busy, keeping the served rows: %s", str(exc).splitlines()[0])
            return False
        except NotRefreshed as exc:
            log.warning("%s", exc)
            self._stamp = stamp
            return False
        self.current = snap
        self._stamp = stamp
        for fn in self._listeners:
            fn(snap)

        return True

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.wait(self.poll):
                try:
                    self.check()
                except Exception:
                    log.exception("re-reading the store failed; serving the rows already read")

        self._thread = threading.Thread(target=loop, name="forcestat-snapshot", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
