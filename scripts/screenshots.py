"""The README's pictures of the dashboard: the summary and a measure page of the demo store,
taken in Debian's headless Chromium (Playwright) from `forcestat serve` on loopback.

    .venv/bin/forcestat demo --out /tmp/dash-demo        # once: the demo store
    .venv/bin/python scripts/screenshots.py --store /tmp/dash-demo/demo.duckdb

The store is copied and refreshed, a user added with `forcestat users`, and the server stopped
at the end; docs/img/dashboard-summary.png and docs/img/dashboard-measure.png are written.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

BIN = Path(sys.executable).parent / "forcestat"
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "screenshot-password-1"
IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


def run(*args: str, stdin: str | None = None) -> None:
    t = subprocess.run([str(BIN), *args], input=stdin, capture_output=True, text=True, check=False)
    if t.returncode:
        sys.exit(f"forcestat {' '.join(args)} failed:\n{t.stdout}\n{t.stderr}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", default="/tmp/dash-demo/demo.duckdb")
    ap.add_argument("--measure", default="recorded_crime")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="forcestat-shots-"))
    store = work / "demo.duckdb"
    shutil.copy(args.store, store)
    run("refresh", "--store", str(store))
    run("users", "add", "analyst", "--store", str(store), "--role", "analyst",
        "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(work / "server.log", "wb")  # noqa: SIM115 - open while the server runs
    proc = subprocess.Popen(
        [str(BIN), "serve", "--store", str(store), "--port", str(port)],
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
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(base_url=url, viewport={"width": 1280, "height": 860})
            page.goto("/login")
            page.fill("#username", "analyst")
            page.fill("#password", PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url(f"{url}/")
            # The first rows' preview, with the page at its top (hovering scrolls to a row).
            page.locator("table.measures tbody tr[data-measure]").nth(2).hover()
            page.wait_for_selector("#preview svg")
            page.evaluate("window.scrollTo(0, 0)")
            IMG.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(IMG / "dashboard-summary.png"))
            page.goto(f"/measures/{args.measure}")
            page.wait_for_selector("#spc-chart.drawn svg", timeout=60_000)
            page.locator("#spc-chart svg .mark-symbol path").last.hover()
            page.wait_for_selector("#vg-tooltip-element.visible")
            page.screenshot(path=str(IMG / "dashboard-measure.png"))
            browser.close()
        print(f"written: {IMG / 'dashboard-summary.png'}, {IMG / 'dashboard-measure.png'}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
