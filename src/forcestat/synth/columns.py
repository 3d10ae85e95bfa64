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
    """'<prefix>00000001', ... built in Arrow (string formatting in Python is too slow)."""
    nums = pc.cast(pa.array(np.arange(start, start + n, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(nums, width, "0"), "")


def labels(values: Sequence[str], index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Strings by index into ``values``; ``mask`` True gives null."""
    idx = pa.array(np.asarray(index, dtype=np.int32), mask=mask)
    return pc.take(pa.array(list(values), pa.string()), idx)


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
