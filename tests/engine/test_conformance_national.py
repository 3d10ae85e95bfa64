"""The national context read on Spark: the Home Office and ONS tables are read as Ibis
expressions (``store.national``), so the same figures come from DuckDB and from Spark."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forcestat.engine.national import national_context
from forcestat.findings.national import national_sentences
from forcestat.store.sources.home_office import load_home_office
from forcestat.store.store import open_store

NATIONAL = Path(__file__).resolve().parents[1] / "data" / "police_uk" / "national"
TABLES = ("ho_recorded_crime", "ho_outcomes", "ons_population", "geography", "lad_pfa")

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """The Home Office slice in a DuckDB store, and its tables as Parquet on local Spark."""
    pytest.importorskip("pyspark", reason="pyspark is the 'spark' extra (pip install -e .[spark])")
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java 17 on PATH")
    import ibis
    from pyspark.sql import SparkSession

    root = tmp_path_factory.mktemp("national-spark")
    st = open_store(str(root / "ho.duckdb"))
    load_home_office(st, [NATIONAL])
    for t in TABLES:
        # Table names are the package's own constants; the path is a parameter.
        st.duck.execute(f'COPY "{t}" TO ? (FORMAT parquet)', [str(root / f"{t}.parquet")])
    session = (
        SparkSession.builder.master("local[1]")
        .appName("forcestat-national")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    spark = ibis.pyspark.connect(session)
    for t in TABLES:
        spark.read_parquet(str(root / f"{t}.parquet"), table_name=t)
    yield st, spark
    session.stop()
    st.close()


def test_the_national_context_is_the_same_on_spark(stores):
    duck, spark = stores
    a, b = national_context(duck, "2020-03"), national_context(spark, "2020-03")
    assert (b.rank, b.forces_compared, b.recorded.value) == (9, 43, 68_220)
    assert national_sentences(b) == national_sentences(a)
    fa, fb = a.to_frame(), b.to_frame()
    assert fa.equals(fb)
