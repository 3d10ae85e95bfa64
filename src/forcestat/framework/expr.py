"""The framework's small expression language: filters, numerators and value expressions.

A measure's ``filter``, ``numerator`` and ``value`` are strings in a restricted language that is
parsed here into a tree and type-checked against the canonical schema (``store/schema.py``).
The engine compiles the tree to Ibis; nothing is ever passed to Python's ``eval``, so a
framework file cannot run code. Grammar (keywords are case-insensitive)::

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum ( ("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") sum
                      | "is" ["not"] "null"
                      | ["not"] "in" ( "(" literal ("," literal)* ")" | "@" name )
                      | ["not"] "between" sum "and" sum )?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := number | 'string' | true | false | column | function "(" args ")" | "(" expr ")"

Functions: ``minutes_between(a, b)``, ``hours_between(a, b)``, ``days_between(a, b)``,
``seconds_between(a, b)`` (b - a, fractional, for timestamps), ``coalesce(x, y, ...)``,
``lower(text)``, ``linked(table, condition)`` (true when a record of ``table`` with the same
``crime_id`` satisfies ``condition``), ``days_since_previous(entity, date)`` (days from the
previous record of the table with the same ``entity`` to this one, by ``date``; empty for an
entity's first record or an empty entity).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from forcestat.store.schema import ALL_TABLES, Table

# -- tree -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    pass


@dataclass(frozen=True)
class Lit(Node):
    value: Any  # str, int, float, bool or None


@dataclass(frozen=True)
class Col(Node):
    name: str


@dataclass(frozen=True)
class Call(Node):
    fn: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Linked(Node):
    table: str
    condition: Node


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class BoolOp(Node):
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Arith(Node):
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: str  # = != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True)
class IsNull(Node):
    operand: Node
    negated: bool


@dataclass(frozen=True)
class InList(Node):
    operand: Node
    items: tuple[Any, ...]
    negated: bool
    set_name: str | None = None  # "@name" as written, kept for messages


@dataclass(frozen=True)
class Between(Node):
    operand: Node
    low: Node
    high: Node
    negated: bool


class ExprError(ValueError):
    """An expression that does not parse or does not type-check; the message says where."""


# -- tokenizer ------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>\d+(?:\.\d+)?)
      | (?P<str>'(?:[^']|'')*')
      | (?P<op><=|>=|!=|<>|==|[=<>+\-*/(),@])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "is", "null", "in", "between", "true", "false"}


@dataclass(frozen=True)
class _Tok:
    kind: str  # num | str | op | name | kw | end
    text: str
    pos: int


def _tokens(src: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(src):
        if src[pos:].strip() == "":
            break
        m = _TOKEN.match(src, pos)
        if not m or m.end() == pos:
            raise ExprError(f"unexpected character {src[pos:].lstrip()[:1]!r} at {pos + 1}")
        kind = m.lastgroup or ""
        text = m.group(kind)
        start = m.start(kind)
        if kind == "name" and text.lower() in _KEYWORDS:
            kind, text = "kw", text.lower()
        out.append(_Tok(kind, text, start))
        pos = m.end()
    out.append(_Tok("end", "", len(src)))
    return out


# -- parser ---------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, src: str, sets: dict[str, tuple[Any, ...]]):
        self.src = src
        self.toks = _tokens(src)
        self.i = 0
        self.sets = sets

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def at(self, kind: str, text: str | None = None) -> bool:
        t = self.tok
        return t.kind == kind and (text is None or t.text == text)

    def expect(self, kind: str, text: str | None = None) -> _Tok:
        if not self.at(kind, text):
            want = text or kind
            raise self.error(f"expected {want!r}")
        return self.take()

    def error(self, message: str) -> ExprError:
        t = self.tok
        found = "end of expression" if t.kind == "end" else repr(t.text)
        return ExprError(f"{message} at position {t.pos + 1}, found {found}")

    def parse(self) -> Node:
        node = self.or_()
        if not self.at("end"):
            raise self.error("unexpected text")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.at("kw", "or"):
            self.take()
            node = BoolOp("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.at("kw", "and"):
            self.take()
            node = BoolOp("and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.at("kw", "not"):
            self.take()
            return Not(self.not_())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum_()
        t = self.tok
        if t.kind == "op" and t.text in ("=", "==", "!=", "<>", "<", "<=", ">", ">="):
            self.take()
            op = {"==": "=", "<>": "!="}.get(t.text, t.text)
            return Compare(op, left, self.sum_())
        if self.at("kw", "is"):
            self.take()
            negated = False
            if self.at("kw", "not"):
                self.take()
                negated = True
            self.expect("kw", "null")
            return IsNull(left, negated)
        negated = False
        if self.at("kw", "not"):
            nxt = self.toks[self.i + 1]
            if nxt.kind == "kw" and nxt.text in ("in", "between"):
                self.take()
                negated = True
            else:
                raise self.error("expected 'in' or 'between' after 'not'")
        if self.at("kw", "in"):
            self.take()
            return self.in_list(left, negated)
        if self.at("kw", "between"):
            self.take()
            low = self.sum_()
            self.expect("kw", "and")
            return Between(left, low, self.sum_(), negated)
        return left

    def in_list(self, operand: Node, negated: bool) -> Node:
        if self.at("op", "@"):
            self.take()
            name = self.expect("name").text
            if name not in self.sets:
                known = ", ".join(sorted(self.sets)) or "none"
                raise ExprError(f"unknown set @{name} (sets defined: {known})")
            return InList(operand, tuple(self.sets[name]), negated, set_name=name)
        self.expect("op", "(")
        items = [self.literal()]
        while self.at("op", ","):
            self.take()
            items.append(self.literal())
        self.expect("op", ")")
        return InList(operand, tuple(items), negated)

    def literal(self) -> Any:
        sign = 1
        if self.at("op", "-"):
            self.take()
            sign = -1
        t = self.tok
        if t.kind == "num":
            self.take()
            return sign * (float(t.text) if "." in t.text else int(t.text))
        if sign == 1 and t.kind == "str":
            self.take()
            return t.text[1:-1].replace("''", "'")
        if sign == 1 and t.kind == "kw" and t.text in ("true", "false"):
            self.take()
            return t.text == "true"
        raise self.error("expected a literal (number, 'text', true or false)")

    def sum_(self) -> Node:
        node = self.product()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.take().text
            node = Arith(op, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.take().text
            node = Arith(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("op", "-"):
            self.take()
            return Neg(self.unary())
        return self.primary()

    def primary(self) -> Node:
        t = self.tok
        if t.kind in ("num", "str") or (t.kind == "kw" and t.text in ("true", "false")):
            return Lit(self.literal())
        if t.kind == "kw" and t.text == "null":
            raise self.error("use 'is null' / 'is not null' to test for missing values")
        if self.at("op", "("):
            self.take()
            node = self.or_()
            self.expect("op", ")")
            return node
        if t.kind == "name":
            self.take()
            if self.at("op", "("):
                return self.call(t.text.lower())
            return Col(t.text)
        raise self.error("expected a value, column or function")

    def call(self, fn: str) -> Node:
        self.expect("op", "(")
        if fn == "linked":
            table = self.expect("name").text
            self.expect("op", ",")
            cond = self.or_()
            self.expect("op", ")")
            return Linked(table, cond)
        args: list[Node] = []
        if not self.at("op", ")"):
            args.append(self.or_())
            while self.at("op", ","):
                self.take()
                args.append(self.or_())
        self.expect("op", ")")
        return Call(fn, tuple(args))


def parse(src: str, sets: dict[str, tuple[Any, ...]] | None = None) -> Node:
    """Parse an expression; raises ExprError naming the position of the problem."""
    if not isinstance(src, str) or not src.strip():
        raise ExprError("empty expression")
    return _Parser(src, dict(sets or {})).parse()


# -- type checking --------------------------------------------------------------------------------

# Value types of the language; "null" is the type of a literal that can be anything.
_TYPE_OF = {
    "VARCHAR": "text",
    "BIGINT": "number",
    "INTEGER": "number",
    "DOUBLE": "number",
    "BOOLEAN": "boolean",
    "DATE": "time",
    "TIMESTAMP": "time",
}
TIME_FUNCTIONS = {
    "seconds_between": 1.0,
    "minutes_between": 60.0,
    "hours_between": 3600.0,
    "days_between": 86400.0,
}
# days_since_previous(entity, date): a window over the table's records (the previous record
# of the same entity by date), e.g. repeat victimisation: days_since_previous(victim_id,
# recorded_at) <= 365.
PREVIOUS = "days_since_previous"
FUNCTIONS = (*TIME_FUNCTIONS, "coalesce", "lower", "linked", PREVIOUS)
# linked(...) joins on this column, which both tables must have.
LINK_COLUMN = "crime_id"


def _lit_type(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    return "text"


def check(node: Node, table: Table) -> str:
    """Type of the expression over ``table``; ExprError if a column, function or type is wrong."""
    return _Checker(table).type_of(node)


class _Checker:
    def __init__(self, table: Table):
        self.table = table

    def type_of(self, node: Node) -> str:
        method = getattr(self, f"_{type(node).__name__.lower()}")
        return method(node)

    def _lit(self, node: Lit) -> str:
        return _lit_type(node.value)

    def _col(self, node: Col) -> str:
        if node.name not in self.table.column_names:
            raise ExprError(
                f"unknown column {node.name!r} in table {self.table.name!r} "
                f"(columns: {', '.join(self.table.column_names)})"
            )
        return _TYPE_OF[self.table.column(node.name).type]

    def _call(self, node: Call) -> str:
        if node.fn in TIME_FUNCTIONS:
            if len(node.args) != 2:
                raise ExprError(f"{node.fn}(start, end) takes 2 arguments, got {len(node.args)}")
            for a in node.args:
                if self.type_of(a) != "time":
                    raise ExprError(f"{node.fn}() needs date/time columns, got {_show(a)}")
            return "number"
        if node.fn == "coalesce":
            if len(node.args) < 2:
                raise ExprError("coalesce() takes at least 2 arguments")
            types = {self.type_of(a) for a in node.args}
            if len(types) != 1:
                raise ExprError(f"coalesce() arguments mix types: {', '.join(sorted(types))}")
            return types.pop()
        if node.fn == "lower":
            if len(node.args) != 1 or self.type_of(node.args[0]) != "text":
                raise ExprError("lower() takes one text argument")
            return "text"
        if node.fn == PREVIOUS:
            if len(node.args) != 2 or not all(isinstance(a, Col) for a in node.args):
                raise ExprError(f"{PREVIOUS}(entity, date) takes two columns")
            self.type_of(node.args[0])
            if self.type_of(node.args[1]) != "time":
                raise ExprError(f"{PREVIOUS}(): {_show(node.args[1])} is not a date/time column")
            return "number"
        raise ExprError(f"unknown function {node.fn!r} (functions: {', '.join(FUNCTIONS)})")

    def _linked(self, node: Linked) -> str:
        if node.table not in ALL_TABLES:
            raise ExprError(f"linked(): unknown table {node.table!r}")
        other = ALL_TABLES[node.table]
        for t in (self.table, other):
            if LINK_COLUMN not in t.column_names:
                raise ExprError(f"linked(): table {t.name!r} has no {LINK_COLUMN!r} to link on")
        if _Checker(other).type_of(node.condition) != "boolean":
            raise ExprError("linked(): the condition must be true/false")
        return "boolean"

    def _neg(self, node: Neg) -> str:
        if self.type_of(node.operand) != "number":
            raise ExprError(f"cannot negate {_show(node.operand)}: not a number")
        return "number"

    def _not(self, node: Not) -> str:
        self._boolean(node.operand, "not")
        return "boolean"

    def _boolean(self, node: Node, what: str) -> None:
        t = self.type_of(node)
        if t != "boolean":
            raise ExprError(f"'{what}' needs a true/false operand, got {_show(node)} ({t})")

    def _boolop(self, node: BoolOp) -> str:
        self._boolean(node.left, node.op)
        self._boolean(node.right, node.op)
        return "boolean"

    def _arith(self, node: Arith) -> str:
        for side in (node.left, node.right):
            if self.type_of(side) != "number":
                raise ExprError(f"'{node.op}' needs numbers, got {_show(side)}")
        return "number"

    def _compare(self, node: Compare) -> str:
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        # A date/time may be compared with a 'YYYY-MM-DD' text literal.
        ok = lt == rt or {lt, rt} == {"time", "text"} and _any_lit(node.left, node.right)
        if not ok:
            raise ExprError(
                f"cannot compare {_show(node.left)} ({lt}) with {_show(node.right)} ({rt})"
            )
        if node.op in ("<", "<=", ">", ">=") and lt == "boolean":
            raise ExprError(f"'{node.op}' does not apply to true/false values")
        self._allowed(node.left, node.right)
        self._allowed(node.right, node.left)
        return "boolean"

    def _allowed(self, col: Node, other: Node) -> None:
        """A literal compared with a column that has a closed list of values must be one."""
        if isinstance(col, Col) and isinstance(other, Lit):
            allowed = self.table.column(col.name).allowed
            if allowed and other.value not in allowed:
                raise ExprError(
                    f"{other.value!r} is not a value of {col.name} (values: {', '.join(allowed)})"
                )

    def _isnull(self, node: IsNull) -> str:
        self.type_of(node.operand)
        return "boolean"

    def _inlist(self, node: InList) -> str:
        t = self.type_of(node.operand)
        where = f"@{node.set_name}" if node.set_name else "the list"
        for item in node.items:
            it = _lit_type(item)
            if it != t:
                raise ExprError(
                    f"{_show(node.operand)} ({t}) 'in' {where}: {item!r} is not of type {t}"
                )
            self._allowed(node.operand, Lit(item))
        if not node.items:
            raise ExprError(f"'in' {where}: empty list")
        return "boolean"

    def _between(self, node: Between) -> str:
        t = self.type_of(node.operand)
        for side in (node.low, node.high):
            st = self.type_of(side)
            if st != t and not ({t, st} == {"time", "text"} and isinstance(side, Lit)):
                raise ExprError(f"'between' bounds must be {t}, got {_show(side)} ({st})")
        return "boolean"


def _any_lit(*nodes: Node) -> bool:
    return any(isinstance(n, Lit) for n in nodes)


def _show(node: Node) -> str:
    if isinstance(node, Col):
        return node.name
    if isinstance(node, Lit):
        return repr(node.value)
    if isinstance(node, Call):
        return f"{node.fn}(...)"
    return "an expression"


def columns(node: Node) -> set[str]:
    """Columns of the measure's own table that the expression reads (not linked tables')."""
    out: set[str] = set()

    def walk(n: Node) -> None:
        if isinstance(n, Col):
            out.add(n.name)
        elif isinstance(n, Linked):
            out.add(LINK_COLUMN)
        else:
            for v in vars(n).values():
                if isinstance(v, Node):
                    walk(v)
                elif isinstance(v, tuple):
                    for x in v:
                        if isinstance(x, Node):
                            walk(x)

    walk(node)
    return out
