"""The performance framework as data: settings, themes, measures, priority areas, objectives.

Pydantic checks each key's type and range; ``loader.validate`` then checks what pydantic cannot
see (tables and columns against ``store/schema.py``, expressions, cross references) and turns
every problem into a message that names the measure and the key.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from forcestat.framework import expr
from forcestat.store.schema import DATE_COLUMNS

Kind = Literal["proportion", "count", "median", "mean", "rate_per_1000", "total", "concentration"]
Polarity = Literal["higher_is_better", "lower_is_better", "neutral"]
Window = Literal["12m", "3m", "1m", "fytd"]
# previous_period: the window of the same length just before (a quarter against the one
# before it), for the short windows of a measure's ``views``.
Comparator = Literal["previous_year", "year_end", "long_term", "previous_period"]
Basis = Literal["cohort", "closed"]
# Control charts a measure may ask for (``stats.spc``); t and g charts plot single events and
# are refused until the engine keeps their dates (the monthly cube does not).
Chart = Literal["xmr", "p", "p_prime", "u", "c", "run", "t", "g"]
# Charts of the time (t) or days (g) between single events: count measures only, read from the
# events' own dates (engine/events.py).
EVENT_CHARTS: tuple[str, ...] = ("t", "g")
# The charts each kind can be drawn as; the first is its default.
CHARTS_BY_KIND: dict[str, tuple[str, ...]] = {
    "proportion": ("p_prime", "p", "run"),
    "count": ("xmr", "c", "u", "run"),
    "rate_per_1000": ("xmr", "u", "run"),
    "median": ("xmr", "run"),
    "mean": ("xmr", "run"),
    "total": ("xmr", "run"),
    "concentration": ("xmr", "run"),
}

KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
WINDOWS: tuple[str, ...] = Window.__args__  # type: ignore[attr-defined]
COMPARATORS: tuple[str, ...] = Comparator.__args__  # type: ignore[attr-defined]
BENCHMARKS = ("previous_year", "year_end", "long_term")  # every measure's, by default
# Windows a Board paper may show beside the leading 12 months (``Measure.views``).
VIEW_WINDOWS = ("3m", "1m")

# Breakdowns the engine derives from the district (via the geography reference table).
GEOGRAPHY_BREAKDOWNS = ("force", "area", "district")
# Joins the parts of a cross breakdown, e.g. "district*offence_group".
CROSS = "*"

# The date that places a record in a month, when the measure does not name one.
DEFAULT_DATE = DATE_COLUMNS
# Outcome-rate bases (docs/architecture.md §6): cohort = crimes recorded in the window; closed =
# outcomes assigned in the window.
BASIS_DATE = {"cohort": "recorded_at", "closed": "outcome_at"}

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class SpcSettings(_Strict):
    """Making Data Count rules (docs/architecture.md §6), passed to ``stats.spc``."""

    min_points: int = Field(13, ge=2)
    shift_length: int = Field(7, ge=2)
    trend_length: int = Field(7, ge=2)
    # Points used to fix the limits (None: all points up to the period, or since a rebase).
    baseline_points: int | None = Field(None, ge=2)
    # Months ("YYYY-MM") at which the limits are recalculated, e.g. the start of a pandemic.
    rebase_at: list[str] = Field(default_factory=list)
    # A shift reaching the latest point counts as "trending" only if its run began within this
    # many of the latest points (a longer run is a new level; docs/methods.md 5.3).
    recent_points: int = Field(12, ge=1)
    # Trend readings (docs/methods.md 5.3-5.5): months of the slope test; counts judged per
    # day and against their own seasonal pattern; "halted" needs a long-term trend over
    # halt_window months (significant at halt_alpha) and the last halt_points months off it.
    slope_window: int = Field(24, ge=3)
    seasonal: bool = True
    halt_points: int = Field(7, ge=1)
    halt_window: int = Field(24, ge=12)
    halt_alpha: float = Field(0.01, gt=0, lt=1)
    # "Trending" only while the series still moves that way: not when each of the last
    # trend_reversal months moved against it (0: off).
    trend_reversal: int = Field(3, ge=0)
    # Months ("YYYY-MM") left out of the limits' calculation but still charted and tested
    # (e.g. a month of recording outage).
    exclude: list[str] = Field(default_factory=list)
    # "ar1": proportions, medians, means and totals whose baseline shows significant lag-1
    # autocorrelation are read against an AR(1) forecast and their slope tests allow for it
    # (docs/methods.md 4.7); "ignore" turns that off.
    autocorrelation: Literal["ar1", "ignore"] = "ar1"
    # Peer readings (docs/methods.md 4.5): "segment" counts a segment's points for trial
    # limits (NHSRplotthedots); "always" applies Laney's sigma_z unconditionally (qicharts2).
    trial_count: Literal["baseline", "segment"] = "baseline"
    laney: Literal["when_overdispersed", "always"] = "when_overdispersed"

    @field_validator("rebase_at", "exclude")
    @classmethod
    def _months(cls, v: list[str]) -> list[str]:
        for m in v:
            if not _MONTH.match(m):
                raise ValueError(f"{m!r} is not a month YYYY-MM")
        return sorted(v)


class Settings(_Strict):
    alpha: float = Field(0.05, gt=0, lt=1)
    confidence_level: float = Field(0.95, gt=0, lt=1)
    min_base: int = Field(50, ge=0)
    caution_base: int = Field(100, ge=0)
    # Counts 1 .. suppress_below-1 are flagged ``suppressed`` (public disclosure control).
    suppress_below: int = Field(5, ge=0)
    # The public edition's audit (docs/methods.md 6): a count shown as "fewer than k" must stay
    # feasible over the whole 1..k-1 whatever else is published (unset), or over its value plus
    # and minus this share of it (the protection interval, e.g. 0.5).
    protection_ratio: float | None = Field(None, gt=0, le=1)
    financial_year_start: int = Field(4, ge=1, le=12)
    long_term_months: int = Field(36, ge=1)
    windows: list[Window] = Field(default_factory=lambda: list(WINDOWS))
    comparators: list[Comparator] = Field(default_factory=lambda: list(BENCHMARKS))
    prosecution_possible: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 6, 7, 8])
    outcome_basis: Basis = "cohort"
    # A cohort window is still maturing while it ends fewer than this many months before the
    # last month of data: its crimes have had little time to reach an outcome.
    maturing_months: int = Field(3, ge=0)
    # Scale count tests by the monthly dispersion when the counts are overdispersed.
    overdispersion: bool = True
    spc: SpcSettings = Field(default_factory=SpcSettings)

    @model_validator(mode="after")
    def _bases(self) -> Settings:
        if self.caution_base < self.min_base:
            raise ValueError("caution_base must be at least min_base")
        for o in self.prosecution_possible:
            if not 1 <= o <= 22:
                raise ValueError(f"prosecution_possible: {o} is not a Home Office outcome 1-22")
        return self


class Theme(_Strict):
    id: str
    title: str
    description: str | None = None


class Measure(_Strict):
    """One strategic measure. See docs/framework.md for every key."""

    id: str
    title: str
    theme: str
    phrase: str
    kind: Kind
    polarity: Polarity
    table: str
    date: str | None = None
    filter: str | None = None
    numerator: str | None = None
    value: str | None = None
    # Median: histogram bin width in the value's unit (1 = whole minutes for a time in minutes).
    resolution: float | None = Field(None, gt=0)
    # Proportion: a column of survey weights (empty = 1); the base becomes Kish's effective n.
    weight: str | None = None
    # Total: the largest value one record can take (e.g. the CCHI days of a homicide); the
    # interval's upper limit adds it (Fay & Feuer). Unset: the window's mean value is added.
    max_value: float | None = Field(None, gt=0)
    # Mean: "record" = mean over records; "day" = mean over days of the day's total.
    per: Literal["record", "day"] = "record"
    # Concentration: the column naming who bears the value (e.g. victim_id), and the top share
    # of them whose part of the window's total is the measure (the "power few").
    entity: str | None = None
    top_percent: float | None = Field(None, gt=0, lt=100)
    # Outcome rates on the crimes table: cohort (recorded in the window) or closed basis.
    basis: Basis | None = None
    breakdowns: list[str] = Field(default_factory=list)
    # Recent windows the Board paper shows beside the 12 months ("3m": this quarter against the
    # one before and the same quarter a year earlier), each with its own tests.
    views: list[Literal["3m", "1m"]] = Field(default_factory=list)
    # Figures: a map of the districts' values (choropleth) and small multiples of the areas'
    # and districts' monthly series, drawn where the measure is presented.
    map: bool = False
    multiples: bool = False
    # Breakdowns the Board paper always shows (others only when a unit of theirs is
    # significantly different or shows special cause variation).
    always_show: list[str] = Field(default_factory=list)
    geography: bool = True
    windows: list[Window] | None = None
    comparators: list[Comparator] | None = None
    min_base: int | None = Field(None, ge=0)
    # Cohort outcome rates: months the latest windows stay 'maturing' (default: the setting).
    maturing_months: int | None = Field(None, ge=0)
    # Cohort outcome rates: months of outcomes every month of the chart counts; the chart then
    # stops that many months before the extract (0: to the extract, outcomes in the month of
    # recording). Slow outcomes (rape: ~8 months) need more to give a usable monthly rate.
    chart_maturity: int = Field(0, ge=0, le=36)
    caution_base: int | None = Field(None, ge=0)
    # The control chart (default: the kind's, ``CHARTS_BY_KIND``).
    chart: Chart | None = None
    # A target on the monthly chart's scale (percent for proportions) for the assurance icon,
    # and per-unit targets by unit label (e.g. a district), which override it.
    target: float | None = None
    targets: dict[str, float] = Field(default_factory=dict)
    statement: str | None = None
    unit_label: str | None = None
    base_label: str | None = None
    description: str | None = None

    _filter: expr.Node | None = PrivateAttr(None)
    _numerator: expr.Node | None = PrivateAttr(None)
    _value: expr.Node | None = PrivateAttr(None)
    _weight: expr.Node | None = PrivateAttr(None)
    _date: str | None = PrivateAttr(None)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError("must be lower case letters, digits and _ (starting with a letter)")
        return v

    @model_validator(mode="after")
    def _shown(self) -> Measure:
        unknown = [b for b in self.always_show if b not in self.breakdowns]
        if unknown:
            raise ValueError(f"always_show names breakdowns the measure lacks: {unknown}")
        return self

    # -- what the engine reads ----------------------------------------------------------------
    @property
    def date_column(self) -> str:
        return self._date or self.date or DEFAULT_DATE.get(self.table, "")

    @property
    def filter_expr(self) -> expr.Node | None:
        return self._filter

    @property
    def numerator_expr(self) -> expr.Node | None:
        return self._numerator

    @property
    def value_expr(self) -> expr.Node | None:
        return self._value

    @property
    def weight_expr(self) -> expr.Node | None:
        return self._weight

    @property
    def top_fraction(self) -> float:
        """Concentration: the top share of entities, as a fraction (default 5%)."""
        return (5.0 if self.top_percent is None else self.top_percent) / 100.0

    @property
    def bin_width(self) -> float:
        return self.resolution or 1.0

    @property
    def key_columns(self) -> tuple[str, ...]:
        """Table columns its own breakdowns group by (a cross "district*offence_group" reads
        offence_group; the geography comes from the district)."""
        out: list[str] = []
        for b in self.breakdowns:
            for part in b.split(CROSS):
                if part not in GEOGRAPHY_BREAKDOWNS and part not in out:
                    out.append(part)
        return tuple(out)

    @property
    def chart_type(self) -> str:
        """The control chart the engine draws: ``chart``, else the kind's default."""
        return self.chart or CHARTS_BY_KIND[self.kind][0]

    def target_for(self, unit: str) -> float | None:
        """The target of a unit (``targets``), else the measure's (``target``), else None."""
        return self.targets.get(unit, self.target)

    def windows_in(self, settings: Settings) -> list[str]:
        return list(self.windows if self.windows is not None else settings.windows)

    def comparators_in(self, settings: Settings) -> list[str]:
        out = list(self.comparators if self.comparators is not None else settings.comparators)
        if self.views and "previous_period" not in out:
            out.append("previous_period")
        return out

    def maturing_in(self, settings: Settings) -> int:
        """Months before the extract during which a cohort window is still maturing."""
        return settings.maturing_months if self.maturing_months is None else self.maturing_months

    def bases(self, settings: Settings) -> tuple[int, int]:
        lo = settings.min_base if self.min_base is None else self.min_base
        hi = settings.caution_base if self.caution_base is None else self.caution_base
        return lo, max(lo, hi)


class PriorityArea(_Strict):
    id: str
    title: str
    theme: str | None = None
    measures: list[str] = Field(default_factory=list)
    description: str | None = None


class Objective(_Strict):
    id: str
    title: str
    theme: str | None = None
    priority_area: str | None = None
    # The Plan outcome the objective serves (objectives of one outcome go together, e.g. the
    # reference report's 6.1, 6.2, 6.3), as worded in the Plan.
    outcome: str | None = None
    measures: list[str] = Field(default_factory=list)
    description: str | None = None
    # Show the Key Performance Questions matrix ([[kpqs]]) under this objective.
    kpq_matrix: bool = False
    # Set by ``Framework.without``: measures of this objective the data cannot support.
    unavailable: list[str] = Field(default_factory=list)


class KeyPerformanceQuestion(_Strict):
    """A row of the Key Performance Questions matrix: a question the Board asks, the
    quantitative measures that answer it from the records and the qualitative (audit) results
    that answer it from case reviews. A qualitative entry is a measure id, or
    ``measure:unit`` for one unit of the measure's own breakdown (e.g. one audit question of a
    compliance measure broken down by question)."""

    id: str
    question: str
    objective: str | None = None
    quantitative: list[str] = Field(default_factory=list)
    qualitative: list[str] = Field(default_factory=list)
    description: str | None = None


class FrameworkInfo(_Strict):
    name: str = "Performance framework"
    version: str | None = None
    force: str | None = None
    description: str | None = None


class Framework(_Strict):
    framework: FrameworkInfo = Field(default_factory=FrameworkInfo)
    settings: Settings = Field(default_factory=Settings)
    # Named value lists usable in expressions as ``in @name``.
    sets: dict[str, list[Any]] = Field(default_factory=dict)
    themes: list[Theme] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    priority_areas: list[PriorityArea] = Field(default_factory=list)
    objectives: list[Objective] = Field(default_factory=list)
    kpqs: list[KeyPerformanceQuestion] = Field(default_factory=list)

    # Set by the loader: where it came from and a hash of its text (for report footers).
    _source: str = PrivateAttr("")
    _hash: str = PrivateAttr("")

    @property
    def source(self) -> str:
        return self._source

    @property
    def hash(self) -> str:
        return self._hash

    def measure(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(f"no measure {measure_id!r} in the framework")

    @property
    def by_id(self) -> dict[str, Measure]:
        return {m.id: m for m in self.measures}

    def without(self, measure_ids: set[str] | frozenset[str]) -> Framework:
        """The same framework less some measures (e.g. those the data cannot support):
        priority areas and objectives keep their other measures; a priority area left with
        none goes; an objective stays (a Plan commitment the paper still quotes), with the
        measures it lost in ``unavailable``."""
        if not measure_ids:
            return self
        keep = [m for m in self.measures if m.id not in measure_ids]

        def trimmed(items: list, keep_empty: bool = False) -> list:
            out = []
            for item in items:
                ms = [mid for mid in item.measures if mid not in measure_ids]
                if ms or not item.measures:
                    out.append(item.model_copy(update={"measures": ms}))
                elif keep_empty:
                    lost = [mid for mid in item.measures if mid in measure_ids]
                    out.append(item.model_copy(update={"measures": ms, "unavailable": lost}))
            return out

        kpqs = []
        for k in self.kpqs:
            quant = [mid for mid in k.quantitative if mid not in measure_ids]
            qual = [r for r in k.qualitative if r.split(":", 1)[0] not in measure_ids]
            if quant or qual:
                kpqs.append(k.model_copy(update={"quantitative": quant, "qualitative": qual}))
        fw = self.model_copy(
            update={
                "measures": keep,
                "priority_areas": trimmed(self.priority_areas),
                "objectives": trimmed(self.objectives, keep_empty=True),
                "kpqs": kpqs,
            }
        )
        fw._source, fw._hash = self._source, self._hash
        return fw

    def all_sets(self) -> dict[str, tuple[Any, ...]]:
        out = {k: tuple(v) for k, v in self.sets.items()}
        out.setdefault("prosecution_possible", tuple(self.settings.prosecution_possible))
        return out
