"""Users of the server and their API tokens, kept in the store (docs/serve.md).

A user has a role (``analyst``, ``commander``, ``board``) and, for a commander, the unit
(an area or a district of the geography table) they may see. Passwords arrive here already
hashed (Argon2id, by the caller) and tokens as their SHA-256: the store never holds a secret
that would let a reader of the file sign in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

ROLES = ("analyst", "commander", "board")

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS users (
        name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, unit VARCHAR,
        password_hash VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS user_tokens (
        token_sha256 VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)""",
)


class UserError(ValueError):
    """A user cannot be added, found or changed (the message says why)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    unit: str | None
    password_hash: str
    created_at: datetime


def ensure(con: Any) -> None:
    for sql in SCHEMA:
        con.execute(sql)


def _has_tables(con: Any) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'"
    ).fetchone()
    return bool(row and row[0])


def add(con: Any, name: str, role: str, unit: str | None, password_hash: str) -> User:
    if role not in ROLES:
        raise UserError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if (role == "commander") != (unit is not None):
        raise UserError("a commander needs --unit (an area or district); other roles take none")
    ensure(con)
    if con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
        raise UserError(f"user {name!r} exists (remove it first)")
    now = datetime.now()
    con.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?)", [name, role, unit, password_hash, now])
    return User(name, role, unit, password_hash, now)


def remove(con: Any, name: str) -> int:
    """Remove a user and every token of theirs; returns how many users went (0 or 1)."""
    if not _has_tables(con):
        return 0
    con.execute("BEGIN")
    try:
        con.execute("DELETE FROM user_tokens WHERE name = ?", [name])
        n = con.execute("DELETE FROM users WHERE name = ? RETURNING name", [name]).fetchall()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(n)


def all_users(con: Any) -> list[User]:
    if not _has_tables(con):
        return []
    rows = con.execute(
        "SELECT name, role, unit, password_hash, created_at FROM users ORDER BY name"
    ).fetchall()
    return [User(*r) for r in rows]


def add_token(con: Any, name: str, token_sha256: str) -> None:
    ensure(con)
    if not con.execute("SELECT 1 FROM users WHERE name = ?", [name]).fetchone():
        raise UserError(f"no user {name!r}")
    con.execute("INSERT INTO user_tokens VALUES (?, ?, ?)", [token_sha256, name, datetime.now()])


def tokens(con: Any) -> dict[str, str]:
    """token SHA-256 -> user name."""
    if not _has_tables(con):
        return {}
    return dict(con.execute("SELECT token_sha256, name FROM user_tokens").fetchall())


def token_counts(con: Any) -> dict[str, int]:
    if not _has_tables(con):
        return {}
    return dict(con.execute("SELECT name, count(*) FROM user_tokens GROUP BY name").fetchall())
