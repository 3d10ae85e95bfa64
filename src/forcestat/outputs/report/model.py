"""The Board report as data: sections of paragraphs, measure blocks and tables.

The HTML, PDF and DOCX writers render this one object, so the three formats say the same thing.
Everything here is already worded and formatted; writers add no figure of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forcestat.outputs.commentary import Commentary


@dataclass(frozen=True)
class Cell:
    text: str
    col: str = ""  # column key, for tests and styling ("value", "base", "previous", ...)
    cls: str = ""  # "better" / "worse" / "hidden" / "num"
    icon: str | None = None  # a variation icon drawn before the text
    letter: str = ""
    assurance: str = ""  # an assurance icon (against a target) drawn after the variation icon


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    level: str  # "force" | "area" | "district" | a breakdown name | "group" (a heading row)
    unit: str = ""
    parent: str = ""  # the unit this row adds up into ("" for the top row)


@dataclass(frozen=True)
class Table:
    id: str
    caption: str
    header: tuple[str, ...]
    cols: tuple[str, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()


@dataclass
class Chart:
    key: str
    spec: dict
    caption: str
    alt: str
    svg: str = ""
    png: bytes = b""
    # Drawn only in the HTML's collapsed detail (never in the PDF or DOCX): no PNG needed.
    detail: bool = False


@dataclass(frozen=True)
class Paragraph:
    text: str
    number: str = ""


@dataclass(frozen=True)
class Placeholder:
    """Text that says what is missing (no commentary yet, no national tables loaded)."""

    text: str


@dataclass(frozen=True)
class Quote:
    """An objective's wording, quoted as in the reference report."""

    text: str
    number: str = ""


@dataclass
class MeasureBlock:
    """A measure presented in full: its paragraphs (the force figure with its comparison, then
    areas, trends and districts), chart, tables and commentary. ``detail`` holds what only the
    HTML shows, collapsed (the Board edition's full district table and chart)."""

    id: str
    title: str
    paragraphs: list[list[str]]
    icon: str
    letter: str
    chart: Chart | None
    chart_note: str | None
    table: Table | None
    commentary: Commentary | None = None
    anchor: str = ""
    breakdowns: list[Table] = field(default_factory=list)
    assurance: str = ""  # the force's assurance against its target (spc_assurance)
    detail: list = field(default_factory=list)  # Chart | Table

    @property
    def sentences(self) -> list[str]:
        return [s for p in self.paragraphs for s in p]


@dataclass(frozen=True)
class MeasureLine:
    """A measure with nothing to report beyond its figure: one line (its lead statements), and
    in the HTML its detail, collapsed."""

    id: str
    title: str
    text: str
    icon: str
    letter: str
    anchor: str
    detail: tuple = ()  # Chart | Table
    assurance: str = ""


@dataclass(frozen=True)
class MeasureRef:
    """A measure presented in full in another section: its lead sentence and where to look."""

    id: str
    title: str
    lead: str
    where: str  # section number
    anchor: str


@dataclass(frozen=True)
class HighlightLine:
    """One exception of the executive summary: its sentence and where the detail is."""

    measure_id: str
    text: str
    where: str  # section number
    anchor: str
    icon: str
    letter: str


@dataclass(frozen=True)
class Highlights:
    """The executive summary's lists: (heading, lines) in order."""

    groups: tuple[tuple[str, tuple[HighlightLine, ...]], ...]


@dataclass(frozen=True)
class Figures:
    """Figures side by side (maps, small multiples): charts with captions and alt text."""

    charts: tuple[Chart, ...]


Item = (
    Paragraph
    | Figures
    | Placeholder
    | Quote
    | MeasureBlock
    | MeasureLine
    | MeasureRef
    | Highlights
    | Table
    | Commentary
)


@dataclass
class Section:
    key: str
    number: str
    title: str
    items: list[Item] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return self.number.count(".") + 1 if self.number else 1

    @property
    def anchor(self) -> str:
        return f"s-{self.key}"

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass(frozen=True)
class Footer:
    snapshot: str
    framework: str
    version: str
    commentary: str
    edition: str

    @property
    def text(self) -> str:
        return (
            f"{self.edition} \u00b7 data snapshot {self.snapshot} \u00b7 framework "
            f"{self.framework} \u00b7 commentary {self.commentary} \u00b7 forcestat {self.version}"
        )


@dataclass
class Report:
    title: str
    subtitle: str
    force: str
    period: str  # YYYY-MM
    period_text: str  # "the 12 months ending March 2020"
    public: bool
    meta: tuple[tuple[str, str], ...]  # (label, value) lines under the title: To, From, Data to
    summary: Table  # every measure at force level, one line each (placed in section 4.1)
    sections: list[Section]
    footer: Footer
    charts: list[Chart] = field(default_factory=list)
    edition: str = "board"  # board | annex | draft

    def walk(self):
        for s in self.sections:
            yield from s.walk()
