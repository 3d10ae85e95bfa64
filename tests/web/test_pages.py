"""The dashboard's pages over HTTP (no browser): signing in by the form, redirects, the CSP
kept (no inline script or style in any page), every page and download in a commander's scope
and none outside it, the public pages, and the daily list's counts against the store."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import duckdb
import httpx
import pandas as pd
import pytest
from web_helpers import PASSWORD

PAGES = [
    "/",
    "/measures/recorded_crime",
    "/measures/recorded_crime?breakdown=offence_group",
    "/units/{district}",
    "/units/{area}",
    "/compstat",
    "/map",
    "/mi",
]
PUBLIC_PAGES = ["/public/", "/public/measures/recorded_crime", "/public/map"]


def page_login(server, name: str) -> httpx.Client:
    """Signed in through the login form, as a browser is."""
    c = httpx.Client(base_url=server.url, timeout=60)
    form = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    r = c.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/", r.text
    return c


@pytest.fixture(scope="module")
def people(server):
    clients = {name: page_login(server, name) for name in ("ana", "dev", "cara")}
    yield clients
    for c in clients.values():
        c.close()


def test_signing_in_again_while_signed_in(server):
    """The login form of a signed-in user carries the token the CSRF check expects: signing
    in as someone else is not a 403."""
    c = page_login(server, "ana")
    try:
        form = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        r = c.post(
            "/login",
            data={"username": "dev", "password": PASSWORD, "csrf_token": token, "next": "/"},
        )
        assert r.status_code == 303, r.text[:300]
        assert "dev" in c.get("/").text
    finally:
        c.close()


def units(server):
    """(own district, own area, another area's district) of the commanders ``dev``/``cara``."""
    own = server.users["dev"][1]
    area = server.users["cara"][1]
    return own, area


def other_district(geography, area):
    return sorted(d for d, a in geography.items() if a != area)[0]


def test_signed_out_pages_go_to_login(server):
    with httpx.Client(base_url=server.url, timeout=30) as c:
        r = c.get("/measures/recorded_crime?period=2020-03")
        assert r.status_code == 303
        assert (
            r.headers["location"] == "/login?next=%2Fmeasures%2Frecorded_crime%3Fperiod%3D2020-03"
        )
        assert c.get("/login").status_code == 200
        # The form needs its CSRF token, and a wrong password is a page, not a sign-in.
        assert c.post("/login", data={"username": "ana", "password": PASSWORD}).status_code == 403
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)
        r = c.post(
            "/login", data={"username": "ana", "password": "wrong-wrong-wrong", "csrf_token": token}
        )
        assert r.status_code == 401 and "wrong" in r.text
        # Only a path on this site is followed after signing in.
        r = c.post(
            "/login",
            data={
                "username": "ana",
                "password": PASSWORD,
                "csrf_token": token,
                "next": "//evil.example/",
            },
        )
        assert r.status_code == 303 and r.headers["location"] == "/"


def _inline(html: str) -> list[str]:
    """Inline scripts, style elements and style attributes: what the CSP would block."""
    bad = [
        m
        for m in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        if "application/json" not in m
    ]
    bad += re.findall(r"<style", html)
    bad += re.findall(r"\sstyle=", html)
    bad += re.findall(r"\son[a-z]+=", html)
    return bad


def test_every_page_renders_with_the_csp(server, people, geography):
    own, area = units(server)
    c = people["ana"]
    for path in PAGES + PUBLIC_PAGES:
        r = c.get(path.format(district=own, area=area))
        assert r.status_code == 200, (path, r.text[:300])
        assert "unsafe-inline" not in r.headers["content-security-policy"]
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert _inline(r.text) == [], path
        for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', r.text):
            assert src.startswith("/static/") or src.startswith("data:"), src
    # Every vendored file the pages load is served.
    for f in ("vendor/htmx/htmx.min.js", "vendor/vega/vega.min.js", "dashboard.css"):
        assert c.get(f"/static/{f}").status_code == 200
    # The summary's filters take the framework's names only.
    for q in ("theme=no-such-theme", "priority=no-such-priority"):
        assert c.get(f"/?{q}").status_code == 404, q
        assert c.get(f"/public/?{q}").status_code == 404, q


def test_commander_sees_own_unit_and_force_only(server, people, geography):
    own, area = units(server)
    other = other_district(geography, area)
    dev = people["dev"]
    for path in [
        f"/units/{other}",
        f"/units/{area}",  # the area holds the other districts' figures
        f"/measures/recorded_crime?unit={other}",
        f"/measures/recorded_crime/chart.svg?unit={other}",
        f"/measures/recorded_crime/chart.png?breakdown=district&unit={other}",
        f"/compstat?unit={other}",
        f"/mi?unit={other}",
        f"/api/v1/results?unit={other}&format=csv",
    ]:
        assert dev.get(path).status_code == 403, path
    for path in [f"/units/{own}", f"/measures/recorded_crime?unit={own}", "/", "/map", "/mi"]:
        assert dev.get(path).status_code == 200, path
    # Downloads of the pages hold no other district's rows.
    others = {d for d, a in geography.items() if d != own} | set(geography.values())
    for path in ["/?format=csv", "/measures/recorded_crime?format=csv", "/mi?format=csv"]:
        rows = list(csv.DictReader(io.StringIO(dev.get(path).text)))
        assert rows, path
        names = {r.get("unit") or r.get("district") for r in rows}
        assert not names & others, (path, names & others)
    # The map names the other districts but shows none of their figures.
    page = dev.get("/map").text
    for d in others - set(geography.values()):
        assert (
            f'data-district="{d}"><th scope="row">{d}</th><td class="num">outside your area' in page
        )
    # The Board paper is not offered to a commander (it holds every district).
    assert "/reports/" not in dev.get("/").text
    # An area commander reaches the area's districts.
    cara = people["cara"]
    assert cara.get(f"/units/{own}").status_code == 200
    assert cara.get(f"/units/{other}").status_code == 403


def test_public_pages(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        for path in PUBLIC_PAGES:
            r = c.get(path)
            assert r.status_code == 200, path
            assert "Public edition" in r.text
        # CompStat, the daily list and the unit pages are not public.
        for path in ("/public/compstat", "/public/mi"):
            assert c.get(path).status_code == 404, path
        for path in ("/compstat", "/mi"):
            r = c.get(path)
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
        # The public Board paper, not the Board's.
        summary = c.get("/public/").text
        assert "/api/v1/public/reports/" in summary and '"/api/v1/reports/' not in summary
        # The table's download is the public edition's: hidden figures blank.
        rows = list(csv.DictReader(io.StringIO(c.get("/public/?format=csv").text)))
        assert rows and "disclosure" in rows[0]
        assert all(r["value"] == "" for r in rows if r["disclosure"])


def test_daily_list_equals_the_store(server, people):
    """Overdue and due-soon counts per team on the page's CSV against pandas on the store's
    victim_contacts."""
    con = duckdb.connect(str(server.store), read_only=True)
    try:
        vc = con.execute(
            "SELECT supervisory_unit, officer, district, due_at, made_at FROM victim_contacts"
        ).df()
    finally:
        con.close()
    at = vc["made_at"].max()
    open_ = vc["made_at"].isna() | (vc["made_at"] > at)
    overdue = open_ & (vc["due_at"] < at) & (vc["due_at"] >= at - timedelta(days=90))
    want = vc[overdue].groupby(["supervisory_unit", "officer"]).size()
    got = pd.read_csv(io.StringIO(people["ana"].get("/mi?format=csv").text))
    have = got[got["overdue"] > 0].groupby(["team", "officer"])["overdue"].sum()
    assert have.to_dict() == want.to_dict()
    assert len(want) > 10  # teams and officers, from the synthetic force
    page = people["ana"].get("/mi").text
    top = want.groupby(level=0).sum().idxmax()
    assert f'data-team="{top}"' in page


KINDS = {
    "CSV": ("text/csv", lambda b: b.count(b"\n") >= 2),
    "XLSX": ("spreadsheetml", lambda b: b[:2] == b"PK"),
    "SVG": ("image/svg+xml", lambda b: b"<svg" in b[:2000]),
    "PNG": ("image/png", lambda b: b[:8] == b"\x89PNG\r\n\x1a\n"),
    "HTML": ("text/html", lambda b: b"<html" in b[:2000].lower()),
}


def _downloads(html: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="downloads".*?</nav>', html, re.S)
    assert nav, "no downloads"
    return [
        (label, href.replace("&amp;", "&"))
        for href, label in re.findall(r'<a href="([^"]+)" download>([^<]+)</a>', nav.group(0))
    ]


def test_every_download_of_every_page(server, people, geography):
    """Every page offers its table (CSV and XLSX), pages with a chart the chart (SVG and PNG),
    the summary, measure and map pages the Board paper to those who may read it; each link
    works for the one it is offered to, with the right kind of file, and a commander's CSVs
    hold only their district and the force. The Board paper's PDF is fetched as its HTML (the
    same route and check; the PDF's own bytes are tested with the report)."""
    own, area = units(server)
    others = {d for d in geography if d != own} | set(geography.values())
    public = httpx.Client(base_url=server.url, timeout=120)
    who = [
        ("ana", people["ana"], PAGES),
        ("dev", people["dev"], PAGES),
        ("public", public, PUBLIC_PAGES),
    ]
    fetched = 0
    try:
        for name, client, paths in who:
            for path in paths:
                path = path.format(district=own, area=area)
                if name == "dev" and path == f"/units/{area}":
                    continue  # not theirs (tested above)
                links = _downloads(client.get(path).text)
                kinds = {label.split("(")[1].rstrip(")") for label, _ in links}
                assert {"CSV", "XLSX"} <= kinds, (name, path, links)
                if path.split("?")[0].rstrip("/").endswith(("recorded_crime", "map")):
                    assert {"SVG", "PNG"} <= kinds, (name, path, links)
                board = [h for label, h in links if label.startswith("Board paper")]
                if path.split("?")[0] in ("/", "/public/", "/map", "/public/map"):
                    assert bool(board) == (name != "dev"), (name, path, board)
                if name == "public":
                    assert all(h.startswith(("/public/", "/api/v1/public/")) for _, h in links)
                for label, href in links:
                    kind = label.split("(")[1].rstrip(")")
                    if kind == "PDF":
                        kind, href = "HTML", href.removesuffix(".pdf") + ".html"
                    r = client.get(href)
                    assert r.status_code == 200, (name, path, href, r.status_code)
                    ctype, looks_right = KINDS[kind]
                    assert ctype in r.headers["content-type"], (href, r.headers["content-type"])
                    assert looks_right(r.content), href
                    fetched += 1
                    if name == "dev" and kind == "CSV":
                        rows = list(csv.DictReader(io.StringIO(r.text)))
                        names = {r.get("unit") or r.get("district") for r in rows}
                        assert not names & others, (href, names & others)
    finally:
        public.close()
    assert fetched > 40
