"""Home Office and ONS force-level tables -> the store (``forcestat load --format home-office``).

Four layouts are recognised by their header: police recorded crime per force and financial
year, crime outcomes per force and financial year, ONS mid-year population by local authority
district, and the ONS Crime Severity Score. Each file loads into its table as it is (the
tables' columns are the files' headers), validated, quarantined and merged by the foundation
loader, all files in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import loader
from ..loader import LoadError, LoadReport, file_sha256
from ..schema import (
    HO_OUTCOMES,
    HO_RECORDED_CRIME,
    NATIONAL_TABLES,
    ONS_CRIME_SEVERITY,
    ONS_POPULATION,
    SOURCE_REFERENCE,
    Table,
)
from ..store import Store
from ..validation import q
from .batch import Batch, ensure_tables

# The column that tells a layout apart from the others.
_SIGNATURE: tuple[tuple[str, Table], ...] = (
    ("recorded_crime", HO_RECORDED_CRIME),
    ("closed_all_t1", HO_OUTCOMES),
    ("ladcode19", ONS_POPULATION),
    ("severity_score", ONS_CRIME_SEVERITY),
)
_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")

ProgressFn = Callable[[str, int, int], None]


@dataclass
class HomeOfficeReport:
    files: dict[str, list[str]] = field(default_factory=dict)
    tables: dict[str, LoadReport] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def quarantined(self) -> int:
        return sum(r.quarantined for r in self.tables.values())


def table_for(path: Path, encoding: str | None = None) -> Table | None:
    """The table a file's header belongs to, or None."""
    present = set(loader._file_columns(None, path, loader._format_of(path), encoding))
    for column, table in _SIGNATURE:
        if column in present:
            return table
    return None


def _layouts() -> str:
    return "; ".join(
        f"{t.name} ({', '.join(c.name for c in t.columns if c.required)})" for _, t in _SIGNATURE
    )


def discover(
    paths: Sequence[str | Path], encoding: str | None = None
) -> tuple[dict[str, list[Path]], list[str]]:
    """Files by target table. A file named explicitly must be one of the layouts; in a folder,
    files of no known layout are skipped with a warning."""
    by_table: dict[str, list[Path]] = {}
    warnings: list[str] = []
    seen: set[Path] = set()

    def add(p: Path, explicit: bool) -> None:
        if p.resolve() in seen:
            return
        seen.add(p.resolve())
        table = table_for(p, encoding)
        if table is None:
            if explicit:
                raise LoadError(
                    f"{p}: not a Home Office or ONS table this importer knows; its header has "
                    f"none of the layouts' columns: {_layouts()}"
                )
            warnings.append(f"{p}: skipped, not a known Home Office or ONS layout")
            return
        by_table.setdefault(table.name, []).append(p)

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*") if f.is_file() and f.name.lower().endswith(_SUFFIXES)
            )
            if not found:
                raise LoadError(f"{p}: no CSV or Parquet files in this folder")
            for f in found:
                add(f, explicit=False)
        elif p.is_file():
            loader.check_input(p)
            add(p, explicit=True)
        else:
            raise LoadError(f"{p}: no such file or folder")
    if not by_table:
        raise LoadError("no Home Office or ONS files found in: " + ", ".join(map(str, paths)))
    return by_table, warnings


def load_home_office(
    store: Store,
    paths: Sequence[str | Path],
    *,
    strict: bool = False,
    progress: ProgressFn | None = None,
    before_commit: Callable[[], None] | None = None,
    encoding: str | None = None,
) -> HomeOfficeReport:
    """Load Home Office / ONS files (or folders of them) into their tables in one transaction,
    the tables and reference rows it adds to the store included."""
    t0 = time.perf_counter()
    step = progress or (lambda *_: None)
    by_table, warnings = discover(paths, encoding)
    report = HomeOfficeReport(
        files={k: [str(p) for p in v] for k, v in by_table.items()}, warnings=warnings
    )
    tables = {t.name: t for t in NATIONAL_TABLES}
    total = sum(len(v) for v in by_table.values())
    done = 0
    try:
        with Batch(store) as batch, batch.transaction(before_commit):
            ensure_tables(batch.con, SOURCE_REFERENCE + NATIONAL_TABLES)
            parts = []
            for name, files in by_table.items():
                table = tables[name]
                part = batch.part(table, files, [file_sha256(p) for p in files])
                parts.append(part)
                for i, p in enumerate(files):
                    step(f"reading {p.name}", done, total)
                    done += 1
                    fmt = loader._format_of(p)
                    present = set(loader._file_columns(batch.con, p, fmt, encoding)) - {""}
                    extra = sorted(present - set(table.column_names))
                    if extra:
                        report.warnings.append(
                            f"{p}: column(s) not in table {name} were ignored: {', '.join(extra)}"
                        )
                    stg = batch.temp_name("stg")
                    structural = loader._stage_file(
                        batch.con, p, fmt, table, stg, i, notes=report.notes, encoding=encoding
                    )
                    _missing_markers(batch, table, stg)
                    batch.validate(part, stg, [(i, *x) for x in structural])
                    batch.con.execute(f"DROP TABLE {stg}")
            step("merging", total, total)
            for part in parts:
                report.tables[part.table.name] = batch.merge(part, strict)
    except Exception as exc:
        raise loader.engine_error([p for v in by_table.values() for p in v], exc) from exc
    report.seconds = time.perf_counter() - t0
    return report


# Home Office and ONS tables write ':' (and sometimes '..') for "not available".
MISSING_MARKERS = (":", "..")


def _missing_markers(batch: Batch, table: Table, stg: str) -> None:
    """Turn the publishers' not-available markers in numeric columns into empty values."""
    types = dict(
        batch.con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {stg})").fetchall()
    )
    for c in table.columns:
        if c.type != "VARCHAR" and types.get(c.name) == "VARCHAR":
            batch.con.execute(
                f"UPDATE {stg} SET {q(c.name)} = NULL WHERE list_contains(?, TRIM({q(c.name)}))",
                [list(MISSING_MARKERS)],
            )
