"""Entry point: generate the demo force into a store, or a national Parquet set.

The demo force is written straight into the store's tables (one transaction, with lineage
``source_file = 'synth:seed=<seed>,end=<end>,years=<years>'``, the row number, the load time
and a load id, plus a row per table in ``loads`` whose ``file_sha256`` is the hash of the
table's contents). The loader is not used for the demo because validating ~4 million rows
through it takes ~40 s; the tests load generated Parquet through it instead and require zero
rejections.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pyarrow as pa

from ..store.schema import CANONICAL
from . import columns as C
from .audits import generate_audits
from .calendar import Period
from .calls import generate_calls
from .courts import generate_courts
from .crimes import generate_crimes
from .force import ForceSpec
from .incidents import generate_incidents
from .missing import generate_missing
from .people import assign_people
from .safeguarding import generate_safeguarding
from .streams import stream
from .surveys import generate_surveys
from .thrive import generate_thrive
from .victims import generate_civil_orders, generate_contacts, generate_referrals
from .workload import generate_workload

TABLES = tuple(t.name for t in CANONICAL)


def generate_force(
    force: ForceSpec,
    period: Period,
    seed: int,
    tables: tuple[str, ...] = TABLES,
    sink: Callable[[str, pa.Table], None] | None = None,
    storylines: bool = True,
) -> dict[str, pa.Table]:
    """All tables of one force. Each table draws from its own stream (keyed by force and
    table), so asking for fewer tables, or adding one, leaves the others' contents unchanged.
    With ``sink`` each table is handed over as soon as it is made and not kept.

    ``storylines=False`` generates a null force (``ForceSpec.storylines``): no storyline, no
    lockdown, flat levels and rates with only seasonality and sampling noise, survey answers
    drawn at random; for false-alarm studies (benchmarks/calibration.py)."""
    if not storylines:
        force = dataclasses.replace(force, storylines=False)
    out: dict[str, pa.Table] = {}

    def emit(name: str, make: Callable[[], pa.Table]) -> None:
        if name not in tables:
            return
        tbl = make()
        if sink is None:
            out[name] = tbl
        else:
            sink(name, tbl)

    def rng(name: str) -> np.random.Generator:
        return stream(seed, force.slug, name)

    crimes = generate_crimes(force, period, rng("crimes"))
    crimes.people = assign_people(crimes, rng("people"))
    wanted = set(tables)
    emit("crimes", crimes.to_arrow)
    # Tables that later ones read are kept until those are made (THRIVE reads the incidents;
    # the audits read THRIVE, the Victims Code contacts and the safeguarding referrals).
    incidents = contacts = thrive = safeguarding = None
    if wanted & {"incidents", "thrive_assessments", "audits"}:
        incidents = generate_incidents(crimes, period, rng("incidents"))
        emit("incidents", lambda: incidents)
    emit("calls", lambda: generate_calls(force, period, rng("calls")))
    emit("survey_responses", lambda: generate_surveys(crimes, period, rng("survey_responses")))
    if wanted & {"victim_contacts", "audits"}:
        contacts = generate_contacts(crimes, period, rng("victim_contacts"))
        emit("victim_contacts", lambda: contacts)
    referrals, alliance = generate_referrals(crimes, period, rng("referrals"))
    emit("referrals", lambda: referrals)
    emit(
        "civil_orders",
        lambda: generate_civil_orders(crimes, period, rng("civil_orders"), alliance),
    )
    emit("missing_persons", lambda: generate_missing(force, period, rng("missing_persons")))
    emit("workload_snapshots", lambda: generate_workload(crimes, period, rng("workload")))
    if wanted & {"thrive_assessments", "audits"}:
        thrive = generate_thrive(crimes, period, rng("thrive_assessments"), incidents)
        emit("thrive_assessments", lambda: thrive)
    if wanted & {"safeguarding_referrals", "audits"}:
        safeguarding = generate_safeguarding(
            crimes, period, rng("safeguarding_referrals"), referrals
        )
        emit("safeguarding_referrals", lambda: safeguarding)
    emit("court_cases", lambda: generate_courts(crimes, period, rng("court_cases")))
    emit(
        "audits",
        lambda: generate_audits(crimes, period, rng("audits"), thrive, contacts, safeguarding),
    )
    return out


def table_sha256(tbl: pa.Table) -> str:
    """Content hash of a table (Arrow IPC bytes of the contiguous table): equal for equal
    contents, however the table happens to be chunked."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, tbl.schema) as w:
        w.write_table(tbl.combine_chunks())
    return hashlib.sha256(sink.getvalue()).hexdigest()


def source_label(seed: int, end: str, years: int, storylines: bool = True) -> str:
    label = f"synth:seed={seed},end={end},years={years}"
    return label if storylines else label + ",storylines=off"


class StoreWriter:
    """Inserts generated tables into a store in one transaction, on a background thread so
    that DuckDB compresses one table while numpy generates the next (DuckDB releases the GIL).
    Earlier synthetic rows (``source_file`` 'synth:...') are replaced; other rows are kept."""

    def __init__(self, store_url: str, source: str):
        from ..store.store import open_store

        self.store = open_store(store_url)
        self.source = source
        self.load_id = uuid.uuid4().hex[:16]
        self.counts: dict[str, int] = {}
        self.pool = ThreadPoolExecutor(max_workers=1)
        self.pending: list[Future] = []
        self.store.duck.execute("BEGIN TRANSACTION")

    def submit(self, name: str, tbl: pa.Table) -> None:
        self.pending.append(self.pool.submit(self._insert, name, tbl))

    def _insert(self, name: str, tbl: pa.Table) -> None:
        con = self.store.duck
        n = tbl.num_rows
        digest = table_sha256(tbl)
        tbl = tbl.append_column("source_file", C.repeat(self.source, n))
        tbl = tbl.append_column("source_row", pa.array(np.arange(1, n + 1, dtype=np.int64)))
        # Batches of one DuckDB row group let the insert use both cores.
        tbl = pa.Table.from_batches(tbl.to_batches(max_chunksize=122_880), tbl.schema)
        con.execute(f"DELETE FROM \"{name}\" WHERE source_file LIKE 'synth:%'")
        view = f"synth_new_{name}"
        con.register(view, tbl)
        cols = ", ".join(f'"{c}"' for c in tbl.column_names)
        con.execute(
            f'INSERT INTO "{name}" ({cols}, loaded_at, load_id) '
            f"SELECT {cols}, now()::TIMESTAMP, ? FROM {view}",
            [self.load_id],
        )
        con.unregister(view)
        con.execute(
            "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, now(), now())",
            [
                self.load_id,
                name,
                self.source,
                digest,
                n,
                n,
            ],
        )
        self.counts[name] = n

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        con = self.store.duck
        try:
            for f in self.pending:
                if exc_type is None:
                    f.result()  # re-raises an insert failure
                else:
                    f.exception()
            con.execute("COMMIT" if exc_type is None else "ROLLBACK")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            self.pool.shutdown()
            self.store.close()
