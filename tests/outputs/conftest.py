"""Fixtures for the report tests: one small store, its measure_results and monthly series, and
the Board and public editions written once per session.

The store is the synthetic demo force at a fraction of its size (the package's own generator,
as the demo uses it); if the generator is not importable the engine tests' hand-built store is
used instead. Four years of data give every comparator and at least 13 SPC points.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from pathlib import Path

import pytest

PERIOD = "2020-03"
HERE = Path(__file__).parent


def _synth_store(path: Path) -> bool:
    try:
        from forcestat.synth.calendar import Period
        from forcestat.synth.force import demo_force
        from forcestat.synth.generate import StoreWriter, generate_force, source_label
    except ImportError:
        return False
    force = dataclasses.replace(demo_force(), annual_crimes=5_000.0)
    with StoreWriter(str(path), source_label(3, PERIOD, 4)) as writer:
        generate_force(force, Period.of(PERIOD, 4), seed=3, sink=writer.submit)
    return True


@pytest.fixture(scope="session")
def store_path(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("report-store") / "small.duckdb"
    if not _synth_store(path):
        sys.path.insert(0, str(HERE.parent / "engine"))
        from storegen import build_store

        build_store(path, start="2016-04", end=PERIOD, seed=7)
    return str(path)


@pytest.fixture(scope="session")
def store(store_path):
    from forcestat.store.store import open_store

    st = open_store(store_path, read_only=True)
    yield st
    st.close()


@pytest.fixture(scope="session")
def framework():
    from forcestat.framework import load_framework

    return load_framework()


@pytest.fixture(scope="session")
def results(store, framework):
    from forcestat.engine import compute

    return compute(store, framework, PERIOD)


@pytest.fixture(scope="session")
def series(store, framework):
    from forcestat.engine.series import monthly_series

    return monthly_series(store, framework, PERIOD, breakdowns=("force", "area", "district"))


@pytest.fixture(scope="session")
def areas(store) -> dict[str, str]:
    from forcestat.engine.rollup import Geography

    return Geography.load(store.ibis).area


COMMENTARY = {
    "background.md": (
        "Commentary marker ALPHA-7. The ONS bulletin is cited "
        "[here](https://www.ons.gov.uk/peoplepopulationandcommunity/crimeandjustice).\n\n"
        "- first point BRAVO-3\n- second point\n"
    ),
    "measure-recorded_crime.md": "Marker CHARLIE-5 about recorded crime, **in bold**.\n",
    "objective-civil_powers.md": "Marker DELTA-9: an update on civil powers.\n",
    "priority-domestic_abuse.md": "Marker ECHO-2 for the domestic abuse priority.\n",
    "typo-section.md": "Marker FOXTROT-1 in a file that matches no section.\n",
}


@pytest.fixture(scope="session")
def commentary_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("commentary")
    sub = root / PERIOD
    sub.mkdir()
    for name, text in COMMENTARY.items():
        (sub / name).write_text(text, encoding="utf-8")
    return root


def fingerprint(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file's sha256 and modification time (ns), to show nothing was written."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def commentary_before(commentary_dir):
    return fingerprint(commentary_dir)


def write(
    results,
    framework,
    series,
    areas,
    out: Path,
    *,
    public=False,
    commentary_dir=None,
    formats=("html",),
    snapshot="test-snapshot",
    edition="annex",
):
    from forcestat.outputs.commentary import load_commentary
    from forcestat.outputs.report import build_report, write_report
    from forcestat.pipeline import public_edition

    commentary = load_commentary(commentary_dir, PERIOD)
    withheld = frozenset()
    if public:
        results, withheld = public_edition(results, framework, areas, series)
    report = build_report(
        results,
        framework,
        PERIOD,
        series=series,
        areas=areas,
        commentary=commentary,
        public_edition=public,
        snapshot=snapshot,
        withheld_charts=withheld,
        edition=edition,
    )
    written = write_report(report, out, formats)
    written.unused_commentary = commentary.unused()
    written.results = results  # the public edition's frame, when public
    return written


@pytest.fixture(scope="session")
def board(
    results, framework, series, areas, store, commentary_dir, commentary_before, tmp_path_factory
):
    """The report in full (the annex edition: every measure, table and chart) in all three
    formats, with commentary. The short Board edition is ``board_paper``."""
    out = tmp_path_factory.mktemp("board")
    return write(
        results,
        framework,
        series,
        areas,
        out,
        commentary_dir=commentary_dir,
        formats=("html", "pdf", "docx"),
        snapshot=store.snapshot_hash(),
    )


@pytest.fixture(scope="session")
def public(results, framework, series, areas, tmp_path_factory):
    """The public annex edition (HTML and PDF) and its frame (``.results``): protecting an
    edition is the slow part, so it is built once."""
    out = tmp_path_factory.mktemp("public")
    return write(results, framework, series, areas, out, public=True, formats=("html", "pdf"))


@pytest.fixture(scope="session")
def board_paper(results, framework, series, areas, tmp_path_factory):
    """The short Board edition (HTML and PDF), without commentary."""
    out = tmp_path_factory.mktemp("board-paper")
    return write(results, framework, series, areas, out, formats=("html", "pdf"), edition="board")


@pytest.fixture(scope="session")
def public_paper(results, framework, series, areas, tmp_path_factory):
    """The public edition of the short Board paper."""
    out = tmp_path_factory.mktemp("public-paper")
    return write(results, framework, series, areas, out, public=True, edition="board")
