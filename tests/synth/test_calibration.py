"""Calibration and storylines, measured independently with plain SQL on the demo force (seed 1,
five years to March 2020, as ``forcestat demo`` builds it). Each assertion is a figure of the
Board report or a storyline of docs/synthetic-data.md; a broken generator fails them."""

from __future__ import annotations

import math

import pytest

from forcestat.synth import calibration as cal

Y0 = "'2019-04-01' AND '2020-04-01'"  # 12 months to March 2020 (half-open below)
Y1 = "'2018-04-01' AND '2019-04-01'"
NORTH = ("Peterborough", "Fenland", "Huntingdonshire")
SOUTH = ("Cambridge", "South Cambridgeshire", "East Cambridgeshire")
POS = "outcome_type IN (1, 2, 3, 4, 6, 7, 8)"
SSO = "offence_group IN ('Rape offences', 'Other sexual offences')"


def win(col: str, y: str) -> str:
    lo, hi = y.split(" AND ")
    return f"({col} >= {lo} AND {col} < {hi})"


def z_counts(a: float, b: float) -> float:
    """Two Poisson counts (equal exposure): normal approximation."""
    return (a - b) / math.sqrt(a + b)


def z_props(x1: float, n1: float, x2: float, n2: float) -> float:
    p = (x1 + x2) / (n1 + n2)
    return (x1 / n1 - x2 / n2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))


def one(con, sql: str):
    return con.execute(sql).fetchone()


def years(con, table: str, col: str, where: str = "TRUE") -> tuple[int, int]:
    return one(
        con,
        f"SELECT count(*) FILTER ({win(col, Y0)}), count(*) FILTER ({win(col, Y1)}) "
        f"FROM {table} WHERE {where}",
    )


def in_list(names) -> str:
    return "(" + ", ".join(f"'{n}'" for n in names) + ")"


# -- recorded crime ---------------------------------------------------------------------------


def test_annual_recorded_crime_near_home_office(demo_db):
    y0, y1 = years(demo_db, "crimes", "recorded_at")
    assert abs(y0 / cal.ANNUAL_CRIMES - 1) < 0.05  # 68,220 in 2019/20
    assert abs(y1 / 64_505 - 1) < 0.05  # 64,505 in 2018/19
    assert z_counts(y0, y1) > 1.96


def test_district_shares_like_police_uk_2024(demo_db):
    rows = demo_db.execute(
        f"SELECT district, count(*) FROM crimes WHERE {win('recorded_at', Y0)} "
        "AND district <> 'No location' GROUP BY 1"
    ).fetchall()
    got = dict(rows)
    total, ref_total = sum(got.values()), sum(cal.DISTRICT_CRIME_COUNTS_2024.values())
    for d, n in cal.DISTRICT_CRIME_COUNTS_2024.items():
        assert abs(got[d] / total - n / ref_total) < 0.02, d


def test_crime_type_mix_like_police_uk(demo_db):
    rows = demo_db.execute(
        f"SELECT o.police_uk_crime_type, count(*) FROM crimes c JOIN offence_codes o "
        f"USING (offence_code) WHERE {win('c.recorded_at', Y0)} GROUP BY 1"
    ).fetchall()
    got = dict(rows)
    total, ref_total = sum(got.values()), sum(cal.POLICE_UK_TYPE_COUNTS.values())
    for t, n in cal.POLICE_UK_TYPE_COUNTS.items():
        assert abs(got[t] / total - n / ref_total) < 0.015, t


def test_recorded_crime_up_in_every_district_but_peterborough(demo_db):
    for d in NORTH + SOUTH:
        y0, y1 = years(demo_db, "crimes", "recorded_at", f"district = '{d}'")
        z = z_counts(y0, y1)
        if d == "Peterborough":
            assert abs(z) < 1.96, (d, y0, y1)
        else:
            assert z > 1.96, (d, y0, y1)
        if d in ("Cambridge", "East Cambridgeshire"):
            assert y0 / y1 - 1 >= 0.10, (d, y0, y1)  # double-digit growth
    n0, n1 = years(demo_db, "crimes", "recorded_at", f"district IN {in_list(NORTH)}")
    s0, s1 = years(demo_db, "crimes", "recorded_at", f"district IN {in_list(SOUTH)}")
    assert s0 / s1 > n0 / n1  # the increase was greater in South


def test_domestic_abuse_up_significantly_in_every_district(demo_db):
    for d in NORTH + SOUTH:
        y0, y1 = years(demo_db, "crimes", "recorded_at", f"domestic_abuse AND district = '{d}'")
        assert z_counts(y0, y1) > 1.96, (d, y0, y1)


def test_serious_sexual_offences(demo_db):
    def area(names):
        return years(demo_db, "crimes", "recorded_at", f"{SSO} AND district IN {in_list(names)}")

    f0, f1 = years(demo_db, "crimes", "recorded_at", SSO)
    assert z_counts(f0, f1) > 1.96  # force
    assert z_counts(*area(NORTH)) > 1.96  # North
    assert abs(z_counts(*area(SOUTH))) < 1.96  # South comparable
    r0, r1 = years(demo_db, "crimes", "recorded_at", "offence_group = 'Rape offences'")
    assert abs(z_counts(r0, r1)) < 1.96  # rapes stable
    adult = "victim_age_group NOT IN ('0-12', '13-15', '16-17')"
    a0, a1 = years(demo_db, "crimes", "recorded_at", f"{SSO} AND {adult}")
    assert a0 / f0 > a1 / f1  # adults a greater share


def test_child_sexual_abuse_and_exploitation(demo_db):
    for names in (NORTH, SOUTH):
        y0, y1 = years(
            demo_db,
            "crimes",
            "recorded_at",
            f"child_sexual_abuse AND district IN {in_list(names)}",
        )
        assert z_counts(y0, y1) > 1.96, names
    c0, c1 = years(demo_db, "crimes", "recorded_at", "child_sexual_abuse")
    e0, e1 = years(demo_db, "crimes", "recorded_at", "child_sexual_exploitation")
    assert e0 / c0 > 1 / 3 > e1 / c1
    bad = one(
        demo_db,
        "SELECT count(*) FROM crimes WHERE child_sexual_exploitation AND NOT child_sexual_abuse",
    )[0]
    assert bad == 0


def test_lockdown_fall_in_demand(demo_db):
    """Daily volumes in the last 9 days of March 2020 against the first 22."""
    for table, col in (
        ("crimes", "recorded_at"),
        ("incidents", "created_at"),
        ("calls", "received_at"),
        ("missing_persons", "reported_at"),
    ):
        before, after = one(
            demo_db,
            f"SELECT count(*) FILTER ({col} >= '2020-03-01' AND {col} < '2020-03-23') / 22, "
            f"count(*) FILTER ({col} >= '2020-03-23' AND {col} < '2020-04-01') / 9 "
            f"FROM {table}",
        )
        assert after < 0.9 * before, table


# -- outcomes --------------------------------------------------------------------------------


def test_outcome_mix_near_home_office(demo_db):
    n, charged, positive, closed_pos, still_open = one(
        demo_db,
        f"SELECT count(*) FILTER ({win('recorded_at', Y0)}), "
        f"count(*) FILTER (outcome_type = 1 AND {win('outcome_at', Y0)}), "
        f"count(*) FILTER ({POS} AND {win('recorded_at', Y0)}), "
        f"count(*) FILTER ({POS} AND {win('outcome_at', Y0)}), "
        f"count(*) FILTER (outcome_type IS NULL AND {win('recorded_at', Y0)}) FROM crimes",
    )
    assert 0.068 < charged / n < 0.088  # HO 2019/20 closed basis: 7.8%
    assert 0.100 < positive / n < 0.115  # Board report: 10.8% (cohort, as at April 2020)
    assert 0.105 < closed_pos / n < 0.120  # HO 2019/20 closed basis: 11.05%
    assert 0.05 < still_open / n < 0.25  # recent months still maturing
    last_month_open = one(
        demo_db,
        "SELECT avg((outcome_type IS NULL)::INT) FROM crimes WHERE recorded_at >= '2020-03-01'",
    )[0]
    assert last_month_open > 0.4


def test_outcome_delays(demo_db):
    med, rape = one(
        demo_db,
        "SELECT median(epoch(outcome_at - recorded_at) / 86400), "
        "avg(epoch(outcome_at - recorded_at) / 86400) FILTER (offence_group = 'Rape offences' "
        f"AND {win('outcome_at', Y0)}) FROM crimes",
    )
    assert 14 < med < 60  # most outcomes within one to three months
    assert 200 < rape < 290  # rape: around eight months


def _rate(con, where: str, y: str, area=None):
    extra = f" AND district IN {in_list(area)}" if area else ""
    x, n = one(
        con,
        f"SELECT count(*) FILTER ({POS}), count(*) FROM crimes WHERE {where} "
        f"AND {win('recorded_at', y)}{extra}",
    )
    return x, n


def test_burglary_dwelling_outcome_rate_rising(demo_db):
    bd = "offence_code IN ('28E', '28F', '29') AND NOT domestic_abuse"
    for area in (None, NORTH, SOUTH):
        assert z_props(*_rate(demo_db, bd, Y0, area), *_rate(demo_db, bd, Y1, area)) > 1.96


def test_domestic_abuse_outcome_rate_falling_then_halted(demo_db):
    assert (
        z_props(*_rate(demo_db, "domestic_abuse", Y0), *_rate(demo_db, "domestic_abuse", Y1))
        < -1.96
    )
    # Halted: the last seven (matured) months are no lower than the seven before them.
    recent = _monthly_da(demo_db, "'2019-08-01'", "'2020-02-01'")
    before = _monthly_da(demo_db, "'2019-01-01'", "'2019-08-01'")
    assert recent >= before - 0.005


def _monthly_da(con, lo: str, hi: str) -> float:
    return one(
        con,
        f"SELECT avg(({POS})::INT) FROM crimes WHERE domestic_abuse AND recorded_at >= {lo} "
        f"AND recorded_at < {hi}",
    )[0]


def test_all_crime_rate_north_above_south(demo_db):
    n_x, n_n = _rate(demo_db, "TRUE", Y0, NORTH)
    s_x, s_n = _rate(demo_db, "TRUE", Y0, SOUTH)
    assert n_x / n_n > s_x / s_n


def test_all_crime_rate_comparable_to_long_term_benchmark(demo_db):
    """12 months to March 2020 (as at April 2020) vs the 36 months before: within 0.35 points
    and not significantly different (the Board report: 'lower than, but comparable to')."""
    x0, n0 = one(
        demo_db,
        f"SELECT count(*) FILTER ({POS}), count(*) FROM crimes WHERE recorded_at >= '2019-04-01'",
    )
    x1, n1 = one(
        demo_db,
        f"SELECT count(*) FILTER ({POS}), count(*) FROM crimes WHERE "
        "recorded_at >= '2016-04-01' AND recorded_at < '2019-04-01'",
    )
    assert abs(x0 / n0 - x1 / n1) < 0.0035
    assert abs(z_props(x0, n0, x1, n1)) < 1.96


# -- surveys ---------------------------------------------------------------------------------

SAT = "survey = 'victim_satisfaction'"


def _sat(con, y: str, where: str = "TRUE", col: str = "overall"):
    return one(
        con,
        f"SELECT count(*) FILTER ({col} <= 3), count(*) FROM survey_responses "
        f"WHERE {SAT} AND {where} AND {win('interviewed_at', y)}",
    )


def test_victim_satisfaction(demo_db):
    x0, n0 = _sat(demo_db, Y0)
    x1, n1 = _sat(demo_db, Y1)
    assert 900 <= n0 <= 1050  # Board report: n = 971
    assert 0.74 <= x0 / n0 <= 0.80  # 77.2%
    assert abs(z_props(x0, n0, x1, n1)) < 1.96  # comparable to the year before
    aspects = {
        a: _sat(demo_db, Y0, col=a)
        for a in ("ease_of_contact", "actions_taken", "follow_up", "treatment")
    }
    rates = {a: x / n for a, (x, n) in aspects.items()}
    assert min(rates, key=rates.get) == "follow_up"
    da = _sat(demo_db, Y0, "offence_group = 'domestic abuse'")
    assert da[0] / da[1] > x0 / n0
    assert x0 / n0 < x1 / n1  # marginally lower than the year before
    for group, better in (("violent crime", False), ("burglary", True), ("hate crime", True)):
        g0 = _sat(demo_db, Y0, f"offence_group = '{group}'")
        g1 = _sat(demo_db, Y1, f"offence_group = '{group}'")
        assert (g0[0] / g0[1] > g1[0] / g1[1]) == better, group
    f0 = _sat(demo_db, Y0, "offence_group = 'violent crime'", "follow_up")
    f1 = _sat(demo_db, Y1, "offence_group = 'violent crime'", "follow_up")
    assert f0[0] / f0[1] < f1[0] / f1[1] - 0.05  # particularly for follow-up


def test_community_confidence(demo_db):
    def conf(y: str, where: str = "TRUE"):
        return one(
            demo_db,
            "SELECT count(*) FILTER (confidence <= 2), count(*) FROM survey_responses "
            f"WHERE survey = 'community_confidence' AND {where} AND {win('interviewed_at', y)}",
        )

    x0, n0 = conf(Y0)
    assert 800 <= n0 <= 960  # n = 879
    assert 0.52 <= x0 / n0 <= 0.60  # 56.4%
    x1, n1 = conf(Y1)
    assert x0 / n0 < x1 / n1  # lower than the year before
    fx, fn = conf(Y0, "district = 'Fenland'")
    assert fx / fn < 0.5 and 100 <= fn <= 170  # below 50% (n = 134)
    for d in NORTH:  # deteriorated
        dx0, dn0 = conf(Y0, f"district = '{d}'")
        dx1, dn1 = conf(Y1, f"district = '{d}'")
        assert dx0 / dn0 < dx1 / dn1, d
    for d in SOUTH:  # stable or improved
        dx0, dn0 = conf(Y0, f"district = '{d}'")
        dx1, dn1 = conf(Y1, f"district = '{d}'")
        assert dx0 / dn0 > dx1 / dn1 - 0.015, d


# -- demand ----------------------------------------------------------------------------------


def test_incident_grades_and_response(demo_db):
    rows = demo_db.execute(
        f"SELECT {win('created_at', Y0)} AS y0, avg((grade = 'immediate')::INT), "
        "avg((grade = 'prompt')::INT), "
        "median(epoch(first_arrival_at - created_at) / 60) FILTER (grade = 'immediate'), "
        "median(epoch(first_arrival_at - created_at) / 60) FILTER (grade = 'prompt') "
        f"FROM incidents WHERE {win('created_at', Y0)} OR {win('created_at', Y1)} GROUP BY 1"
    ).fetchall()
    by = {r[0]: r[1:] for r in rows}
    imm0, prm0, med_i0, med_p0 = by[True]
    imm1, prm1, med_i1, med_p1 = by[False]
    assert 0.15 <= imm1 <= 0.20 and imm0 > imm1  # grading shifted to immediate
    assert 0.30 <= prm0 <= 0.40 and prm0 < prm1
    assert 11 <= med_i0 <= 13 and abs(med_i0 - med_i1) < 0.5  # immediate stable
    assert 60 <= med_p1 < med_p0 <= 90  # prompt worsening
    dom, other = one(
        demo_db,
        "SELECT avg(resource_unavailable::INT) FILTER (incident_type = 'domestic'), "
        "avg(resource_unavailable::INT) FILTER (incident_type <> 'domestic') FROM incidents "
        "WHERE grade = 'prompt'",
    )
    assert dom > 1.5 * other
    linked = one(
        demo_db,
        "SELECT count(*) FROM incidents i JOIN crimes c USING (crime_id) "
        "WHERE i.created_at <= c.recorded_at",
    )[0]
    assert linked > 20_000


def test_calls(demo_db):
    rows = demo_db.execute(
        f"SELECT channel, {win('received_at', Y0)} AS y0, count(*), avg(abandoned::INT), "
        "avg(wait_seconds) FROM calls WHERE "
        f"{win('received_at', Y0)} OR {win('received_at', Y1)} GROUP BY 1, 2"
    ).fetchall()
    v = {(r[0], r[1]): r[2:] for r in rows}
    assert 100_000 < v["999", True][0] < 120_000 and v["999", True][0] > v["999", False][0]
    assert 280_000 < v["101", True][0] < 320_000 and v["101", True][0] < v["101", False][0]
    for ch in ("webchat", "online_report"):
        assert v[ch, True][0] / v[ch, False][0] - 1 >= 0.10  # double-digit growth
    assert v["101", True][1] > v["101", False][1]  # higher abandonment
    assert v["101", True][2] > v["101", False][2]  # longer waits
    total = {
        y: sum(v[ch, y][0] for ch in ("999", "101", "webchat", "online_report"))
        for y in (True, False)
    }
    assert total[True] < total[False]  # combined volume down


# -- victims ---------------------------------------------------------------------------------


def test_victims_code_compliance(demo_db):
    rows = demo_db.execute(
        "SELECT date_trunc('month', due_at) m, avg((made_at IS NOT NULL AND made_at <= due_at)"
        "::INT) FROM victim_contacts WHERE due_at >= '2015-07-01' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    rates = [r[1] for r in rows]
    assert all(0.65 <= r <= 0.88 for r in rates)
    assert max(rates) - min(rates) > 0.03  # fluctuates
    before, after = one(
        demo_db,
        "SELECT avg((made_at <= due_at)::INT) FILTER (due_at >= '2020-03-01' AND due_at < "
        "'2020-03-23'), avg((made_at <= due_at)::INT) FILTER (due_at >= '2020-03-23') "
        "FROM victim_contacts",
    )
    assert after > before  # improving after the lockdown


def test_victim_and_witness_hub_referral_rate(demo_db):
    def rate(lo: str, hi: str) -> float:
        refs = one(
            demo_db,
            "SELECT count(*) FROM referrals WHERE service = "
            f"'victim_witness_hub' AND referred_at >= '{lo}' AND "
            f"referred_at < '{hi}'",
        )[0]
        crimes = one(
            demo_db,
            f"SELECT count(*) FROM crimes WHERE victim_based AND "
            f"recorded_at >= '{lo}' AND recorded_at < '{hi}'",
        )[0]
        return refs / crimes

    q3, q4 = rate("2019-10-01", "2020-01-01"), rate("2020-01-01", "2020-04-01")
    assert abs(q3 - 0.208) < 0.01 and abs(q4 - 0.223) < 0.01 and q4 > q3


def test_da_alliance_pilot_and_civil_orders(demo_db):
    n_ref = one(
        demo_db,
        "SELECT count(*) FROM referrals WHERE service = 'da_alliance' AND "
        "district = 'Peterborough'",
    )[0]
    assert n_ref == 85
    granted = dict(
        demo_db.execute(
            "SELECT o.order_type, count(*) FROM civil_orders o JOIN referrals r "
            "USING (referral_id) WHERE r.service = 'da_alliance' AND o.granted GROUP BY 1"
        ).fetchall()
    )
    assert granted == {"NMO": 41, "occupation": 1, "child_arrangements": 1}
    first_spo = one(demo_db, "SELECT min(applied_at) FROM civil_orders WHERE order_type = 'SPO'")[0]
    assert str(first_spo) >= "2020-01-20"
    dvpo = one(
        demo_db,
        f"SELECT count(*) FROM civil_orders WHERE order_type = 'DVPO' AND {win('applied_at', Y0)}",
    )[0]
    assert dvpo > 50
    sarc = one(
        demo_db,
        "SELECT count(*) FROM referrals r JOIN crimes c USING (crime_id) "
        f"WHERE r.service = 'sarc' AND NOT ({SSO})",
    )[0]
    assert sarc == 0


def test_missing_persons(demo_db):
    c0, c1 = years(demo_db, "missing_persons", "reported_at", "age < 18")
    assert c0 > c1  # children trending upwards
    i0, i1 = years(demo_db, "missing_persons", "reported_at", "in_care")
    assert i0 < i1 and i0 / c0 < i1 / c1  # fewer and a smaller share in care
    h0, h1 = years(demo_db, "missing_persons", "reported_at", "from_childrens_home")
    assert h0 < h1  # children's homes down year on year ...
    recent, earlier = one(
        demo_db,
        "SELECT count(*) FILTER (reported_at >= '2020-01-01'), count(*) FILTER (reported_at >= "
        "'2019-10-01' AND reported_at < '2020-01-01') FROM missing_persons WHERE "
        "from_childrens_home",
    )
    assert recent > earlier  # ... but rising in recent months
    assert (
        one(
            demo_db,
            "SELECT count(*) FROM missing_persons WHERE from_childrens_home AND NOT in_care",
        )[0]
        == 0
    )


def test_imu_backlog_reduced_after_lockdown(demo_db):
    feb, end = one(
        demo_db,
        "SELECT avg(awaiting_qa + awaiting_closure) FILTER (snapshot_date >= '2020-02-01' AND "
        "snapshot_date < '2020-03-01'), avg(awaiting_qa + awaiting_closure) FILTER "
        "(snapshot_date >= '2020-03-28') FROM workload_snapshots WHERE unit = 'IMU'",
    )
    assert end < 0.75 * feb
    live_feb, live_end = one(
        demo_db,
        "SELECT avg(live_investigations) FILTER (snapshot_date >= '2020-02-01' AND "
        "snapshot_date < '2020-03-01'), avg(live_investigations) FILTER (snapshot_date >= "
        "'2020-03-28') FROM workload_snapshots WHERE unit = 'IMU'",
    )
    assert live_end < 0.95 * live_feb


# -- no injected change (false-alarm controls) -----------------------------------------------


@pytest.mark.parametrize(
    "table, col, where",
    [
        ("missing_persons", "reported_at", "age >= 18"),
        ("crimes", "recorded_at", "offence_group = 'Rape offences'"),
        ("incidents", "created_at", "incident_type = 'road_traffic'"),
    ],
)
def test_flat_series_show_no_significant_change(demo_db, table, col, where):
    y0, y1 = years(demo_db, table, col, where)
    assert abs(z_counts(y0, y1)) < 1.96, (y0, y1)


def test_flat_rates_show_no_significant_change(demo_db):
    a0 = one(
        demo_db,
        f"SELECT count(*) FILTER (abandoned), count(*) FROM calls WHERE "
        f"channel = '999' AND {win('received_at', Y0)}",
    )
    a1 = one(
        demo_db,
        f"SELECT count(*) FILTER (abandoned), count(*) FROM calls WHERE "
        f"channel = '999' AND {win('received_at', Y1)}",
    )
    assert abs(z_props(*a0, *a1)) < 1.96
    v0 = _sat(demo_db, Y0, "offence_group = 'vehicle crime'")
    v1 = _sat(demo_db, Y1, "offence_group = 'vehicle crime'")
    assert abs(z_props(*v0, *v1)) < 1.96
