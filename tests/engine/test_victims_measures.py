"""The Victims measures that are not plain counts or rates, recomputed independently from the
store's raw rows with pandas: harm concentration (the share of crime harm borne by the top 5%
of victims and of suspects) and repeat victimisation (victims of another crime in the 365
days before). A small synthetic force (the package's generator) holds realistic repeats."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from forcestat.engine import compute
from forcestat.framework import load_framework
from forcestat.store.store import open_store

PERIOD = "2020-03"
MEASURES = (
    "harm_concentration_victims",
    "harm_concentration_suspects",
    "repeat_victimisation",
    "repeat_victimisation_da",
    "vcop_audit_compliance",
    "thrive_completion",
    "cracked_ineffective_trials",
    "charge_to_finalisation_days",
)
WINDOWS = {"12m": ("2019-04-01", "2020-04-01"), "3m": ("2020-01-01", "2020-04-01")}
PREVIOUS = {"12m": ("2018-04-01", "2019-04-01"), "3m": ("2019-01-01", "2019-04-01")}


@pytest.fixture(scope="module")
def victims_store(tmp_path_factory):
    from forcestat.synth.calendar import Period
    from forcestat.synth.force import demo_force
    from forcestat.synth.generate import StoreWriter, generate_force, source_label

    path = tmp_path_factory.mktemp("victims") / "v.duckdb"
    force = dataclasses.replace(demo_force(), annual_crimes=8_000.0)
    with StoreWriter(str(path), source_label(5, PERIOD, 3)) as writer:
        generate_force(force, Period.of(PERIOD, 3), seed=5, sink=writer.submit)
    return str(path)


@pytest.fixture(scope="module")
def rows(victims_store):
    st = open_store(victims_store, read_only=True)
    try:
        return compute(st, load_framework(), PERIOD, measures=MEASURES, workers=1)
    finally:
        st.close()


@pytest.fixture(scope="module")
def crimes(victims_store):
    st = open_store(victims_store, read_only=True)
    try:
        c = st.duck.execute("SELECT * FROM crimes").df()
        geo = st.duck.execute("SELECT district, area FROM geography").df()
    finally:
        st.close()
    return c.merge(geo, on="district", how="left")


def _row(rows, measure, window, breakdown="force", unit=None):
    r = rows[(rows.measure_id == measure) & (rows.window == window)]
    r = r[r.breakdown == breakdown]
    if unit is not None:
        r = r[r.unit == unit]
    assert len(r) == 1, (measure, window, breakdown, unit)
    return r.iloc[0]


def _top_share(harm: pd.Series) -> tuple[float, float, float, int]:
    h = harm[harm > 0].sort_values(ascending=False)
    k = max(1, math.ceil(0.05 * len(h)))
    return 100 * h.iloc[:k].sum() / h.sum(), h.iloc[:k].sum(), h.sum(), len(h)


def _in(df, span):
    return df[(df.recorded_at >= span[0]) & (df.recorded_at < span[1])]


@pytest.mark.parametrize("window", ["12m", "3m"])
@pytest.mark.parametrize(
    ("measure", "who", "people_only"),
    [
        ("harm_concentration_victims", "victim_id", True),
        ("harm_concentration_suspects", "suspect_id", False),
    ],
)
def test_harm_concentration_matches_pandas(rows, crimes, window, measure, who, people_only):
    c = crimes[crimes[who].notna() & crimes.cchi_days.notna()]
    if people_only:
        c = c[c.victim_based & (c.offence_group != "Shoplifting")]
    units = [("force", None, c)]
    units += [("area", a, c[c.area == a]) for a in ("North", "South")]
    units += [("district", d, c[c.district == d]) for d in ("Peterborough", "Fenland")]
    for breakdown, unit, sub in units:
        r = _row(rows, measure, window, breakdown, unit)
        share, top, total, n = _top_share(_in(sub, WINDOWS[window]).groupby(who).cchi_days.sum())
        assert r.value == pytest.approx(share, rel=1e-9)
        assert (r.numerator, r.denominator, r.n) == pytest.approx((top, total, n), rel=1e-9)
        assert r.ci_low < r.value < r.ci_high
        prev, *_ = _top_share(_in(sub, PREVIOUS[window]).groupby(who).cchi_days.sum())
        assert r.previous_year_value == pytest.approx(prev, rel=1e-9)


def test_harm_concentration_is_not_compared_with_a_longer_period(rows):
    r = _row(rows, "harm_concentration_victims", "12m")
    # 36 months concentrate harm more than 12: not comparable, so not compared.
    assert math.isnan(r.long_term_value) and r.long_term_verdict == "insufficient_data"
    assert not math.isnan(r.year_end_value)  # the year end is 12 months, like the window


def _repeat_flags(c: pd.DataFrame) -> pd.Series:
    """Per crime: its victim had another crime recorded 1 second to 365 days before."""
    v = c[c.victim_id.notna()][["crime_id", "victim_id", "recorded_at"]].copy()
    v["t"] = v.recorded_at.astype("datetime64[s]").astype("int64")
    v = v.sort_values("t")
    prev = pd.merge_asof(
        v,
        v[["victim_id", "t"]].rename(columns={"t": "t_prev"}).assign(t=lambda d: d.t_prev),
        on="t",
        by="victim_id",
        allow_exact_matches=False,
    )
    days = (prev.t - prev.t_prev) / 86400
    return pd.Series((days <= 365).to_numpy(), index=prev.crime_id.to_numpy())


@pytest.mark.parametrize("window", ["12m", "3m"])
def test_repeat_victimisation_matches_pandas(rows, crimes, window):
    flags = _repeat_flags(crimes)
    people = crimes[
        crimes.victim_based & crimes.victim_id.notna() & (crimes.offence_group != "Shoplifting")
    ]
    da = crimes[crimes.domestic_abuse & crimes.victim_id.notna()]
    for measure, base in (("repeat_victimisation", people), ("repeat_victimisation_da", da)):
        for breakdown, unit, sub in (
            ("force", None, base),
            ("area", "North", base[base.area == "North"]),
            ("district", "Cambridge", base[base.district == "Cambridge"]),
        ):
            cur = _in(sub, WINDOWS[window])
            r = _row(rows, measure, window, breakdown, unit)
            hits = int(flags.loc[cur.crime_id].sum())
            assert (r.numerator, r.denominator) == (hits, len(cur)), (measure, unit)
            prev = _in(sub, PREVIOUS[window])
            assert r.previous_year_value == pytest.approx(
                100 * flags.loc[prev.crime_id].mean(), rel=1e-9
            )


def test_the_synthetic_force_has_repeat_victims_and_a_power_few(rows):
    assert 12 < _row(rows, "repeat_victimisation", "12m").value < 25
    assert 35 < _row(rows, "repeat_victimisation_da", "12m").value < 55
    assert 30 < _row(rows, "harm_concentration_victims", "12m").value < 60


def test_new_tables_have_figures(rows):
    for m in (
        "vcop_audit_compliance",
        "thrive_completion",
        "cracked_ineffective_trials",
        "charge_to_finalisation_days",
    ):
        r = _row(rows, m, "12m")
        assert r.value is not None and np.isfinite(r.value) and r.n > 0, m
