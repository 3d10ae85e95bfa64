"""The monthly cube: each source table aggregated once on the backend.

Measures that read the same table by the same date share one pass: one ``GROUP BY month,
district, <own breakdown keys>`` with a conditional sum per measure and metric, so the cost
grows with the data once, not with the number of measures (docs/architecture.md §2). Medians need a
histogram at the measure's resolution and daily means need the day, so each of those is a
pass of its own. Everything after this module works on the small cube in pandas/numpy.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _
from ibis.common.deferred import Deferred

from forcestat.engine.compile import Compiler
from forcestat.framework import expr as fx
from forcestat.framework.model import CROSS, Measure
from forcestat.store.schema import ALL_TABLES

MONTH = "month"
DISTRICT = "district"
FORCE = "force"
BIN = "bin"
DAY = "day"
# An entity pass (concentration measures): the entity a record's value belongs to, as codes
# 0..k-1 once the pass is in (``run``), and its value summed per month, keys and entity.
ENTITY = "entity"
TOTAL = "total"


@dataclass
class Pass:
    """One aggregation query: a table, the date that places records in months, the grouping
    keys beyond month (district and own breakdowns) and the measures it serves."""

    table: str
    date: str
    kind: str  # "additive" | "median" | "daily" | "lagged" | "entity"
    keys: tuple[str, ...]
    measures: list[Measure] = field(default_factory=list)
    frame: pd.DataFrame | None = None
    # An additive pass with cohort outcome rates: the companion "lagged" pass that splits their
    # numerators by months from recording to outcome (see ``maturing``).
    lagged: Pass | None = None
    # A lagged pass: the extract's month, the latest month of any outcome in the table (set by
    # ``set_extracts``; without it, the latest in the pass's own rows).
    extract: int | None = None
    # A median pass: its values were binned down to the measure's resolution (continuous
    # values), rather than being whole numbers at a resolution of 1 (their own bins).
    binned: bool = False

    @property
    def name(self) -> str:
        ids = ",".join(m.id for m in self.measures)
        return f"{self.table}[{self.date}] by {', '.join(self.keys) or 'month'} ({ids})"


def metric(measure: Measure, name: str) -> str:
    return f"{measure.id}:{name}"


def metrics_of(measure: Measure) -> tuple[str, ...]:
    """The additive metrics a measure keeps per month and key (see ``_aggregates``)."""
    if measure.kind in ("count", "rate_per_1000"):
        return ("n",)
    if measure.kind == "proportion":
        if measure.weight_expr is not None:
            return ("num", "den", "w2", "cnt", "cnt_num")
        return ("num", "den")
    if (measure.kind == "mean" and measure.per == "record") or measure.kind == "total":
        return ("n", "s", "ss")
    return ()


# Months from recording to outcome kept apart in a lagged pass; later outcomes count as this.
LAG = "lag"
LAG_CAP = 36
OUTCOME_DATE = "outcome_at"


def maturing(m: Measure) -> bool:
    """A cohort outcome rate: its numerator (crimes recorded in the window with an outcome by
    the extract) still grows after the window ends, so a benchmark window is compared as it
    stood the same time after its months as the current window has had ("like for like")."""
    return m.basis == "cohort" and m.kind == "proportion" and m.weight_expr is None


def breakdown_keys(m: Measure, columns: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """For each breakdown of a measure (force, area, district, its own), the columns its units
    are grouped by. A breakdown only groups by what it needs: grouping every measure by
    district x offence group when most need neither multiplies the groups the backend updates
    per record (and is several times slower on a national set)."""
    cols = set(columns)
    geo = [k for k in (FORCE,) if k in cols]
    has_district = m.geography and DISTRICT in cols
    geo_keys = tuple(geo + ([DISTRICT] if has_district or (DISTRICT in cols and not geo) else []))
    out: dict[str, tuple[str, ...]] = {"force": geo_keys}
    if has_district:
        out["area"] = out["district"] = geo_keys
    for b in m.breakdowns:
        keys: list[str] = []
        for part in b.split(CROSS):
            if part == "force":
                keys += list(geo_keys[:1]) if geo else [DISTRICT] if DISTRICT in cols else []
            elif part in ("area", "district"):
                keys += [*geo, DISTRICT]
            else:
                keys.append(part)
        out[b] = tuple(dict.fromkeys(keys))
    return out


Route = dict[tuple[str, str], "Pass"]


def plan(
    measures: Sequence[Measure],
    columns_of: dict[str, Sequence[str]],
    only: dict[str, Sequence[str]] | None = None,
    *,
    lagged: bool = True,
) -> tuple[list[Pass], Route]:
    """Group measures into passes: one per table, date and grouping (medians and daily means
    one per measure and grouping). Returns the passes and, for each (measure id, breakdown),
    the pass whose cube holds it. ``columns_of`` gives each table's columns on the backend;
    ``only`` limits a measure's breakdowns (measure id -> breakdowns). ``lagged=False`` leaves
    out the cohort rates' months-to-outcome passes (window sums alone do not need them)."""
    passes: dict[tuple, Pass] = {}
    route: Route = {}
    for m in measures:
        if m.kind == "median":
            kind = "median"
        elif m.kind == "concentration":
            kind = "entity"
        elif m.kind == "mean" and m.per == "day":
            kind = "daily"
        else:
            kind = "additive"
        for b, keys in breakdown_keys(m, columns_of[m.table]).items():
            if only is not None and m.id in only and b not in only[m.id]:
                continue
            ident = (m.table, m.date_column, kind, keys) + ((m.id,) if kind != "additive" else ())
            if kind == "additive" and windowed(m):
                # A window over the table (days_since_previous) makes the backend sort and
                # materialise every row before aggregating: measures that need one get a pass
                # of their own, so the others' pass keeps streaming (on the demo force the main
                # crimes pass took 4 times as long with one in it).
                ident += ("window",)
            p = passes.get(ident)
            if p is None:
                p = passes[ident] = Pass(m.table, m.date_column, kind, keys)
            if all(x.id != m.id for x in p.measures):
                p.measures.append(m)
            route[(m.id, b)] = p
            has_outcome = OUTCOME_DATE in columns_of[m.table]
            if lagged and kind == "additive" and maturing(m) and has_outcome:
                if p.lagged is None:
                    p.lagged = Pass(m.table, m.date_column, "lagged", keys)
                if all(x.id != m.id for x in p.lagged.measures):
                    p.lagged.measures.append(m)
    return list(passes.values()), route


def _month(col: ir.Value) -> ir.IntegerValue:
    return (col.year() * 12 + col.month() - 1).cast("int64")


def _and(a: ir.BooleanValue | None, b: ir.BooleanValue | None) -> ir.BooleanValue | None:
    if a is None:
        return b
    return a if b is None else a & b


@ibis.udf.agg.builtin(name="count_if")
def _duckdb_count_if(condition: bool) -> dt.Decimal(38, 0):  # type: ignore[empty-body,valid-type]
    """DuckDB's ``count_if`` (a HUGEINT, which Ibis knows as a 38-digit decimal)."""


# A count of the rows meeting a condition. On DuckDB, ``count_if`` on the projected condition
# columns (``_Conditions``) is a fifth to a third faster than COUNT(*) FILTER (WHERE ...) per
# pass, on one force and on the national set alike (figures in docs/framework.md); other
# backends get Ibis' own filtered count. A sum over no rows is NULL: ``run`` fills 0.
def _count_if(cond: ir.BooleanValue | None, backend: Any = None) -> ir.Value:
    if cond is None:
        return _.count()
    if duckdb_con(backend) is not None:
        # count_if is a HUGEINT, which reaches pandas as Python Decimals: BIGINT, as COUNT is.
        return _duckdb_count_if(cond).cast("int64")
    return _.count(where=cond)


def _sum_if(cond: ir.BooleanValue | None, value: ir.Value) -> ir.Value:
    v = value.cast("float64")
    return v.sum() if cond is None else v.sum(where=cond)


def _aggregates(m: Measure, c: Compiler, backend: Any = None) -> dict[str, ir.Value]:
    f = c.predicate(m.filter_expr)

    def count(cond: ir.BooleanValue | None) -> ir.Value:
        return _count_if(cond, backend)

    if m.kind in ("count", "rate_per_1000"):
        return {metric(m, "n"): count(f)}
    if m.kind == "proportion":
        hit = _and(f, c.predicate(m.numerator_expr))
        if m.weight_expr is None:
            return {metric(m, "num"): count(hit), metric(m, "den"): count(f)}
        w = c(m.weight_expr).cast("float64").fill_null(1.0)
        return {
            metric(m, "num"): _sum_if(hit, w),
            metric(m, "den"): _sum_if(f, w),
            metric(m, "w2"): _sum_if(f, w * w),
            metric(m, "cnt"): count(f),
            metric(m, "cnt_num"): count(hit),
        }
    if m.kind in ("mean", "total"):
        # A total is the sum s; n and ss give its interval and test (stats.totals).
        v = c(m.value_expr).cast("float64")  # type: ignore[arg-type]
        ok = _and(f, v.notnull())
        return {
            metric(m, "n"): count(ok),
            metric(m, "s"): _sum_if(ok, v),
            metric(m, "ss"): _sum_if(ok, v * v),
        }
    raise ValueError(f"{m.id}: kind {m.kind} has no additive metrics")


def _distinct_aggregates(
    aggs: dict[str, Any], t: ir.Table
) -> tuple[dict[str, ir.Value], dict[str, str]]:
    """The aggregates with each distinct expression once, and for every repeat the metric that
    carries its value: measures of a pass often count the same thing (recorded crime, its rate
    per 1,000 and an outcome rate's base are all COUNT(*)), and the backend evaluates every
    filtered aggregate on every row (a fifth of the biggest pass)."""
    unique: dict[str, ir.Value] = {}
    alias: dict[str, str] = {}
    for name, e in aggs.items():
        v = e.resolve(t) if isinstance(e, Deferred) else e
        same = next((k for k, u in unique.items() if v.equals(u)), None)
        if same is None:
            unique[name] = v
        else:
            alias[name] = same
    return unique, alias


# Prefix of the columns that hold an additive pass's conditions (``_additive``).
CONDITION = "__forcestat_if"


class _Conditions:
    """A compiler whose conditions are columns of a projection: each distinct condition of a
    pass is evaluated once per row, in ``rows``, and every aggregate filtered on it reads that
    column. Backends evaluate a filtered aggregate's condition for each aggregate that has it:
    on DuckDB, the outcome rates' shared "outcome in (...)" and the serious sexual offences'
    offence groups made the biggest pass two to three times slower than the projected form."""

    def __init__(self, t: ir.Table, backend: Any, measures: Sequence[Measure]):
        plain = Compiler(t, backend, _tables_of(backend))
        self.found: list[ir.BooleanValue] = []
        for m in measures:
            for node in (m.filter_expr, m.numerator_expr):
                e = plain.predicate(node)
                if e is not None and not any(e.equals(x) for x in self.found):
                    self.found.append(e)
        self.plain = plain
        self.rows = (
            t.mutate(**{f"{CONDITION}{i}": e for i, e in enumerate(self.found)})
            if self.found
            else t
        )
        self.compiler = Compiler(self.rows, backend, _tables_of(backend))

    def __call__(self, node: Any) -> ir.Value:
        return self.compiler(node)

    def predicate(self, node: Any) -> ir.BooleanValue | None:
        e = self.plain.predicate(node)
        if e is None:
            return None
        i = next(i for i, x in enumerate(self.found) if e.equals(x))
        return self.rows[f"{CONDITION}{i}"]


def _additive(
    p: Pass, t: ir.Table, backend: Any
) -> tuple[ir.Table, dict[str, ir.Value], dict[str, str]]:
    """(the rows with the pass's conditions as columns, its distinct aggregates, the metrics it
    leaves to an identical one)."""
    c = _Conditions(t, backend, p.measures)
    aggs: dict[str, ir.Value] = {}
    for m in p.measures:
        aggs.update(_aggregates(m, c, backend))  # type: ignore[arg-type]
    unique, alias = _distinct_aggregates(aggs, c.rows)
    return c.rows, unique, alias


def aliases(p: Pass, backend: Any) -> dict[str, str]:
    """Metrics of an additive pass that ``build_query`` leaves to another, identical one."""
    if p.kind != "additive":
        return {}
    t = table(backend, p.table)
    t = t.filter(t[p.date].notnull())
    return _additive(p, t, backend)[2]


def build_query(p: Pass, backend: Any) -> ir.Table:
    """The Ibis expression of one pass (executed by ``run``)."""
    base = table(backend, p.table)
    # Expressions are built on the dated rows themselves so that filtered aggregates
    # (COUNT(*) FILTER (WHERE ...)) refer to the table they aggregate.
    t = base.filter(base[p.date].notnull())
    c = Compiler(t, backend, _tables_of(backend))
    date = t[p.date]
    keys = [_month(date).name(MONTH)] + [t[k] for k in p.keys]
    if p.kind == "additive":
        rows, unique, _aliases = _additive(p, t, backend)
        keys = [_month(rows[p.date]).name(MONTH)] + [rows[k] for k in p.keys]
        return rows.group_by(keys).aggregate(**unique)
    if p.kind == "lagged":
        # Numerators of cohort outcome rates by months from recording to outcome (capped).
        # Only rows some numerator counts are read.
        def hit(comp: Compiler, m: Measure) -> ir.BooleanValue | None:
            return _and(comp.predicate(m.filter_expr), comp.predicate(m.numerator_expr))

        def written(node: Any) -> ir.BooleanValue | None:
            return None if node is None else c(node)

        # The filter as written (no COALESCE: a WHERE drops a null condition anyway, and the
        # backend can push a plain one into its scan).
        conds = [_and(written(m.filter_expr), written(m.numerator_expr)) for m in p.measures]
        rows = t
        if all(h is not None for h in conds):
            any_hit = conds[0]
            for h in conds[1:]:
                any_hit = any_hit | h  # type: ignore[operator]
            rows = t.filter(any_hit)
        rc = Compiler(rows, backend, _tables_of(backend))
        lag = (_month(rows[OUTCOME_DATE]) - _month(rows[p.date])).clip(lower=0, upper=LAG_CAP)
        group = [_month(rows[p.date]).name(MONTH), *[rows[k] for k in p.keys]]
        aggs = {metric(m, "num"): _count_if(hit(rc, m), backend) for m in p.measures}
        # -1: no outcome date (counted as immediate, but it says nothing about the extract).
        return rows.group_by([*group, lag.fill_null(-1).name(LAG)]).aggregate(**aggs)
    (m,) = p.measures
    raw = c(m.value_expr)  # type: ignore[arg-type]
    v = raw.cast("float64")
    if p.kind == "entity":
        # Each entity's value per month and key: a window's per-entity totals are sums of
        # these, which only the roll-up can take (a concentration is not additive).
        who = t[m.entity]  # type: ignore[index]
        cond = _and(_and(v.notnull(), who.notnull()), c.predicate(m.filter_expr))
        rows = t.filter(cond)
        return rows.group_by([*keys, who.name(ENTITY)]).aggregate(**{TOTAL: v.sum()})
    if p.kind == "median":
        # Bin index at the measure's resolution; the value of a bin is index x resolution.
        # Records without a value fall in a null bin that ``run`` drops: filtering them out
        # here would compute the value (often a difference of two timestamps) twice per record.
        # The filter as written: a WHERE drops rows whose condition is null anyway, and
        # without COALESCE(..., FALSE) around it DuckDB can push it into its scan (the 101
        # calls' wait histogram: about a third faster).
        rows = t if m.filter_expr is None else t.filter(c(m.filter_expr))
        if _exact_bins(raw, m):
            binned = raw.cast("int64").name(BIN)  # whole numbers at a resolution of 1
        else:
            binned = (v / m.bin_width).floor().cast("int64").name(BIN)
        return rows.group_by([*keys, binned]).aggregate(count=_.count())
    rows = t.filter(_and(v.notnull(), c.predicate(m.filter_expr)))
    day = date.cast("date").name(DAY)
    return rows.group_by([*keys, day]).aggregate(total=v.sum())


def windowed(m: Measure) -> bool:
    """A measure whose expressions compute over other records of the table (a window)."""
    found = False

    def walk(n: Any) -> None:
        nonlocal found
        if isinstance(n, fx.Call) and n.fn == fx.PREVIOUS:
            found = True
        if isinstance(n, fx.Node):
            for v in vars(n).values():
                for x in v if isinstance(v, tuple) else (v,):
                    walk(x)

    for node in (m.filter_expr, m.numerator_expr, m.value_expr, m.weight_expr):
        if node is not None:
            walk(node)
    return found


def linked_tables(m: Measure) -> list[str]:
    """Tables a measure's expressions read through ``linked(...)``, in order of appearance."""
    out: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, fx.Linked) and n.table not in out:
            out.append(n.table)
        if isinstance(n, fx.Node):
            for v in vars(n).values():
                for x in v if isinstance(v, tuple) else (v,):
                    walk(x)

    for node in (m.filter_expr, m.numerator_expr, m.value_expr, m.weight_expr):
        if node is not None:
            walk(node)
    return out


def _pass_key(p: Pass, backend: Any) -> tuple:
    """What the SQL of a pass depends on: its grouping, each measure's compiled expressions
    and the schemas of the tables it reads (so a changed store never reuses stale SQL)."""
    tables = {p.table}
    parts = []
    for m in p.measures:
        exprs = (m.filter_expr, m.numerator_expr, m.value_expr, m.weight_expr)
        tables.update(linked_tables(m))
        parts.append((m.id, m.kind, m.per, m.bin_width, m.entity, *map(repr, exprs)))
    schemas = tuple((t, tuple(table(backend, t).schema().items())) for t in sorted(tables))
    return (p.table, p.date, p.kind, p.keys, tuple(parts), schemas)


# Compiled SQL per backend and pass: Ibis' compilation of a pass costs about as much as DuckDB
# running it on one force's data, and a warm run (the dashboard, --all-periods after a report)
# asks for the same passes again.
_SQL: weakref.WeakKeyDictionary[Any, dict[tuple, Any]] = weakref.WeakKeyDictionary()


def _arrow(p: Pass, backend: Any) -> tuple[Any, dict[str, str]]:
    """The pass's cube as Arrow, and the metrics it leaves to an identical one (``aliases``)."""
    con = duckdb_con(backend)
    if con is None:
        return build_query(p, backend).to_pyarrow(), aliases(p, backend)
    try:
        cache = _SQL.setdefault(backend, {})
    except TypeError:
        cache = {}
    key = _pass_key(p, backend)
    if key not in cache:
        cache[key] = (str(backend.compile(build_query(p, backend))), aliases(p, backend))
    sql, alias = cache[key]
    return con.sql(sql).to_arrow_table(), alias


@contextlib.contextmanager
def unordered(backend: Any) -> Iterator[None]:
    """Let DuckDB return rows in any order while the passes run (a cube's order means nothing
    to the roll-up, and keeping it costs about 7% of the passes); the connection's own setting
    is restored afterwards. Other backends are left as they are."""
    con = duckdb_con(backend)
    if con is None:
        yield
        return
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if before else 'false'}")


def record_count(backend: Any, tables: Sequence[str]) -> int | None:
    """Rows in ``tables`` on DuckDB (a count(*) there reads table metadata or Parquet footers:
    about 1 ms a table, 30 ms for a 29-million-row national set); None on other backends."""
    con = duckdb_con(backend)
    if con is None or not tables:
        return None
    # Table names come from the framework, validated against the store's own tables, and are
    # quoted as identifiers (they cannot be bound as parameters).
    counts = " UNION ALL ".join(
        f'SELECT count(*) AS n FROM "{name.replace(chr(34), chr(34) * 2)}"' for name in tables
    )
    return int(con.sql(f"SELECT sum(n) FROM ({counts})").fetchone()[0] or 0)


@contextlib.contextmanager
def threads(backend: Any, n: int | None) -> Iterator[None]:
    """Run DuckDB's passes on ``n`` threads (None: leave the connection as it is); the
    connection's own setting is restored afterwards. Other backends are left as they are."""
    con = duckdb_con(backend)
    if n is None or con is None:
        yield
        return
    before = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    con.execute(f"SET threads = {int(n)}")
    try:
        yield
    finally:
        con.execute(f"SET threads = {before}")


def _exact_bins(raw: ir.Value, m: Measure) -> bool:
    return raw.type().is_integer() and m.bin_width == 1


def mark_binned(passes: Sequence[Pass], backend: Any) -> None:
    """Set ``Pass.binned`` on the median passes, from the type of the measure's value on this
    backend (before the passes go to the workers that read it)."""
    for p in passes:
        if p.kind == "median":
            m = p.measures[0]
            raw = Compiler(table(backend, p.table), backend, _tables_of(backend))(m.value_expr)
            p.binned = not _exact_bins(raw, m)


def run(p: Pass, backend: Any) -> pd.DataFrame:
    # Arrow straight to pandas: Ibis' own pandas conversion costs more than the query here.
    arrow, alias = _arrow(p, backend)
    if p.kind in ("additive", "lagged"):
        # A sum over no rows is NULL: 0 here, in Arrow and only where there are any (pandas'
        # fillna over every metric column cost a millisecond a pass).
        for i, name in enumerate(arrow.column_names):
            if ":" in name and arrow.column(i).null_count:
                arrow = arrow.set_column(i, name, pc.fill_null(arrow.column(i), 0))
    if p.kind == "entity":
        # Entities as codes 0..k-1: a measure's slice of the cube then travels to a worker as
        # integers, not one string per row.
        i = arrow.column_names.index(ENTITY)
        codes = pc.dictionary_encode(arrow.column(i).combine_chunks()).indices
        arrow = arrow.set_column(i, ENTITY, codes.cast(pa.int64()))
    # Text keys (district, offence group, ...) as categoricals: a few distinct values repeated
    # over up to 100,000 cube rows, which each measure's slice of the cube carries to a worker.
    for i, name in enumerate(arrow.column_names):
        if name in p.keys and pa.types.is_string(arrow.schema.field(i).type):
            arrow = arrow.set_column(i, name, pc.dictionary_encode(arrow.column(i)))
    df = arrow.to_pandas()
    for name, same in alias.items():
        df[name] = df[same]
    for key in (MONTH, LAG) if p.kind == "lagged" else (MONTH,):
        if df[key].dtype != "int64":
            df[key] = df[key].astype("int64")
    if p.kind == "median":
        if df[BIN].isna().any():
            df = df[df[BIN].notna()].reset_index(drop=True)
        df[BIN] = df[BIN].astype("int64")
        df["count"] = df["count"].astype("int64")
    if p.kind == "daily":
        # Days since 1970 as integers, as the roll-up bins them (pandas would hold Python dates).
        df[DAY] = arrow.column(DAY).cast(pa.int32()).to_numpy(zero_copy_only=False)
        df[DAY] = df[DAY].astype("int64")
    p.frame = df
    if p.lagged is not None:
        run(p.lagged, backend)
    return df


# -- the backend adapter ---------------------------------------------------------------------------
# Everything the engine does differently on DuckDB goes through ``duckdb_con``: compiled SQL run on
# the connection, count_if, threads, row order, metadata counts, catalogue checks. Every other
# backend gets plain Ibis.


def duckdb_con(backend: Any) -> Any | None:
    """The DuckDB connection behind an Ibis backend, or None for any other backend."""
    con = getattr(backend, "con", None)
    return con if getattr(backend, "name", None) == "duckdb" and con is not None else None


def _tables_of(backend: Any):
    """``table`` bound to a backend: how compiled links find the tables they read."""
    return lambda name: table(backend, name)


# Per backend object (weakly held, so a closed store's entry goes with it).
_TABLES: weakref.WeakKeyDictionary[Any, dict[str, ir.Table]] = weakref.WeakKeyDictionary()


def table(backend: Any, name: str) -> ir.Table:
    """The backend's table expression. Ibis asks the backend for the schema on every
    ``backend.table`` call; one ``compute`` asks for the same few tables many times."""
    try:
        cache = _TABLES.setdefault(backend, {})
    except TypeError:  # a backend that cannot be weakly referenced: no cache
        return backend.table(name)
    if name not in cache:
        cache[name] = backend.table(name)
    return cache[name]


# Per backend object, the catalogue's columns when its table expressions were cached (DuckDB
# only). Keyed by identity: Ibis backends on the same database compare equal, but a closed
# store's table expressions must not serve a new connection.
_CATALOGUE: dict[int, tuple[weakref.ref, tuple]] = {}


def forget(backend: Any) -> None:
    """Drop cached table expressions of a backend if its tables may have changed. On DuckDB one
    catalogue query (about 2 ms) says whether any table or column changed; Ibis would otherwise
    ask for each table's schema again (about 7 ms a table, every run)."""
    con = duckdb_con(backend)
    if con is not None:
        now = tuple(
            con.sql(
                "SELECT database_name, schema_name, table_name, column_name, data_type "
                "FROM duckdb_columns() WHERE NOT internal ORDER BY ALL"
            ).fetchall()
        )
        with contextlib.suppress(TypeError):
            seen = _CATALOGUE.get(id(backend))
            if seen is not None and seen[0]() is backend and seen[1] == now:
                return
            for k in [k for k, (ref, _) in _CATALOGUE.items() if ref() is None]:
                del _CATALOGUE[k]
            _CATALOGUE[id(backend)] = (weakref.ref(backend), now)
    with contextlib.suppress(TypeError):
        _TABLES.pop(backend, None)


def table_columns(backend: Any, tables: Sequence[str]) -> dict[str, list[str]]:
    """Columns each table has on the backend (a national set may carry an extra ``force``)."""
    out = {}
    for name in tables:
        try:
            out[name] = list(table(backend, name).columns)
        except Exception as exc:  # noqa: BLE001 - backends raise different errors
            known = ALL_TABLES[name].column_names if name in ALL_TABLES else ()
            raise LookupError(
                f"table {name!r} is not in the store ({type(exc).__name__}); "
                f"expected columns: {', '.join(known)}"
            ) from None
    return out


def table_spans(passes, backend: Any = None) -> dict[str, tuple[int, int]]:
    """The months each table covers: from its earliest to its latest record over every date its
    measures read (a month with no records of one kind is a zero, not missing data).

    An additive pass groups every dated row, so its cube gives its date's months. Median and
    daily passes keep only their measure's rows with a value: a date only they read is asked
    of the backend (its first and last month over the whole table), so that a measure covers
    the same months whichever measures run with it. Without ``backend``, the cubes alone."""
    spans: dict[str, tuple[int, int]] = {}

    def widen(table: str, lo: int, hi: int) -> None:
        old = spans.get(table, (lo, hi))
        spans[table] = (min(lo, old[0]), max(hi, old[1]))

    from_cube = {(p.table, p.date) for p in passes if p.kind == "additive"}
    asked: set[tuple[str, str]] = set()
    for p in passes:
        if backend is not None and p.kind != "additive" and (p.table, p.date) not in from_cube:
            if (p.table, p.date) not in asked:
                asked.add((p.table, p.date))
                got = date_span(backend, p.table, p.date)
                if got is not None:
                    widen(p.table, *got)
            continue
        if p.frame is None or not len(p.frame):
            continue
        widen(p.table, int(p.frame[MONTH].min()), int(p.frame[MONTH].max()))
    return spans


def set_extracts(passes: Sequence[Pass], backend: Any) -> None:
    """Give every lagged pass its table's extract month: the latest month of any outcome date in
    the table, so that "as at" benchmarks and the maturing flag do not depend on which measures
    run together (a lagged pass only holds the rows its measures' numerators count)."""
    months: dict[str, int | None] = {}
    for p in passes:
        if p.lagged is None:
            continue
        if p.table not in months:
            got = date_span(backend, p.table, OUTCOME_DATE)
            months[p.table] = None if got is None else got[1]
        p.lagged.extract = months[p.table]


def date_span(backend: Any, name: str, date: str) -> tuple[int, int] | None:
    """First and last month of a table's date column (None: no dated rows)."""
    t = table(backend, name)

    def query() -> ir.Table:
        # The first and last dates, then their months: a plain column's min and max are cheap
        # where the month of every row is not.
        return t.aggregate(lo=t[date].min(), hi=t[date].max())

    con = duckdb_con(backend)
    if con is not None:
        # Compiled once, as the passes are (Ibis' compilation costs more than the query).
        try:
            cache = _SQL.setdefault(backend, {})
        except TypeError:
            cache = {}
        key = ("date_span", name, date, tuple(t.schema().items()))
        if key not in cache:
            cache[key] = str(backend.compile(query()))
        lo, hi = con.sql(cache[key]).fetchone()
    else:
        row = query().to_pyarrow().to_pylist()[0]
        lo, hi = row["lo"], row["hi"]
    if lo is None:
        return None
    return lo.year * 12 + lo.month - 1, hi.year * 12 + hi.month - 1
