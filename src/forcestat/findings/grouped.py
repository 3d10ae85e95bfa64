"""Sentences about several units at once: count headlines, trends, SPC, districts, growth.

Every "significantly" here is backed by the named units' own verdicts; units whose base is too
small (or whose comparison is insufficient) are never counted for or against a statement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from forcestat.findings import rules
from forcestat.findings.format import (
    area_label,
    both_names,
    capitalise,
    comparator_name,
    districts_phrase,
    fmt_n,
    is_plural,
    join_names,
    number_word,
    over_the_last,
    where_phrase,
    with_article,
)
from forcestat.findings.model import Finding, Key, MeasureInfo, Statement
from forcestat.findings.units import Units
from forcestat.findings.wording import unit_name, value_text

LEVELS_KINDS = frozenset({"proportion", "median", "mean", "rate_per_1000"})
GROWTH_KINDS = frozenset({"count", "rate_per_1000"})


def subject(f: Finding) -> str:
    """'the number of serious sexual offences' ('the level of recorded crime') for counts,
    'the <phrase>' otherwise."""
    if f.kind == "count":
        return f"the {'number' if is_plural(f.phrase) else 'level'} of {f.phrase}"
    return with_article(f.phrase)


def levels_noun(f: Finding, plural: bool = False) -> str:
    """How district wording names the measure's level: a one-word proportion phrase reads
    '<phrase> levels' ('confidence levels'); otherwise a generic noun ('the rate' / 'rates',
    'the median' / 'medians', 'the average' / 'averages'), since the paragraph has already named
    the measure in full."""
    if f.kind == "proportion" and " " not in f.phrase.strip():
        return f"{f.phrase} levels"
    singular, many = {
        "proportion": ("the rate", "rates"),
        "rate_per_1000": ("the rate", "rates"),
        "median": ("the median", "medians"),
        "mean": ("the average", "averages"),
    }.get(f.kind, ("the level", "levels"))
    return many if plural else singular


def _side(verdict: str) -> str:
    return "higher" if verdict == "significantly_higher" else "lower"


def _dominant(findings: Sequence[Finding]) -> str | None:
    """The significant verdict held by most of the findings (ties: higher first)."""
    higher = sum(f.is_significant and f.verdict == "significantly_higher" for f in findings)
    lower = sum(f.is_significant and f.verdict == "significantly_lower" for f in findings)
    if not higher and not lower:
        return None
    return "significantly_higher" if higher >= lower else "significantly_lower"


def _join_where(lead: str, where: str) -> str:
    # "..., at both force level and in North" takes a comma; "... in both North and South" not.
    if not where:
        return lead
    return f"{lead}, {where}" if where.startswith("at ") else f"{lead} {where}"


# -- counts -------------------------------------------------------------------------------------
def count_headline(units: Units, comparator: str) -> tuple[str | None, set[tuple[str, str]]]:
    """'A significantly higher number of serious sexual offences were recorded over the last 12
    months, at both force level and in North policing area.' and the units it covers.

    The previous-year comparator is implied by "over the last 12 months" (house style); other
    comparators are named.
    """
    force = units.force_at(comparator)
    areas = [a for a in units.at("area", comparator) if a.reportable]
    if force is not None and force.is_significant:
        verdict: str | None = force.verdict
    else:
        verdict = _dominant(areas)
    if verdict is None:
        return None, set()
    in_force = force is not None and force.is_significant and force.verdict == verdict
    in_areas = [a for a in areas if a.is_significant and a.verdict == verdict]
    lead_f = force if in_force else in_areas[0]
    assert lead_f is not None
    where = where_phrase(in_force, [a.unit for a in in_areas], len(units.names("area")))
    when = over_the_last(lead_f.period_end, lead_f.window)
    side = _side(verdict)
    name = comparator_name(comparator, lead_f.period_end, lead_f.window)
    phrase = lead_f.phrase
    if comparator == "previous_year" and is_plural(phrase):
        lead = f"A significantly {side} number of {phrase} were recorded {when}"
    elif comparator == "previous_year":
        lead = f"Levels of {phrase} were significantly {side} {when}"
    elif is_plural(phrase):
        lead = f"The number of {phrase} recorded {when} was significantly {side} than {name}"
    else:
        lead = f"Levels of {phrase} {when} were significantly {side} than {name}"
    covered = {(a.breakdown, a.unit) for a in in_areas}
    if in_force:
        covered.add(("force", lead_f.unit))
    return f"{_join_where(lead, where)}.", covered


def all_districts_clause(units: Units, comparator: str, verdict: str) -> str | None:
    """'with all six districts seeing significantly higher levels of demand', when every
    reportable district (at least two) shares the verdict."""
    districts = [d for d in units.at("district", comparator) if d.reportable]
    if len(districts) < 2 or len(districts) != len(units.names("district")):
        return None
    if any(not (d.is_significant and d.verdict == verdict) for d in districts):
        return None
    which = "both districts" if len(districts) == 2 else f"all {number_word(len(districts))}"
    if len(districts) > 2:
        which += " districts"
    return f"with {which} seeing significantly {_side(verdict)} levels of {districts[0].phrase}"


# -- districts ----------------------------------------------------------------------------------
def district_summary(units: Units, comparator: str) -> list[Statement]:
    """What the districts' own verdicts say for one comparator, in the fewest sentences:
    all significant alike / the only district not / the only district / named lists / none.

    "All", "only" and "none" are said only when every district can be compared; otherwise the
    districts behind a statement are named, so unreportable districts are never implied."""
    districts = [d for d in units.at("district", comparator) if d.reportable]
    k = len(districts)
    if k < 2:
        return []
    complete = k == len(units.names("district"))
    first = districts[0]
    name = comparator_name(comparator, first.period_end, first.window)
    every = _keys(districts)
    verdict = _dominant(districts)
    if verdict is None:
        if not complete:
            text = _none_named(first, [d.unit for d in districts], name)
        else:
            text = _none_significant(first, k, name)
        return [Statement(text, units=every, verdict="comparable", topic="districts")]
    side = _side(verdict)
    alike = [d for d in districts if d.is_significant and d.verdict == verdict]
    if len(alike) == k and complete:
        text = _all_significant(first, k, side, name)
        return [Statement(text, units=every, verdict=verdict, topic="districts")]
    if k >= 3 and len(alike) == k - 1 and complete:
        (odd,) = [d for d in districts if d not in alike]
        text = _only_not(first, odd.unit, side, name)
        return [Statement(text, units=every, verdict="mixed", topic="districts")]
    sentences = []
    for v in ("significantly_higher", "significantly_lower"):
        group = [d for d in districts if d.is_significant and d.verdict == v]
        if group:
            text = _named(first, [d.unit for d in group], k if complete else 0, _side(v), name)
            sentences.append(Statement(text, units=_keys(group), verdict=v, topic="districts"))
    return sentences


def _keys(findings: Sequence[Finding]) -> tuple[Key, ...]:
    return tuple((f.breakdown, f.unit) for f in findings)


def district_verdict(units: Units, comparator: str) -> str | None:
    """The significant verdict most reportable districts share, if any (ties: higher)."""
    return _dominant([d for d in units.at("district", comparator) if d.reportable])


def _all_significant(f: Finding, k: int, side: str, name: str) -> str:
    if f.kind == "count":
        which = "Both districts" if k == 2 else f"All {number_word(k)} districts"
        return f"{which} recorded significantly {side} levels of {f.phrase} compared to {name}."
    where = "both districts" if k == 2 else f"all {number_word(k)} districts"
    return f"{capitalise(subject(f))} was significantly {side} than {name} in {where}."


def _only_not(f: Finding, unit: str, side: str, name: str) -> str:
    if f.kind == "count":
        return (
            f"{unit} was the only district not to record significantly {side} levels of "
            f"{f.phrase} compared to {name}."
        )
    where = f"where {subject(f)} was not significantly {side} than {name}"
    return f"{unit} was the only district {where}."


def _named(f: Finding, group: list[str], k: int, side: str, name: str) -> str:
    if len(group) == 1 and k >= 3:
        if f.kind == "count":
            return (
                f"{group[0]} was the only district to record significantly {side} levels of "
                f"{f.phrase} compared to {name}."
            )
        where = f"where {subject(f)} was significantly {side} than {name}"
        return f"{group[0]} was the only district {where}."
    if f.kind == "count":
        return (
            f"Significantly {side} levels of {f.phrase} were recorded in {both_names(group)} "
            f"compared to {name}."
        )
    return f"{capitalise(subject(f))} was significantly {side} than {name} in {both_names(group)}."


def _none_significant(f: Finding, k: int, name: str) -> str:
    if f.kind == "count":
        which = "Neither district" if k == 2 else f"None of the {number_word(k)} districts"
        return f"{which} recorded significantly different levels of {f.phrase} compared to {name}."
    where = "either district" if k == 2 else f"any of the {number_word(k)} districts"
    return f"{capitalise(subject(f))} was not significantly different from {name} in {where}."


def _none_named(f: Finding, names: list[str], name: str) -> str:
    if f.kind == "count":
        return (
            f"Levels of {f.phrase} in {both_names(names)} were not significantly different from "
            f"{name}."
        )
    where = both_names(names)
    return f"{capitalise(subject(f))} was not significantly different from {name} in {where}."


def variation_sentence(
    units: Units,
    comparator: str,
    areas: Mapping[str, str] | None = None,
    measure: MeasureInfo | None = None,
) -> Statement | None:
    """'There is notable variation by district, with confidence levels in all four districts in
    South policing area either stable or improved year on year, but deteriorated in North
    policing area, particularly in Fenland where confidence levels fell below 50% (n = 134).'

    Only for level measures with a polarity, when some districts are significantly worse and
    others are not. `areas` maps district -> area and lets whole areas be named.
    """
    districts = [d for d in units.at("district", comparator) if d.reportable]
    if not districts or districts[0].kind not in LEVELS_KINDS:
        return None
    if districts[0].polarity == "neutral":
        return None
    bad = [d for d in districts if d.direction == "worse"]
    ok = [d for d in districts if d.direction in ("better", "same")]
    if not bad or not ok:
        return None
    first = districts[0]
    states = {d.direction for d in ok}
    state = {"better": "improved", "same": "stable"}[states.pop()] if len(states) == 1 else None
    state = state or "either stable or improved"
    if comparator == "previous_year":
        tail = "year on year"
    else:
        tail = f"compared with {comparator_name(comparator, first.period_end, first.window)}"
    all_names = units.names("district")
    ok_desc = _group_desc([d.unit for d in ok], all_names, areas, whole="districts")
    bad_desc = _group_desc([d.unit for d in bad], all_names, areas, whole="area")
    worst = _worst(bad)
    if len(bad) >= 2:
        bad_desc += particularly_clause(worst, measure)
    else:
        bad_desc += district_detail(worst, measure)
    levels = levels_noun(first, plural=True)
    text = (
        f"There is notable variation by district, with {levels} in {ok_desc} {state} {tail}, "
        f"but deteriorated in {bad_desc}."
    )
    return Statement(text, units=_keys(districts), verdict="mixed", topic="districts")


def particularly_clause(f: Finding, measure: MeasureInfo | None = None) -> str:
    """', particularly in Fenland where confidence levels fell below 50% (n = 134)'."""
    return f", particularly in {f.unit}{district_detail(f, measure)}"


def district_detail(f: Finding, measure: MeasureInfo | None = None) -> str:
    """' where confidence levels fell below 50% (n = 134)' when a worse proportion crossed a
    round ten since the comparator; otherwise the figure and base: ' (48.5%, n = 134)'."""
    inner = f"n = {fmt_n(f.n)}" if f.n is not None else ""
    if f.base_status == "caution":
        inner = f"treat with caution, {inner}" if inner else "treat with caution"
    threshold = None
    if (
        f.kind == "proportion"
        and f.direction == "worse"
        and f.value is not None
        and f.comparator_value is not None
    ):
        falling = f.polarity == "higher_is_better"
        threshold = rules.crossed_threshold(f.value, f.comparator_value, falling=falling)
        if threshold is not None:
            move = "fell below" if falling else "rose above"
            base = f" ({inner})" if inner else ""
            return f" where {levels_noun(f)} {move} {threshold:g}%{base}"
    figure = value_text(f, measure) if f.value is not None else ""
    parts = [p for p in (figure, inner) if p]
    return f" ({', '.join(parts)})" if parts else ""


def _worst(bad: Sequence[Finding]) -> Finding:
    sign = 1.0 if bad[0].polarity == "higher_is_better" else -1.0
    return min(bad, key=lambda d: (sign * (d.diff or 0.0), d.unit))


def _group_desc(
    names: list[str], all_names: list[str], areas: Mapping[str, str] | None, whole: str
) -> str:
    """Name a group of districts, as a whole area where the area mapping allows it."""
    if areas and all(n in areas for n in names):
        group_areas = sorted({areas[n] for n in names})
        if len(group_areas) == 1:
            area = group_areas[0]
            members = [d for d in all_names if areas.get(d) == area]
            if sorted(members) == sorted(names) and len(members) >= 2:
                if whole == "area":
                    return area_label(area)
                which = "both" if len(members) == 2 else f"all {number_word(len(members))}"
                return f"{which} districts in {area_label(area)}"
    if whole == "districts" and len(names) >= 3:
        return f"the other {number_word(len(names))} districts"
    return both_names(sorted(names))


# -- growth -------------------------------------------------------------------------------------
def _label(f: Finding) -> str:
    return f.phrase if f.breakdown == "force" else unit_name(f)


def _growth_parts(findings: Sequence[Finding], verb: str) -> tuple[list[str], tuple[Key, ...]]:
    """The growth clauses and the units they name."""
    groups: dict[str, list[str]] = {"double_digit": [], "doubled": [], "more_than_doubled": []}
    named: list[Finding] = []
    eligible = [
        f
        for f in sorted(findings)
        if f.kind in GROWTH_KINDS and f.comparator == "previous_year" and f.reportable
    ]
    for f in eligible:
        band = rules.growth_band(rules.growth_pct(f.diff, f.comparator_value))
        if band is not None:
            groups[band].append(_label(f))
            named.append(f)
    districts = [f for f in eligible if f.breakdown == "district"]
    words = {
        "double_digit": "double digit growth year on year",
        "doubled": "growth of 100% year on year",
        "more_than_doubled": "growth of more than 100% year on year",
    }
    parts = []
    for band, labels in groups.items():
        if not labels:
            continue
        if len(labels) >= 3 and len(labels) == len(districts) == len(eligible):
            parts.append(f"all {number_word(len(labels))} districts {verb} {words[band]}")
            continue
        together = "" if len(labels) == 1 else ("both " if len(labels) == 2 else "all ")
        parts.append(f"{join_names(labels)} {together}{verb} {words[band]}")
    return parts, _keys(named)


def growth_clause(findings: Sequence[Finding], verb: str = "reporting") -> str | None:
    """'with Cambridge City and East Cambridgeshire both reporting double digit growth year on
    year': counts (and rates per 1,000) up by 10% or more on the previous year, where the % is
    the row's previous_year_diff over previous_year_value."""
    parts, _ = _growth_parts(findings, verb)
    return f"with {' and '.join(parts)}" if parts else None


def growth_sentence(findings: Sequence[Finding], verb: str = "reported") -> Statement | None:
    parts, named = _growth_parts(findings, verb)
    if not parts:
        return None
    return Statement(f"{capitalise(' and '.join(parts))}.", units=named, topic="growth")


# -- trends and SPC -----------------------------------------------------------------------------
_TREND_ORDER = ("upwards", "downwards", "halted_downwards", "halted_upwards")


def trend_sentences(units: Units, contrast: bool = False) -> list[Statement]:
    """Trend wording from the trend column only: '... is trending upwards', 'There are early
    signs that the long term downward trend has been halted'. With `contrast` (the paragraph
    has just reported a worse result) a halted adverse trend opens with 'However,'."""
    sentences = []
    for trend in _TREND_ORDER:
        for f, where, named in _by_level(units, lambda f, t=trend: f.trend == t):
            text = _trend_sentence(f, trend, where, contrast)
            sentences.append(Statement(text, units=named, topic="trend"))
    return sentences


def _trend_sentence(f: Finding, trend: str, where: str, contrast: bool) -> str:
    if trend in ("upwards", "downwards"):
        return f"{capitalise(subject(f))} is trending {trend}{' ' + where if where else ''}."
    way = "downward" if trend == "halted_downwards" else "upward"
    body = f"there are early signs that the long term {way} trend has been halted"
    good_halt = (trend == "halted_downwards") == (f.polarity == "higher_is_better")
    lead = "However, " if contrast and f.polarity != "neutral" and good_halt else ""
    body = f"{lead}{body}" if lead else capitalise(body)
    return f"{body}{' ' + where if where else ''}."


def spc_sentences(units: Units) -> list[Statement]:
    """'Monthly figures show special cause variation of concern in North policing area.'"""
    words = {"concern": " of concern", "improvement": " of improvement", "neutral": ""}
    sentences = []
    for signal, tail in words.items():
        for _, where, named in _by_level(units, lambda f, s=signal: f.spc_signal == s):
            place = f" {where}" if where else ""
            text = f"Monthly figures show special cause variation{tail}{place}."
            sentences.append(Statement(text, units=named, topic="spc"))
    return sentences


def _by_level(
    units: Units, keep: Callable[[Finding], bool]
) -> list[tuple[Finding, str, tuple[Key, ...]]]:
    """(a finding, where-phrase, the units it covers) for the force+areas that match, then for
    the districts.

    Units whose base is too small to report are left out: no figure, so no movement either."""
    out = []

    def rows(level: str) -> list[Finding]:
        return [f for f in units.rows(level) if not f.unreportable and keep(f)]

    force, areas = rows("force"), rows("area")
    if force or areas:
        where = where_phrase(bool(force), [a.unit for a in areas], len(units.names("area")))
        out.append(((force + areas)[0], where, _keys(force + areas)))
    districts = rows("district")
    if districts:
        names = [d.unit for d in districts]
        where = f"in {districts_phrase(names, len(units.names('district')))}"
        out.append((districts[0], where, _keys(districts)))
    return out


# -- bases --------------------------------------------------------------------------------------
def too_few_sentence(
    findings: Sequence[Finding], base_label: str = "responses"
) -> Statement | None:
    """'There were too few responses to report in Fenland (n = 34) and Peterborough (n = 41).'"""
    rows = [f for f in findings if f.base_status == "too_few"]
    if not rows:
        return None
    first = rows[0]
    names = join_names([_with_base(f) for f in rows])
    if first.kind == "count" and not is_plural(first.phrase):
        text = f"Figures for {first.phrase} are too small to report in {names}."
    else:
        noun = first.phrase if first.kind == "count" else base_label
        text = f"There were too few {noun} to report in {names}."
    return Statement(text, "caution", _keys(rows), topic="base")


def withheld_sentence(findings: Sequence[Finding]) -> Statement | None:
    """'Figures for Fenland are not reported: the numbers involved are too small.' (suppressed by
    disclosure control although the base itself is big enough; no base is shown)."""
    rows = [f for f in findings if f.base_status == "withheld"]
    if not rows:
        return None
    names = join_names([unit_name(f) for f in rows])
    text = f"Figures for {names} are not reported: the numbers involved are too small."
    return Statement(text, "caution", _keys(rows), topic="base")


def caution_sentence(findings: Sequence[Finding]) -> Statement | None:
    """'Results for Fenland should be treated with caution (n = 63).'"""
    rows = [f for f in findings if f.base_status == "caution" and f.value is not None]
    if not rows:
        return None
    if len(rows) == 1:
        f = rows[0]
        base = f" (n = {fmt_n(f.n)})" if f.n is not None else ""
        text = f"Results for {unit_name(f)} should be treated with caution{base}."
    else:
        names = join_names([_with_base(f) for f in rows])
        text = f"Results for {names} should be treated with caution."
    return Statement(text, "caution", _keys(rows), topic="base")


def _with_base(f: Finding) -> str:
    # Suppressed rows never show their base (disclosure control).
    if f.suppressed or f.n is None:
        return unit_name(f)
    return f"{unit_name(f)} (n = {fmt_n(f.n)})"
