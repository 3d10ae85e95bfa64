"""data.police.uk street and outcomes CSVs -> the store (docs/police-uk.md).

A load writes four tables in one transaction:

- ``police_uk_crimes``: every crime of the street files as published (original LSOA kept);
- ``asb_incidents``: anti-social behaviour, which is never crime;
- ``police_uk_outcome_events``: the outcomes files, one row per crime, month and category;
- ``crimes``: the canonical rows, derived from the first three for every crime the load touched.

Deriving ``crimes`` from everything the store holds (not just from this load's files) is what
makes the result independent of the order files arrive in: a crime's outcome is always its
latest outcome event, whichever file brought the crime or the event. Each table is merged by
the foundation loader, so re-loading a file changes nothing and a newer version of a record
replaces the older one with the change logged in ``record_changes``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import loader
from ..availability import mark_unavailable
from ..loader import LoadError, LoadReport, file_sha256
from ..schema import (
    ASB,
    ASB_INCIDENTS,
    NO_LOCATION,
    OUTSIDE_FORCE,
    POLICE_UK_CRIMES,
    POLICE_UK_OUTCOME_EVENTS,
    POLICE_UK_TABLES,
    SOURCE_REFERENCE,
    Column,
    Table,
)
from ..store import Store
from ..validation import lit, q
from .batch import Batch, ensure_tables
from .derive import derive_crimes

STREET_COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
OUTCOMES_COLUMNS = (*STREET_COLUMNS[:9], "Outcome type")


def _layout(name: str, headers: Sequence[str], optional: Iterable[str] = ()) -> Table:
    # A file layout, read by the loader's CSV stager: a header lacking a required column is an
    # error naming the file and the column; ragged rows are quarantined with their row number.
    opt = set(optional)
    cols = tuple(Column(h, "VARCHAR", h, required=h not in opt) for h in headers)
    return Table(name=name, description=name, key=(), columns=cols)


STREET_FILE = _layout("data.police.uk street file", STREET_COLUMNS, optional=("Context",))
OUTCOMES_FILE = _layout("data.police.uk outcomes file", OUTCOMES_COLUMNS)

# Names as data.police.uk publishes them: <year>-<month>-<force>-<street|outcomes>.csv
_FILE_NAME = re.compile(r".*-(street|outcomes)\.csv(\.gz)?$", re.IGNORECASE)
# "Fenland 005A" -> "Fenland": LSOA names of both the 2011 and the 2021 coding end in a
# three-digit number and a letter after the district's name.
LSOA_SUFFIX = r"\s+[0-9]{3}[A-Z]$"

ProgressFn = Callable[[str, int, int], None]

# What the canonical ``crimes`` rows of a data.police.uk load cannot tell, by column, for
# reports that must say "not available from this data" rather than show a zero or a constant.
NOT_AVAILABLE: dict[str, str] = {
    "reported_at": "month only: the first day of the month, the same as recorded_at",
    "recorded_at": "month only: the first day of the month, the same as reported_at",
    "offence_code": "a representative code per data.police.uk crime type (police_uk_crime_types)",
    "offence_group": "one group per crime type: groups finer than the crime type are unknown",
    "domestic_abuse": "not published",
    "hate": "not published",
    "child_sexual_abuse": "not published",
    "child_sexual_exploitation": "not published",
    "knife": "not published",
    "victim_age_group": "not published",
    "victim_priority_group": "not published",
    "risk_level": "not published",
    "supervisory_unit": "not published",
    "victim_id": "not published",
    "suspect_id": "not published",
}


@dataclass
class PoliceUkReport:
    street_files: list[str] = field(default_factory=list)
    outcomes_files: list[str] = field(default_factory=list)
    tables: dict[str, LoadReport] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def quarantined(self) -> int:
        return sum(r.quarantined for r in self.tables.values())


def discover(
    paths: Sequence[str | Path], encoding: str | None = None
) -> tuple[list[Path], list[Path], list[str]]:
    """Street files, outcomes files and warnings from files and folders. In a folder only
    files named like data.police.uk's (``*-street.csv``, ``*-outcomes.csv``, optionally .gz)
    are taken; a file named explicitly is classified by its header."""
    street: list[Path] = []
    outcomes: list[Path] = []
    warnings: list[str] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        r = p.resolve()
        if r in seen:
            return
        seen.add(r)
        kind = _kind(p, encoding)
        (street if kind == "street" else outcomes).append(p)

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and _FILE_NAME.match(f.name))
            skipped = sorted(
                f.name for f in p.rglob("*.csv*") if f.is_file() and not _FILE_NAME.match(f.name)
            )
            if skipped:
                warnings.append(
                    f"{p}: skipped {len(skipped)} file(s) not named *-street.csv or "
                    f"*-outcomes.csv (e.g. stop-and-search): {', '.join(skipped[:5])}"
                    + (" ..." if len(skipped) > 5 else "")
                )
            if not found:
                raise LoadError(f"{p}: no data.police.uk street or outcomes files in this folder")
            for f in found:
                add(f)
        elif p.is_file():
            loader.check_input(p)
            add(p)
        else:
            raise LoadError(f"{p}: no such file or folder")
    return street, outcomes, warnings


def _kind(path: Path, encoding: str | None = None) -> str:
    """'street' or 'outcomes' from the header; a clear error for anything else."""
    header = loader._csv_header(path, encoding)
    present = set(header)
    if "Outcome type" in present:
        layout, kind = OUTCOMES_FILE, "outcomes"
    elif "Crime type" in present:
        layout, kind = STREET_FILE, "street"
    else:
        need_s = [c for c in STREET_COLUMNS if c not in present and c != "Context"]
        need_o = [c for c in OUTCOMES_COLUMNS if c not in present]
        raise LoadError(
            f"{path}: not a data.police.uk street or outcomes file: a street file needs "
            f"{', '.join(need_s)}; an outcomes file needs {', '.join(need_o)} "
            f"(header: {', '.join(header) or 'empty'})"
        )
    missing = [c.name for c in layout.columns if c.required and c.name not in present]
    if missing:
        raise LoadError(
            f"{path}: data.police.uk {kind} file is missing column(s): {', '.join(missing)} "
            f"(expected: {', '.join(c.name for c in layout.columns)})"
        )
    return kind


def load_police_uk(
    store: Store,
    paths: Sequence[str | Path],
    *,
    strict: bool = False,
    progress: ProgressFn | None = None,
    before_commit: Callable[[], None] | None = None,
    encoding: str | None = None,
) -> PoliceUkReport:
    """Load data.police.uk street and outcomes files (or folders of them) in one transaction,
    the tables and reference rows it adds to the store included."""
    t0 = time.perf_counter()
    step = progress or (lambda *_: None)
    street, outcomes, warnings = discover(paths, encoding)
    report = PoliceUkReport(
        street_files=[str(p) for p in street],
        outcomes_files=[str(p) for p in outcomes],
        warnings=warnings,
    )
    total = len(street) + len(outcomes)
    try:
        with Batch(store) as batch, batch.transaction(before_commit):
            ensure_tables(batch.con, SOURCE_REFERENCE + POLICE_UK_TABLES)
            s_shas = [file_sha256(p) for p in street]
            o_shas = [file_sha256(p) for p in outcomes]
            crimes_part = batch.part(POLICE_UK_CRIMES, street, s_shas)
            asb_part = batch.part(ASB_INCIDENTS, street, s_shas)
            events_part = batch.part(POLICE_UK_OUTCOME_EVENTS, outcomes, o_shas)
            # Each file is staged on its own (header check, ragged rows, row numbers), then all
            # files of a kind are transformed and validated together: a few queries per load
            # rather than per file.
            notes = report.notes
            stg_s, rej_s = _stage_all(batch, street, STREET_FILE, step, 0, total, notes, encoding)
            geo = _geography(batch, stg_s, report.warnings)
            for part, sql in (
                (crimes_part, _street_crimes_sql(stg_s, geo)),
                (asb_part, _street_asb_sql(stg_s, geo)),
            ):
                out = batch.temp_name("puk")
                batch.con.execute(f"CREATE TEMP TABLE {out} AS {sql}")
                # A row the reader could not split is quarantined once, with the crimes.
                batch.validate(part, out, rej_s if part is crimes_part else ())
                batch.con.execute(f"DROP TABLE {out}")
            batch.con.execute(f"DROP TABLE {stg_s}")
            stg_o, rej_o = _stage_all(
                batch, outcomes, OUTCOMES_FILE, step, len(street), total, notes, encoding
            )
            out = batch.temp_name("puk")
            batch.con.execute(f"CREATE TEMP TABLE {out} AS {_outcome_events_sql(stg_o)}")
            batch.validate(events_part, out, rej_o)
            batch.con.execute(f"DROP TABLE {out}; DROP TABLE {stg_o}")
            report.warnings += _unknown_values(batch)
            step("merging", total, total)
            for part in (crimes_part, asb_part, events_part):
                report.tables[part.table.name] = batch.merge(part, strict)
            step("deriving crimes", total, total)
            report.tables["crimes"] = derive_crimes(batch, strict, report.warnings)
            mark_unavailable(batch.con, "crimes", NOT_AVAILABLE, "data.police.uk")
    except Exception as exc:
        raise loader.engine_error([*street, *outcomes], exc) from exc
    report.seconds = time.perf_counter() - t0
    return report


# -- staging ---------------------------------------------------------------------------------------


def _stage_all(
    batch: Batch,
    files: Sequence[Path],
    layout: Table,
    step: ProgressFn,
    done: int,
    total: int,
    notes: list[str],
    encoding: str | None,
) -> tuple[str, list[tuple]]:
    """Stage every file of one layout into one temp table (``__file`` = index in ``files``);
    returns it and the rows the CSV reader could not split."""
    out = batch.temp_name("stg")
    cols = ", ".join(f"{q(c.name)} VARCHAR" for c in layout.columns)
    batch.con.execute(f"CREATE TEMP TABLE {out} ({cols}, __file INTEGER, __row BIGINT)")
    rejected: list[tuple] = []
    for i, p in enumerate(files):
        step(f"reading {p.name}", done + i, total)
        stg = batch.temp_name("stg")
        staged = loader._stage_file(
            batch.con, p, "csv", layout, stg, i, notes=notes, encoding=encoding
        )
        rejected += [(i, *x) for x in staged]
        batch.con.execute(f"INSERT INTO {out} SELECT * FROM {stg}; DROP TABLE {stg}")
    return out, rejected


def force_key(name: str | None) -> str:
    """A force's name without the words forces add to it, so that data.police.uk's
    'Cambridgeshire Constabulary' matches the geography's and Home Office's 'Cambridgeshire'."""
    words = re.sub(r"[^a-z ]", " ", (name or "").lower().replace("&", " and ")).split()
    drop = {"police", "constabulary", "service", "force", "of", "the"}
    return " ".join(w for w in words if w not in drop)


def _geography(batch: Batch, staged: str, warnings: list[str]) -> str:
    """A temp table (falls_within, district) of the districts each force in the staged street
    files owns. A force the geography table does not know is matched against every district in
    it (a single-force store needs nothing more) and a warning says so."""
    import pyarrow as pa

    con = batch.con
    rows = con.execute("SELECT force, district FROM geography").fetchall()
    by_force: dict[str, set[str]] = {}
    for force, district in rows:
        by_force.setdefault(force_key(force), set()).add(district)
    everything = {d for _, d in rows}
    sql = f"SELECT DISTINCT {_nz('Falls within')} FROM {staged}"
    names: set[str | None] = {r[0] for r in con.execute(sql).fetchall()}
    pairs: list[tuple[str | None, str]] = []
    unknown = []
    for name in sorted(names, key=lambda n: n or ""):
        districts = by_force.get(force_key(name))
        if districts is None:
            districts = everything
            unknown += [name] if name else []
        pairs += [(name, d) for d in sorted(districts)]
    if unknown:
        warnings.append(
            f"{len(unknown)} force(s) not in the store's geography table ({', '.join(unknown)}): "
            "their records are placed in the geography's districts where the LSOA lies in one, "
            f"else in '{OUTSIDE_FORCE}'; load a force's geography first for its own districts"
        )
    geo = batch.temp_name("geo")
    con.register(
        "geo_pairs",
        pa.table(
            {
                "falls_within": pa.array([a for a, _ in pairs], pa.string()),
                "district": pa.array([b for _, b in pairs], pa.string()),
            }
        ),
    )
    con.execute(f"CREATE TEMP TABLE {geo} AS SELECT * FROM geo_pairs")
    con.unregister("geo_pairs")
    return geo


def _month(col: str) -> str:
    # '2019-01' -> '2019-01-01'; anything else is left as it is so that validation rejects it
    # with the value the file gave.
    m = f"TRIM({q(col)})"
    ok = f"regexp_full_match({m}, '[0-9]{{4}}-[0-9]{{2}}')"
    return f"CASE WHEN {ok} THEN {m} || '-01' ELSE {m} END"


def _nz(col: str) -> str:
    return f"NULLIF(TRIM({q(col)}), '')"


def _district(geo: str) -> str:
    name = _nz("LSOA name")
    base = f"regexp_replace({name}, {lit(LSOA_SUFFIX)}, '')"
    return (
        f"CASE WHEN {name} IS NULL THEN {lit(NO_LOCATION)} "
        f"WHEN EXISTS (SELECT 1 FROM {geo} g WHERE g.falls_within IS NOT DISTINCT FROM "
        f"{_nz('Falls within')} AND g.district = {base}) THEN {base} "
        f"ELSE {lit(OUTSIDE_FORCE)} END"
    )


def _row_hash(cols: Sequence[str]) -> str:
    # Identifies a row that has no ID of its own. Not for security: md5 is a fast, stable
    # fingerprint. Empty fields are kept as '' so that field boundaries stay unambiguous.
    parts = ", ".join(f"coalesce({_nz(c)}, '')" for c in cols)
    return f"md5(concat_ws('|', {parts}))"


_PLACE = ("Falls within", "Month", "Longitude", "Latitude", "Location", "LSOA code", "Context")


def _street_crimes_sql(stg: str, geo: str) -> str:
    h = _row_hash((*_PLACE, "Crime type"))
    not_asb = f"{_nz('Crime type')} IS DISTINCT FROM {lit(ASB)}"
    # Identical rows without an ID (some forces publish crimes without one) are told apart by
    # their order of occurrence within the file, so the same file always gives the same IDs.
    synthetic = (
        f"SELECT __file, __row, 'noid-' || {h} || '-' || row_number() OVER (PARTITION BY "
        f"__file, {h} ORDER BY {_nz('Last outcome category')} NULLS FIRST, __row) AS sid "
        f"FROM {stg} WHERE {not_asb} AND {_nz('Crime ID')} IS NULL"
    )
    return (
        f"WITH noid AS ({synthetic}) "
        f"SELECT coalesce({_nz('Crime ID')}, noid.sid) AS crime_id, "
        f"{_month('Month')} AS month, "
        f"{q('Reported by')} AS reported_by, {q('Falls within')} AS falls_within, "
        f"{q('Longitude')} AS longitude, {q('Latitude')} AS latitude, "
        f"{q('Location')} AS location, {q('LSOA code')} AS lsoa_code, "
        f"{q('LSOA name')} AS lsoa_name, {q('Crime type')} AS crime_type, "
        f"{q('Last outcome category')} AS last_outcome_category, {q('Context')} AS context, "
        f"{_district(geo)} AS district, s.__file, s.__row FROM {stg} s "
        f"LEFT JOIN noid ON noid.__file = s.__file AND noid.__row = s.__row WHERE {not_asb}"
    )


def _street_asb_sql(stg: str, geo: str) -> str:
    h = _row_hash((*_PLACE, "Reported by"))
    return (
        f"SELECT 'asb-' || {h} || '-' || row_number() OVER (PARTITION BY __file, {h} "
        f"ORDER BY __row) AS asb_id, {_month('Month')} AS reported_at, "
        f"{_district(geo)} AS district, "
        f"{q('Reported by')} AS reported_by, {q('Falls within')} AS falls_within, "
        f"{q('Longitude')} AS longitude, {q('Latitude')} AS latitude, "
        f"{q('Location')} AS location, {q('LSOA code')} AS lsoa_code, "
        f"{q('LSOA name')} AS lsoa_name, {q('Context')} AS context, __file, __row FROM {stg} "
        f"WHERE {_nz('Crime type')} = {lit(ASB)}"
    )


def _outcome_events_sql(stg: str) -> str:
    # The outcomes file's location columns repeat the street file's and are not kept.
    return (
        f"SELECT {q('Crime ID')} AS crime_id, {_month('Month')} AS month, "
        f"{q('Outcome type')} AS outcome_category, {q('Reported by')} AS reported_by, "
        f"{q('Falls within')} AS falls_within, __file, __row FROM {stg}"
    )


def _unknown_values(batch: Batch) -> list[str]:
    """One warning per unknown crime type or outcome category: those rows are quarantined,
    never guessed; adding the category to the mapping and re-loading brings them in."""
    out = []
    checks = (
        ("police_uk_crimes", "crime_type", "police_uk_crime_types", "crime_type"),
        ("police_uk_crimes", "last_outcome_category", "police_uk_outcomes", "outcome_category"),
        ("police_uk_outcome_events", "outcome_category", "police_uk_outcomes", "outcome_category"),
    )
    for table, col, ref, ref_col in checks:
        part = batch.parts[table]
        for value, n in _values_outside(batch, part, col, ref, ref_col):
            out.append(
                f"{table}.{col}: unknown data.police.uk category {value!r} in {n:,} row(s): "
                f"quarantined, not guessed; map it in {ref}.csv and load again"
            )
    return out


def _values_outside(batch: Batch, part, col: str, ref: str, ref_col: str) -> list[tuple]:
    """Distinct values of a quarantined column that the reference table lacks, with counts."""
    import json

    counts: dict[str, int] = {}
    known = {r[0] for r in batch.con.execute(f"SELECT {q(ref_col)} FROM {q(ref)}").fetchall()}
    for _f, _r, fields, _why, record in part.quarantine:
        if col not in fields.split(","):
            continue
        try:
            value = json.loads(record).get(col)
        except (TypeError, ValueError):
            continue
        if value is not None and value.strip() and value.strip() not in known:
            counts[value.strip()] = counts.get(value.strip(), 0) + 1
    return sorted(counts.items())
