"""The server tests run the real thing: a small synthetic store (the package's own generator,
as the demo uses it), refreshed with a smaller framework (``fwsubset``), users added through the
``forcestat users`` commands, and ``forcestat serve`` started as a process on a free loopback
port. Every request goes over HTTP to it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from fwsubset import write_subset  # noqa: E402
from web_helpers import build_store, make_server, stop_server  # noqa: E402


@pytest.fixture(scope="session")
def base_store(tmp_path_factory) -> Path:
    return build_store(tmp_path_factory.mktemp("web-store") / "base.duckdb")


@pytest.fixture(scope="session")
def framework_file(tmp_path_factory) -> Path:
    return write_subset(tmp_path_factory.mktemp("web-fw") / "framework.toml")


@pytest.fixture(scope="session")
def framework(framework_file):
    from forcestat.framework import load_framework

    return load_framework(framework_file)


@pytest.fixture(scope="session")
def served_store(base_store, framework, tmp_path_factory) -> Path:
    """A copy of the store, refreshed (every period)."""
    from forcestat import pipeline

    path = tmp_path_factory.mktemp("web-served") / "served.duckdb"
    shutil.copy(base_store, path)
    st = pipeline.open_store(str(path), read_only=False)
    try:
        pipeline.refresh(st, framework)
    finally:
        st.close()
    return path


@pytest.fixture(scope="session")
def geography(base_store) -> dict[str, str]:
    import duckdb

    con = duckdb.connect(str(base_store), read_only=True)
    try:
        return dict(con.execute("SELECT district, area FROM geography").fetchall())
    finally:
        con.close()


@pytest.fixture(scope="session")
def server(served_store, framework_file, geography, tmp_path_factory):
    srv = make_server(served_store, framework_file, geography, tmp_path_factory.mktemp("server"))
    yield srv
    stop_server(srv)
