"""The authorisation matrix: every role x every endpoint x own unit / other unit / force, over
HTTP against the running server. What a role may see is worked out here from the store's
geography table, not from the server's code."""

from __future__ import annotations

import re

import pytest
from web_helpers import PERIOD

from forcestat.store.schema import DISTRICT_BUCKETS

ROLES = ("ana", "bob", "cara", "dev", None)
FORCE = "Cambridgeshire"


def allowed_units(server, geography, who) -> set[tuple[str, str]] | None:
    """The areas and districts ``who`` may see (None: all)."""
    role, unit = server.users[who]
    if role in ("analyst", "board"):
        return None
    if unit in geography.values():
        return {("area", unit)} | {("district", d) for d, a in geography.items() if a == unit}
    return {("district", unit)}


def cases(geography, server, who):
    """(label, unit, breakdown) for own, other and force: for a commander of an area the
    other unit is the other area and one of its districts; for a district commander another
    district of the same area, and the area itself (which holds other districts)."""
    areas = sorted(set(geography.values()))
    cara_area = server.users["cara"][1]
    dev_district = server.users["dev"][1]
    other_area = next(a for a in areas if a != cara_area)
    other_district = sorted(d for d, a in geography.items() if a == other_area)[0]
    sibling = sorted(d for d, a in geography.items() if a == cara_area and d != dev_district)[0]
    if who == "dev":
        return [
            ("own", dev_district, "district"),
            ("other", sibling, "district"),
            ("other", geography[dev_district], "area"),
            ("force", FORCE, "force"),
        ]
    return [
        ("own", cara_area, "area"),
        ("own", sorted(d for d, a in geography.items() if a == cara_area)[0], "district"),
        ("other", other_area, "area"),
        ("other", other_district, "district"),
        ("force", FORCE, "force"),
    ]


def expected(server, who, kind: str) -> int:
    if who is None:
        return 401
    role = server.users[who][0]
    if role == "commander" and kind == "other":
        return 403
    return 200


@pytest.mark.parametrize("who", ROLES)
def test_unit_endpoints(server, geography, who):
    """/results and /series with ?unit=: 200 within the role, 403 outside, 401 signed out;
    every row names the unit asked for."""
    with server.client(who) as c:
        for kind, unit, breakdown in cases(geography, server, who or "ana"):
            for path in ("/api/v1/results", "/api/v1/series/recorded_crime"):
                r = c.get(path, params={"unit": unit, "breakdown": breakdown})
                assert r.status_code == expected(server, who, kind), (who, kind, unit, path, r.text)
                if r.status_code == 200:
                    rows = r.json()["rows"]
                    assert rows and {row["unit"] for row in rows} == {unit}
                else:
                    assert r.headers["content-type"] == "application/problem+json"
                    assert "Traceback" not in r.text


@pytest.mark.parametrize("who", ROLES)
def test_unscoped_requests_return_only_the_roles_rows(server, geography, who):
    """Without ?unit=, every row of /results, /series and /findings is within the role; the
    role's own units and the force are there (the filter is not vacuous)."""
    if who is None:
        with server.client() as c:
            for path in (
                "/api/v1/results",
                "/api/v1/series/recorded_crime",
                "/api/v1/findings",
                "/api/v1/periods",
                "/api/v1/measures",
                f"/api/v1/reports/{PERIOD}.html",
            ):
                assert c.get(path).status_code == 401, path
        return
    allowed = allowed_units(server, geography, who)
    with server.client(who) as c:
        results = c.get("/api/v1/results", params={"period": PERIOD}).json()["rows"]
        series = c.get("/api/v1/series/recorded_crime", params={"breakdown": "district"}).json()[
            "rows"
        ]
        series += c.get("/api/v1/series/recorded_crime", params={"breakdown": "area"}).json()[
            "rows"
        ]
        findings = c.get("/api/v1/findings", params={"period": PERIOD}).json()["rows"]
        assert c.get("/api/v1/periods").json()["latest"] == PERIOD
        assert len(c.get("/api/v1/measures").json()["measures"]) == 7
    seen = {(r["breakdown"], r["unit"]) for r in results + series}
    sub = {k for k in seen if k[0] in ("area", "district")}
    assert ("force", FORCE) in seen
    assert any(r["breakdown"] == "offence_group" for r in results)  # the force's own breakdown
    if allowed is None:
        everyone = {("district", d) for d in geography} | {("area", a) for a in geography.values()}
        # and the buckets of records with no district of the force ("No location", ...)
        assert everyone <= sub and {u for b, u in sub - everyone} <= set(DISTRICT_BUCKETS)
    else:
        assert sub == allowed
    assert findings
    names = set(geography) | set(geography.values())
    mine = {u for _, u in allowed} if allowed is not None else names
    for f in findings:
        units = {(u["breakdown"], u["unit"]) for u in f["units"]}
        assert all(
            b not in ("area", "district") or allowed is None or (b, u) in allowed for b, u in units
        ), f
        text = f["text"]
        for own in sorted(mine, key=len, reverse=True):
            text = text.replace(own, " ")
        for other in names - mine:
            assert not re.search(rf"\b{re.escape(other)}\b", text), (who, f["text"])


def test_commanders_receive_fewer_findings_than_the_board(server):
    with server.client("ana") as a, server.client("dev") as d:
        everyone = a.get("/api/v1/findings").json()["rows"]
        district = d.get("/api/v1/findings").json()["rows"]
    assert 0 < len(district) < len(everyone)


@pytest.mark.parametrize("who", ROLES)
def test_public_endpoints_serve_the_public_edition_to_anyone(server, geography, who):
    with server.client(who) as c:
        for kind, unit, breakdown in cases(geography, server, "ana"):
            r = c.get("/api/v1/public/results", params={"unit": unit, "breakdown": breakdown})
            assert r.status_code == 200, (kind, unit, r.text)
            body = r.json()
            assert body["edition"] == "public"
            assert {row["unit"] for row in body["rows"]} == {unit}
            assert all("disclosure" in row for row in body["rows"])
        r = c.get("/api/v1/public/findings")
        assert r.status_code == 200 and r.json()["edition"] == "public"


@pytest.mark.slow
def test_reports(server, geography):
    """Analyst and Board download the Board report (every district in it); commanders get 403
    (the full report holds other districts' rows); the public get the public edition."""
    with server.client("ana") as c:
        r = c.get(f"/api/v1/reports/{PERIOD}.html")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/html")
        html = r.text
        assert all(d in html for d in geography)
    with server.client("bob") as c:
        assert c.get(f"/api/v1/reports/{PERIOD}.html").content == r.content  # the cached file
    for who in ("cara", "dev"):
        with server.client(who) as c:
            assert c.get(f"/api/v1/reports/{PERIOD}.html").status_code == 403
            assert c.get(f"/api/v1/reports/{PERIOD}.pdf").status_code == 403
    with server.client() as c:
        r = c.get(f"/api/v1/public/reports/{PERIOD}.html")
        assert r.status_code == 200
        assert r.content != html.encode()
        assert c.get("/api/v1/public/reports/1999-01.html").status_code == 404


def test_public_series_hold_no_month_of_one_to_four_records(server, framework):
    """The public edition withholds every chart with a month resting on 1-4 records (checked
    here on the bases the Board edition serves); the Board edition has such charts, so the
    check is not vacuous."""
    small = public = 0
    with server.client("ana") as board, server.client() as anyone:
        for m in framework.measures:
            for b in ("force", "area", "district"):
                rows = board.get(f"/api/v1/series/{m.id}", params={"breakdown": b}).json()["rows"]
                units = {r["unit"] for r in rows}
                exposed = {r["unit"] for r in rows if r["base"] is not None and 1 <= r["base"] <= 4}
                got = anyone.get(f"/api/v1/public/series/{m.id}", params={"breakdown": b})
                shown = {r["unit"] for r in got.json()["rows"]}
                assert shown == units - exposed, (m.id, b)
                small += len(exposed)
                public += len(shown)
    assert small > 0 and public > 0
