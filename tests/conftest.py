"""Shared fixtures. Stores are built by the package itself (datasette's habit): tests, demo and
docs share one source of sample data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


@pytest.fixture
def store(tmp_path):
    from forcestat.store.store import open_store

    st = open_store(str(tmp_path / "store.duckdb"))
    yield st
    st.close()


@pytest.fixture(scope="session")
def demo_store_path(tmp_path_factory) -> str:
    """The demo's store, exactly as ``forcestat demo`` builds it (5 years to March 2020, seed
    1), built once per session."""
    from forcestat.synth.run import run

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    run(store=str(path), end="2020-03", years=5, seed=1, forces=1, out=None)
    return str(path)


@pytest.fixture(scope="session")
def demo_computed(demo_store_path):
    """measure_results of the demo at March 2020 (``pipeline.compute``)."""
    from forcestat.period import Period
    from forcestat.pipeline import compute, load_framework, open_store

    st = open_store(demo_store_path)
    try:
        return compute(st, load_framework(None), Period(2020, 3))
    finally:
        st.close()


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster (tests/pgcluster.py) for the session, on a Unix socket in
    a temporary folder; stopped and removed at the end. Debian's postgres is a system package
    of the project (scripts/system-packages.txt): a machine without it fails these tests, it
    does not skip them."""
    import shutil
    import tempfile

    from pgcluster import Cluster, binaries

    if binaries() is None:
        pytest.fail("PostgreSQL's initdb is missing: run scripts/setup.sh (Debian: postgresql)")
    # Under /tmp itself, not pytest's root-only folder: as root the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="forcestat-pg-"))
    cluster = Cluster(folder)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
