"""Extra report sections supplied by other packages (national context first of all).

A hook is a function ``hook(ctx: ReportContext) -> Sequence[ExtraSection]``, registered with
``register_section_hook`` (or appended to ``SECTION_HOOKS``). Each ``ExtraSection`` names the
slot it fills:

- ``"national_context"``: replaces the national context placeholder (section 4.2); several
  hooks' sections are shown in registration order;
- ``"appendix"``: appended after the closing recommendation.

Hooks read the same inputs as the report (``ctx.results``, ``ctx.store``, ``ctx.framework``)
and must respect ``ctx.public`` (disclosure control: ``forcestat.outputs.public``). A hook
returns sections without numbers; the report numbers them. Hooks run in registration order,
so the same hooks give the same report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
    store: Any = None  # the store the results came from, when the caller has one


@dataclass(frozen=True)
class ExtraSection:
    slot: str
    section: Section


SectionHook = Callable[[ReportContext], Sequence[ExtraSection]]
SECTION_HOOKS: list[SectionHook] = []


def register_section_hook(hook: SectionHook) -> SectionHook:
    """Add a hook (usable as a decorator); registering the same function twice is a no-op."""
    if hook not in SECTION_HOOKS:
        SECTION_HOOKS.append(hook)
    return hook


def extra_sections(ctx: ReportContext, hooks: Sequence[SectionHook] | None = None):
    """{slot: [sections]} from every hook, in order."""
    out: dict[str, list[Section]] = {s: [] for s in SLOTS}
    for hook in SECTION_HOOKS if hooks is None else hooks:
        for extra in hook(ctx):
            if extra.slot not in out:
                raise ValueError(f"section hook {hook!r}: unknown slot {extra.slot!r}")
            out[extra.slot].append(extra.section)
    return out


def national_placeholder() -> Section:
    return Section("national-context", "", "National context", [Placeholder(NATIONAL_PLACEHOLDER)])
