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

import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .schema import DISTRICT_BUCKETS, Table, get_table
from .store import Store
from .validation import distinct_values_sql, domain_columns, lit, plan_for, q, typed


class LoadError(Exception):
    """A file cannot be loaded at all (unreadable, missing required column, unknown table)."""


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
        return f"{self.file}: row {self.row} (line {self.row + 1}): {self.reason}"


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


def _format_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet") or name.endswith(".pq"):
        return "parquet"
    if name.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
        return "csv"
    raise LoadError(f"{path}: cannot tell the format from the name (expected .csv or .parquet)")


def _csv_header(path: Path) -> list[str]:
    """The header row, read with Python's csv module so that a ragged data row cannot mislead
    a sniffer into guessing another delimiter."""
    import csv
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh), [])


def _file_columns(con, path: Path, fmt: str) -> list[str]:
    if fmt == "parquet":
        rows = con.execute("SELECT name FROM parquet_schema(?) WHERE name <> 'schema'", [str(path)])
        # parquet_schema lists nested fields too; top-level names are enough for flat extracts.
        return [r[0] for r in rows.fetchall()]
    return _csv_header(path)


def _stage_file(
    con, path: Path, fmt: str, table: Table, stg: str, file_idx: int, view: bool = False
) -> list:
    """Read one file into its own staging table ``stg``. Parquet keeps its native types (no
    round trip through text); CSV is staged as text. Returns structural rejections: rows the
    CSV reader could not split into the header's columns. ``view`` (Parquet only) makes ``stg``
    a view over the file instead of a copy of it: every query then streams from the file."""
    try:
        present = _file_columns(con, path, fmt)
    except Exception as exc:  # duckdb raises many error types for unreadable files
        raise LoadError(f"{path}: cannot be read as {fmt.upper()}: {exc}") from exc
    present_set = set(present)
    missing = [c.name for c in table.columns if c.required and c.name not in present_set]
    if missing:
        raise LoadError(
            f"{path}: required column(s) missing from the header: {', '.join(missing)} "
            f"(table {table.name} needs {', '.join(c.name for c in table.columns if c.required)})"
        )
    if fmt == "parquet":
        select = ", ".join(
            q(c.name) if c.name in present_set else f"CAST(NULL AS {c.type}) AS {q(c.name)}"
            for c in table.columns
        )
        if view:
            # A view cannot take parameters: the path goes in as a literal.
            con.execute(
                f"CREATE TEMP VIEW {stg} AS SELECT {select}, {file_idx} AS __file, "
                f"file_row_number + 1 AS __row "
                f"FROM read_parquet({lit(str(path))}, file_row_number=true)"
            )
        else:
            con.execute(
                f"CREATE TEMP TABLE {stg} AS SELECT {select}, {file_idx} AS __file, "
                f"file_row_number + 1 AS __row FROM read_parquet(?, file_row_number=true)",
                [str(path)],
            )
        return []
    header = _csv_header(path)
    columns = "{" + ", ".join(f"{lit(h)}: 'VARCHAR'" for h in header) + "}"
    rej, scan, raw_tbl = (f"{x}_{uuid.uuid4().hex[:8]}" for x in ("rej", "scan", "raw"))
    try:
        con.execute(
            f"CREATE TEMP TABLE {raw_tbl} AS SELECT * FROM read_csv(?, header=true, "
            f"auto_detect=false, delim=',', quote='\"', escape='\"', columns={columns}, "
            f"store_rejects=true, rejects_table='{rej}', rejects_scan='{scan}')",
            [str(path)],
        )
    except Exception as exc:
        raise LoadError(f"{path}: cannot be parsed as CSV: {exc}") from exc
    bad = con.execute(
        f"SELECT line, column_name, error_type, csv_line, error_message FROM {rej} ORDER BY line"
    ).fetchall()
    con.execute(f"DROP TABLE IF EXISTS {rej}; DROP TABLE IF EXISTS {scan}")
    n_ok = con.execute(f"SELECT count(*) FROM {raw_tbl}").fetchone()[0]
    bad_lines = sorted({int(b[0]) - 1 for b in bad})  # line counts the header as 1
    select_t = ", ".join(
        f"t.{q(c.name)}" if c.name in present_set else f"CAST(NULL AS VARCHAR) AS {q(c.name)}"
        for c in table.columns
    )
    if bad_lines:
        import pyarrow as pa

        # Accepted rows keep file order; give them their true data-row numbers by skipping
        # the numbers of the rows the reader rejected.
        total = n_ok + len(bad_lines)
        keep = sorted(set(range(1, total + 1)) - set(bad_lines))
        con.register("rownums", pa.table({"k": list(range(n_ok)), "r": keep}))
        con.execute(
            f"CREATE TEMP TABLE {stg} AS SELECT {select_t}, {file_idx} AS __file, rn.r AS __row "
            f"FROM {raw_tbl} t JOIN rownums rn ON rn.k = t.rowid ORDER BY rn.r"
        )
        con.unregister("rownums")
    else:
        con.execute(
            f"CREATE TEMP TABLE {stg} AS SELECT {select_t}, {file_idx} AS __file, "
            f"t.rowid + 1 AS __row FROM {raw_tbl} t"
        )
    con.execute(f"DROP TABLE {raw_tbl}")
    by_line: dict[int, tuple[list[str], str, str]] = {}
    for line, column, etype, text, message in bad:
        what = {
            "MISSING COLUMNS": f"row has fewer fields than the header ({len(header)})",
            "TOO MANY COLUMNS": f"row has more fields than the header ({len(header)})",
        }.get(etype, f"{etype.lower()}: {message.splitlines()[0] if message else ''}")
        cols, _, _ = by_line.setdefault(int(line) - 1, ([], what, text))
        if column and column not in cols:
            cols.append(column)
    structural = []
    for row, (cols, what, text) in sorted(by_line.items()):
        fields = ",".join(cols) or "(row)"
        structural.append((row, fields, f"{fields}: {what}", text))
    return structural


def load_files(
    store: Store,
    table_name: str,
    files: Sequence[str | Path],
    *,
    strict: bool = False,
    progress: ProgressFn | None = None,
    before_commit: Callable[[], None] | None = None,
    fast_path: bool | None = None,
) -> LoadReport:
    """Load files into one table in a single transaction. See the module docstring.

    A load of Parquet files only takes the streaming path (``_load_parquet``), which checks
    the files where they lie and copies the valid rows once, straight into the table; any
    other load stages each file in a temporary table first. Both keep the same promises and
    give the same store. ``fast_path`` forces the choice (tests and benchmarks compare them).
    """
    t0 = time.perf_counter()
    table = get_table(table_name)
    paths = [Path(f) for f in files]
    for p in paths:
        if not p.is_file():
            raise LoadError(f"{p}: no such file")
    fmts = [_format_of(p) for p in paths]
    all_parquet = all(f == "parquet" for f in fmts)
    if fast_path and not all_parquet:
        raise ValueError("the streaming load path reads Parquet files only")
    con = store.duck
    report = LoadReport(table=table.name, load_id=uuid.uuid4().hex[:16])
    report.files = [str(p) for p in paths]
    step = progress or (lambda *_: None)
    tmp = f"_{report.load_id}"
    if fast_path is None:
        fast_path = all_parquet
    if fast_path:
        _load_parquet(con, table, paths, report, strict, step, before_commit)
        report.seconds = time.perf_counter() - t0
        return report
    valid = "valid" + tmp
    typed_defs = ", ".join(f"{q(c.name)} {c.type}" for c in table.columns)
    con.execute(f"CREATE TEMP TABLE {valid} ({typed_defs}, __file INTEGER, __row BIGINT)")
    shas: list[str] = []
    quarantine: list[tuple] = []
    allowed, lookups = _domains(con, table)
    try:
        for i, (p, fmt) in enumerate(zip(paths, fmts, strict=True)):
            step(f"reading and validating {p.name}", i, len(paths))
            _warn_extra_columns(con, table, p, fmt, report)
            stg = f"stg{tmp}_{i}"
            try:
                structural = _stage_file(con, p, fmt, table, stg, i)
                quarantine += [(i, *x) for x in structural]
                quarantine += _validate(con, table, stg, valid, allowed, lookups)
                report.rows_read += len(structural)
                report.rows_read += con.execute(f"SELECT count(*) FROM {stg}").fetchone()[0]
            finally:
                con.execute(f"DROP TABLE IF EXISTS {stg}")
            shas.append(file_sha256(p))
        step("merging", len(paths), len(paths))
        _load_valid(con, table, valid, paths, shas, quarantine, report, strict, before_commit)
    finally:
        for t in (valid, "ranked" + tmp, "matched" + tmp):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    report.seconds = time.perf_counter() - t0
    return report


def _warn_extra_columns(con, table: Table, path: Path, fmt: str, report: LoadReport) -> None:
    present = set(_file_columns(con, path, fmt))
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
    allowed, lookups = _domains(con, table)
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
            plans.append(_plan_checks(con, table, stg, allowed, lookups))
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
            con.execute(f"DROP VIEW IF EXISTS {v}")
        for t in temps:
            con.execute(f"DROP TABLE IF EXISTS {t}")


def _load_into_empty(con, table, plans, paths, shas, report, strict, before_commit) -> bool:
    """First load into an empty table: one transaction copies every row that passes the checks
    straight from the files (the checks are the copy's filter, so no scan is made ahead of it),
    then names the rows it left out (a second scan, only if there were any), ranks keys
    repeated among the rows it stored and deletes the losers, exactly as the merge would have
    kept them out. Returns False, having changed nothing, if the table is not empty after all."""
    tmp = f"_{report.load_id}"
    stored, dupkeys = "stored" + tmp, "dupkeys" + tmp
    files = "[" + ", ".join(lit(str(p.resolve())) for p in paths) + "]"
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
            f"SELECT {cols}, {files}[__file + 1], __row, now()::TIMESTAMP, ? FROM ({source})",
            [report.load_id],
        ).fetchone()[0]
        if n_in < report.rows_read:
            for plan in plans:
                bad, rejections = _find_bad(con, table, plan)
                con.execute(f"DROP TABLE IF EXISTS {bad}")
                quarantine += rejections
        # The table was empty: every row in it is this load's, numbered back to its file.
        con.execute(
            f"CREATE TEMP VIEW {stored} AS SELECT {cols}, "
            f"list_position({files}, source_file) - 1 AS __file, source_row AS __row "
            f"FROM {q(table.name)}"
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
                f"AND t.source_file = {files}[r.__file + 1] AND t.source_row = r.__row"
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
        for t in (dupkeys, "ranked" + tmp):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    return True


def _domains(con, table: Table) -> tuple[dict[str, set[str]], dict[str, dict[str, object]]]:
    """Allowed values of each domain column, and the reference lookups of derived columns,
    read from the store's own reference tables (a force may have replaced them)."""
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
    lookups: dict[str, dict[str, object]] = {}
    if table.derived_from is not None:
        ref_table, join_col, mapping = table.derived_from
        for col_name, ref_col in mapping.items():
            rows = con.execute(f"SELECT {q(join_col)}, {q(ref_col)} FROM {q(ref_table)}")
            lookups[col_name] = dict(rows.fetchall())
    return allowed, lookups


@dataclass
class _Checks:
    """The checks of one staged file, compiled: ``any_bad`` is true for a row that breaks any
    rule; ``select`` gives every row typed and filled (alias ``s``: add a WHERE to leave rows
    out), ``key_select`` the same rows' typed key columns only; ``bad_select`` the rows that
    break a rule, with a flag per check."""

    stg: str
    any_bad: str
    select: str
    key_select: str
    bad_select: str
    messages: str


def _plan_checks(con, table: Table, stg: str, allowed_values, lookups) -> _Checks:
    src_types = dict(
        (name, str(type_)) for name, type_, *_ in con.execute(f"DESCRIBE {stg}").fetchall()
    )
    outside: dict[str, list[str]] = {}
    domains = domain_columns(table)
    if domains:
        seen = con.execute(distinct_values_sql(table, stg, src_types)).fetchone()
        for col, values in zip(domains, seen, strict=True):
            allowed = allowed_values[col.name]
            outside[col.name] = sorted(
                v for v in values or [] if v is not None and v not in allowed
            )
    plan = plan_for(table, src_types, outside, lookups)
    any_bad = " OR ".join(f"({c.condition})" for c in plan.checks) or "FALSE"
    typed_cols = ", ".join(
        f"{plan.fills.get(c.name, typed(c, src_types[c.name]))} AS {q(c.name)}"
        for c in table.columns
    )
    key_cols = ", ".join(f"{typed(table.column(k), src_types[k])} AS {q(k)}" for k in table.key)
    flags = [f"__c{i}" for i in range(len(plan.checks))]
    pairs = list(zip(plan.checks, flags, strict=True))
    flagged = ", ".join([f"{stg}.*"] + [f"{c.condition} AS {f}" for c, f in pairs])
    fields = ", ".join(f"CASE WHEN {f} THEN {lit(c.field)} END" for c, f in pairs)
    reasons = ", ".join(
        f"CASE WHEN {f} THEN {lit(c.field + ': ')} || {c.message} END" for c, f in pairs
    )
    record = ", ".join(f"{q(c.name)} := {q(c.name)}" for c in table.columns)
    return _Checks(
        stg=stg,
        any_bad=any_bad,
        select=f"SELECT {typed_cols}, __file, __row FROM {stg} s {plan.fill_join}",
        key_select=f"SELECT {key_cols}, __file, __row FROM {stg} s",
        bad_select=f"SELECT {flagged} FROM {stg} WHERE {any_bad}",
        messages=(
            f"SELECT __file, __row, "
            f"array_to_string(list_distinct(list_filter([{fields}], x -> x IS NOT NULL)), ','), "
            f"array_to_string(list_filter([{reasons}], x -> x IS NOT NULL), '; '), "
            f"to_json(struct_pack({record}))"
        ),
    )


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
    lookups: dict[str, dict[str, object]],
) -> list[tuple]:
    """Check one staged file: append its valid rows, typed, to ``valid``; return the rejected
    rows as (file index, row, fields, reasons, raw record as JSON)."""
    checks = _plan_checks(con, table, stg, allowed_values, lookups)
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
                f"CASE WHEN e.{q(c)} IS DISTINCT FROM n.{q(c)} THEN {lit(c)} END" for c in data_cols
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
        files = "[" + ", ".join(lit(str(p)) for p in paths) + "]"
        replaced = (
            f"FROM {w} n JOIN {m} r ON r.__file = n.__file AND r.__row = n.__row "
            f"AND r.action = 'replace'"
        )
        con.execute(
            f"INSERT INTO record_changes SELECT ?, ?, {keyval}, array_to_string({changed}, ','), "
            f"{pack('e')}, {pack('n')}, {old_src}, {files}[n.__file + 1] || ':' || n.__row, "
            f"now() {replaced} JOIN {q(table.name)} e ON {join_key}",
            [report.load_id, table.name],
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
            files = "[" + ", ".join(lit(str(p.resolve())) for p in paths) + "]"
            con.execute(
                f"INSERT INTO {q(table.name)} ({cols}, source_file, source_row, loaded_at, "
                f"load_id) SELECT {src_cols}, {files}[n.__file + 1], n.__row, now()::TIMESTAMP, "
                f"? FROM {w} n {keep_out}",
                [report.load_id],
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
