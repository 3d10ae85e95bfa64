"""The ``maturing`` flag of cohort outcome rates counts from the extract (the latest month an
outcome is known in), not from the latest recording month: a crime reported on 31 March and
recorded on 1 April does not make March's windows a month older."""

from __future__ import annotations

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
