"""Security over HTTP against a server of this module's own (its failed logins must not throttle
the other tests): login throttling, CSRF, cookies, headers, limits, errors, the audit log,
passwords kept out of logs, users removed while the server runs, and the refusal to listen
on a public address without TLS."""

from __future__ import annotations

import csv
import io
import sqlite3
import time

import httpx
import pyarrow.parquet as pq
import pytest
from web_helpers import PASSWORD, PERIOD, cli, make_server, stop_server


@pytest.fixture(scope="module")
def srv(served_store, framework_file, geography, tmp_path_factory):
    s = make_server(served_store, framework_file, geography, tmp_path_factory.mktemp("sec"))
    yield s
    stop_server(s)


def csrf(c: httpx.Client) -> str:
    return c.get("/api/v1/session").json()["csrf_token"]


def try_login(c: httpx.Client, name: str, password: str) -> httpx.Response:
    return c.post(
        "/api/v1/session",
        json={"username": name, "password": password},
        headers={"X-CSRF-Token": csrf(c)},
    )


def test_a_wrong_password_ten_times_is_throttled(srv):
    with httpx.Client(base_url=srv.url) as c:
        codes = [try_login(c, "bob", f"wrong-password-{i}").status_code for i in range(10)]
        assert codes[:5] == [401] * 5
        assert codes[5:] == [429] * 5
        r = try_login(c, "bob", PASSWORD)  # the right password does not get through either
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) > 0
        assert r.headers["content-type"] == "application/problem+json"
        # Another user from the same address is not locked out by bob's failures.
        assert try_login(c, "ana", PASSWORD).status_code == 200


def test_a_password_never_appears_in_logs_or_state(srv):
    marker = "Zebra-Marker-Password-918273"
    with httpx.Client(base_url=srv.url) as c:
        assert try_login(c, "cara", marker).status_code == 401
        assert try_login(c, marker, marker).status_code == 401
        r = c.post(
            "/api/v1/session",
            json={"username": "cara", "password": ["not", marker]},
            headers={"X-CSRF-Token": csrf(c)},
        )
        assert r.status_code == 400 and marker not in r.text
    srv.proc.poll()
    time.sleep(0.5)
    for path in (srv.log, srv.state, srv.store):
        data = path.read_bytes()
        assert marker.encode() not in data, path
        assert PASSWORD.encode() not in data, path
    wal = srv.state.with_name(srv.state.name + "-wal")
    if wal.exists():
        assert PASSWORD.encode() not in wal.read_bytes()


def test_csrf_and_cookies(srv):
    with httpx.Client(base_url=srv.url) as c:
        body = {"username": "ana", "password": PASSWORD}
        assert c.post("/api/v1/session", json=body).status_code == 403  # no token at all
        pre = csrf(c)
        r = c.post("/api/v1/session", json=body, headers={"X-CSRF-Token": pre + "x"})
        assert r.status_code == 403
        r = c.post("/api/v1/session", json=body, headers={"X-CSRF-Token": pre})
        assert r.status_code == 200, r.text
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        token = r.json()["csrf_token"]
        assert token != pre
        assert c.get("/api/v1/results").status_code == 200  # the session cookie works
        assert c.delete("/api/v1/session").status_code == 403  # logging out needs the token
        assert c.delete("/api/v1/session", headers={"X-CSRF-Token": pre}).status_code == 403
        assert c.delete("/api/v1/session", headers={"X-CSRF-Token": token}).status_code == 204
        assert c.get("/api/v1/results").status_code == 401
    with httpx.Client(base_url=srv.url) as c:  # a plain HTML form: the token as a field
        pre = csrf(c)
        form = {"username": "bob-form", "password": "x" * 12, "csrf_token": pre}
        assert c.post("/api/v1/session", data=form).status_code == 401  # past CSRF, bad user
        form["csrf_token"] = "forged"
        assert c.post("/api/v1/session", data=form).status_code == 403


def test_security_headers_on_every_answer(srv):
    with srv.client("ana") as c:
        answers = [
            c.get("/api/v1/results"),
            c.get("/api/v1/nowhere"),
            c.get("/static/ping.json"),
            c.get("/api/v1/openapi.json"),
        ]
    for r in answers:
        csp = r.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert "server" not in r.headers


def test_size_limits(srv):
    with httpx.Client(base_url=srv.url) as c:
        big = {"username": "ana", "password": "p" * 50_000}
        r = c.post("/api/v1/session", json=big, headers={"X-CSRF-Token": csrf(c)})
        assert r.status_code == 413
        assert c.get("/api/v1/public/results", params={"unit": "u" * 5000}).status_code == 414


def test_errors_are_problem_documents(srv):
    with srv.client("ana") as c:
        for path, status in (
            ("/api/v1/results?measure=no_such_measure", 404),
            ("/api/v1/results?period=2020-13", 422),
            ("/api/v1/results?period=1999-01", 404),
            ("/api/v1/series/no_such_measure", 404),
            ("/api/v1/results?format=docx", 422),
            ("/api/v1/nowhere", 404),
        ):
            r = c.get(path)
            assert r.status_code == status, (path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            body = r.json()
            assert body["status"] == status and body["title"]
            assert "Traceback" not in r.text and 'File "' not in r.text


def test_formats_carry_the_same_rows(srv):
    from openpyxl import load_workbook

    params = {"measure": "recorded_crime", "period": PERIOD}
    with srv.client("ana") as c:
        rows = c.get("/api/v1/results", params=params).json()["rows"]
        csv_text = c.get("/api/v1/results", params={**params, "format": "csv"}).text
        parquet = c.get("/api/v1/results", params={**params, "format": "parquet"}).content
        xlsx = c.get("/api/v1/results", params={**params, "format": "xlsx"}).content
    assert len(rows) > 20
    got_csv = list(csv.DictReader(io.StringIO(csv_text)))
    assert [(r["unit"], r["window"]) for r in got_csv] == [(r["unit"], r["window"]) for r in rows]
    assert [float(r["value"]) for r in got_csv] == [r["value"] for r in rows]
    table = pq.read_table(io.BytesIO(parquet)).to_pylist()
    assert [(r["unit"], r["window"], r["value"]) for r in table] == [
        (r["unit"], r["window"], r["value"]) for r in rows
    ]
    sheet = load_workbook(io.BytesIO(xlsx), read_only=True).active
    got = list(sheet.iter_rows(values_only=True))
    head = list(got[0])
    assert [r[head.index("value")] for r in got[1:]] == [r["value"] for r in rows]


def test_every_data_answer_is_audited(srv):
    with srv.client("dev") as c:
        n = c.get("/api/v1/results", params={"measure": "charges"}).json()["count"]
        assert c.get("/api/v1/results", params={"unit": "Nowhere-Else"}).status_code in (200, 403)
        other = [d for d in srv_geography(srv) if d != srv.users["dev"][1]][0]
        assert c.get("/api/v1/results", params={"unit": other}).status_code == 403
    con = sqlite3.connect(srv.state)
    rows = con.execute(
        "SELECT user, role, unit, endpoint, params, status, rows FROM audit_log "
        "WHERE user = 'dev' ORDER BY seq"
    ).fetchall()
    assert ("dev", "commander", srv.users["dev"][1], "/api/v1/results") == rows[-3][:4]
    assert '"measure": "charges"' in rows[-3][4] and rows[-3][5:] == (200, n)
    assert rows[-1][5:] == (403, 0) and other in rows[-1][4]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE audit_log SET rows = 0")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit_log")
    con.close()
    r = cli("users", "audit", "--store", str(srv.store), "--state", str(srv.state), "--user", "dev")
    assert r.exit_code == 0 and "/api/v1/results" in r.output and "charges" in r.output


def srv_geography(srv) -> list[str]:
    import duckdb

    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{srv.store}' AS s (READ_ONLY)")
        return [r[0] for r in con.execute("SELECT district FROM s.geography").fetchall()]
    finally:
        con.close()


def test_a_removed_user_is_signed_out_while_the_server_runs(srv):
    r = cli(
        "users",
        "add",
        "eve",
        "--store",
        str(srv.store),
        "--role",
        "board",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert r.exit_code == 0, r.output
    token = cli("users", "token", "eve", "--store", str(srv.store)).output.strip().split()[-1]
    deadline = time.monotonic() + 20
    with httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {token}"}) as c:
        while c.get("/api/v1/periods").status_code != 200:  # the server reads the new user
            assert time.monotonic() < deadline
            time.sleep(0.3)
        session = srv.login("eve")
        assert session.get("/api/v1/periods").status_code == 200
        assert cli("users", "remove", "eve", "--store", str(srv.store)).exit_code == 0
        while c.get("/api/v1/periods").status_code != 401:
            assert time.monotonic() < deadline
            time.sleep(0.3)
        assert session.get("/api/v1/periods").status_code == 401


def test_a_public_address_needs_tls_or_a_proxy(served_store):
    r = cli("serve", "--store", str(served_store), "--host", "0.0.0.0", "--port", "9")
    assert r.exit_code == 2
    assert "not a loopback address" in r.output
