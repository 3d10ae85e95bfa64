"""The Board report's national context section (4.2): the sentences (``findings.national``), a
force / England and Wales table, and the caveats. Handed the engine's ``NationalContext``;
national statistics carry no small counts, so the public edition shows the same section.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from forcestat.findings.format import fmt_count, fmt_number, fmt_pct
from forcestat.findings.national import ordinal
from forcestat.outputs.report.model import Cell, Paragraph, Row, Section, Table
from forcestat.outputs.report.sections import ExtraSection, ReportContext, SectionHook
from forcestat.period import Period


def national_hook(nc: Any, sentences: Sequence[str]) -> SectionHook:
    """A section hook that fills the national context slot with ``nc``'s section."""

    def hook(ctx: ReportContext) -> list[ExtraSection]:
        return [ExtraSection("national_context", section(nc, sentences))]

    return hook


def section(nc: Any, sentences: Sequence[str]) -> Section:
    """The section: the sentences, a force / England and Wales table, and the caveats."""
    items: list = [Paragraph(s) for s in sentences]
    items.append(table(nc))
    return Section("national-recorded-crime", "", "Recorded crime and charges nationally", items)


def table(nc: Any) -> Table:
    def pct_change(fig) -> str:
        if fig is None or fig.change_pct is None:
            return "\u2014"
        sign = "+" if fig.change_pct > 0 else "\u2212" if fig.change_pct < 0 else ""
        return f"{sign}{fmt_pct(abs(fig.change_pct))}"

    def value(fig, fmt) -> str:
        return "\u2014" if fig is None or fig.value is None else fmt(fig.value)

    change = pct_change(nc.recorded)
    if nc.rank is not None:
        which = "highest increase" if nc.rank_direction == "increase" else "largest decrease"
        change += f" ({'joint ' if nc.tied else ''}{ordinal(nc.rank)} {which})"
    lines = (
        ("Police recorded crime", value(nc.recorded, fmt_count), nc.national_recorded, fmt_count),
        ("Change on the previous year", change, None, None),
        ("Crimes per 1,000 residents", value(nc.rate, fmt_number), nc.national_rate, fmt_number),
        (
            "Charges and summonses as a % of crimes recorded",
            value(nc.charge_rate, fmt_pct),
            nc.national_charge_rate,
            fmt_pct,
        ),
    )
    rows = []
    for label, own, nat, fmt in lines:
        other = pct_change(nc.national_recorded) if fmt is None else value(nat, fmt)
        rows.append(
            Row(
                (Cell(label, "measure"), Cell(own, "force", "num"), Cell(other, "national", "num")),
                level="force",
                unit=label,
            )
        )
    notes = [
        f"Financial year {nc.financial_year} (12 months to "
        f"{Period.parse(nc.period_end).month_name}). Police recorded crime and outcomes: Home "
        f"Office; England and Wales = the {nc.forces_compared} territorial forces (British "
        "Transport Police excluded).",
        "Charges and summonses: outcome type 1 assigned in the year (all offences) as a "
        "percentage of the crimes recorded in the year.",
    ]
    if nc.population_year and not any(n.startswith("Population:") for n in nc.notes):
        notes.append(f"Population: ONS mid-{nc.population_year} estimates.")
    notes += nc.notes
    return Table(
        "t-national-context",
        f"{nc.force} and England and Wales, {nc.financial_year}",
        ("", nc.force, nc.national_unit),
        ("measure", "force", "national"),
        tuple(rows),
        tuple(notes),
    )
