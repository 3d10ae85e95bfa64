"""Read a framework TOML file, validate it, and say exactly what is wrong when it is not valid."""

from __future__ import annotations

import hashlib
import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from forcestat.framework import expr
from forcestat.framework.model import (
    BASIS_DATE,
    CHARTS_BY_KIND,
    CROSS,
    DEFAULT_DATE,
    GEOGRAPHY_BREAKDOWNS,
    Framework,
    Measure,
)
from forcestat.store.schema import ALL_TABLES, CANONICAL

DEFAULT_NAME = "default.toml"
_CANONICAL = {t.name for t in CANONICAL}


class FrameworkError(ValueError):
    """A framework file that cannot be used. ``problems`` lists every message, each naming the
    measure (or section) and the key."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s) in the framework:\n{lines}")


def default_path() -> Path:
    return Path(str(resources.files("forcestat.framework") / DEFAULT_NAME))


def load_framework(path: str | Path | None = None) -> Framework:
    """Load and validate a framework file; ``None`` loads the packaged default framework."""
    p = default_path() if path is None else Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise FrameworkError(str(p), [f"cannot read the file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise FrameworkError(str(p), ["not a text file (a TOML framework expected)"]) from None
    return loads_framework(text, source=str(p))


def loads_framework(text: str, source: str = "<framework>") -> Framework:
    """Validate a framework given as TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FrameworkError(source, [f"not valid TOML: {exc}"]) from None
    fw = _build(data, source)
    fw._source = source
    fw._hash = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return fw


# -- building ------------------------------------------------------------------------------------


def _where(section: str, index: int, raw: Any) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"{section[:-1].replace('_', ' ')} {ident!r}" if ident else f"{section}[{index}]"


def _pydantic_problems(where: str, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        key = ".".join(str(x) for x in err["loc"]) or "(whole entry)"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "literal_error":
            msg = f"{msg}, got {err.get('input')!r}"
        out.append(f"{where} key {key!r}: {msg}")
    return out


def _build(data: dict[str, Any], source: str) -> Framework:
    problems: list[str] = []
    lists = ("themes", "measures", "priority_areas", "objectives", "kpqs")
    top = {k: v for k, v in data.items() if k not in lists}
    for k in lists:
        if k in data and not isinstance(data[k], list):
            problems.append(f"{k!r} must be an array of tables ([[{k}]])")
    try:
        fw = Framework.model_validate(top)
    except ValidationError as exc:
        problems += _pydantic_problems("framework", exc)
        raise FrameworkError(source, problems) from None

    # Each entry is validated on its own so that a message can name the measure it belongs to.
    for section in lists:
        items = data.get(section, [])
        if not isinstance(items, list):
            continue
        model = Framework.model_fields[section].annotation.__args__[0]  # type: ignore[union-attr]
        built = []
        for i, raw in enumerate(items):
            where = _where(section, i, raw)
            try:
                built.append(model.model_validate(raw))
            except ValidationError as exc:
                problems += _pydantic_problems(where, exc)
        setattr(fw, section, built)
    if "prosecution_possible" in fw.sets:
        problems.append(
            "sets key 'prosecution_possible': set it in [settings] prosecution_possible instead"
        )
    if not fw.measures and not problems:
        # A framework without measures would give an empty report that seems to blame the data.
        problems.append("no measures: a framework needs at least one [[measures]] entry")
    problems += _check_references(fw)
    sets = fw.all_sets()
    for m in fw.measures:
        problems += _check_measure(m, sets)
    if problems:
        raise FrameworkError(source, problems)
    return fw


def _duplicates(ids: list[str]) -> set[str]:
    seen: set[str] = set()
    return {i for i in ids if i in seen or seen.add(i)}  # type: ignore[func-returns-value]


def _check_references(fw: Framework) -> list[str]:
    problems = []
    theme_ids = {t.id for t in fw.themes}
    measure_ids = {m.id for m in fw.measures}
    area_ids = {a.id for a in fw.priority_areas}
    for section, items in (
        ("theme", fw.themes),
        ("measure", fw.measures),
        ("priority area", fw.priority_areas),
        ("objective", fw.objectives),
    ):
        for dup in sorted(_duplicates([x.id for x in items])):
            problems.append(f"{section} {dup!r} key 'id': defined more than once")
    for m in fw.measures:
        if m.theme not in theme_ids:
            problems.append(
                f"measure {m.id!r} key 'theme': unknown theme {m.theme!r} "
                f"(themes: {', '.join(sorted(theme_ids)) or 'none defined'})"
            )
    for section, items in (("priority area", fw.priority_areas), ("objective", fw.objectives)):
        for x in items:
            for mid in x.measures:
                if mid not in measure_ids:
                    problems.append(f"{section} {x.id!r} key 'measures': unknown measure {mid!r}")
            if x.theme is not None and x.theme not in theme_ids:
                problems.append(f"{section} {x.id!r} key 'theme': unknown theme {x.theme!r}")
    objective_ids = {o.id for o in fw.objectives}
    for dup in sorted(_duplicates([k.id for k in fw.kpqs])):
        problems.append(f"kpq {dup!r} key 'id': defined more than once")
    for k in fw.kpqs:
        if k.objective is not None and k.objective not in objective_ids:
            problems.append(f"kpq {k.id!r} key 'objective': unknown objective {k.objective!r}")
        for key, refs in (("quantitative", k.quantitative), ("qualitative", k.qualitative)):
            for ref in refs:
                mid = ref.split(":", 1)[0]
                if mid not in measure_ids:
                    problems.append(f"kpq {k.id!r} key {key!r}: unknown measure {mid!r}")
                elif ":" in ref and not fw.measure(mid).breakdowns:
                    problems.append(
                        f"kpq {k.id!r} key {key!r}: {ref!r} names a unit, but measure {mid!r} "
                        "has no breakdown of its own"
                    )
    for o in fw.objectives:
        if o.priority_area is not None and o.priority_area not in area_ids:
            problems.append(
                f"objective {o.id!r} key 'priority_area': unknown priority area {o.priority_area!r}"
            )
    return problems


def _check_measure(m: Measure, sets: dict[str, tuple[Any, ...]]) -> list[str]:
    where = f"measure {m.id!r}"
    if m.table not in _CANONICAL:
        known = ", ".join(sorted(_CANONICAL))
        return [f"{where} key 'table': unknown table {m.table!r} (tables: {known})"]
    table = ALL_TABLES[m.table]
    problems: list[str] = []

    def column_key(key: str, name: str, types: tuple[str, ...]) -> bool:
        if name not in table.column_names:
            problems.append(
                f"{where} key {key!r}: unknown column {name!r} in table {m.table!r} "
                f"(columns: {', '.join(table.column_names)})"
            )
            return False
        if table.column(name).type not in types:
            problems.append(
                f"{where} key {key!r}: column {name!r} is {table.column(name).type}, "
                f"expected {' or '.join(types)}"
            )
            return False
        return True

    # The date that places a record in a month.
    if m.basis is not None:
        if m.table != "crimes":
            problems.append(f"{where} key 'basis': only applies to measures on the crimes table")
        elif m.date is not None and m.date != BASIS_DATE[m.basis]:
            problems.append(
                f"{where} key 'date': {m.basis} basis counts by {BASIS_DATE[m.basis]!r}; "
                f"leave 'date' out"
            )
        else:
            m._date = BASIS_DATE[m.basis]
    date = m._date or m.date or DEFAULT_DATE.get(m.table)
    if date is None:
        problems.append(f"{where} key 'date': table {m.table!r} has no default date; name one")
    else:
        column_key("date", date, ("TIMESTAMP", "DATE"))

    def parse(key: str, src: str | None, want: str) -> expr.Node | None:
        if src is None:
            return None
        try:
            node = expr.parse(src, sets)
            got = expr.check(node, table)
        except expr.ExprError as exc:
            problems.append(f"{where} key {key!r}: {exc} (in {src!r})")
            return None
        if got != want:
            problems.append(
                f"{where} key {key!r}: must be a {want} expression, got a {got} one (in {src!r})"
            )
            return None
        return node

    m._filter = parse("filter", m.filter, "boolean")
    if m.basis == "closed":
        # Closed basis: only crimes with an outcome assigned count, in the month assigned.
        closed = expr.IsNull(expr.Col("outcome_at"), negated=True)
        m._filter = closed if m._filter is None else expr.BoolOp("and", m._filter, closed)
    m._numerator = parse("numerator", m.numerator, "boolean")
    m._value = parse("value", m.value, "number")
    m._weight = parse("weight", m.weight, "number")

    needs = {
        "proportion": ("numerator",),
        "median": ("value",),
        "mean": ("value",),
        "total": ("value",),
        "count": (),
        "rate_per_1000": (),
        "concentration": ("value", "entity"),
    }[m.kind]
    for key in needs:
        if getattr(m, key) is None:
            problems.append(f"{where} key {key!r}: a {m.kind} measure needs {key!r}")
    if m.max_value is not None and m.kind != "total":
        problems.append(f"{where} key 'max_value': applies only to total measures")
    for key in ("entity", "top_percent"):
        if getattr(m, key) is not None and m.kind != "concentration":
            problems.append(f"{where} key {key!r}: applies only to concentration measures")
    if m.kind == "concentration" and m.entity is not None:
        column_key("entity", m.entity, ("VARCHAR", "BIGINT", "INTEGER"))
    for key in ("numerator", "value", "weight", "resolution"):
        if getattr(m, key) is None or key in needs:
            continue
        if key == "weight" and m.kind == "proportion":
            continue
        if key == "resolution" and m.kind == "median":
            continue
        problems.append(f"{where} key {key!r}: does not apply to a {m.kind} measure")
    if m.per == "day" and m.kind != "mean":
        problems.append(f"{where} key 'per': 'day' applies only to mean measures")
    if m.basis is not None and m.kind != "proportion":
        problems.append(f"{where} key 'basis': applies only to proportion (outcome rate) measures")

    problems += _check_chart(m, where)

    has_district = "district" in table.column_names
    if m.kind == "rate_per_1000" and not has_district:
        problems.append(
            f"{where} key 'kind': rate_per_1000 needs a district column to find the population "
            f"(table {m.table!r} has none)"
        )
    for b in m.breakdowns:
        parts = b.split(CROSS)
        if len(parts) == 1 and b in GEOGRAPHY_BREAKDOWNS:
            problems.append(
                f"{where} key 'breakdowns': {b!r} is always evaluated "
                f"(set geography = false to turn area/district off)"
            )
            continue
        if len(set(parts)) != len(parts) or "" in parts:
            problems.append(f"{where} key 'breakdowns': bad cross breakdown {b!r}")
            continue
        for part in parts:
            if part in GEOGRAPHY_BREAKDOWNS:
                if part != "force" and not (has_district and m.geography):
                    problems.append(
                        f"{where} key 'breakdowns': {b!r} needs the district "
                        f"(table {m.table!r} has none, or geography = false)"
                    )
            else:
                column_key("breakdowns", part, ("VARCHAR", "BOOLEAN", "INTEGER", "BIGINT"))
    if len(set(m.breakdowns)) != len(m.breakdowns):
        problems.append(f"{where} key 'breakdowns': a breakdown is listed twice")
    if m.statement is not None:
        try:
            m.statement.format(value="", period="", n="", unit="", share="")
        except (KeyError, IndexError, ValueError) as exc:
            problems.append(
                f"{where} key 'statement': bad placeholder {exc} "
                "(use {value}, {period}, {n}, {unit}, {share})"
            )
    return problems


def _check_chart(m: Measure, where: str) -> list[str]:
    """The chart suits the kind; targets are finite (and 0-100 for a proportion)."""
    problems: list[str] = []
    allowed = CHARTS_BY_KIND[m.kind]
    if m.chart in ("t", "g"):
        problems.append(
            f"{where} key 'chart': a {m.chart} chart plots the time or count between single "
            "events, whose dates the monthly engine does not keep; use one of "
            f"{', '.join(allowed)} (stats.spc.{m.chart}_chart draws it from event data)"
        )
    elif m.chart is not None and m.chart not in allowed:
        problems.append(
            f"{where} key 'chart': {m.chart!r} does not suit a {m.kind} measure "
            f"(use one of {', '.join(allowed)})"
        )
    targets = [("target", m.target)] + [(f"targets.{u}", v) for u, v in m.targets.items()]
    for key, value in targets:
        if value is None:
            continue
        if not math.isfinite(value):
            problems.append(f"{where} key {key!r}: {value!r} is not a finite number")
        elif m.kind == "proportion" and not 0 <= value <= 100:
            problems.append(f"{where} key {key!r}: a proportion's target is a percentage 0-100")
        elif m.kind != "mean" and value < 0:
            problems.append(f"{where} key {key!r}: a {m.kind} measure's target cannot be negative")
    if (m.target is not None or m.targets) and m.polarity == "neutral":
        problems.append(f"{where} key 'target': a neutral measure has no assurance icon")
    return problems
