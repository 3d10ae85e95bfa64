"""Sentences about one unit (force, area, district): value, comparison, small base, share.

Significance words come only from a row's verdict (Finding.is_significant); "marginally" only
from the strength given by forcestat.stats.verdicts; trend words only from the trend column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from forcestat.findings import rules
from forcestat.findings.format import (
    area_label,
    capitalise,
    comparator_name,
    fmt_base,
    fmt_count,
    fmt_n,
    fmt_number,
    fmt_pct,
    is_plural,
    join_names,
    lower_article,
    period_name,
    with_article,
)
from forcestat.findings.model import COMPARATORS, Finding, MeasureInfo

# Kinds whose comparisons read "stable compared with" rather than "comparable to".
AVERAGE_KINDS = frozenset({"median", "mean"})


# -- comparisons --------------------------------------------------------------------------------
def relation(f: Finding) -> str | None:
    """The words before the comparator's name, or None when no comparison may be worded."""
    if not f.reportable:
        return None
    if f.is_significant:
        return "significantly higher than" if f.higher else "significantly lower than"
    # A non-significant verdict never reads "significantly", whatever the strength says.
    if f.strength in ("marginal", "significant") and f.higher is not None:
        side = "higher" if f.higher else "lower"
        return f"marginally {side} than, but comparable to,"
    return "stable compared with" if f.kind in AVERAGE_KINDS else "comparable to"


def verdict_label(f: Finding | None) -> str:
    """A table's word for the comparison a sentence words with ``relation``: 'Significantly
    higher', 'Marginally lower' (not significant), 'Comparable' ('Stable' for medians and
    means) or 'Not compared' - so a table never contradicts its paragraph."""
    if f is None or not f.reportable or f.unreportable:
        return "Not compared"
    words = relation(f) or ""
    if words.startswith("significantly"):
        return "Significantly higher" if f.higher else "Significantly lower"
    if words.startswith("marginally"):
        return "Marginally higher" if f.higher else "Marginally lower"
    return "Stable" if f.kind in AVERAGE_KINDS else "Comparable"


def distinct(findings: Sequence[Finding]) -> list[Finding]:
    """The comparisons worth naming: the year end benchmark is left out where it is the
    previous year itself (a 12-month window ending with the financial year: same figure, same
    verdict), so one benchmark is never compared twice."""
    prev = {(f.breakdown, f.unit): f for f in findings if f.comparator == "previous_year"}
    out = []
    for f in findings:
        p = prev.get((f.breakdown, f.unit))
        same = (
            f.comparator == "year_end"
            and p is not None
            and f.comparator_value == p.comparator_value
            and f.verdict == p.verdict
        )
        if not same:
            out.append(f)
    return out


def comparison_clauses(findings: Sequence[Finding]) -> list[str]:
    """One clause per distinct relation, comparators in COMPARATORS order; comparators sharing a
    relation are named together: 'comparable to both the 12 months ending March 2019 and the
    long term benchmark'."""
    groups: dict[str, list[str]] = {}
    order = {c: i for i, c in enumerate(COMPARATORS)}
    for f in sorted(distinct(findings), key=lambda f: order.get(f.comparator or "", 0)):
        words = relation(f)
        if words is None or f.comparator is None:
            continue
        name = comparator_name(f.comparator, f.period_end, f.window)
        groups.setdefault(words, []).append(name)
    clauses = []
    for words, names in groups.items():
        both = "both " if len(names) == 2 else ""
        clauses.append(f"{words} {both}{join_names(names)}")
    return clauses


def join_clauses(clauses: Sequence[str]) -> str:
    """Clauses that carry their own commas ('marginally lower than, but comparable to,') are
    separated by semicolons, as in the reference report; plain ones by 'and'."""
    clauses = list(clauses)
    if len(clauses) <= 1:
        return "".join(clauses)
    if any("," in c for c in clauses):
        return "; ".join(clauses[:-1]) + "; and " + clauses[-1]
    return join_names(clauses)


def comparison_sentence(findings: Sequence[Finding]) -> str | None:
    """'This is marginally lower than, but comparable to, the 12 months ending March 2019.'"""
    clauses = comparison_clauses(findings)
    return f"This is {join_clauses(clauses)}." if clauses else None


def comparison_tail(findings: Sequence[Finding]) -> str:
    """The same comparison fused onto a value sentence: ', stable compared with ...'."""
    clauses = comparison_clauses(findings)
    return f", {join_clauses(clauses)}" if clauses else ""


def benchmark_tail(f: Finding, measure: MeasureInfo | None = None) -> str:
    """', compared with 1,050 in the 12 months ending March 2019' (or 'with the long term
    benchmark of 1,050'): the comparator's own figure, for a sentence that gives a value."""
    if f.comparator is None or f.comparator_value is None or not f.reportable:
        return ""
    name = comparator_name(f.comparator, f.period_end, f.window)
    figure = value_text(replace(f, value=f.comparator_value), measure)
    if f.comparator == "previous_year":
        return f", compared with {figure} in {name}"
    return f", compared with {name} of {figure}"


# -- values -------------------------------------------------------------------------------------
def value_text(f: Finding, measure: MeasureInfo | None = None) -> str:
    """The figure in house style: '77.2%', '1,234', '11.2 minutes', '54.3 per 1,000 population'."""
    assert f.value is not None
    unit_label = getattr(measure, "unit_label", None)
    if f.kind == "proportion":
        return fmt_pct(f.value)
    if f.kind == "count":
        return fmt_count(f.value)
    if f.kind == "rate_per_1000":
        return f"{fmt_number(f.value)} {unit_label or 'per 1,000 population'}"
    if f.kind == "total":  # a sum of weights (e.g. CCHI days): whole units, never "crimes"
        return f"{fmt_count(f.value)} {unit_label}" if unit_label else fmt_count(f.value)
    return f"{fmt_number(f.value)} {unit_label}" if unit_label else fmt_number(f.value)


def unit_name(f: Finding) -> str:
    """How a unit is named in a list: 'North policing area', 'Fenland', 'force level'."""
    if f.breakdown == "force":
        return "force level"
    if f.breakdown == "area":
        return area_label(f.unit)
    return f.unit


def _prefix(f: Finding) -> str:
    if f.breakdown == "force":
        return ""
    if f.breakdown in ("area", "district"):
        return f"In {unit_name(f)}, "
    return f"For {f.unit}, "


def _sentence(prefix: str, body: str) -> str:
    return f"{prefix}{body}" if prefix else capitalise(body)


def _the(phrase: str) -> str:
    return with_article(phrase)


def value_sentence(f: Finding, measure: MeasureInfo, tail: str = "") -> str:
    """The value with its period and base; `tail` (a comparison) goes after the base.

    Rows that may not be reported (suppressed, base under 50, no value) get the small-base
    sentence instead, and never a comparison.
    """
    if f.value is None or f.unreportable:
        return small_base_sentence(f, measure)
    period = period_name(f.period_end, f.window)
    caution = f.base_status == "caution"
    template = getattr(measure, "statement", None)
    prefix = _prefix(f)

    if template:
        body, base = _render_template(template, f, measure, period, caution)
        if prefix:
            body = lower_article(body)
        return f"{_sentence(prefix, body)}{base}{tail}."

    figure = value_text(f, measure)
    if f.kind == "count":
        if is_plural(f.phrase):
            body = f"{figure} {f.phrase} were recorded in {period}"
        else:
            body = f"{f.phrase} totalled {figure} in {period}"
        return f"{_sentence(prefix, body)}{fmt_base(None, caution)}{tail}."
    if f.kind in AVERAGE_KINDS:
        body = f"{_the(f.phrase)} was {figure} in {period}"
    else:
        body = f"{_the(f.phrase)} for {period} was {figure}"
    return f"{_sentence(prefix, body)}{fmt_base(f.n, caution)}{tail}."


def _render_template(
    template: str, f: Finding, measure: MeasureInfo, period: str, caution: bool
) -> tuple[str, str]:
    assert f.value is not None
    figure = value_text(f, measure)
    band = rules.share_band(f.value) if f.kind == "proportion" else None
    fields = {
        "value": figure,
        "share": band or figure,
        "period": period,
        "n": fmt_n(f.n) if f.n is not None else "",
        "unit": unit_name(f),
    }
    template = normalise_template(template)
    try:
        body = template.format_map(fields)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"{f.measure_id}: bad statement template {template!r}: {exc}") from None
    if "{period}" not in template:
        body = f"{body} in {period}"
    if "{n}" in template:
        return body, fmt_base(None, caution)
    n_text = f"n = {fmt_n(f.n)}" if f.n is not None else ""
    parts = []
    if caution:
        parts.append("treat with caution")
    if "{share}" in template and "{value}" not in template and band is not None:
        parts.append(figure)  # a banded share still gives its figure: '(36.4%, n = 1,210)'
    if n_text:
        parts.append(n_text)
    return body, f" ({', '.join(parts)})" if parts else ""


_THE_PERIOD = re.compile(r"\b[Tt]he \{period\}")
_BASE_IN_TEMPLATE = re.compile(r"\s*\(n = \{n\}\)")


def normalise_template(template: str) -> str:
    """Accept statements written either way: '{period}' names carry their own article, so
    'in the {period}' reads 'in {period}'; a written '(n = {n})' and a closing full stop are
    dropped because the sentence adds the house-style base ('treat with caution' included)."""
    template = _THE_PERIOD.sub("{period}", template.strip())
    template = _BASE_IN_TEMPLATE.sub("", template)
    return template[:-1] if template.endswith(".") else template


def share_sentence(f: Finding, measure: MeasureInfo) -> str:
    """'Over a third of all crimes related to Child Sexual Exploitation in ... (36.4%, n = ...).'

    Needs a statement template using {share}; the share band comes from rules.SHARE_BANDS.
    """
    template = getattr(measure, "statement", None)
    if not template or "{share}" not in template:
        raise ValueError(f"{f.measure_id}: share wording needs a statement with {{share}}")
    return value_sentence(f, measure)


def small_base_sentence(f: Finding, measure: MeasureInfo) -> str:
    """'There were too few responses to report the ... for ... (n = 34).'

    Suppressed rows never show their base (disclosure control); others always do.
    """
    period = period_name(f.period_end, f.window)
    prefix = _prefix(f)
    if f.value is None and not f.unreportable:
        return _sentence(prefix, f"no figure is available for {_the(f.phrase)} for {period}.")
    if f.base_status == "withheld":
        body = f"{_the(f.phrase)} for {period} is not reported: the numbers involved are too small"
        return f"{_sentence(prefix, body)}."
    base = "" if f.suppressed or f.n is None else f" (n = {fmt_n(f.n)})"
    if f.kind == "count":
        if is_plural(f.phrase):
            body = f"there were too few {f.phrase} to report for {period}"
        else:
            body = f"figures for {f.phrase} are too small to report for {period}"
        return f"{_sentence(prefix, body)}."
    base_label = getattr(measure, "base_label", None) or "responses"
    body = f"there were too few {base_label} to report {_the(f.phrase)} for {period}"
    return f"{_sentence(prefix, body)}{base}."
