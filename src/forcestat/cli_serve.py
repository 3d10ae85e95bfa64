"""``forcestat serve``, ``forcestat refresh`` and ``forcestat users ...`` (docs/serve.md).

Kept apart from cli.py; ``register(app)`` adds them to the main command. Heavy modules are
imported inside the commands so that ``forcestat --help`` stays instant.
"""

from __future__ import annotations

import ipaddress
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

users_app = typer.Typer(
    help="Users of the server: add, list, remove, API tokens, the audit log.",
    no_args_is_help=True,
)

StoreOpt = Annotated[str, typer.Option("--store", help="The store (a DuckDB file).")]
FrameworkOpt = Annotated[
    Path | None, typer.Option(help="Framework TOML (default: the packaged framework).")
]
StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="The server's state file: sessions, failed logins, audit log "
        "(default: <store>.server.sqlite).",
    ),
]
MIN_PASSWORD = 12


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _existing(url: str) -> str:
    from .store.connection import duckdb_path, is_duckdb_target

    if not is_duckdb_target(url):
        _fail(f"{url}: the server and its users need a DuckDB store")
    if not Path(duckdb_path(url)).exists():
        _fail(f"{url}: no such store", 1)
    return url


def _open_rw(url: str, wait: float = 10.0):
    """The store, read-write. A running server reads it now and then for a moment: wait for
    that rather than fail."""
    import duckdb

    from .pipeline import open_store

    _existing(url)
    deadline = time.monotonic() + wait
    while True:
        try:
            return open_store(url, read_only=False)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                _fail(f"{url}: the store is in use by another process ({exc})", 1)
            time.sleep(0.2)


def _framework(path: Path | None):
    from .framework import FrameworkError
    from .pipeline import load_framework

    try:
        return load_framework(path)
    except FrameworkError as exc:
        _fail(str(exc))


def _state_path(store: str, state: Path | None) -> Path:
    from .store.connection import duckdb_path
    from .web.state import default_path

    return state if state is not None else default_path(duckdb_path(store))


def refresh(
    store: StoreOpt = "forcestat.duckdb",
    framework: FrameworkOpt = None,
    full: Annotated[
        bool, typer.Option("--full", help="Recompute every period, not only what loads touched.")
    ] = False,
    workers: Annotated[
        int | None, typer.Option(help="Processes for the statistics (default: one per core).")
    ] = None,
) -> None:
    """Precompute what the server serves: measure_results of every period (Board and public
    editions), the monthly SPC series and the findings, keyed by data snapshot and framework.
    After a load only the periods the new records touch are recomputed."""
    from .pipeline import PipelineError
    from .pipeline import refresh as run_refresh

    fw = _framework(framework)
    st = _open_rw(store)
    t0 = time.perf_counter()
    try:
        done = run_refresh(
            st,
            fw,
            full=full,
            workers=workers,
            progress=lambda w: console.print(f"  {w}", style="dim", highlight=False),
        )
    except PipelineError as exc:
        _fail(str(exc), 1)
    finally:
        st.close()
    if done.mode == "current":
        out.print(f"refresh: nothing to do ({done.why}; snapshot {done.snapshot})")
        return
    rows = ", ".join(f"{k} {v:,}" for k, v in done.rows.items())
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in done.seconds.items())
    span = f"{done.periods[0]}..{done.periods[-1]}" if done.periods else "none"
    out.print(
        f"refresh ({done.mode}: {done.why}): {len(done.measures)} measures, "
        f"{len(done.periods)} periods ({span}) in {time.perf_counter() - t0:.1f}s "
        f"({steps}); public edition protected at {len(done.protected)} of them; "
        f"rows written: {rows}; snapshot {done.snapshot}, "
        f"framework {done.framework_hash}",
        highlight=False,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    store: StoreOpt = "forcestat.duckdb",
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    framework: FrameworkOpt = None,
    state: StateOpt = None,
    ssl_certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM).")] = None,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    behind_proxy: Annotated[
        bool,
        typer.Option(
            "--behind-proxy",
            help="A TLS-terminating proxy on this machine forwards to us: trust its "
            "X-Forwarded-For/-Proto and mark cookies Secure.",
        ),
    ] = False,
    reports: Annotated[
        bool, typer.Option(help="Build Board reports on request (GET /api/v1/reports/...).")
    ] = True,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the API (docs/serve.md) over the rows `forcestat refresh` computed. Refuses a
    non-loopback address without TLS (--ssl-certfile/--ssl-keyfile) or --behind-proxy."""
    import uvicorn

    from .web.app import Settings, create_app
    from .web.snapshot import NotRefreshed

    tls = ssl_certfile is not None and ssl_keyfile is not None
    if (ssl_certfile is None) != (ssl_keyfile is None):
        _fail("give both --ssl-certfile and --ssl-keyfile")
    if not _loopback(host) and not tls and not behind_proxy:
        _fail(
            f"--host {host} is not a loopback address: serve over TLS (--ssl-certfile, "
            "--ssl-keyfile) or behind a TLS proxy (--behind-proxy)"
        )
    _existing(store)
    fw = _framework(framework)
    settings = Settings(
        store=store,
        framework=fw,
        state_path=_state_path(store, state),
        secure_cookies=tls or behind_proxy,
    )
    try:
        app = create_app(settings, report_maker=_report_maker(store, fw) if reports else None)
    except NotRefreshed as exc:
        _fail(str(exc), 1)
    scheme = "https" if tls else "http"
    console.print(f"serving {store} on {scheme}://{host}:{port}/api/v1/", highlight=False)
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=str(ssl_certfile) if tls else None,
        ssl_keyfile=str(ssl_keyfile) if tls else None,
        proxy_headers=behind_proxy,
        server_header=False,
        log_level=log_level,
    )


def _report_maker(store: str, framework):
    """Builds a report through the pipeline (the web package may not import it)."""

    def make(period: str, fmt: str, public: bool, out_dir: Path, snapshot: str) -> Path:
        from .pipeline import make_report, open_store, snapshot_id
        from .web.app import StaleStore

        st = open_store(store, read_only=True)
        try:
            if snapshot_id(st) != snapshot:
                raise StaleStore(
                    "the store's data changed since the last refresh: run `forcestat refresh`"
                )
            written = make_report(
                st, period, out_dir, framework=framework, formats=[fmt], public=public
            )
        finally:
            st.close()
        return Path(written.paths[fmt])

    return make


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    store: StoreOpt = "forcestat.duckdb",
    role: Annotated[str, typer.Option(help="analyst, commander or board.")] = "analyst",
    unit: Annotated[
        str | None, typer.Option(help="A commander's area or district (geography table).")
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
) -> None:
    """Add a user; the password is read from standard input (never from the command line)."""
    from .store import users
    from .web.auth import hash_password

    if not password_stdin:
        _fail("give --password-stdin and the password on standard input")
    password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        _fail(f"the password must have at least {MIN_PASSWORD} characters")
    if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
        _fail("a user name has 1 to 200 printable characters")
    st = _open_rw(store)
    try:
        if unit is not None:
            geo = st.duck.execute("SELECT DISTINCT district, area FROM geography").fetchall()
            known = {d for d, _ in geo} | {a for _, a in geo}
            if unit not in known:
                _fail(f"--unit {unit!r} is neither an area nor a district of the geography table")
        users.add(st.duck, name, role, unit, hash_password(password))
    except users.UserError as exc:
        _fail(str(exc))
    finally:
        st.close()
    out.print(f"added {name} ({role}{f', {unit}' if unit else ''})", highlight=False)


@users_app.command("list")
def users_list(store: StoreOpt = "forcestat.duckdb") -> None:
    """The users, their roles and units, and how many API tokens each has."""
    from .store import users

    st = _open_rw(store)
    try:
        people, counts = users.all_users(st.duck), users.token_counts(st.duck)
    finally:
        st.close()
    t = Table("name", "role", "unit", "tokens", "created")
    for u in people:
        t.add_row(
            u.name,
            u.role,
            u.unit or "",
            str(counts.get(u.name, 0)),
            f"{u.created_at:%Y-%m-%d %H:%M}",
        )
    out.print(t)


@users_app.command("remove")
def users_remove(
    name: Annotated[str, typer.Argument(help="User name.")], store: StoreOpt = "forcestat.duckdb"
) -> None:
    """Remove a user and their tokens; a running server ends their sessions when it next
    reads the store (within a second or two)."""
    from .store import users

    st = _open_rw(store)
    try:
        n = users.remove(st.duck, name)
    finally:
        st.close()
    if not n:
        _fail(f"no user {name!r}", 1)
    out.print(f"removed {name}")


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="User name.")], store: StoreOpt = "forcestat.duckdb"
) -> None:
    """Make a new API token for a user's scripts (Authorization: Bearer <token>). The token is
    printed once, on the last line; the store keeps only its SHA-256."""
    from .store import users
    from .web.auth import new_token
    from .web.state import sha256

    token = new_token()
    st = _open_rw(store)
    try:
        users.add_token(st.duck, name, sha256(token))
    except users.UserError as exc:
        _fail(str(exc), 1)
    finally:
        st.close()
    out.print(f"a new API token for {name} (shown once; keep it secret):", highlight=False)
    print(token)


@users_app.command("audit")
def users_audit(
    store: StoreOpt = "forcestat.duckdb",
    state: StateOpt = None,
    limit: Annotated[int, typer.Option(help="The latest N entries.")] = 100,
    user: Annotated[str | None, typer.Option(help="Only this user's requests.")] = None,
) -> None:
    """The audit log: every request for data (time, user, role, endpoint, parameters, status,
    rows returned), oldest first, tab-separated."""
    from .web.state import AUDIT_COLUMNS, ServerState

    path = _state_path(store, state)
    if not path.exists():
        _fail(f"{path}: no server state yet (the server has not run on this store)", 1)
    st = ServerState(path)
    try:
        rows = st.audit_rows(limit=limit, user=user)
    finally:
        st.close()
    # Tab-separated, one request a line: readable, and easy to filter or load elsewhere. The
    # log's columns but its sequence number.
    cols = [c for c in AUDIT_COLUMNS if c != "seq"]
    print("\t".join(cols))
    for r in rows:
        print("\t".join("" if r[c] is None else str(r[c]) for c in cols))


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(refresh)
    app.add_typer(users_app, name="users")
