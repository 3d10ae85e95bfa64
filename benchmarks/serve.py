"""The server on the demo store: refresh times, then latency and throughput of the API at 50
concurrent clients and of the dashboard's summary and measure pages at 20, on loopback, each
against a baseline measured in the same run at the same concurrency (a static file served by
the same server).

    .venv/bin/forcestat demo --out /tmp/server-demo      # once: the demo store
    .venv/bin/python benchmarks/serve.py --store /tmp/server-demo/demo.duckdb

1. Refresh: the store is copied, its last month of crimes taken out into a Parquet file, and
   the copy refreshed in full (every period); the month is loaded back with `forcestat load`
   and the incremental refresh timed.
2. `forcestat serve` on the refreshed copy (a separate process, as in production); a user and
   an API token are added with `forcestat users`.
3. For each endpoint or page, 50 (API) or 20 (pages) clients (asyncio, one keep-alive
   connection each, a minimal HTTP/1.1 client) send requests for a fixed time; latencies are
   per request, requests/s over the whole run. The clients share the machine with the server
   (2 cores here), so the figures are what one machine does for itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import duckdb
import httpx
import numpy as np

BIN = Path(sys.executable).parent / "forcestat"
PASSWORD = "benchmark-password-1"


def run(*args: str, stdin: str | None = None) -> str:
    t = subprocess.run([str(BIN), *args], input=stdin, capture_output=True, text=True, check=False)
    if t.returncode:
        sys.exit(f"forcestat {' '.join(args)} failed:\n{t.stdout}\n{t.stderr}")
    return t.stdout


def refresh_times(store: Path, work: Path) -> tuple[float, float, str, str]:
    con = duckdb.connect(str(store))
    last = con.execute("SELECT max(recorded_at) FROM crimes").fetchone()[0]
    month = f"{last:%Y-%m}"
    start = f"{month}-01"
    march = work / f"crimes-{month}.parquet"
    con.execute(
        "COPY (SELECT * EXCLUDE (source_file, source_row, loaded_at, load_id) FROM crimes "
        f"WHERE recorded_at >= DATE '{start}') TO '{march}' (FORMAT parquet)"
    )
    con.execute(f"DELETE FROM crimes WHERE recorded_at >= DATE '{start}'")
    con.close()
    t = time.perf_counter()
    full_out = run("refresh", "--store", str(store))
    full = time.perf_counter() - t
    run("load", "crimes", str(march), "--store", str(store))
    t = time.perf_counter()
    inc_out = run("refresh", "--store", str(store))
    inc = time.perf_counter() - t
    return full, inc, full_out.strip(), inc_out.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _get(reader, writer, request: bytes) -> int:
    """One keep-alive HTTP/1.1 GET; the status. A hand-rolled client: httpx costs the shared
    cores more CPU per request than the server does."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def load(url: str, path: str, headers: dict, clients: int, seconds: float):
    host, port = url.removeprefix("http://").split(":")
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()
    lat: list[float] = []
    errors = 0

    async def client(stop: float) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                status = await _get(reader, writer, request)
                lat.append(time.perf_counter() - t)
                errors += status != 200
        finally:
            writer.close()

    await client(time.perf_counter() + 1.0)  # warm the server's caches
    lat.clear()
    t0 = time.perf_counter()
    await asyncio.gather(*(client(t0 + seconds) for _ in range(clients)))
    took = time.perf_counter() - t0
    ms = np.array(lat) * 1000
    return {
        "requests": len(lat),
        "errors": errors,
        "rps": len(lat) / took,
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)),
    }


def table(url: str, auth: dict, clients: int, seconds: float, targets: list) -> None:
    """Each target in turn, after the baseline (a static file) at the same concurrency."""
    base = None
    print(f"\n{clients} concurrent clients, {seconds:.0f} s each, loopback:")
    print(
        f"{'endpoint':<38}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'p95 / baseline':>16}{'errors':>8}"
    )
    for label, path in [("baseline: static file", "/static/ping.json"), *targets]:
        got = asyncio.run(load(url, path, auth, clients, seconds))
        base = base or got
        print(
            f"{label:<38}{got['rps']:>8.0f}{got['p50']:>9.1f}{got['p95']:>9.1f}"
            f"{got['p99']:>9.1f}{got['p95'] / base['p95']:>15.2f}x{got['errors']:>8}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", default="/tmp/server-demo/demo.duckdb")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument(
        "--page-clients", type=int, default=20, help="Concurrent clients for the pages."
    )
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument(
        "--skip-refresh-timing",
        action="store_true",
        help="Refresh once without the month taken out (quicker).",
    )
    args = ap.parse_args()
    src = Path(args.store)
    if not src.exists():
        sys.exit(f"{src}: build the demo store first (forcestat demo --out {src.parent})")
    work = Path(tempfile.mkdtemp(prefix="forcestat-serve-bench-"))
    store = work / "demo.duckdb"
    shutil.copy(src, store)
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    if args.skip_refresh_timing:
        run("refresh", "--store", str(store))
    else:
        full, inc, full_out, inc_out = refresh_times(store, work)
        print(f"refresh, every period: {full:.1f}s   (target <= 10 s)\n  {full_out}")
        print(f"refresh after loading one new month: {inc:.1f}s   (target <= 2 s)\n  {inc_out}")
    run(
        "users",
        "add",
        "bench",
        "--store",
        str(store),
        "--role",
        "analyst",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    con = duckdb.connect(str(store), read_only=True)
    district = con.execute("SELECT min(district) FROM geography").fetchone()[0]
    con.close()
    token = run("users", "token", "bench", "--store", str(store)).strip().splitlines()[-1]
    port = free_port()
    log = open(work / "server.log", "wb")  # noqa: SIM115 - open while the server runs
    proc = subprocess.Popen(
        [str(BIN), "serve", "--store", str(store), "--port", str(port), "--log-level", "warning"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/static/ping.json").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        auth = {"Authorization": f"Bearer {token}"}
        latest = httpx.get(f"{url}/api/v1/periods", headers=auth).json()["latest"]
        api = [
            (
                "/results (one measure, one period)",
                f"/api/v1/results?measure=recorded_crime&period={latest}",
            ),
            ("/series (a measure's districts)", "/api/v1/series/recorded_crime?breakdown=district"),
        ]
        # The pages at their default period (the latest with results for the most measures,
        # what a user opens first): /periods' latest may be a month only a few measures reach.
        pages = [
            ("page: summary /", "/"),
            ("page: measure", "/measures/recorded_crime"),
            ("page: measure, a district", f"/measures/recorded_crime?unit={quote(district)}"),
            ("page: measure, a breakdown", "/measures/recorded_crime?breakdown=offence_group"),
        ]
        for clients, targets, target in (
            (args.clients, api, "p95 <= 50 ms for /results and /series"),
            (args.page_clients, pages, "p95 <= 200 ms for the summary and measure pages"),
        ):
            table(url, auth, clients, args.seconds, targets)
            print(f"target: {target}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
