"""Fixtures: a small hand-built store (see storegen.py) and its measure_results, computed once."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from storegen import build_store  # noqa: E402

PERIOD = "2020-03"


@pytest.fixture(scope="session")
def store_data(tmp_path_factory) -> tuple[str, dict[str, pd.DataFrame]]:
    path = tmp_path_factory.mktemp("engine") / "small.duckdb"
    data = build_store(path, start="2016-04", end="2020-03", seed=7)
    return str(path), data


@pytest.fixture(scope="session")
def store_path(store_data) -> str:
    return store_data[0]


@pytest.fixture(scope="session")
def raw(store_data) -> dict[str, pd.DataFrame]:
    return store_data[1]


@pytest.fixture(scope="session")
def framework():
    from forcestat.framework import load_framework

    return load_framework()


@pytest.fixture(scope="session")
def results(store_path, framework) -> pd.DataFrame:
    """The default framework's measure_results for PERIOD on the small store."""
    from forcestat.engine import compute
    from forcestat.store.store import open_store

    st = open_store(store_path, read_only=True)
    try:
        return compute(st, framework, PERIOD)
    finally:
        st.close()
