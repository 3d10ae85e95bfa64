"""``forcestat load --format police-uk|home-office``, and the canonical form unchanged."""

from __future__ import annotations

import os
import subprocess
import sys

from puk_helpers import DATA

EXE = [sys.executable, "-m", "forcestat.cli"]
ENV = {**os.environ, "COLUMNS": "250"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*EXE, *args], capture_output=True, text=True, env=ENV)


def test_police_uk_folder_then_home_office(tmp_path):
    db = str(tmp_path / "s.duckdb")
    r = run(
        "load", "--store", db, "--format", "police-uk", str(DATA / "street"), str(DATA / "outcomes")
    )
    assert r.returncode == 0, r.stderr
    assert "police-uk: 16 file(s)" in r.stdout
    assert "crimes: derived 378 rows from 3 file(s)" in r.stdout  # 214 + 81 + 83 crimes
    assert "asb_incidents: read 94 rows from 3 file(s) — loaded 94 new" in r.stdout
    again = run("load", "--store", db, "--format", "police-uk", str(DATA / "street"))
    assert "crimes: derived 378 rows from 3 file(s) — loaded 0 new, replaced 0, unchanged 378" in (
        again.stdout
    )
    h = run("load", "--store", db, "--format", "home-office", str(DATA / "national"))
    assert h.returncode == 0, h.stderr
    assert "ho_recorded_crime: read 129 rows"  # 43 forces x 3 years in h.stdout


def test_errors_are_clear(tmp_path):
    db = str(tmp_path / "s.duckdb")
    street = str(DATA / "street" / "2019-01-cambridgeshire-street.csv")
    r = run("load", "--store", db, street)
    assert r.returncode == 2 and "add --format police-uk" in r.stderr
    bad = tmp_path / "2019-01-x-street.csv"
    bad.write_text("Crime ID,Month\n")
    r = run("load", "--store", db, "--format", "police-uk", str(bad))
    assert r.returncode == 1  # a bad input file; 2 is for a bad command line
    assert "2019-01-x-street.csv: not a data.police.uk street or outcomes file" in r.stderr
    r = run("load", "--store", db, "--format", "nonsense", street)
    assert r.returncode == 2


def test_canonical_load_is_unchanged(tmp_path):
    f = tmp_path / "geo.csv"
    f.write_text(
        "force,area,district,lad_code,population,population_year\n"
        "Cambridgeshire,North,Peterborough,E06000031,202259,2019\n"
    )
    r = run("load", "geography", str(f), "--store", str(tmp_path / "s.duckdb"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("geography: read 1 rows from 1 file(s) in ")
