"""``forcestat refresh``: the served rows are the engine's measure_results (checked against a
separate single-period evaluation), and an incremental refresh after loading a new month gives
exactly what a full refresh of the same store gives."""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from web_helpers import PERIOD, cli

from forcestat import pipeline
from forcestat.store import served

pytestmark = pytest.mark.slow

KEYS = ["edition", "measure_id", "breakdown", "unit", "period_end", "window"]


def read_served(path, framework, table="served_results") -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return served.read(con, table, framework.hash)
    finally:
        con.close()


def assert_same(a: pd.DataFrame, b: pd.DataFrame, keys) -> None:
    """Equal rows: numbers to 1e-9 relative, everything else exactly."""
    a = a.sort_values(keys).reset_index(drop=True)
    b = b[a.columns].sort_values(keys).reset_index(drop=True)
    assert len(a) == len(b)
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_float_dtype(x) and pd.api.types.is_float_dtype(y):
            xs, ys = x.to_numpy(float), y.to_numpy(float)
            assert np.array_equal(np.isnan(xs), np.isnan(ys)), c
            ok = ~np.isnan(xs)
            assert np.allclose(xs[ok], ys[ok], rtol=1e-9, atol=0), c
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), c


def test_served_results_are_the_engines(served_store, framework):
    """The rows of one period equal ``engine.compute`` for that period alone (its own run:
    one period, not the all-periods pass the refresh makes)."""
    from forcestat.engine import compute

    st = pipeline.open_store(str(served_store), read_only=True)
    try:
        fw = framework.without(set(pipeline.compute(st, framework, PERIOD).unavailable))
        direct = compute(st, fw, PERIOD)
    finally:
        st.close()
    rows = read_served(served_store, framework)
    board = rows[(rows["edition"] == "board") & (rows["period_end"] == PERIOD)]
    assert len(board) == len(direct) > 100
    assert_same(
        board.drop(columns=["edition", "disclosure", "previous_disclosure"]), direct, KEYS[1:]
    )
    assert rows["period_end"].nunique() > 24  # every period, not just the last


def test_public_rows_are_engine_public(served_store, framework):
    from forcestat.engine.public import public_results
    from forcestat.engine.rollup import Geography

    rows = read_served(served_store, framework)
    board = rows[(rows["edition"] == "board") & (rows["period_end"] == PERIOD)]
    public = rows[(rows["edition"] == "public") & (rows["period_end"] == PERIOD)]
    st = pipeline.open_store(str(served_store), read_only=True)
    try:
        areas = Geography.load(st.ibis).area
    finally:
        st.close()
    expect = public_results(
        board.drop(columns=["edition", "disclosure", "previous_disclosure"]).reset_index(drop=True),
        framework,
        areas,
    )
    assert_same(public.drop(columns=["edition"]), expect, KEYS[1:])
    assert (public["disclosure"] != "").any()  # the small store has small cells to hide


def test_incremental_refresh_after_a_new_month_equals_a_full_one(base_store, framework, tmp_path):
    """Take March 2020's crimes out of a copy of the store, refresh it, load them back as a
    new file, refresh again: only the crime measures' affected periods are recomputed, and
    the served rows equal a full refresh of the same store."""
    # Three measures keep the three refreshes quick: a count with an own breakdown (its periods
    # from the new month), a cohort outcome rate (back over its "as at" horizon), and a measure
    # of another table (not recomputed at all).
    framework = framework.without(
        {m.id for m in framework.measures}
        - {"recorded_crime", "outcome_rate_all_crime", "calls_101"}
    )
    store = tmp_path / "inc.duckdb"
    shutil.copy(base_store, store)
    march = tmp_path / "crimes-2020-03.parquet"
    con = duckdb.connect(str(store))
    lineage = "source_file, source_row, loaded_at, load_id"
    con.execute(
        f"COPY (SELECT * EXCLUDE ({lineage}) FROM crimes WHERE recorded_at >= DATE '2020-03-01') "
        f"TO '{march}' (FORMAT parquet)"
    )
    removed = con.execute("DELETE FROM crimes WHERE recorded_at >= DATE '2020-03-01'").fetchall()
    con.close()
    assert removed[0][0] > 100

    st = pipeline.open_store(str(store), read_only=False)
    try:
        first = pipeline.refresh(st, framework)
    finally:
        st.close()
    assert first.mode == "full"

    r = cli("load", "crimes", str(march), "--store", str(store))
    assert r.exit_code == 0, r.output

    st = pipeline.open_store(str(store), read_only=False)
    try:
        inc = pipeline.refresh(st, framework)
        again = pipeline.refresh(st, framework)
    finally:
        st.close()
    assert inc.mode == "incremental", inc.why
    assert again.mode == "current"
    crime_measures = {m.id for m in framework.measures if m.table == "crimes"}
    assert set(inc.measures) <= crime_measures and "recorded_crime" in inc.measures
    assert "calls_101" not in inc.measures
    # Counts: only the new month; cohort outcome rates reach back over their "as at" horizon.
    assert PERIOD in inc.periods
    # A period whose Board rows did not change keeps its public edition; the new month's is
    # protected again (the comparison with a full refresh below checks both).
    assert PERIOD in inc.protected
    assert set(inc.protected) < set(inc.periods), (len(inc.protected), len(inc.periods))

    full_path = tmp_path / "full.duckdb"
    shutil.copy(store, full_path)
    st = pipeline.open_store(str(full_path), read_only=False)
    try:
        full = pipeline.refresh(st, framework, full=True)
    finally:
        st.close()
    assert full.mode == "full" and full.snapshot == inc.snapshot
    assert_same(read_served(store, framework), read_served(full_path, framework), KEYS)
    for table, keys in (
        ("served_series", ["measure_id", "breakdown", "unit", "month"]),
        ("served_statements", ["edition", "measure_id", "period_end", "seq"]),
    ):
        assert_same(
            read_served(store, framework, table), read_served(full_path, framework, table), keys
        )
