"""The Board report's national context section (4.2), through the report's section hook
(``forcestat.outputs.report.sections``).

``register()`` adds ``national_context_section`` to the report's hooks. The hook reads the
store the report was built from (``ctx.store``); when the store has no Home Office tables, or
the report was built without a store, it adds nothing and the report keeps its placeholder.
National statistics carry no small counts, so the public edition shows the same section.
"""

from __future__ import annotations

from typing import Any

from .national import (
    NATIONAL_UNIT,
    NationalContext,
    NationalContextError,
    national_context,
    ordinal,
)


def national_context_section(ctx: Any) -> list:
    """Report section hook: [ExtraSection('national_context', ...)] or []."""
    from forcestat.outputs.report.sections import ExtraSection

    if ctx.store is None:
        return []
    try:
        nc = national_context(ctx.store, ctx.period)
    except NationalContextError:
        return []
    return [ExtraSection("national_context", section(nc))]


def section(nc: NationalContext):
    """The section: the sentences, a force / England and Wales table, and the caveats."""
    from forcestat.outputs.report.model import Paragraph, Section

    items: list = [Paragraph(s) for s in nc.sentences]
    items.append(table(nc))
    return Section("national-recorded-crime", "", "Recorded crime and charges nationally", items)


def table(nc: NationalContext):
    from forcestat.findings.format import fmt_count, fmt_number, fmt_pct, month_name
    from forcestat.outputs.report.model import Cell, Row, Table

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
    year, month = (int(x) for x in nc.period_end.split("-"))
    notes = [
        f"Financial year {nc.financial_year} (12 months to {month_name(year, month)}). Police "
        f"recorded crime and outcomes: Home Office; England and Wales = the "
        f"{nc.forces_compared} territorial forces (British Transport Police excluded).",
        "Charges and summonses: outcome type 1 assigned in the year (all offences) as a "
        "percentage of the crimes recorded in the year.",
    ]
    if nc.population_year and not any(n.startswith("Population:") for n in nc.notes):
        notes.append(f"Population: ONS mid-{nc.population_year} estimates.")
    notes += nc.notes
    return Table(
        "t-national-context",
        f"{nc.force} and England and Wales, {nc.financial_year}",
        ("", nc.force, NATIONAL_UNIT),
        ("measure", "force", "national"),
        tuple(rows),
        tuple(notes),
    )


def register() -> None:
    """Add the section to the report (idempotent)."""
    from forcestat.outputs.report.sections import register_section_hook

    register_section_hook(national_context_section)
