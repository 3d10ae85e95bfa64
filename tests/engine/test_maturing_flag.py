"""The ``maturing`` flag of cohort outcome rates counts from the extract (the latest month an
outcome is known in), not from the latest recording month: a crime reported on 31 March and
recorded on 1 April does not make March's windows a month older."""

from __future__ import annotations

import pandas as pd
import pytest

from forcestat.engine import compute
from forcestat.store.store import open_store


def month(ts):
    return ts.dt.year * 12 + ts.dt.month - 1


def label(m: int) -> str:
    return f"{m // 12}-{m % 12 + 1:02d}"


@pytest.mark.parametrize("measure", ["outcome_rate_all_crime", "outcome_rate_serious_sexual"])
def test_maturing_counts_from_the_extract(store_path, raw, framework, measure):
    crimes = raw["crimes"]
    extract = int(month(crimes.outcome_at).max())
    last_recorded = int(month(crimes.recorded_at).max())
    # The premise: some crimes are recorded after the last outcome month.
    assert last_recorded > extract
    months = framework.measure(measure).maturing_in(framework.settings)
    st = open_store(store_path, read_only=True)
    try:
        # The newest period whose windows have matured, and the one after it.
        for period, expected in ((extract - months, False), (extract - months + 1, True)):
            out = compute(st, framework, label(period), measures=[measure], workers=1)
            assert len(out) > 0
            assert out["maturing"].eq(expected).all(), (period, expected)
    finally:
        st.close()


def test_the_extract_is_the_tables_whichever_measures_run(tmp_path, framework):
    """Serious sexual offences whose latest prosecution-possible outcome is two months before
    the latest outcome of any crime: run alone (its lagged pass then holds only its own
    numerator rows) it must still count maturity from the table's extract."""
    from storegen import build_store

    path = tmp_path / "late.duckdb"
    data = build_store(path, start="2016-04", end="2020-03", seed=11)
    sso = "('Rape offences', 'Other sexual offences')"
    st = open_store(str(path))
    st.duck.execute(
        "UPDATE crimes SET outcome_type = 14 "
        f"WHERE offence_group IN {sso} AND outcome_at >= TIMESTAMP '2020-02-01'"
    )
    st.close()
    crimes = data["crimes"]
    extract = int(month(crimes.outcome_at).max())
    assert label(extract) == "2020-03"
    measure = "outcome_rate_serious_sexual"
    months = framework.measure(measure).maturing_in(framework.settings)
    st = open_store(str(path), read_only=True)
    try:
        # The first period that is still maturing from the table's extract, but not from the
        # latest prosecution-possible serious sexual offence outcome (January 2020).
        period = label(extract - months + 1)
        alone = compute(st, framework, period, measures=[measure], workers=1)
        both = compute(
            st, framework, period, measures=[measure, "outcome_rate_all_crime"], workers=1
        )
    finally:
        st.close()
    assert alone["maturing"].all()
    together = both[both["measure_id"] == measure].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.reset_index(drop=True), together)
