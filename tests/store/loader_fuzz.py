"""Property-based fuzzing of the loader (issue #19, item 7), shared by the bounded test
(tests/store/test_fuzz_loader.py) and the long campaign (scripts/fuzz.sh).

A valid ``crimes`` file is damaged in ways real extracts are (bad lines, blank lines, mixed line
endings, trailing garbage, padded or repeated header names, questionable values, other
encodings, compression, truncation, Parquet) and loaded, plain and ``--strict``, into a copy of
a store that already holds data. Invariants, for every input:

- the load succeeds or raises ``LoadError`` (``StrictLoadError`` for a strict refusal): nothing
  else, so the command line never shows a traceback;
- a load that is refused or fails leaves every table exactly as it was;
- every row left intact by the damage is stored with its values unchanged and its ``source_row``
  equal to its line in the damaged file minus one; no row given a questionable value is stored;
- every row read is accounted for once (inserted, replaced, unchanged, duplicate, superseded or
  quarantined);
- loading the same file again changes nothing.

    python tests/store/loader_fuzz.py --examples 10000     # the long campaign, with figures
"""

from __future__ import annotations

import argparse
import codecs
import gzip
import io
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forcestat.store.csvread import read_csv
from forcestat.store.loader import LoadError, StrictLoadError, _parquet_names, load_files
from forcestat.store.store import open_store

COLUMNS = [
    "crime_id",
    "reported_at",
    "recorded_at",
    "offence_code",
    "district",
    "domestic_abuse",
    "outcome_type",
    "outcome_at",
    "cchi_days",
    "supervisory_unit",
]
DISTRICTS = ["Cambridge", "Fenland", "Peterborough", "Huntingdonshire"]
N_ROWS = 24

# Values the data model refuses, each for the column it is put in.
BAD_VALUES = {
    "cchi_days": ["NaN", "Infinity", "-inf", "1e400", "abc"],
    "domestic_abuse": ["2", "-1", "maybe", "1.0"],
    "outcome_type": ["1.7", "1e1", "0x1", "99"],
    "reported_at": [
        "-2019-04-01",
        "0001-01-01",
        "294247-01-10",
        "2020-04-01 24:00:00",
        "epoch",
        "infinity",
        "2020-04-01 10:00:00+01:00",
        "2020-04-01T10:00:00Z",
        "2020-02-30",
        "1899-12-31",
        "2200-01-01",
    ],
    "district": ["Peterborou\x00gh", "Fen'land", "'; DROP TABLE crimes; --", 'Cambridge"'],
}


def base_rows() -> list[dict[str, str]]:
    rows = []
    for i in range(N_ROWS):
        day = 1 + i % 27
        outcome = i % 3 == 0
        rows.append(
            {
                "crime_id": f"F{i:03d}",
                "reported_at": f"2020-02-{day:02d} 0{i % 10}:15:00",
                "recorded_at": f"2020-02-{day:02d} 1{i % 10}:30:00",
                "offence_code": ["46", "28E", "8N", "58A"][i % 4],
                "district": DISTRICTS[i % len(DISTRICTS)],
                "domestic_abuse": ["true", "false", "", "1", "0"][i % 5],
                "outcome_type": "1" if outcome else "",
                "outcome_at": f"2020-03-{day:02d}" if outcome else "",
                "cchi_days": ["", "2.5", "0"][i % 3],
                # Some text beyond ASCII, and text that needs quoting in CSV.
                "supervisory_unit": ["CID", "Équipe Nord", "IMU, East", 'NPT "B"'][i % 4],
            }
        )
    return rows


def csv_line(row: dict[str, str]) -> str:
    out = []
    for c in COLUMNS:
        v = row[c]
        out.append('"' + v.replace('"', '""') + '"' if any(x in v for x in ',"\r\n') else v)
    return ",".join(out)


@dataclass
class Damage:
    """A damaged file and what the loader must do with it."""

    data: bytes
    suffix: str = ".csv"
    encoding: str | None = None
    intact: dict[int, dict[str, str]] = field(default_factory=dict)  # source_row -> row
    refused_ids: set[str] = field(default_factory=set)  # must not be stored
    must_fail: bool = False  # the whole file is an error
    kinds: list[str] = field(default_factory=list)


garbage = st.one_of(
    st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b and b"\r" not in b),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
        min_size=1,
        max_size=40,
    ).map(lambda t: t.encode("utf-8")),
    st.sampled_from([b"\x00\x01\x02", b'"unterminated', b",,,,", b"   ", b"Z1,2020-01-01"]),
)


@st.composite
def damaged_files(draw) -> Damage:
    rows = base_rows()
    lines: list[tuple[bytes, dict[str, str] | None]] = []
    refused: set[str] = set()
    kinds: list[str] = []
    header = list(COLUMNS)
    if draw(st.booleans()):
        pad = draw(st.sampled_from([" ", "  ", "\t"]))
        header = [pad + h + pad if draw(st.booleans()) else h for h in header]
        kinds.append("padded header")
    duplicate = draw(st.integers(0, 9)) == 0
    if duplicate:
        header.append(COLUMNS[draw(st.integers(0, len(COLUMNS) - 1))])
        kinds.append("repeated header name")
    mutated: list[dict[str, str]] = []
    for row in rows:
        r = dict(row)
        mutated.append(r)
        if draw(st.integers(0, 7)) == 0:
            col = draw(st.sampled_from(sorted(BAD_VALUES)))
            r[col] = draw(st.sampled_from(BAD_VALUES[col]))
            refused.add(r["crime_id"])
            kinds.append("bad value")
            text = csv_line(r).encode("utf-8")
            if duplicate:
                text += b","
            lines.append((text, None))
        else:
            text = csv_line(r).encode("utf-8")
            if duplicate:
                text += b","
            lines.append((text, r))
        while draw(st.integers(0, 9)) == 0:
            what = draw(st.sampled_from(["blank", "garbage", "ragged"]))
            kinds.append(what)
            if what == "blank":
                lines.append((b"", None))
            elif what == "garbage":
                lines.append((draw(garbage), None))
            else:
                lines.append((",".join(csv_line(row).split(",")[:3]).encode("utf-8"), None))
    if draw(st.integers(0, 5)) == 0:
        lines.append((draw(garbage), None))
        kinds.append("trailing garbage")
    ends = draw(st.sampled_from(["lf", "crlf", "mixed", "cr"]))
    kinds.append(ends)
    out = io.BytesIO()
    intact: dict[int, dict[str, str]] = {}
    all_lines = [(",".join(header).encode("utf-8"), None), *lines]
    for i, (text, row) in enumerate(all_lines):
        if ends == "lf":
            eol = b"\n"
        elif ends == "crlf":
            eol = b"\r\n"
        elif ends == "cr":
            eol = b"\r"
        else:
            eol = draw(st.sampled_from([b"\n", b"\r\n"]))
        last = i == len(all_lines) - 1
        if last and draw(st.booleans()):
            eol = b""
        out.write(text + eol)
        if row is not None:
            intact[i] = row
    data = out.getvalue()
    # A quote in a line of garbage may open a quoted value that runs on to a later quote: the
    # lines it swallows are that record's (CSV cannot tell), so rows after it are not checked.
    quoted = [i for i, (text, row) in enumerate(all_lines) if row is None and b'"' in text]
    if quoted:
        intact = {k: v for k, v in intact.items() if k < quoted[0]}
        kinds.append("quote in garbage")
    dmg = Damage(data, intact=intact, refused_ids=refused, kinds=kinds, must_fail=duplicate)
    form = draw(
        st.sampled_from(
            ["plain"] * 6
            + ["utf16", "latin1", "gzip", "truncated gzip"] * 2
            + ["parquet", "truncated parquet"]
        )
    )
    kinds.append(form)
    if duplicate and form.startswith(("parquet", "truncated parquet")):
        form = "plain"
    if form == "utf16":
        dmg.data = (
            codecs.BOM_UTF16_LE
            + data.decode("utf-8", "surrogateescape").encode("utf-16-le", "surrogatepass")
            if _decodes(data)
            else data
        )
    elif form == "latin1":
        if _decodes(data) and all(_latin1(r) for r in intact.values()):
            dmg.data = data.decode("utf-8").encode("latin-1", "replace")
            dmg.encoding = "latin-1"
        else:
            # Read as UTF-8 anyway: rows with text beyond ASCII are quarantined, not lost.
            dmg.data = (
                data.decode("utf-8", "surrogateescape").encode("latin-1", "replace")
                if _decodes(data)
                else data
            )
            dmg.intact = {k: v for k, v in intact.items() if _ascii(v)}
    elif form == "gzip":
        dmg.data, dmg.suffix = gzip.compress(data), ".csv.gz"
    elif form == "truncated gzip":
        packed = gzip.compress(data)
        cut = draw(st.integers(10, max(10, len(packed) - 9)))
        dmg.data, dmg.suffix, dmg.must_fail = packed[:cut], ".csv.gz", True
    elif form in ("parquet", "truncated parquet"):
        dmg.data, dmg.suffix = _parquet(mutated), ".parquet"
        dmg.intact = {i + 1: r for i, r in enumerate(mutated) if r["crime_id"] not in refused}
        if form == "truncated parquet":
            cut = draw(st.integers(0, len(dmg.data) - 1))
            dmg.data, dmg.must_fail = dmg.data[:cut], True
    return dmg


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _ascii(row: dict[str, str]) -> bool:
    return all(v.isascii() for v in row.values())


def _latin1(row: dict[str, str]) -> bool:
    try:
        "".join(row.values()).encode("latin-1")
        return True
    except UnicodeEncodeError:
        return False


def _parquet(rows: list[dict[str, str]]) -> bytes:
    cols = {c: [r[c] or None for r in rows] for c in COLUMNS}
    buf = pa.BufferOutputStream()
    pq.write_table(pa.table({c: pa.array(v, pa.string()) for c, v in cols.items()}), buf)
    return buf.getvalue().to_pybytes()


# -- running ---------------------------------------------------------------------------------


class Harness:
    """A template store holding other data; each input is loaded into a fresh copy."""

    def __init__(self, root: Path):
        self.root = root
        self.template = root / "template.duckdb"
        base = root / "baseline.csv"
        base.write_text(
            "crime_id,reported_at,recorded_at,offence_code,district\n"
            + "".join(f"B{i},2019-05-01,2019-05-01,46,Cambridge\n" for i in range(20))
        )
        st_ = open_store(str(self.template))
        load_files(st_, "crimes", [base])
        st_.close()
        self.n = 0
        self.stats: Counter[str] = Counter()

    def check(self, dmg: Damage, load: bool = True) -> None:
        """Every input goes through the file reader; with ``load`` also through whole loads
        (plain, again, strict) into a copy of the template store."""
        self.n += 1
        work = self.root / f"w{self.n}"
        work.mkdir()
        try:
            self.stats["inputs"] += 1
            self._check_reader(dmg, work)
            if load:
                self._check(dmg, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _check_reader(self, dmg: Damage, work: Path) -> None:
        f = work / f"read{dmg.suffix}"
        f.write_bytes(dmg.data)
        if dmg.suffix == ".parquet":
            try:
                names = _parquet_names(f)
                assert not dmg.must_fail and [n.strip() for n in names] == COLUMNS
            except LoadError:
                assert dmg.must_fail, "a whole Parquet file refused"
                self.stats["files refused by the reader"] += 1
            return
        self.stats["files read"] += 1
        try:
            data = read_csv(f, COLUMNS, dmg.encoding)
        except LoadError:
            assert dmg.must_fail or not dmg.intact, f"file with valid rows refused {dmg.kinds}"
            self.stats["files refused by the reader"] += 1
            return
        assert not dmg.must_fail, f"read a file that must be refused: {dmg.kinds}"
        got = {r["__row"]: r for r in data.table.to_pylist()}
        bad_rows = {b[0] for b in data.bad}
        assert not bad_rows & set(got), "a row both read and rejected"
        for source_row, row in dmg.intact.items():
            assert got.get(source_row) is not None, f"row {source_row} lost {dmg.kinds}"
            for c in COLUMNS:
                assert got[source_row][c] == row[c], (source_row, c, got[source_row], row)
            self.stats["valid rows read exactly"] += 1

    def _check(self, dmg: Damage, work: Path) -> None:
        db = work / "store.duckdb"
        shutil.copy(self.template, db)
        f = work / f"crimes{dmg.suffix}"
        f.write_bytes(dmg.data)
        store = open_store(str(db))
        try:
            before = snapshot(store)
            self.stats["files loaded"] += 1
            try:
                rep = load_files(store, "crimes", [f], encoding=dmg.encoding)
            except LoadError:
                assert snapshot(store) == before, "a refused load changed the store"
                assert dmg.must_fail or not dmg.intact, f"file with valid rows refused {dmg.kinds}"
                self.stats["files refused"] += 1
                return
            assert not dmg.must_fail, f"loaded a file that must be refused: {dmg.kinds}"
            self.stats["loads"] += 1
            accounted = (
                rep.inserted
                + rep.replaced
                + rep.unchanged
                + rep.duplicates
                + rep.superseded
                + rep.quarantined
            )
            assert accounted == rep.rows_read, rep
            self.stats["rows read"] += rep.rows_read
            self.stats["rows quarantined"] += rep.quarantined
            stored = {
                r[0]: r
                for r in store.duck.execute(
                    "SELECT crime_id, strftime(reported_at, '%Y-%m-%d %H:%M:%S'), district, "
                    "supervisory_unit, source_row, cchi_days FROM crimes WHERE load_id = ?",
                    [rep.load_id],
                ).fetchall()
            }
            for source_row, row in dmg.intact.items():
                got = stored.get(row["crime_id"])
                assert got is not None, f"valid row lost: {row['crime_id']} {dmg.kinds}"
                assert got[1] == row["reported_at"], (got, row)
                assert got[2] == row["district"] and got[3] == row["supervisory_unit"], (got, row)
                if row["cchi_days"]:
                    assert got[5] == float(row["cchi_days"]), (got, row)
                assert got[4] == source_row, f"source_row {got[4]} != {source_row} {dmg.kinds}"
                self.stats["valid rows checked"] += 1
            for cid in dmg.refused_ids:
                assert cid not in stored, f"a questionable value was stored: {cid}"
                self.stats["bad values refused"] += 1
            after = snapshot(store)
            again = load_files(store, "crimes", [f], encoding=dmg.encoding)
            assert again.inserted == 0 and again.replaced == 0, again
            after_again = snapshot(store)
            assert _counts(after_again) == _counts(after), "re-load changed the store"
            self.stats["re-loads unchanged"] += 1
            # Strict: refused (and nothing changed) exactly when a row is rejected.
            try:
                load_files(store, "crimes", [f], strict=True, encoding=dmg.encoding)
                assert rep.quarantined == 0, "a strict load accepted a file with bad rows"
                self.stats["strict loads accepted"] += 1
            except StrictLoadError:
                assert rep.quarantined > 0
                assert snapshot(store) == after_again, "a refused strict load changed the store"
                self.stats["strict loads refused"] += 1
        finally:
            store.close()


def snapshot(store) -> dict[str, list]:
    out = {}
    for name in sorted(store.tables()):
        rows = store.duck.execute(f'SELECT * FROM "{name}"').fetchall()
        out[name] = sorted(map(repr, rows))
    return out


def _counts(snap: dict[str, list]) -> dict[str, int]:
    # A re-load adds a row to ``loads`` (it happened); every other table is unchanged.
    return {k: len(v) for k, v in snap.items() if k != "loads"}


def run(examples: int, root: Path, load_every: int = 1, seed: int | None = None) -> Harness:
    """``examples`` damaged files through the reader; every ``load_every``-th through whole
    loads too."""
    harness = Harness(root)

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=seed is not None,
        suppress_health_check=list(HealthCheck),
    )
    @given(damaged_files())
    def prop(dmg: Damage) -> None:
        harness.check(dmg, load=harness.n % load_every == 0)

    prop()
    return harness


def main() -> None:
    ap = argparse.ArgumentParser(description="fuzz the loader")
    ap.add_argument("--examples", type=int, default=10_000)
    ap.add_argument("--load-every", type=int, default=25, help="whole loads for 1 input in N")
    args = ap.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        h = run(args.examples, Path(tmp), load_every=args.load_every)
    took = time.perf_counter() - t0
    print(
        f"fuzz: {h.stats['inputs']:,} damaged files in {took:.0f}s "
        f"({h.stats['files loaded']:,} of them also loaded into a store); invariants held for all"
    )
    for k, v in sorted(h.stats.items()):
        print(f"  {k:28s} {v:>8,}")


if __name__ == "__main__":
    main()
