"""The engine's rows do not depend on how it runs: in this process or in forked workers (which
get only the cube columns each measure reads, while the backend aggregates the next table), or
on which other measures run with a measure."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from conftest import PERIOD
from forcestat.engine import compute
from forcestat.store.store import open_store

# A cohort outcome rate (lagged passes), medians, a daily mean and counts by a cross breakdown,
# from five tables.
MIXED = [
    "outcome_rate_serious_sexual",
    "response_time_immediate",
    "calls_101_wait",
    "imu_backlog",
    "civil_orders",
]


@pytest.fixture(scope="module")
def store(store_path):
    st = open_store(store_path, read_only=True)
    yield st
    st.close()


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) > 0
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def _identical(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) > 0
    pd.testing.assert_frame_equal(
        a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True
    )


def test_full_framework_in_process_and_in_workers(store, framework):
    serial = compute(store, framework, PERIOD, workers=1)
    forked = compute(store, framework, PERIOD, workers=2)
    assert serial["measure_id"].nunique() == len(framework.measures)
    _same(serial, forked)


def test_every_period_in_process_and_in_workers(store, framework):
    fw = copy.deepcopy(framework)
    fw.measure("civil_orders").breakdowns = ["district*order_type"]
    serial = compute(store, fw, all_periods=True, measures=MIXED, workers=1)
    forked = compute(store, fw, all_periods=True, measures=MIXED, workers=2)
    assert set(serial["measure_id"]) == set(MIXED)
    assert serial["period_end"].nunique() > 24
    assert "district*order_type" in set(serial["breakdown"])
    _same(serial, forked)


@pytest.mark.parametrize("measure", ["outcome_rate_serious_sexual", "outcome_rate_all_crime"])
def test_a_measure_alone_gives_its_rows_in_the_full_run(store, framework, results, measure):
    """The cohort rates' "as at" benchmarks and maturing flag follow the table's extract month,
    not the rows the measures run with happen to count."""
    alone = compute(store, framework, PERIOD, measures=[measure], workers=1)
    _same(alone, results[results["measure_id"] == measure])


def test_runs_in_two_threads_do_not_share_state(store_path, framework, results):
    """Each run carries its own measures and passes (no module-level state in the parent)."""
    from concurrent.futures import ThreadPoolExecutor

    picks = (["recorded_crime", "outcome_rate_all_crime"], ["response_time_immediate"])

    def run(measures):
        st = open_store(store_path, read_only=True)
        try:
            return compute(st, framework, PERIOD, measures=measures, workers=1)
        finally:
            st.close()

    with ThreadPoolExecutor(2) as pool:
        outs = list(pool.map(run, picks * 3))
    for measures, out in zip(picks * 3, outs, strict=True):
        _same(out, results[results["measure_id"].isin(measures)])


def test_an_error_names_the_measure(store, framework, monkeypatch):
    from forcestat.engine import parallel

    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(parallel, "roll", broken)
    with pytest.raises(ZeroDivisionError) as err:
        compute(store, framework, PERIOD, measures=["calls_999"], workers=1)
    assert "while evaluating measure 'calls_999'" in "".join(err.value.__notes__)


def test_every_period_equals_each_period_run_alone(store, framework):
    """An all-periods run shares work between periods (a reading whose chart ends at the same
    month, a benchmark's span) and runs its workers un-niced: each period's rows must be those
    of the period computed on its own. The last periods are those where a cohort rate's chart
    stops short of the period (``ProportionStats.chart_stop``), so their readings are shared."""
    every = compute(store, framework, all_periods=True, measures=MIXED, workers=2)
    last = max(every["period_end"])
    picks = sorted(set(every["period_end"]))
    picks = [picks[12], *picks[-4:]]
    assert last in picks
    for period in picks:
        alone = compute(store, framework, period, measures=MIXED, workers=1)
        _identical(every[every["period_end"] == period], alone)


def test_a_units_medians_together_equal_one_window_at_a_time(store, framework, monkeypatch):
    """``MedianStats.points`` works out every window of a unit at once: the rows are those of
    ``point`` called window by window."""
    from forcestat.engine.kinds import KindStats, MedianStats

    medians = ["response_time_immediate", "calls_101_wait"]
    together = compute(store, framework, all_periods=True, measures=medians, workers=1)
    monkeypatch.setattr(MedianStats, "points", KindStats.points)
    one_by_one = compute(store, framework, all_periods=True, measures=medians, workers=1)
    assert together["value"].notna().sum() > 1000
    _identical(together, one_by_one)
