"""Read rendered report HTML with the standard library only (independent of the templates'
own helpers): tables with their rows' levels and parents, every tag's attributes, and the
visible text."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Row:
    level: str
    unit: str
    parent: str
    cells: dict[str, str] = field(default_factory=dict)  # data-col -> text


@dataclass
class Table:
    id: str
    cls: str
    rows: list[Row] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.tables: list[Table] = []
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._row: Row | None = None
        self._col: str | None = None
        self._cell: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        ancestors = [t for t, _ in self.stack]
        self.tags.append((tag, a, ancestors))
        if tag not in ("meta", "br", "img", "input", "link", "hr", "path", "circle", "rect"):
            self.stack.append((tag, a))
        if tag in ("style", "script", "title", "svg"):
            self._skip += 1
        if tag == "table":
            self.tables.append(Table(a.get("id") or "", a.get("class") or ""))
        elif tag == "tr" and self.tables:
            self._row = Row(
                a.get("data-level") or "", a.get("data-unit") or "", a.get("data-parent") or ""
            )
        elif tag == "td" and self._row is not None:
            self._col = a.get("data-col") or ""
            self._cell = []

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs), [t for t, _ in self.stack]))

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title", "svg"):
            self._skip = max(0, self._skip - 1)
        if tag == "td" and self._row is not None and self._col is not None:
            self._row.cells[self._col] = " ".join("".join(self._cell).split())
            self._col = None
        elif tag == "tr" and self._row is not None:
            if self._row.level and self._row.level != "group":
                self.tables[-1].rows.append(self._row)
            self._row = None
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if self._col is not None:
            self._cell.append(data)
        if not self._skip:
            self.text.append(data)


@dataclass
class Page:
    tags: list[tuple[str, dict[str, str | None], list[str]]]
    tables: list[Table]
    text: str


def parse(html: str) -> Page:
    p = _Parser()
    p.feed(html)
    p.close()
    return Page(p.tags, p.tables, " ".join(" ".join(p.text).split()))


HIDDEN = ("fewer than 5", "not shown")
_INT = re.compile(r"^\d{1,3}(,\d{3})*$")


def integer(text: str) -> int | None:
    """An integer cell ('1,234'); None for percentages, decimals, words."""
    text = text.strip()
    return int(text.replace(",", "")) if _INT.match(text) else None


def derivable(table: Table, col: str) -> list[str]:
    """Hidden cells of ``col`` that some signed combination of the table's equations
    (parent = sum of its children) pins down using shown cells only. Brute force over every
    combination of coefficients -1, 0, 1 per equation; independent of the report's own
    linear-algebra audit."""
    rows = [r for r in table.rows if col in r.cells]
    by_unit = {r.unit: r for r in rows}
    equations = []
    for parent in rows:
        kids = [r for r in rows if r.parent == parent.unit and r.unit != parent.unit]
        if kids:
            eq = {parent.unit: 1}
            for k in kids:
                eq[k.unit] = eq.get(k.unit, 0) - 1
            equations.append(eq)
    hidden = {r.unit for r in rows if r.cells[col] in HIDDEN}
    found = []
    for h in sorted(hidden):
        for coeffs in itertools.product((-1, 0, 1), repeat=len(equations)):
            total: dict[str, int] = {}
            for c, eq in zip(coeffs, equations, strict=True):
                for u, v in eq.items():
                    total[u] = total.get(u, 0) + c * v
            if total.get(h, 0) and all(total.get(u, 0) == 0 for u in hidden - {h}):
                found.append(h)
                break
    assert all(u in by_unit for u in hidden)
    return found
