"""The ASGI app: API v1 under ``/api/v1`` (the public edition under ``/api/v1/public``), read-only
over the rows ``forcestat refresh`` computed (docs/serve.md).

``create_app(settings, report_maker=...)``: the command line (top rank) hands in whatever needs
the pipeline (building a report); this package never imports it (docs/architecture.md §8).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from forcestat.web import formats, models, pages, query
from forcestat.web.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Auth,
    AuthError,
    Limits,
    Throttled,
    new_secret,
)
from forcestat.web.guard import BodyTooLarge, CsrfError, Guard, check_csrf, problem
from forcestat.web.query import PUBLIC, Forbidden, NotFound, Principal
from forcestat.web.snapshot import SnapshotHolder
from forcestat.web.state import ServerState

log = logging.getLogger("forcestat.web")

API = "/api/v1"
STATIC = Path(__file__).parent / "static"
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
TEXT = r"^[^\x00-\x1f\x7f]*$"  # no control characters in a name
REPORT_MEDIA = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

# (period, fmt, public, out_dir, snapshot) -> the written file; injected by `forcestat serve`.
ReportMaker = Callable[[str, str, bool, Path, str], Path]


@dataclass
class Settings:
    store: str
    framework: Any
    state_path: Path
    secure_cookies: bool = False
    limits: Limits = field(default_factory=Limits)
    poll_seconds: float = 1.0
    max_body: int = 16 * 1024
    max_query: int = 2048
    report_dir: Path | None = None


class ReportCache:
    """Reports built on request, one at a time, kept per snapshot, edition, period and format."""

    def __init__(self, root: Path, maker: ReportMaker):
        self.root = root
        self.maker = maker
        self.lock = threading.Lock()

    def get(self, snapshot: str, framework: str, period: str, fmt: str, public: bool) -> Path:
        edition = "public" if public else "board"
        folder = self.root / framework / snapshot / edition
        target = folder / f"{period}.{fmt}"
        with self.lock:
            if not target.exists():
                folder.mkdir(parents=True, exist_ok=True)
                made = self.maker(period, fmt, public, folder / f".{period}-{fmt}", snapshot)
                made.replace(target)
        return target


def create_app(settings: Settings, report_maker: ReportMaker | None = None) -> FastAPI:
    holder = SnapshotHolder(settings.store, settings.framework, settings.poll_seconds)
    state = ServerState(settings.state_path)
    auth = Auth(state, holder, settings.limits)
    holder.on_change(lambda _snap: auth.forget_removed_users())
    reports = None
    if report_maker is not None:
        reports = ReportCache(
            settings.report_dir or settings.state_path.with_suffix(".reports"), report_maker
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        auth.forget_removed_users()
        holder.start()
        try:
            yield
        finally:
            holder.stop()
            state.close()

    app = FastAPI(
        title="forcestat API",
        version="1",
        summary="A police force's performance measures, SPC series and findings, by role.",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,  # Swagger UI needs inline scripts and a CDN: not with this CSP
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(check_csrf)],
    )
    app.state.auth = auth
    app.state.holder = holder
    app.state.server_state = state
    app.add_middleware(
        Guard,
        auth=auth,
        max_body=settings.max_body,
        max_query=settings.max_query,
        hsts=settings.secure_cookies,
    )
    _error_handlers(app)

    def meta(scope: query.Scope) -> dict[str, str]:
        snap = holder.current
        return {
            "edition": scope.edition,
            "snapshot": snap.snapshot,
            "framework": snap.framework_hash,
        }

    def audit(request: Request, who: Principal, status: int, rows: int) -> None:
        params = dict(request.query_params)
        params.update(request.path_params)
        state.audit(
            user=who.name,
            role=who.role,
            unit=who.unit,
            address=_address(request),
            method=request.method,
            endpoint=request.url.path,
            params=params,
            status=status,
            rows=rows,
        )

    app.state.audit = audit

    async def signed_in(request: Request) -> Principal:
        who = getattr(request.state, "principal", None)
        if who is None:
            raise AuthError("sign in (POST /api/v1/session) or send Authorization: Bearer")
        return who

    async def anyone(request: Request) -> Principal:
        request.state.principal = request.state.principal or PUBLIC
        return PUBLIC

    for public in (False, True):
        router = _data_router(public, holder, meta, audit, reports)
        dep = [Depends(anyone if public else signed_in)]
        app.include_router(router, prefix=f"{API}/public" if public else API, dependencies=dep)
    app.include_router(_session_router(auth, settings), prefix=API)
    # The dashboard's pages (web/pages.py), through the same query layer and audit log.
    board_pages = pages.Pages(holder, auth, audit, _cookie(settings))
    app.state.pages = board_pages
    app.include_router(pages.router(board_pages, public=False))
    app.include_router(pages.router(board_pages, public=True))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


Fmt = Annotated[
    Literal["json", "csv", "parquet", "xlsx"],
    Query(alias="format", description="json (default), csv, parquet or xlsx."),
]
PeriodQ = Annotated[
    str | None, Query(pattern=PERIOD, description="Period end YYYY-MM (default: the latest).")
]
MeasureQ = Annotated[str | None, Query(max_length=100, pattern=TEXT)]
NameQ = Annotated[str | None, Query(max_length=200, pattern=TEXT)]


def _data_router(public: bool, holder: SnapshotHolder, meta, audit, reports) -> APIRouter:
    router = APIRouter(tags=["public" if public else "data"])
    suffix = "_public" if public else ""
    edition = "public" if public else None

    # The data endpoints run on the event loop: each filters a few thousand rows in memory (a
    # millisecond or two), less than a hop to a worker thread and back costs under load. The
    # report, which builds files, runs in the thread pool.
    def scope_of(request: Request) -> tuple[Principal, query.Scope]:
        who: Principal = request.state.principal or PUBLIC
        return who, query.scope_for(who, holder.current, edition)

    def tabular(request, who, scope, table, fmt, name, **extra) -> Response:
        out = formats.render(table, fmt, name, {**meta(scope), **extra})
        audit(request, who, 200, len(table))
        return out

    @router.get("/periods", response_model=models.PeriodsPage, operation_id=f"periods{suffix}")
    async def periods(request: Request) -> Response:
        """The periods (``YYYY-MM``) with results."""
        who, scope = scope_of(request)
        snap = holder.current
        got = query.periods(snap, scope)
        body = {
            **meta(scope),
            "refreshed_at": snap.refreshed_at,
            "periods": got,
            "latest": got[-1] if got else None,
        }
        audit(request, who, 200, len(got))
        return Response(formats.json_bytes(body), media_type="application/json")

    @router.get("/measures", response_model=models.MeasuresPage, operation_id=f"measures{suffix}")
    async def measures(request: Request) -> Response:
        """The framework's measures."""
        who, _ = scope_of(request)
        snap = holder.current
        got = query.measures(snap)
        audit(request, who, 200, len(got))
        body = {"framework": snap.framework_hash, "measures": got}
        return Response(formats.json_bytes(body), media_type="application/json")

    @router.get(
        "/results",
        response_model=models.ResultsPage,
        operation_id=f"results{suffix}",
        responses=_tabular_responses(),
    )
    async def results(
        request: Request,
        period: PeriodQ = None,
        measure: MeasureQ = None,
        breakdown: MeasureQ = None,
        unit: NameQ = None,
        window: Annotated[Literal["12m", "fytd", "3m", "1m"] | None, Query()] = None,
        fmt: Fmt = "json",
    ) -> Response:
        """``measure_results`` rows of one period (default: the latest), in your role's scope."""
        who, scope = scope_of(request)
        snap = holder.current
        period = period or query.latest_period(snap, scope)
        table = query.results(
            snap,
            scope,
            period=period,
            measure=measure,
            breakdown=breakdown,
            unit=unit,
            window=window,
        )
        return tabular(request, who, scope, table, fmt, f"results-{period}", period=period)

    @router.get(
        "/series/{measure}",
        response_model=models.SeriesPage,
        operation_id=f"series{suffix}",
        responses=_tabular_responses(),
    )
    async def series(
        request: Request,
        measure: Annotated[str, PathParam(max_length=100, pattern=TEXT)],
        breakdown: MeasureQ = None,
        unit: NameQ = None,
        fmt: Fmt = "json",
    ) -> Response:
        """The monthly values, SPC limits and signals of a measure's units (default: the force)
        at the measure's latest period."""
        who, scope = scope_of(request)
        table = query.series(holder.current, scope, measure, breakdown=breakdown, unit=unit)
        return tabular(request, who, scope, table, fmt, f"series-{measure}", measure=measure)

    @router.get(
        "/findings",
        response_model=models.FindingsPage,
        operation_id=f"findings{suffix}",
        responses=_tabular_responses(),
    )
    async def findings(
        request: Request, period: PeriodQ = None, measure: MeasureQ = None, fmt: Fmt = "json"
    ) -> Response:
        """What the Board paper says of each measure for a period, as statements with their
        role, verdict and the units they speak of."""
        who, scope = scope_of(request)
        snap = holder.current
        period = period or query.latest_period(snap, scope)
        table = query.findings(snap, scope, period=period, measure=measure)
        return tabular(request, who, scope, table, fmt, f"findings-{period}", period=period)

    @router.get(
        "/reports/{period}.{fmt}",
        operation_id=f"report{suffix}",
        response_class=Response,
        responses={
            200: {
                "description": "The report file.",
                "content": {m.split(";")[0]: {} for m in REPORT_MEDIA.values()},
            },
            **_problems(403, 404, 503),
        },
    )
    def report(
        request: Request,
        period: Annotated[str, PathParam(pattern=PERIOD)],
        fmt: Annotated[Literal["html", "pdf", "docx"], PathParam()],
    ) -> Response:
        """The Board report of a period (the public edition under /public). Commanders get 403:
        the full report holds every district's rows."""
        who, scope = scope_of(request)
        if scope.units is not None:
            raise Forbidden(
                "the full report holds every district: commanders read their units through "
                "/results, /series and /findings"
            )
        snap = holder.current
        if period not in snap.periods.get(scope.edition, []):
            raise NotFound(f"no results for period {period}")
        if reports is None:
            raise NotFound("this server does not build reports")
        try:
            path = reports.get(snap.snapshot, snap.framework_hash, period, fmt, public)
        except StaleStore as exc:
            return problem(503, "Store changed", str(exc), request.url.path)
        audit(request, who, 200, 1)
        return FileResponse(
            path,
            media_type=REPORT_MEDIA[fmt],
            filename=f"performance-report-{period}{'-public' if public else ''}.{fmt}",
        )

    return router


class StaleStore(RuntimeError):
    """The store's data changed since the last refresh (a report would not match the API)."""


def _cookie(settings: Settings) -> dict[str, Any]:
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": settings.secure_cookies,
        "path": "/",
    }


def _session_router(auth: Auth, settings: Settings) -> APIRouter:
    router = APIRouter(tags=["session"])
    cookie = _cookie(settings)

    def info(request: Request, response: Response) -> dict[str, Any]:
        who = request.state.principal
        if who is not None and who.via == "session":
            return {
                "authenticated": True,
                "user": who.name,
                "role": who.role,
                "unit": who.unit,
                "csrf_token": request.state.csrf,
            }
        token = request.cookies.get(CSRF_COOKIE)
        if not token or len(token) > 100:
            token = new_secret()
            response.set_cookie(CSRF_COOKIE, token, max_age=3600, **cookie)
        out: dict[str, Any] = {"authenticated": who is not None, "csrf_token": token}
        if who is not None:
            out.update(user=who.name, role=who.role, unit=who.unit)
        return out

    @router.get("/session", response_model=models.SessionInfo, operation_id="session")
    def session(request: Request, response: Response) -> dict[str, Any]:
        """Who you are, and the CSRF token to send with a login (or, signed in, with any
        state-changing request)."""
        return info(request, response)

    @router.post(
        "/session",
        response_model=models.SessionInfo,
        operation_id="login",
        responses=_problems(400, 401, 403, 413, 415, 429),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": models.Login.model_json_schema()},
                    "application/x-www-form-urlencoded": {
                        "schema": models.Login.model_json_schema()
                    },
                },
            }
        },
    )
    async def login(request: Request) -> Response:
        """Sign in with a user name and password (JSON or a form); sets the session cookie.
        Needs the X-CSRF-Token header (or a ``csrf_token`` form field) from GET /session."""
        creds = await _login_body(request)
        address = _address(request)
        try:
            # Argon2 takes tens of milliseconds of CPU: not on the event loop.
            sid, csrf, who = await run_in_threadpool(
                auth.login, creds.username, creds.password, address
            )
        except AuthError:
            request.app.state.audit(request, Principal(creds.username, "unknown"), 401, 0)
            raise
        except Throttled:
            request.app.state.audit(request, Principal(creds.username, "unknown"), 429, 0)
            raise
        request.app.state.audit(request, who, 200, 0)
        body = {
            "authenticated": True,
            "user": who.name,
            "role": who.role,
            "unit": who.unit,
            "csrf_token": csrf,
        }
        resp = Response(formats.json_bytes(body), media_type="application/json")
        resp.set_cookie(SESSION_COOKIE, sid, max_age=int(settings.limits.session_max), **cookie)
        resp.delete_cookie(CSRF_COOKIE, path="/")
        return resp

    @router.delete("/session", status_code=204, operation_id="logout", responses=_problems(403))
    def logout(request: Request) -> Response:
        """Sign out (needs X-CSRF-Token)."""
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            auth.logout(sid)
        resp = Response(status_code=204)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    return router


async def _login_body(request: Request) -> models.Login:
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            data = json.loads(raw or b"null")
        elif kind == "application/x-www-form-urlencoded":
            data = {k: v[0] for k, v in parse_qs(raw.decode(), max_num_fields=10).items()}
        else:
            raise StarletteHTTPException(415, "send JSON or a form (username, password)")
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return models.Login.model_validate(
            {"username": data.get("username"), "password": data.get("password")}
        )
    except (ValueError, UnicodeDecodeError, ValidationError) as exc:
        msg = "give username and password (strings)"
        if isinstance(exc, ValidationError):
            # Only the fields' names and the rule: never a submitted value (a password).
            msg += ": " + "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()
            )
        raise StarletteHTTPException(400, msg) from None


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    titles = {
        400: "Bad request",
        401: "Not signed in",
        403: "Forbidden",
        404: "Not found",
        413: "Request too large",
        414: "URI too long",
        415: "Unsupported media type",
        422: "Invalid parameters",
        429: "Too many failed logins",
        503: "Unavailable",
    }
    return {
        c: {
            "description": titles[c],
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        for c in codes
    }


def _tabular_responses() -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "The rows (JSON unless format= says otherwise).",
            "content": {
                formats.MEDIA[f].split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                for f in ("csv", "parquet", "xlsx")
            },
        },
        **_problems(403, 404),
    }


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every error as problem+json (RFC 9457): 401 on the endpoints
    that need credentials, 413/414 anywhere, 422 for parameters out of their rules."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = models.Problem.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    common = _problems(413, 414, 422)
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            responses = op.setdefault("responses", {})
            for code, spec in common.items():
                responses[str(code)] = spec
            private = path.startswith(API) and not path.startswith(f"{API}/public")
            if private and not path.endswith("/session") and not path.endswith("openapi.json"):
                responses.update({str(k): v for k, v in _problems(401).items()})
                op["security"] = [{"bearer": []}, {"session": []}]
            if method in ("post", "delete"):
                responses.update({str(k): v for k, v in _problems(403).items()})
    doc["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer"},
        "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
    }
    app.openapi_schema = doc
    return doc


def _error_handlers(app: FastAPI) -> None:
    def page(request: Request, status: int, title: str, detail: str | None) -> Response | None:
        """A page's error is a page (HTML), not a problem document."""
        if not pages.is_page(request.url.path):
            return None
        return request.app.state.pages.error(request, status, title, detail)

    @app.exception_handler(pages.SignIn)
    async def sign_in(request: Request, exc: pages.SignIn) -> Response:
        from urllib.parse import urlencode

        return RedirectResponse(f"/login?{urlencode({'next': exc.path})}", status_code=303)

    def audited(request: Request, status: int) -> None:
        path = request.url.path
        who = getattr(request.state, "principal", None)
        data = path.startswith(API) and not path.startswith(f"{API}/session")
        if data and "openapi" not in path and request.method == "GET":
            request.app.state.audit(request, who or PUBLIC, status, 0)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the first route of the path; a path has one per method.
            methods = {
                m
                for r in request.app.routes
                if getattr(r, "path_regex", None) is not None
                and r.path_regex.match(request.url.path)
                for m in getattr(r, "methods", None) or ()
            }
            headers["Allow"] = ", ".join(sorted(methods))
        html = page(request, exc.status_code, HTTPStatus(exc.status_code).phrase, str(exc.detail))
        if html is not None:
            html.headers.update(headers)
            return html
        return problem(exc.status_code, None, str(exc.detail), request.url.path, headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        # Names of the parameters and the rules they broke; never the submitted values.
        detail = "; ".join(
            f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return page(request, 422, "Invalid parameters", detail) or problem(
            422, "Invalid parameters", detail, request.url.path
        )

    @app.exception_handler(AuthError)
    async def unauthenticated(request: Request, exc: AuthError) -> Response:
        audited(request, 401)
        return problem(
            401, "Not signed in", str(exc), request.url.path, {"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(Throttled)
    async def throttled(request: Request, exc: Throttled) -> Response:
        return problem(
            429,
            "Too many failed logins",
            str(exc),
            request.url.path,
            {"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        audited(request, 403)
        if pages.is_page(request.url.path):
            who = getattr(request.state, "principal", None)
            request.app.state.audit(request, who or PUBLIC, 403, 0)
        return page(request, 403, "Forbidden", str(exc)) or problem(
            403, "Forbidden", str(exc), request.url.path
        )

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        audited(request, 404)
        return page(request, 404, "Not found", str(exc)) or problem(
            404, "Not found", str(exc), request.url.path
        )

    @app.exception_handler(CsrfError)
    async def csrf_failed(request: Request, exc: CsrfError) -> Response:
        return page(request, 403, "CSRF check failed", "reload the page and try again") or problem(
            403, "CSRF check failed", str(exc), request.url.path
        )

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> Response:
        return problem(413, "Request too large", None, request.url.path)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("error serving %s", request.url.path)
        detail = "the server could not answer; see its log"
        return page(request, 500, "Server error", detail) or problem(
            500, "Server error", detail, None
        )
