"""Extra report sections supplied by other packages (national context first of all).

A hook is a function ``hook(ctx: ReportContext) -> Sequence[ExtraSection]``, handed to
``build_report(hooks=[...])`` by whoever assembles the report (``forcestat.pipeline``): there is
no global registry. Each ``ExtraSection`` names the slot it fills:

- ``"national_context"``: replaces the national context placeholder (section 4.2); several
  hooks' sections are shown in registration order;
- ``"appendix"``: appended after the closing recommendation.

Hooks read the same inputs as the report (``ctx.results``, ``ctx.framework``) and must respect
``ctx.public`` (the results are already the public edition's). A hook returns sections without
numbers; the report numbers them. Hooks run in the order given, so the same hooks give the same
report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from forcestat.framework.model import Framework
from forcestat.outputs.commentary import CommentarySet
from forcestat.outputs.report.model import Placeholder, Section

SLOTS = ("national_context", "appendix")

NATIONAL_PLACEHOLDER = (
    "National and regional comparisons need the Home Office police recorded crime tables, "
    "which are not loaded in this store. Once they are loaded, this section compares the "
    "force's recorded crime with England and Wales and its most similar forces."
)


@dataclass(frozen=True)
class ReportContext:
    framework: Framework
    period: str
    results: pd.DataFrame  # measure_results, all periods the caller passed
    public: bool
    threshold: int  # public outputs suppress counts below this (settings.suppress_below)
    areas: Mapping[str, str]  # district -> area
    commentary: CommentarySet


@dataclass(frozen=True)
class ExtraSection:
    slot: str
    section: Section


SectionHook = Callable[[ReportContext], Sequence[ExtraSection]]


def extra_sections(ctx: ReportContext, hooks: Sequence[SectionHook] = ()):
    """{slot: [sections]} from every hook, in order."""
    out: dict[str, list[Section]] = {s: [] for s in SLOTS}
    for hook in hooks:
        for extra in hook(ctx):
            if extra.slot not in out:
                raise ValueError(f"section hook {hook!r}: unknown slot {extra.slot!r}")
            out[extra.slot].append(extra.section)
    return out


def national_placeholder() -> Section:
    return Section("national-context", "", "National context", [Placeholder(NATIONAL_PLACEHOLDER)])


def not_available_hook(titles: Mapping[str, str], missing: Mapping[str, str]) -> SectionHook:
    """A hook for an appendix naming each measure the data cannot support, and why.
    ``titles``: every measure of the framework (id -> title), in framework order."""
    from forcestat.outputs.report.model import Paragraph

    def hook(ctx: ReportContext) -> list[ExtraSection]:
        items = [
            Paragraph(
                f"{len(missing)} of the framework's {len(titles)} measures are not "
                "available from the data in this store, so they are left out of the report "
                "rather than shown as zeros or empty charts:"
            )
        ]
        items += [Paragraph(f"{t}: {missing[mid]}.") for mid, t in titles.items() if mid in missing]
        title = "Measures not available from this data"
        return [ExtraSection("appendix", Section("not-available", "", title, items))]

    return hook
