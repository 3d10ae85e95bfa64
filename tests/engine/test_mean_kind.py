"""The ``mean`` measure kind (per record: sum / records; per day: the mean of daily totals),
recomputed independently with plain pandas from the workload_snapshots rows the store is built
from. Nothing here calls the engine's own helpers (windows, cube, rollup, kinds) to get an
expected value: the windows and benchmark spans are written out by hand below, from
docs/framework.md. The SPC icon is checked against ``forcestat.stats.spc`` fed with the monthly
means computed here, and against a unit built to signal on its means but not on its totals.

The store is hand-built and small (one row per unit per day, 2015-04 to 2019-08) with:
- IMU: no snapshot in July 2019 (a missing month) nor on 10-14 August 2019 (missing days), and
  some snapshots with ``awaiting_closure`` missing (those records have no value);
- CID North: every day;
- CID South: no snapshot after May 2019 (no records in the latest 1- and 3-month windows);
- Cold case: three snapshots in August 2019 only (no records in any benchmark);
- Steady: a flat series whose last month (half its days) doubles: its monthly mean jumps while
  its monthly total does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

# At import, as the other engine tests do: later, "conftest" may name another folder's module.
from conftest import PERIOD

FORCE = "Cambridgeshire"  # the packaged geography's sole force (the table has no district)
START, END = "2015-04-01", "2019-08-31"
UNITS = ["CID North", "CID South", "Cold case", "IMU", "Steady"]
WINDOWS = ["12m", "3m", "1m", "fytd"]
COMPARATORS = ["previous_year", "year_end", "long_term"]

# Month spans (first, last inclusive) of each window and its benchmarks, by hand:
# previous_year = the same months a year earlier; year_end = the last April-March year that
# ends before the window starts; long_term = the 36 months before the window starts.
SPANS = {
    "2019-08": {
        "12m": {
            "current": ("2018-09", "2019-08"),
            "previous_year": ("2017-09", "2018-08"),
            "year_end": ("2017-04", "2018-03"),
            "long_term": ("2015-09", "2018-08"),
        },
        "3m": {
            "current": ("2019-06", "2019-08"),
            "previous_year": ("2018-06", "2018-08"),
            "year_end": ("2018-04", "2019-03"),
            "long_term": ("2016-06", "2019-05"),
        },
        "1m": {
            "current": ("2019-08", "2019-08"),
            "previous_year": ("2018-08", "2018-08"),
            "year_end": ("2018-04", "2019-03"),
            "long_term": ("2016-08", "2019-07"),
        },
        "fytd": {
            "current": ("2019-04", "2019-08"),
            "previous_year": ("2018-04", "2018-08"),
            "year_end": ("2018-04", "2019-03"),
            "long_term": ("2016-04", "2019-03"),
        },
    },
    "2019-07": {
        "12m": {
            "current": ("2018-08", "2019-07"),
            "previous_year": ("2017-08", "2018-07"),
            "year_end": ("2017-04", "2018-03"),
            "long_term": ("2015-08", "2018-07"),
        },
        "3m": {
            "current": ("2019-05", "2019-07"),
            "previous_year": ("2018-05", "2018-07"),
            "year_end": ("2018-04", "2019-03"),
            "long_term": ("2016-05", "2019-04"),
        },
        "1m": {
            "current": ("2019-07", "2019-07"),
            "previous_year": ("2018-07", "2018-07"),
            "year_end": ("2018-04", "2019-03"),
            "long_term": ("2016-07", "2019-06"),
        },
        "fytd": {
            "current": ("2019-04", "2019-07"),
            "previous_year": ("2018-04", "2018-07"),
            "year_end": ("2018-04", "2019-03"),
            "long_term": ("2016-04", "2019-03"),
        },
    },
}
PERIODS = list(SPANS)

MEASURE = """
[[measures]]
id = "{id}"
title = "{id}"
theme = "t"
phrase = "{id}"
kind = "mean"
per = "{per}"
polarity = "{polarity}"
table = "workload_snapshots"
value = "{value}"
{extra}
"""
BACKLOG = "awaiting_qa + awaiting_closure"  # missing when either part is missing
# id -> (per, value, filter or None, breakdowns); all lower_is_better.
MEASURES = {
    "backlog_rec": ("record", BACKLOG, None, ["unit"]),
    "backlog_day": ("day", BACKLOG, None, ["unit"]),
    "imu_rec": ("record", BACKLOG, "IMU", []),
    "imu_day": ("day", BACKLOG, "IMU", []),
}


def framework_toml(measures: dict = MEASURES, polarity: str = "lower_is_better") -> str:
    text = "[settings]\nfinancial_year_start = 4\nlong_term_months = 36\n"
    text += '[[themes]]\nid = "t"\ntitle = "T"\n'
    for mid, (per, value, unit, breakdowns) in measures.items():
        extra = f"breakdowns = {breakdowns!r}".replace("'", '"')
        if unit is not None:
            extra += f"\nfilter = \"unit = '{unit}'\""
        text += MEASURE.format(id=mid, per=per, value=value, polarity=polarity, extra=extra)
    return text


# -- the store --------------------------------------------------------------------------------


def snapshots() -> pd.DataFrame:
    rng = np.random.default_rng(20190831)
    days = pd.date_range(START, END, freq="D")
    out = []
    for unit, base in (("IMU", 300), ("CID North", 900), ("CID South", 800)):
        d = days
        if unit == "IMU":
            july = (d >= "2019-07-01") & (d <= "2019-07-31")
            gap = (d >= "2019-08-10") & (d <= "2019-08-14")
            d = d[~july & ~gap]
        if unit == "CID South":
            d = d[d <= "2019-05-31"]
        level = base + np.cumsum(rng.normal(0, 5, d.size))
        closure = pd.array(np.maximum(0, level * 0.1).astype("int64"), dtype="Int64")
        if unit == "IMU":
            closure[::17] = pd.NA  # a record without a value
        out.append(
            pd.DataFrame(
                {
                    "snapshot_date": d,
                    "unit": unit,
                    "awaiting_qa": pd.array(np.maximum(0, level * 0.2).astype("int64")),
                    "awaiting_closure": closure,
                    "live_investigations": pd.array(np.maximum(0, level).astype("int64")),
                }
            )
        )
    cold = pd.to_datetime(["2019-08-05", "2019-08-06", "2019-08-07"])
    out.append(
        pd.DataFrame(
            {
                "snapshot_date": cold,
                "unit": "Cold case",
                "awaiting_qa": [4, 9, 2],
                "awaiting_closure": [1, 0, 3],
                "live_investigations": [12, 15, 11],
            }
        )
    )
    # Steady: about 100 a day; in August 2019 200 a day on its first 15 days only, so that the
    # month's total (15 x 200) is an ordinary month's (30 x 100) while its mean doubles.
    steady = days[(days < "2019-08-01") | (days <= "2019-08-15")]
    level = np.where(steady >= "2019-08-01", 200, 100 + rng.integers(-10, 11, steady.size))
    out.append(
        pd.DataFrame(
            {
                "snapshot_date": steady,
                "unit": "Steady",
                "awaiting_qa": level,
                "awaiting_closure": 0,
                "live_investigations": level * 3,
            }
        )
    )
    df = pd.concat(out, ignore_index=True)
    for c in ("awaiting_qa", "awaiting_closure", "live_investigations"):
        df[c] = df[c].astype("Int64")
    return df


@pytest.fixture(scope="module")
def snaps() -> pd.DataFrame:
    return snapshots()


@pytest.fixture(scope="module")
def workload_store(tmp_path_factory, snaps) -> str:
    from forcestat.store.store import open_store

    path = str(tmp_path_factory.mktemp("mean_kind") / "workload.duckdb")
    st = open_store(path)
    try:
        con = st.duck
        con.register("_src", snaps)
        con.execute(
            "INSERT INTO workload_snapshots (snapshot_date, unit, awaiting_qa, "
            "awaiting_closure, live_investigations) SELECT CAST(snapshot_date AS DATE), unit, "
            "awaiting_qa, awaiting_closure, live_investigations FROM _src"
        )
        con.unregister("_src")
    finally:
        st.close()
    return path


def run(workload_store: str, toml: str | None, period: str | None, **kw) -> pd.DataFrame:
    from forcestat.engine import compute
    from forcestat.framework import load_framework, loads_framework
    from forcestat.store.store import open_store

    fw = load_framework() if toml is None else loads_framework(toml)
    st = open_store(workload_store, read_only=True)
    try:
        return compute(st, fw, period, workers=1, **kw)
    finally:
        st.close()


@pytest.fixture(scope="module")
def results(workload_store) -> dict[str, pd.DataFrame]:
    return {p: run(workload_store, framework_toml(), p) for p in PERIODS}


@pytest.fixture(scope="module")
def default_results(workload_store) -> pd.DataFrame:
    """The default framework's mean measures (IMU backlog, live workload) on this store."""
    return run(workload_store, None, "2019-08", measures=["imu_backlog", "live_workload"])


# -- the independent calculation --------------------------------------------------------------


def values(snaps: pd.DataFrame, value: str, unit: str | None) -> pd.DataFrame:
    """(day, month, unit, v) of the records a measure reads: its filter, and a value."""
    df = snaps if unit is None else snaps[snaps.unit == unit]
    if value == BACKLOG:
        v = df.awaiting_qa + df.awaiting_closure  # <NA> if either is missing
    elif value == "coalesce(awaiting_qa, 0) + coalesce(awaiting_closure, 0)":
        v = df.awaiting_qa.fillna(0) + df.awaiting_closure.fillna(0)
    elif value == "coalesce(live_investigations, 0)":
        v = df.live_investigations.fillna(0)
    else:
        raise AssertionError(value)
    out = pd.DataFrame(
        {
            "day": df.snapshot_date,
            "month": df.snapshot_date.dt.to_period("M"),
            "unit": df.unit,
            "v": v.astype("Float64"),
        }
    )
    return out[out.v.notna()].astype({"v": float})


def in_months(df: pd.DataFrame, span: tuple[str, str]) -> pd.DataFrame:
    return df[(df.month >= pd.Period(span[0], "M")) & (df.month <= pd.Period(span[1], "M"))]


def mean_of(df: pd.DataFrame, per: str) -> tuple[float | None, float, float]:
    """(mean, numerator, n): over records, or over the days' totals."""
    x = df.groupby("day").v.sum() if per == "day" else df.v
    if len(x) == 0:
        return None, 0.0, 0.0
    return float(x.mean()), float(x.sum()), float(len(x))


def monthly_means(df: pd.DataFrame, per: str, first: str, last: str) -> np.ndarray:
    months = pd.period_range(first, last, freq="M")
    out = []
    for mo in months:
        mean, _, _ = mean_of(df[df.month == mo], per)
        out.append(np.nan if mean is None else mean)
    return np.array(out)


def pick(res: pd.DataFrame, measure: str, window: str, breakdown: str, unit: str) -> pd.Series:
    r = res[
        (res.measure_id == measure)
        & (res.window == window)
        & (res.breakdown == breakdown)
        & (res.unit == unit)
    ]
    assert len(r) == 1, (measure, window, breakdown, unit, len(r))
    return r.iloc[0]


def check_row(r: pd.Series, df: pd.DataFrame, per: str, spans: dict) -> None:
    """One measure_results row against the pandas means of its window and benchmarks."""
    value, total, n = mean_of(in_months(df, spans["current"]), per)
    assert r.n == n
    assert r.denominator == n
    assert r.numerator == pytest.approx(total, rel=1e-12)
    if value is None:
        assert pd.isna(r.value)
    else:
        assert r.value == pytest.approx(value, rel=1e-12)
    assert pd.isna(r.ci_low) and pd.isna(r.ci_high)  # no interval for means yet
    for c in COMPARATORS:
        bench, _, _ = mean_of(in_months(df, spans[c]), per)
        if value is None or bench is None:
            assert pd.isna(r[f"{c}_value"]) and pd.isna(r[f"{c}_diff"]), c
        else:
            assert r[f"{c}_value"] == pytest.approx(bench, rel=1e-12), c
            assert r[f"{c}_diff"] == pytest.approx(value - bench, rel=1e-9, abs=1e-9), c
        # No test for means yet: no p-value, and the verdict says so.
        assert pd.isna(r[f"{c}_p"]), c
        assert r[f"{c}_verdict"] == "insufficient_data", c


CASES = [(mid, "force", FORCE) for mid in MEASURES] + [
    (mid, "unit", u) for mid in ("backlog_rec", "backlog_day") for u in UNITS
]


# -- values, n and benchmarks -----------------------------------------------------------------


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize(("measure", "breakdown", "unit"), CASES)
def test_mean_and_benchmarks_match_pandas(results, snaps, period, window, measure, breakdown, unit):
    per, value, filt, _ = MEASURES[measure]
    df = values(snaps, value, filt)
    if breakdown == "unit":
        df = df[df.unit == unit]
    r = pick(results[period], measure, window, breakdown, unit)
    assert r.period_end == period
    check_row(r, df, per, SPANS[period][window])


def test_every_unit_and_window_has_a_row(results):
    for period, res in results.items():
        assert set(res.period_end) == {period}
        assert not res.duplicated(["measure_id", "breakdown", "unit", "window"]).any()
        for mid in MEASURES:
            got = res[res.measure_id == mid]
            expected = {("force", FORCE)}
            if MEASURES[mid][3]:
                expected |= {("unit", u) for u in UNITS}
            assert set(zip(got.breakdown, got.unit, strict=True)) == expected, (period, mid)
            for key, g in got.groupby(["breakdown", "unit"]):
                assert sorted(g.window) == sorted(WINDOWS), (period, mid, key)


def test_per_record_and_per_day_differ_where_they_should(results):
    """A unit has one snapshot a day, so its mean over records and over days agree where every
    record has a value; the force's daily total adds up the units, the record mean does not."""
    res = results["2019-08"]
    for u in ("CID North", "CID South", "Steady"):
        for w in WINDOWS:
            a = pick(res, "backlog_rec", w, "unit", u)
            b = pick(res, "backlog_day", w, "unit", u)
            assert (pd.isna(a.value) and pd.isna(b.value)) or a.value == pytest.approx(b.value)
    rec = pick(res, "backlog_rec", "12m", "force", FORCE)
    day = pick(res, "backlog_day", "12m", "force", FORCE)
    assert day.value > 2.5 * rec.value  # about three units a day
    assert day.n == 365 and rec.n > 3 * 300


def test_missing_days_and_month_are_left_out_not_zero(results, snaps):
    """IMU has no snapshot on 10-14 August 2019 and none in July 2019: a daily mean averages
    the days it has, a month without any has no value (not a mean of zero)."""
    aug = snaps[(snaps.unit == "IMU") & (snaps.snapshot_date.dt.strftime("%Y-%m") == "2019-08")]
    no_value = int(aug.awaiting_closure.isna().sum())
    assert len(aug) == 31 - 5 and no_value > 0
    for mid in ("imu_day", "imu_rec"):
        # Records without a value are no record (and, here, no day) of the mean.
        r = pick(results["2019-08"], mid, "1m", "force", FORCE)
        assert r.n == 31 - 5 - no_value
        values_ = (aug.awaiting_qa + aug.awaiting_closure).dropna()
        assert r.value == pytest.approx(values_.astype(float).mean(), rel=1e-12)
        r = pick(results["2019-07"], mid, "1m", "force", FORCE)
        assert pd.isna(r.value) and r.n == 0
        assert all(pd.isna(r[f"{c}_value"]) for c in COMPARATORS)
        # May to July 2019: the days of May and June only.
        imu = values(snaps, BACKLOG, "IMU")
        months = in_months(imu, ("2019-05", "2019-07"))
        assert set(months.month.astype(str)) == {"2019-05", "2019-06"}
        r3 = pick(results["2019-07"], mid, "3m", "force", FORCE)
        assert r3.n == len(months)  # one snapshot a day: days = records
        assert r3.value == pytest.approx(months.v.mean(), rel=1e-12)


def test_a_unit_without_records_in_the_window(results):
    """CID South has no snapshot after May 2019: no value, n = 0 and no benchmark values in the
    1- and 3-month windows, while its 12-month and year-to-date windows still have a mean."""
    res = results["2019-08"]
    for mid in ("backlog_rec", "backlog_day"):
        for w in ("1m", "3m"):
            r = pick(res, mid, w, "unit", "CID South")
            assert pd.isna(r.value) and r.n == 0 and r.numerator == 0
            for c in COMPARATORS:
                assert pd.isna(r[f"{c}_value"]) and pd.isna(r[f"{c}_diff"])
                assert r[f"{c}_verdict"] == "insufficient_data"
            assert r.spc_signal == "none"  # the latest month has no mean
        for w in ("12m", "fytd"):
            assert pick(res, mid, w, "unit", "CID South").value > 0
        # Cold case: a mean in August 2019, but nothing in any benchmark window.
        r = pick(res, mid, "1m", "unit", "Cold case")
        assert r.value == pytest.approx((5 + 9 + 5) / 3) and r.n == 3
        assert all(pd.isna(r[f"{c}_value"]) for c in COMPARATORS)


def test_base_flags(results):
    """A mean per record is based on its records (small base below caution_base = 100,
    suppressed for 1-4 records); a daily mean's n counts days, which no base rule reads."""
    res = results["2019-08"]
    rec = res[res.measure_id == "backlog_rec"]
    assert (rec.small_base == (rec.n < 100)).all()
    assert (rec.suppressed == ((rec.n >= 1) & (rec.n < 5))).all()
    assert pick(res, "backlog_rec", "1m", "unit", "Cold case").suppressed
    day = res[res.measure_id == "backlog_day"]
    assert not day.small_base.any() and not day.suppressed.any()


def test_the_default_frameworks_mean_measures(default_results, snaps):
    """imu_backlog and live_workload as packaged: daily means of values that count a missing
    part as 0."""
    from forcestat.framework import load_framework

    fw = {m.id: m for m in load_framework().measures}
    imu, live = fw["imu_backlog"], fw["live_workload"]
    assert (imu.kind, imu.per, live.kind, live.per) == ("mean", "day", "mean", "day")
    units = sorted(set(snaps.unit))
    cases = (
        [("imu_backlog", "force", FORCE, "IMU")]
        + [("live_workload", "force", FORCE, None)]
        + [("live_workload", "unit", u, None) for u in units]
    )
    for mid, breakdown, unit, filt in cases:
        df = values(snaps, fw[mid].value, filt)
        if breakdown == "unit":
            df = df[df.unit == unit]
        for w in WINDOWS:
            r = pick(default_results, mid, w, breakdown, unit)
            check_row(r, df, "day", SPANS["2019-08"][w])
    # Coalesce: the IMU snapshots whose closure count is missing are days of the mean (qa
    # alone), where the measure without coalesce leaves them out.
    imu = snaps[(snaps.unit == "IMU") & (snaps.snapshot_date >= "2018-09-01")]
    r = pick(default_results, "imu_backlog", "12m", "force", FORCE)
    assert r.n == len(imu) > len(imu.dropna())


# -- SPC ----------------------------------------------------------------------------------------


def _icon(y: np.ndarray, polarity: str = "lower_is_better") -> str:
    """The variation icon of the latest month, from ``forcestat.stats.spc`` with the default
    rules (no rebase, limits from all points, 7-point runs, 13 points before limits are final,
    an AR(1) forecast where the baseline is significantly autocorrelated: mean measures)."""
    from forcestat.stats.spc import spc_icon, xmr

    if not np.isfinite(y).any():
        return "none"
    chart = xmr(
        y,
        baseline=None,
        rebase_at=[],
        shift_length=7,
        trend_length=7,
        min_points=13,
        autocorrelation="ar1",
    )
    return spc_icon(chart, polarity)


@pytest.mark.parametrize("period", PERIODS)
@pytest.mark.parametrize(("measure", "breakdown", "unit"), CASES)
def test_spc_signal_is_the_chart_of_monthly_means(results, snaps, period, measure, breakdown, unit):
    per, value, filt, _ = MEASURES[measure]
    df = values(snaps, value, filt)
    if breakdown == "unit":
        df = df[df.unit == unit]
    y = monthly_means(df, per, START[:7], period)  # from the table's first month
    rows = results[period]
    rows = rows[(rows.measure_id == measure) & (rows.breakdown == breakdown) & (rows.unit == unit)]
    assert set(rows.spc_signal) == {_icon(y)}
    assert len(set(rows.trend)) == 1
    assert set(rows.trend) <= {"upwards", "downwards", "halted_upwards", "halted_downwards", "none"}


@pytest.mark.parametrize("measure", ["backlog_rec", "backlog_day"])
def test_spc_reads_the_mean_not_the_total(results, snaps, measure):
    """Steady's August 2019 doubles its mean on half the days: the month's total is an ordinary
    month's, its mean far above every other month's. A lower-is-better measure flags concern."""
    steady = values(snaps, BACKLOG, None)
    steady = steady[steady.unit == "Steady"]
    totals = steady.groupby("month").v.sum()
    means = steady.groupby("month").v.mean()
    before = slice(None, pd.Period("2019-07", "M"))
    assert totals[before].min() <= totals[pd.Period("2019-08", "M")] <= totals[before].max()
    assert means[pd.Period("2019-08", "M")] > 1.5 * means[before].max()
    assert pick(results["2019-08"], measure, "1m", "unit", "Steady").spc_signal == "concern"
    assert pick(results["2019-07"], measure, "1m", "unit", "Steady").spc_signal == "common_cause"


def test_spc_polarity_of_a_mean(workload_store):
    """The same jump read for a higher-is-better mean is an improvement."""
    toml = framework_toml({"backlog_day": MEASURES["backlog_day"]}, "higher_is_better")
    res = run(workload_store, toml, "2019-08")
    assert pick(res, "backlog_day", "12m", "unit", "Steady").spc_signal == "improvement"


@pytest.mark.parametrize("measure", ["backlog_rec", "backlog_day"])
def test_monthly_series_are_the_monthly_means(workload_store, snaps, results, measure):
    """The series a report charts (``engine.series``) are the monthly means, with no value for
    a month without records, and their icon is the row's spc_signal."""
    from forcestat.engine.series import monthly_series
    from forcestat.framework import loads_framework
    from forcestat.store.store import open_store

    per, value, _, _ = MEASURES[measure]
    st = open_store(workload_store, read_only=True)
    try:
        series = monthly_series(
            st,
            loads_framework(framework_toml()),
            "2019-08",
            measures=[measure],
            breakdowns=["force", "unit"],
        )
    finally:
        st.close()
    df = values(snaps, value, None)
    for breakdown, unit in [("force", FORCE)] + [("unit", u) for u in UNITS]:
        s = series[(measure, breakdown, unit)]
        sel = df if breakdown == "force" else df[df.unit == unit]
        y = monthly_means(sel, per, START[:7], "2019-08")
        assert s.months[0] == "2015-04" and s.months[-1] == "2019-08"
        np.testing.assert_allclose(s.values, y, rtol=1e-12)  # nan where no records
        counts = sel.groupby("month").day.nunique() if per == "day" else sel.groupby("month").size()
        months = pd.period_range("2015-04", "2019-08", freq="M")
        np.testing.assert_array_equal(s.base, counts.reindex(months, fill_value=0).to_numpy())
        assert s.icon == pick(results["2019-08"], measure, "1m", breakdown, unit).spc_signal


# -- runs ---------------------------------------------------------------------------------------


def test_all_periods_agrees_with_one_period(workload_store, results):
    every = run(workload_store, framework_toml(), None, all_periods=True)
    keys = ["measure_id", "breakdown", "unit", "window"]
    for period in PERIODS:
        a = every[every.period_end == period].sort_values(keys).reset_index(drop=True)
        b = results[period].sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def test_default_period_is_the_last_month_of_data(workload_store):
    res = run(workload_store, framework_toml(), None)
    assert set(res.period_end) == {"2019-08"}


SOUTH = {
    "south_day": ("day", BACKLOG, "CID South", []),
    "south_rec": ("record", BACKLOG, "CID South", []),
}


def test_a_daily_mean_covers_its_tables_months_whatever_runs_with_it(workload_store, snaps):
    """CID South's snapshots end in May 2019; the table's in August 2019. The per-record mean
    of the same filter, or the per-day mean run with any other measure of the table, reports
    August 2019 (1m: no value); the per-day mean run alone reports nothing for August 2019 and
    defaults its period to May 2019."""
    toml = framework_toml(SOUTH)
    together = run(workload_store, toml, "2019-08")
    assert set(together.measure_id) == {"south_day", "south_rec"}
    alone_rec = run(workload_store, toml, "2019-08", measures=["south_rec"])
    pd.testing.assert_frame_equal(
        alone_rec.reset_index(drop=True),
        together[together.measure_id == "south_rec"].reset_index(drop=True),
    )
    alone_day = run(workload_store, toml, "2019-08", measures=["south_day"])
    pd.testing.assert_frame_equal(
        alone_day.reset_index(drop=True),
        together[together.measure_id == "south_day"].reset_index(drop=True),
    )
    assert set(run(workload_store, toml, None, measures=["south_day"]).period_end) == {"2019-08"}


# -- a table with districts: units that merge several districts ----------------------------------

# The shared engine store (conftest.py, storegen.py) at its PERIOD 2020-03: crimes by district,
# some without a CCHI value. Its 12-month window is the financial year to date.
CRIME_SPANS = {
    "12m": {
        "current": ("2019-04", "2020-03"),
        "previous_year": ("2018-04", "2019-03"),
        "year_end": ("2018-04", "2019-03"),
        "long_term": ("2016-04", "2019-03"),
    },
    "3m": {
        "current": ("2020-01", "2020-03"),
        "previous_year": ("2019-01", "2019-03"),
        "year_end": ("2018-04", "2019-03"),
        "long_term": ("2017-01", "2019-12"),
    },
    "1m": {
        "current": ("2020-03", "2020-03"),
        "previous_year": ("2019-03", "2019-03"),
        "year_end": ("2018-04", "2019-03"),
        "long_term": ("2017-03", "2020-02"),
    },
}
CRIME_SPANS["fytd"] = CRIME_SPANS["12m"]
HARM = """
[[themes]]
id = "t"
title = "T"
[[measures]]
id = "harm_per_day"
title = "Crime harm a day"
theme = "t"
phrase = "crime harm a day"
kind = "mean"
per = "day"
polarity = "lower_is_better"
table = "crimes"
value = "cchi_days"
[[measures]]
id = "harm_per_crime"
title = "Crime harm a crime"
theme = "t"
phrase = "crime harm a crime"
kind = "mean"
polarity = "lower_is_better"
table = "crimes"
value = "cchi_days"
"""


@pytest.fixture(scope="module")
def harm(store_path) -> pd.DataFrame:
    assert PERIOD == "2020-03"
    return run(store_path, HARM, PERIOD)


@pytest.mark.parametrize("window", WINDOWS)
@pytest.mark.parametrize(
    ("breakdown", "unit"),
    [
        ("force", FORCE),
        ("area", "North"),
        ("area", "South"),
        ("district", "Fenland"),
        ("district", "No location"),
    ],
)
@pytest.mark.parametrize(
    ("measure", "per"), [("harm_per_day", "day"), ("harm_per_crime", "record")]
)
def test_means_over_districts(harm, raw, measure, per, breakdown, unit, window):
    """A force's (an area's) day is the total over all its districts' records that day, not one
    day per district; records without a value are left out."""
    from forcestat.store.store import reference_rows

    area = {r["district"]: r["area"] for r in reference_rows("geography")}
    c = raw["crimes"]
    if breakdown == "area":
        c = c[c.district.map(area) == unit]
    elif breakdown == "district":
        c = c[c.district == unit]
    df = pd.DataFrame(
        {
            "day": c.recorded_at.dt.normalize(),
            "month": c.recorded_at.dt.to_period("M"),
            "v": c.cchi_days.astype(float),
        }
    ).dropna(subset=["v"])
    r = pick(harm, measure, window, breakdown, unit)
    check_row(r, df, per, CRIME_SPANS[window])
    if per == "day" and breakdown != "district":
        # Several districts share most days: one day per district would be many more.
        cur = in_months(df, CRIME_SPANS[window]["current"])
        assert r.n == cur.day.nunique() < cur.groupby(c.district.loc[cur.index]).day.nunique().sum()
