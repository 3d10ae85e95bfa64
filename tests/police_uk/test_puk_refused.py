"""A data.police.uk load that is refused (``strict``) or fails leaves the store exactly as it
was: no table it would create, no reference row it would add (issue #19, item 3)."""

from __future__ import annotations

import pytest
from puk_helpers import DATA

from forcestat.store.loader import LoadError, StrictLoadError
from forcestat.store.sources.police_uk import load_police_uk
from forcestat.store.store import open_store


def snapshot(st) -> dict[str, list]:
    return {
        t: sorted(map(repr, st.duck.execute(f'SELECT * FROM "{t}"').fetchall()))
        for t in sorted(st.tables())
    }


def test_refused_and_failed_police_uk_loads_change_nothing(tmp_path):
    street = sorted((DATA / "street").glob("*-street.csv*"))[0]
    lines = street.read_text().splitlines() if street.suffix == ".csv" else None
    assert lines is not None
    bad = tmp_path / "2019-01-x-street.csv"
    # One row with a crime type the mapping does not know: quarantined, so --strict refuses.
    row = lines[1].split(",")
    row[9] = "Not a crime type"
    bad.write_text("\n".join([lines[0], *lines[1:20], ",".join(row)]) + "\n")
    st = open_store(str(tmp_path / "s.duckdb"))
    before = snapshot(st)
    with pytest.raises(StrictLoadError):
        load_police_uk(st, [bad], strict=True)
    assert snapshot(st) == before

    def boom() -> None:
        raise LoadError("disk full")

    with pytest.raises(LoadError):
        load_police_uk(st, [bad], before_commit=boom)
    assert snapshot(st) == before
    # The same file loads when not strict, creating the tables.
    load_police_uk(st, [bad])
    assert "police_uk_crime_types" in st.tables()
    st.close()
