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
        for path in ("/public/compstat", "/public/mi", "/compstat", "/mi"):
            assert c.get(path).status_code in (303, 404), path
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
