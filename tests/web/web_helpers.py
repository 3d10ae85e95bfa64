"""Helpers of the server tests: the small store, users, and ``forcestat serve`` started as a
process on a free loopback port (``conftest.py`` makes the fixtures from them). A module of its
own name: test modules import it, never ``conftest`` (another folder's would do)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PERIOD = "2020-03"
PASSWORD = "Sw0rdfish-Tangerine-42"  # every test user's; the log test looks for it
FORCESTAT = Path(sys.executable).parent / "forcestat"


def build_store(path: Path, end: str = PERIOD, years: int = 4) -> Path:
    from forcestat.synth.calendar import Period
    from forcestat.synth.force import demo_force
    from forcestat.synth.generate import StoreWriter, generate_force, source_label

    force = dataclasses.replace(demo_force(), annual_crimes=5_000.0)
    with StoreWriter(str(path), source_label(3, end, years)) as writer:
        generate_force(force, Period.of(end, years), seed=3, sink=writer.submit)
    return path


def cli(*args: str, input: str | None = None):
    """Run a ``forcestat`` command in this process (the real Typer app)."""
    from typer.testing import CliRunner

    from forcestat.cli import app

    return CliRunner().invoke(app, list(args), input=input)


@dataclass
class Server:
    url: str
    store: Path
    state: Path
    log: Path
    proc: subprocess.Popen
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> role, unit

    def client(self, who: str | None = None) -> httpx.Client:
        """A client signed in as ``who`` by bearer token (None: no credentials)."""
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)

    def login(self, who: str, password: str = PASSWORD) -> httpx.Client:
        """A client signed in as ``who`` by session cookie (as a browser would be)."""
        c = httpx.Client(base_url=self.url, timeout=60)
        token = c.get("/api/v1/session").json()["csrf_token"]
        r = c.post(
            "/api/v1/session",
            json={"username": who, "password": password},
            headers={"X-CSRF-Token": token},
        )
        assert r.status_code == 200, r.text
        c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path, framework_file: Path, state: Path, log: Path) -> Server:
    port = free_port()
    fh = open(log, "wb")  # noqa: SIM115 - the server writes to it until the fixture ends
    proc = subprocess.Popen(
        [
            str(FORCESTAT),
            "serve",
            "--store",
            str(store),
            "--port",
            str(port),
            "--framework",
            str(framework_file),
            "--state",
            str(state),
        ],
        stdout=fh,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text()}")
        try:
            if httpx.get(f"{url}/static/ping.json", timeout=2).status_code == 200:
                return Server(url, store, state, log, proc)
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the server did not start: {log.read_text()}")


def stop_server(server: Server) -> None:
    with_timeout = 10
    if server.proc.poll() is None:
        os.killpg(server.proc.pid, signal.SIGTERM)
        try:
            server.proc.wait(with_timeout)
        except subprocess.TimeoutExpired:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()


# The roles of the matrix: name -> (role, unit). Units are filled from the store's geography.
def user_table(geography: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    areas = sorted(set(geography.values()))
    area = areas[0]
    district = sorted(d for d, a in geography.items() if a == area)[0]
    return {
        "ana": ("analyst", None),
        "bob": ("board", None),
        "cara": ("commander", area),
        "dev": ("commander", district),
    }


def make_server(served_store, framework_file, geography, folder: Path) -> Server:
    """A copy of the refreshed store with one user per role and an API token each (added with
    ``forcestat users``), served by ``forcestat serve`` on a free loopback port."""
    store = folder / "store.duckdb"
    shutil.copy(served_store, store)
    people = user_table(geography)
    tokens = {}
    for name, (role, unit) in people.items():
        args = ["users", "add", name, "--store", str(store), "--role", role, "--password-stdin"]
        if unit:
            args += ["--unit", unit]
        r = cli(*args, input=PASSWORD + "\n")
        assert r.exit_code == 0, r.output
        r = cli("users", "token", name, "--store", str(store))
        assert r.exit_code == 0, r.output
        tokens[name] = r.output.strip().splitlines()[-1]
    srv = start_server(store, framework_file, folder / "state.sqlite", folder / "server.log")
    srv.tokens, srv.users = tokens, people
    return srv
