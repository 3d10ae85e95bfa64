"""Assemble the Board report from measure_results, the framework, findings, monthly series and
the analysts' commentary. Reads figures and verdicts; computes none.

Where a measure is presented in full (sentences, SPC chart, district table): in the first
priority area that lists it, else the first plan objective, else its theme. Elsewhere it is
referred to by its lead sentence and section number, so nothing is said twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forcestat.findings import build_findings, scored, tell
from forcestat.findings.format import capitalise, join_names, period_name
from forcestat.findings.model import WINDOW_ORDER, Finding, Statement
from forcestat.findings.units import unit_parents
from forcestat.framework.model import Framework, Measure
from forcestat.outputs import charts
from forcestat.outputs.charts import Series
from forcestat.outputs.commentary import CommentarySet
from forcestat.outputs.report.model import (
    Chart,
    Footer,
    Headline,
    MeasureBlock,
    MeasureRef,
    Paragraph,
    Placeholder,
    Quote,
    Report,
    Section,
)
from forcestat.outputs.report.sections import (
    ReportContext,
    SectionHook,
    extra_sections,
    national_placeholder,
)
from forcestat.outputs.report.tables import summary_table, unit_table
from forcestat.period import Period

GEO = ("force", "area", "district")
HEADLINES = 10  # measures in the headlines section
# What makes a headline (reasons from findings.rank): at force level a significant change or
# special cause variation; for an area or district, a verdict that differs from the force's.
FORCE_HEADLINE = frozenset(
    {
        "significant_worse",
        "significant_better",
        "significant_neutral",
        "spc_concern",
        "spc_improvement",
    }
)
UNIT_HEADLINE = frozenset({"out_of_line_verdict"})

Key = tuple[str, str]


@dataclass
class MeasureData:
    m: Measure
    window: str | None = None
    statements: list[Statement] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # what the narrative read
    table_keys: list[Key] = field(default_factory=list)
    parent: dict[Key, Key | None] = field(default_factory=dict)
    table_findings: dict[Key, Finding] = field(default_factory=dict)
    signals: dict[Key, tuple[str, str]] = field(default_factory=dict)
    # Public edition: units hidden by disclosure control (``disclosure`` column of the results)
    # -> "primary"/"secondary", for the current figure and for the previous year's count.
    hidden: dict[Key, str] = field(default_factory=dict)
    hidden_previous: dict[Key, str] = field(default_factory=dict)
    force_key: Key | None = None

    @property
    def sentences(self) -> list[str]:
        return [s.text for s in self.statements]

    @property
    def force_hidden(self) -> str | None:
        return self.hidden.get(self.force_key) if self.force_key else None

    @property
    def force_signal(self) -> tuple[str, str]:
        """(spc_signal, H/L letter) of the force row."""
        if self.force_key is None:
            return ("none", "")
        return self.signals.get(self.force_key, ("none", ""))

    @property
    def force_finding(self) -> Finding | None:
        return self.table_findings.get(self.force_key) if self.force_key else None


def _clean(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict("records")]


def _leading(windows: Sequence[str]) -> str | None:
    return min(windows, key=lambda w: (WINDOW_ORDER.get(w, 99), w)) if windows else None


def _order_keys(keys: Sequence[Key], areas: Mapping[str, str]) -> list[Key]:
    """Force, then each area followed by its districts, then districts with no area shown,
    then any other breakdown's units, alphabetically within each."""
    present = set(keys)
    out = [k for k in keys if k[0] == "force"]
    area_keys = sorted(k for k in keys if k[0] == "area")
    placed: set[Key] = set()
    for a in area_keys:
        out.append(a)
        kids = sorted(k for k in keys if k[0] == "district" and areas.get(k[1]) == a[1])
        out += kids
        placed.update(kids)
    out += sorted(k for k in keys if k[0] == "district" and k not in placed)
    out += sorted(k for k in keys if k[0] not in GEO and k in present)
    return out


def _letter(signal: str, polarity: str, s: Series | None) -> str:
    if s is not None and len(s.direction):
        return charts.icon_letter(s.icon, s.direction[-1])
    if signal in ("improvement", "concern") and polarity != "neutral":
        high_good = polarity == "higher_is_better"
        return "H" if (signal == "improvement") == high_good else "L"
    return ""


def measure_data(
    m: Measure,
    rows: pd.DataFrame,
    fw: Framework,
    areas: Mapping[str, str],
    series: Mapping[tuple[str, str, str], Series],
) -> MeasureData:
    """What the report shows of one measure: its table's rows, findings (built once) and
    statements. Rows hidden by disclosure control (a public edition's results) are shown as
    hidden in the table; the narrative reads none that were hidden to protect another."""
    md = MeasureData(m)
    if rows.empty:
        return md
    md.window = _leading(sorted(set(rows["window"].astype(str))))
    recs = _records(rows[rows["window"] == md.window])
    geo = [r for r in recs if r["breakdown"] in GEO]
    subunits = any(r["breakdown"] in ("area", "district") for r in geo)
    own = sorted({r["breakdown"] for r in recs if r["breakdown"] not in GEO})
    table_rows = geo if subunits or not own else geo + [r for r in recs if r["breakdown"] == own[0]]
    keyed = {(str(r["breakdown"]), str(r["unit"])): r for r in table_rows}
    md.table_keys = _order_keys(list(keyed), areas)
    md.parent = unit_parents(md.table_keys, areas)
    md.force_key = next((k for k in md.table_keys if k[0] == "force"), None)
    md.hidden = {k: str(r["disclosure"]) for k, r in keyed.items() if r.get("disclosure")}
    md.hidden_previous = {
        k: str(r["previous_disclosure"]) for k, r in keyed.items() if r.get("previous_disclosure")
    }
    settings = fw.settings
    found = build_findings(
        table_rows, {m.id: m}, min_base=settings.min_base, caution_base=settings.caution_base
    )
    # Units hidden to protect another are left out of the narrative: their figures are not
    # small, only protective, and "too few" would be untrue.
    narrative = [
        f
        for f in found
        if f.breakdown in GEO and md.hidden.get((f.breakdown, f.unit)) != "secondary"
    ]
    md.statements = tell(m, narrative, areas)
    md.findings = narrative
    for f in found:
        k = (f.breakdown, f.unit)
        if k not in md.table_findings or f.comparator == "previous_year":
            md.table_findings[k] = f
    for k, r in keyed.items():
        signal = str(r.get("spc_signal") or "none")
        s = series.get((m.id, k[0], k[1]))
        md.signals[k] = (signal, _letter(signal, m.polarity, s))
    return md


def _homes(fw: Framework) -> dict[str, tuple[str, str]]:
    homes: dict[str, tuple[str, str]] = {}
    for pa in fw.priority_areas:
        for mid in pa.measures:
            homes.setdefault(mid, ("priority", pa.id))
    for o in fw.objectives:
        for mid in o.measures:
            homes.setdefault(mid, ("objective", o.id))
    for m in fw.measures:
        homes.setdefault(m.id, ("theme", m.theme))
    return homes


def _lower_first(text: str) -> str:
    text = text.strip().rstrip(".")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


class _Builder:
    def __init__(
        self,
        results: pd.DataFrame,
        fw: Framework,
        period: str,
        series: Mapping[tuple[str, str, str], Series],
        areas: Mapping[str, str],
        commentary: CommentarySet,
        public_edition: bool,
        withheld_charts: frozenset[str] = frozenset(),
    ):
        Period.parse(period)
        self.withheld_charts = withheld_charts
        self.fw = fw
        self.period = period
        self.series = series
        self.areas = dict(areas)
        self.commentary = commentary
        self.public = public_edition
        self.threshold = fw.settings.suppress_below
        now = results[results["period_end"].astype(str) == period]
        if now.empty:
            raise ValueError(f"measure_results has no rows for period {period}")
        self.results = results
        self.force = self._force_name(now)
        by_measure = {mid: g for mid, g in now.groupby("measure_id", sort=False)}
        empty = now.iloc[0:0]
        self.data = {
            m.id: measure_data(m, by_measure.get(m.id, empty), fw, self.areas, series)
            for m in fw.measures
        }
        self.homes = _homes(fw)
        self.where: dict[str, str] = {}  # measure id -> section number it is presented in
        self.charts: list[Chart] = []
        self.blocked: set[str] = set()  # measures already presented under an objective
        self.period_text = period_name(period, "12m")

    def _force_name(self, now: pd.DataFrame) -> str:
        force = now[now["breakdown"] == "force"]["unit"].astype(str)
        names = sorted(set(force))
        if self.fw.framework.force:
            return self.fw.framework.force
        return names[0] if len(names) == 1 else "the force"

    # -- measure blocks ---------------------------------------------------------------------------
    def block(self, m: Measure, number: str) -> MeasureBlock:
        md = self.data[m.id]
        self.where[m.id] = number
        sentences = md.sentences or [
            f"No figures are available for {m.phrase} for {self.period_text}."
        ]
        chart, note = self.chart(md)
        table = None
        if md.table_keys:
            title = f"{m.title}: by {'area and district' if len(md.table_keys) > 1 else 'force'}"
            if any(k[0] not in GEO for k in md.table_keys):
                own = next(k[0] for k in md.table_keys if k[0] not in GEO)
                title = f"{m.title}: by {own.replace('_', ' ')}"
            table = unit_table(
                m,
                md.table_keys,
                md.parent,
                md.table_findings,
                md.signals,
                self.period,
                md.window or "12m",
                public=self.public,
                hidden=md.hidden,
                hidden_previous=md.hidden_previous,
                threshold=self.threshold,
                title=title,
            )
        signal, letter = md.force_signal
        hidden = md.force_hidden is not None
        return MeasureBlock(
            id=m.id,
            title=m.title,
            sentences=sentences,
            icon="none" if hidden else signal,
            letter="" if hidden else letter,
            chart=chart,
            chart_note=note,
            table=table,
            commentary=self.commentary.get(f"measure-{m.id}"),
            anchor=f"m-{m.id}",
        )

    def chart(self, md: MeasureData) -> tuple[Chart | None, str | None]:
        if md.force_key is None:
            return None, None
        s = self.series.get((md.m.id, md.force_key[0], md.force_key[1]))
        if s is None or not len(s.values) or not any(math.isfinite(v) for v in s.values):
            return None, None
        if self.public and (md.force_hidden is not None or md.m.id in self.withheld_charts):
            return None, (
                "The monthly chart is not shown in the public edition: some months rest on "
                f"fewer than {self.threshold} records."
            )
        first, last = s.months[0], s.months[-1]
        span = f"{_month_text(first)} to {_month_text(last)}"
        caption = f"Monthly values, {span}. {charts.METHODS.get(s.method, s.method)}."
        if s.outcome_lag is not None:
            within = (
                "in its month of recording"
                if s.outcome_lag == 0
                else (
                    f"within {s.outcome_lag} month{'s' if s.outcome_lag != 1 else ''} of recording"
                )
            )
            caption += (
                f" Each month counts only the outcomes reached {within} (the time the latest"
                " month has had), so that months compare like for like."
            )
        if s.trial[-1]:
            caption += f" Trial limits: fewer than {self.fw.settings.spc.min_points} points."
        c = Chart(
            key=md.m.id,
            spec=charts.spc_spec(s, md.m.unit_label),
            caption=caption,
            alt=f"Statistical process control chart of {md.m.title}, {span}",
        )
        self.charts.append(c)
        return c, None

    def ref(self, m: Measure) -> MeasureRef:
        md = self.data[m.id]
        lead = md.sentences[0] if md.sentences else f"No figures are available for {m.phrase}."
        return MeasureRef(m.id, m.title, lead, self.where.get(m.id, ""), f"m-{m.id}")

    def _commentary(self, key: str) -> list:
        c = self.commentary.get(key)
        return [c] if c is not None else []

    # -- sections ---------------------------------------------------------------------------------
    def build(self, hooks: Sequence[SectionHook]) -> list[Section]:
        fw = self.fw
        s = fw.settings
        themes = [t.title for t in fw.themes]
        purpose = Section(
            "purpose",
            "1",
            "Purpose",
            [
                Paragraph(
                    "The purpose of this report is to provide an update to the Board on "
                    f"performance in {self.force} against the strategic themes of the Police and "
                    f"Crime Plan (\u201cthe Plan\u201d): {join_names(themes)}; and a "
                    f"performance update for {self.period_text}.",
                    "1.1",
                ),
                *self._commentary("purpose"),
            ],
        )
        recommendation = Section(
            "recommendation",
            "2",
            "Recommendation",
            [
                Paragraph("For the Board to note the contents of this report.", "2.1"),
                *self._commentary("recommendation"),
            ],
        )
        month = _month_text(self.period)
        priorities = [p.title for p in fw.priority_areas]
        conf = f"{round(100 * (1 - s.alpha))}%"
        background_items: list = [
            Paragraph(
                f"This report reviews performance in {self.period_text}, from records up to "
                f"the end of {month}.",
                "3.1",
            )
        ]
        if priorities:
            background_items.append(
                Paragraph(
                    "Alongside an overall review of performance, the report updates on the "
                    "priority areas chosen in the performance framework: "
                    f"{join_names(priorities)}.",
                    "3.2",
                )
            )
        background_items.append(
            Paragraph(
                "Every figure is given with its base (n) and period. Differences from the "
                "previous year and from the year end and long term benchmarks are called "
                f"significant only when a statistical test finds them so at the {conf} level. "
                "Monthly figures are read with statistical process control (SPC) charts: the "
                "icons show special cause variation of improvement (blue), of concern (orange) "
                "or neither (purple), or common cause variation only (grey). Rates with a base "
                f"under {s.min_base} are not reported; those with a base under "
                f"{s.caution_base} should be treated with caution.",
                f"3.{len(background_items) + 1}",
            )
        )
        if self.public:
            background_items.append(
                Paragraph(
                    "This is the public edition. Counts of fewer than "
                    f"{self.threshold} are not shown, nor any figure from which one could be "
                    "worked out, and monthly charts resting on such small numbers are left "
                    "out.",
                    f"3.{len(background_items) + 1}",
                )
            )
        background_items += self._commentary("background")
        background = Section("background", "3", "Background", background_items)

        # Priority and objective homes are numbered later in the document, but their
        # numbers are known now, so theme sections can refer forward to them.
        pa_number = {p.id: f"5.{i + 1}" for i, p in enumerate(fw.priority_areas)}
        obj_number = self._objective_numbers()
        for mid, (kind, ident) in self.homes.items():
            if kind == "priority":
                self.where[mid] = pa_number[ident]
            elif kind == "objective":
                self.where[mid] = obj_number[ident]

        theme_sections = []
        theme_ids = [t.id for t in fw.themes]
        extra_themes = sorted({m.theme for m in fw.measures} - set(theme_ids))
        for i, tid in enumerate(theme_ids + extra_themes):
            theme = next((t for t in fw.themes if t.id == tid), None)
            number = f"4.1.{i + 1}"
            items: list = []
            if theme is not None and theme.description:
                items.append(
                    Paragraph(
                        "The management information underlying this is "
                        f"{_lower_first(theme.description)}."
                    )
                )
            items += self._commentary(f"theme-{tid}")
            for m in fw.measures:
                if m.theme == tid and self.homes[m.id] == ("theme", tid):
                    items.append(self.block(m, number))
            title = theme.title if theme is not None else capitalise(tid.replace("_", " "))
            theme_sections.append(Section(f"theme-{tid}", number, title, items))
        strategic = Section("strategic", "4.1", "Strategic measures", [], theme_sections)

        extras = extra_sections(self._context(), hooks)
        national = Section("national-context", "4.2", "National context")
        national.items += self._commentary("national-context")
        if extras["national_context"]:
            national.children = list(extras["national_context"])
            _renumber(national)
        else:
            national.items = national_placeholder().items + national.items
        headlines = Section("headlines", "4.3", "Performance headlines", self._headlines())
        headlines.items += self._commentary("headlines")
        performance = Section(
            "performance", "4", "Performance updates", [], [strategic, national, headlines]
        )

        priority_sections = []
        for p in fw.priority_areas:
            number = pa_number[p.id]
            items = list(self._commentary(f"priority-{p.id}"))
            for mid in p.measures:
                m = fw.measure(mid)
                if self.homes[mid] == ("priority", p.id):
                    items.append(self.block(m, number))
                else:
                    items.append(self.ref(m))
            priority_sections.append(Section(f"priority-{p.id}", number, p.title, items))
        priority = Section("priorities", "5", "Priority updates", [], priority_sections)

        objectives = Section("objectives", "6", "Plan objectives", [], self._objectives(obj_number))
        closing = Section(
            "closing",
            "7",
            "Recommendation",
            [Paragraph("For the Board to note the contents of this report.", "7.1")],
        )
        sections = [purpose, recommendation, background, performance, priority, objectives]
        sections.append(closing)
        for extra in extras["appendix"]:
            extra.number = str(len(sections) + 1)
            _renumber(extra)
            sections.append(extra)
        return sections

    def _objective_groups(self) -> list[tuple[str, list]]:
        groups: dict[str, list] = {}
        for o in self.fw.objectives:
            groups.setdefault(o.theme or "", []).append(o)
        return list(groups.items())

    def _objective_numbers(self) -> dict[str, str]:
        out = {}
        for i, (_, objs) in enumerate(self._objective_groups()):
            for j, o in enumerate(objs):
                out[o.id] = f"6.{i + 1}.{j + 1}"
        return out

    def _objectives(self, numbers: Mapping[str, str]) -> list[Section]:
        out = []
        for i, (tid, objs) in enumerate(self._objective_groups()):
            theme = next((t for t in self.fw.themes if t.id == tid), None)
            title = f"{theme.title} objectives" if theme is not None else "Objectives"
            items: list = []
            for o in objs:
                number = numbers[o.id]
                items.append(Quote(o.title, number))
                c = self.commentary.get(f"objective-{o.id}")
                if c is not None:
                    items.append(c)
                else:
                    items.append(
                        Placeholder(
                            "No update has been provided for this objective "
                            f"(commentary file objective-{o.id}.md)."
                        )
                    )
                for mid in o.measures:
                    m = self.fw.measure(mid)
                    if self.homes[mid] == ("objective", o.id) and mid not in self.blocked:
                        self.blocked.add(mid)
                        items.append(self.block(m, number))
                    else:
                        items.append(self.ref(m))
            out.append(Section(f"objectives-{tid or 'other'}", f"6.{i + 1}", title, items))
        return out

    def _headlines(self) -> list:
        """The ranked findings (``findings.scored``) that make a headline: a significant change
        or special cause variation at force level, or an area or district whose verdict
        differs from the force's; one per measure, best first."""
        everything = [f for md in self.data.values() for f in md.findings]
        seen: set[str] = set()
        out: list = []
        for s in scored(everything):
            f = s.finding
            reasons = set(s.reasons)
            wanted = FORCE_HEADLINE if f.breakdown == "force" else UNIT_HEADLINE
            if f.measure_id in seen or f.unreportable or not reasons & wanted:
                continue
            seen.add(f.measure_id)
            md = self.data[f.measure_id]
            out.append(
                Headline(
                    measure_id=f.measure_id,
                    title=md.m.title,
                    sentences=tuple(_headline_sentences(md.statements, f)),
                    where=self.where.get(f.measure_id, ""),
                    anchor=f"m-{f.measure_id}",
                    icon=md.force_signal[0],
                    letter=md.force_signal[1],
                )
            )
            if len(out) == HEADLINES:
                break
        if not out:
            out.append(
                Paragraph(
                    "No measure shows a significant change or special cause variation at force "
                    f"level, or an area or district out of line with the force, in "
                    f"{self.period_text}."
                )
            )
        return out

    def _context(self) -> ReportContext:
        return ReportContext(
            framework=self.fw,
            period=self.period,
            results=self.results,
            public=self.public,
            threshold=self.threshold,
            areas=self.areas,
            commentary=self.commentary,
        )


def _renumber(section: Section) -> None:
    for i, child in enumerate(section.children):
        child.number = f"{section.number}.{i + 1}"
        _renumber(child)


def _month_text(period: str) -> str:
    return Period.parse(period).month_name


def _headline_sentences(statements: Sequence[Statement], f: Finding) -> list[str]:
    """The paragraph's lead (its headline statements), and for a finding about an area or
    district the statement that gives that unit's verdict (else the first that names it)."""
    lead = [s for s in statements if s.role == "headline"]
    out = [s.text for s in lead]
    if f.breakdown in ("area", "district"):
        key = (f.breakdown, f.unit)
        rest = [s for s in statements if s.role != "headline" and s.about(key)]
        verdicts = [s for s in rest if s.verdict is not None]
        if verdicts or rest:
            out.append((verdicts or rest)[0].text)
    return out


def build_report(
    results: pd.DataFrame,
    framework: Framework,
    period: str,
    *,
    series: Mapping[tuple[str, str, str], Series] | None = None,
    areas: Mapping[str, str] | None = None,
    commentary: CommentarySet | None = None,
    public_edition: bool = False,
    snapshot: str = "unknown",
    hooks: Sequence[SectionHook] = (),
    withheld_charts: frozenset[str] = frozenset(),
) -> Report:
    """The report for ``period`` (``YYYY-MM``) from measure_results (a public edition's when
    ``public_edition``: disclosure control already applied). ``series`` (the engine's monthly
    series) gives the charts, except those of ``withheld_charts`` (measure ids); ``areas`` maps
    district -> area; ``hooks`` add sections (``sections.SectionHook``). Charts are specified
    here and rendered by the writers."""
    b = _Builder(
        results,
        framework,
        period,
        series or {},
        areas or {},
        commentary or CommentarySet(None),
        public_edition,
        withheld_charts,
    )
    sections = b.build(hooks)
    entries = []
    order: list[tuple[str, str]] = []
    for sec in sections:
        for sub in sec.walk():
            for item in sub.items:
                if isinstance(item, MeasureBlock):
                    order.append((sub.title if sub.depth > 1 else sec.title, item.id))
    for group, mid in order:
        md = b.data[mid]
        entries.append((group, md.m, md.force_finding, md.force_signal, md.force_hidden))
    confidence = f"{round(100 * (1 - framework.settings.alpha))}%"
    summary = summary_table(entries, b.period_text, threshold=b.threshold, confidence=confidence)
    footer = Footer(
        snapshot=snapshot,
        framework=framework.hash or "unknown",
        version=_version(),
        commentary=(b.commentary.digest() if b.commentary.files else "none"),
        edition="Public edition" if public_edition else "Board edition",
    )
    meta = (
        ("Period", capitalise(b.period_text)),
        (
            "Framework",
            f"{framework.framework.name}"
            + (f" (version {framework.framework.version})" if framework.framework.version else ""),
        ),
        ("Edition", footer.edition),
    )
    return Report(
        title="Police and Crime Plan Performance Report",
        subtitle=f"{b.force}: {b.period_text}",
        force=b.force,
        period=period,
        period_text=b.period_text,
        public=public_edition,
        meta=meta,
        summary=summary,
        sections=sections,
        footer=footer,
        charts=b.charts,
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("forcestat")
    except PackageNotFoundError:
        return "unknown"
