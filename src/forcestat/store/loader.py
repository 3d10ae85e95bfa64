"""Load canonical CSV and Parquet extracts into the store.

Promises (DESIGN.md section 1 and the foundation issue):
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

from .schema import Table, get_table
from .store import Store
from .validation import lit, plan_for, q, typed


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


def _stage_file(con, path: Path, fmt: str, table: Table, stg: str, file_idx: int) -> list:
    """Read one file into the staging table as raw values. Returns structural rejections
    (rows the CSV reader could not split into the header's columns)."""
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
    select = ", ".join(
        f"CAST({q(c.name)} AS VARCHAR) AS {q(c.name)}"
        if c.name in present_set
        else f"CAST(NULL AS VARCHAR) AS {q(c.name)}"
        for c in table.columns
    )
    structural: list = []
    if fmt == "parquet":
        con.execute(
            f"INSERT INTO {stg} SELECT {select}, {file_idx} AS __file, "
            f"file_row_number + 1 AS __row FROM read_parquet(?, file_row_number=true)",
            [str(path)],
        )
        return structural
    header = _csv_header(path)
    columns = "{" + ", ".join(f"{lit(h)}: 'VARCHAR'" for h in header) + "}"
    rej, scan = f"rej_{uuid.uuid4().hex[:8]}", f"scan_{uuid.uuid4().hex[:8]}"
    raw_tbl = f"raw_{uuid.uuid4().hex[:8]}"
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
        f"CAST(t.{q(c.name)} AS VARCHAR)" if c.name in present_set else "CAST(NULL AS VARCHAR)"
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
            f"INSERT INTO {stg} SELECT {select_t}, {file_idx}, rn.r FROM {raw_tbl} t "
            f"JOIN rownums rn ON rn.k = t.rowid"
        )
        con.unregister("rownums")
    else:
        con.execute(
            f"INSERT INTO {stg} SELECT {select_t}, {file_idx}, t.rowid + 1 FROM {raw_tbl} t"
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
) -> LoadReport:
    """Load files into one table in a single transaction. See the module docstring."""
    t0 = time.perf_counter()
    table = get_table(table_name)
    paths = [Path(f) for f in files]
    for p in paths:
        if not p.is_file():
            raise LoadError(f"{p}: no such file")
    con = store.duck
    report = LoadReport(table=table.name, load_id=uuid.uuid4().hex[:16])
    report.files = [str(p) for p in paths]
    step = progress or (lambda *_: None)

    stg = f"stg_{report.load_id}"
    cols = table.column_names
    col_defs = ", ".join(f"{q(c)} VARCHAR" for c in cols)
    con.execute(f"CREATE TEMP TABLE {stg} ({col_defs}, __file INTEGER, __row BIGINT)")
    shas, structural = [], []
    try:
        for i, p in enumerate(paths):
            step(f"reading {p.name}", i, len(paths))
            fmt = _format_of(p)
            present = set(_file_columns(con, p, fmt))
            extra = sorted(present - set(cols) - {"source_file", "source_row", "loaded_at"})
            if extra:
                report.warnings.append(
                    f"{p}: column(s) not in table {table.name} were ignored: {', '.join(extra)}"
                )
            structural += [(i, *s) for s in _stage_file(con, p, fmt, table, stg, i)]
            shas.append(file_sha256(p))
        step("validating", len(paths), len(paths))
        _load_staged(store, table, stg, paths, shas, structural, report, strict, before_commit)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {stg}")
        for extra_tbl in ("c_" + stg, "v_" + stg, "w_" + stg):
            con.execute(f"DROP TABLE IF EXISTS {extra_tbl}")
    report.seconds = time.perf_counter() - t0
    return report


def _load_staged(store, table, stg, paths, shas, structural, report, strict, before_commit):
    con = store.duck
    plan = plan_for(table)
    report.rows_read = con.execute(f"SELECT count(*) FROM {stg}").fetchone()[0] + len(structural)
    # One pass computes every check and every typed value; the queries after it only read
    # precomputed columns, which keeps them small and fast to plan.
    chk, v, w = "c_" + stg, "v_" + stg, "w_" + stg
    flags = [f"__c{i}" for i in range(len(plan.checks))]
    derived = [q("__d_" + c) for c in plan.fills]
    select = ", ".join(
        [f"{stg}.*"]
        + [f"{plan.fills.get(c.name, typed(c))} AS {q('__t_' + c.name)}" for c in table.columns]
        + [f"{c.condition} AS {f}" for c, f in zip(plan.checks, flags, strict=True)]
        + derived
    )
    con.execute(f"CREATE TEMP TABLE {chk} AS SELECT {select} FROM {stg} {' '.join(plan.joins)}")
    any_bad = " OR ".join(flags) or "FALSE"
    fields_expr = (
        "list_distinct(list_filter(["
        + ", ".join(
            f"CASE WHEN {f} THEN {lit(c.field)} END"
            for c, f in zip(plan.checks, flags, strict=True)
        )
        + "], x -> x IS NOT NULL))"
    )
    reasons_expr = (
        "list_filter(["
        + ", ".join(
            f"CASE WHEN {f} THEN {lit(c.field + ': ')} || {c.message} END"
            for c, f in zip(plan.checks, flags, strict=True)
        )
        + "], x -> x IS NOT NULL)"
    )
    key = ", ".join(q(k) for k in table.key)
    data_cols = [c.name for c in table.columns]
    vcol = table.version_column
    order = (f"{q(vcol)} DESC NULLS LAST, " if vcol else "") + "__file, __row"
    typed_cols = ", ".join(f"{q('__t_' + c)} AS {q(c)}" for c in data_cols)
    # Valid rows, typed, with their rank among rows of the same key in this load.
    con.execute(
        f"CREATE TEMP TABLE {v} AS SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY "
        f"{order}) AS __rank FROM (SELECT {typed_cols}, __file, __row FROM {chk} "
        f"WHERE NOT ({any_bad}))"
    )
    bad_rows = con.execute(
        f"SELECT __file, __row, array_to_string({fields_expr}, ','), "
        f"array_to_string({reasons_expr}, '; '), to_json(struct_pack("
        + ", ".join(f"{q(c)} := {q(c)}" for c in data_cols)
        + f")) FROM {chk} WHERE {any_bad} ORDER BY __file, __row"
    ).fetchall()
    con.execute(f"DROP TABLE {chk}")
    quarantine = [(f, r, flds, why, rec) for f, r, flds, why, rec in bad_rows]
    quarantine += [(f, r, col, why, text) for f, r, col, why, text in structural]

    # Rows repeating a key within this load: identical ones are duplicates; a conflicting row
    # with an older version is superseded; a conflicting row with no version to order it is
    # ambiguous and quarantined (naming the row it conflicts with).
    same = " AND ".join(f"d.{q(c)} IS NOT DISTINCT FROM f.{q(c)}" for c in data_cols)
    join_key = " AND ".join(f"d.{q(k)} = f.{q(k)}" for k in table.key)
    older = (
        f"d.{q(vcol)} IS NOT NULL AND f.{q(vcol)} IS NOT NULL AND d.{q(vcol)} < f.{q(vcol)}"
        if vcol
        else "FALSE"
    )
    repeats = con.execute(
        f"SELECT d.__file, d.__row, ({same}) AS same, ({older}) AS older, f.__file, f.__row, "
        f"to_json(struct_pack(" + ", ".join(f"{q(c)} := d.{q(c)}" for c in data_cols) + ")), "
        "concat_ws(', ', " + ", ".join(f"d.{q(k)}" for k in table.key) + ") "
        f"FROM {v} d JOIN {v} f ON {join_key} AND f.__rank = 1 WHERE d.__rank > 1"
    ).fetchall()
    for d_file, d_row, is_same, is_older, f_file, f_row, rec, keyval in repeats:
        if is_same:
            report.duplicates += 1
        elif is_older:
            report.superseded += 1
        else:
            where = f"row {f_row}" + ("" if f_file == d_file else f" of {paths[f_file].name}")
            quarantine.append(
                (
                    d_file,
                    d_row,
                    ",".join(table.key),
                    f"{','.join(table.key)}: duplicate key {keyval!s} conflicts with {where}, "
                    "and no version column orders them",
                    rec,
                )
            )
    con.execute(f"CREATE TEMP TABLE {w} AS SELECT * EXCLUDE (__rank) FROM {v} WHERE __rank = 1")

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

    con.execute("BEGIN TRANSACTION")
    try:
        _merge(con, table, w, paths, report)
        _record(con, table, paths, shas, quarantine, report)
        if before_commit is not None:
            before_commit()  # lets tests crash or fail a load at its most delicate point
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _merge(con, table: Table, w: str, paths, report: LoadReport) -> None:
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
    # Classify every incoming row against the stored one with the same key, in one join.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE m_{w} AS SELECT n.*, CASE "
        f"WHEN e.{q(key[0])} IS NULL THEN 'insert' WHEN {same} THEN 'unchanged' "
        f"WHEN {older} THEN 'older' ELSE 'replace' END AS __action "
        f"FROM {w} n LEFT JOIN {q(table.name)} e ON {join_key}"
    )
    counts = dict(con.execute(f"SELECT __action, count(*) FROM m_{w} GROUP BY ALL").fetchall())
    report.inserted = counts.get("insert", 0)
    report.unchanged = counts.get("unchanged", 0)
    report.replaced = counts.get("replace", 0)
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
        con.execute(
            f"INSERT INTO record_changes SELECT ?, ?, {keyval}, array_to_string({changed}, ','), "
            f"{pack('e')}, {pack('n')}, {old_src}, {files}[n.__file + 1] || ':' || n.__row, "
            f"now() FROM m_{w} n JOIN {q(table.name)} e ON {join_key} "
            f"WHERE n.__action = 'replace'",
            [report.load_id, table.name],
        )
        con.execute(
            f"DELETE FROM {q(table.name)} e WHERE EXISTS (SELECT 1 FROM m_{w} n WHERE {join_key} "
            f"AND n.__action = 'replace')"
        )
    cols = ", ".join(q(c) for c in data_cols)
    if lineage:
        files = "[" + ", ".join(lit(str(p.resolve())) for p in paths) + "]"
        con.execute(
            f"INSERT INTO {q(table.name)} ({cols}, source_file, source_row, loaded_at, load_id) "
            f"SELECT {cols}, {files}[__file + 1], __row, now()::TIMESTAMP, ? FROM m_{w} "
            f"WHERE __action IN ('insert', 'replace')",
            [report.load_id],
        )
    else:
        con.execute(
            f"INSERT INTO {q(table.name)} ({cols}) SELECT {cols} FROM m_{w} "
            f"WHERE __action IN ('insert', 'replace')"
        )
    con.execute(f"DROP TABLE m_{w}")


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
