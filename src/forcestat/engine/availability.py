"""Which measures of a framework the data in a store can support.

A measure is not available when its source table holds no records, or when one of its
expressions (filter, numerator, value, weight) reads a column that the store's source could not
fill (``store.availability``). The date column only places records in months, so a source that
gives the month alone (data.police.uk) still supports counts and rates by month; a measure that
computes with the dates themselves (time from report to recording) does not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from ..framework.expr import Col, Linked, Node
from ..framework.model import Framework, Measure
from ..store.availability import table_counts, unavailable_columns


def _children(node: Node) -> Iterator[Node]:
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Node):
                yield item


def _nodes(node: Node | None, into_links: bool = True) -> Iterator[Node]:
    """Every node of an expression tree, depth first (optionally not inside links)."""
    if node is None:
        return
    yield node
    if into_links or not isinstance(node, Linked):
        for child in _children(node):
            yield from _nodes(child, into_links)


def expression_columns(node: Node | None) -> set[str]:
    """Columns of the measure's own table that an expression reads (a link reads another
    table's columns, checked through that table's rows)."""
    return {n.name for n in _nodes(node, into_links=False) if isinstance(n, Col)}


def linked_tables(node: Node | None) -> set[str]:
    """Other tables an expression reads through a link (e.g. a crime's referrals)."""
    return {n.table for n in _nodes(node) if isinstance(n, Linked)}


def _expressions(measure: Measure) -> tuple[Node | None, ...]:
    return (measure.filter_expr, measure.numerator_expr, measure.value_expr, measure.weight_expr)


def measure_columns(measure: Measure) -> set[str]:
    cols = set().union(*(expression_columns(n) for n in _expressions(measure)))
    if measure.entity is not None:  # a concentration's entity (who bears the value)
        cols.add(measure.entity)
    return cols


def measure_tables(measure: Measure) -> list[str]:
    """The source table, then any linked tables, in a stable order."""
    linked = set().union(*(linked_tables(n) for n in _expressions(measure)))
    return [measure.table] + sorted(linked - {measure.table})


def unavailable_measures(store: Any, framework: Framework) -> dict[str, str]:
    """{measure id: why it cannot be reported from this store}: a table it reads is missing or
    empty, or a column it reads is one the store's source could not fill. ``store`` is a
    ``Store`` or any Ibis backend."""
    tables = sorted({t for m in framework.measures for t in measure_tables(m)})
    counts = table_counts(store, tables)
    notes = unavailable_columns(store)
    out: dict[str, str] = {}
    backend = getattr(store, "ibis", store)
    present = set(backend.list_tables())
    for m in framework.measures:
        # A store may hold only some tables (a national Parquet folder, a warehouse's schema):
        # one it does not have is said so, apart from one it has with no rows.
        absent = [t for t in measure_tables(m) if t not in present]
        if absent:
            out[m.id] = f"the store has no {' or '.join(absent)} table"
            continue
        empty = [f"the {t} table" for t in measure_tables(m) if counts[t] == 0]
        if empty:
            out[m.id] = f"nothing was loaded into {' or '.join(empty)}"
            continue
        missing = sorted(c for c in measure_columns(m) if (m.table, c) in notes)
        if missing:
            out[m.id] = "; ".join(f"{c}: {notes[(m.table, c)]}" for c in missing)
    return out
