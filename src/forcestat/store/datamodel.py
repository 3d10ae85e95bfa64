"""docs/data-model.md is generated from the schema so the two cannot drift apart
(a test compares them): ``python -m forcestat.store.datamodel > docs/data-model.md``."""

from __future__ import annotations

from .schema import (
    CANONICAL,
    DISTRICT_BUCKETS,
    LINEAGE_COLUMNS,
    NATIONAL_TABLES,
    POLICE_UK_TABLES,
    REFERENCE,
    SOURCE_REFERENCE,
    Column,
    Table,
)

_LINEAGE = {
    "source_file": "File the row was loaded from (absolute path)",
    "source_row": "Row in that file: the line it starts on minus one (header = row 0; blank "
    "lines keep their numbers); in Parquet, the row's position from 1",
    "loaded_at": "When the load that wrote this row ran",
    "load_id": "Load that wrote the row (see the `loads` table)",
}


def _rule(c: Column) -> str:
    parts = []
    if c.required:
        parts.append("required")
    if c.allowed:
        parts.append("one of: " + ", ".join(f"`{v}`" for v in c.allowed))
    if c.ref:
        parts.append(f"must be in `{c.ref}`")
        if c.ref == "geography.district":
            parts[-1] += " or a bucket (" + ", ".join(f"`{b}`" for b in DISTRICT_BUCKETS) + ")"
    if c.minimum is not None:
        parts.append(f"≥ {c.minimum:g}")
    if c.maximum is not None:
        parts.append(f"≤ {c.maximum:g}")
    if c.derived and c.derived_default_only:
        parts.append("filled from the reference table when empty; a given value is kept")
    elif c.derived:
        parts.append("filled from the reference table when empty; must agree when given")
    return "; ".join(parts)


def _table(t: Table) -> list[str]:
    out = [f"### `{t.name}`", "", t.description, "", f"Key: {', '.join(f'`{k}`' for k in t.key)}."]
    if t.version_column:
        out.append(
            f"A newer version of a record (same key, later `{t.version_column}`) replaces the "
            "stored one; the change is logged in `record_changes`."
        )
    for a, b in t.date_order:
        out.append(f"`{b}` may not be earlier than `{a}`.")
    out += ["", "| field | type | meaning | allowed values |", "|---|---|---|---|"]
    for c in t.columns:
        out.append(f"| `{c.name}` | {c.type} | {c.description} | {_rule(c)} |")
    if not t.reference:
        for name in LINEAGE_COLUMNS:
            out.append(f"| `{name}` | lineage | {_LINEAGE[name]} | set by the loader |")
    return out + [""]


def render() -> str:
    lines = [
        "# Data model",
        "",
        "Generated from `src/forcestat/store/schema.py` by "
        "`python -m forcestat.store.datamodel`; a test keeps this page and the code in step.",
        "",
        "## Values",
        "",
        "- Times are local time in Europe/London, without a zone: `YYYY-MM-DD` or "
        "`YYYY-MM-DD HH:MM[:SS[.ffffff]]` (a `T` may separate date and time). Hours run 00-23 "
        "(`24:00:00` is refused), and a date must lie between 1900-01-01 and a year after the "
        "day of the load. Text with a time-zone offset (`+01:00`, `Z`) is refused rather than "
        "shifted; a Parquet time stored with a zone (an instant) is converted to Europe/London "
        "local time. `epoch`, `infinity` and other words a database would take are refused.",
        "- Numbers must be finite (`NaN` and `Infinity` are refused). Whole-number fields "
        "(codes, counts) take digits only: `1.7` and `1e1` are refused, not rounded; in "
        "Parquet a float is taken only when it is whole.",
        "- Booleans (flags) accept `true/false`, `1/0`, `t/f`, `yes/no`, `y/n` in any case, "
        "nothing else (`2` is refused).",
        "- An empty field is a missing value. Values and header names are trimmed of spaces.",
        "",
        "## Reading CSV",
        "",
        "- UTF-8 unless the file starts with a byte-order mark (UTF-16 and UTF-32 are decoded, "
        "and the load says so) or `--encoding` names another encoding (e.g. `latin-1`, "
        "`cp1252`). A row holding text that does not decode is quarantined; the load suggests "
        "`--encoding`.",
        "- The first line is the header. A name given twice refuses the file; columns the "
        "table lacks are ignored with a warning.",
        "- Line endings may be LF, CRLF or CR, mixed. Blank lines are skipped without shifting "
        "the row numbers after them. A row with more or fewer fields than the header, or a "
        "quote left open to the end of the file, is quarantined and reading resumes on the "
        "next line.",
        "- A gzipped file (`.csv.gz`, recognised by its bytes) that ends early or is damaged "
        "refuses the whole load: nothing is loaded from it. So does a file that is not what "
        "its name says (Parquet named `.csv`, a ZIP or Excel file, binary data).",
        "",
        "## Canonical tables",
        "",
    ]
    for t in CANONICAL:
        lines += _table(t)
    lines += [
        "## Reference tables",
        "",
        "Shipped with the package in `src/forcestat/store/reference/` and copied into every new "
        "store; load a file into one to replace its rows by key "
        "(`forcestat load --store S geography my-geography.csv`).",
        "",
    ]
    for t in REFERENCE:
        lines += _table(t)
    lines += [
        "## Public-data source tables",
        "",
        "Written by `forcestat load --format police-uk` and `--format home-office` (see "
        "`docs/police-uk.md`); created on first use. data.police.uk crimes are also derived "
        "into the canonical `crimes` table; anti-social behaviour never is.",
        "",
    ]
    for t in SOURCE_REFERENCE + POLICE_UK_TABLES + NATIONAL_TABLES:
        lines += _table(t)
    lines += [
        "## Bookkeeping tables",
        "",
        "| table | one row per |",
        "|---|---|",
        "| `loads` | file loaded: counts inserted, replaced, unchanged, duplicates, superseded, "
        "quarantined |",
        "| `quarantine` | rejected row: file, row, fields, reasons and the raw record (JSON) |",
        "| `record_changes` | record replaced by a newer version: key, changed columns, old and "
        "new values, both sources |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
