"""An additive pass evaluates each distinct condition once (a projected column) and its filtered
aggregates read those columns; the cube is the same as aggregating each condition directly."""

from __future__ import annotations

import duckdb
import pandas as pd

from forcestat.engine import cube
from forcestat.store.store import open_store

OUTCOMES = "outcome_type IN (1, 2, 3, 4, 6, 7, 8)"


def _crimes_by_district(framework, backend):
    tabs = set(backend.list_tables())
    measures = [
        m for m in framework.measures if m.table == "crimes" and set(cube.linked_tables(m)) <= tabs
    ]
    passes, _ = cube.plan(measures, cube.table_columns(backend, ["crimes"]), lagged=False)
    (p,) = [
        p
        for p in passes
        if p.date == "recorded_at"
        and p.keys == ("district",)
        and p.kind == "additive"
        and not any(cube.windowed(m) for m in p.measures)  # repeat measures have their own
    ]
    return p


def test_each_condition_is_compiled_once(store_path, framework):
    st = open_store(store_path, read_only=True)
    try:
        p = _crimes_by_district(framework, st.ibis)
        sql = str(st.ibis.compile(cube.build_query(p, st.ibis)))
        # Four outcome rates share their numerator's condition: one evaluation, not four.
        assert sql.count('"outcome_type" IN (1, 2, 3, 4, 6, 7, 8)') == 1
        assert sql.count(cube.CONDITION) > 10
    finally:
        st.close()


def test_projected_cube_matches_direct_sql(store_path, framework):
    st = open_store(store_path, read_only=True)
    try:
        p = _crimes_by_district(framework, st.ibis)
        got = cube.run(p, st.ibis)
        # The cube's text keys are categoricals (a few values over many rows); compared as text.
        assert str(got["district"].dtype) == "category"
        got["district"] = got["district"].astype(str)
        got = got.set_index([cube.MONTH, "district"]).sort_index()
    finally:
        st.close()
    con = duckdb.connect(store_path, read_only=True)
    want = con.sql(
        f"""
        SELECT year(recorded_at) * 12 + month(recorded_at) - 1 AS month, district,
               count(*) FILTER (WHERE {OUTCOMES}) AS all_num,
               count(*) FILTER (WHERE domestic_abuse AND {OUTCOMES}) AS da_num,
               count(*) FILTER (WHERE domestic_abuse) AS da_den,
               count(*) FILTER (WHERE offence_code IN ('28E', '28F', '29') AND {OUTCOMES})
                   AS burglary_num
        FROM crimes WHERE recorded_at IS NOT NULL GROUP BY 1, 2
        """
    ).df()
    con.close()
    want = want.set_index(["month", "district"]).sort_index()
    want.index = want.index.set_names([cube.MONTH, "district"])
    pairs = {
        "all_num": "outcome_rate_all_crime:num",
        "da_num": "outcome_rate_domestic_abuse:num",
        "da_den": "outcome_rate_domestic_abuse:den",
        "burglary_num": "outcome_rate_burglary_dwelling:num",
    }
    for mine, theirs in pairs.items():
        pd.testing.assert_series_equal(
            got[theirs].astype(float), want[mine].astype(float), check_names=False
        )
    # Counts come back as 64-bit integers (DuckDB's count_if is a HUGEINT, which would reach
    # pandas as Python Decimal objects).
    counts = [c for c in got.columns if c.endswith((":n", ":num", ":den"))]
    assert counts and all(str(got[c].dtype) == "int64" for c in counts)
    assert want["da_num"].sum() > 0 and want["burglary_num"].sum() > 0


def test_the_connections_row_order_setting_is_restored(store_path, framework):
    from forcestat.engine import compute

    st = open_store(store_path, read_only=True)
    try:
        setting = "SELECT current_setting('preserve_insertion_order')"
        for before in (True, False):
            st.duck.execute(f"SET preserve_insertion_order = {str(before).lower()}")
            seen = []
            with cube.unordered(st.ibis):
                seen.append(st.duck.execute(setting).fetchone()[0])
            assert seen == [False]
            assert st.duck.execute(setting).fetchone()[0] is before
        compute(st, framework, "2020-03", measures=["recorded_crime"], workers=1)
        assert st.duck.execute(setting).fetchone()[0] is False  # as the user left it
    finally:
        st.close()


def test_duckdb_counts_with_count_if_and_other_backends_keep_the_filtered_count(
    store_path, framework
):
    st = open_store(store_path, read_only=True)
    try:
        p = _crimes_by_district(framework, st.ibis)
        sql = str(st.ibis.compile(cube.build_query(p, st.ibis)))
        aggregates = sql[: sql.index(" FROM (")]
        assert aggregates.count("COUNT_IF(") > 10
        assert "COUNT(*) FILTER" not in aggregates
        # A backend that is not DuckDB (named otherwise) compiles to Ibis' own filtered count.
        t = cube.table(st.ibis, "crimes")
        cond = t.domestic_abuse.fill_null(False)
        assert "count_if" in repr(cube._count_if(cond, st.ibis)).lower()
        other = cube._count_if(cond, object())
        assert "count_if" not in repr(other).lower()
        expr = t.aggregate(a=cube._count_if(cond, st.ibis), b=other.resolve(t))
        a, b = st.ibis.execute(expr).iloc[0]
        want = st.duck.sql("SELECT count(*) FROM crimes WHERE domestic_abuse").fetchone()[0]
        assert a == b == want
        assert a > 0
    finally:
        st.close()


def test_small_stores_run_their_passes_on_the_cores_the_workers_leave(store_path, framework):
    import os

    from forcestat.engine import run as engine_run

    st = open_store(store_path, read_only=True)
    try:
        tables = ["crimes", "calls"]
        want = sum(st.duck.sql(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
        assert cube.record_count(st.ibis, tables) == want > 0
        assert cube.record_count(object(), tables) is None  # not DuckDB: unknown
        cores = os.cpu_count() or 1
        assert engine_run.passes_threads(st.ibis, tables, 1) is None  # no workers: as it is
        assert engine_run.passes_threads(st.ibis, tables, 2) == max(1, cores - 2)
        assert engine_run.passes_threads(st.ibis, tables, cores + 3) == 1
        big = engine_run.SMALL_STORE_RECORDS
        try:
            engine_run.SMALL_STORE_RECORDS = want  # as if the tables were that big
            assert engine_run.passes_threads(st.ibis, tables, 2) is None
        finally:
            engine_run.SMALL_STORE_RECORDS = big

        setting = "SELECT current_setting('threads')"
        st.duck.execute("SET threads = 3")
        with cube.threads(st.ibis, 1):
            assert st.duck.execute(setting).fetchone()[0] == 1
        assert st.duck.execute(setting).fetchone()[0] == 3
        with cube.threads(st.ibis, None):
            assert st.duck.execute(setting).fetchone()[0] == 3
        # A run with workers changes it during its passes only.
        from forcestat.engine import compute

        compute(st, framework, "2020-03", measures=["recorded_crime"], workers=2)
        assert st.duck.execute(setting).fetchone()[0] == 3
    finally:
        st.close()


def test_a_tables_months_are_its_first_and_last_dates_months(store_path):
    st = open_store(store_path, read_only=True)
    try:
        for name, date in [
            ("crimes", "outcome_at"),
            ("crimes", "recorded_at"),
            ("calls", "received_at"),
        ]:
            want = st.duck.sql(
                f"SELECT min(year({date}) * 12 + month({date}) - 1), "
                f"max(year({date}) * 12 + month({date}) - 1) FROM {name}"
            ).fetchone()
            assert cube.date_span(st.ibis, name, date) == want
        assert want[0] < want[1]
    finally:
        st.close()


def test_a_sum_over_no_rows_comes_back_as_zero(monkeypatch):
    import pyarrow as pa

    # The backend's answer for an additive pass: a sum over no rows is NULL.
    got = pa.table(
        {
            cube.MONTH: pa.array([24000, 24001], pa.int64()),
            "district": ["Fenland", "Cambridge"],
            "crime_harm:s": pa.array([1.5, None], pa.float64()),
            "crime_harm:n": pa.array([3, 0], pa.int64()),
        }
    )
    monkeypatch.setattr(cube, "_arrow", lambda p, backend: (got, {"other:n": "crime_harm:n"}))
    p = cube.Pass("crimes", "recorded_at", "additive", ("district",))
    df = cube.run(p, None)
    assert df["crime_harm:s"].tolist() == [1.5, 0.0]
    assert df["crime_harm:n"].tolist() == df["other:n"].tolist() == [3, 0]
    assert str(df[cube.MONTH].dtype) == "int64" and p.frame is df


def test_a_median_pass_filters_as_written_and_bins_whole_numbers_as_they_are(store_path, framework):
    st = open_store(store_path, read_only=True)
    try:
        measures = [framework.measure(i) for i in ("calls_101_wait", "response_time_immediate")]
        cols = cube.table_columns(st.ibis, ["calls", "incidents"])
        passes, _ = cube.plan(measures, cols)
        wait = next(p for p in passes if p.table == "calls" and p.kind == "median")
        sql = str(st.ibis.compile(cube.build_query(wait, st.ibis)))
        # No COALESCE around the filter (the backend can push it into its scan); whole
        # seconds at a resolution of 1 are their own bins.
        assert "COALESCE" not in sql.upper() and "FLOOR" not in sql.upper()
        got = cube.run(wait, st.ibis).sort_values([cube.MONTH, cube.BIN]).reset_index(drop=True)
        want = st.duck.sql(
            """SELECT year(received_at) * 12 + month(received_at) - 1 AS month,
                      wait_seconds AS bin, count(*) AS count
               FROM calls WHERE channel = '101' AND wait_seconds IS NOT NULL
               GROUP BY 1, 2 ORDER BY 1, 2"""
        ).df()
        assert len(got) == len(want) > 0
        for c in (cube.MONTH, cube.BIN, "count"):
            assert got[c].astype("int64").tolist() == want[c].astype("int64").tolist()

        # Minutes between two timestamps at 0.1: floored, and records without a value dropped.
        imm = next(p for p in passes if p.table == "incidents" and p.keys == ("district",))
        got = cube.run(imm, st.ibis)
        want = st.duck.sql(
            """SELECT count(*), sum(floor((epoch(first_arrival_at) - epoch(created_at))
                                         / 60.0 / 0.1)) FROM incidents
               WHERE grade = 'immediate' AND first_arrival_at IS NOT NULL
                 AND created_at IS NOT NULL"""
        ).fetchone()
        assert int(got["count"].sum()) == want[0] > 0
        assert int((got[cube.BIN] * got["count"]).sum()) == want[1]
    finally:
        st.close()
