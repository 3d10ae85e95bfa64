"""Table expressions are kept between runs only while the store's catalogue is unchanged, and
never across store objects (Ibis backends on one database compare equal)."""

from __future__ import annotations

from forcestat.engine import cube
from forcestat.store.store import open_store


def test_a_changed_table_is_read_afresh(tmp_path):
    from storegen import build_store

    path = tmp_path / "s.duckdb"
    build_store(path, start="2019-04", end="2020-03", seed=3)
    st = open_store(str(path))
    try:
        b = st.ibis
        cube.forget(b)
        before = cube.table(b, "crimes")
        cube.forget(b)
        assert cube.table(b, "crimes") is before  # nothing changed: kept
        st.duck.execute("ALTER TABLE crimes ADD COLUMN extra_flag BOOLEAN")
        cube.forget(b)
        assert "extra_flag" in cube.table_columns(b, ["crimes"])["crimes"]
        assert "extra_flag" not in before.columns
    finally:
        st.close()
    again = open_store(str(path), read_only=True)
    try:
        cube.forget(again.ibis)
        t = cube.table(again.ibis, "crimes")
        assert t is not before
        assert t.count().execute() > 0  # bound to the open connection, not the closed one
    finally:
        again.close()
