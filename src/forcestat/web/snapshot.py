"""What the server serves, read from the store into memory: the served rows of one framework,
the geography, the users and their token hashes.

Requests filter small in-memory partitions (a period's rows of an edition, a measure's
series), not a database: no query is planned per request. The server holds no connection to
the store while it runs (a DuckDB file takes one writer
process, and loads and refreshes must go on while the server serves). It reads the store once
at start, then whenever the file changes (checked every ``poll`` seconds by its size and
modification time), with a short read-only connection; while the store is locked by a load the
rows already in memory go on being served and the read is tried again at the next check. A new
set of rows replaces the old one whole: a request sees one snapshot, never a mixture.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from forcestat.period import Period
from forcestat.store import served, users

log = logging.getLogger("forcestat.web")


class NotRefreshed(LookupError):
    """The store holds no served rows for the framework: ``forcestat refresh`` first."""


@dataclass
class Part:
    """Rows served together (one edition's period, one measure's series): an Arrow table of
    exactly the served columns, and key columns as arrays for quick filtering."""

    table: pa.Table
    keys: dict[str, np.ndarray]

    @classmethod
    def of(cls, frame: pd.DataFrame, keys: tuple[str, ...], drop: tuple[str, ...] = ()) -> Part:
        frame = frame.reset_index(drop=True)
        arrays = {k: frame[k].astype(object).to_numpy() for k in keys if k in frame.columns}
        if "breakdown" in arrays and "unit" in arrays:
            arrays["_key"] = np.array(
                [f"{b}\x1f{u}" for b, u in zip(arrays["breakdown"], arrays["unit"], strict=True)],
                dtype=object,
            )
        kept = frame.drop(columns=[c for c in drop if c in frame.columns])
        # NaN becomes null on the way (Arrow's reading of pandas): JSON has no NaN.
        return cls(pa.Table.from_pandas(kept, preserve_index=False), arrays)


def _parts(
    frame: pd.DataFrame, by: list[str], keys: tuple[str, ...], drop_of: Callable[[tuple], tuple]
) -> dict[tuple, Part]:
    if frame.empty:
        return {}
    out = {}
    for key, at in frame.groupby(by, sort=True, observed=True).indices.items():
        key = key if isinstance(key, tuple) else (key,)
        out[tuple(str(k) for k in key)] = Part.of(frame.iloc[at], keys, drop_of(key))
    return out


@dataclass
class Snapshot:
    """The served rows in memory, partitioned the way requests read them: results and findings
    by (edition, period), series by measure."""

    framework_hash: str
    snapshot: str
    refreshed_at: str
    results: dict[tuple, Part]  # (edition, period) -> rows
    series: dict[tuple, Part]  # (measure_id,) -> rows
    statements: dict[tuple, Part]  # (edition, period) -> rows
    areas: dict[str, str]  # district -> area
    users: dict[str, users.User]
    tokens: dict[str, str]  # token sha256 -> user name
    measures: list[dict[str, Any]] = field(default_factory=list)  # the framework, for /measures
    # The dashboard's: CompStat counts by end date, the supervisors' daily list (one part,
    # keyed by district as ``breakdown``/``unit`` so that scopes filter it like results).
    compstat: dict[tuple, Part] = field(default_factory=dict)  # (end_date,) -> rows
    mi: Part | None = None
    mi_as_at: str | None = None
    # data.police.uk stores: crime locations (longitude, latitude) of the last 12 months, for
    # the hexbin map, each crime's district (a commander's map shows their own), and the months
    # they span.
    points: Any = None
    point_districts: Any = None
    points_span: str = ""

    @property
    def periods(self) -> dict[str, list[str]]:
        """edition -> the periods with results."""
        out: dict[str, list[str]] = {}
        for edition, period in sorted(self.results):
            out.setdefault(edition, []).append(period)
        return out


RESULT_KEYS = ("measure_id", "breakdown", "unit", "window")


def _read(path: str, framework: Any) -> Snapshot:
    from forcestat.store.connection import duckdb_path

    con = duckdb.connect(duckdb_path(path), read_only=True)
    try:
        st = served.state(con, framework.hash)
        if st is None:
            raise NotRefreshed(
                f"{path}: no served rows for framework {framework.hash}: "
                "run `forcestat refresh --store ...` first"
            )
        results = served.read(con, "served_results", framework.hash)
        series = served.read(con, "served_series", framework.hash)
        statements = served.read(con, "served_statements", framework.hash)
        geo = con.execute("SELECT district, area, force FROM geography").fetchall()
        people = users.all_users(con)
        tokens = users.tokens(con)
        compstat, mi = (
            _optional(con, "served_compstat", framework),
            _optional(con, "served_mi", framework),
        )
        points, point_districts, points_span = crime_locations(con)
    finally:
        con.close()
    # The Board edition has no disclosure decisions to show.
    board_drop = ("disclosure", "previous_disclosure")
    results = results.sort_values(["measure_id", "breakdown", "unit", "window"], kind="stable")
    series = series.sort_values(["breakdown", "unit", "month"], kind="stable")
    statements = statements.sort_values(["measure_id", "seq"], kind="stable")
    statements["units"] = [
        [{"breakdown": b, "unit": u} for b, u in json.loads(x or "[]")] for x in statements["units"]
    ]
    forces = {f for _, _, f in geo}
    # Area labels as measure_results names them: "North", or "Force / North" with several forces.
    label = (lambda a, f: a) if len(forces) <= 1 else (lambda a, f: f"{f} / {a}")
    return Snapshot(
        framework_hash=framework.hash,
        snapshot=str(st["snapshot"]),
        refreshed_at=str(st["refreshed_at"]),
        results=_parts(
            results,
            ["edition", "period_end"],
            RESULT_KEYS,
            lambda k: ("edition", *board_drop) if k[0] == "board" else ("edition",),
        ),
        series=_parts(
            series, ["measure_id"], ("breakdown", "unit", "disclosive"), lambda k: ("disclosive",)
        ),
        statements=_parts(
            statements,
            ["edition", "period_end"],
            ("measure_id", "units", "text"),
            lambda k: ("edition",),
        ),
        areas={str(d): label(str(a), str(f)) for d, a, f in geo},
        users={u.name: u for u in people},
        tokens=tokens,
        measures=describe_measures(framework, results),
        compstat=_parts(
            compstat,
            ["end_date"],
            ("source", "window", "breakdown", "unit", "category"),
            lambda k: ("end_date",),
        ),
        mi=_mi_part(mi),
        mi_as_at=None if mi.empty else str(mi["as_at"].iloc[0]),
        points=points,
        point_districts=point_districts,
        points_span=points_span,
    )


def crime_locations(con: Any) -> tuple[Any, Any, str]:
    """(longitude-latitude array, district of each, "April 2019 to March 2020": the months they
    span) of the crimes of a data.police.uk store's last 12 months of street files that have a
    published location;
    (None, None, "") for a store without them. The locations are data.police.uk's anonymised
    points, already public; districts are those of the crimes derived from them."""
    has = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
        ["police_uk_crimes"],
    ).fetchone()[0]
    if not has:
        return None, None, ""
    last = con.execute(
        "SELECT max(month) FROM police_uk_crimes "
        "WHERE longitude IS NOT NULL AND latitude IS NOT NULL"
    ).fetchone()[0]
    if last is None:
        return None, None, ""
    end = Period.parse(f"{last:%Y-%m}")
    first = Period.from_index(end.index - 11)
    got = con.execute(
        "SELECT p.longitude, p.latitude, c.district, p.month FROM police_uk_crimes p "
        "JOIN crimes c ON c.crime_id = p.crime_id "
        "WHERE p.longitude IS NOT NULL AND p.latitude IS NOT NULL "
        "AND p.month >= ? AND p.month <= ?",
        [date(first.year, first.month, 1), date(end.year, end.month, 1)],
    ).fetchnumpy()
    if len(got["longitude"]) == 0:
        return None, None, ""
    points = np.column_stack([got["longitude"], got["latitude"]]).astype(float)
    districts = np.asarray(got["district"], dtype=object)
    earliest = min(got["month"]).astype("datetime64[M]").astype(int)  # months since 1970-01
    first = Period.from_index(max(first.index, 1970 * 12 + int(earliest)))
    span = end.month_name if first == end else f"{first.month_name} to {end.month_name}"
    return points, districts, span


def _optional(con: Any, table: str, framework: Any) -> pd.DataFrame:
    """A served table a store refreshed by an earlier version may lack: empty then."""
    try:
        return served.read(con, table, framework.hash)
    except served.ServedError:
        return pd.DataFrame()


def _mi_part(mi: pd.DataFrame) -> Part | None:
    if mi.empty:
        return None
    mi = mi.sort_values(["district", "team", "officer"], kind="stable")
    keyed = mi.assign(breakdown="district", unit=mi["district"])
    return Part.of(keyed, ("breakdown", "unit", "team", "officer"), ("breakdown", "unit", "as_at"))


def describe_measures(framework: Any, results: pd.DataFrame) -> list[dict[str, Any]]:
    """The framework's measures as the API lists them, with whether the store's rows hold any
    (a measure the data cannot support has none)."""
    have = set(results["measure_id"].astype(str)) if len(results) else set()
    priority: dict[str, list[str]] = {}
    for area in getattr(framework, "priority_areas", ()):
        for mid in area.measures:
            priority.setdefault(mid, []).append(area.id)
    out = []
    for m in framework.measures:
        out.append(
            {
                "id": m.id,
                "title": m.title,
                "kind": m.kind,
                "polarity": m.polarity,
                "theme": m.theme,
                "description": m.description,
                "priority_areas": priority.get(m.id, []),
                "table": m.table,
                "breakdowns": [
                    "force",
                    *(("area", "district") if m.geography else ()),
                    *m.breakdowns,
                ],
                "windows": list(m.windows_in(framework.settings)),
                "comparators": list(m.comparators_in(framework.settings)),
                "available": m.id in have,
            }
        )
    return json.loads(json.dumps(out, default=str))


class SnapshotHolder:
    """The current snapshot, re-read when the store file changes."""

    def __init__(self, store_path: str, framework: Any, poll: float = 1.0):
        from forcestat.store.connection import duckdb_path

        self.path = duckdb_path(store_path)
        self.framework = framework
        self.poll = poll
        self._stamp = self._file_stamp()
        self.current: Snapshot = _read(self.path, framework)
        self._listeners: list[Callable[[Snapshot], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _file_stamp(self) -> tuple:
        out = []
        for p in (Path(self.path), Path(self.path + ".wal")):
            try:
                s = os.stat(p)
                out.append((s.st_mtime_ns, s.st_size))
            except FileNotFoundError:
                out.append(None)
        return tuple(out)

    def on_change(self, fn: Callable[[Snapshot], None]) -> None:
        self._listeners.append(fn)

    def check(self) -> bool:
        """Re-read the store if its file changed; True when a new snapshot is in."""
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return False
        try:
            snap = _read(self.path, self.framework)
        except (duckdb.IOException, duckdb.TransactionException) as exc:
            # A load or refresh holds the store: keep serving what we have, try again.
            log.info("store busy, keeping the served rows: %s", str(exc).splitlines()[0])
            return False
        except NotRefreshed as exc:
            log.warning("%s", exc)
            self._stamp = stamp
            return False
        self.current = snap
        self._stamp = stamp
        for fn in self._listeners:
            fn(snap)

        return True

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.wait(self.poll):
                try:
                    self.check()
                except Exception:
                    log.exception("re-reading the store failed; serving the rows already read")

        self._thread = threading.Thread(target=loop, name="forcestat-snapshot", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
