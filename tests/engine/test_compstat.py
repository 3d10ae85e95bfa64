"""CompStat windows and counts (``engine.compstat``) and the supervisors' daily list
(``engine.victim_mi``) on the small hand-built store, against pandas counts of the same
records and dates worked by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forcestat.engine import compstat as cs
from forcestat.engine import victim_mi
from forcestat.engine.rollup import Geography
from forcestat.store.store import open_store


def test_windows_by_hand():
    w = {x.name: x for x in cs.windows(date(2020, 3, 31))}
    assert (w["7d"].start, w["7d"].previous_start, w["7d"].previous_end) == (
        date(2020, 3, 25),
        date(2019, 3, 25),
        date(2019, 3, 31),
    )
    assert (w["28d"].start, w["28d"].previous_start) == (date(2020, 3, 4), date(2019, 3, 4))
    assert (w["ytd"].start, w["ytd"].days, w["ytd"].previous_days) == (date(2020, 1, 1), 91, 90)
    assert (w["fytd"].start, w["fytd"].previous_start) == (date(2019, 4, 1), date(2018, 4, 1))
    assert (w["fytd"].days, w["fytd"].previous_days) == (366, 365)
    # 29 February: a year earlier is 28 February; the 28 days keep their length.
    leap = {x.name: x for x in cs.windows(date(2020, 2, 29))}
    assert leap["28d"].previous_end == date(2019, 2, 28)
    assert leap["28d"].days == leap["28d"].previous_days == 28
    # A financial year starting in January is the calendar year.
    jan = {x.name: x for x in cs.windows(date(2020, 3, 31), fy_start_month=1)}
    assert jan["fytd"].start == jan["ytd"].start == date(2020, 1, 1)


def test_end_dates():
    got = cs.end_dates(date(2020, 3, 31), days=7, months=3)
    assert got[-7:] == [date(2020, 3, 25) + timedelta(days=k) for k in range(7)]
    assert {date(2020, 2, 29), date(2020, 1, 31), date(2019, 12, 31)} <= set(got)


@pytest.fixture(scope="module")
def counts(store_path):
    st = open_store(store_path, read_only=True)
    try:
        geo = Geography.load(st.ibis)
        ends = [date(2020, 2, 29), date(2020, 3, 31)]
        out = cs.compstat(st.ibis, ends, geo.area, geo.sole_force or "All forces")
    finally:
        st.close()
    return out, geo


@pytest.mark.parametrize("source", cs.SOURCES, ids=lambda s: s.key)
def test_counts_equal_pandas(counts, raw, source):
    out, geo = counts
    df = raw[source.table]
    day = pd.to_datetime(df[source.date]).dt.date
    for end in (date(2020, 2, 29), date(2020, 3, 31)):
        for w in cs.windows(end):
            for which, (a, b) in (
                ("current", (w.start, w.end)),
                ("previous", (w.previous_start, w.previous_end)),
            ):
                sel = df[(day >= a) & (day <= b)]
                got = out[
                    (out["source"] == source.key)
                    & (out["end_date"] == end.isoformat())
                    & (out["window"] == w.name)
                ]
                force = got[got["breakdown"] == "force"].set_index("category")[which]
                want = sel[source.category].fillna(cs.NOT_RECORDED).value_counts()
                # Categories with none in one window but some in the other read 0.
                assert {k: v for k, v in force.drop(cs.ALL).items() if v} == want.to_dict()
                assert force[cs.ALL] == len(sel)
                if not source.by_district:
                    assert set(got["breakdown"]) == {"force"}
                    continue
                for d in geo.area:
                    unit = got[(got["breakdown"] == "district") & (got["unit"] == d)]
                    total = unit.set_index("category")[which].get(cs.ALL, 0)
                    assert total == int((sel["district"] == d).sum()), (end, w.name, d)
                for a_name in set(geo.area.values()):
                    ds = [d for d, a in geo.area.items() if a == a_name]
                    unit = got[(got["breakdown"] == "area") & (got["unit"] == a_name)]
                    total = unit.set_index("category")[which].get(cs.ALL, 0)
                    assert total == int(sel["district"].isin(ds).sum())


def test_tests_and_changes(counts):
    out, _ = counts
    rows = out.sample(40, random_state=1)
    for r in rows.itertuples():
        n = r.current + r.previous
        want = (
            1.0
            if n == 0
            else stats.binomtest(int(r.current), int(n), r.days / (r.days + r.previous_days)).pvalue
        )
        assert r.p == pytest.approx(want, rel=1e-9)
        if r.previous:
            assert r.pct_change == pytest.approx((r.current - r.previous) / r.previous * 100)
        else:
            assert np.isnan(r.pct_change)


def test_victim_mi_equals_pandas(store_path, raw):
    st = open_store(store_path, read_only=True)
    try:
        got, at = victim_mi.contacts_mi(st.ibis)
    finally:
        st.close()
    vc = raw["victim_contacts"].copy()
    made = pd.to_datetime(vc["made_at"])
    due = pd.to_datetime(vc["due_at"])
    assert at == made.max().to_pydatetime()
    open_ = made.isna() | (made > at)
    overdue = open_ & (due < at) & (due >= at - timedelta(days=victim_mi.HORIZON_DAYS))
    recent = (due >= at - timedelta(days=28)) & (due < at)
    vc = vc.assign(
        overdue=overdue,
        due_next_7d=open_ & (due >= at) & (due < at + timedelta(days=7)),
        due_28d=recent,
        on_time_28d=recent & made.notna() & (made <= due),
    )
    team_of = vc.get("supervisory_unit", victim_mi.UNKNOWN)
    vc = vc.assign(team=pd.Series(team_of, index=vc.index).fillna(victim_mi.UNKNOWN))
    team = vc.groupby("team")[["overdue", "due_next_7d", "due_28d", "on_time_28d"]]
    want = team.sum().astype(int)
    have = got.groupby("team")[["overdue", "due_next_7d", "due_28d", "on_time_28d"]].sum()
    have = have.reindex(want.index, fill_value=0)
    assert (have == want).all().all(), (have, want)
    assert want["overdue"].sum() > 0 and want["due_28d"].sum() > 0
    # The small store gives no officer: every contact is "Not recorded".
    assert set(got["officer"]) == {victim_mi.UNKNOWN}
    assert isinstance(at, datetime)


def test_no_comparison_with_a_year_before_the_data(store_path, raw):
    """End dates in the data's second year: a year-earlier window that starts before a
    source's first record has counts but no change and no test."""
    first = pd.Timestamp(raw["crimes"]["recorded_at"].min()).date()
    end = date(first.year + 1, first.month, 1) + timedelta(days=40)
    st = open_store(store_path, read_only=True)
    try:
        geo = Geography.load(st.ibis)
        out = cs.compstat(st.ibis, [end], geo.area, geo.sole_force or "All forces")
    finally:
        st.close()
    crimes = out[(out["source"] == "crime") & (out["breakdown"] == "force")]
    crimes = crimes[crimes["category"] == "All"]
    by = {w.name: w for w in cs.windows(end)}
    assert len(crimes) == 4
    for r in crimes.itertuples():
        early = by[r.window].previous_start < first
        assert np.isnan(r.p) == early and np.isnan(r.pct_change) == early, r.window
    # 7 days a year before lie inside the data; the calendar year to date does not.
    assert not by["7d"].previous_start < first and by["ytd"].previous_start < first


def test_windows_end_on_the_last_day_every_source_reached(store_path, framework, tmp_path):
    """A calls extract that stops a fortnight before the crimes: CompStat's latest end date is
    the calls' last day, so no window counts days a source has not reached."""
    import shutil

    import duckdb

    from forcestat import pipeline

    path = tmp_path / "short-calls.duckdb"
    shutil.copy(store_path, path)
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM calls WHERE received_at >= ?", [datetime(2020, 3, 17)])
    calls_last = con.execute("SELECT max(received_at)::DATE FROM calls").fetchone()[0]
    crimes_last = con.execute("SELECT max(recorded_at)::DATE FROM crimes").fetchone()[0]
    con.close()
    assert calls_last < crimes_last
    st = open_store(str(path), read_only=True)
    try:
        rows, _ = pipeline._dashboard_rows(st, framework)
    finally:
        st.close()
    assert max(rows["served_compstat"]["end_date"]) == calls_last.isoformat()
