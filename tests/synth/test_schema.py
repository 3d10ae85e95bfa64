"""Every generated table has every schema column, typed as the schema says, and passes the
loader's validation with nothing quarantined."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from forcestat.store.schema import CANONICAL, LINEAGE_COLUMNS
from forcestat.synth.columns import ARROW_TYPES


@pytest.mark.parametrize("table", CANONICAL, ids=lambda t: t.name)
def test_arrow_tables_have_schema_columns_and_types(demo_tables, table):
    tbl = demo_tables[table.name]
    assert tbl.column_names == list(table.column_names)
    for col in table.columns:
        assert tbl.schema.field(col.name).type == ARROW_TYPES[col.type], col.name
    assert tbl.num_rows > 0


@pytest.mark.parametrize("table", CANONICAL, ids=lambda t: t.name)
def test_store_columns_typed_and_lineage_filled(small_store, table):
    described = {r[0]: r[1] for r in small_store.execute(f'DESCRIBE "{table.name}"').fetchall()}
    for col in table.columns:
        assert described[col.name] == col.type, col.name
    nulls = small_store.execute(
        "SELECT "
        + ", ".join(f'count(*) - count("{c}")' for c in LINEAGE_COLUMNS)
        + f' FROM "{table.name}"'
    ).fetchone()
    assert nulls == (0, 0, 0, 0)
    required = [c.name for c in table.columns if c.required]
    missing = small_store.execute(
        "SELECT "
        + ", ".join(f'count(*) - count("{c}")' for c in required)
        + f' FROM "{table.name}"'
    ).fetchone()
    assert set(missing) == {0}


def test_keys_unique(demo_tables):
    """References are issued in order, so strictly increasing proves them unique (and is far
    cheaper than hashing millions of strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for table in CANONICAL:
        tbl = demo_tables[table.name]
        if len(table.key) == 1:
            key = tbl[table.key[0]].combine_chunks()
            assert pc.all(pc.less(key[:-1], key[1:])).as_py(), table.name
        else:
            parts = [pc.cast(tbl[k], pa.string()) for k in table.key]
            key = pc.binary_join_element_wise(*parts, "|")
            assert pc.count_distinct(key).as_py() == tbl.num_rows, table.name


def test_generated_parquet_passes_the_loader(small_tables, tmp_path, store):
    """Two years of a small force, every table, through ``load_files``: zero rejections."""
    from forcestat.store.loader import load_files

    for name, tbl in small_tables.items():
        path = tmp_path / f"{name}.parquet"
        pq.write_table(tbl, path)
        report = load_files(store, name, [path])
        assert report.quarantined == 0, (name, [str(r) for r in report.rejections[:5]])
        assert report.inserted == tbl.num_rows, name
