"""What a Board paper says about one measure: force, then areas, trends, districts, bases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from forcestat.findings import grouped, rules
from forcestat.findings.build import Row, build_findings
from forcestat.findings.format import (
    comparator_name,
    fmt_number,
    fmt_pct,
    join_names,
    number_word,
)
from forcestat.findings.model import COMPARATORS, WINDOW_ORDER, Finding, MeasureInfo, Statement
from forcestat.findings.units import Units
from forcestat.findings.wording import (
    benchmark_tail,
    comparison_sentence,
    comparison_tail,
    relation,
    small_base_sentence,
    value_sentence,
    value_text,
)
from forcestat.period import Period

# Outcome rates on a cohort basis rise as recent crimes reach outcomes (docs/architecture.md §6).
MATURING = (
    "This period is still maturing: crimes recorded in recent months have had little time to "
    "reach an outcome, so the rate will rise; it is compared with its benchmarks as they stood "
    "at the same stage."
)


def measure_paragraph(
    measure: MeasureInfo,
    rows_for_measure: Iterable[Row],
    areas: Mapping[str, str] | None = None,
    *,
    min_base: int = rules.MIN_BASE,
    caution_base: int = rules.CAUTION_BASE,
) -> list[str]:
    """The sentences of ``tell`` for measure_results rows (``build_findings``' base rules)."""
    findings = build_findings(
        rows_for_measure, {measure.id: measure}, min_base=min_base, caution_base=caution_base
    )
    return [s.text for s in tell(measure, findings, areas)]


def tell(
    measure: MeasureInfo, findings: Iterable[Finding], areas: Mapping[str, str] | None = None
) -> list[Statement]:
    """What a Board paper says about one measure for its latest period, as statements with
    their role, units and verdict; deterministic for the same findings in any order. Uses the
    latest period_end and, of its windows, 12m > fytd > 3m > 1m. ``areas`` (district -> area,
    optional) lets district variation name whole areas."""
    selected = select_period(findings)
    if not selected:
        return []
    units = Units.from_findings(selected)
    primary = primary_comparator(units)
    if selected[0].kind == "count":
        said = _count_paragraph(units, primary, measure)
    else:
        said = _levels_paragraph(units, primary, measure, areas)
    return [replace(s, measure_id=measure.id) for s in said]


def select_period(findings: Iterable[Finding]) -> list[Finding]:
    """The findings of the latest period_end and its leading window."""
    findings = list(findings)
    if not findings:
        return []
    latest = max(f.period_end for f in findings)
    windows = {f.window for f in findings if f.period_end == latest}
    window = min(windows, key=lambda w: (WINDOW_ORDER.get(w, 99), w))
    return sorted(f for f in findings if f.period_end == latest and f.window == window)


def primary_comparator(units: Units) -> str | None:
    """The comparator a paragraph leads with: the first (previous year, long term, year end)
    with a significant force verdict, else the first the force can be compared with, else the
    first any area or district can."""
    force = units.force()
    for cmp in COMPARATORS:
        if any(f.comparator == cmp and f.reportable and f.is_significant for f in force):
            return cmp
    for cmp in COMPARATORS:
        if any(f.comparator == cmp and f.reportable for f in force):
            return cmp
    for cmp in COMPARATORS:
        if any(f.reportable for level in ("area", "district") for f in units.at(level, cmp)):
            return cmp
    return None


def _force_worse(units: Units, primary: str | None) -> bool:
    f = units.force_at(primary)
    return f is not None and f.direction == "worse"


def _key(f: Finding) -> tuple[str, str]:
    return (f.breakdown, f.unit)


def _verdict(findings: Sequence[Finding]) -> str | None:
    """The verdict a comparison states: the first significant one, else comparable (None when
    nothing may be compared)."""
    said = [f for f in findings if f.reportable]
    for f in said:
        if f.is_significant:
            return f.verdict
    return "comparable" if said else None


def _levels_paragraph(
    units: Units, primary: str | None, measure: MeasureInfo, areas: Mapping[str, str] | None
) -> list[Statement]:
    out: list[Statement] = []
    force = units.force()
    if force:
        lead = force[0]
        here = (_key(lead),)
        if lead.value is None or lead.unreportable:
            out.append(Statement(small_base_sentence(lead, measure), "headline", here))
        elif lead.kind in ("median", "mean"):
            text = value_sentence(lead, measure, tail=comparison_tail(force))
            out.append(Statement(text, "headline", here, _verdict(force), topic="comparison"))
        else:
            out.append(Statement(value_sentence(lead, measure), "headline", here))
            _add(out, comparison_sentence(force), "headline", here, _verdict(force), "comparison")
        if lead.maturing and not lead.unreportable:
            out.append(Statement(MATURING, "caution", here, topic="maturing"))
    out.extend(_area_sentences(units, primary, measure, covered=set()))
    out.extend(grouped.trend_sentences(units, contrast=_force_worse(units, primary)))
    out.extend(grouped.spc_sentences(units))
    if primary is not None:
        variation = grouped.variation_sentence(units, primary, areas, measure)
        if variation:
            out.append(variation)
        else:
            out.extend(grouped.district_summary(units, primary))
    _add_statement(out, grouped.growth_sentence(units.at("district", "previous_year")))
    _add_statement(out, volatility_statement(units))
    out.extend(_base_sentences(units, measure))
    return out


def _count_paragraph(units: Units, primary: str | None, measure: MeasureInfo) -> list[Statement]:
    out: list[Statement] = []
    covered: set[tuple[str, str]] = set()
    districts_said = False
    if primary is not None:
        headline, covered = grouped.count_headline(units, primary)
        if headline:
            verdict = _headline_verdict(units, primary, covered)
            clause = grouped.all_districts_clause(units, primary, verdict) if verdict else None
            named = set(covered)
            if clause:
                headline = f"{headline[:-1]}, {clause}."
                districts_said = True
                named |= {_key(d) for d in units.at("district", primary)}
            out.append(
                Statement(headline, "headline", _ordered(named), verdict, topic="comparison")
            )
    force = units.force()
    if force:
        # The headline named no figures: the force sentence gives the count and, for the
        # headline's comparator, the benchmark it was compared with.
        stated = [f for f in force if ("force", f.unit) in covered and f.comparator == primary]
        lead = stated[0] if stated else force[0]
        tail = benchmark_tail(lead, measure) if stated else ""
        role = "detail" if out else "headline"
        here = (_key(lead),)
        out.append(Statement(value_sentence(lead, measure, tail=tail), role, here))
        if not lead.unreportable:
            rest = [f for f in force if f not in stated]
            _add(out, comparison_sentence(rest), role, here, _verdict(rest), "comparison")
    out.extend(_area_sentences(units, primary, measure, covered))
    out.extend(grouped.trend_sentences(units, contrast=_force_worse(units, primary)))
    out.extend(grouped.spc_sentences(units))
    growth_findings = units.at("district", "previous_year")
    summary = [] if districts_said or primary is None else grouped.district_summary(units, primary)
    # Growth joins the district sentence only when that sentence is about higher levels;
    # after "none of the districts ... significantly different" it stands on its own.
    joins = primary == "previous_year" and (
        grouped.district_verdict(units, primary) == "significantly_higher"
    )
    clause = grouped.growth_clause(growth_findings) if joins else None
    if summary and clause:
        summary[0] = replace(summary[0], text=f"{summary[0].text[:-1]}, {clause}.")
    else:
        _add_statement(summary, grouped.growth_sentence(growth_findings))
    out.extend(summary)
    _add_statement(out, volatility_statement(units))
    out.extend(_base_sentences(units, measure))
    return out


def _ordered(keys: set[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    order = {"force": 0, "area": 1, "district": 2}
    return tuple(sorted(keys, key=lambda k: (order.get(k[0], 3), k[1])))


def _headline_verdict(units: Units, primary: str, covered: set[tuple[str, str]]) -> str | None:
    for level in ("force", "area"):
        for f in units.at(level, primary):
            if (f.breakdown, f.unit) in covered:
                return f.verdict
    return None


def _area_sentences(
    units: Units, primary: str | None, measure: MeasureInfo, covered: set[tuple[str, str]]
) -> list[Statement]:
    """A value sentence per area not already covered, with its primary comparison fused on."""
    out = []
    for fs in units.all_of("area"):
        lead = fs[0]
        if (lead.breakdown, lead.unit) in covered or lead.unreportable:
            continue  # too-few areas are listed together in the base sentences
        # The lead comparator, plus any other this unit differs from significantly, so a
        # significant result is never left out.
        said = [f for f in fs if f.comparator == primary or f.is_significant]
        text = value_sentence(lead, measure, tail=comparison_tail(said))
        out.append(Statement(text, "detail", (_key(lead),), _verdict(said), topic="area"))
    return out


def _base_sentences(units: Units, measure: MeasureInfo) -> list[Statement]:
    out: list[Statement] = []
    base_label = getattr(measure, "base_label", None) or "responses"
    subunits = units.rows("area") + units.rows("district")
    _add_statement(out, grouped.too_few_sentence(subunits, base_label))
    _add_statement(out, grouped.withheld_sentence(subunits))
    # Areas carry "(treat with caution, n = ...)" in their own sentences; districts are only
    # named in summaries, so their caution gets a sentence of its own.
    _add_statement(out, grouped.caution_sentence(units.rows("district")))
    return out


def _add(
    out: list[Statement],
    sentence: str | None,
    role: str,
    units: tuple[tuple[str, str], ...],
    verdict: str | None = None,
    topic: str = "value",
) -> None:
    if sentence:
        out.append(Statement(sentence, role, units, verdict, topic=topic))


def _add_statement(out: list[Statement], statement: Statement | None) -> None:
    if statement is not None:
        out.append(statement)


def chart_statement(
    measure: MeasureInfo,
    months: Sequence[str],
    point_types: Sequence[str],
    recent: int = 12,
    key: tuple[str, str] = ("force", ""),
) -> Statement | None:
    """What a chart shows that its icon does not: the icon reads the latest month only, so
    when that month is common cause variation but earlier months of the last ``recent`` were
    special cause, say so: 'Monthly figures showed special cause variation of concern in five
    of the last 12 months (May to September 2019); the latest month, March 2020, shows common
    cause variation.'"""
    if not months or point_types[-1] != "common_cause":
        return None
    tail = list(zip(months[-recent:], point_types[-recent:], strict=True))
    special = [(m, t) for m, t in tail if t != "common_cause"]
    if not special:
        return None
    kinds = {t for _, t in special}
    of = {"concern": " of concern", "improvement": " of improvement"}
    what = of.get(next(iter(kinds)), "") if len(kinds) == 1 else ""
    names = [Period.parse(m).month_name for m, _ in special]
    first, last = names[0], names[-1]
    when = first if len(names) == 1 else f"{first} to {last}"
    k = len(special)
    count = number_word(k) if k != 1 else "one"
    text = (
        f"Monthly figures showed special cause variation{what} in {count} of the last "
        f"{len(tail)} months ({when}); the latest month, {Period.parse(months[-1]).month_name}, "
        "shows common cause variation."
    )
    return Statement(text, "detail", (key,), None, measure.id, topic="spc")


def view_statement(measure: MeasureInfo, findings: Iterable[Finding]) -> Statement | None:
    """A recent window against the one before it and the same months a year earlier (a
    measure's ``views``): 'The referral rate ... for the three months ending March 2020 was
    22.3% (n = 4,120), significantly higher than 20.8% in the previous three months, and
    comparable to the three months ending March 2019.' From the force's findings of one
    window."""
    fs = [f for f in findings if f.breakdown == "force"]
    if not fs:
        return None
    lead = fs[0]
    if lead.value is None or lead.unreportable:
        return Statement(small_base_sentence(lead, measure), "detail", (_key(lead),), topic="view")
    by = {f.comparator: f for f in fs if f.comparator}
    parts = []
    for cmp in ("previous_period", "previous_year"):
        f = by.get(cmp)
        words = relation(f) if f is not None else None
        if f is None or words is None:
            continue
        name = comparator_name(cmp, f.period_end, f.window)
        if f.comparator_value is not None and cmp == "previous_period":
            figure = value_text(replace(f, value=f.comparator_value), measure)
            parts.append(f"{words} {figure} in {name}")
        else:
            parts.append(f"{words} {name}")
    tail = f", {' and '.join(parts)}" if parts else ""
    verdict = next((f.verdict for f in fs if f.comparator and f.is_significant), None)
    return Statement(
        value_sentence(lead, measure, tail=tail),
        "detail",
        (_key(lead),),
        verdict or ("comparable" if parts else None),
        measure.id,
        topic="view",
    )


# A change this large that is not significant needs a word why (docs/narrative.md).
LARGE_CHANGE_PCT = 25.0  # counts, totals and rates: relative change on the previous year
LARGE_CHANGE_POINTS = 5.0  # proportions: percentage points
VOLATILE_PHI = 1.5  # above this the tests allowed for month-to-month variation beyond chance


def volatility_statement(units: Units) -> Statement | None:
    """'The rises in Cambridge (+46.0%) and South Cambridgeshire (+85.2%) are not statistically
    significant: their monthly figures vary more than chance alone would explain.' For the
    units whose change on the previous year is large but not significant."""
    volatile: list[tuple[Finding, str]] = []
    small: list[tuple[Finding, str]] = []
    for level in ("force", "area", "district"):
        for f in units.at(level, "previous_year"):
            if f.is_significant or not f.reportable or f.diff is None:
                continue
            size = _large_change(f)
            if size is None:
                continue
            big_phi = f.dispersion is not None and f.dispersion > VOLATILE_PHI
            (volatile if big_phi else small).append((f, size))
    parts = []
    for group, why in (
        (volatile, "vary from month to month more than chance alone would explain"),
        (small, "rest on small numbers"),
    ):
        if not group:
            continue
        names = join_names([f"{_where(f)} ({size})" for f, size in group])
        whose = "its" if len(group) == 1 else "their"
        parts.append(
            f"The {'change' if len(group) == 1 else 'changes'} in {names} "
            f"{'is' if len(group) == 1 else 'are'} not statistically significant: {whose} "
            f"figures {why}."
        )
    if not parts:
        return None
    keys = tuple((f.breakdown, f.unit) for f, _ in volatile + small)
    return Statement(" ".join(parts), "caution", keys, "comparable", topic="volatility")


def _large_change(f: Finding) -> str | None:
    if f.kind == "proportion":
        if abs(f.diff) < LARGE_CHANGE_POINTS:
            return None
        sign = "+" if f.diff > 0 else "\u2212"
        return f"{sign}{fmt_number(abs(f.diff))} percentage points"
    if f.kind in ("count", "total", "rate_per_1000") and f.comparator_value:
        pct = f.diff / f.comparator_value * 100
        if abs(pct) < LARGE_CHANGE_PCT:
            return None
        sign = "+" if pct > 0 else "\u2212"
        return f"{sign}{fmt_pct(abs(pct))}"
    return None


def _where(f: Finding) -> str:
    if f.breakdown == "force":
        return "the force's figure"
    return f"{f.unit} policing area" if f.breakdown == "area" else f.unit
