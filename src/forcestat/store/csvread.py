"""Read a CSV file into Arrow text columns with exact row numbers and row-level problems.

Rules (docs/data-model.md, "Reading CSV"):
- the first record is the header; names are trimmed; a name given twice refuses the file;
- a record's ``row`` is the number of the line it starts on minus one (the header is row 0),
  so ``row + 1`` is always its line, blank lines included;
- line endings may be LF, CRLF or CR, mixed within a file;
- blank lines (and lines of empty fields only) carry nothing and are skipped, not counted as
  rows read, without shifting the numbers of the rows after them;
- a record with more or fewer fields than the header, text that is not valid in the file's
  encoding, or a quote left open to the end of the file is a bad row: it is returned with its
  reason and raw text for quarantine, and reading resumes on the next line;
- a compressed file that ends early or is damaged is an error for the whole file.

Most files take one pass of Arrow's CSV parser. A file with a value spanning lines (a quoted
newline, or a quote left open) is read again with Python's csv module, which knows the line
each record starts on: slower, but such files are rare.
"""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .files import LoadError, check_csv_bytes, is_gzip, open_bytes, printable, read_error

SAMPLE = 1 << 16


@dataclass
class CsvData:
    """``table`` holds the wanted columns present in the header (as text, under their trimmed
    names) and ``__row``; ``bad`` the rows that could not be read, as (row, fields, reason,
    raw text)."""

    header: list[str]
    table: pa.Table
    bad: list[tuple[int, str, str, str]] = field(default_factory=list)
    blank: int = 0
    encoding: str = "utf-8"
    note: str | None = None
    not_utf8: int = 0


def read_header(path: Path, encoding: str | None = None) -> list[str]:
    """The trimmed header names of a CSV file (no check on duplicates)."""
    enc, _ = _encoding(path, encoding)
    return _header(path, enc)[0]


def _encoding(path: Path, encoding: str | None) -> tuple[str, str | None]:
    src = open_bytes(path)
    try:
        sample = src.read(SAMPLE)
    except (OSError, EOFError, ValueError) as exc:
        raise read_error(path, exc) from None
    finally:
        src.close()
    return check_csv_bytes(path, sample, encoding)


def _header(path: Path, enc: str) -> tuple[list[str], int]:
    """The header's trimmed names and the number of lines it takes."""
    src = open_bytes(path)
    try:
        # Bytes that do not decode are kept as surrogates: a bad byte in a data row is that
        # row's problem, found when it is read.
        text = io.TextIOWrapper(src, encoding=_codec(enc), errors="surrogateescape", newline="")
        reader = csv.reader(text, strict=True)
        try:
            names = next(reader, [])
        except csv.Error:
            raise LoadError(f"{path}: the header row is not valid CSV") from None
        lines = reader.line_num
    except (OSError, EOFError, ValueError) as exc:
        raise read_error(path, exc) from None
    finally:
        src.close()
    names = [n.strip() for n in names]
    if any(_has_surrogates(n) for n in names):
        raise LoadError(
            f"{path}: the header is not {enc} text; if the file is Latin-1 or Windows-1252, "
            "load it with --encoding latin-1 (or cp1252)"
        )
    bad = [n for n in names if not n.isprintable()]
    if bad:
        raise LoadError(f"{path}: the header is not text: {printable(bad[0])!r}")
    if not any(names):
        raise LoadError(f"{path}: the first line is empty: expected a header row of column names")
    return names, lines


def _codec(enc: str) -> str:
    # The BOM of UTF-8 is not part of the first name.
    return "utf-8-sig" if enc == "utf-8" else enc


def check_duplicates(path: Path, header: Sequence[str]) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(header, 1):
        if name and name in seen:
            raise LoadError(
                f"{path}: the header names column {name!r} twice (columns {seen[name]} and {i}); "
                "remove or rename one"
            )
        seen.setdefault(name, i)


def read_csv(path: Path, wanted: Sequence[str], encoding: str | None = None) -> CsvData:
    """Read ``path``; keep the header's columns whose names are in ``wanted``."""
    enc, note = _encoding(path, encoding)
    header, header_lines = _header(path, enc)
    check_duplicates(path, header)
    keep = [(i, n) for i, n in enumerate(header) if n in set(wanted)]
    data = None
    if header_lines == 1:
        data = _read_arrow(path, header, keep, enc)
    if data is None:
        data = _read_python(path, header, keep, enc, header_lines)
    data.encoding, data.note = enc, note
    return data


# -- Arrow: one pass for ordinary files ------------------------------------------------------


def _arrow_parse(path: Path, header: list[str], enc: str, threads: bool):

    invalid: list[tuple[int | None, int, int, str]] = []

    def on_invalid(row) -> str:
        invalid.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    names = [f"c{i}" for i in range(len(header))]
    with _quiet_invalid_rows():
        table = _arrow_read(path, names, enc, on_invalid, threads)
    return table, invalid


@contextlib.contextmanager
def _quiet_invalid_rows():
    """Arrow decodes a bad row's text as UTF-8 before handing it to the handler; when it is
    not UTF-8 the row is reported as an unraisable error and the read fails, which sends the
    file to the line-by-line reader. The report is noise: keep it off stderr."""
    previous = sys.unraisablehook

    def hook(unraisable) -> None:
        if not isinstance(unraisable.exc_value, UnicodeDecodeError):
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


def _arrow_read(path: Path, names: list[str], enc: str, on_invalid, threads: bool):
    import pyarrow.csv as pacsv

    # Arrow's own stream: a truncated gzip member is an error, not a shorter file.
    src = pa.input_stream(str(path), compression="gzip" if is_gzip(path) else None)
    try:
        table = pacsv.read_csv(
            src,
            read_options=pacsv.ReadOptions(
                use_threads=threads,
                column_names=names,
                skip_rows=1,
                encoding="utf8" if enc == "utf-8" else enc,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=",",
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.binary() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (OSError, EOFError, ValueError) as exc:
        if isinstance(exc, pa.ArrowInvalid | UnicodeError):
            return None  # let the line-by-line reader say which row
        raise read_error(path, exc) from None
    finally:
        src.close()
    return table


def _read_arrow(path: Path, header: list[str], keep, enc: str) -> CsvData | None:
    table, invalid = _arrow_parse(path, header, enc, threads=True)
    if table is None:
        return None
    if any(n is None for n, *_ in invalid):
        # Arrow numbers bad rows only when it parses on one thread.
        table, invalid = _arrow_parse(path, header, enc, threads=False)
        if table is None or any(n is None for n, *_ in invalid):
            return None
    if _spans_lines(table):
        return None  # a value spans lines: rows and lines part; read line by line
    n_ok = table.num_rows
    keep_row = np.ones(n_ok + len(invalid), dtype=bool)
    keep_row[[n - 2 for n, *_ in invalid]] = False  # Arrow numbers the header 1
    rows = np.flatnonzero(keep_row) + 1
    bad: list[tuple[int, str, str, str]] = []
    for n, expected, actual, text in sorted(invalid, key=lambda x: x[0]):
        bad.append(_ragged(n - 1, header, expected, actual, text))
    if n_ok:
        empty = None
        for col in table.columns:
            e = pc.equal(pc.binary_length(col), 0)
            empty = e if empty is None else pc.and_(empty, e)
        blank = np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
    else:
        blank = np.zeros(0, dtype=bool)
    drop = blank.copy()
    columns: dict[str, pa.Array] = {}
    not_utf8 = 0
    for i, name in keep:
        col = table.column(f"c{i}").combine_chunks()
        try:
            columns[name] = col.cast(pa.string())
        except pa.ArrowInvalid:
            values = col.to_pylist()
            texts = []
            for k, v in enumerate(values):
                try:
                    texts.append(v.decode("utf-8"))
                except UnicodeDecodeError:
                    texts.append(v.decode("utf-8", errors="replace"))
                    if not drop[k]:
                        drop[k] = True
                        not_utf8 += 1
                        bad.append(_not_text(int(rows[k]), name, enc, texts[-1]))
            columns[name] = pa.array(texts, pa.string())
    out = pa.table({**columns, "__row": pa.array(rows, pa.int64())})
    if drop.any():
        out = out.filter(pa.array(~drop))
    bad.sort(key=lambda b: b[0])
    return CsvData(header, out, bad, blank=int(blank.sum()), not_utf8=not_utf8)


def _spans_lines(table: pa.Table) -> bool:
    """Whether any value holds a line break (searched in the columns' data buffers)."""
    for col in table.columns:
        for chunk in col.chunks:
            data = chunk.buffers()[2]
            if data is not None and data.size:
                b = np.frombuffer(data, dtype=np.uint8)
                if (b == 10).any() or (b == 13).any():
                    return True
    return False


def _ragged(row: int, header: list[str], expected: int, actual: int, text: str):
    if actual < expected:
        missing = [h for h in header[actual:] if h] or ["(row)"]
        fields = ",".join(missing)
        why = f"row has fewer fields than the header ({expected})"
    else:
        fields = "(row)"
        why = f"row has more fields than the header ({expected})"
    return (row, fields, f"{fields}: {why}", text)


def _not_text(row: int, name: str, enc: str, shown: str):
    hint = " (if the file is Latin-1 or Windows-1252, load it with --encoding latin-1)"
    why = f"{name}: {printable(shown)!r} is not valid {enc} text" + (hint if enc == "utf-8" else "")
    return (row, name, why, shown)


# -- Python: line by line, for values that span lines ----------------------------------------


def _read_python(path: Path, header: list[str], keep, enc: str, header_lines: int) -> CsvData:
    csv.field_size_limit(sys.maxsize)
    src = open_bytes(path)
    try:
        raw = src.read()
    except (OSError, EOFError, ValueError) as exc:
        raise read_error(path, exc) from None
    finally:
        src.close()
    text = raw.decode(_codec(enc), errors="surrogateescape")
    lines = list(io.StringIO(text, newline=""))
    n = len(header)
    rows: list[int] = []
    values: list[list[str]] = [[] for _ in keep]
    bad: list[tuple[int, str, str, str]] = []
    blank = not_utf8 = 0
    at = header_lines  # index of the next line to read
    while at < len(lines):
        reader = csv.reader(iter(lines[at:]), strict=True)
        consumed = 0
        try:
            for record in reader:
                start = at + consumed  # 0-based index of the record's first line
                consumed = reader.line_num
                row = start  # the header is line 1, row 0: a record on line L is row L - 1
                if not record or all(v == "" for v in record):
                    blank += 1
                    continue
                if len(record) != n:
                    raw_text = _shown("".join(lines[start : at + consumed]).rstrip("\r\n"))
                    bad.append(_ragged(row, header, n, len(record), raw_text))
                    continue
                broken = [(name, record[i]) for i, name in keep if _has_surrogates(record[i])]
                if broken:
                    name, value = broken[0]
                    bad.append(_not_text(row, name, enc, _shown(value)))
                    not_utf8 += 1
                    continue
                rows.append(row)
                for j, (i, _) in enumerate(keep):
                    values[j].append(record[i])
            at = len(lines)
        except csv.Error as exc:
            # The record that starts on the next unread line is malformed (a quote left open
            # to the end of the file, or text after a closing quote): it is a bad row, and
            # reading resumes on the line after its first.
            start = at + consumed
            raw_text = _shown(lines[start].rstrip("\r\n"))
            bad.append((start, "(row)", f"(row): not valid CSV ({exc})", raw_text))
            at = start + 1
    table = pa.table(
        {
            **{name: pa.array(values[j], pa.string()) for j, (_, name) in enumerate(keep)},
            "__row": pa.array(rows, pa.int64()),
        }
    )
    bad.sort(key=lambda b: b[0])
    return CsvData(header, table, bad, blank=blank, not_utf8=not_utf8)


def _shown(text: str) -> str:
    """Text as it can be stored: bytes that did not decode become U+FFFD."""
    if not _has_surrogates(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _has_surrogates(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)
