"""Compile framework expressions (``framework.expr`` trees) to Ibis column expressions.

Only Ibis operations that DuckDB and Spark both support are used, so the same framework gives
the same cube on either backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir

from forcestat.framework import expr as fx


class Compiler:
    """Compiles expressions over one table of a backend (``linked`` reads other tables)."""

    def __init__(
        self,
        table: ir.Table,
        backend: Any,
        tables: Callable[[str], ir.Table] | None = None,
    ):
        self.t = table
        self.backend = backend
        # How a link finds another table: the caller's cached table expressions when it has
        # them (``cube.table``), else the backend's own.
        self.tables = tables if tables is not None else backend.table

    def __call__(self, node: fx.Node) -> ir.Value:
        return getattr(self, f"_{type(node).__name__.lower()}")(node)

    def predicate(self, node: fx.Node | None) -> ir.BooleanValue | None:
        """A condition where unknown (null) counts as false, as in SQL's WHERE; None (no
        condition: every row) stays None so that callers can use plain counts and sums."""
        if node is None:
            return None
        return self(node).fill_null(False)

    def _lit(self, node: fx.Lit) -> ir.Value:
        return ibis.literal(node.value)

    def _col(self, node: fx.Col) -> ir.Value:
        return self.t[node.name]

    def _call(self, node: fx.Call) -> ir.Value:
        args = [self(a) for a in node.args]
        if node.fn in fx.TIME_FUNCTIONS:
            start, end = (a.cast("timestamp") for a in args)
            seconds = end.epoch_seconds() - start.epoch_seconds()
            return seconds.cast("float64") / fx.TIME_FUNCTIONS[node.fn]
        if node.fn == "coalesce":
            return ibis.coalesce(*args)
        if node.fn == "lower":
            return args[0].lower()
        if node.fn == fx.PREVIOUS:
            # The latest record of the same entity at least a second earlier, over every dated
            # record of the table (before any measure's filter): a window on whole seconds, so
            # that records of one moment (two crimes of one incident) are not each other's
            # previous one, whichever order the backend sorts them in.
            entity = args[0]
            secs = args[1].cast("timestamp").epoch_seconds().cast("int64")
            window = ibis.window(group_by=entity, order_by=secs, range=(None, -1))
            days = (secs - secs.max().over(window)).cast("float64") / 86400.0
            return ibis.ifelse(entity.isnull(), ibis.null("float64"), days)
        raise ValueError(f"unknown function {node.fn!r}")  # the loader has checked this

    def _linked(self, node: fx.Linked) -> ir.Value:
        other = self.tables(node.table)
        cond = Compiler(other, self.backend, self.tables).predicate(node.condition)
        keys = other if cond is None else other.filter(cond)
        return self.t[fx.LINK_COLUMN].isin(keys[fx.LINK_COLUMN]).fill_null(False)

    def _neg(self, node: fx.Neg) -> ir.Value:
        return -self(node.operand)

    def _not(self, node: fx.Not) -> ir.Value:
        return ~self(node.operand)

    def _boolop(self, node: fx.BoolOp) -> ir.Value:
        left, right = self(node.left), self(node.right)
        return (left & right) if node.op == "and" else (left | right)

    def _arith(self, node: fx.Arith) -> ir.Value:
        left, right = self(node.left), self(node.right)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        return left.cast("float64") / right

    def _pair(self, a: fx.Node, b: fx.Node) -> tuple[ir.Value, ir.Value]:
        """Compile both sides; a text literal next to a date/time becomes a timestamp."""
        left, right = self(a), self(b)
        if isinstance(b, fx.Lit) and isinstance(b.value, str) and left.type().is_temporal():
            right = ibis.literal(b.value).cast(left.type())
        if isinstance(a, fx.Lit) and isinstance(a.value, str) and right.type().is_temporal():
            left = ibis.literal(a.value).cast(right.type())
        return left, right

    def _compare(self, node: fx.Compare) -> ir.Value:
        left, right = self._pair(node.left, node.right)
        return {
            "=": left.__eq__,
            "!=": left.__ne__,
            "<": left.__lt__,
            "<=": left.__le__,
            ">": left.__gt__,
            ">=": left.__ge__,
        }[node.op](right)

    def _isnull(self, node: fx.IsNull) -> ir.Value:
        v = self(node.operand)
        return v.notnull() if node.negated else v.isnull()

    def _inlist(self, node: fx.InList) -> ir.Value:
        v = self(node.operand)
        return v.notin(list(node.items)) if node.negated else v.isin(list(node.items))

    def _between(self, node: fx.Between) -> ir.Value:
        v = self(node.operand)
        _, low = self._pair(node.operand, node.low)
        _, high = self._pair(node.operand, node.high)
        inside = (v >= low) & (v <= high)
        return ~inside if node.negated else inside
