"""The dashboard: server-rendered pages (Jinja2, HTMX 2 for the interactions), every figure read
through the query layer in the caller's scope (docs/dashboard.md).

Addresses: ``/login``, ``/`` (the Board summary), ``/measures/{id}``, ``/units/{unit}``,
``/compstat``, ``/map``, ``/mi``; ``?period=YYYY-MM`` where a period applies. The public
edition's pages live under ``/public`` (summary, measures, map) and need no login; every other
page sends a visitor without a session to ``/login``. A commander who names another district
in any address (a page, a chart, a download) gets 403.

Scripts and styles are files under ``/static`` (the CSP has no 'unsafe-inline'); the measure
page's chart is drawn by the vendored Vega with its expression interpreter (no ``eval``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from forcestat.web import figures, formats, query, views
from forcestat.web.auth import CSRF_COOKIE, SESSION_COOKIE, AuthError, Throttled, new_secret
from forcestat.web.cache import LRU
from forcestat.web.query import PUBLIC, NotFound, Principal, Scope

TEMPLATES = Path(__file__).parent / "templates"
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
DAY = r"^\d{4}-\d{2}-\d{2}$"
TEXT = r"^[^\x00-\x1f\x7f]*$"
PUBLIC_PREFIX = "/public"
PNG = "image/png"
SVG = "image/svg+xml"

PeriodQ = Annotated[str | None, Query(pattern=PERIOD)]
NameQ = Annotated[str | None, Query(max_length=200, pattern=TEXT)]
TableFmt = Annotated[Literal["html", "csv", "xlsx"], Query(alias="format")]


class SignIn(Exception):
    """A page asked for without a session: go to the login page."""

    def __init__(self, path: str):
        self.path = path


@dataclass
class Ctx:
    """Who is asking, in which scope, on which snapshot: what every page needs."""

    request: Request
    who: Principal
    scope: Scope
    snap: Any
    public: bool

    @property
    def base(self) -> str:
        return PUBLIC_PREFIX if self.public else ""

    @property
    def api(self) -> str:
        return "/api/v1/public" if self.public else "/api/v1"

    @property
    def key(self) -> tuple:
        """What a cached view depends on besides its own arguments."""
        return (
            self.snap.snapshot,
            self.snap.refreshed_at,
            self.scope.edition,
            # A force-wide scope (None) and a commander left with no units (an empty set)
            # list the same keys: the flag keeps their cached views apart.
            self.scope.units is None,
            tuple(self.scope.keys()),
        )


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["q"] = lambda v: quote(str(v), safe="")
    env.filters["month"] = lambda p: views.period_label(p) if p else ""
    env.globals["markup"] = Markup
    return env


def _safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never '//host' or a URL)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


class Pages:
    def __init__(self, holder: Any, auth: Any, audit: Callable, cookie: dict[str, Any]):
        self.holder = holder
        self.auth = auth
        self.audit = audit
        self.cookie = cookie
        self.env = _environment()
        self.measures = views.Measures(holder.framework)
        self.views = LRU(512)
        self.renders = figures.RenderCache(512)

    # -- plumbing -------------------------------------------------------------------------------
    def ctx(self, request: Request, public: bool) -> Ctx:
        who: Principal | None = request.state.principal
        if public:
            who = who or PUBLIC
        elif who is None:
            raise SignIn(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        snap = self.holder.current
        scope = query.scope_for(who, snap, "public" if public else None)
        return Ctx(request, who, scope, snap, public)

    def period(self, c: Ctx, period: str | None) -> str:
        if period is not None:
            if period not in query.periods(c.snap, c.scope):
                raise NotFound(f"no results for period {period}")
            return period
        # Counting every period's measures takes ~15 ms: once per snapshot and edition.
        got = self.views.get(
            ("default period", c.snap.snapshot, c.snap.refreshed_at, c.scope.edition),
            lambda: views.default_period(c.snap, c.scope.edition),
        )
        if got is None:
            raise NotFound("no results: run `forcestat refresh`")
        return got

    def render(self, c: Ctx, name: str, status: int = 200, rows: int = 0, **kw: Any) -> Response:
        snap = c.snap
        who = c.who
        nav = [("Summary", f"{c.base}/"), ("Map", f"{c.base}/map")]
        if not c.public:
            nav += [("CompStat", "/compstat"), ("Daily list", "/mi")]
            if who.unit:
                nav.insert(1, (f"My unit: {who.unit}", f"/units/{quote(who.unit, safe='')}"))
        html = self.env.get_template(name).render(
            c=c,
            who=who,
            nav=nav,
            path=c.request.url.path,
            csrf=getattr(c.request.state, "csrf", None),
            snapshot=snap.snapshot,
            framework=snap.framework_hash,
            refreshed=str(snap.refreshed_at)[:16],
            edition="Public edition" if c.public else "Board edition",
            **kw,
        )
        self.audit(c.request, who, status, rows)
        return HTMLResponse(html, status_code=status)

    def error(self, request: Request, status: int, title: str, detail: str | None) -> Response:
        html = self.env.get_template("error.html.j2").render(
            status=status, title=title, detail=detail, c=None, nav=[], who=None, path=""
        )
        return HTMLResponse(html, status_code=status)

    def table_download(self, c: Ctx, table: query.Table, fmt: str, name: str) -> Response:
        meta = {"edition": c.scope.edition, "snapshot": c.snap.snapshot}
        out = formats.render(table, fmt, name, meta)
        self.audit(c.request, c.who, 200, len(table))
        return out

    # -- views ----------------------------------------------------------------------------------
    def summary(self, c: Ctx, period: str) -> views.Summary:
        return self.views.get(
            ("summary", *c.key, period),
            lambda: views.summary(self.measures, c.snap, c.scope, period),
        )

    def series(self, c: Ctx, mid: str, breakdown: str | None, unit: str | None):
        """The served series of one unit (default: the force) in scope, or None when the
        edition withholds it (a chart resting on months of 1-4 records)."""
        table = query.series(c.snap, c.scope, mid, breakdown=breakdown, unit=unit)
        got = figures.series_of(table.records())
        if breakdown is None and unit is None:
            return next(iter(got.values()), None)
        want = [s for (b, u), s in got.items() if (unit is None or u == unit)]
        if breakdown is not None:
            want = [s for s in want if s.breakdown == breakdown]
        return want[0] if want else None

    def chart(self, c: Ctx, mid: str, breakdown: str | None, unit: str | None) -> tuple:
        """The measure page's chart: (series, Vega-Lite spec as JSON, alternative text), or
        Nones. Kept per scope: a unit outside it raises before anything is kept."""

        def make() -> tuple:
            s = self.series(c, mid, breakdown, unit)
            if s is None:
                return None, None, None
            from forcestat.outputs.charts import spc_alt

            m = self.measures.by_id[s.measure_id]
            name = s.unit if s.breakdown != "force" else "the force"
            spec = figures.spec_json(
                figures.interactive_spec(s, f"{m.title}: {name}", m.unit_label)
            )
            return s, spec, spc_alt(s, m.title, m.unit_label)

        return self.views.get(("chart", *c.key, mid, breakdown, unit), make)

    def chart_svg(self, c: Ctx, s: figures.ServedSeries, compact: bool) -> str:
        m = self.measures.by_id[s.measure_id]
        key = f"{s.measure_id}-{s.breakdown}-{s.unit}-{'s' if compact else 'l'}"
        return self.renders.get(
            ("svg", c.snap.snapshot, c.scope.edition, key),
            lambda: figures.spc_svg(s, key, m.unit_label, compact),
        )

    def login_page(
        self, request: Request, target: str, message: str = "", status: int = 200
    ) -> Response:
        # Signed in (to sign in as someone else), the form carries the session's token, which
        # the CSRF check then expects; before, the cookie's.
        session = getattr(request.state, "csrf", None)
        token = session or request.cookies.get(CSRF_COOKIE)
        fresh = not token or (not session and len(token) > 100)
        if fresh:
            token = new_secret()
        html = self.env.get_template("login.html.j2").render(
            c=None,
            nav=[],
            who=request.state.principal,
            path="/login",
            csrf_token=token,
            next=target,
            message=message,
        )
        resp = HTMLResponse(html, status_code=status)
        if fresh:
            resp.set_cookie(CSRF_COOKIE, token, max_age=3600, **self.cookie)
        return resp

    def map_figure(self, c: Ctx, mv: views.MapValues, period: str):
        return self.renders.get(
            ("map", *c.key, mv.metric, period), lambda: figures.district_map(mv)
        )

    def hexbin_figure(self, c: Ctx):
        """The density of crime locations over the districts the caller may see."""
        points, districts = views.hexbin_points(c.snap, c.scope)
        if not districts:
            return None
        title = f"Crime locations, {c.snap.points_span}"
        return self.renders.get(
            ("hexbin", *c.key), lambda: figures.hexbin_map(points, districts, title)
        )


def router(pages: Pages, public: bool) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    P = PUBLIC_PREFIX if public else ""

    @r.get(f"{P}/")
    async def summary_page(
        request: Request,
        period: PeriodQ = None,
        theme: NameQ = None,
        priority: NameQ = None,
        fmt: TableFmt = "html",
    ) -> Response:
        c = pages.ctx(request, public)
        period = pages.period(c, period)
        # Filters are the framework's own names: anything else is a 404, not a new cache entry.
        if theme and theme not in pages.measures.theme_title:
            raise NotFound(f"no theme {theme!r}")
        if priority and priority not in dict(pages.measures.priorities):
            raise NotFound(f"no priority area {priority!r}")
        if fmt != "html":
            table = query.results(c.snap, c.scope, period=period, breakdown="force")
            return pages.table_download(c, table, fmt, f"summary-{period}")
        s = pages.summary(c, period)
        rows = s.filtered(theme, priority)
        partial = (
            request.headers.get("hx-request") == "true"
            and request.headers.get("hx-target") == "summary"
        )
        # The table is most of the page's work and the same for everyone in this scope:
        # rendered once per snapshot, scope, period and filter.
        table_html = pages.views.get(
            ("summary table", *c.key, c.public, period, theme, priority),
            lambda: Markup(
                pages.env.get_template("summary_table.html.j2").render(
                    c=c,
                    period=period,
                    summary=rows,
                    theme=theme or "",
                    theme_title=pages.measures.theme_title,
                    comparators=views.COMPARATOR_TITLES,
                )
            ),
        )
        if partial:
            pages.audit(c.request, c.who, 200, len(rows))
            return HTMLResponse(table_html)
        return pages.render(
            c,
            "summary.html.j2",
            table_html=table_html,
            rows=len(rows),
            period=period,
            periods=query.periods(c.snap, c.scope),
            summary=rows,
            themes=pages.measures.themes,
            theme_title=pages.measures.theme_title,
            priorities=pages.measures.priorities,
            theme=theme or "",
            priority=priority or "",
            comparators=views.COMPARATOR_TITLES,
            query=urlencode({"period": period}),
        )

    @r.get(P + "/measures/{measure_id}")
    async def measure_page(
        request: Request,
        measure_id: Annotated[str, PathParam(max_length=100, pattern=TEXT)],
        period: PeriodQ = None,
        breakdown: NameQ = None,
        unit: NameQ = None,
        fmt: TableFmt = "html",
    ) -> Response:
        c = pages.ctx(request, public)
        period = pages.period(c, period)
        # The chart's unit first: naming a unit outside the scope is a 403 whatever else.
        chart_breakdown = None
        if unit is not None:
            chart_breakdown = views.unit_kind(c.snap, unit) or (
                breakdown if breakdown not in (None, "geo") else None
            )
        s, spec, alt = pages.chart(c, measure_id, chart_breakdown, unit)
        page = pages.views.get(
            ("measure", *c.key, measure_id, period, breakdown),
            lambda: views.measure_page(
                pages.measures, c.snap, c.scope, measure_id, period, breakdown, c.snap.areas
            ),
        )
        if fmt != "html":
            table = query.results(c.snap, c.scope, period=period, measure=measure_id)
            return pages.table_download(c, table, fmt, f"{measure_id}-{period}")
        m = page.measure
        chart_unit = s.unit if s is not None else None
        chart_q = urlencode(
            {
                k: v
                for k, v in (("breakdown", s.breakdown if s else None), ("unit", chart_unit))
                if v
            }
        )
        # The chart and tables are the same for everyone in this scope: rendered once per
        # snapshot, scope, period, breakdown and chart.
        places = set(c.snap.areas) | set(c.snap.areas.values())
        body_html = pages.views.get(
            (
                "measure body",
                *c.key,
                c.public,
                measure_id,
                period,
                page.breakdown,
                s.breakdown if s else None,
                chart_unit,
            ),
            lambda: Markup(
                pages.env.get_template("measure_body.html.j2").render(
                    c=c,
                    page=page,
                    m=m,
                    period=period,
                    series=s,
                    spec=spec,
                    alt=alt,
                    places=places,
                )
            ),
        )
        return pages.render(
            c,
            "measure.html.j2",
            body_html=body_html,
            rows=len(page.rows),
            page=page,
            m=m,
            period=period,
            periods=query.periods(c.snap, c.scope),
            series=s,
            spec=spec,
            alt=alt,
            chart_q=chart_q,
            chart_unit=chart_unit,
            theme_title=pages.measures.theme_title,
            chart_breakdown=s.breakdown if s else None,
            places=set(c.snap.areas) | set(c.snap.areas.values()),
        )

    @r.get(P + "/measures/{measure_id}/preview")
    async def preview(
        request: Request,
        measure_id: Annotated[str, PathParam(max_length=100, pattern=TEXT)],
        period: PeriodQ = None,
    ) -> Response:
        c = pages.ctx(request, public)
        m = pages.measures.by_id.get(measure_id)
        if m is None:
            raise NotFound(f"no measure {measure_id!r} in the framework")
        s = pages.series(c, measure_id, None, None)
        svg = alt = None
        if s is not None:
            from forcestat.outputs.charts import spc_alt

            svg = await run_in_threadpool(pages.chart_svg, c, s, True)
            alt = spc_alt(s, m.title, m.unit_label)
        return pages.render(
            c, "preview.html.j2", rows=1 if s else 0, m=m, svg=svg, alt=alt, period=period
        )

    @r.get(P + "/measures/{measure_id}/chart.{ext}")
    async def chart(
        request: Request,
        measure_id: Annotated[str, PathParam(max_length=100, pattern=TEXT)],
        ext: Literal["svg", "png"],
        breakdown: NameQ = None,
        unit: NameQ = None,
        compact: bool = False,
    ) -> Response:
        c = pages.ctx(request, public)
        s = pages.series(c, measure_id, breakdown, unit)
        if s is None:
            raise NotFound("no chart for that unit in this edition")
        svg = await run_in_threadpool(pages.chart_svg, c, s, compact)
        pages.audit(request, c.who, 200, len(s.months))
        name = f"{measure_id}-{s.breakdown}-{s.unit}".replace(" ", "-")
        headers = {"Content-Disposition": f'inline; filename="{name}.{ext}"'}
        if ext == "svg":
            return Response(svg, media_type=SVG, headers=headers)
        png = await run_in_threadpool(
            pages.renders.get,
            ("png", *c.key, measure_id, s.breakdown, s.unit, compact),
            lambda: figures.svg_png(svg),
        )
        return Response(png, media_type=PNG, headers=headers)

    @r.get(P + "/map")
    async def map_page(
        request: Request,
        period: PeriodQ = None,
        metric: Literal["rate", "harm", "change"] = "rate",
    ) -> Response:
        c = pages.ctx(request, public)
        period = pages.period(c, period)
        mv = views.map_values(pages.measures, c.snap, c.scope, metric, period)
        fig = None
        if mv is not None:
            fig = await run_in_threadpool(pages.map_figure, c, mv, period)
        hexbin = None
        if c.snap.points is not None:
            hexbin = await run_in_threadpool(pages.hexbin_figure, c)
        return pages.render(
            c,
            "map.html.j2",
            rows=len(mv.rows) if mv else 0,
            mv=mv,
            fig=fig,
            hexbin=hexbin,
            period=period,
            periods=query.periods(c.snap, c.scope),
            metric=metric,
            metrics=[(k, v[1]) for k, v in views.MAP_METRICS.items()],
        )

    @r.get(P + "/map.{ext}")
    async def map_file(
        request: Request,
        ext: Literal["svg", "png"],
        period: PeriodQ = None,
        metric: Literal["rate", "harm", "change"] = "rate",
    ) -> Response:
        c = pages.ctx(request, public)
        period = pages.period(c, period)
        mv = views.map_values(pages.measures, c.snap, c.scope, metric, period)
        if mv is None:
            raise NotFound("the framework has no measure for that map")
        fig = await run_in_threadpool(pages.map_figure, c, mv, period)
        pages.audit(request, c.who, 200, len(mv.rows))
        headers = {"Content-Disposition": f'inline; filename="map-{metric}-{period}.{ext}"'}
        if ext == "svg":
            return Response(fig.svg, media_type=SVG, headers=headers)
        png = await run_in_threadpool(
            pages.renders.get,
            ("map-png", *c.key, metric, period),
            lambda: figures.svg_png(fig.svg),
        )
        return Response(png, media_type=PNG, headers=headers)

    if public:
        return r

    @r.get("/units/{unit}")
    async def unit_page(
        request: Request,
        unit: Annotated[str, PathParam(max_length=200, pattern=TEXT)],
        period: PeriodQ = None,
    ) -> Response:
        c = pages.ctx(request, public)
        period = pages.period(c, period)
        page = pages.views.get(
            ("unit", *c.key, unit, period),
            lambda: views.unit_page(pages.measures, c.snap, c.scope, unit, period),
        )
        return pages.render(
            c,
            "unit.html.j2",
            rows=len(page.rows),
            page=page,
            period=period,
            periods=query.periods(c.snap, c.scope),
            comparators=views.COMPARATOR_TITLES,
        )

    @r.get("/compstat")
    async def compstat_page(
        request: Request,
        end: Annotated[str | None, Query(pattern=DAY)] = None,
        unit: NameQ = None,
        fmt: TableFmt = "html",
    ) -> Response:
        c = pages.ctx(request, public)
        dates = query.compstat_dates(c.snap)
        if not dates:
            raise NotFound("no CompStat counts: run `forcestat refresh`")
        end = end or dates[-1]
        kind = views.unit_kind(c.snap, unit) if unit else None
        if unit is not None and kind is None:
            raise NotFound(f"no area or district {unit!r}")
        table = query.compstat(c.snap, c.scope, end, unit=unit, breakdown=kind)
        if fmt != "html":
            return pages.table_download(c, table, fmt, f"compstat-{end}")
        tables = views.compstat_tables(table, pages.measures.framework.settings.alpha)
        return pages.render(
            c,
            "compstat.html.j2",
            rows=len(table),
            tables=tables,
            end=end,
            dates=dates,
            unit=unit,
            units=_units_in_scope(c),
            windows=views.COMPSTAT_WINDOWS,
            alpha=pages.measures.framework.settings.alpha,
        )

    @r.get("/mi")
    async def mi_page(request: Request, unit: NameQ = None, fmt: TableFmt = "html") -> Response:
        c = pages.ctx(request, public)
        if unit is not None and views.unit_kind(c.snap, unit) is None:
            raise NotFound(f"no area or district {unit!r}")
        table = query.mi(c.snap, c.scope, unit=unit)
        if fmt != "html":
            return pages.table_download(c, table, fmt, "victims-code-contacts")
        return pages.render(
            c,
            "mi.html.j2",
            rows=len(table),
            teams=views.mi_rows(table),
            as_at=c.snap.mi_as_at,
            unit=unit,
            units=_units_in_scope(c),
        )

    @r.get("/login")
    async def login_form(request: Request, next: NameQ = None) -> Response:
        return pages.login_page(request, _safe_next(next))

    @r.post("/login")
    async def login(request: Request) -> Response:
        raw = await request.body()
        fields = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        name, password = fields.get("username", ""), fields.get("password", "")
        target = _safe_next(fields.get("next"))
        if not name or not password or len(name) > 200 or len(password) > 1024:
            return pages.login_page(request, target, "Give your user name and password.", 400)
        address = request.client.host if request.client else "unknown"
        try:
            sid, _csrf, who = await run_in_threadpool(pages.auth.login, name, password, address)
        except AuthError:
            pages.audit(request, Principal(name, "unknown"), 401, 0)
            return pages.login_page(request, target, "The user name or password is wrong.", 401)
        except Throttled as exc:
            pages.audit(request, Principal(name, "unknown"), 429, 0)
            return pages.login_page(request, target, str(exc).capitalize() + ".", 429)
        pages.audit(request, who, 200, 0)
        resp = RedirectResponse(target, status_code=303)
        resp.set_cookie(
            SESSION_COOKIE, sid, max_age=int(pages.auth.limits.session_max), **pages.cookie
        )
        resp.delete_cookie(CSRF_COOKIE, path="/")
        return resp

    @r.post("/logout")
    async def logout(request: Request) -> Response:
        sid = request.cookies.get(SESSION_COOKIE)
        if sid:
            pages.auth.logout(sid)
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    return r


def _units_in_scope(c: Ctx) -> list[tuple[str, list[str]]]:
    """(area, its districts) the caller may choose, areas in order."""
    out = []
    for area, districts in sorted(query.area_units(c.snap).items()):
        mine = [d for d in sorted(districts) if c.scope.allows("district", d)]
        if c.scope.allows("area", area) or mine:
            out.append((area if c.scope.allows("area", area) else "", mine))
    return out


def is_page(path: str) -> bool:
    return not path.startswith("/api/") and not path.startswith("/static/")


def when(text: str | None) -> str:
    if not text:
        return ""
    try:
        return datetime.fromisoformat(text).strftime("%-d %B %Y %H:%M")
    except ValueError:
        return text
