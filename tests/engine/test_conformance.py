"""Conformance: the same framework gives the same measure_results on DuckDB, local Spark and
PostgreSQL.

One suite runs over every backend (as Ibis' own conformance suite does), each compared with
DuckDB. The data are the same files on each: a small store's tables written as CSV, loaded
through the command line into a DuckDB store and into a PostgreSQL store (a throwaway cluster,
tests/pgcluster.py), and the DuckDB store's tables exported as Parquet for Spark. A known gap of
a backend is declared on the test it affects with ``notimpl(...)`` (a strict xfail that names
the exception), never skipped silently. The store is small (two years, one force) so the module
stays within about two minutes, most of it Spark's start-up.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from storegen import build_store
from typer.testing import CliRunner

from forcestat.cli import app
from forcestat.engine import compute
from forcestat.framework import load_framework, loads_framework
from forcestat.store.schema import CANONICAL, REFERENCE
from forcestat.store.store import open_store

pytestmark = pytest.mark.spark

PERIOD = "2020-03"
FLOAT_TOLERANCE = 1e-9
BACKENDS = ("spark", "postgres")  # fixture names


def notimpl(backend: str, raises: type[BaseException], reason: str):
    """Declare a backend gap: the test must fail with ``raises`` (strict: fixing it shows up)."""
    return pytest.mark.xfail(raises=raises, strict=True, reason=f"notimpl on {backend}: {reason}")


# Declared gaps, by backend and test id. Empty: every measure and construct conforms on every
# backend at present.
MEASURE_GAPS: dict[tuple[str, str], pytest.MarkDecorator] = {}
CONSTRUCT_GAPS: dict[tuple[str, str], pytest.MarkDecorator] = {}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """Every canonical table of a small generated store, as one CSV file each."""
    root = tmp_path_factory.mktemp("conformance")
    src = root / "generated.duckdb"
    build_store(src, start="2018-04", end="2020-03", seed=3, scale=0.3)
    out = root / "csv"
    out.mkdir()
    st = open_store(str(src), read_only=True)
    for t in CANONICAL:
        cols = ", ".join(f'"{c}"' for c in t.column_names)
        # Names are the schema's constants; the path is a parameter.
        st.duck.execute(
            f'COPY (SELECT {cols} FROM "{t.name}") TO ? (HEADER)', [str(out / f"{t.name}.csv")]
        )
    st.close()
    return out


def load_through_cli(store: str, files: Path) -> None:
    runner = CliRunner()
    for t in CANONICAL:
        got = runner.invoke(app, ["load", t.name, str(files / f"{t.name}.csv"), "--store", store])
        assert got.exit_code == 0, got.output
        assert "quarantined 0" in got.output, got.output


@pytest.fixture(scope="module")
def duck_path(files, tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("duck") / "loaded.duckdb")
    load_through_cli(path, files)
    return path


@pytest.fixture(scope="module")
def parquet(duck_path, tmp_path_factory) -> Path:
    """The DuckDB store's tables as Parquet (the store's own columns, lineage included)."""
    pq = tmp_path_factory.mktemp("parquet")
    st = open_store(duck_path, read_only=True)
    for t in CANONICAL + REFERENCE:
        st.duck.execute(f'COPY "{t.name}" TO ? (FORMAT parquet)', [str(pq / f"{t.name}.parquet")])
    st.close()
    return pq


@pytest.fixture(scope="module")
def duck(duck_path):
    st = open_store(duck_path, read_only=True)
    yield st
    st.close()


@pytest.fixture(scope="module")
def spark(parquet):
    """The Parquet folder as a Spark store, opened by its URL as the command line opens it
    (forcestat starts the local session; it serves the module's other Spark tests too)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail(
            "pyspark is the 'spark' extra (pip install -e .[spark]): the conformance "
            "suite runs on Spark and is never skipped"
        )
    if shutil.which("java") is None:
        pytest.fail("Spark needs Java 17 on PATH")
    st = open_store(f"spark://local[2]?path={parquet}", read_only=True)
    yield st
    st.close()  # stops the session


@pytest.fixture(scope="module")
def postgres(pg_cluster, files):
    """A PostgreSQL store loaded through the command line from the same CSV files."""
    url = pg_cluster.createdb("conformance")
    load_through_cli(url, files)
    st = open_store(url, read_only=True)
    yield st
    st.close()


@pytest.fixture(scope="module")
def results(duck, request) -> dict[str, pd.DataFrame]:
    """measure_results of the default framework per backend, computed on first use."""
    cache: dict[str, pd.DataFrame] = {}
    fw = load_framework()

    def get(name: str) -> pd.DataFrame:
        if name not in cache:
            store = duck if name == "duckdb" else request.getfixturevalue(name)
            cache[name] = compute(store, fw, PERIOD)
        return cache[name]

    return get  # type: ignore[return-value]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=FLOAT_TOLERANCE)


def _params(ids, gaps):
    return [
        pytest.param(b, i, marks=gaps[(b, i)], id=f"{b}-{i}")
        if (b, i) in gaps
        else pytest.param(b, i, id=f"{b}-{i}")
        for b in BACKENDS
        for i in ids
    ]


@pytest.mark.parametrize(
    ("name", "measure_id"), _params([m.id for m in load_framework().measures], MEASURE_GAPS)
)
def test_measure_results_match(results, name, measure_id):
    d, s = results("duckdb"), results(name)
    dm, sm = d[d.measure_id == measure_id], s[s.measure_id == measure_id]
    assert len(dm) > 0
    _same(dm, sm)


@pytest.mark.parametrize("name", BACKENDS)
def test_whole_table_matches(results, name):
    d, s = results("duckdb"), results(name)
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
def constructs(duck, request):
    cache: dict[str, pd.DataFrame] = {}
    fw = loads_framework(_construct_framework())

    def get(name: str) -> pd.DataFrame:
        if name not in cache:
            store = duck if name == "duckdb" else request.getfixturevalue(name)
            cache[name] = compute(store, fw, PERIOD)
        return cache[name]

    return get


@pytest.mark.parametrize(("name", "construct"), _params(list(CONSTRUCTS), CONSTRUCT_GAPS))
def test_expression_construct_matches(constructs, name, construct):
    d, s = constructs("duckdb"), constructs(name)
    dm, sm = d[d.measure_id == construct], s[s.measure_id == construct]
    assert len(dm) > 0 and dm.value.sum() > 0
    _same(dm, sm)


def test_the_report_from_postgres_is_the_duckdb_report(postgres, duck_path, tmp_path):
    # The whole chain (measures, series, findings, charts) on the PostgreSQL store gives the
    # very HTML the DuckDB store loaded from the same files gives (its snapshot id included).
    pages = {}
    for name, store in (("postgres", postgres.url), ("duckdb", duck_path)):
        out = tmp_path / name
        got = CliRunner().invoke(
            app,
            ["report", "--store", store, "--period", PERIOD, "--format", "html", "--out", str(out)],
        )
        assert got.exit_code == 0, got.output
        pages[name] = (out / f"performance-report-{PERIOD}.html").read_bytes()
    assert len(pages["duckdb"]) > 10_000
    assert pages["postgres"] == pages["duckdb"]


# The national set through the command line. Last in the module: the command closes its store,
# which stops the Spark session the tests above share. A few measures of each kind the national
# tables support (the whole framework on Spark is compared above), and one whose table the
# national set leaves out, listed as not available on both.
NATIONAL_MEASURES = (
    "crime_rate_per_1000",
    "outcome_rate_all_crime",
    "crime_harm",
    "report_to_charge_days",
    "harm_concentration_victims",
    "repeat_victimisation",
    "imu_backlog",
    "cracked_ineffective_trials",
    "missing_children",
)
ABSENT = "response_time_immediate"  # incidents: not in the national set


def test_national_set_on_spark_from_the_cli_matches_duckdb(spark, tmp_path):
    runner = CliRunner()
    nat = tmp_path / "national"
    got = runner.invoke(
        app, ["synth", "--forces", "3", "--years", "2", "--end", PERIOD, "--out", str(nat)]
    )
    assert got.exit_code == 0, got.output
    assert not (nat / "incidents").exists()
    frames = {}
    for name, store in (("duckdb", str(nat)), ("spark", f"spark://local[2]?path={nat}")):
        out = tmp_path / f"{name}.parquet"
        args = ["measures", "--store", store, "--period", PERIOD, "--out", str(out)]
        for m in (*NATIONAL_MEASURES, ABSENT):
            args += ["--measure", m]
        got = runner.invoke(app, args)
        assert got.exit_code == 0, got.output
        assert f"not available: {ABSENT}: " in got.output, got.output
        frames[name] = pd.read_parquet(out)
    d, s = frames["duckdb"], frames["spark"]
    assert sorted(d.measure_id.unique()) == sorted(NATIONAL_MEASURES)
    # Each of the three forces has its own rows, not only the total.
    assert d[d.breakdown == "force"].unit.nunique() >= 3
    assert list(d.columns) == list(s.columns)
    _same(d, s)
