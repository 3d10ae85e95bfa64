"""Fixtures for the data.police.uk and Home Office importer tests (helpers: puk_helpers.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def new_store(tmp_path):
    from forcestat.store.store import open_store

    stores = []

    def make(name: str = "store"):
        st = open_store(str(tmp_path / f"{name}.duckdb"))
        stores.append(st)
        return st

    yield make
    for st in stores:
        st.close()
