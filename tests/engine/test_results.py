"""measure_results recomputed independently: pandas straight from the canonical tables the store
was built from, and scipy/statsmodels for intervals and p-values. Nothing here calls the engine's
or forcestat.stats' code to get an expected value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from conftest import PERIOD
from forcestat.engine import COLUMNS
from forcestat.store.store import reference_rows

P = 2020 * 12 + 2  # 2020-03
WINDOWS = {"12m": (P - 11, P), "3m": (P - 2, P), "1m": (P, P), "fytd": (P - 11, P)}
PREVIOUS = {w: (a - 12, b - 12) for w, (a, b) in WINDOWS.items()}
LONG_TERM = {w: (a - 36, a - 1) for w, (a, b) in WINDOWS.items()}
YEAR_END = (P - 23, P - 12)  # April 2018 - March 2019
# Count benchmarks of sub-annual windows: the window's months in earlier years (at March, the
# year-end's are the previous year's; the long term's the three years before).
MATCHED_LONG_TERM = {
    w: ([(a - 36, b - 36), (a - 24, b - 24), (a - 12, b - 12)], 3.0)
    if b - a + 1 < 12
    else ([LONG_TERM[w]], 3.0)
    for w, (a, b) in WINDOWS.items()
}
MATCHED_YEAR_END = {w: PREVIOUS[w] if b - a + 1 < 12 else YEAR_END for w, (a, b) in WINDOWS.items()}
GEO = {r["district"]: r for r in reference_rows("geography")}

DESIGN_COLUMNS = (
    ["measure_id", "breakdown", "unit", "period_end", "window"]
    + ["value", "numerator", "denominator", "n", "ci_low", "ci_high"]
    + [
        f"{c}_{f}"
        for c in ("previous_year", "year_end", "long_term")
        for f in ("value", "diff", "p", "verdict")
    ]
    + ["spc_signal", "trend", "small_base", "suppressed"]
)


def month(ts: pd.Series) -> pd.Series:
    return ts.dt.year * 12 + ts.dt.month - 1


def within(ts: pd.Series, span: tuple[int, int]) -> pd.Series:
    m = month(ts)
    return (m >= span[0]) & (m <= span[1])


def row(results, measure, window="12m", breakdown="force", unit="Cambridgeshire"):
    r = results[
        (results.measure_id == measure)
        & (results.window == window)
        & (results.breakdown == breakdown)
        & (results.unit == unit)
    ]
    assert len(r) == 1, (measure, window, breakdown, unit, len(r))
    return r.iloc[0]


def unit_filter(df: pd.DataFrame, breakdown: str, unit: str) -> pd.Series:
    if breakdown == "force":
        return pd.Series(True, index=df.index)
    if breakdown == "area":
        return df["district"].map(lambda d: GEO.get(d, {}).get("area")) == unit
    return df[breakdown] == unit


# -- the contract ----------------------------------------------------------------------------


def test_columns_are_design_section_2(results):
    assert list(results.columns[: len(DESIGN_COLUMNS)]) == DESIGN_COLUMNS
    # Declared extras: the maturing flag for cohort outcome rates, the previous_period
    # comparator (quarter against quarter, for measures with views), the dispersion the tests
    # used and the assurance icon.
    extra = [f"previous_period_{f}" for f in ("value", "diff", "p", "verdict")]
    want = DESIGN_COLUMNS + ["maturing"] + extra + ["dispersion", "spc_assurance"]
    assert list(results.columns) == list(COLUMNS) == want


def test_codes_are_in_the_contract(results):
    verdicts = {"significantly_higher", "significantly_lower", "comparable", "insufficient_data"}
    for c in ("previous_year", "year_end", "long_term"):
        assert set(results[f"{c}_verdict"]) <= verdicts
    assert set(results.spc_signal) <= {"improvement", "concern", "neutral", "common_cause", "none"}
    assert set(results.spc_assurance) <= {
        "consistent_pass",
        "consistent_fail",
        "inconsistent",
        "none",
    }
    assert set(results.trend) <= {
        "upwards",
        "downwards",
        "halted_downwards",
        "halted_upwards",
        "none",
    }
    assert set(results.window) == {"12m", "3m", "1m", "fytd"}
    assert set(results.period_end) == {PERIOD}
    keys = ["measure_id", "breakdown", "unit", "period_end", "window"]
    assert not results.duplicated(keys).any()


def test_every_default_measure_has_rows(results, framework):
    assert set(results.measure_id) == {m.id for m in framework.measures}


# -- counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("window", ["12m", "3m", "1m", "fytd"])
@pytest.mark.parametrize(
    ("breakdown", "unit"),
    [
        ("force", "Cambridgeshire"),
        ("area", "North"),
        ("district", "Fenland"),
        ("district", "No location"),
        ("offence_group", "Residential burglary"),
    ],
)
def test_recorded_crime_counts(results, raw, window, breakdown, unit):
    c = raw["crimes"]
    c = c[unit_filter(c, breakdown, unit)]
    r = row(results, "recorded_crime", window, breakdown, unit)
    k = within(c.recorded_at, WINDOWS[window]).sum()
    assert r.value == k and r.n == k
    # Garwood exact interval from the chi-square distribution.
    assert r.ci_low == pytest.approx(stats.chi2.ppf(0.025, 2 * k) / 2)
    assert r.ci_high == pytest.approx(stats.chi2.ppf(0.975, 2 * k + 2) / 2)
    prev = within(c.recorded_at, PREVIOUS[window]).sum()
    assert r.previous_year_value == prev and r.previous_year_diff == k - prev
    # Counts of windows shorter than a year: the same calendar months of earlier years.
    lt_spans, windows = MATCHED_LONG_TERM[window]
    lt = sum(within(c.recorded_at, sp).sum() for sp in lt_spans)
    assert r.long_term_value == pytest.approx(lt / windows)
    ye = within(c.recorded_at, MATCHED_YEAR_END[window]).sum()
    assert r.year_end_value == pytest.approx(ye)


def _centre(d: np.ndarray) -> np.ndarray:
    """Deviations from the mean of each block of 12 (rows of d: series)."""
    blocks = d.reshape(*d.shape[:-1], -1, 12)
    return (blocks - blocks.mean(axis=-1, keepdims=True)).reshape(d.shape)


def _bracket(r: np.ndarray) -> np.ndarray:
    total = (r * r).sum(axis=-1)
    for lag in range(1, 12):
        total = total + 2 * (1 - lag / 12) * (r[..., lag:] * r[..., :-lag]).sum(axis=-1)
    return total


def _centre_all(d: np.ndarray) -> np.ndarray:
    """Deviations from the mean of all the differences (proportions, docs/methods.md 2.3)."""
    return d - d.mean(axis=-1, keepdims=True)


def _null_bracket(centre, draws: int = 200_000) -> tuple[float, float]:
    """Mean and Satterthwaite df (2 mean^2 / var) of the Bartlett-weighted (lag <= 11) sum of
    products of centred, standardised year-on-year differences of 24 independent months, by
    simulation (docs/methods.md)."""
    rng = np.random.default_rng(99)
    y = rng.normal(size=(draws, 36))
    q = _bracket(centre((y[:, 12:] - y[:, :-12]) / np.sqrt(2.0)))
    return float(q.mean()), float(2 * q.mean() ** 2 / q.var())


NULL_BRACKET, PHI_DF = _null_bracket(_centre)
NULL_BRACKET_ALL, PHI_DF_ALL = _null_bracket(_centre_all)


def _phi(s: np.ndarray) -> float:
    """Dispersion of 24 standardised year-on-year differences: centred per block of 12,
    Bartlett weights up to lag 11, over the null expectation."""
    return float(_bracket(_centre(s))) / NULL_BRACKET


def _phi_all(s: np.ndarray) -> float:
    """As ``_phi``, centred on the mean of all the differences (proportions)."""
    return float(_bracket(_centre_all(s))) / NULL_BRACKET_ALL


# The dispersion is estimated on the baseline: the 36 months before the 12 months to P.
BASELINE = range(P - 47, P - 11)


def _count_phi(monthly: np.ndarray) -> float:
    """monthly: the 36 baseline months."""
    cur, prev = monthly[12:], monthly[:-12]
    return _phi((cur - prev) / np.sqrt(np.mean(cur + prev)))


def _proportion_phi(x: np.ndarray, n: np.ndarray, x_before: np.ndarray | None = None) -> float:
    xc, nc, xp, np_ = x[12:], n[12:], x[:-12], n[:-12]
    if x_before is not None:
        xp = x_before[12:]
    p = (xc.sum() + xp.sum()) / (nc.sum() + np_.sum())
    return _phi_all((xc / nc - xp / np_) / np.sqrt(p * (1 - p) * (1 / nc + 1 / np_)))


def _scaled(phi: float) -> bool:
    return phi > 1


def _to_t(p: float, df: float = PHI_DF) -> float:
    return 2 * stats.t.sf(stats.norm.isf(p / 2), df)


@pytest.mark.parametrize("unit", ["Cambridgeshire", "Peterborough"])
def test_count_p_values_are_the_e_test(results, raw, unit):
    """E-test (scipy) on the counts, divided by the year-on-year dispersion when that is
    above 1, z then referred to t."""
    c = raw["crimes"]
    if unit != "Cambridgeshire":
        c = c[c.district == unit]
    breakdown = "force" if unit == "Cambridgeshire" else "district"
    m = month(c.recorded_at)
    monthly = np.array([(m == i).sum() for i in BASELINE], dtype=float)
    phi = _count_phi(monthly)
    r = row(results, "recorded_crime", "12m", breakdown, unit)
    k = within(c.recorded_at, WINDOWS["12m"]).sum()
    for cmp, span, t2 in (
        ("previous_year", PREVIOUS["12m"], 1),
        ("long_term", LONG_TERM["12m"], 3),
    ):
        kb = within(c.recorded_at, span).sum()
        if not _scaled(phi):
            expected = stats.poisson_means_test(int(k), 1, int(kb), t2).pvalue
            assert r[f"{cmp}_p"] == pytest.approx(expected, rel=1e-6, abs=1e-12)
        else:
            # Quasi-Poisson: the counts scaled by 1/phi behave as Poisson counts. scipy's E-test
            # needs integers, so check the bracket of the rounded-down and rounded-up counts.
            lo = stats.poisson_means_test(int(k / phi), 1, int(np.ceil(kb / phi)), t2).pvalue
            hi = stats.poisson_means_test(int(np.ceil(k / phi)), 1, int(kb / phi), t2).pvalue
            lo, hi = sorted((_to_t(lo), _to_t(hi)))
            assert lo - 0.02 <= r[f"{cmp}_p"] <= hi + 0.02


def test_rate_per_1000_uses_population(results, raw):
    c = raw["crimes"]
    for d in ("Fenland", "Cambridge"):
        r = row(results, "crime_rate_per_1000", "12m", "district", d)
        k = (within(c.recorded_at, WINDOWS["12m"]) & (c.district == d)).sum()
        pop = float(GEO[d]["population"])
        assert r.value == pytest.approx(k / pop * 1000)
        assert r.denominator == pop
    r = row(results, "crime_rate_per_1000", "12m", "area", "South")
    pop = sum(float(g["population"]) for g in GEO.values() if g["area"] == "South")
    k = (
        within(c.recorded_at, WINDOWS["12m"])
        & c.district.map(lambda d: GEO.get(d, {}).get("area") == "South")
    ).sum()
    assert r.value == pytest.approx(k / pop * 1000)


def test_counts_by_outcome_date_and_flags(results, raw):
    c = raw["crimes"]
    da = c[c.domestic_abuse.astype(bool)]
    r = row(results, "domestic_abuse_crimes", "3m", "area", "South")
    assert (
        r.value == (within(da.recorded_at, WINDOWS["3m"]) & unit_filter(da, "area", "South")).sum()
    )
    ch = c[(c.outcome_type == 1).fillna(False)]
    r = row(results, "charges", "12m")
    assert r.value == within(ch.outcome_at, WINDOWS["12m"]).sum()
    m = raw["missing_persons"]
    r = row(results, "missing_children_in_care", "12m")
    sel = (m.age < 18) & m.in_care.fillna(False).astype(bool)
    assert r.value == within(m.reported_at[sel], WINDOWS["12m"]).sum()


# -- proportions ------------------------------------------------------------------------------


def _wilson(x: float, n: float) -> tuple[float, float]:
    lo, hi = proportion_confint(x, n, alpha=0.05, method="wilson")
    return 100 * lo, 100 * hi


@pytest.mark.parametrize("window", ["12m", "3m", "1m"])
@pytest.mark.parametrize(
    ("breakdown", "unit"),
    [("force", "Cambridgeshire"), ("area", "North"), ("district", "Cambridge")],
)
def test_outcome_rate_cohort_basis(results, raw, window, breakdown, unit):
    """Cohort outcome rate; its benchmarks "as at": a benchmark month counts the outcomes
    reached by as many months after it as the current window's month at the same position has
    had by the extract (P), so outcomes still to come do not read as a fall."""
    c = raw["crimes"]
    c = c[unit_filter(c, breakdown, unit)]
    pp = c.outcome_type.isin([1, 2, 3, 4, 6, 7, 8]).fillna(False).astype(bool)
    rec, out = month(c.recorded_at), month(c.outcome_at)
    cur = within(c.recorded_at, WINDOWS[window])
    x, n = int((cur & pp).sum()), int(cur.sum())
    r = row(results, "outcome_rate_all_crime", window, breakdown, unit)
    assert (r.numerator, r.denominator) == (x, n, n)[:2] and r.n == n
    assert r.value == pytest.approx(100 * x / n)
    assert (r.ci_low, r.ci_high) == pytest.approx(_wilson(x, n))
    a, b = WINDOWS[window]
    length = b - a + 1
    # The extract's month: the latest month an outcome is known in (a crime reported in March
    # may be recorded in April, but no outcome is known after the extract).
    last = int(month(raw["crimes"].outcome_at).max())

    def as_at(span):
        inside = within(c.recorded_at, span)
        position = (rec - span[0]) % length
        allowed = last - (a + position)  # months the matching current month has had
        matured = pp & ((out - rec).clip(lower=0).fillna(0) <= allowed)
        return int((inside & matured).sum()), int(inside.sum())

    x2, n2 = as_at(PREVIOUS[window])
    assert r.previous_year_value == pytest.approx(100 * x2 / n2)
    # The dispersion of the monthly rates: month m against month m - 12 as at the same lag.
    months = np.array(BASELINE)
    mx = np.array([int((pp & (rec == t)).sum()) for t in months], dtype=float)
    mn = np.array([int((rec == t).sum()) for t in months], dtype=float)
    before = np.array(
        [int((pp & (rec == t - 12) & ((out - rec).fillna(0) <= last - t)).sum()) for t in months],
        dtype=float,
    )
    phi = _proportion_phi(mx, mn, before)
    f = phi if _scaled(phi) else 1.0
    if n >= 50 and n2 >= 50:
        _, p = proportions_ztest([x / f, x2 / f], [n / f, n2 / f])
        expected = _to_t(p, PHI_DF_ALL) if f > 1 else p
        # phi's null expectation here is simulated (0.1% error); the engine's is exact.
        assert r.previous_year_p == pytest.approx(expected, rel=1e-9 if f == 1 else 3e-3)
    else:
        assert np.isnan(r.previous_year_p) and r.previous_year_verdict == "insufficient_data"
    x3, n3 = as_at(LONG_TERM[window])
    assert r.long_term_value == pytest.approx(100 * x3 / n3)
    # Cohort windows this close to the end of the data are still maturing.
    assert r.maturing


def test_weighted_satisfaction_uses_kish_effective_n(results, raw):
    s = raw["survey_responses"]
    s = s[(s.survey == "victim_satisfaction") & s.overall.notna()]
    cur = s[within(s.interviewed_at, WINDOWS["12m"])]
    w = cur.weight.fillna(1.0).to_numpy()
    good = (cur.overall <= 3).to_numpy()
    p = w[good].sum() / w.sum()
    n_eff = w.sum() ** 2 / (w**2).sum()
    r = row(results, "victim_satisfaction_overall")
    assert r.value == pytest.approx(100 * p)
    assert r.n == pytest.approx(n_eff)
    assert (r.ci_low, r.ci_high) == pytest.approx(_wilson(p * n_eff, n_eff))
    prev = s[within(s.interviewed_at, PREVIOUS["12m"])]
    w2 = prev.weight.fillna(1.0).to_numpy()
    p2 = w2[(prev.overall <= 3).to_numpy()].sum() / w2.sum()
    n2 = w2.sum() ** 2 / (w2**2).sum()
    # Dispersion of the monthly rates on the effective-sample scale (Kish's n per month).
    mi = month(s.interviewed_at)
    mx, mn = [], []
    for t in BASELINE:
        sel = s[mi == t]
        wt = sel.weight.fillna(1.0).to_numpy()
        ne = wt.sum() ** 2 / (wt**2).sum()
        mx.append(wt[(sel.overall <= 3).to_numpy()].sum() / wt.sum() * ne)
        mn.append(ne)
    phi = _proportion_phi(np.array(mx), np.array(mn))
    f = phi if _scaled(phi) else 1.0
    _, pval = proportions_ztest([p * n_eff / f, p2 * n2 / f], [n_eff / f, n2 / f])
    expected = _to_t(pval, PHI_DF_ALL) if f > 1 else pval
    assert r.previous_year_p == pytest.approx(expected, rel=1e-9 if f == 1 else 3e-3)


def test_satisfaction_by_offence_group_and_small_bases(results, raw):
    s = raw["survey_responses"]
    s = s[
        (s.survey == "victim_satisfaction")
        & s.follow_up.notna()
        & (s.offence_group == "hate crime")
    ]
    for window in ("12m", "1m"):
        cur = s[within(s.interviewed_at, WINDOWS[window])]
        w = cur.weight.fillna(1.0)
        n_eff = w.sum() ** 2 / (w**2).sum()
        r = row(results, "victim_satisfaction_follow_up", window, "offence_group", "hate crime")
        assert r.n == pytest.approx(n_eff)
        assert r.small_base == (n_eff < 100)
        if n_eff < 50:
            assert all(
                r[f"{c}_verdict"] == "insufficient_data"
                for c in ("previous_year", "year_end", "long_term")
            )


def test_linked_referral_rate(results, raw):
    c = raw["crimes"]
    hub = set(raw["referrals"].query("service == 'victim_witness_hub'").crime_id)
    vb = c[c.victim_based.astype(bool) & within(c.recorded_at, WINDOWS["3m"])]
    r = row(results, "referral_rate_victim_witness_hub", "3m")
    assert r.denominator == len(vb)
    assert r.numerator == vb.crime_id.isin(hub).sum()


def test_victims_code_compliance(results, raw):
    v = raw["victim_contacts"]
    cur = v[within(v.due_at, WINDOWS["12m"]) & (v.contact_type == "update")]
    ok = cur.made_at.notna() & (cur.made_at <= cur.due_at)
    r = row(results, "victims_code_compliance", "12m", "contact_type", "update")
    assert (r.numerator, r.denominator) == (ok.sum(), len(cur))


def test_abandonment_and_timeliness(results, raw):
    k = raw["calls"]
    k = k[(k.channel == "101") & within(k.received_at, WINDOWS["1m"])]
    r = row(results, "calls_101_abandonment", "1m")
    assert (r.numerator, r.denominator) == (k.abandoned.sum(), len(k))
    c = raw["crimes"]
    cur = c[within(c.recorded_at, WINDOWS["12m"])]
    hours = (cur.recorded_at - cur.reported_at).dt.total_seconds() / 3600
    r = row(results, "crime_recording_timeliness", "12m")
    assert (r.numerator, r.denominator) == ((hours <= 24).sum(), len(cur))


# -- medians ----------------------------------------------------------------------------------


def _median_ci(sorted_values: np.ndarray) -> tuple[float, float]:
    """Order-statistic interval: ranks from Binomial(n, 1/2) (Conover 3.2), via scipy."""
    n = sorted_values.size
    r = int(stats.binom.ppf(0.025, n, 0.5))
    if stats.binom.cdf(r, n, 0.5) > 0.025:
        r -= 1
    r += 1
    return float(sorted_values[r - 1]), float(sorted_values[n - r])


def grouped_median(binned: np.ndarray, width: float) -> float:
    """The median of values binned down to ``width``, read within its bin as if the bin's
    values were spread evenly across it: L + (n/2 - F) / f x width (independent of the engine:
    from the sorted bins)."""
    b = np.sort(np.asarray(binned, dtype=float))
    half = b.size / 2.0
    edge = b[int(np.ceil(half)) - 1]  # the bin holding the n/2-th value
    below = np.count_nonzero(b < edge)
    inside = np.count_nonzero(b == edge)
    return float(edge + (half - below) / inside * width)


@pytest.mark.parametrize("window", ["12m", "3m", "1m"])
@pytest.mark.parametrize(
    ("breakdown", "unit"),
    [("force", "Cambridgeshire"), ("district", "Peterborough"), ("incident_type", "domestic")],
)
def test_exact_median_response_times(results, raw, window, breakdown, unit):
    i = raw["incidents"]
    i = i[(i.grade == "prompt") & i.first_arrival_at.notna()]
    i = i[unit_filter(i, breakdown, unit)]
    minutes = np.floor((i.first_arrival_at - i.created_at).dt.total_seconds() / 60)
    cur = np.sort(minutes[within(i.created_at, WINDOWS[window])].to_numpy())
    r = row(results, "response_time_prompt", window, breakdown, unit)
    # Minutes binned down to whole minutes: the median is read within its bin.
    assert r.value == pytest.approx(grouped_median(cur, 1.0), rel=1e-12)
    assert r.n == cur.size
    if cur.size >= 6:
        assert (r.ci_low, r.ci_high) == _median_ci(cur)
    prev = minutes[within(i.created_at, PREVIOUS[window])].to_numpy()
    assert r.previous_year_value == pytest.approx(grouped_median(prev, 1.0), rel=1e-12)
    want = grouped_median(cur, 1.0) - grouped_median(prev, 1.0)
    assert r.previous_year_diff == pytest.approx(want, rel=1e-9, abs=1e-9)
    if cur.size >= 50 and prev.size >= 50:
        _, p, _, _ = stats.median_test(cur, prev)
        assert r.previous_year_p == pytest.approx(p, rel=1e-9)


def test_rape_investigation_median_days(results, raw):
    c = raw["crimes"]
    c = c[(c.offence_group == "Rape offences") & c.outcome_at.notna()]
    days = np.floor((c.outcome_at - c.recorded_at).dt.total_seconds() / 86400)
    r = row(results, "rape_investigation_days", "12m")
    cur = days[within(c.outcome_at, WINDOWS["12m"])].to_numpy()
    assert r.value == pytest.approx(grouped_median(cur, 1.0), rel=1e-12)


# -- means ------------------------------------------------------------------------------------


def test_daily_mean_workload(results, raw):
    w = raw["workload_snapshots"]
    d = pd.to_datetime(w.snapshot_date)
    imu = w[(w.unit == "IMU") & within(d, WINDOWS["3m"])]
    r = row(results, "imu_backlog", "3m")
    assert r.value == pytest.approx((imu.awaiting_qa + imu.awaiting_closure).mean())
    # Live workload: the force's daily total (all units) averaged over days.
    cur = w[within(d, WINDOWS["12m"])]
    daily = cur.groupby("snapshot_date").live_investigations.sum()
    assert row(results, "live_workload", "12m").value == pytest.approx(daily.mean())
    cid = cur[cur.unit == "CID North"].live_investigations.mean()
    assert row(results, "live_workload", "12m", "unit", "CID North").value == pytest.approx(cid)


# -- SPC and flags ----------------------------------------------------------------------------


def test_spc_signal_reads_the_monthly_series(results, raw, framework):
    """The monthly series the chart is drawn from is the independently counted one."""
    from forcestat.stats.spc import spc_icon, xmr

    c = raw["crimes"]
    m = month(c.recorded_at)
    first = int(m.min())
    monthly = np.array([(m == i).sum() for i in range(first, P + 1)], dtype=float)
    chart = xmr(monthly, shift_length=7, trend_length=7, min_points=13)
    assert row(results, "recorded_crime").spc_signal == spc_icon(chart, "neutral")


@pytest.mark.parametrize(
    ("measure", "maturity", "groups"),
    [
        ("outcome_rate_all_crime", 0, None),
        ("outcome_rate_serious_sexual", 9, ["Rape offences", "Other sexual offences"]),
    ],
)
def test_cohort_rate_chart_counts_every_month_at_one_maturity(
    store_path, raw, framework, measure, maturity, groups
):
    """A cohort rate's monthly chart: each month's crimes with a positive outcome within L
    months of recording over the month's crimes (pandas, not the engine). The chart ends
    ``chart_maturity`` months before the extract (the latest outcome month) and L is what its
    last month has had: 0 for all crime (to the extract), 9 for serious sexual offences."""
    from forcestat.engine.series import monthly_series
    from forcestat.store.store import open_store

    st = open_store(store_path, read_only=True)
    try:
        s = monthly_series(st, framework, PERIOD, measures=[measure])
    finally:
        st.close()
    ser = s[(measure, "force", "Cambridgeshire")]
    c = raw["crimes"]
    rec, out = month(c.recorded_at), month(c.outcome_at)
    extract, first = int(out.max()), int(rec.min())
    end = min(P, extract - maturity)
    lag = extract - end
    assert ser.outcome_lag == lag == max(maturity, extract - P)
    assert ser.months[-1] == month_label_of(end)
    pp = c.outcome_type.isin([1, 2, 3, 4, 6, 7, 8]).fillna(False).astype(bool)
    inside = c.offence_group.isin(groups) if groups else pd.Series(True, index=c.index)
    expected = [
        100
        * (inside & pp & (rec == t) & ((out - rec).fillna(0) <= lag)).sum()
        / (inside & (rec == t)).sum()
        for t in range(first, end + 1)
    ]
    assert np.allclose(ser.values, expected)


def month_label_of(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def test_suppressed_small_counts(results):
    counts = results[results.measure_id.isin(["civil_orders", "missing_from_childrens_homes"])]
    small = counts.value.between(1, 4)
    assert (counts.suppressed == small).all()
    assert small.any()


def test_count_p_values_without_overdispersion_are_scipys_e_test(store_path, raw):
    """With ``overdispersion = false`` the p-value is exactly scipy's E-test on the counts."""
    from forcestat.engine import compute
    from forcestat.framework import default_path, loads_framework
    from forcestat.store.store import open_store

    text = default_path().read_text().replace("overdispersion = true", "overdispersion = false")
    fw = loads_framework(text)
    st = open_store(store_path, read_only=True)
    res = compute(st, fw, PERIOD, measures=["recorded_crime"])
    st.close()
    c = raw["crimes"]
    for window in ("12m", "3m", "1m"):
        r = row(res, "recorded_crime", window, "district", "Huntingdonshire")
        sel = c[c.district == "Huntingdonshire"]
        k = int(within(sel.recorded_at, WINDOWS[window]).sum())
        length = WINDOWS[window][1] - WINDOWS[window][0] + 1
        for cmp, spans, t2 in (
            ("previous_year", [PREVIOUS[window]], 1.0),
            ("long_term", *MATCHED_LONG_TERM[window]),
            ("year_end", [MATCHED_YEAR_END[window]], 1.0 if length < 12 else 12 / length),
        ):
            kb = int(sum(within(sel.recorded_at, sp).sum() for sp in spans))
            expected = stats.poisson_means_test(k, 1.0, kb, t2).pvalue
            assert r[f"{cmp}_p"] == pytest.approx(expected, rel=1e-6, abs=1e-12), cmp


def test_cross_breakdown(store_path, raw):
    """A measure may cross its breakdowns: district x offence group, area x own key."""
    from forcestat.engine import compute
    from forcestat.framework import loads_framework
    from forcestat.store.store import open_store

    fw = loads_framework(
        """
[[themes]]
id = "t"
title = "T"
[[measures]]
id = "crime_by_district_group"
title = "x"
theme = "t"
phrase = "x"
kind = "rate_per_1000"
polarity = "neutral"
table = "crimes"
breakdowns = ["district*offence_group", "area*domestic_abuse"]
windows = ["12m"]
"""
    )
    st = open_store(store_path, read_only=True)
    res = compute(st, fw, PERIOD)
    st.close()
    c = raw["crimes"]
    cur = c[within(c.recorded_at, WINDOWS["12m"])]
    cross = "district*offence_group"
    r = row(res, "crime_by_district_group", "12m", cross, "Fenland / Shoplifting")
    k = ((cur.district == "Fenland") & (cur.offence_group == "Shoplifting")).sum()
    assert r.numerator == k
    assert r.value == pytest.approx(k / float(GEO["Fenland"]["population"]) * 1000)
    r = row(res, "crime_by_district_group", "12m", "area*domestic_abuse", "South / true")
    south = unit_filter(cur, "area", "South")
    assert r.numerator == (south & cur.domestic_abuse.astype(bool)).sum()
    units = set(res[res.breakdown == "district*offence_group"].unit)
    pairs = cur[["district", "offence_group"]].drop_duplicates().values
    expected = {f"{d} / {g}" for d, g in pairs}
    assert expected <= units


def test_rolling_sums_agree_with_results_and_raw(store_path, raw, results, framework):
    from forcestat.engine.rolling import rolling_sums
    from forcestat.store.store import open_store

    st = open_store(store_path, read_only=True)
    roll = rolling_sums(st, framework, ["recorded_crime", "outcome_rate_all_crime"])
    st.close()
    at = roll[roll.period_end == PERIOD]
    for mid in ("recorded_crime", "outcome_rate_all_crime"):
        got = at[at.measure_id == mid].set_index(["breakdown", "unit"]).numerator
        want = results[(results.measure_id == mid) & (results.window == "12m")]
        want = want.set_index(["breakdown", "unit"]).numerator
        assert got.sort_index().to_dict() == pytest.approx(want.sort_index().to_dict())
    # Every month, not just the period: October 2018's 12 months of Cambridge crime.
    c = raw["crimes"]
    oct18 = 2018 * 12 + 9
    k = (within(c.recorded_at, (oct18 - 11, oct18)) & (c.district == "Cambridge")).sum()
    r = roll[
        (roll.measure_id == "recorded_crime")
        & (roll.unit == "Cambridge")
        & (roll.period_end == "2018-10")
    ]
    assert r.numerator.item() == k


def test_mean_per_record_and_parallel_workers_agree(store_path, raw):
    """A per-record mean (value, benchmark, difference; no test yet), and the same rows whether
    the statistics run in this process or in worker processes."""
    from forcestat.engine import compute
    from forcestat.framework import loads_framework
    from forcestat.store.store import open_store

    fw = loads_framework(
        """
[[themes]]
id = "t"
title = "T"
[[measures]]
id = "wait_mean"
title = "x"
theme = "t"
phrase = "x"
kind = "mean"
polarity = "lower_is_better"
table = "calls"
filter = "channel = '101'"
value = "wait_seconds"
[[measures]]
id = "crime"
title = "x"
theme = "t"
phrase = "x"
kind = "count"
polarity = "neutral"
table = "crimes"
breakdowns = ["offence_group"]
"""
    )
    st = open_store(store_path, read_only=True)
    serial = compute(st, fw, PERIOD, workers=1)
    forked = compute(st, fw, PERIOD, workers=2)
    st.close()
    pd.testing.assert_frame_equal(serial, forked)
    k = raw["calls"]
    k = k[(k.channel == "101") & within(k.received_at, WINDOWS["3m"])]
    r = row(serial, "wait_mean", "3m")
    assert r.value == pytest.approx(k.wait_seconds.mean()) and r.n == len(k)
    k0 = raw["calls"]
    prev = k0[(k0.channel == "101") & within(k0.received_at, PREVIOUS["3m"])]
    assert r.previous_year_value == pytest.approx(prev.wait_seconds.mean())
    assert r.previous_year_verdict == "insufficient_data"
