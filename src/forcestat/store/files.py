"""What an input file is, judged by its bytes, and a clear error when it cannot be read.

The loader reads a file as CSV or Parquet. The name suggests which, but the bytes decide: a
Parquet file named ``.csv``, a gzip file that is not gzip or ends early, a ZIP archive or an
Excel workbook, binary garbage, an empty file, text in UTF-16 — each gets one line that names
the file and says what it is and what to do, never a reader's internal message.
"""

from __future__ import annotations

import codecs
import gzip
import zlib
from pathlib import Path
from typing import IO


class LoadError(Exception):
    """A file cannot be loaded at all (unreadable, missing required column, unknown table)."""


GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old Excel (.xls) and other Office files
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def format_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet") or name.endswith(".pq"):
        return "parquet"
    if name.endswith((".csv", ".csv.gz", ".txt", ".tsv", ".txt.gz", ".tsv.gz")):
        return "csv"
    raise LoadError(f"{path}: cannot tell the format from the name (expected .csv or .parquet)")


def head(path: Path, n: int = 8) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise LoadError(f"{path}: cannot be read: {exc.strerror or exc}") from None


def is_gzip(path: Path) -> bool:
    """Whether the file is gzip-compressed (by its bytes). A name ending in .gz on a file that
    is not gzip is an error rather than a guess."""
    magic = head(path, 2)
    if magic == GZIP_MAGIC:
        return True
    if path.name.lower().endswith(".gz"):
        raise LoadError(f"{path}: named .gz but not gzip-compressed")
    return False


def open_bytes(path: Path) -> IO[bytes]:
    """The file's content as a binary stream, decompressed if it is gzip."""
    gz = is_gzip(path)
    try:
        return gzip.open(path, "rb") if gz else path.open("rb")
    except OSError as exc:
        raise LoadError(f"{path}: cannot be read: {exc.strerror or exc}") from None


def read_error(path: Path, exc: BaseException) -> LoadError:
    """A decompression or I/O failure met while reading ``path``, as one clear line."""
    text = str(exc).lower()
    if isinstance(exc, EOFError) or "truncated" in text:
        return LoadError(
            f"{path}: the compressed file ends early (truncated or still being copied); "
            "nothing was loaded"
        )
    if isinstance(exc, gzip.BadGzipFile | zlib.error) or "zlib" in text or "gzip" in text:
        return LoadError(f"{path}: damaged gzip data; nothing was loaded")
    if isinstance(exc, OSError):
        return LoadError(f"{path}: cannot be read: {exc.strerror or exc}")
    return LoadError(f"{path}: cannot be read")


def check_csv_bytes(path: Path, sample: bytes, encoding: str | None) -> tuple[str, str | None]:
    """The encoding to decode a CSV file with, from its first bytes (after decompression) and
    ``--encoding``; and a note when it is not UTF-8. Errors for content that is not CSV text."""
    if not sample:
        raise LoadError(f"{path}: the file is empty (no header row)")
    if sample.startswith(PARQUET_MAGIC):
        raise LoadError(f"{path}: this is a Parquet file, not CSV: name it .parquet")
    if sample.startswith(ZIP_MAGIC):
        raise LoadError(
            f"{path}: this is a ZIP archive (or an Excel .xlsx workbook), not CSV: unzip it, "
            "or save the sheet as CSV"
        )
    if sample.startswith(OLE_MAGIC):
        raise LoadError(f"{path}: this is an Excel .xls workbook, not CSV: save the sheet as CSV")
    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise LoadError(f"--encoding {encoding}: unknown encoding") from None
        return name, None if name in ("utf-8", "utf-8-sig") else f"decoded as {name} (--encoding)"
    for bom, name in BOMS:
        if sample.startswith(bom):
            note = None if name == "utf-8" else f"decoded as {name.upper()} (byte-order mark)"
            return name, note
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 4 and odd.count(0) > len(odd) // 2:
        raise LoadError(
            f"{path}: looks like UTF-16 text without a byte-order mark: load it with "
            "--encoding utf-16-le"
        )
    if len(sample) >= 4 and even.count(0) > len(even) // 2:
        raise LoadError(
            f"{path}: looks like UTF-16 text without a byte-order mark: load it with "
            "--encoding utf-16-be"
        )
    # Text has few control characters and, in UTF-8, few invalid bytes; a stray NUL in one
    # field is a bad row, not a binary file.
    text = sample.decode("utf-8", errors="replace")
    junk = sum(1 for ch in text if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r"))
    if junk > max(8, len(text) // 7):
        raise LoadError(f"{path}: binary content, not CSV text")
    return "utf-8", None


def check_parquet(path: Path) -> None:
    """A clear error for a file that is not Parquet, or whose Parquet footer is damaged or
    missing (a truncated copy). Damage inside the data is found when it is read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    size = path.stat().st_size
    try:
        with path.open("rb") as fh:
            first = fh.read(4)
            fh.seek(max(0, size - 4))
            last = fh.read(4)
    except OSError as exc:
        raise LoadError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    if size == 0:
        raise LoadError(f"{path}: the file is empty, not Parquet")
    if first != PARQUET_MAGIC:
        what = "gzip data" if first[:2] == GZIP_MAGIC else "another format (CSV?)"
        raise LoadError(f"{path}: not a Parquet file ({what})")
    if last != PARQUET_MAGIC:
        raise LoadError(f"{path}: the Parquet file is truncated (no footer); nothing was loaded")
    try:
        pq.ParquetFile(path).schema_arrow  # noqa: B018 - reads and checks the footer
    except (pa.ArrowException, OSError, ValueError):
        raise LoadError(f"{path}: the Parquet file is damaged (unreadable footer)") from None


def printable(text: str, limit: int = 300) -> str:
    """Text for a one-line message: control characters (a NUL, a newline inside a value) are
    shown escaped, and very long text is cut."""
    out = "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )
    return out if len(out) <= limit else out[: limit - 1] + "…"
