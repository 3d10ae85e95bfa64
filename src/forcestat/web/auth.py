"""Who is asking: passwords (Argon2id), API tokens, session cookies, CSRF and login throttling
(docs/serve.md, "Security").

- Passwords are hashed with Argon2id (argon2-cffi's RFC 9106 low-memory profile) and verified
  in constant time; an unknown user name costs the same verification, so timing does not tell
  which names exist.
- An API token is 32 random bytes; the store keeps its SHA-256 (a token is as random as a
  key, so a slow hash adds nothing but a delay on every request).
- A session is a random cookie value (HttpOnly, SameSite=Strict, Secure behind TLS) whose
  SHA-256 the server state keeps, with its CSRF token; every state-changing request without a
  bearer token must carry that token in ``X-CSRF-Token`` (before login: the token of the
  ``forcestat_csrf`` cookie that ``GET /api/v1/session`` hands out).
- Failed logins are counted per user name and per client address; past the limits, logins
  answer 429 with Retry-After, without checking the password.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from forcestat.web.query import Principal
from forcestat.web.snapshot import SnapshotHolder
from forcestat.web.state import ServerState, sha256

SESSION_COOKIE = "forcestat_session"
CSRF_COOKIE = "forcestat_csrf"
CSRF_HEADER = "x-csrf-token"
TOKEN_PREFIX = "fst_"


@cache
def hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id, t=3, m=64 MiB, p=4


def hash_password(password: str) -> str:
    return hasher().hash(password)


@cache
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_hex(16))


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


class AuthError(Exception):
    """401: no valid credentials."""


class Throttled(Exception):
    """429: too many failed logins; ``retry_after`` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins: try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limits:
    per_user: int = 5  # failed logins per user name within the window
    per_address: int = 20  # failed logins per client address within the window
    window: float = 15 * 60.0
    session_idle: float = 60 * 60.0
    session_max: float = 12 * 60 * 60.0


class Auth:
    def __init__(self, state: ServerState, holder: SnapshotHolder, limits: Limits | None = None):
        self.state = state
        self.holder = holder
        self.limits = limits or Limits()

    # -- credentials on a request ---------------------------------------------------------------
    def from_token(self, token: str) -> Principal:
        snap = self.holder.current
        name = snap.tokens.get(sha256(token))
        user = snap.users.get(name) if name else None
        if user is None:
            raise AuthError("the bearer token is not valid")
        return Principal(user.name, user.role, user.unit, "token")

    def from_session(self, session_id: str) -> tuple[Principal, str] | None:
        """(principal, csrf token) of a live session, None otherwise."""
        s = self.state.session(session_id)
        if s is None:
            return None
        now = time.time()
        user = self.holder.current.users.get(s.name)
        if (
            user is None
            or now - s.last_seen > self.limits.session_idle
            or now - s.created_at > self.limits.session_max
        ):
            self.state.drop_session(session_id)
            return None
        if now - s.last_seen > 60:
            self.state.touch_session(session_id)
        return Principal(user.name, user.role, user.unit, "session"), s.csrf

    # -- logging in -----------------------------------------------------------------------------
    def _check_throttle(self, name: str, address: str) -> None:
        since = time.time() - self.limits.window
        for kind, key, limit in (
            ("user", name, self.limits.per_user),
            ("address", address, self.limits.per_address),
        ):
            n, oldest = self.state.failures(kind, key, since)
            if n >= limit:
                wait = int((oldest or time.time()) + self.limits.window - time.time()) + 1
                raise Throttled(max(1, wait))

    def login(self, name: str, password: str, address: str) -> tuple[str, str, Principal]:
        """(session id, csrf token, principal); ``Throttled`` or ``AuthError``."""
        self._check_throttle(name, address)
        user = self.holder.current.users.get(name)
        if not verify_password(user.password_hash if user else None, password) or user is None:
            self.state.add_failure("user", name)
            self.state.add_failure("address", address)
            raise AuthError("the user name or password is wrong")
        self.state.clear_failures("user", name)
        session_id, csrf = new_secret(), new_secret()
        self.state.add_session(session_id, user.name, csrf)
        return session_id, csrf, Principal(user.name, user.role, user.unit, "session")

    def logout(self, session_id: str) -> None:
        self.state.drop_session(session_id)

    def forget_removed_users(self) -> None:
        self.state.drop_sessions_except(set(self.holder.current.users))
        self.state.expire_sessions(self.limits.session_idle, self.limits.session_max)
        self.state.forget_failures_before(time.time() - self.limits.window)
