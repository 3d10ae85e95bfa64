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
