"""Bad command lines, one table (issue #19, items 1 and 7): each ends with exit code 1 (a bad
file, store or framework) or 2 (a bad command line), one line on stderr starting ``error:``
that names what is wrong, no traceback and no database or Arrow internals; a command that only
reads never creates a store."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from forcestat.cli import app

HEADER = "crime_id,reported_at,recorded_at,offence_code,district"
GOOD = f"{HEADER}\nC1,2020-01-01,2020-01-01,46,Fenland\n"
INTERNALS = re.compile(
    r"Traceback|(Binder|Parser|Catalog|Conversion|Invalid Input|Serialization|IO) Error|"
    r"Exception:|ArrowInvalid|duckdb\.|_duckdb|pyarrow\.|File \""
)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    rnd = bytes(range(256)) * 64
    f: dict[str, Path] = {}

    def put(name: str, data: bytes | str) -> None:
        f[name] = d / name
        f[name].write_bytes(data.encode() if isinstance(data, str) else data)

    put("good.csv", GOOD)
    put("random.csv.gz", b"\x1f\x8b" + rnd)
    put("plain.csv.gz", GOOD)
    whole = gzip.compress((GOOD + "C2,2020-01-01,2020-01-01,46,Fenland\n" * 5000).encode())
    put("truncated.csv.gz", whole[: len(whole) // 2])
    buf = pa.BufferOutputStream()
    pq.write_table(pa.table({"crime_id": ["C1"]}), buf)
    parquet = buf.getvalue().to_pybytes()
    put("parquet-inside.csv", parquet)
    put("truncated.parquet", parquet[: len(parquet) // 2])
    put("random.parquet", rnd)
    put("empty.parquet", b"")
    put("empty.csv", b"")
    put("binary.csv", rnd)
    put("utf16-no-bom.csv", GOOD.encode("utf-16-le"))
    put("duplicate-header.csv", f"{HEADER},district\nC1,2020-01-01,2020-01-01,46,Fenland,Fenland\n")
    put("no-district.csv", "crime_id,reported_at,recorded_at,offence_code\n")
    put("sheet.xlsx", b"PK\x03\x04" + rnd)
    put("binary.toml", rnd)
    put("empty.toml", "")
    put("no-measures.toml", '[[themes]]\nid = "t"\ntitle = "T"\n')
    put("broken.toml", "[[measures\n")
    put("random.duckdb", rnd)
    put("store.csv", GOOD)
    put("store.parquet", parquet)
    put("an-output-file.txt", "x")
    (d / "a-folder").mkdir()
    f["a-folder"] = d / "a-folder"
    f["missing.duckdb"] = d / "missing.duckdb"
    f["new.duckdb"] = d / "new.duckdb"
    # A real store, and a copy cut short.
    real = d / "real.duckdb"
    res = CliRunner().invoke(app, ["load", "crimes", str(f["good.csv"]), "--store", str(real)])
    assert res.exit_code == 0, res.output
    f["real.duckdb"] = real
    data = real.read_bytes()
    put("truncated.duckdb", data[: len(data) // 3])
    return f


def case(*args, code: int = 1, names: str | None = None, marks=()):
    return pytest.param(args, code, names, marks=marks, id=" ".join(args))


X = "{}"  # placeholder for a path from ``files``

CASES = [
    # the command line itself (exit 2)
    case("nosuchcommand", code=2),
    case("load", "--nosuchoption", code=2),
    case("load", "crimes", code=2),
    case("load", "crime", "{good.csv}", "--store", "{new.duckdb}", code=2, names="crime"),
    case("load", "--format", "nonsense", "{good.csv}", code=2),
    case(
        "load",
        "crimes",
        "{good.csv}",
        "--store",
        "{new.duckdb}",
        "--encoding",
        "klingon",
        code=2,
        names="klingon",
    ),
    case("synth", "--years", "0", "--store", "{new.duckdb}", code=2, names="--years"),
    case("synth", "--forces", "0", "--store", "{new.duckdb}", code=2, names="--forces"),
    case("report", "--store", "{real.duckdb}", "--format", "xyz", code=2, names="xyz"),
    case("measures", "--store", "{real.duckdb}", "--out", "results.xlsx", code=2),
    case("measures", "--store", "{real.duckdb}", "--out", "{a-folder}", code=2, names="a-folder"),
    case(
        "report",
        "--store",
        "{real.duckdb}",
        "--out",
        "{an-output-file.txt}",
        code=2,
        names="an-output-file.txt",
    ),
    case("demo", "--out", "{an-output-file.txt}", code=2, names="an-output-file.txt"),
    case(
        "synth",
        "--forces",
        "2",
        "--out",
        "{an-output-file.txt}",
        code=2,
        names="an-output-file.txt",
    ),
    # the files it names (exit 1)
    *[
        case("load", "crimes", "{" + name + "}", "--store", "{new.duckdb}", names=name)
        for name in (
            "random.csv.gz",
            "plain.csv.gz",
            "truncated.csv.gz",
            "parquet-inside.csv",
            "truncated.parquet",
            "random.parquet",
            "empty.parquet",
            "empty.csv",
            "binary.csv",
            "utf16-no-bom.csv",
            "duplicate-header.csv",
            "no-district.csv",
            "sheet.xlsx",
            "a-folder",
            "missing.duckdb",
        )
    ],
    case(
        "load",
        "--format",
        "police-uk",
        "{binary.csv}",
        "--store",
        "{new.duckdb}",
        names="binary.csv",
    ),
    case(
        "load",
        "--format",
        "home-office",
        "{empty.csv}",
        "--store",
        "{new.duckdb}",
        names="empty.csv",
    ),
    *[
        case(
            "measures",
            "--store",
            "{real.duckdb}",
            "--framework",
            "{" + name + "}",
            "--out",
            "x.csv",
            code=2,
            names=name,
        )
        for name in ("binary.toml", "empty.toml", "no-measures.toml", "broken.toml")
    ],
    # the store (exit 1)
    *[
        case(command, "--store", "{missing.duckdb}", names="missing.duckdb")
        for command in ("measures", "report", "summary", "quarantine")
    ],
    *[
        case("summary", "--store", "{" + name + "}", names=name)
        for name in ("random.duckdb", "truncated.duckdb", "store.csv", "store.parquet")
    ],
    case("load", "crimes", "{good.csv}", "--store", "{store.csv}", names="store.csv"),
    case("load", "crimes", "{good.csv}", "--store", "{store.parquet}", names="store.parquet"),
    case("load", "crimes", "{good.csv}", "--store", "{random.duckdb}", names="random.duckdb"),
    case("load", "crimes", "{good.csv}", "--store", "{a-folder}", names="a-folder"),
    case("load", "crimes", "{good.csv}", "--store", "foo://bar", names="foo"),
    case("summary", "--store", "foo://bar", names="foo"),
    case("synth", "--store", "{store.csv}", names="store.csv"),
    # A month that is not one (the Period type parses --period and --end once).
    case("synth", "--store", "{new.duckdb}", "--end", "2020-13", code=2, names="2020-13"),
    case("report", "--store", "{real.duckdb}", "--period", "2020-3", code=2, names="2020-3"),
    # The Period type (issue #12) makes a month past the data an error for measures as it is
    # for report.
    case(
        "measures",
        "--store",
        "{real.duckdb}",
        "--period",
        "2031-01",
        "--out",
        "x.parquet",
    ),
]


def _fill(args: tuple[str, ...], files: dict[str, Path], tmp: Path) -> list[str]:
    out = []
    for a in args:
        m = re.fullmatch(r"\{(.+)\}", a)
        out.append(str(files[m.group(1)]) if m else a)
    return [str(tmp / a) if a in ("x.csv", "x.parquet", "results.xlsx") else a for a in out]


def check_error(code: int, stderr: str, expected: int, names: str | None) -> None:
    assert code == expected, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: "), stderr
    assert not INTERNALS.search(stderr), stderr
    if names is not None:
        assert names in lines[0], stderr
    # One line, but for a framework's list of problems (each on a line of its own).
    if "problem(s) in the framework" not in lines[0]:
        assert len(lines) == 1, stderr


@pytest.mark.parametrize(("args", "code", "names"), CASES)
def test_bad_command_line(files, tmp_path, args, code, names):
    argv = _fill(args, files, tmp_path)
    res = CliRunner().invoke(app, argv)
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    check_error(res.exit_code, res.stderr, code, names)
    assert not files["missing.duckdb"].exists()
    assert not files["new.duckdb"].exists(), "a failed command left a new store behind"


def test_a_store_held_by_another_process(files, tmp_path):
    import shutil

    held = tmp_path / "held.duckdb"
    shutil.copy(files["real.duckdb"], held)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(held)!r})
                print("ready", flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        # A real process end to end: the entry point, not the test runner, prints the error.
        for argv in (
            ["summary", "--store", str(held)],
            ["load", "crimes", str(files["good.csv"]), "--store", str(held)],
        ):
            r = subprocess.run(
                [sys.executable, "-m", "forcestat.cli", *argv],
                capture_output=True,
                text=True,
                env={**os.environ, "COLUMNS": "200"},
            )
            check_error(r.returncode, r.stderr, 1, "in use by another process")
    finally:
        holder.kill()
        holder.wait()
