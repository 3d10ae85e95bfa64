"""Open the HTML report in Debian's headless Chromium: it makes no network request at all and
draws its charts. Needs /usr/bin/chromium (scripts/system-packages.txt) and Playwright; never
downloads a browser."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium not installed"),
]


def test_html_report_offline_in_chromium(board):
    playwright = pytest.importorskip("playwright.sync_api")
    url = board.paths["html"].resolve().as_uri()
    requests: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()

            def route(r):
                requests.append(r.request.url)
                if r.request.url == url:
                    r.continue_()
                else:
                    r.abort()

            page.route("**/*", route)
            page.on("request", lambda req: requests.append(req.url))
            page.goto(url, wait_until="load")
            # The SPC charts (maps and small multiples are figures of their own sizes).
            charts = page.eval_on_selector_all(
                "section.measure figure.chart svg",
                """els => els.map(e => {
                    const b = e.getBoundingClientRect();
                    return [b.width, b.height, e.querySelectorAll('path').length];
                })""",
            )
            icons = page.eval_on_selector_all(".icon", "els => els.length")
        finally:
            browser.close()
    assert set(requests) == {url}, sorted(set(requests) - {url})
    assert len(charts) >= 20
    for width, height, paths in charts:
        assert width > 300 and height > 100 and paths > 5
    assert icons > 50
