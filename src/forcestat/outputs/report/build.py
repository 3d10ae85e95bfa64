"""Assemble the Board report from measure_results, the framework, findings, monthly series and
the analysts' commentary. Reads figures, verdicts and statements; computes none.

Editions (``EDITIONS``):

- ``board`` (default): the paper a Board reads. An executive summary of the exceptions that
  matter comes first; a measure with something to report (a significant change, special cause
  variation or a trend at force level) is presented in full, its chart drawn when its monthly
  figures show special cause variation and its tables shown where they carry the story (an area,
  district or breakdown unit that is significantly different or shows special cause variation,
  or a breakdown the framework always shows); a measure with nothing to report gets its line.
  Everything else (every district table, every chart) is in the HTML, collapsed, and in the
  annex edition.
- ``annex``: every measure in full, every table and chart.
- ``draft``: the Board edition plus what is missing (sections without commentary, the national
  context without its tables), for the analysts who write it.

Where a measure is presented: in the first priority area that lists it, else the first plan
objective, else its theme. Elsewhere it is referred to by its lead sentence and section number,
so nothing is said twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forcestat.findings import build_findings, tell
from forcestat.findings.format import capitalise, join_names, period_name
from forcestat.findings.model import WINDOW_ORDER, Finding, Statement
from forcestat.findings.narrative import chart_statement, view_statement
from forcestat.findings.summary import highlights
from forcestat.findings.units import is_place, unit_parents
from forcestat.findings.wording import value_text, verdict_label
from forcestat.framework.model import VIEW_WINDOWS, Framework, Measure
from forcestat.outputs import charts
from forcestat.outputs.charts import Series
from forcestat.outputs.commentary import CommentarySet
from forcestat.outputs.maps import choropleth
from forcestat.outputs.multiples import small_multiples
from forcestat.outputs.report.model import (
    Cell,
    Chart,
    Figures,
    Footer,
    HighlightLine,
    Highlights,
    MeasureBlock,
    MeasureLine,
    MeasureRef,
    Paragraph,
    Placeholder,
    Quote,
    Report,
    Row,
    Section,
    Table,
)
from forcestat.outputs.report.sections import (
    ReportContext,
    SectionHook,
    extra_sections,
    national_placeholder,
)
from forcestat.outputs.report.tables import (
    COUNT_KINDS,
    NOT_SHOWN,
    fewer_than,
    summary_table,
    unit_label,
    unit_table,
    view_table,
)
from forcestat.period import Period

EDITIONS = ("board", "annex", "draft")
GEO = ("force", "area", "district")
SPECIAL = ("improvement", "concern", "neutral")
# Special cause that tells a Board something: better or worse (not a volume moving).
JUDGED = ("improvement", "concern")
HIGHLIGHT_TITLES = {
    "concern": "Concerns",
    "improvement": "Improvements",
    "volume": "Shifts in volume",
}

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
    # Making Data Count assurance against the unit's target (spc_assurance), where there is one.
    assurance: dict[Key, str] = field(default_factory=dict)
    # The measure's views: window -> the force's findings (one per comparator).
    views: dict[str, list[Finding]] = field(default_factory=dict)
    # The measure's own breakdowns (offence group, incident type, ...): breakdown -> unit keys.
    own: dict[str, list[Key]] = field(default_factory=dict)
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

    # -- what the Board edition shows --------------------------------------------------------
    def force_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.breakdown == "force" and not f.unreportable]

    @property
    def exceptional(self) -> bool:
        """Something to report at force level: a significant difference from a benchmark or
        special cause variation (a trend alone is said in the measure's line)."""
        fs = self.force_findings()
        return any(f.is_significant or f.spc_signal in SPECIAL for f in fs)

    def out_of_line(self, keys: Sequence[Key]) -> list[Key]:
        """The units that tell a table's story: compared with the previous year (its first
        comparator) significantly different where the force is not, or the other way, or with
        special cause variation of improvement or concern where the force's show none."""
        force = self.force_finding
        force_verdict = force.verdict if force is not None and force.reportable else None
        force_significant = force is not None and force.is_significant
        force_signal = self.force_signal[0]
        out = []
        for k in keys:
            f = self.table_findings.get(k)
            if f is None or f.unreportable or (k[0] == "district" and not is_place(f)):
                continue
            differs = f.reportable and f.verdict != force_verdict
            if (differs and (f.is_significant or force_significant)) or (
                f.spc_signal in JUDGED and f.spc_signal != force_signal
            ):
                out.append(k)
        if 2 * len(out) > len(keys):
            # Most units differ from the force: the ones that stand out are those that moved.
            return self.notable(out)
        return out

    def notable(self, keys: Sequence[Key]) -> list[Key]:
        """The units of a breakdown that are significantly different from the previous year
        or show special cause variation of improvement or concern."""
        out = []
        for k in keys:
            f = self.table_findings.get(k)
            if (
                f is not None
                and not f.unreportable
                and (f.is_significant or f.spc_signal in JUDGED)
            ):
                out.append(k)
        return out

    def paragraphs(self, short: bool = False) -> list[list[str]]:
        """The force's lead (headline statements and the caution that qualifies them), then
        the rest. ``short`` (the Board edition) leaves out the trends and special cause
        variation of districts alone: the table beside it, or the annex, has them."""
        lead = next((s.verdict for s in self.statements if s.topic == "comparison"), None)
        said = [
            s
            for s in self.statements
            if not short
            or not (
                (s.topic in ("trend", "spc") and _districts_only(s.units))
                or (s.topic == "area" and lead is not None and s.verdict == lead)
            )
        ]
        k = 0
        while k < len(said) and said[k].role == "headline":
            k += 1
        while 0 < k < len(said) and said[k].role == "caution" and self.force_key in said[k].units:
            k += 1
        texts = [s.text for s in said]
        return [p for p in (texts[:k], texts[k:]) if p]

    def lead(self) -> str:
        """The headline statements, with the force's figure when the headline has none (a
        count's "A significantly higher number of ... were recorded")."""
        said = [s for s in self.statements if s.role == "headline"]
        if not any(s.topic == "value" for s in said):
            said += [
                s for s in self.statements if s.topic == "value" and self.force_key in s.units
            ][:1]
        return " ".join(s.text for s in said) or " ".join(self.sentences[:1])


def _maps_together(items: list) -> list:
    """A section's district maps side by side, after its measures."""
    maps = [c for it in items if isinstance(it, Figures) for c in it.charts if c.key[:4] == "map-"]
    if len(maps) < 2:
        return items
    rest = [it for it in items if not isinstance(it, Figures)]
    others = [
        Figures(tuple(c for c in it.charts if c.key[:4] != "map-"))
        for it in items
        if isinstance(it, Figures) and any(c.key[:4] != "map-" for c in it.charts)
    ]
    return [*rest, *others, Figures(tuple(maps))]


def _districts_only(units: Sequence[Key]) -> bool:
    return bool(units) and all(k[0] == "district" for k in units)


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
    """What the report shows of one measure: its tables' rows, findings (built once) and
    statements. Rows hidden by disclosure control (a public edition's results) are shown as
    hidden in the tables; the narrative reads none that were hidden to protect another."""
    md = MeasureData(m)
    if rows.empty:
        return md
    md.window = _leading(sorted(set(rows["window"].astype(str))))
    settings = fw.settings
    bases = {"min_base": settings.min_base, "caution_base": settings.caution_base}
    for w in m.views:
        force_rows = rows[(rows["window"] == w) & (rows["breakdown"] == "force")]
        if not force_rows.empty:
            md.views[w] = build_findings(_records(force_rows), {m.id: m}, **bases)
    recs = _records(rows[rows["window"] == md.window])
    keyed = {(str(r["breakdown"]), str(r["unit"])): r for r in recs}
    geo = [k for k in keyed if k[0] in GEO]
    md.table_keys = _order_keys(geo, areas)
    for b in dict.fromkeys(k[0] for k in keyed if k[0] not in GEO):
        md.own[b] = sorted(k for k in keyed if k[0] == b)
    if not any(k[0] in ("area", "district") for k in geo) and md.own:
        # No areas or districts: the measure's first own breakdown is its table.
        first = next(iter(md.own))
        md.table_keys = md.table_keys + md.own.pop(first)
    md.parent = unit_parents(md.table_keys, areas)
    md.force_key = next((k for k in md.table_keys if k[0] == "force"), None)
    md.hidden = {k: str(r["disclosure"]) for k, r in keyed.items() if r.get("disclosure")}
    md.hidden_previous = {
        k: str(r["previous_disclosure"]) for k, r in keyed.items() if r.get("previous_disclosure")
    }
    found = build_findings(recs, {m.id: m}, **bases)
    # Units hidden to protect another are left out of the narrative: their figures are not
    # small, only protective, and "too few" would be untrue.
    narrative = [
        f
        for f in found
        if f.breakdown in GEO and md.hidden.get((f.breakdown, f.unit)) != "secondary"
    ]
    md.statements = tell(m, narrative, areas)
    md.findings = narrative
    # After the lead and the caution that qualifies it (see ``paragraphs``): what the chart
    # shows beyond its icon, then the recent windows the framework asks for.
    more: list[Statement] = []
    force_series = series.get((m.id, *md.force_key)) if md.force_key else None
    if force_series is not None and md.force_hidden is None:
        more.append(
            chart_statement(
                m,
                force_series.months,
                force_series.point_types(),
                fw.settings.spc.recent_points,
                md.force_key,
            )
        )
    more += [view_statement(m, md.views.get(w, ())) for w in VIEW_WINDOWS]
    # (A count's paragraph may lead with a headline and then the force's figure.)
    lead = {"value", "comparison", "maturing"}
    at = 0
    while at < len(md.statements) and (
        md.statements[at].role == "headline"
        or (md.statements[at].topic in lead and md.statements[at].units == (md.force_key,))
    ):
        at += 1
    md.statements[at:at] = [x for x in more if x is not None]
    for f in found:
        k = (f.breakdown, f.unit)
        if k not in md.table_findings or f.comparator == "previous_year":
            md.table_findings[k] = f
    for k, r in keyed.items():
        signal = str(r.get("spc_signal") or "none")
        s = series.get((m.id, k[0], k[1]))
        md.signals[k] = (signal, _letter(signal, m.polarity, s))
        sure = str(r.get("spc_assurance") or "none")
        if sure != "none":
            md.assurance[k] = sure
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


def _breakdown_name(b: str) -> str:
    return b.replace("*", " and ").replace("_", " ")


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
        edition: str = "board",
    ):
        if edition not in EDITIONS:
            raise ValueError(f"unknown edition {edition!r}; use {', '.join(EDITIONS)}")
        self.p = Period.parse(period)
        self.edition = edition
        self.full = edition == "annex"
        self.withheld_charts = withheld_charts
        self.fw = fw
        self.period = self.p.label
        self.series = series
        self.areas = dict(areas)
        self.commentary = commentary
        self.public = public_edition
        self.threshold = fw.settings.suppress_below
        now = results[results["period_end"].astype(str) == self.period]
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
        self.order: list[tuple[str, str]] = []  # (group, measure id) as presented
        self.charts: list[Chart] = []
        self.blocked: set[str] = set()  # measures already presented under an objective
        self.period_text = period_name(self.period, "12m")

    def _force_name(self, now: pd.DataFrame) -> str:
        force = now[now["breakdown"] == "force"]["unit"].astype(str)
        names = sorted(set(force))
        if self.fw.framework.force:
            return self.fw.framework.force
        return names[0] if len(names) == 1 else "the force"

    # -- measures ---------------------------------------------------------------------------------
    def present(self, m: Measure, number: str, group: str, lines: bool = False) -> list:
        """The measure at its home: in full, or (Board edition, nothing to report) a line;
        then its figures (a district map, small multiples) when the framework asks for them.
        ``lines``: the Board edition gives a line whatever the measure has to report (the plan
        objectives: each carries its figures, base and verdict; its detail is in the annex)."""
        md = self.data[m.id]
        self.where[m.id] = number
        if not lines or self.full:
            self.order.append((group, m.id))  # its line in the summary table
        figures = self.figures(md)
        said = self.presented(md, lines)
        return [*([said] if said is not None else []), *([Figures(figures)] if figures else [])]

    def presented(self, md: MeasureData, lines: bool = False) -> MeasureBlock | MeasureLine | None:
        """Its block; in the Board edition a line (``lines``), or nothing beyond its line in
        the summary table when it has nothing to report."""
        m = md.m
        if lines and not self.full and md.statements:
            return self.line(md, trends=False)
        # A measure with no better or worse direction (demand, volumes, shares) has its line in
        # the Board edition: the executive summary ranks its shifts, the annex has the rest.
        # A breakdown the framework always shows (satisfaction by crime type) needs the block.
        board_block = (md.exceptional and m.polarity != "neutral") or bool(m.always_show)
        if self.full or not md.statements or board_block:
            return self.block(md)
        if md.exceptional:
            return self.line(md)  # a shift in volume: its line (the summary ranks the largest)
        return None

    def line(self, md: MeasureData, trends: bool = True) -> MeasureLine:
        """Its lead statements, then its recent periods (and its force's trend)."""
        m = md.m
        signal, letter = self._icon(md)
        detail = tuple(self._detail(md, chart=True, table=True))
        topics = ("trend", "view") if trends else ("view",)
        also = [s.text for s in md.statements if s.topic in topics and md.force_key in s.units]
        text = " ".join([md.lead(), *also])
        sure = md.assurance.get(md.force_key, "") if md.force_key else ""
        return MeasureLine(m.id, m.title, text, signal, letter, f"m-{m.id}", detail, sure)

    def figures(self, md: MeasureData) -> tuple[Chart, ...]:
        """The measure's map of its districts and small multiples of its areas and districts
        (``map``/``multiples`` in the framework)."""
        m = md.m
        out = []
        districts = [
            k
            for k in md.table_keys
            if k[0] == "district" and k in md.table_findings and is_place(md.table_findings[k])
        ]
        if m.map and districts:
            values = {k[1]: md.table_findings[k].value for k in districts}
            hidden = {
                k[1]: fewer_than(self.threshold)
                if md.hidden[k] == "primary" and m.kind in COUNT_KINDS
                else NOT_SHOWN
                for k in districts
                if k in md.hidden
            }
            kind_fmt = {"count": ",.0f", "total": ",.0f"}.get(m.kind, ",.1f")
            try:
                fig = choropleth(
                    values,
                    title=m.title,
                    legend_title=m.unit_label or m.title,
                    fmt=kind_fmt,
                    hidden=hidden,
                    key=f"map-{m.id}",
                )
            except ValueError:
                fig = None  # no outline for any of the store's districts: nothing to draw
            if fig is not None:
                caption = f"{m.title} by district, {self.period_text}. {fig.source}".strip()
                out.append(Chart(fig.key, fig.spec, caption, fig.alt))
        units = [k for k in md.table_keys if k[0] == "area" or (k in districts)]
        series = [self.series[(m.id, *k)] for k in units if (m.id, *k) in self.series]
        if m.multiples and len(series) > 1 and not self.public:
            fig = small_multiples(
                series, title=m.title, unit_label=m.unit_label, columns=4, key=f"multiples-{m.id}"
            )
            caption = (
                f"{m.title}: monthly values by area and district, with each one's mean and "
                "control limits."
            )
            out.append(Chart(fig.key, fig.spec, caption, fig.alt))
        self.charts.extend(out)
        return tuple(out)

    def block(self, md: MeasureData) -> MeasureBlock:
        m = md.m
        paragraphs = md.paragraphs(short=not self.full) or [
            [f"No figures are available for {m.phrase} for {self.period_text}."]
        ]
        # The Board edition draws the charts whose latest month shows improvement or concern
        # (earlier special cause is said in the text: ``chart_statement``).
        show_chart = self.full or md.force_signal[0] in JUDGED
        chart, note = self.chart(md) if show_chart else (None, None)
        if self.full:
            table = self.unit_table(md) if md.table_keys else None
            breakdowns = [self.breakdown_table(md, b, keys) for b, keys in md.own.items()]
        else:
            # The Board edition shows the units that carry the story (and every unit of a
            # breakdown the framework always shows); the HTML's detail and the annex have all.
            standout = md.out_of_line([k for k in md.table_keys if k[0] != "force"])
            table = self.unit_table(md, standout) if standout else None
            breakdowns = []
            for b, keys in md.own.items():
                rows = keys if b in m.always_show else md.notable(keys)
                if rows:
                    breakdowns.append(self.breakdown_table(md, b, rows, len(keys)))
        if md.views:
            breakdowns.insert(0, view_table(m, md.window or "12m", md.force_finding, md.views))
        detail = self._detail(md, chart=chart is None and note is None, table=True)
        signal, letter = self._icon(md)
        return MeasureBlock(
            id=m.id,
            title=m.title,
            paragraphs=paragraphs,
            icon=signal,
            letter=letter,
            chart=chart,
            chart_note=note,
            table=table,
            commentary=self.commentary.get(f"measure-{m.id}"),
            anchor=f"m-{m.id}",
            breakdowns=breakdowns,
            detail=detail,
            assurance=md.assurance.get(md.force_key, "") if md.force_key else "",
        )

    def _icon(self, md: MeasureData) -> tuple[str, str]:
        if md.force_hidden is not None:
            return "none", ""
        return md.force_signal

    def _detail(self, md: MeasureData, *, chart: bool, table: bool) -> list:
        """What the Board edition leaves to the HTML's collapsed detail."""
        if self.full or self.public and md.force_hidden is not None:
            return []
        out: list = []
        if chart:
            c, _ = self.chart(md, detail=True)
            if c is not None:
                out.append(c)
        if table and len(md.table_keys) > 1:
            out.append(self.unit_table(md))
        return out

    def unit_table(self, md: MeasureData, only: Sequence[Key] | None = None) -> Table:
        """The force, areas and districts (or the measure's own breakdown when it has no
        areas); ``only`` keeps the force and these units, and says how many are left out."""
        m = md.m
        title = f"{m.title}: by {'area and district' if len(md.table_keys) > 1 else 'force'}"
        if any(k[0] not in GEO for k in md.table_keys):
            own = next(k[0] for k in md.table_keys if k[0] not in GEO)
            title = f"{m.title}: by {_breakdown_name(own)}"
        keys = md.table_keys
        total = len([k for k in keys if k[0] != "force"])
        if only is not None:
            keys = [k for k in keys if k[0] == "force" or k in only]
            title += ": the units that stand out"
        return self._table(md, keys, title, f"t-{m.id}", total)

    def breakdown_table(
        self, md: MeasureData, b: str, rows: Sequence[Key], total: int | None = None
    ) -> Table:
        keys = ([md.force_key] if md.force_key else []) + list(rows)
        title = f"{md.m.title}: by {_breakdown_name(b)}"
        if total is not None and total > len(rows):
            title += ": the units that stand out"
        return self._table(md, keys, title, f"t-{md.m.id}-{b.replace('*', '-')}", total)

    def _table(
        self,
        md: MeasureData,
        keys: Sequence[Key],
        title: str,
        ident: str,
        total: int | None = None,
    ) -> Table:
        t = unit_table(
            md.m,
            keys,
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
            assurance=md.assurance,
        )
        notes = t.notes
        shown = len([k for k in keys if k[0] != "force"])
        if total is not None and total > shown:
            left = total - shown
            notes = (
                f"{left} other unit{'s are' if left != 1 else ' is'} in line with the force "
                "(every unit: the annex edition).",
                *notes,
            )
        return Table(ident, t.caption, t.header, t.cols, t.rows, notes)

    def chart(self, md: MeasureData, detail: bool = False) -> tuple[Chart | None, str | None]:
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
            spec=charts.spc_spec(s, md.m.unit_label, compact=not self.full and not detail),
            caption=caption,
            alt=charts.spc_alt(s, md.m.title, md.m.unit_label),
            detail=detail,
        )
        self.charts.append(c)
        return c, None

    def ref(self, m: Measure) -> MeasureRef:
        md = self.data[m.id]
        # The Board edition points to the measure; the annex repeats its lead.
        lead = "" if not self.full else md.lead() or f"No figures are available for {m.phrase}."
        return MeasureRef(m.id, m.title, lead, self.where.get(m.id, ""), f"m-{m.id}")

    def _commentary(self, key: str) -> list:
        c = self.commentary.get(key)
        if c is not None:
            return [c]
        if self.edition == "draft":
            return [Placeholder(f"No commentary yet (file {key}.md).")]
        return []

    # -- sections ---------------------------------------------------------------------------------
    def build(self, hooks: Sequence[SectionHook]) -> list[Section]:
        fw = self.fw
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
        background = Section("background", "3", "Background", self._background())

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
            title = theme.title if theme is not None else capitalise(tid.replace("_", " "))
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
                    items += self.present(m, number, title)
            theme_sections.append(Section(f"theme-{tid}", number, title, _maps_together(items)))
        strategic = Section("strategic", "4.1", "Strategic measures", [], theme_sections)

        extras = extra_sections(self._context(), hooks)
        performance = Section("performance", "4", "Performance updates", [], [strategic])
        national_items = self._commentary("national-context")
        if extras["national_context"] or national_items or self.edition != "board":
            national = Section("national-context", "4.2", "National context", national_items)
            if extras["national_context"]:
                national.children = list(extras["national_context"])
                _renumber(national)
            elif self.edition != "board":
                national.items = national_placeholder().items + national.items
            performance.children.append(national)

        priority_sections = []
        for p in fw.priority_areas:
            number = pa_number[p.id]
            items = list(self._commentary(f"priority-{p.id}"))
            for mid in p.measures:
                m = fw.measure(mid)
                if self.homes[mid] == ("priority", p.id):
                    items += self.present(m, number, p.title)
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

    def _background(self) -> list:
        s = self.fw.settings
        items: list = [
            Paragraph(
                f"This report reviews performance in {self.period_text}, from records up to "
                f"the end of {self.p.month_name}.",
            )
        ]
        priorities = [p.title for p in self.fw.priority_areas]
        if priorities:
            items.append(
                Paragraph(
                    "Alongside an overall review of performance, the report updates on the "
                    "priority areas chosen in the performance framework: "
                    f"{join_names(priorities)}.",
                )
            )
        conf = f"{round(100 * (1 - s.alpha))}%"
        year_end = ""
        if self.p == self.p.fy_end(s.financial_year_start):
            year_end = (
                f" In a report for {self.p.month_name} the year end benchmark is the previous "
                "year itself, so it is not named separately."
            )
        items.append(
            Paragraph(
                "Every figure is given with its base (n) and period. Differences from the "
                "previous year and from the year end and long term benchmarks are called "
                f"significant only when a statistical test finds them so at the {conf} level."
                f"{year_end} Rates with a base under {s.min_base} are not reported; those with a "
                f"base under {s.caution_base} should be treated with caution.",
            )
        )
        if s.overdispersion:
            items.append(
                Paragraph(
                    "Many of these figures vary from month to month more than chance alone "
                    "would explain (overdispersion): demand, recording and reporting move "
                    "together. The tests allow for that, so in a volatile series even a large "
                    "change can fall short of significance; the text says so where it happens.",
                )
            )
        items.append(
            Paragraph(
                "Monthly figures are read with statistical process control (SPC) charts: the "
                "icon beside a measure shows what its latest month shows (special cause "
                "variation of improvement in blue, of concern in orange, or neither in purple; "
                "common cause variation only in grey). Special cause points earlier in the "
                "year are described in the text.",
            )
        )
        if self.public:
            items.append(
                Paragraph(
                    "This is the public edition. Counts of fewer than "
                    f"{self.threshold} are not shown, nor any figure from which one could be "
                    "worked out, and monthly charts resting on such small numbers are left "
                    "out.",
                )
            )
        if self.edition == "board":
            items.append(
                Paragraph(
                    "Every strategic and priority measure has its line in the table at the "
                    "start of section 4.1; those with something to report are presented in "
                    "full after it. Each plan objective gives the figures of its measures. "
                    "Every district table and chart is in the annex edition."
                )
            )
        for i, it in enumerate(items):
            items[i] = Paragraph(it.text, f"3.{i + 1}")
        return items + self._commentary("background")

    def _objective_groups(self) -> list[tuple[str, list]]:
        """Objectives grouped by the Plan outcome they serve (else by theme), in order."""
        groups: dict[str, list] = {}
        for o in self.fw.objectives:
            groups.setdefault(o.outcome or o.theme or "", []).append(o)
        return list(groups.items())

    def _objective_numbers(self) -> dict[str, str]:
        out = {}
        for i, (_, objs) in enumerate(self._objective_groups()):
            for j, o in enumerate(objs):
                out[o.id] = f"6.{i + 1}.{j + 1}"
        return out

    def _objectives(self, numbers: Mapping[str, str]) -> list[Section]:
        out = []
        for i, (group, objs) in enumerate(self._objective_groups()):
            theme = next((t for t in self.fw.themes if t.id == group), None)
            if objs[0].outcome:
                title = objs[0].outcome
            else:
                title = f"{theme.title} objectives" if theme is not None else "Objectives"
            items: list = []
            for o in objs:
                number = numbers[o.id]
                items.append(Quote(o.title, number))
                items += self._commentary(f"objective-{o.id}")
                if o.kpq_matrix and self.fw.kpqs:
                    items.append(self.kpq_table())
                if o.unavailable and not o.measures:
                    k = len(o.unavailable)
                    items.append(
                        Paragraph(
                            f"No figures: {'its measure' if k == 1 else f'its {k} measures'} "
                            "cannot be reported from the data in this store (the last section "
                            "says why)."
                        )
                    )
                for mid in o.measures:
                    m = self.fw.measure(mid)
                    if self.homes[mid] == ("objective", o.id) and mid not in self.blocked:
                        self.blocked.add(mid)
                        items += self.present(m, number, title, lines=True)
                    else:
                        items.append(self.ref(m))
            key = theme.id if theme is not None and not objs[0].outcome else f"{i + 1}"
            out.append(Section(f"objectives-{key}", f"6.{i + 1}", title, items))
        return out

    def kpq_table(self) -> Table:
        """The Key Performance Questions matrix: each question with its measures from the
        records and its audit results, each with its figure and comparison."""
        rows = []
        for k in self.fw.kpqs:
            cells = [Cell(k.question, "question")]
            for col, refs in (("records", k.quantitative), ("audits", k.qualitative)):
                said = [self._kpq_entry(ref) for ref in refs]
                cells.append(Cell("; ".join(x for x in said if x), col))
            rows.append(Row(tuple(cells), "question", k.id))
        return Table(
            "t-kpqs",
            "Key Performance Questions: the records and the case audits",
            ("Question", "From the records", "From case audits"),
            ("question", "records", "audits"),
            tuple(rows),
            (
                "Each figure is for the 12 months to the period, with its comparison with the "
                "same months a year earlier.",
            ),
        )

    def _kpq_entry(self, ref: str) -> str:
        mid, _, unit = ref.partition(":")
        md = self.data.get(mid)
        if md is None:
            return ""
        key = md.force_key
        if unit:
            key = next((k for k in md.table_findings if k[0] not in GEO and k[1] == unit), None)
        f = md.table_findings.get(key) if key is not None else None
        title = md.m.title if not unit else unit_label(unit)
        if f is None or f.value is None or f.unreportable:
            return f"{title}: no figure"
        return f"{title}: {value_text(f, md.m)} ({verdict_label(f).lower()})"

    def executive_summary(self) -> Section:
        """The exceptions that matter, ranked (``findings.summary``), before anything else."""
        lists = highlights(
            self.fw.measures,
            {mid: md.findings for mid, md in self.data.items()},
            priority={mid for p in self.fw.priority_areas for mid in p.measures},
        )
        groups = []
        for category, found in lists.items():
            lines = []
            for h in found:
                md = self.data[h.measure_id]
                signal, letter = self._icon(md) if h.breakdown == "force" else ("none", "")
                lines.append(
                    HighlightLine(
                        h.measure_id,
                        h.text,
                        self.where.get(h.measure_id, ""),
                        f"m-{h.measure_id}",
                        signal,
                        letter,
                    )
                )
            if lines:
                groups.append((HIGHLIGHT_TITLES[category], tuple(lines)))
        shown = sum(len(lines) for _, lines in groups)
        exceptional = sum(md.exceptional for md in self.data.values())
        intro = (
            f"{exceptional} of the {len(self.data)} measures have something to report for "
            f"{self.period_text}: a significant difference from a benchmark or special cause "
            "variation at force level. The most important "
            f"{shown if shown != 1 else 'one'} follow, force-wide figures first, "
            "significant changes before marginal ones, priority areas first and the largest "
            "changes first; each links to its section."
        )
        items: list = [Paragraph(intro)]
        if groups:
            items.append(Highlights(tuple(groups)))
        return Section("executive-summary", "", "Executive summary", items)

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
    edition: str = "board",
) -> Report:
    """The report for ``period`` (``YYYY-MM``) from measure_results (a public edition's when
    ``public_edition``: disclosure control already applied). ``series`` (the engine's monthly
    series) gives the charts, except those of ``withheld_charts`` (measure ids); ``areas`` maps
    district -> area; ``hooks`` add sections (``sections.SectionHook``); ``edition`` is one of
    ``EDITIONS``. Charts are specified here and rendered by the writers."""
    b = _Builder(
        results,
        framework,
        period,
        series or {},
        areas or {},
        commentary or CommentarySet(None),
        public_edition,
        withheld_charts,
        edition,
    )
    sections = b.build(hooks)
    sections.insert(0, b.executive_summary())
    entries = []
    for group, mid in b.order:
        md = b.data[mid]
        sure = md.assurance.get(md.force_key, "") if md.force_key else ""
        entries.append((group, md.m, md.force_finding, md.force_signal, md.force_hidden, sure))
    confidence = f"{round(100 * (1 - framework.settings.alpha))}%"
    summary = summary_table(entries, b.period_text, threshold=b.threshold, confidence=confidence)
    strategic = next(s for s in sections[4].walk() if s.key == "strategic")
    strategic.items.insert(0, summary)
    edition_name = {
        "board": "Board edition",
        "annex": "Annex: full detail",
        "draft": "Draft edition",
    }[edition]
    if public_edition:
        edition_name = "Public edition" + ("" if edition == "board" else f" ({edition_name})")
    footer = Footer(
        snapshot=snapshot,
        framework=framework.hash or "unknown",
        version=_version(),
        commentary=(b.commentary.digest() if b.commentary.files else "none"),
        edition=edition_name,
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
        period=b.period,
        period_text=b.period_text,
        public=public_edition,
        meta=meta,
        summary=summary,
        sections=sections,
        footer=footer,
        charts=b.charts,
        edition=edition,
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("forcestat")
    except PackageNotFoundError:
        return "unknown"
