"""What every request passes before an endpoint, and every response on its way out: request
size limits, who is asking (bearer token or session cookie) and the security headers, in a
plain ASGI middleware that runs on every route, the pages to come included; and the CSRF check
(``check_csrf``), an app-wide dependency that runs after routing (docs/serve.md, "Security")."""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from forcestat.web.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, Auth, AuthError, same

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def problem(
    status: int,
    title: str | None,
    detail: str | None,
    instance: str | None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    return Response(
        json.dumps(body).encode(),
        status_code=status,
        media_type="application/problem+json",
        headers=dict(headers or {}),
    )


class Guard:
    def __init__(self, app, auth: Auth, max_body: int, max_query: int, hsts: bool = False):
        self.app = app
        self.auth = auth
        self.max_body = max_body
        self.max_query = max_query
        self.headers = HEADERS + (
            [(b"strict-transport-security", b"max-age=31536000; includeSubDomains")] if hsts else []
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in names]
                if scope["path"].startswith("/api/") and b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        receive = self._limited(receive)
        refused = self._check(scope)
        if refused is not None:
            await refused(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)

    def _check(self, scope) -> Response | None:
        path = scope["path"]
        if len(scope.get("query_string", b"")) > self.max_query or len(path) > self.max_query:
            return problem(414, "URI too long", f"at most {self.max_query} bytes", None)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return problem(413, "Request too large", f"at most {self.max_body} bytes", None)
        state = scope.setdefault("state", {})
        state["principal"] = None
        state["csrf"] = None
        bearer = headers.get("authorization", "")
        cookies = SimpleCookie()
        try:
            cookies.load(headers.get("cookie", ""))
        except CookieError:
            cookies = SimpleCookie()  # a malformed Cookie header carries no credential
        session = cookies.get(SESSION_COOKIE)
        if bearer:
            scheme, _, token = bearer.partition(" ")
            try:
                if scheme.lower() != "bearer" or not token.strip():
                    raise AuthError("Authorization: use Bearer <token>")
                state["principal"] = self.auth.from_token(token.strip())
            except AuthError as exc:
                return problem(401, "Not signed in", str(exc), path, {"WWW-Authenticate": "Bearer"})
        elif session is not None and session.value:
            found = self.auth.from_session(session.value)
            if found is not None:
                state["principal"], state["csrf"] = found
        return None

    def _limited(self, receive):
        seen = 0
        limit = self.max_body

        async def inner():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        return inner


async def check_csrf(request: Request) -> None:
    """Every state-changing request without a bearer token carries the CSRF token: in the
    X-CSRF-Token header, or (a plain HTML form cannot send headers) a ``csrf_token`` form
    field. Signed in, the token is the session's; before, the ``forcestat_csrf`` cookie's. An
    app-wide dependency: it runs on every route, after routing (an unknown method is a 405)."""
    if request.method in SAFE_METHODS or request.headers.get("authorization"):
        return
    expected = getattr(request.state, "csrf", None) or request.cookies.get(CSRF_COOKIE)
    given = request.headers.get(CSRF_HEADER)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not given and kind == "application/x-www-form-urlencoded":
        body = await request.body()  # kept by the request for the endpoint
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
        given = (fields.get("csrf_token") or [None])[0]
    if not same(given, expected):
        raise CsrfError("send the X-CSRF-Token header given by GET /api/v1/session")


class CsrfError(Exception):
    """403: a state-changing request without the right CSRF token."""


class BodyTooLarge(Exception):
    """A body without Content-Length ran past the limit."""
