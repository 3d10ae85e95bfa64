"""Tables of the report: the first-page summary and each measure's district table.

Cells are formatted from findings (``findings.wording.value_text``, ``findings.format``) and
read their verdicts from them; nothing is computed. A row whose figure the findings would not
report (base too small, withheld) reads so in the table too, so tables and sentences agree. In
the public edition rows hidden by disclosure control (``stats.disclosure``, applied to the
results before the report) read "fewer than 5" (a count of 1-4) or
"not shown" (hidden to protect one), with a note under the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from forcestat.findings.format import fmt_count, fmt_n
from forcestat.findings.model import Finding
from forcestat.findings.wording import value_text, verdict_label
from forcestat.framework.model import Measure
from forcestat.outputs.report.model import Cell, Row, Table
from forcestat.period import MONTHS, Period

NOT_SHOWN = "not shown"
TOO_FEW = "too few to report"
NOT_REPORTED = "not reported"
BASED = frozenset({"proportion", "median", "mean"})

SECONDARY_NOTE = (
    "\u201cnot shown\u201d: hidden so that a figure of fewer than {k} cannot be worked out from "
    "the other figures and totals."
)
# Kinds whose published figure is a count: a hidden one reads "fewer than 5", not "not shown".
COUNT_KINDS = frozenset({"count", "rate_per_1000"})
Key = tuple[str, str]  # (breakdown, unit)


# Codes a breakdown may carry as its values (incident types): how a table names them.
ACRONYMS = {
    "asb": "ASB",
    "dvpn": "DVPN",
    "dvpo": "DVPO",
    "spo": "SPO",
    "shpo": "SHPO",
    "nmo": "NMO",
}


def unit_label(unit: str) -> str:
    """A unit as a table names it: data codes and lower-case labels ('concern_for_safety',
    'asb', 'violent crime') read as words ('Concern for safety', 'ASB', 'Violent crime'); names
    are kept as they are."""
    if not unit or not all(c.islower() or c.isdigit() or c in "_ " for c in unit):
        return unit
    words = [ACRONYMS.get(w, w) for w in unit.replace("_", " ").split() if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def fewer_than(threshold: int) -> str:
    return f"fewer than {threshold}"


PRIMARY_NOTE = "\u201cfewer than {k}\u201d: a count of 1 to {k1}, not shown (disclosure control)."


def short_period(period: str, window: str, years_back: int = 0) -> str:
    """Column headings: '12 months to Mar 2020', 'Mar 2020', 'Apr 2019 to Mar 2020'."""
    p = Period.parse(period).shift(-12 * years_back)
    mon = _short_month(p)
    if window == "12m":
        return f"12 months to {mon}"
    if window == "3m":
        return f"3 months to {mon}"
    if window == "1m":
        return mon
    return f"{_short_month(p.fy_start())} to {mon}"


def _short_month(p: Period) -> str:
    return f"{MONTHS[p.month - 1][:3]} {p.year}"


def verdict_cell(f: Finding | None) -> Cell:
    """The comparison with the previous year in the words its sentence uses
    (``findings.wording.verdict_label``), coloured better/worse by polarity when significant."""
    text = verdict_label(f)
    if f is None or text == "Not compared":
        return Cell(text, "verdict", "muted")
    cls = f.direction if f.is_significant and f.direction in ("better", "worse") else ""
    return Cell(text, "verdict", cls)


def icon_cell(signal: str, letter: str, hidden: bool = False, assurance: str = "") -> Cell:
    """The variation icon and its words, with the assurance icon when the unit has a target."""
    if hidden:
        return Cell("\u2014", "spc", "muted")
    words = {
        "improvement": "Improvement",
        "concern": "Concern",
        "neutral": "Special cause",
        "common_cause": "Common cause",
        "none": "Not assessed",
    }
    return Cell(
        words.get(signal, signal), "spc", "", icon=signal, letter=letter, assurance=assurance
    )


def value_cells(f: Finding, m: Measure) -> tuple[Cell, Cell]:
    """(value, base) as the findings would report them."""
    if f.base_status == "too_few":
        base = "" if f.suppressed or f.n is None or f.kind in COUNT_KINDS else fmt_n(f.n)
        return Cell(TOO_FEW, "value", "muted"), Cell(base, "base", "num")
    if f.base_status == "withheld":
        return Cell(NOT_REPORTED, "value", "muted"), Cell("", "base", "num")
    if f.value is None:
        return Cell("no figure", "value", "muted"), Cell("", "base", "num")
    text = value_text(f, m)
    if m.kind in ("median", "mean", "rate_per_1000") and m.unit_label:
        text = text[: -len(m.unit_label)].strip()  # the unit is in the column heading
    cls = "num caution" if f.base_status == "caution" else "num"
    if f.kind == "rate_per_1000":
        base = fmt_count(f.n) if f.n is not None else ""
    else:
        base = fmt_n(f.n) if f.n is not None and f.kind in BASED else ""
    return Cell(text, "value", cls), Cell(base, "base", "num")


def previous_cell(f: Finding | None, m: Measure) -> Cell:
    if f is None or f.comparator_value is None:
        return Cell("", "previous", "num")
    text = value_text(replace(f, value=f.comparator_value), m)
    if m.kind in ("median", "mean", "rate_per_1000") and m.unit_label:
        text = text[: -len(m.unit_label)].strip()
    return Cell(text, "previous", "num")


def value_heading(m: Measure, period: str, window: str) -> str:
    when = short_period(period, window)
    if m.kind == "proportion":
        return f"{when} (%)"
    if m.kind in ("median", "mean", "rate_per_1000") and m.unit_label:
        return f"{when} ({m.unit_label})"
    if m.kind == "rate_per_1000":
        return f"{when} (per 1,000)"
    return when


def unit_table(
    m: Measure,
    keys: Sequence[Key],
    parent: Mapping[Key, Key | None],
    findings: Mapping[Key, Finding],
    signals: Mapping[Key, tuple[str, str]],
    period: str,
    window: str,
    *,
    public: bool,
    hidden: Mapping[Key, str],
    hidden_previous: Mapping[Key, str],
    threshold: int,
    title: str,
    assurance: Mapping[Key, str] | None = None,
) -> Table:
    """Force, areas and districts (or the measure's own breakdown) for the leading window."""
    kind = m.kind
    show_prev = not public or kind == "count"
    based = kind in BASED or kind == "rate_per_1000"
    header = ["Area / district" if any(k[0] == "district" for k in keys) else "Unit"]
    cols = ["unit"]
    header.append(value_heading(m, period, window))
    cols.append("value")
    if based:
        header.append("Crimes" if kind == "rate_per_1000" else "Base (n)")
        cols.append("base")
    if show_prev:
        header.append(short_period(period, window, years_back=1))
        cols.append("previous")
    header += ["Compared with previous year", "Variation (SPC)"]
    cols += ["verdict", "spc"]
    rows: list[Row] = []
    used_primary = used_secondary = False
    for k in keys:
        f = findings.get(k)
        if f is None or (k[0] != "force" and k not in hidden and f.value is None and f.n == 0):
            continue  # a unit with no records in the window (an empty bucket): no row
        level, unit = k
        name = f"{unit} policing area" if level == "area" else unit_label(unit)
        par = parent.get(k)
        why = hidden.get(k)
        cells = [Cell(name, "unit")]
        if why is not None:
            used_primary |= why == "primary" and kind in COUNT_KINDS
            used_secondary |= not (why == "primary" and kind in COUNT_KINDS)
            text = fewer_than(threshold) if why == "primary" and kind in COUNT_KINDS else NOT_SHOWN
            cells.append(Cell(text, "value", "hidden"))
            if based and kind in BASED and f.n is not None:
                # A rate hidden for its numerator keeps its base when the edition publishes it
                # (the same count may be printed in another table).
                cells.append(Cell(fmt_n(f.n), "base", "num"))
            elif based:
                cells.append(Cell(NOT_SHOWN, "base", "hidden"))
        else:
            value, base = value_cells(f, m)
            cells.append(value)
            if based:
                cells.append(base)
        if show_prev:
            pwhy = hidden_previous.get(k)
            if pwhy is not None:
                used_primary |= pwhy == "primary"
                used_secondary |= pwhy == "secondary"
                text = fewer_than(threshold) if pwhy == "primary" else NOT_SHOWN
                cells.append(Cell(text, "previous", "hidden"))
            elif why is not None and public and kind != "count":
                cells.append(Cell(NOT_SHOWN, "previous", "hidden"))
            else:
                cells.append(previous_cell(f, m))
        signal, letter = signals.get(k, ("none", ""))
        if why is not None:
            cells += [Cell("\u2014", "verdict", "muted"), icon_cell(signal, letter, hidden=True)]
        else:
            sure = (assurance or {}).get(k, "")
            cells += [verdict_cell(f), icon_cell(signal, letter, f.unreportable, sure)]
        rows.append(Row(tuple(cells), level, unit, par[1] if par else ""))
    notes = []
    if used_primary:
        notes.append(PRIMARY_NOTE.format(k=threshold, k1=threshold - 1))
    if used_secondary:
        notes.append(SECONDARY_NOTE.format(k=threshold))
    if any(c.cls == "num caution" for r in rows for c in r.cells):
        notes.append("Figures in italics rest on a small base: treat with caution.")
    return Table(
        id=f"t-{m.id}",
        caption=title,
        header=tuple(header),
        cols=tuple(cols),
        rows=tuple(rows),
        notes=tuple(notes),
    )


VIEW_NAMES = {"12m": "12 months", "3m": "Three months", "1m": "Month"}


def view_table(
    m: Measure,
    window: str,
    lead: Finding | None,
    views: Mapping[str, Sequence[Finding]],
) -> Table:
    """The leading window and the recent ones the framework asks for (``Measure.views``): each
    with its figure, the window just before it and the same months a year earlier, and the
    verdicts of their tests."""
    header = (
        "Period",
        "Value",
        "Base (n)",
        "Window before",
        "Compared with the window before",
        "Compared with a year earlier",
    )
    cols = ("unit", "value", "base", "previous", "verdict", "verdict_year")
    rows: list[Row] = []
    for w, fs in [(window, [lead] if lead is not None else []), *views.items()]:
        if not fs:
            continue
        by = {f.comparator: f for f in fs}
        first = fs[0]
        value, base = value_cells(first, m)
        before = by.get("previous_period")
        year = by.get("previous_year")
        label = f"{VIEW_NAMES.get(w, w)} to {short_period(first.period_end, '1m')}"
        if w == window:
            before = None
        rows.append(
            Row(
                (
                    Cell(label, "unit"),
                    value,
                    base,
                    previous_cell(before, m) if before else Cell("", "previous", "num"),
                    verdict_cell(before) if before else Cell("", "verdict", "muted"),
                    replace(verdict_cell(year), col="verdict_year"),
                ),
                "force" if w == window else "view",
                w,
            )
        )
    return Table(
        f"t-{m.id}-views",
        f"{m.title}: recent periods",
        header,
        cols,
        tuple(rows),
        (
            "The window before is the same number of months just before; a year earlier, the "
            "same months twelve months before. Each comparison is tested on its own.",
        ),
    )


def summary_table(
    entries: Sequence[tuple[str, Measure, Finding | None, tuple[str, str], Any]],
    period_text: str,
    *,
    threshold: int,
    confidence: str = "95%",
) -> Table:
    """One row per measure at force level: (group, measure, previous-year finding or the
    row's lone finding, (signal, letter), hidden-why or None). Group changes start a heading
    row."""
    header = ("Measure", "Latest", "Base (n)", "Compared with previous year", "Variation (SPC)")
    cols = ("measure", "value", "base", "verdict", "spc")
    rows: list[Row] = []
    group = None
    primary_used = False
    for g, m, f, (signal, letter), why, sure in entries:
        if g != group:
            rows.append(Row((Cell(g, "group"),), "group", g))
            group = g
        name = Cell(m.title, "measure")
        if f is None:
            rows.append(
                Row(
                    (name, Cell("no figure", "value", "muted"), Cell("", "base"))
                    + (Cell("Not compared", "verdict", "muted"), icon_cell("none", "")),
                    "measure",
                    m.id,
                )
            )
            continue
        if why is not None:
            small = why == "primary" and m.kind in COUNT_KINDS
            primary_used |= small
            text = fewer_than(threshold) if small else NOT_SHOWN
            cells = (
                name,
                Cell(text, "value", "hidden"),
                Cell("", "base"),
                Cell("\u2014", "verdict", "muted"),
                icon_cell(signal, letter, hidden=True),
            )
        else:
            value, base = value_cells(f, m)
            if m.kind == "rate_per_1000":
                base = Cell("", "base")
            spc = icon_cell(signal, letter, f.unreportable, sure)
            cells = (name, value, base, verdict_cell(f), spc)
        rows.append(Row(cells, "measure", m.id))
    notes = [
        f"Force-wide figures for {period_text}; comparisons are with the same months a year "
        f"earlier, at the {confidence} level of confidence."
    ]
    if primary_used:
        notes.append(PRIMARY_NOTE.format(k=threshold, k1=threshold - 1))
    return Table("t-summary", "Summary of performance", header, cols, tuple(rows), tuple(notes))
