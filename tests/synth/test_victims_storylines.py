"""The demo force's victims data (docs/synthetic-data.md, storylines 18-21 and the repeat
patterns), measured independently with SQL on the seed-1 demo (five years to March 2020)."""

from __future__ import annotations


def one(con, sql: str, params=()):
    return con.execute(sql, list(params)).fetchone()


def test_repeat_victimisation_and_the_power_few(demo_db):
    # Share of crimes whose victim had another crime recorded in the 365 days before.
    rates = dict(
        demo_db.execute(
            """
            WITH v AS (
              SELECT victim_id, recorded_at, domestic_abuse, offence_group,
                     lag(recorded_at) OVER (PARTITION BY victim_id ORDER BY recorded_at) AS prev
              FROM crimes WHERE victim_id IS NOT NULL)
            SELECT CASE WHEN offence_group = 'Shoplifting' THEN 'business'
                        WHEN domestic_abuse THEN 'da' ELSE 'person' END,
                   avg(CASE WHEN recorded_at - prev <= INTERVAL 365 DAY THEN 1 ELSE 0 END)
            FROM v WHERE recorded_at >= '2019-04-01' GROUP BY 1
            """
        ).fetchall()
    )
    assert 0.12 < rates["person"] < 0.20
    assert 0.40 < rates["da"] < 0.50
    assert rates["business"] > 0.85
    # The top 5% of victims bear 35-50% of the harm of crimes against people in a year.
    share = one(
        demo_db,
        """
        WITH h AS (SELECT victim_id, sum(cchi_days) AS harm FROM crimes
                   WHERE victim_based AND offence_group <> 'Shoplifting' AND victim_id IS NOT NULL
                   AND recorded_at >= '2019-04-01' GROUP BY 1 HAVING sum(cchi_days) > 0),
             r AS (SELECT harm, row_number() OVER (ORDER BY harm DESC) AS k, count(*) OVER () AS n
                   FROM h)
        SELECT sum(harm) FILTER (WHERE k <= ceil(0.05 * n)) / sum(harm) FROM r
        """,
    )[0]
    assert 0.35 < share < 0.50
    # Domestic abuse suspects follow their victim: one abuser across a victim's repeats.
    per_victim = one(
        demo_db,
        "SELECT max(n) FROM (SELECT victim_id, count(DISTINCT suspect_id) AS n FROM crimes "
        "WHERE domestic_abuse AND suspect_id IS NOT NULL GROUP BY 1)",
    )[0]
    assert per_victim == 1


def test_vulnerable_victims_identified_more_often_at_first_contact(demo_db):
    def rate(lo: str, hi: str) -> float:
        return one(
            demo_db,
            "SELECT avg(CASE WHEN t.priority_group <> 'none' THEN 1 ELSE 0 END) "
            "FROM crimes c JOIN thrive_assessments t USING (crime_id) "
            "WHERE c.victim_priority_group = 'vulnerable_or_intimidated' AND t.completed "
            "AND c.recorded_at >= ? AND c.recorded_at < ?",
            (lo, hi),
        )[0]

    before, last3 = rate("2017-04-01", "2019-04-01"), rate("2020-01-01", "2020-04-01")
    assert abs(before - 0.68) < 0.02 and abs(last3 - 0.78) < 0.025
    done = one(demo_db, "SELECT avg(CASE WHEN completed THEN 1 ELSE 0 END) FROM thrive_assessments")
    assert 0.88 < done[0] < 0.92


def test_bail_replaces_release_under_investigation(demo_db):
    def bail(lo: str, hi: str) -> float:
        return one(
            demo_db,
            "SELECT avg(CASE WHEN answer = 'bail' THEN 1 ELSE 0 END) FROM audits "
            "WHERE scheme = 'da_scrutiny' AND question = 'suspect_management' "
            "AND answer IN ('bail', 'rui') AND period_end >= ? AND period_end < ?",
            (lo, hi),
        )[0]

    # 45% bailed before the last 12 months; 55% -> 85% over them.
    before, recent = bail("2017-04-01", "2019-04-01"), bail("2019-09-01", "2020-03-01")
    assert abs(before - 0.45) < 0.05 and recent > before + 0.15


def test_audit_samples_are_the_schemes_sizes(demo_db):
    sizes = demo_db.execute(
        "SELECT scheme, case_type, period_end, count(DISTINCT case_id) FROM audits "
        "GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    vcop = [n for s, t, _, n in sizes if s == "vcop"]
    da = [n for s, t, _, n in sizes if s == "da_scrutiny" and t == "crime"]
    stalking = [n for s, t, _, n in sizes if s == "da_scrutiny" and t == "stalking"]
    # From April 2018; the quarter ending with the extract is audited after it.
    assert vcop == [30] * 7  # quarters ending June 2018 ... December 2019
    assert da == [30] * 24 and stalking == [5] * 24


def test_safeguarding_referrals_hold_every_support_referral(demo_db):
    missing = one(
        demo_db,
        "SELECT count(*) FROM referrals r LEFT JOIN safeguarding_referrals s USING (referral_id) "
        "WHERE s.kind IS DISTINCT FROM r.service OR s.crime_id IS DISTINCT FROM r.crime_id",
    )[0]
    assert missing == 0
    marac = one(
        demo_db,
        "SELECT avg(CASE WHEN EXISTS (SELECT 1 FROM safeguarding_referrals s "
        "WHERE s.crime_id = c.crime_id AND s.kind = 'marac') THEN 1 ELSE 0 END) "
        "FROM crimes c WHERE domestic_abuse AND risk_level = 'high'",
    )[0]
    assert abs(marac - 0.90) < 0.02


def test_court_cases_follow_charges(demo_db):
    charged, cases = one(
        demo_db,
        "SELECT (SELECT count(*) FROM crimes WHERE outcome_type = 1), "
        "(SELECT count(*) FROM court_cases)",
    )
    assert charged == cases
    rates = dict(
        demo_db.execute(
            "SELECT c.domestic_abuse, avg(CASE WHEN trial_outcome IN ('cracked', 'ineffective') "
            "THEN 1 ELSE 0 END) FROM court_cases k JOIN crimes c USING (crime_id) "
            "WHERE trial_outcome IS NOT NULL AND trial_listed_at < '2020-03-23' GROUP BY 1"
        ).fetchall()
    )
    assert abs(rates[True] - 0.64) < 0.04 and abs(rates[False] - 0.54) < 0.03
    # Trials listed in the lockdown were mostly adjourned.
    adjourned = one(
        demo_db,
        "SELECT avg(CASE WHEN trial_outcome = 'ineffective' THEN 1 ELSE 0 END) FROM court_cases "
        "WHERE trial_listed_at >= '2020-03-23' AND trial_outcome IS NOT NULL",
    )[0]
    assert adjourned > 0.7  # 85% + the usual share, on a week of listings
