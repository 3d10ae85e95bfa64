"""Conformance: the same framework gives the same measure_results on DuckDB and local Spark.

One suite runs over both backends (as Ibis' own conformance suite does). A known gap of a
backend is declared on the test it affects with ``notimpl(...)`` (a strict xfail that names the
exception), never skipped silently. The store is small (two years, one force) so the module stays
well under two minutes, most of it Spark's start-up.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from storegen import build_store

from forcestat.engine import compute
from forcestat.framework import load_framework, loads_framework
from forcestat.store.schema import CANONICAL, REFERENCE
from forcestat.store.store import open_store

pytestmark = pytest.mark.spark

PERIOD = "2020-03"
FLOAT_TOLERANCE = 1e-9


def notimpl(raises: type[BaseException], reason: str):
    """Declare a backend gap: the test must fail with ``raises`` (strict: fixing it shows up)."""
    return pytest.mark.xfail(raises=raises, strict=True, reason=f"notimpl on pyspark: {reason}")


# Declared gaps, by test id. Empty: every measure and construct conforms at present.
MEASURE_GAPS: dict[str, pytest.MarkDecorator] = {}
CONSTRUCT_GAPS: dict[str, pytest.MarkDecorator] = {}


@pytest.fixture(scope="module")
def small_store(tmp_path_factory) -> tuple[str, Path]:
    """A DuckDB store and the same tables exported as Parquet for Spark."""
    root = tmp_path_factory.mktemp("conformance")
    db = root / "small.duckdb"
    build_store(db, start="2018-04", end="2020-03", seed=3, scale=0.3)
    pq = root / "parquet"
    pq.mkdir()
    st = open_store(str(db), read_only=True)
    for t in CANONICAL + REFERENCE:
        st.duck.execute(f"COPY \"{t.name}\" TO '{pq / t.name}.parquet' (FORMAT parquet)")
    st.close()
    return str(db), pq


@pytest.fixture(scope="module")
def spark(small_store):
    pytest.importorskip("pyspark", reason="pyspark is the 'spark' extra (pip install -e .[spark])")
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java 17 on PATH")
    import ibis
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("forcestat-conformance")
        # Canonical times are naive local times; UTC keeps Spark from shifting them.
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    con = ibis.pyspark.connect(session)
    for t in CANONICAL + REFERENCE:
        con.read_parquet(str(small_store[1] / f"{t.name}.parquet"), table_name=t.name)
    yield con
    session.stop()


@pytest.fixture(scope="module")
def duck(small_store):
    st = open_store(small_store[0], read_only=True)
    yield st
    st.close()


@pytest.fixture(scope="module")
def both(duck, spark) -> tuple[pd.DataFrame, pd.DataFrame]:
    fw = load_framework()
    return compute(duck, fw, PERIOD), compute(spark, fw, PERIOD)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=FLOAT_TOLERANCE)


def _measure_params():
    return [
        pytest.param(m.id, marks=MEASURE_GAPS[m.id]) if m.id in MEASURE_GAPS else m.id
        for m in load_framework().measures
    ]


@pytest.mark.parametrize("measure_id", _measure_params())
def test_measure_results_match(both, measure_id):
    d, s = both
    dm, sm = d[d.measure_id == measure_id], s[s.measure_id == measure_id]
    assert len(dm) > 0
    _same(dm, sm)


def test_whole_table_matches(both):
    d, s = both
    assert list(d.columns) == list(s.columns)
    _same(d, s)


# Each construct of the expression language, as the filter of a count measure.
CONSTRUCTS = {
    "compare": ("crimes", "offence_group = 'Shoplifting'"),
    "in_set": ("crimes", "outcome_type in @prosecution_possible"),
    "not_in": ("crimes", "victim_age_group not in ('0-12', 'unknown')"),
    "between": ("crimes", "outcome_type between 1 and 8"),
    "is_null": ("crimes", "outcome_type is null"),
    "boolean_logic": ("crimes", "domestic_abuse and not (hate or knife)"),
    "coalesce": ("crimes", "coalesce(child_sexual_exploitation, false)"),
    "lower": ("incidents", "lower(incident_type) = 'domestic'"),
    "minutes_between": ("incidents", "minutes_between(created_at, first_arrival_at) <= 15"),
    "days_between": ("crimes", "days_between(recorded_at, outcome_at) > 30"),
    "hours_arith": ("crimes", "hours_between(reported_at, recorded_at) / 24 < 1"),
    "time_literal": ("crimes", "recorded_at >= '2019-06-15'"),
    "linked": ("crimes", "linked(referrals, service = 'victim_witness_hub')"),
    "linked_safeguarding": ("crimes", "linked(safeguarding_referrals, kind = 'marac')"),
    "days_since_previous": ("crimes", "days_since_previous(victim_id, recorded_at) <= 365"),
}


def _construct_framework() -> str:
    parts = ['[[themes]]\nid = "t"\ntitle = "T"\n']
    for name, (table, expr) in CONSTRUCTS.items():
        parts.append(
            f'[[measures]]\nid = "{name}"\ntitle = "{name}"\ntheme = "t"\nphrase = "{name}"\n'
            f'kind = "count"\npolarity = "neutral"\ntable = "{table}"\n'
            f'filter = "{expr}"\nwindows = ["12m", "1m"]\n'
        )
    return "\n".join(parts)


@pytest.fixture(scope="module")
def constructs(duck, spark) -> tuple[pd.DataFrame, pd.DataFrame]:
    fw = loads_framework(_construct_framework())
    return compute(duck, fw, PERIOD), compute(spark, fw, PERIOD)


@pytest.mark.parametrize(
    "construct",
    [pytest.param(c, marks=CONSTRUCT_GAPS[c]) if c in CONSTRUCT_GAPS else c for c in CONSTRUCTS],
)
def test_expression_construct_matches(constructs, construct):
    d, s = constructs
    dm, sm = d[d.measure_id == construct], s[s.measure_id == construct]
    assert len(dm) > 0 and dm.value.sum() > 0
    _same(dm, sm)
