"""The Home Office and ONS tables behind the national context, read as Ibis expressions so that
they come the same way from DuckDB, Spark or a force's database (``forcestat load --format
home-office`` loads them). What the figures mean, and how they are compared, is the engine's
(``engine.national``); this module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .schema import LAD_PFA, POLICE_FORCE_AREAS
from .sources.police_uk import force_key
from .store import reference_rows

RECORDED = "ho_recorded_crime"
OUTCOMES = "ho_outcomes"
POPULATION = "ons_population"


class NationalContextError(LookupError):
    """The store lacks what the national context needs (the message says what to load)."""


@dataclass
class NationalTables:
    """What the national context reads, keyed by ``force_key`` of each force's name."""

    recorded: dict[tuple[str, str], float]  # (force key, 'YYYY/YY') -> crimes recorded
    financial_years: list[str]
    territorial: dict[str, str]  # force key -> name, the 43 territorial forces
    charges: dict[tuple[str, str], float] | None = None  # outcome type 1, all offences
    population: dict[tuple[str, int], float] | None = None  # (LAD code, mid-year) -> residents
    lad_force: list[tuple[str, str]] = field(default_factory=list)  # (LAD code, force name)
    geography_forces: list[str] = field(default_factory=list)
    geography_lads: list[tuple[str, str]] = field(default_factory=list)  # (force, LAD code)


def _backend(store: Any) -> Any:
    return getattr(store, "ibis", store)


def _rows(expr: Any) -> list[dict[str, Any]]:
    return expr.to_pyarrow().to_pylist()


def read_national(store: Any) -> NationalTables:
    """Read the tables from a ``Store`` or any Ibis backend; ``NationalContextError`` when the
    recorded crime table is missing."""
    backend = _backend(store)
    tables = set(backend.list_tables())
    if RECORDED not in tables:
        raise NationalContextError(
            "the store has no Home Office recorded crime table: load it with "
            "`forcestat load --format home-office FILE...`"
        )
    rc = backend.table(RECORDED)
    recorded: dict[tuple[str, str], float] = {}
    for r in _rows(rc.select("force", "fy", "recorded_crime")):
        if r["recorded_crime"] is not None:
            recorded[(force_key(r["force"]), r["fy"])] = float(r["recorded_crime"])
    if POLICE_FORCE_AREAS.name in tables:
        names = [r["pfa_name"] for r in _rows(backend.table(POLICE_FORCE_AREAS.name))]
    else:
        names = [r["pfa_name"] for r in reference_rows(POLICE_FORCE_AREAS.name)]
    out = NationalTables(
        recorded=recorded,
        financial_years=sorted({fy for _, fy in recorded}),
        territorial={force_key(n): n for n in names},
    )
    if OUTCOMES in tables:
        t = backend.table(OUTCOMES)
        out.charges = {
            (force_key(r["force"]), r["fy"]): float(r["closed_all_t1"])
            for r in _rows(t.select("force", "fy", "closed_all_t1"))
            if r["closed_all_t1"] is not None
        }
    if POPULATION in tables:
        t = backend.table(POPULATION)
        out.population = {
            (r["ladcode19"], int(r["year"])): float(r["population"])
            for r in _rows(t.select("ladcode19", "year", "population"))
        }
    if LAD_PFA.name in tables:
        pairs = [(r["lad_code"], r["pfa_name"]) for r in _rows(backend.table(LAD_PFA.name))]
    else:
        pairs = [(r["lad_code"], r["pfa_name"]) for r in reference_rows(LAD_PFA.name)]
    out.lad_force = pairs
    if "geography" in tables:
        geo = _rows(backend.table("geography").select("force", "lad_code"))
        out.geography_forces = sorted({r["force"] for r in geo if r["force"] is not None})
        out.geography_lads = [(r["force"], r["lad_code"]) for r in geo if r["lad_code"]]
    return out
