"""No value from a file or a request is ever written into SQL text (issue #19, item 2).

Values reach SQL as query parameters (``?``), Arrow tables registered under names of ours, or
relations; text in SQL is the packaged schema's. The source is read as a syntax tree and three
rules are checked on every module that reads files into SQL (the store package and the command
line):

1. No placeholder between quotes in an SQL-looking f-string (``'{value}'``, ``"{name}"``), nor
   SQL built with ``%`` or ``str.format``: a value would have to be escaped by hand.
2. No ``str()``, ``repr()``, ``!r`` or format spec inside an SQL-looking f-string: those turn
   objects (paths, values) into text to paste into SQL.
3. ``lit()``, the one helper that writes a string literal, takes only text of the packaged
   schema: string constants, module constants (UPPER_CASE), attributes of schema objects
   (``col.name``, ``check.field``, ``table.date_order`` ...) and loops over those. Identifiers
   go through ``q()`` only (the schema's names and the loader's own temporary names).

The rules are checked against examples that break them, so the test cannot pass vacuously.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "forcestat"
SCOPE = [*sorted((SRC / "store").rglob("*.py")), SRC / "cli.py"]

SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|FROM|WHERE|JOIN|VALUES|CAST|CASE WHEN|"
    r"TABLE|VIEW|read_csv|read_parquet)\b"
)
# Attributes of the packaged schema's objects (Column, Table, Check): their text is ours.
SCHEMA_ATTRS = {
    "name",
    "field",
    "ref",
    "allowed",
    "minimum",
    "maximum",
    "type",
    "key",
    "column_names",
    "date_order",
    "columns",
    "description",
}
TEXT_METHODS = {"join", "split", "upper", "lower", "strip", "replace"}


def _const_parts(node: ast.JoinedStr) -> str:
    return "".join(v.value for v in node.values if isinstance(v, ast.Constant))


def _is_sql(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return bool(SQL_WORDS.search(_const_parts(node)))
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(SQL_WORDS.search(node.value))
    )


class _Checker(ast.NodeVisitor):
    def __init__(self, name: str):
        self.name = name
        self.problems: list[str] = []
        self.bindings: list[dict[str, ast.AST]] = [{}]  # loop targets -> what they iterate

    def report(self, node: ast.AST, what: str) -> None:
        self.problems.append(f"{self.name}:{node.lineno}: {what}")

    # -- loops bind names to the expression they iterate over ------------------------------
    def _bind(self, target: ast.AST, iterable: ast.AST) -> None:
        for n in ast.walk(target):
            if isinstance(n, ast.Name):
                self.bindings[-1][n.id] = iterable

    def visit_For(self, node: ast.For) -> None:
        self._bind(node.target, node.iter)
        self.generic_visit(node)

    def _visit_comp(self, node) -> None:
        self.bindings.append(dict(self.bindings[-1]))
        for gen in node.generators:
            self._bind(gen.target, gen.iter)
        self.generic_visit(node)
        self.bindings.pop()

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comp

    # -- rule 3: lit() only on schema text -------------------------------------------------
    def schema_text(self, node: ast.AST, depth: int = 0) -> bool:
        if depth > 20:
            return False
        ok = lambda n: self.schema_text(n, depth + 1)  # noqa: E731
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            if node.id.lstrip("_").isupper():
                return True
            bound = self.bindings[-1].get(node.id)
            return bound is not None and ok(bound)
        if isinstance(node, ast.Attribute):
            return node.attr in SCHEMA_ATTRS
        if isinstance(node, ast.Subscript):
            return ok(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return ok(node.left) and ok(node.right)
        if isinstance(node, ast.JoinedStr):
            return all(ok(v) for v in node.values)
        if isinstance(node, ast.FormattedValue):
            return ok(node.value)
        if isinstance(node, ast.Tuple | ast.List):
            return all(ok(e) for e in node.elts)
        if isinstance(node, ast.GeneratorExp | ast.ListComp):
            return ok(node.elt) and all(ok(g.iter) for g in node.generators)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return (
                node.func.attr in TEXT_METHODS
                and ok(node.func.value)
                and all(ok(a) for a in node.args)
            )
        return False

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "lit":
            for arg in node.args:
                if not self.schema_text(arg):
                    self.report(node, f"lit() of a value not from the schema: {ast.unparse(arg)}")
        if isinstance(func, ast.Name) and func.id == "map" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Name) and first.id == "lit":
                self.report(node, "map(lit, ...): write the loop so the checker can see it")
        # rule 1: str.format on SQL
        if isinstance(func, ast.Attribute) and func.attr == "format" and _is_sql(func.value):
            self.report(node, "SQL built with str.format")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if isinstance(node.op, ast.Mod) and _is_sql(node.left):
            self.report(node, "SQL built with %")
        self.generic_visit(node)

    # -- rules 1 and 2 on SQL f-strings ----------------------------------------------------
    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        if _is_sql(node):
            quotes = {"'": 0, '"': 0}
            for part in node.values:
                if isinstance(part, ast.Constant):
                    for q in quotes:
                        quotes[q] += part.value.count(q)
                    continue
                expr = ast.unparse(part.value)
                if quotes["'"] % 2 or quotes['"'] % 2:
                    self.report(node, f"value quoted by hand in SQL: {{{expr}}}")
                if part.conversion != -1 or part.format_spec is not None:
                    self.report(node, f"value converted to text in SQL: {{{expr}}}")
                inner = part.value
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Name)
                    and inner.func.id in ("str", "repr", "format")
                ):
                    self.report(node, f"value converted to text in SQL: {{{expr}}}")
        self.generic_visit(node)


def problems_in(source: str, name: str = "<source>") -> list[str]:
    checker = _Checker(name)
    checker.visit(ast.parse(source))
    return checker.problems


def test_the_source_writes_no_value_into_sql_text():
    found = []
    for path in SCOPE:
        found += problems_in(path.read_text(), str(path.relative_to(SRC.parent)))
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(
    "bad",
    [
        "con.execute(f\"SELECT * FROM t WHERE district = '{value}'\")",
        "con.execute(f'SELECT count(*) FROM \"{name}\"')",
        'con.execute(f"SELECT * FROM read_parquet({str(path)})")',
        'con.execute(f"SELECT * FROM t WHERE x = {value!r}")',
        "con.execute(\"SELECT * FROM t WHERE x = '%s'\" % value)",
        "con.execute(\"SELECT * FROM t WHERE x = '{}'\".format(value))",
        "sql = f\"CAST({t} AS VARCHAR) IN ({', '.join(lit(v) for v in outside)})\"",
        "sql = f\"read_csv(?, columns={{{', '.join(lit(h) for h in header)}}})\"",
        'sql = f"SELECT {lit(str(p.resolve()))} AS source_file FROM t"',
    ],
)
def test_the_checker_finds_a_value_in_sql_text(bad):
    assert problems_in(bad), bad


@pytest.mark.parametrize(
    "good",
    [
        'con.execute(f"SELECT * FROM {q(table.name)} WHERE district = ?", [value])',
        "msg = lit(' is not one of: ' + ', '.join(col.allowed))",
        "x = [lit(c.name) for c in table.columns]",
        "for a, b in table.date_order:\n    m = lit(f'{b} is earlier than {a}')",
        "m = lit(NO_LOCATION)",
        "print(f\"{path}: row {row}: '{value}' is not a date\")",
    ],
)
def test_the_checker_lets_schema_text_through(good):
    assert problems_in(good) == []
