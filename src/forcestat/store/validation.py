"""Row validation compiled to SQL over a staging table of raw values.

Each check is a SQL condition that is true when a row breaks the rule, paired with the field it
names and a message. Compiling the checks to one vectorised query keeps validation at millions
of rows a second while still naming the row and field of every rejection.
"""

from __future__ import annotations

from dataclasses import dataclass

from .schema import Column, Table
from .sqltext import lit, q

__all__ = ["Check", "Plan", "lit", "plan_for", "q", "typed"]


@dataclass(frozen=True)
class Check:
    field: str
    condition: str  # SQL, true when the row is invalid
    message: str  # SQL expression giving the message


# Whole numbers: digits only (no decimal point, no exponent: 1.7 and 1e1 are not codes).
_WHOLE = "[+-]?[0-9]+"
# Date-times as docs/data-model.md gives them: local time without a zone, hours 00-23.
_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIMESTAMP = _DATE + "([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?)?"
_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")
_INTEGER_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
_TIME_TYPES = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATE"}
# The plausible range of a date (docs/data-model.md): a year after today allows for a date
# keyed ahead of time, nothing like year 294247 or 0001.
EARLIEST = "1900-01-01"
RANGE_WORDS = f"is outside {EARLIEST} to a year after today"


def _text_as(col_type: str, text: str) -> str:
    """SQL typing trimmed, non-empty text ``text`` as ``col_type``; NULL when it is not a
    value of that type by the data model's rules (stricter than DuckDB's casts, which take
    '1.7' as the integer 2, 'epoch' and '24:00:00' as times, 'NaN' as a number)."""
    if col_type == "BOOLEAN":
        v = f"lower({text})"
        yes, no = ", ".join(lit(x) for x in _TRUE), ", ".join(lit(x) for x in _FALSE)
        return f"CASE WHEN {v} IN ({yes}) THEN TRUE WHEN {v} IN ({no}) THEN FALSE END"
    if col_type in ("INTEGER", "BIGINT"):
        return (
            f"CASE WHEN regexp_full_match({text}, {lit(_WHOLE)}) "
            f"THEN TRY_CAST({text} AS {col_type}) END"
        )
    if col_type == "TIMESTAMP":
        return (
            f"CASE WHEN regexp_full_match({text}, {lit(_TIMESTAMP)}) "
            f"THEN TRY_CAST({text} AS TIMESTAMP) END"
        )
    if col_type == "DATE":
        return (
            f"CASE WHEN regexp_full_match({text}, {lit(_DATE)}) THEN TRY_CAST({text} AS DATE) END"
        )
    return f"TRY_CAST({text} AS {col_type})"


def typed(col: Column, src_type: str = "VARCHAR") -> str:
    """The column's value in its canonical type. Text (CSV) is trimmed and parsed; a native
    column (Parquet) of the right type is used as it is, with no round trip through text; a
    native column of another type is converted only where the conversion is exact (a whole
    float to an integer code, an instant with a zone to Europe/London local time)."""
    expr = q(col.name)
    if src_type == col.type and col.type != "VARCHAR":
        return expr
    if col.type == "VARCHAR":
        return f"NULLIF(TRIM(CAST({expr} AS VARCHAR)), '')"
    if src_type == "VARCHAR":
        return _text_as(col.type, f"NULLIF(TRIM({expr}), '')")
    if col.type in ("INTEGER", "BIGINT"):
        if src_type in _INTEGER_TYPES:
            return f"TRY_CAST({expr} AS {col.type})"
        if src_type in _FLOAT_TYPES or src_type.startswith("DECIMAL"):
            return f"CASE WHEN {expr} = trunc({expr}) THEN TRY_CAST({expr} AS {col.type}) END"
    if col.type == "DOUBLE" and (
        src_type in _INTEGER_TYPES or src_type in _FLOAT_TYPES or src_type.startswith("DECIMAL")
    ):
        return f"TRY_CAST({expr} AS DOUBLE)"
    if col.type in ("TIMESTAMP", "DATE"):
        if src_type.startswith("TIMESTAMP WITH TIME ZONE"):
            return f"CAST(timezone('Europe/London', {expr}) AS {col.type})"
        if src_type in _TIME_TYPES:
            return f"TRY_CAST({expr} AS {col.type})"
    # Anything else (a flag given as a number, a date as a number...) is read as its text.
    return _text_as(col.type, f"NULLIF(TRIM(CAST({expr} AS VARCHAR)), '')")


def raw(col: Column, src_type: str = "VARCHAR") -> str:
    """The value as the source gave it, as text (empty text counts as missing)."""
    if src_type != "VARCHAR":
        return f"CAST({q(col.name)} AS VARCHAR)"
    return f"NULLIF(TRIM({q(col.name)}), '')"


def missing(col: Column, src_type: str = "VARCHAR") -> str:
    if src_type != "VARCHAR":
        return f"{q(col.name)} IS NULL"
    return f"NULLIF(TRIM({q(col.name)}), '') IS NULL"


_typed, _raw = typed, raw

_TYPE_WORDS = {
    "TIMESTAMP": "a date-time (YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS], local time without a zone)",
    "DATE": "a date (YYYY-MM-DD)",
    "INTEGER": "a whole number",
    "BIGINT": "a whole number",
    "DOUBLE": "a number",
    "BOOLEAN": "true or false (also 1/0, yes/no)",
}


@dataclass(frozen=True)
class Plan:
    """What validating a staged table needs: row checks and derived fills. Checks and fills
    read each column's typed value as ``__t_<column>`` and the reference values of derived
    columns as ``__lk<i>``: ``source(stg)`` gives the staged rows with those added (typing each
    value once keeps the queries small; ``fill_join`` is the LEFT JOIN to the reference table,
    empty when nothing is derived)."""

    checks: tuple[Check, ...]
    fills: dict[str, str]
    typed: dict[str, str]
    fill_join: str = ""

    def source(self, stg: str, lookups: bool = True) -> str:
        """The staged rows with the typed values, and with the reference values unless
        ``lookups`` is false (a scan for bad rows needs them only to check derived fields
        the file gives: the join is left out of it otherwise)."""
        cols = ", ".join(f"{expr} AS {typed_name(c)}" for c, expr in self.typed.items())
        join = self.fill_join if lookups else ""
        extra = ", __lk.*" if join else ""
        return f"(SELECT s.*, {cols}{extra} FROM {stg} s {join}) s"

    @property
    def checks_lookups(self) -> bool:
        return any("__lk" in c.condition for c in self.checks)


def typed_name(column: str) -> str:
    return q("__t_" + column)


def _quoted(expr: str) -> str:
    """SQL giving the raw value in single quotes, for messages."""
    return f"chr(39) || {expr} || chr(39)"


def domain_columns(table: Table) -> list[Column]:
    """Columns whose values must come from a fixed list or a reference table."""
    return [c for c in table.columns if c.allowed or c.ref]


def distinct_values_sql(table: Table, source: str, src_types: dict[str, str]) -> str:
    """One scan listing the distinct values of every domain column of ``source``."""
    parts = [
        f"list(DISTINCT CAST({_typed(c, src_types.get(c.name, 'VARCHAR'))} AS VARCHAR))"
        for c in domain_columns(table)
    ]
    return f"SELECT {', '.join(parts) or 'NULL'} FROM {source}"


def plan_for(
    table: Table,
    src_types: dict[str, str] | None = None,
    outside: dict[str, str] | None = None,
) -> Plan:
    """Compile a table's rules to SQL.

    ``outside`` names, per domain column with values this file should not have, a temporary
    table (one column ``v``) of those distinct values (worked out once on the distinct values,
    see ``distinct_values_sql``): the row check is then a test against that short list, not a
    lookup per row. The values themselves never enter the SQL text.
    """
    src = src_types or {}
    outside = outside or {}
    typed_exprs = {c.name: _typed(c, src.get(c.name, "VARCHAR")) for c in table.columns}

    def typed(col: Column) -> str:
        return typed_name(col.name)

    def raw(col: Column) -> str:
        return _raw(col, src.get(col.name, "VARCHAR"))

    out: list[Check] = []
    for col in table.columns:
        r, t, absent = raw(col), typed(col), missing(col, src.get(col.name, "VARCHAR"))
        shown = _quoted(r)
        if col.required:
            out.append(Check(col.name, absent, lit("required value is missing")))
        if col.type != "VARCHAR" and src.get(col.name, "VARCHAR") != col.type:
            msg = lit(" is not " + _TYPE_WORDS[col.type])
            out.append(Check(col.name, f"NOT ({absent}) AND {t} IS NULL", f"{shown} || {msg}"))
        if col.type == "DOUBLE":
            msg = lit(" is not a finite number")
            out.append(Check(col.name, f"NOT isfinite({t})", f"{shown} || {msg}"))
        if col.type in ("TIMESTAMP", "DATE"):
            msg = lit(" " + RANGE_WORDS)
            low = lit(EARLIEST)
            cond = (
                f"{t} < CAST({low} AS {col.type}) "
                f"OR {t} >= CAST(current_date + INTERVAL 1 YEAR + INTERVAL 1 DAY AS {col.type})"
            )
            out.append(Check(col.name, cond, f"{shown} || {msg}"))
        if (col.allowed or col.ref) and col.name in outside:
            if col.allowed:
                msg = lit(" is not one of: " + ", ".join(col.allowed))
            else:
                msg = lit(f" is not in the {col.ref.split('.')[0]} reference table")
            cond = f"CAST({t} AS VARCHAR) IN (SELECT v FROM {outside[col.name]})"
            out.append(Check(col.name, cond, f"{shown} || {msg}"))
        if col.minimum is not None:
            msg = lit(f" is below the minimum {col.minimum:g}")
            out.append(Check(col.name, f"{t} < {col.minimum}", f"{shown} || {msg}"))
        if col.maximum is not None:
            msg = lit(f" is above the maximum {col.maximum:g}")
            out.append(Check(col.name, f"{t} > {col.maximum}", f"{shown} || {msg}"))
    for earlier, later in table.date_order:
        a, b = typed(table.column(earlier)), typed(table.column(later))
        out.append(
            Check(
                later,
                f"{a} IS NOT NULL AND {b} IS NOT NULL AND {b} < {a}",
                lit(f"{later} is earlier than {earlier}"),
            )
        )
    if "outcome_pair" in table.extra_checks:
        ot, oa = typed(table.column("outcome_type")), typed(table.column("outcome_at"))
        out.append(
            Check(
                "outcome_at",
                f"({ot} IS NULL) <> ({oa} IS NULL)",
                lit("outcome_type and outcome_at must be both given or both empty"),
            )
        )
    fills: dict[str, str] = {}
    fill_join = ""
    if table.derived_from is not None:
        ref_table, join_col, mapping = table.derived_from
        key = typed_exprs[join_col]  # the join runs before the typed names exist
        # One hash join to the store's own reference table (a force may have replaced it)
        # gives both the fills and the values a given derived field must agree with.
        names = list(mapping)
        looked_up = ", ".join(
            f"CAST({q(mapping[n])} AS {table.column(n).type}) AS __lk{i}"
            for i, n in enumerate(names)
        )
        fill_join = (
            f"LEFT JOIN (SELECT CAST({q(join_col)} AS VARCHAR) AS __lk_key, {looked_up} "
            f"FROM {q(ref_table)}) AS __lk ON __lk.__lk_key = CAST({key} AS VARCHAR)"
        )
        for i, col_name in enumerate(names):
            col = table.column(col_name)
            expected = f"__lk{i}"
            fills[col_name] = f"COALESCE({typed(col)}, {expected})"
            msg = (
                f"{_quoted(raw(col))} || ' disagrees with the offence code (expected ' || "
                f"CAST({expected} AS VARCHAR) || ')'"
            )
            given = typed(col)
            cond = f"{given} IS NOT NULL AND {expected} IS NOT NULL AND {given} <> {expected}"
            # A derived column absent from the file cannot disagree: no check to run.
            if src.get(col_name) is not None and not col.derived_default_only:
                out.append(Check(col_name, cond, msg))
    # A condition on empty values is NULL in SQL; coalesce so that a row is always either
    # valid or rejected, never neither (which would drop it silently).
    checks = tuple(Check(c.field, f"coalesce(({c.condition}), FALSE)", c.message) for c in out)
    return Plan(checks, fills, typed_exprs, fill_join)
