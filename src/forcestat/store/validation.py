"""Row validation compiled to SQL over a staging table of raw values.

Each check is a SQL condition that is true when a row breaks the rule, paired with the field it
names and a message. Compiling the checks to one vectorised query keeps validation at millions
of rows a second while still naming the row and field of every rejection.
"""

from __future__ import annotations

from dataclasses import dataclass

from .schema import Column, Table


def q(name: str) -> str:
    """Quote an identifier (names come from the schema, never from user input)."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """A SQL string literal for a value defined in the schema or reference tables."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True)
class Check:
    field: str
    condition: str  # SQL, true when the row is invalid
    message: str  # SQL expression giving the message


def typed(col: Column, src_type: str = "VARCHAR") -> str:
    """The column's value in its canonical type. Text (CSV) is trimmed and parsed; a native
    column (Parquet) of the right type is used as it is, with no round trip through text."""
    expr = q(col.name)
    if src_type == col.type and col.type != "VARCHAR":
        return expr
    if src_type not in ("VARCHAR", col.type) and col.type != "VARCHAR":
        return f"TRY_CAST({expr} AS {col.type})"
    if col.type == "VARCHAR":
        return f"NULLIF(TRIM(CAST({expr} AS VARCHAR)), '')"
    if col.type == "BOOLEAN":
        # Spreadsheet exports use Y/N and yes/no as often as true/false.
        v = f"lower(trim({expr}))"
        return (
            f"CASE WHEN {v} IN ('y', 'yes') THEN TRUE WHEN {v} IN ('n', 'no') THEN FALSE "
            f"ELSE TRY_CAST(NULLIF({v}, '') AS BOOLEAN) END"
        )
    return f"TRY_CAST(NULLIF(TRIM({expr}), '') AS {col.type})"


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
    "TIMESTAMP": "a date-time (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)",
    "DATE": "a date (YYYY-MM-DD)",
    "INTEGER": "a whole number",
    "BIGINT": "a whole number",
    "DOUBLE": "a number",
    "BOOLEAN": "true or false",
}


@dataclass(frozen=True)
class Plan:
    """What validating a staged table needs: row checks and derived fills. The fills read the
    reference values through ``fill_join`` (a LEFT JOIN to add after the staged table in FROM;
    empty when there is nothing to look up)."""

    checks: tuple[Check, ...]
    fills: dict[str, str]
    fill_join: str = ""


def _sql_value(v: object, type_: str) -> str:
    if v is None:
        return "NULL"
    if type_ == "BOOLEAN":
        return "TRUE" if v else "FALSE"
    if type_ in ("DOUBLE", "INTEGER", "BIGINT"):
        # A typed literal: a text one cannot be coalesced with the column's numbers.
        return f"CAST({lit(str(v))} AS {type_})"
    return lit(str(v))


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
    outside: dict[str, list[str]] | None = None,
    lookups: dict[str, dict[str, object]] | None = None,
) -> Plan:
    """Compile a table's rules to SQL.

    ``outside`` gives, per domain column, the distinct values of this file that are not
    allowed (worked out once on the distinct values, see ``distinct_values_sql``): the row
    check is then a test against that usually empty list, not a lookup per row.
    ``lookups`` maps each derived column to {reference key: value}, applied as a MAP lookup.
    """
    src = src_types or {}
    outside = outside or {}
    lookups = lookups or {}

    def typed(col: Column) -> str:
        return _typed(col, src.get(col.name, "VARCHAR"))

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
        if (col.allowed or col.ref) and outside.get(col.name):
            bad = ", ".join(lit(v) for v in outside[col.name])
            if col.allowed:
                msg = lit(" is not one of: " + ", ".join(col.allowed))
            else:
                msg = lit(f" is not in the {col.ref.split('.')[0]} reference table")
            out.append(Check(col.name, f"CAST({t} AS VARCHAR) IN ({bad})", f"{shown} || {msg}"))
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
        _, join_col, mapping = table.derived_from
        key = typed(table.column(join_col))
        # The fills look the values up with a hash join to a VALUES list of the reference rows
        # (one probe per row); the checks, which only run when the file gives a derived value,
        # keep the MAP form, which needs no join.
        names = list(mapping)
        by_name = {n: {str(k): v for k, v in lookups.get(n, {}).items()} for n in names}
        keys = sorted({k for n in names for k in by_name[n]})
        if keys:
            rows = ", ".join(
                "("
                + ", ".join(
                    [lit(k)]
                    + [
                        f"CAST({_sql_value(by_name[n].get(k), table.column(n).type)} "
                        f"AS {table.column(n).type})"
                        for n in names
                    ]
                )
                + ")"
                for k in keys
            )
            aliases = ", ".join(f"__lk{i}" for i in range(len(names)))
            fill_join = (
                f"LEFT JOIN (VALUES {rows}) AS __lk(__lk_key, {aliases}) "
                f"ON __lk.__lk_key = CAST({key} AS VARCHAR)"
            )
        for i, col_name in enumerate(names):
            col, table_of = table.column(col_name), lookups.get(col_name, {})
            entries = ", ".join(
                f"{lit(str(k))}: {_sql_value(v, col.type)}" for k, v in sorted(table_of.items())
            )
            expected = f"map_extract_value(MAP {{{entries}}}, {key})" if entries else "NULL"
            fills[col_name] = f"COALESCE({typed(col)}, {f'__lk.__lk{i}' if fill_join else 'NULL'})"
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
    return Plan(checks, fills, fill_join)
