"""Turn numpy arrays into Arrow columns typed exactly as the store schema says."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..store.schema import Table

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
}


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in table.columns])


def ids(prefix: str, n: int, width: int = 8, start: int = 1) -> pa.Array:
    """'<prefix>00000001', ...: fixed-width references written as bytes into one buffer (no
    Python object per row: this is what makes tens of millions of rows affordable)."""
    head = prefix.encode("utf-8")
    length = len(head) + width
    if start + n > 10**width or (n + 1) * length >= 2**31:
        raise ValueError(f"{n} references do not fit in {width} digits / one Arrow array")
    out = np.empty((n, length), dtype=np.uint8)
    out[:, : len(head)] = np.frombuffer(head, dtype=np.uint8)
    x = np.arange(start, start + n, dtype=np.uint32 if start + n < 2**32 else np.uint64)
    for j in range(length - 1, len(head) - 1, -1):
        x, digit = np.divmod(x, 10)
        out[:, j] = digit + ord("0")
    offsets = np.arange(0, (n + 1) * length, length, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out.ravel()))


def labels(values: Sequence[str], index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Strings by index into ``values``; ``mask`` True gives null. (Dictionary-decoding is
    several times faster than taking from a string array.)"""
    indices = pa.array(np.asarray(index, dtype=np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(values), pa.string())).cast(
        pa.string()
    )


def take(values: pa.Array, index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """``values[index]``, null where ``mask`` is True (or where ``index`` < 0)."""
    index = np.asarray(index, dtype=np.int64)
    if mask is None:
        mask = index < 0
    return pc.take(values, pa.array(np.maximum(index, 0), mask=mask))


def timestamps(seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    us = np.asarray(seconds, dtype=np.int64) * 1_000_000
    return pa.array(us, type=pa.timestamp("us"), mask=mask)


def dates(days: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(days, dtype="datetime64[D]"), type=pa.date32())


def ints(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values).astype(np.int32), type=pa.int32(), mask=mask)


def bools(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=bool), type=pa.bool_(), mask=mask)


def repeat(value: str, n: int) -> pa.Array:
    """One string ``n`` times (dictionary-free, no Python list of n items)."""
    return pc.take(pa.array([value], pa.string()), pa.array(np.zeros(n, dtype=np.int32)))


def build(table: Table, columns: dict[str, pa.Array], n: int) -> pa.Table:
    """A table with every schema column in schema order; columns not given are all null.
    Refuses unknown columns so a typo cannot silently drop data."""
    unknown = set(columns) - set(table.column_names)
    if unknown:
        raise KeyError(f"{table.name}: not schema columns: {sorted(unknown)}")
    schema = arrow_schema(table)
    arrays = []
    for f in schema:
        a = columns.get(f.name)
        if a is None:
            a = pa.nulls(n, f.type)
        elif a.type != f.type:
            a = a.cast(f.type)
        if len(a) != n:
            raise ValueError(f"{table.name}.{f.name}: {len(a)} values, expected {n}")
        arrays.append(a)
    return pa.Table.from_arrays(arrays, schema=schema)
