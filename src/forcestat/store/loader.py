"""Load canonical CSV and Parquet extracts into the store.

Promises (docs/architecture.md §1 and the foundation issue):
- every rejected row is quarantined with its file, row, field(s) and reason, and the raw record,
  so nothing from the file is lost;
- loading the same file, or an overlapping extract, twice leaves the same rows: a key already
  present with identical values is counted as unchanged; a newer version of a record (same key,
  different values) replaces the older one and the change is logged in ``record_changes``;
- a load is one transaction: a failure (or ``strict`` with any rejection) leaves the store
  exactly as it was;
- every stored row carries its lineage: source file, row, load time and load id.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .csvread import check_duplicates, read_csv, read_header
from .files import LoadError, check_parquet, format_of, printable
from .schema import DISTRICT_BUCKETS, Table, get_table
from .store import Store
from .validation import distinct_values_sql, domain_columns, lit, plan_for, q, typed, typed_name

__all__ = ["LoadError", "LoadReport", "Rejection", "StrictLoadError", "load_files"]


class StrictLoadError(LoadError):
    """``strict`` was asked for and some rows were rejected; the store was left unchanged."""

    def __init__(self, message: str, report: LoadReport):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class Rejection:
    file: str
    row: int  # 1-based data row (the header is row 0), so the file's line is row + 1
    fields: str
    reason: str

    def __str__(self) -> str:
        return printable(f"{self.file}: row {self.row} (line {self.row + 1}): {self.reason}")


@dataclass
class LoadReport:
    table: str
    load_id: str
    files: list[str] = field(default_factory=list)
    rows_read: int = 0
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    duplicates: int = 0
    superseded: int = 0
    quarantined: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def loaded(self) -> int:
        return self.inserted + self.replaced


ProgressFn = Callable[[str, int, int], None]
MAX_REJECTIONS_KEPT = 1000


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_format_of = format_of


def _csv_header(path: Path, encoding: str | None = None) -> list[str]:
    return read_header(path, encoding)


def _parquet_names(path: Path) -> list[str]:
    """The file's top-level column names as written (checked: a Parquet file, not damaged)."""
    import pyarrow.parquet as pq

    check_parquet(path)
    return list(pq.ParquetFile(path).schema_arrow.names)


def _file_columns(con, path: Path, fmt: str, encoding: str | None = None) -> list[str]:
    """The file's column names, trimmed."""
    if fmt == "parquet":
        return [n.strip() for n in _parquet_names(path)]
    return read_header(path, encoding)


def _check_required(path: Path, table: Table, present: set[str]) -> None:
    missing = [c.name for c in table.columns if c.required and c.name not in present]
    if missing:
        raise LoadError(
            f"{path}: required column(s) missing from the header: {', '.join(missing)} "
            f"(table {table.name} needs {', '.join(c.name for c in table.columns if c.required)})"
        )


def _stage_file(
    con,
    path: Path,
    fmt: str,
    table: Table,
    stg: str,
    file_idx: int,
    view: bool = False,
    notes: list[str] | None = None,
    encoding: str | None = None,
) -> list:
    """Read one file into its own staging table ``stg``: the table's columns (NULL where the
    file lacks one), ``__file`` and ``__row``. Parquet keeps its native types (no round trip
    through text); CSV is staged as text (``csvread``). Returns structural rejections, as
    (row, fields, reason, raw text): rows the CSV reader could not split into the header's
    columns or decode. ``view`` (Parquet only) makes ``stg`` a view over the file instead of a
    copy of it: every query then streams from the file. Header names are trimmed; a name given
    twice refuses the file. File paths and names never enter SQL text: the file is opened as a
    relation or read into Arrow and registered under a name of ours."""
    if fmt == "parquet":
        names = _parquet_names(path)
        check_duplicates(path, [n.strip() for n in names])
        original = {n.strip(): n for n in names}
        _check_required(path, table, set(original))
        # Only names that trim to a schema column name are quoted into SQL.
        select = ", ".join(
            f"{q(original[c.name])} AS {q(c.name)}"
            if c.name in original
            else f"CAST(NULL AS {c.type}) AS {q(c.name)}"
            for c in table.columns
        )
        src = f"{stg}_file"
        con.register(src, con.read_parquet(str(path), file_row_number=True))
        kind = "VIEW" if view else "TABLE"
        try:
            con.execute(
                f"CREATE TEMP {kind} {stg} AS SELECT {select}, {int(file_idx)} AS __file, "
                f"file_row_number + 1 AS __row FROM {src}"
            )
        finally:
            if not view:
                con.unregister(src)
        return []
    import pyarrow as pa

    data = read_csv(path, table.column_names, encoding)
    _check_required(path, table, set(data.header))
    if notes is not None:
        if data.note:
            notes.append(f"{path}: {data.note}")
        if data.blank:
            notes.append(f"{path}: {data.blank:,} blank line(s) skipped")
        if data.not_utf8 and data.encoding == "utf-8":
            notes.append(
                f"{path}: {data.not_utf8:,} row(s) hold text that is not UTF-8 and were "
                "quarantined; if the file is Latin-1 or Windows-1252, load it again with "
                "--encoding latin-1 (or cp1252)"
            )
    n = data.table.num_rows
    cols = {
        c.name: data.table.column(c.name) if c.name in data.header else pa.nulls(n, pa.string())
        for c in table.columns
    }
    staged = pa.table(
        {
            **cols,
            "__file": pa.array([file_idx] * n, pa.int32()),
            "__row": data.table.column("__row"),
        }
    )
    src = f"{stg}_arrow"
    con.register(src, staged)
    try:
        con.execute(f"CREATE TEMP TABLE {stg} AS SELECT * FROM {src}")
    finally:
        con.unregister(src)
    return list(data.bad)


def _drop_staged(con, stg: str) -> None:
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ? "
        "AND table_catalog = 'temp'",
        [stg],
    ).fetchone()
    if kind is not None:
        con.execute(f"DROP {'VIEW' if kind[0] == 'VIEW' else 'TABLE'} {stg}")
    with contextlib.suppress(Exception):  # nothing was registered under that name
        con.unregister(f"{stg}_file")


def load_files(
    store: Store,
    table_name: str,
    files: Sequence[str | Path],
    *,
    strict: bool = False,
    progress: ProgressFn | None = None,
    before_commit: Callable[[], None] | None = None,
    fast_path: bool | None = None,
    encoding: str | None = None,
) -> LoadReport:
    """Load files into one table in a single transaction. See the module docstring.

    A load of Parquet files only takes the streaming path (``_load_parquet``), which checks
    the files where they lie and copies the valid rows once, straight into the table; any
    other load stages each file in a temporary table first. Both keep the same promises and
    give the same store. ``fast_path`` forces the choice (tests and benchmarks compare them).
    ``encoding`` decodes CSV files (default: UTF-8, or as a byte-order mark says).
    """
    t0 = time.perf_counter()
    table = get_table(table_name)
    paths = [Path(f) for f in files]
    for p in paths:
        check_input(p)
    fmts = [_format_of(p) for p in paths]
    all_parquet = all(f == "parquet" for f in fmts)
    if fast_path and not all_parquet:
        raise ValueError("the streaming load path reads Parquet files only")
    con = store.writable()
    report = LoadReport(table=table.name, load_id=uuid.uuid4().hex[:16])
    report.files = [str(p) for p in paths]
    step = progress or (lambda *_: None)
    if fast_path is None:
        fast_path = all_parquet
    try:
        if fast_path:
            _load_parquet(con, table, paths, report, strict, step, before_commit)
        else:
            _load_staged(con, table, paths, fmts, report, strict, step, before_commit, encoding)
    except Exception as exc:
        raise engine_error(paths, exc) from exc
    report.seconds = time.perf_counter() - t0
    return report


def check_input(p: Path) -> None:
    """A clear error for a path that is not a readable file."""
    if p.is_dir():
        raise LoadError(f"{p}: is a folder, not a file")
    if not p.is_file():
        raise LoadError(f"{p}: no such file")
    try:
        with p.open("rb"):
            pass
    except OSError as exc:
        raise LoadError(f"{p}: cannot be read: {exc.strerror or exc}") from None


def engine_error(paths: Sequence[Path], exc: Exception) -> Exception:
    """What a failure inside the database means for the user, as one line naming the files.
    Errors of our own (``LoadError``) and of the caller pass through as they are."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = ", ".join(str(p) for p in paths)
    if isinstance(exc, pa.ArrowException | UnicodeError):
        return LoadError(f"{names}: a value could not be read; nothing was loaded")
    if not isinstance(exc, duckdb.Error):
        return exc

    # Damage inside a Parquet file's data shows only when its pages are read.
    for p in paths:
        if _format_of(p) == "parquet":
            try:
                pq.read_table(p)
            except (pa.ArrowException, OSError, ValueError):
                return LoadError(
                    f"{p}: the Parquet file is damaged (unreadable data); nothing was loaded"
                )
    if isinstance(exc, duckdb.OutOfMemoryException):
        return LoadError(f"{names}: the load ran out of memory; nothing was loaded")
    if isinstance(exc, duckdb.IOException):
        first = str(exc).splitlines()[0] if str(exc) else ""
        first = first.split("Error: ", 1)[-1]  # the OS's reason, without DuckDB's prefix
        return LoadError(
            f"{names}: the store could not be written ({printable(first)}); nothing was loaded"
        )
    if isinstance(exc, duckdb.ConversionException | duckdb.InvalidInputException):
        return LoadError(
            f"{names}: a value could not be read ({type(exc).__name__}); nothing was loaded"
        )
    return LoadError(
        f"{names}: the load failed in the database ({type(exc).__name__}); nothing was loaded"
    )


def _load_staged(con, table, paths, fmts, report, strict, step, before_commit, encoding) -> None:
    tmp = f"_{report.load_id}"
    valid = "valid" + tmp
    typed_defs = ", ".join(f"{q(c.name)} {c.type}" for c in table.columns)
    con.execute(f"CREATE TEMP TABLE {valid} ({typed_defs}, __file INTEGER, __row BIGINT)")
    shas: list[str] = []
    quarantine: list[tuple] = []
    allowed = _domains(con, table)
    try:
        for i, (p, fmt) in enumerate(zip(paths, fmts, strict=True)):
            step(f"reading and validating {p.name}", i, len(paths))
            _warn_extra_columns(con, table, p, fmt, report, encoding)
            stg = f"stg{tmp}_{i}"
            try:
                structural = _stage_file(
                    con, p, fmt, table, stg, i, notes=report.notes, encoding=encoding
                )
                quarantine += [(i, *x) for x in structural]
                quarantine += _validate(con, table, stg, valid, allowed)
                report.rows_read += len(structural)
                report.rows_read += con.execute(f"SELECT count(*) FROM {stg}").fetchone()[0]
            finally:
                _drop_staged(con, stg)
            shas.append(file_sha256(p))
        step("merging", len(paths), len(paths))
        _load_valid(con, table, valid, paths, shas, quarantine, report, strict, before_commit)
    finally:
        for t in (valid, "ranked" + tmp, "matched" + tmp):
            con.execute(f"DROP TABLE IF EXISTS {t}")


def _warn_extra_columns(
    con, table: Table, path: Path, fmt: str, report: LoadReport, encoding: str | None = None
) -> None:
    present = set(_file_columns(con, path, fmt, encoding)) - {""}
    extra = sorted(present - set(table.column_names) - {"source_file", "source_row", "loaded_at"})
    if extra:
        report.warnings.append(
            f"{path}: column(s) not in table {table.name} were ignored: {', '.join(extra)}"
        )


def _file_stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _load_parquet(con, table: Table, paths, report: LoadReport, strict, step, before_commit):
    """The streaming path for Parquet files: each file is read where it lies, through a view,
    and the valid rows are copied once, straight from the file into the table with their
    lineage; nothing is materialised but the (usually few) bad and repeated rows.

    Into an empty table (the first load) the copy itself applies the checks, compiled to one
    condition, and the load then looks at what it stored for keys repeated in the load
    (``_load_into_empty``); only if the copy left rows out is a second scan made to name them.
    Otherwise one scan finds the bad rows, one scan of the key columns finds repeated keys, and
    the merge copies the rest, skipping both by row number. Every rule is the staging path's
    own: the same checks (``_plan_checks``/``_find_bad``), repeat ranking (``_rank_repeats``),
    quarantine, merge and bookkeeping (``_commit``)."""
    tmp = f"_{report.load_id}"
    skip = "skip" + tmp  # rows (file, row) not to store: rejected, or repeats ranked out
    views: list[str] = []
    temps = [skip, "ranked" + tmp, "matched" + tmp, "dupkeys" + tmp]
    quarantine: list[tuple] = []
    shas: list[str] = []
    plans: list[_Checks] = []
    stamps = [_file_stamp(p) for p in paths]
    allowed = _domains(con, table)
    keys = ", ".join(q(k) for k in table.key)

    def unchanged_files() -> None:
        if [_file_stamp(p) for p in paths] != stamps:
            raise LoadError("a file changed while it was being loaded; nothing was loaded")
        if before_commit is not None:
            before_commit()

    try:
        for i, p in enumerate(paths):
            step(f"validating {p.name}", i, len(paths))
            _warn_extra_columns(con, table, p, "parquet", report)
            stg = f"stg{tmp}_{i}"
            views.append(stg)
            _stage_file(con, p, "parquet", table, stg, i, view=True)
            plans.append(_plan_checks(con, table, stg, allowed))
            report.rows_read += con.execute(f"SELECT count(*) FROM {stg}").fetchone()[0]
            shas.append(file_sha256(p))
        distinct_files = len({p.resolve() for p in paths}) == len(paths)
        if (
            not table.reference
            and distinct_files
            and con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {q(table.name)})").fetchone()[0]
        ):
            step("merging", len(paths), len(paths))
            if _load_into_empty(con, table, plans, paths, shas, report, strict, unchanged_files):
                return
        con.execute(f"CREATE TEMP TABLE {skip} (__file INTEGER, __row BIGINT)")
        for plan in plans:
            bad, rejections = _find_bad(con, table, plan)
            try:
                if rejections:
                    con.execute(f"INSERT INTO {skip} SELECT __file, __row FROM {bad}")
            finally:
                con.execute(f"DROP TABLE IF EXISTS {bad}")
            quarantine += rejections
        n_bad = len(quarantine)
        skipping = n_bad > 0

        def union(parts: list[str]) -> str:
            keep = (
                f" WHERE NOT EXISTS (SELECT 1 FROM {skip} x "
                f"WHERE x.__file = s.__file AND x.__row = s.__row)"
                if skipping
                else ""
            )
            return " UNION ALL ".join(f"{part}{keep}" for part in parts)

        valid, valid_keys = "valid" + tmp, "validkeys" + tmp
        views += [valid, valid_keys]
        step("finding repeated keys", len(paths), len(paths))
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {valid_keys} AS {union([p.key_select for p in plans])}"
        )
        dupkeys = "dupkeys" + tmp
        con.execute(
            f"CREATE TEMP TABLE {dupkeys} AS SELECT {keys} FROM {valid_keys} "
            f"GROUP BY ALL HAVING count(*) > 1"
        )
        con.execute(f"CREATE OR REPLACE TEMP VIEW {valid} AS {union([p.select for p in plans])}")
        if con.execute(f"SELECT count(*) FROM {dupkeys}").fetchone()[0]:
            ranked = _rank_repeats(con, table, valid, dupkeys, paths, quarantine, report)
            con.execute(f"INSERT INTO {skip} SELECT __file, __row FROM {ranked} WHERE __rank > 1")
            con.execute(f"DROP TABLE {ranked}")
        n_out = con.execute(f"SELECT count(*) FROM {skip}").fetchone()[0] - n_bad
        if n_out and not skipping:  # the views did not need to skip anything until now
            skipping = True
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {valid_keys} AS "
                f"{union([p.key_select for p in plans])}"
            )
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {valid} AS {union([p.select for p in plans])}"
            )
        total = report.rows_read - n_bad - n_out
        step("merging", len(paths), len(paths))
        _commit(
            con,
            table,
            valid,
            paths,
            shas,
            quarantine,
            report,
            strict,
            unchanged_files,
            keys_view=valid_keys,
            total=total,
        )
    finally:
        for v in reversed(views):
            _drop_staged(con, v)
        for t in temps:
            con.execute(f"DROP TABLE IF EXISTS {t}")
        for plan in plans:
            drop_checks(con, plan)


def _load_into_empty(con, table, plans, paths, shas, report, strict, before_commit) -> bool:
    """First load into an empty table: one transaction copies every row that passes the checks
    straight from the files (the checks are the copy's filter, so no scan is made ahead of it),
    then names the rows it left out (a second scan, only if there were any), ranks keys
    repeated among the rows it stored and deletes the losers, exactly as the merge would have
    kept them out. Returns False, having changed nothing, if the table is not empty after all."""
    tmp = f"_{report.load_id}"
    stored, dupkeys = "stored" + tmp, "dupkeys" + tmp
    import pyarrow as pa

    files = [str(p.resolve()) for p in paths]
    file_index = "files" + tmp
    cols = ", ".join(q(c) for c in table.column_names)
    source = " UNION ALL ".join(f"{p.select} WHERE NOT ({p.any_bad})" for p in plans)
    quarantine: list[tuple] = []
    con.execute("BEGIN TRANSACTION")
    if not con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {q(table.name)})").fetchone()[0]:
        con.execute("ROLLBACK")
        return False
    try:
        n_in = con.execute(
            f"INSERT INTO {q(table.name)} ({cols}, source_file, source_row, loaded_at, load_id) "
            f"SELECT {cols}, (?::VARCHAR[])[__file + 1], __row, now()::TIMESTAMP, ? "
            f"FROM ({source})",
            [files, report.load_id],
        ).fetchone()[0]
        if n_in < report.rows_read:
            for plan in plans:
                bad, rejections = _find_bad(con, table, plan)
                con.execute(f"DROP TABLE IF EXISTS {bad}")
                quarantine += rejections
        # The table was empty: every row in it is this load's, numbered back to its file.
        con.register(
            file_index,
            pa.table(
                {"f": pa.array(files, pa.string()), "i": pa.array(range(len(files)), pa.int32())}
            ),
        )
        con.execute(
            f"CREATE TEMP VIEW {stored} AS SELECT {cols}, x.i AS __file, source_row AS __row "
            f"FROM {q(table.name)} t JOIN {file_index} x ON x.f = t.source_file"
        )
        keys = ", ".join(q(k) for k in table.key)
        con.execute(
            f"CREATE TEMP TABLE {dupkeys} AS SELECT {keys} FROM {q(table.name)} "
            f"GROUP BY ALL HAVING count(*) > 1"
        )
        n_out = 0
        if con.execute(f"SELECT count(*) FROM {dupkeys}").fetchone()[0]:
            ranked = _rank_repeats(con, table, stored, dupkeys, paths, quarantine, report)
            n_out = con.execute(f"SELECT count(*) FROM {ranked} WHERE __rank > 1").fetchone()[0]
            con.execute(
                f"DELETE FROM {q(table.name)} t USING {ranked} r WHERE r.__rank > 1 "
                f"AND t.source_file = (?::VARCHAR[])[r.__file + 1] AND t.source_row = r.__row",
                [files],
            )
        _settle_quarantine(table, paths, quarantine, report, strict)
        report.inserted = n_in - n_out
        _record(con, table, paths, shas, quarantine, report)
        before_commit()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute(f"DROP VIEW IF EXISTS {stored}")
        with contextlib.suppress(Exception):  # not registered: the load stopped before
            con.unregister(file_index)
        for t in (dupkeys, "ranked" + tmp):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return True


def _domains(con, table: Table) -> dict[str, set[str]]:
    """Allowed values of each domain column, read from the store's own reference tables (a
    force may have replaced them)."""
    allowed: dict[str, set[str]] = {}
    for col in domain_columns(table):
        if col.allowed:
            allowed[col.name] = set(col.allowed)
        else:
            ref_table, ref_col = col.ref.split(".")
            rows = con.execute(f"SELECT DISTINCT CAST({q(ref_col)} AS VARCHAR) FROM {q(ref_table)}")
            allowed[col.name] = {r[0] for r in rows.fetchall()}
            if col.ref == "geography.district":
                allowed[col.name] |= set(DISTRICT_BUCKETS)
    return allowed


@dataclass
class _Checks:
    """The checks of one staged file, compiled: ``any_bad`` is true for a row that breaks any
    rule; ``select`` gives every row typed and filled (alias ``s``: add a WHERE to leave rows
    out), ``key_select`` the same rows' typed key columns only; ``bad_select`` the rows that
    break a rule, with a flag per check. ``temps``: temporary tables the checks read (the
    caller drops them with ``drop_checks``)."""

    stg: str
    any_bad: str
    select: str
    key_select: str
    bad_select: str
    messages: str
    temps: list[str] = field(default_factory=list)


def _plan_checks(con, table: Table, stg: str, allowed_values, materialise: bool = False) -> _Checks:
    import pyarrow as pa

    src_types = dict(
        (name, str(type_)) for name, type_, *_ in con.execute(f"DESCRIBE {stg}").fetchall()
    )
    outside: dict[str, str] = {}
    temps: list[str] = []
    domains = domain_columns(table)
    if domains:
        seen = con.execute(distinct_values_sql(table, stg, src_types)).fetchone()
        for i, (col, values) in enumerate(zip(domains, seen, strict=True)):
            allowed = allowed_values[col.name]
            bad = sorted(v for v in values or [] if v is not None and v not in allowed)
            if bad:
                # The file's own values go to the check as a table, never as SQL text.
                name, reg = f"out_{stg}_{i}", f"outv_{stg}_{i}"
                con.register(reg, pa.table({"v": pa.array(bad, pa.string())}))
                try:
                    con.execute(f"CREATE TEMP TABLE {name} AS SELECT v FROM {reg}")
                finally:
                    con.unregister(reg)
                outside[col.name] = name
                temps.append(name)
    plan = plan_for(table, src_types, outside)
    any_bad = " OR ".join(f"({c.condition})" for c in plan.checks) or "FALSE"
    typed_cols = ", ".join(
        f"{plan.fills.get(c.name, typed_name(c.name))} AS {q(c.name)}" for c in table.columns
    )
    key_cols = ", ".join(f"{typed(table.column(k), src_types[k])} AS {q(k)}" for k in table.key)
    flags = [f"__c{i}" for i in range(len(plan.checks))]
    pairs = list(zip(plan.checks, flags, strict=True))
    flagged = ", ".join(["s.*"] + [f"{c.condition} AS {f}" for c, f in pairs])
    fields = ", ".join(f"CASE WHEN {f} THEN {lit(c.field)} END" for c, f in pairs)
    reasons = ", ".join(
        f"CASE WHEN {f} THEN {lit(c.field + ': ')} || {c.message} END" for c, f in pairs
    )
    record = ", ".join(f"{q(c.name)} := {q(c.name)}" for c in table.columns)
    source = plan.source(stg)
    bad_source = plan.source(stg, lookups=plan.checks_lookups)
    if materialise:
        # Staged text is typed once into a table: queries over the typed expressions inlined
        # cost DuckDB's optimiser far more than the typing (0.7 s on a 20-row file).
        typed_tbl = f"typed_{stg}"
        con.execute(f"CREATE TEMP TABLE {typed_tbl} AS SELECT * FROM {source}")
        temps.append(typed_tbl)
        source = bad_source = f"{typed_tbl} s"
    return _Checks(
        stg=stg,
        any_bad=any_bad,
        select=f"SELECT {typed_cols}, __file, __row FROM {source}",
        key_select=f"SELECT {key_cols}, __file, __row FROM {stg} s",
        bad_select=f"SELECT {flagged} FROM {bad_source} WHERE {any_bad}",
        messages=(
            f"SELECT __file, __row, "
            f"array_to_string(list_distinct(list_filter([{fields}], x -> x IS NOT NULL)), ','), "
            f"array_to_string(list_filter([{reasons}], x -> x IS NOT NULL), '; '), "
            f"to_json(struct_pack({record}))"
        ),
        temps=temps,
    )


def drop_checks(con, checks: _Checks) -> None:
    for t in checks.temps:
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _find_bad(con, table: Table, checks: _Checks) -> tuple[str, list[tuple]]:
    """One scan for the rows that break a rule (usually none); only those get their flags and
    messages worked out. Returns the temp table of those rows (the caller drops it) and the
    rejections: (file index, row, fields, reasons, raw record as JSON)."""
    chk = "chk_" + checks.stg
    con.execute(f"CREATE TEMP TABLE {chk} AS {checks.bad_select}")
    try:
        rejections = con.execute(f"{checks.messages} FROM {chk} ORDER BY __row").fetchall()
    except BaseException:
        con.execute(f"DROP TABLE IF EXISTS {chk}")
        raise
    return chk, rejections


def _validate(
    con,
    table: Table,
    stg: str,
    valid: str,
    allowed_values: dict[str, set[str]],
) -> list[tuple]:
    """Check one staged file: append its valid rows, typed, to ``valid``; return the rejected
    rows as (file index, row, fields, reasons, raw record as JSON)."""
    checks = _plan_checks(con, table, stg, allowed_values, materialise=True)
    try:
        bad, rejections = _find_bad(con, table, checks)
        try:
            keep = (
                f" WHERE NOT EXISTS (SELECT 1 FROM {bad} b WHERE b.__row = s.__row)"
                if rejections
                else ""
            )
            con.execute(f"INSERT INTO {valid} {checks.select}{keep}")
        finally:
            con.execute(f"DROP TABLE IF EXISTS {bad}")
    finally:
        drop_checks(con, checks)
    return rejections


def _rank_repeats(con, table: Table, valid: str, dupkeys: str, paths, quarantine, report) -> str:
    """Rank the rows of ``valid`` whose key is in ``dupkeys`` (keys occurring more than once in
    this load): the first of each key is the one to store. Rows repeating a key: identical ones
    are duplicates; a conflicting row with an older version is superseded; a conflicting row
    with no version to order it is ambiguous and quarantined (naming the row it conflicts
    with). Returns the temp table of ranked rows (``__rank`` > 1 are left out of the load)."""
    key = ", ".join(q(k) for k in table.key)
    data_cols = [c.name for c in table.columns]
    vcol = table.version_column
    order = (f"{q(vcol)} DESC NULLS LAST, " if vcol else "") + "__file, __row"
    ranked = "ranked" + dupkeys[len("dupkeys") :]
    con.execute(
        f"CREATE TEMP TABLE {ranked} AS SELECT *, row_number() OVER (PARTITION BY {key} "
        f"ORDER BY {order}) AS __rank FROM {valid} WHERE ({key}) IN "
        f"(SELECT ({key}) FROM {dupkeys})"
    )
    same = " AND ".join(f"d.{q(c)} IS NOT DISTINCT FROM f.{q(c)}" for c in data_cols)
    join_key = " AND ".join(f"d.{q(k)} = f.{q(k)}" for k in table.key)
    older = (
        f"d.{q(vcol)} IS NOT NULL AND f.{q(vcol)} IS NOT NULL AND d.{q(vcol)} < f.{q(vcol)}"
        if vcol
        else "FALSE"
    )
    record = ", ".join(f"{q(c)} := d.{q(c)}" for c in data_cols)
    keyval = "concat_ws(', ', " + ", ".join(f"d.{q(k)}" for k in table.key) + ")"
    repeats = con.execute(
        f"SELECT d.__file, d.__row, ({same}), ({older}), f.__file, f.__row, "
        f"to_json(struct_pack({record})), {keyval} "
        f"FROM {ranked} d JOIN {ranked} f ON {join_key} AND f.__rank = 1 WHERE d.__rank > 1"
    ).fetchall()
    for d_file, d_row, is_same, is_older, f_file, f_row, rec, kv in repeats:
        if is_same:
            report.duplicates += 1
        elif is_older:
            report.superseded += 1
        else:
            where = f"row {f_row}" + ("" if f_file == d_file else f" of {paths[f_file].name}")
            why = (
                f"{','.join(table.key)}: duplicate key {kv} conflicts with {where}, "
                "and no version column orders them"
            )
            quarantine.append((d_file, d_row, ",".join(table.key), why, rec))
    return ranked


def _load_valid(con, table, valid, paths, shas, quarantine, report, strict, before_commit):
    """Merge the staged valid rows of ``valid`` (a temp table): rows repeating a key within
    the load are ranked and the losers deleted from ``valid``, then ``_commit``."""
    key = ", ".join(q(k) for k in table.key)
    dupkeys = "dupkeys" + valid[len("valid") :]
    # Only keys that occur more than once in this load (usually none) are ranked, which saves
    # a full sort.
    con.execute(
        f"CREATE TEMP TABLE {dupkeys} AS SELECT {key} FROM {valid} GROUP BY ALL HAVING count(*) > 1"
    )
    try:
        if con.execute(f"SELECT count(*) FROM {dupkeys}").fetchone()[0]:
            ranked = _rank_repeats(con, table, valid, dupkeys, paths, quarantine, report)
            con.execute(
                f"DELETE FROM {valid} v USING {ranked} r WHERE r.__rank > 1 "
                f"AND v.__file = r.__file AND v.__row = r.__row"
            )
            con.execute(f"DROP TABLE {ranked}")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {dupkeys}")
    _commit(con, table, valid, paths, shas, quarantine, report, strict, before_commit)


def _commit(
    con,
    table: Table,
    valid: str,
    paths,
    shas,
    quarantine,
    report: LoadReport,
    strict: bool,
    before_commit,
    keys_view: str | None = None,
    total: int | None = None,
) -> None:
    """Quarantine, ``strict``, then one transaction: merge, bookkeeping, commit."""
    _settle_quarantine(table, paths, quarantine, report, strict)
    con.execute("BEGIN TRANSACTION")
    try:
        _merge(con, table, valid, paths, report, keys_view=keys_view, total=total)
        _record(con, table, paths, shas, quarantine, report)
        if before_commit is not None:
            before_commit()  # lets tests crash or fail a load at its most delicate point
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _settle_quarantine(table: Table, paths, quarantine, report: LoadReport, strict) -> None:
    """Put the rejections in file order on the report; refuse the load if ``strict``."""
    quarantine.sort(key=lambda x: (x[0], x[1]))
    report.quarantined = len(quarantine)
    report.rejections = [
        Rejection(str(paths[f]), int(r), flds, why) for f, r, flds, why, _ in quarantine
    ][:MAX_REJECTIONS_KEPT]
    if strict and quarantine:
        shown = "\n".join(f"  {x}" for x in report.rejections[:10])
        raise StrictLoadError(
            f"strict load of {table.name} refused: {len(quarantine)} row(s) rejected; "
            f"the store is unchanged. First reasons:\n{shown}",
            report,
        )


def _merge(
    con,
    table: Table,
    w: str,
    paths,
    report: LoadReport,
    keys_view: str | None = None,
    total: int | None = None,
) -> None:
    """Merge the valid rows of ``w`` (a table or view with ``__file``/``__row``) into the
    table. ``keys_view``, the same rows' key columns only, lets a load whose keys are all new
    skip comparing whole records; ``total`` is the number of rows in ``w`` if known."""
    key = table.key
    data_cols = list(table.column_names)
    join_key = " AND ".join(f"e.{q(k)} = n.{q(k)}" for k in key)
    same = " AND ".join(f"e.{q(c)} IS NOT DISTINCT FROM n.{q(c)}" for c in data_cols)
    vcol = table.version_column
    older = (
        f"n.{q(vcol)} IS NOT NULL AND e.{q(vcol)} IS NOT NULL AND n.{q(vcol)} < e.{q(vcol)}"
        if vcol
        else "FALSE"
    )
    lineage = not table.reference
    m = "matched" + w[len("valid") :]
    # Classify incoming rows whose key is already stored; the rest are new. An empty table,
    # or (with ``keys_view``) no stored key among the incoming ones, leaves nothing to compare.
    counts: dict[str, int] = {}
    overlap = not con.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {q(table.name)})").fetchone()[0]
    if overlap and keys_view is not None:
        overlap = con.execute(
            f"SELECT EXISTS (SELECT 1 FROM {keys_view} n JOIN {q(table.name)} e ON {join_key})"
        ).fetchone()[0]
    if overlap:
        con.execute(
            f"CREATE TEMP TABLE {m} AS SELECT n.__file, n.__row, "
            f"CASE WHEN {same} THEN 'unchanged' WHEN {older} THEN 'older' ELSE 'replace' END "
            f"AS action FROM {w} n JOIN {q(table.name)} e ON {join_key}"
        )
        counts = dict(con.execute(f"SELECT action, count(*) FROM {m} GROUP BY ALL").fetchall())
    if total is None:
        total = con.execute(f"SELECT count(*) FROM {w}").fetchone()[0]
    report.unchanged = counts.get("unchanged", 0)
    report.replaced = counts.get("replace", 0)
    report.inserted = total - sum(counts.values())
    # An incoming row older than the stored version is kept out: the store has newer data.
    report.superseded += counts.get("older", 0)
    if report.replaced:
        changed = (
            "list_filter(["
            + ", ".join(
                f"CASE WHEN e.{q(c.name)} IS DISTINCT FROM n.{q(c.name)} THEN {lit(c.name)} END"
                for c in table.columns
            )
            + "], x -> x IS NOT NULL)"
        )

        def pack(alias: str) -> str:
            return (
                "to_json(struct_pack("
                + ", ".join(f"{q(c)} := {alias}.{q(c)}" for c in data_cols)
                + "))"
            )

        keyval = "concat_ws(', ', " + ", ".join(f"n.{q(k)}" for k in key) + ")"
        old_src = "e.source_file || ':' || e.source_row" if lineage else "NULL"
        replaced = (
            f"FROM {w} n JOIN {m} r ON r.__file = n.__file AND r.__row = n.__row "
            f"AND r.action = 'replace'"
        )
        con.execute(
            f"INSERT INTO record_changes SELECT ?, ?, {keyval}, array_to_string({changed}, ','), "
            f"{pack('e')}, {pack('n')}, {old_src}, (?::VARCHAR[])[n.__file + 1] || ':' || n.__row, "
            f"now() {replaced} JOIN {q(table.name)} e ON {join_key}",
            [report.load_id, table.name, [str(p) for p in paths]],
        )
        con.execute(
            f"DELETE FROM {q(table.name)} e WHERE EXISTS (SELECT 1 {replaced} WHERE {join_key})"
        )
    if report.inserted + report.replaced:
        keep_out = (
            f"WHERE NOT EXISTS (SELECT 1 FROM {m} r WHERE r.__file = n.__file "
            f"AND r.__row = n.__row AND r.action <> 'replace')"
            if counts.get("unchanged", 0) + counts.get("older", 0)
            else ""
        )
        cols = ", ".join(q(c) for c in data_cols)
        src_cols = ", ".join(f"n.{q(c)}" for c in data_cols)
        if lineage:
            con.execute(
                f"INSERT INTO {q(table.name)} ({cols}, source_file, source_row, loaded_at, "
                f"load_id) SELECT {src_cols}, (?::VARCHAR[])[n.__file + 1], n.__row, "
                f"now()::TIMESTAMP, ? FROM {w} n {keep_out}",
                [[str(p.resolve()) for p in paths], report.load_id],
            )
        else:
            con.execute(
                f"INSERT INTO {q(table.name)} ({cols}) SELECT {src_cols} FROM {w} n {keep_out}"
            )
    con.execute(f"DROP TABLE IF EXISTS {m}")


def _record(con, table: Table, paths, shas, quarantine, report: LoadReport) -> None:
    import pyarrow as pa

    if quarantine:
        # Re-loading the same file must not quarantine its bad rows twice.
        qt = pa.table(
            {
                "source_file": [str(paths[f].resolve()) for f, *_ in quarantine],
                "file_sha256": [shas[f] for f, *_ in quarantine],
                "source_row": [int(r) for _, r, *_ in quarantine],
                "fields": [x[2] for x in quarantine],
                "reasons": [x[3] for x in quarantine],
                "record": [x[4] for x in quarantine],
            }
        )
        con.register("q_new", qt)
        con.execute(
            "DELETE FROM quarantine q WHERE table_name = ? AND EXISTS (SELECT 1 FROM q_new n "
            "WHERE n.file_sha256 = q.file_sha256 AND n.source_row = q.source_row)",
            [table.name],
        )
        con.execute(
            "INSERT INTO quarantine SELECT ?, ?, source_file, file_sha256, source_row, fields, "
            "reasons, record, now() FROM q_new",
            [report.load_id, table.name],
        )
        con.unregister("q_new")
    per_file_q = {i: 0 for i in range(len(paths))}
    for f, *_ in quarantine:
        per_file_q[f] += 1
    for i, p in enumerate(paths):
        con.execute(
            "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now())",
            [
                report.load_id,
                table.name,
                str(p.resolve()),
                shas[i],
                report.rows_read if len(paths) == 1 else None,
                report.inserted,
                report.replaced,
                report.unchanged,
                report.duplicates,
                report.superseded,
                per_file_q[i],
            ],
        )
