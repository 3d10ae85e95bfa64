"""The dashboard in Debian's headless Chromium against the real server on loopback: sign in,
the summary's figures against the API's, drilling from the force to a district to a breakdown,
the interactive SPC chart drawn under the CSP, a commander kept to their unit by URL, the map's
six districts, CompStat's 28-day counts against a direct count of the store, and axe-core on
every page (no serious or critical violation).

One browser for the module; never a downloaded one (/usr/bin/chromium, Playwright)."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from scipy import stats
from web_helpers import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian chromium not installed"),
]


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Session:
    """A signed-in browser context that records CSP violations and script errors."""

    def __init__(self, browser, server, name: str | None, bypass_csp: bool = False):
        self.url = server.url
        self.context = browser.new_context(
            base_url=server.url, viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp
        )
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(m.text)
                if m.type == "error"
                and ("Content Security Policy" in m.text or "Refused" in m.text)
                else None
            ),
        )
        if name:
            self.page.goto("/login")
            self.page.fill("#username", name)
            self.page.fill("#password", PASSWORD)
            self.page.click("form.login button[type=submit]")
            self.page.wait_for_url(f"{self.url}/")

    def api(self, path: str) -> dict:
        r = self.page.request.get(path)
        assert r.ok, (path, r.status)
        return r.json()

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def analyst(browser, server):
    s = Session(browser, server, "ana")
    yield s
    s.close()


NUMBER = re.compile(r"-?\d[\d,]*(?:\.(\d+))?")


def shown_equals(text: str, value: float) -> bool:
    """The figure in a cell equals the API's value to the decimals shown."""
    m = NUMBER.search(text)
    assert m, text
    decimals = len(m.group(1) or "")
    return abs(float(m.group(0).replace(",", "")) - value) <= 0.5 * 10**-decimals + 1e-9


def test_sign_in_summary_and_drill_down(analyst, server, geography):
    page = analyst.page
    period = page.eval_on_selector("#period", "e => e.value")
    api = analyst.api(f"/api/v1/results?period={period}&breakdown=force")["rows"]
    rows = page.eval_on_selector_all(
        "table.measures tbody tr[data-measure]",
        "rs => rs.map(r => [r.dataset.measure, r.querySelector('[data-col=value]').textContent])",
    )
    assert len(rows) >= 5
    checked = 0
    for mid, text in rows:
        if not NUMBER.search(text):
            continue
        lead = min(
            (r for r in api if r["measure_id"] == mid),
            key=lambda r: ["12m", "fytd", "3m", "1m"].index(r["window"]),
        )
        assert shown_equals(text, lead["value"]), (mid, text, lead["value"])
        checked += 1
    assert checked >= 5

    # Hovering a row previews its chart.
    page.hover("tr[data-measure=recorded_crime]")
    page.wait_for_selector("#preview svg")
    assert "Recorded crime" in page.inner_text("#preview")

    # Force -> the measure page: its chart drawn by Vega in the browser, with a tooltip.
    page.click("tr[data-measure=recorded_crime] th a")
    page.wait_for_selector("#spc-chart.drawn svg", timeout=30_000)
    points = page.locator(
        "#spc-chart svg path[aria-roledescription='circle'], #spc-chart svg .mark-symbol path"
    )
    assert points.count() >= 12
    points.last.hover()
    page.wait_for_selector("#vg-tooltip-element.visible")
    tip = page.inner_text("#vg-tooltip-element")
    for word in ("Month", "Value", "Base", "Upper limit", "Lower limit", "Rule that fired"):
        assert word in tip, tip

    # -> a district: its chart and its row equal the API's.
    district = server.users["dev"][1]
    page.click(f"table.units tr[data-unit='{district}'] th a:first-child")
    page.wait_for_selector("#spc-chart.drawn svg", timeout=30_000)
    assert district in page.inner_text("#chart-h")
    api = analyst.api(f"/api/v1/results?period={period}&measure=recorded_crime&unit={district}")
    row = next(r for r in api["rows"] if r["window"] == "12m" and r["breakdown"] == "district")
    cell = page.inner_text(f"tr[data-unit='{district}'] [data-col=value]")
    assert shown_equals(cell, row["value"])

    # -> a breakdown of the measure (offence group), and one of its units' charts.
    page.click("nav.tabs a:has-text('offence group')")
    page.wait_for_selector("table.units tr[data-breakdown=offence_group]")
    api = analyst.api(
        f"/api/v1/results?period={period}&measure=recorded_crime&breakdown=offence_group&window=12m"
    )["rows"]
    shown = page.eval_on_selector_all(
        "table.units tr[data-breakdown=offence_group]",
        "rs => rs.map(r => [r.dataset.unit, r.querySelector('[data-col=value]').textContent])",
    )
    by_unit = {r["unit"]: r["value"] for r in api}
    numbers = [(u, t) for u, t in shown if NUMBER.search(t)]  # not "too few to report"
    assert len(numbers) >= 5
    for unit, text in numbers:
        assert shown_equals(text, by_unit[unit]), (unit, text)
    unit = numbers[0][0]
    page.click(f"tr[data-unit='{unit}'] th a:first-child")
    page.wait_for_selector("#spc-chart.drawn svg", timeout=30_000)
    assert "offence_group" in page.url and unit.split()[0] in page.inner_text("#chart-h")
    assert analyst.problems == []


def test_commander_cannot_reach_another_district(browser, server, geography):
    s = Session(browser, server, "dev")
    try:
        own = server.users["dev"][1]
        other = sorted(d for d, a in geography.items() if a != geography[own])[0]
        for path in (
            f"/units/{other}",
            f"/measures/recorded_crime?unit={other}",
            f"/measures/recorded_crime/chart.svg?unit={other}",
            f"/compstat?unit={other}",
            f"/mi?unit={other}",
        ):
            r = s.page.goto(path)
            assert r.status == 403, path
            assert "Forbidden" in s.page.inner_text("h1")
        assert s.page.goto(f"/units/{own}").status == 200
        # The unit picker offers only their own district.
        s.page.goto("/compstat")
        options = s.page.eval_on_selector_all("#unit option", "os => os.map(o => o.value)")
        assert options == ["", own]
    finally:
        s.close()


def test_map_has_the_six_districts(analyst, geography):
    page = analyst.page
    page.goto("/map")
    names = page.eval_on_selector_all(
        "table.map-values tr[data-district]", "rs => rs.map(r => r.dataset.district)"
    )
    assert sorted(names) == sorted(geography) and len(names) == 6
    label = page.get_attribute("#district-map", "aria-label")
    svg_text = page.eval_on_selector("#district-map svg", "e => e.textContent")
    for d in geography:
        assert d in label and d in svg_text


def test_compstat_28_days_equal_the_store(analyst, server):
    page = analyst.page
    page.goto("/compstat")
    end = date.fromisoformat(page.eval_on_selector("#end", "e => e.value"))
    cells = page.eval_on_selector_all(
        "#compstat-crime tbody tr",
        """rs => rs.map(r => [r.dataset.category,
            r.querySelector('[data-window="28d"][data-col=current]').textContent,
            r.querySelector('[data-window="28d"][data-col=previous]').textContent,
            r.querySelector('[data-window="28d"][data-col=p]').textContent])""",
    )
    start = end - timedelta(days=27)
    a_year = date(end.year - 1, end.month, min(end.day, 28 if end.month == 2 else end.day))
    con = duckdb.connect(str(server.store), read_only=True)
    try:
        sql = (
            "SELECT offence_group, count(*) FROM crimes "
            "WHERE CAST(recorded_at AS DATE) BETWEEN ? AND ? GROUP BY offence_group"
        )
        now = dict(con.execute(sql, [start, end]).fetchall())
        before = dict(con.execute(sql, [a_year - timedelta(days=27), a_year]).fetchall())
    finally:
        con.close()
    assert len(cells) > 5
    for category, cur, prev, p in cells:
        cur, prev = int(cur.replace(",", "")), int(prev.replace(",", ""))
        if category == "All":
            assert cur == sum(now.values()) and prev == sum(before.values())
        else:
            assert cur == now.get(category, 0) and prev == before.get(category, 0), category
        want = stats.binomtest(cur, cur + prev, 0.5).pvalue if cur + prev else 1.0
        assert p == ("<0.001" if want < 0.001 else f"{want:.3f}"), (category, p, want)


def test_axe_on_every_page(browser, server):
    """axe-core (vendored from npm) injected into each page: no serious or critical
    violation. Its own script is injected, so this context bypasses the CSP."""
    own = server.users["dev"][1]
    area = server.users["cara"][1]
    paths = [
        "/",
        "/measures/recorded_crime",
        "/measures/recorded_crime?breakdown=offence_group",
        f"/units/{own}",
        f"/units/{area}",
        "/compstat",
        "/map",
        "/mi",
        "/public/",
        "/public/measures/recorded_crime",
        "/public/map",
        "/no-such-page",
    ]
    s = Session(browser, server, None, bypass_csp=True)
    found = {}
    try:
        s.page.goto("/login")
        found["/login"] = _axe(s.page)
        s.page.fill("#username", "ana")
        s.page.fill("#password", PASSWORD)
        s.page.click("form.login button[type=submit]")
        s.page.wait_for_url(f"{server.url}/")
        for path in paths:
            s.page.goto(path)
            if path.startswith("/measures") or path.startswith("/public/measures"):
                s.page.wait_for_selector("#spc-chart.drawn", timeout=30_000)
            found[path] = _axe(s.page)
    finally:
        s.close()
    bad = {p: v for p, v in found.items() if v}
    assert bad == {}, bad


def _axe(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} node(s): "
        + "; ".join(
            n["target"][0] if isinstance(n["target"][0], str) else str(n["target"][0])
            for n in v["nodes"][:3]
        )
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
