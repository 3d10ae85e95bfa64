"""Helpers for the data.police.uk and Home Office importer tests: the slices of real files in
tests/data/police_uk (see its ATTRIBUTION.md), and the full files in ../shared/data/real where
CI has them. (A module of its own name, not conftest, so that imports cannot pick up another
folder's conftest.)"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "police_uk"
REAL = REPO.parent / "shared" / "data" / "real"

needs_real = pytest.mark.skipif(
    not (REAL / "police_uk").is_dir(),
    reason=f"the full real data files are not here ({REAL}); CI has them beside the clone",
)


def read_rows(path: Path) -> list[dict[str, str]]:
    """A data.police.uk CSV as dicts, read with Python's csv module (independently of the
    importer, which reads through DuckDB)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(io.StringIO(fh.read())))


def district_of(row: dict[str, str]) -> str:
    """SOURCES.md section 5's rule: the LSOA name minus its trailing ' NNNX'."""
    name = row["LSOA name"].strip()
    return re.sub(r" \d{3}[A-Z]$", "", name) if name else "(no location)"


def expected_counts(paths: list[Path]) -> dict[str, Counter]:
    by: dict[str, Counter] = {k: Counter() for k in ("type", "district", "month", "asb")}
    for p in paths:
        for r in read_rows(p):
            if r["Crime type"] == "Anti-social behaviour":
                by["asb"][district_of(r)] += 1
                continue
            by["type"][r["Crime type"]] += 1
            by["district"][district_of(r)] += 1
            by["month"][r["Month"]] += 1
    return by


CAMBS_DISTRICTS = {
    "Peterborough",
    "Cambridge",
    "Huntingdonshire",
    "South Cambridgeshire",
    "Fenland",
    "East Cambridgeshire",
}


def bucket(district: str) -> str:
    """The store's district for a raw district name (SOURCES.md 'no location' / 'other')."""
    if district == "(no location)":
        return "No location"
    return district if district in CAMBS_DISTRICTS else "Outside force area"


def rebucket(counter: Counter) -> Counter:
    out: Counter = Counter()
    for k, v in counter.items():
        out[bucket(k)] += v
    return out


def street(*names: str) -> list[Path]:
    return [DATA / "street" / n for n in names]


def outcomes(pattern: str = "2019-*") -> list[Path]:
    return sorted((DATA / "outcomes").glob(pattern))


def table_rows(store, table: str, exclude=("loaded_at", "load_id")) -> list[tuple]:
    """A table's rows, sorted, without the columns that name the load (time and id)."""
    cols = [r[0] for r in store.duck.execute(f'DESCRIBE "{table}"').fetchall()]
    keep = ", ".join(f'"{c}"' for c in cols if c not in exclude)
    return store.duck.execute(f'SELECT {keep} FROM "{table}" ORDER BY ALL').fetchall()


DATA_TABLES = ("crimes", "police_uk_crimes", "police_uk_outcome_events", "asb_incidents")
