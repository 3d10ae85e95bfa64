"""The national set: many forces as a folder of Parquet (one folder per table, one file per
force), for benchmarks and national comparisons.

Forces are generated one at a time per worker process and written as soon as each table is
made, so memory is bounded by the largest force; the processes share nothing but the seed, so
the output does not depend on how many run. The three high-volume event tables - calls (seven
rows per crime), victim contacts (2.5 per crime) and incidents (1.8 per crime) - are left out:
at 30 million crimes they would add ~350 million rows and take the set far past five minutes,
for no national measure that needs them. They are in the demo force, and
``generate_force(..., tables=...)`` makes them for any force.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..store.schema import GEOGRAPHY, OFFENCE_CODES, OUTCOME_TYPES, SURVEY_SCALES
from ..store.store import reference_rows
from . import columns as C
from .calendar import Period
from .force import ForceSpec, national_forces
from .generate import TABLES, generate_force

# THRIVE assessments (one per victim-based crime) and case audits are left out with the
# incidents they are drawn from: no national measure reads them.
NATIONAL_TABLES = tuple(
    t
    for t in TABLES
    if t not in ("calls", "victim_contacts", "incidents", "thrive_assessments", "audits")
)


def _write_force(args: tuple[ForceSpec, str, int, int, str]) -> dict[str, int]:
    force, end, years, seed, out = args
    period = Period.of(end, years)
    counts: dict[str, int] = {}

    def sink(name: str, tbl: pa.Table) -> None:
        folder = Path(out) / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(tbl, folder / f"{force.slug}.parquet", row_group_size=1 << 20)
        counts[name] = tbl.num_rows

    generate_force(force, period, seed, tables=NATIONAL_TABLES, sink=sink)
    return counts


def _reference_table(table, rows: list[dict]) -> pa.Table:
    schema = C.arrow_schema(table)
    cols = {}
    for f in schema:
        vals = [r.get(f.name) for r in rows]
        vals = [None if v in ("", None) else v for v in vals]
        if pa.types.is_boolean(f.type):
            vals = [None if v is None else str(v).strip().lower() == "true" for v in vals]
        elif pa.types.is_integer(f.type):
            vals = [None if v is None else int(v) for v in vals]
        elif pa.types.is_floating(f.type):
            vals = [None if v is None else float(v) for v in vals]
        cols[f.name] = pa.array(vals, f.type)
    return pa.table(cols, schema=schema)


def national_specs(seed: int, forces: int) -> list[ForceSpec]:
    """The first ``forces`` territorial forces (alphabetical, as the Home Office lists them)."""
    specs = national_forces(seed)
    if forces > len(specs):
        raise ValueError(
            f"at most {len(specs)} forces (the territorial forces of England and Wales)"
        )
    return specs[:forces]


def write_national(
    out: Path, period: Period, seed: int, specs: list[ForceSpec], workers: int | None = None
) -> dict[str, int]:
    """Write the forces in ``specs`` as a Parquet set in ``out``; returns rows per table."""
    out.mkdir(parents=True, exist_ok=True)
    geography = [row for f in specs for row in f.geography_rows()]
    pq.write_table(_reference_table(GEOGRAPHY, geography), out / "geography.parquet")
    for table in (OFFENCE_CODES, OUTCOME_TYPES, SURVEY_SCALES):
        rows = reference_rows(table.name)
        pq.write_table(_reference_table(table, rows), out / f"{table.name}.parquet")

    end = str(period.end)
    jobs = [(f, end, period.years, seed, str(out)) for f in specs]
    jobs.sort(key=lambda j: -j[0].annual_crimes)  # largest first balances the workers
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    totals: dict[str, int] = {}
    if workers == 1:
        results = map(_write_force, jobs)
    else:
        pool = ProcessPoolExecutor(max_workers=workers)
        results = pool.map(_write_force, jobs)
    for counts in results:
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
    if workers > 1:
        pool.shutdown()
    return totals
