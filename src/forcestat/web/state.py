"""The server's own state: sessions, failed logins and the audit log, in a SQLite file beside
the store (docs/serve.md).

Why not the store itself: a DuckDB file takes one writer process at a time, and a server that
wrote every request's audit row into the store would lock out ``forcestat load`` and
``refresh`` for as long as it runs. SQLite (WAL mode) lets the server write while the command
line reads (``forcestat users audit``) and while loads run against the store.

The audit log is append-only: triggers refuse any UPDATE or DELETE of its rows. Secrets never
come here: a session is kept as the SHA-256 of its cookie value, and a login's password is
neither stored nor logged.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at REAL NOT NULL, last_seen REAL NOT NULL);
CREATE TABLE IF NOT EXISTS login_failures (kind TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (kind, key, at);
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT, role TEXT NOT NULL,
    unit TEXT, address TEXT, method TEXT NOT NULL, endpoint TEXT NOT NULL, params TEXT NOT NULL,
    status INTEGER NOT NULL, rows INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

AUDIT_COLUMNS = (
    "seq",
    "at",
    "user",
    "role",
    "unit",
    "address",
    "method",
    "endpoint",
    "params",
    "status",
    "rows",
)


def default_path(store_path: str) -> Path:
    """``force.duckdb`` -> ``force.duckdb.server.sqlite``."""
    return Path(f"{store_path}.server.sqlite")


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    name: str
    csrf: str
    created_at: float
    last_seen: float


class ServerState:
    """One connection shared by the server's threads (SQLite serialises; the lock keeps each
    statement and its commit together)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=NORMAL")
            self._con.execute("PRAGMA busy_timeout=5000")
            self._con.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def _run(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        with self._lock:
            return self._con.execute(sql, params).fetchall()

    # -- sessions -----------------------------------------------------------------------------
    def add_session(self, session_id: str, name: str, csrf: str) -> None:
        now = time.time()
        self._run(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
            (sha256(session_id), name, csrf, now, now),
        )

    def session(self, session_id: str) -> Session | None:
        rows = self._run(
            "SELECT name, csrf, created_at, last_seen FROM sessions WHERE id_sha256 = ?",
            (sha256(session_id),),
        )
        return Session(*rows[0]) if rows else None

    def touch_session(self, session_id: str) -> None:
        self._run(
            "UPDATE sessions SET last_seen = ? WHERE id_sha256 = ?",
            (time.time(), sha256(session_id)),
        )

    def drop_session(self, session_id: str) -> None:
        self._run("DELETE FROM sessions WHERE id_sha256 = ?", (sha256(session_id),))

    def drop_sessions_except(self, names: set[str]) -> int:
        """End the sessions of users who no longer exist; returns how many ended."""
        rows = self._run("SELECT DISTINCT name FROM sessions")
        gone = [r[0] for r in rows if r[0] not in names]
        for name in gone:
            self._run("DELETE FROM sessions WHERE name = ?", (name,))
        return len(gone)

    def expire_sessions(self, idle_seconds: float, max_seconds: float) -> None:
        now = time.time()
        self._run(
            "DELETE FROM sessions WHERE last_seen < ? OR created_at < ?",
            (now - idle_seconds, now - max_seconds),
        )

    # -- failed logins ------------------------------------------------------------------------
    def failures(self, kind: str, key: str, since: float) -> tuple[int, float | None]:
        """(failures of ``key`` since ``since``, the time of the oldest of them)."""
        rows = self._run(
            "SELECT count(*), min(at) FROM login_failures WHERE kind = ? AND key = ? AND at >= ?",
            (kind, key, since),
        )
        return int(rows[0][0]), rows[0][1]

    def add_failure(self, kind: str, key: str) -> None:
        self._run("INSERT INTO login_failures VALUES (?, ?, ?)", (kind, key, time.time()))

    def clear_failures(self, kind: str, key: str) -> None:
        self._run("DELETE FROM login_failures WHERE kind = ? AND key = ?", (kind, key))

    def forget_failures_before(self, when: float) -> None:
        self._run("DELETE FROM login_failures WHERE at < ?", (when,))

    # -- audit log ----------------------------------------------------------------------------
    def audit(
        self,
        *,
        user: str | None,
        role: str,
        unit: str | None,
        address: str | None,
        method: str,
        endpoint: str,
        params: Mapping[str, Any],
        status: int,
        rows: int,
    ) -> None:
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._run(
            "INSERT INTO audit_log (at, user, role, unit, address, method, endpoint, params, "
            "status, rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                at,
                user,
                role,
                unit,
                address,
                method,
                endpoint,
                json.dumps(dict(params), sort_keys=True),
                status,
                rows,
            ),
        )

    def audit_rows(self, limit: int | None = None, user: str | None = None) -> list[dict]:
        sql = f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log"
        params: list[Any] = []
        if user is not None:
            sql += " WHERE user = ?"
            params.append(user)
        sql += " ORDER BY seq DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        rows = self._run(sql, params)
        return [dict(zip(AUDIT_COLUMNS, r, strict=True)) for r in reversed(rows)]
