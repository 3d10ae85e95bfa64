"""Canonical ``crimes`` rows derived from the data.police.uk tables (docs/police-uk.md,
"Outcome history: latest wins" and "Order and repeats")."""

from __future__ import annotations

from pathlib import Path

from ..loader import LoadReport
from ..schema import CRIMES, POLICE_UK_CRIMES
from ..validation import q
from .batch import Batch


def derive_crimes(batch: Batch, strict: bool, warnings: list[str]) -> LoadReport:
    """Canonical ``crimes`` rows for every crime this load touched, from all the store holds.

    Outcome: the latest outcome event's Home Office type (several categories in that month:
    the lowest type, i.e. a charge before anything else; open categories last), and as
    ``outcome_at`` the month the crime reached that type (a court result after a charge keeps
    the charge's month). A crime with no outcome event takes its street file's
    ``Last outcome category`` with the crime's own month as ``outcome_at`` (the file gives no
    date). ``updated_at`` is the latest month of information, so a version can only grow.
    """
    con = batch.con
    touched = batch.temp_name("touched")
    c, e = batch.parts["police_uk_crimes"].valid, batch.parts["police_uk_outcome_events"].valid
    con.execute(
        f"CREATE TEMP TABLE {touched} AS SELECT crime_id FROM {c} UNION SELECT crime_id FROM {e}"
    )
    files = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT p.source_file FROM police_uk_crimes p "
            f"SEMI JOIN {touched} t ON t.crime_id = p.crime_id ORDER BY 1"
        ).fetchall()
    ]
    shas = [_sha_of(con, f) for f in files]
    part = batch.part(CRIMES, [Path(f) for f in files], shas)
    import pyarrow as pa

    con.register(
        "crime_files",
        pa.table({"f": pa.array(files, pa.string()), "i": pa.array(range(len(files)), pa.int32())}),
    )
    stg = batch.temp_name("derived")
    con.execute(f"CREATE TEMP TABLE {stg} AS {_derive_sql(touched)}")
    con.unregister("crime_files")
    batch.validate(part, stg)
    orphans = con.execute(
        f"SELECT count(DISTINCT e.crime_id) FROM {e} e ANTI JOIN police_uk_crimes p "
        f"ON p.crime_id = e.crime_id"
    ).fetchone()[0]
    if orphans:
        warnings.append(
            f"{orphans:,} crime(s) in the outcomes files are not (yet) in any street file "
            "loaded: their outcomes are kept and applied when the street file is loaded"
        )
    return batch.merge(part, strict)


def _sha_of(con, source_file: str) -> str:
    row = con.execute(
        "SELECT file_sha256 FROM loads WHERE source_file = ? AND table_name = ? "
        "ORDER BY finished_at DESC LIMIT 1",
        [source_file, POLICE_UK_CRIMES.name],
    ).fetchone()
    return row[0] if row else ""


def _derive_sql(touched: str) -> str:
    given = {
        "crime_id": "p.crime_id",
        "reported_at": "CAST(p.month AS TIMESTAMP)",
        "recorded_at": "CAST(p.month AS TIMESTAMP)",
        "offence_code": "ct.offence_code",
        # Harm: the crime type's own CCHI weight (docs/police-uk.md), not the representative
        # offence code's; empty where the type has none (the loader then falls back to the
        # code's weight, so only a type with neither stays empty).
        "cchi_days": "CAST(ct.cchi_days AS DOUBLE)",
        "district": "p.district",
        "outcome_type": "CASE WHEN s.crime_id IS NOT NULL THEN s.t ELSE so.outcome_type END",
        "outcome_at": (
            "CASE WHEN s.crime_id IS NOT NULL THEN CAST(CASE WHEN s.t IS NOT NULL THEN s.since "
            "END AS TIMESTAMP) WHEN so.outcome_type IS NOT NULL THEN CAST(p.month AS TIMESTAMP) "
            "END"
        ),
        "updated_at": "CAST(greatest(p.month, coalesce(s.last_month, p.month)) AS TIMESTAMP)",
    }
    select = ", ".join(
        f"{given.get(col.name, f'CAST(NULL AS {col.type})')} AS {q(col.name)}"
        for col in CRIMES.columns
    )
    return f"""
    WITH ev AS (
        SELECT e.crime_id, e.month, m.outcome_type AS t
        FROM police_uk_outcome_events e
        SEMI JOIN {touched} x ON x.crime_id = e.crime_id
        JOIN police_uk_outcomes m ON m.outcome_category = e.outcome_category
    ), mt AS (
        SELECT crime_id, month, min(t) AS t FROM ev GROUP BY ALL
    ), lt AS (
        SELECT crime_id, month AS last_month, t FROM mt
        QUALIFY month = max(month) OVER (PARTITION BY crime_id)
    ), brk AS (
        SELECT mt.crime_id, max(mt.month) AS brk FROM mt JOIN lt ON lt.crime_id = mt.crime_id
        WHERE mt.t IS DISTINCT FROM lt.t GROUP BY ALL
    ), s AS (
        SELECT lt.crime_id, lt.t, lt.last_month, min(mt.month) AS since
        FROM lt JOIN mt ON mt.crime_id = lt.crime_id
        LEFT JOIN brk ON brk.crime_id = lt.crime_id
        WHERE mt.t IS NOT DISTINCT FROM lt.t AND (brk.brk IS NULL OR mt.month > brk.brk)
        GROUP BY ALL
    )
    SELECT {select}, cf.i AS __file, p.source_row AS __row
    FROM police_uk_crimes p
    SEMI JOIN {touched} x ON x.crime_id = p.crime_id
    JOIN crime_files cf ON cf.f = p.source_file
    JOIN police_uk_crime_types ct ON ct.crime_type = p.crime_type AND ct.is_crime
    LEFT JOIN police_uk_outcomes so ON so.outcome_category = p.last_outcome_category
    LEFT JOIN s ON s.crime_id = p.crime_id
    """
