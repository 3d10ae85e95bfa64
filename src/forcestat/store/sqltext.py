"""The two ways text of ours enters SQL: ``q()`` for identifiers and ``lit()`` for literals.

Values read from a file or given by a user never do: they are query parameters (``?``) or
Arrow tables registered under names of ours. tests/store/test_sql_text.py reads the source and
fails on SQL that pastes a value in.
"""

from __future__ import annotations


def q(name: str) -> str:
    """Quote an identifier: a table or column name of the packaged schema, a temporary name
    of the loader's own, or a Parquet file's column name that trims to a schema column name
    (the loader quotes no other)."""
    if "\x00" in name:
        raise ValueError("an identifier cannot hold a NUL character")
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """A SQL string literal for text of the packaged schema (messages, allowed values, an
    importer's constants). Never for a value read from a file or given by a user."""
    return "'" + value.replace("'", "''") + "'"
