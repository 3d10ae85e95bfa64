"""Case audits: samples (reproducible, proportional, never a case twice), loading a completed
form (quarantine row by row, atomic, idempotent), and compliance with its Wilson interval
recomputed independently (statsmodels)."""

from __future__ import annotations

import contextlib
import csv
from datetime import date

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from forcestat.cli import app
from forcestat.store.audit_results import answer_counts, case_counts, load_results
from forcestat.store.audit_sample import controlled_rounding, draw_sample, form, period_of
from forcestat.store.audit_schemes import load_schemes
from forcestat.store.loader import StrictLoadError
from forcestat.store.store import open_store

GROUPS = {
    "Violence with injury": 0.22,
    "Violence without injury": 0.30,
    "Criminal damage": 0.14,
    "Other theft offences": 0.2,
    "Domestic burglary": 0.08,
    "Robbery of personal property": 0.06,
}
DISTRICTS = {"Peterborough": 0.4, "Cambridge": 0.25, "Fenland": 0.2, "East Cambridgeshire": 0.15}


def _crimes(rng: np.random.Generator, start: str, months: int, per_month: int) -> pd.DataFrame:
    n = months * per_month
    first = pd.Timestamp(start)
    offsets = rng.integers(0, months * 30 * 86400, n)
    recorded = first + pd.to_timedelta(np.sort(offsets), unit="s")
    return pd.DataFrame(
        {
            "crime_id": [f"C{i:06d}" for i in range(n)],
            "reported_at": recorded,
            "recorded_at": recorded,
            "offence_code": "8N",
            "offence_group": rng.choice(list(GROUPS), n, p=list(GROUPS.values())),
            "victim_based": True,
            "district": rng.choice(list(DISTRICTS), n, p=list(DISTRICTS.values())),
            "domestic_abuse": rng.random(n) < 0.2,
            "victim_priority_group": "none",
            "supervisory_unit": "IMU",
        }
    )


@pytest.fixture
def audit_store(tmp_path):
    rng = np.random.default_rng(11)
    crimes = _crimes(rng, "2019-10-01", 6, 700)
    st = open_store(str(tmp_path / "a.duckdb"))
    st.duck.register("src", crimes)
    cols = ", ".join(crimes.columns)
    st.duck.execute(f"INSERT INTO crimes ({cols}) SELECT {cols} FROM src")
    st.duck.unregister("src")
    yield st, crimes
    with contextlib.suppress(Exception):  # some tests close it to run the CLI on the file
        st.close()


VCOP = load_schemes().get("vcop")
DA = load_schemes().get("da-scrutiny")


def test_same_seed_same_cases_and_the_draw_is_replaced_not_added(audit_store):
    st, _ = audit_store
    a = draw_sample(st, VCOP, "2020-03", seed=5)
    b = draw_sample(st, VCOP, "2020-03", seed=5)
    c = draw_sample(st, VCOP, "2020-03", seed=6)
    assert list(a["case_id"]) == list(b["case_id"])
    assert set(a["case_id"]) != set(c["case_id"])
    kept = st.duck.execute(
        "SELECT count(*), count(DISTINCT case_id), min(seed) FROM audit_samples "
        "WHERE scheme = 'vcop' AND period_end = DATE '2020-03-31'"
    ).fetchone()
    assert kept == (30, 30, 6)


def test_thirty_cases_a_quarter_proportionally_stratified(audit_store):
    st, crimes = audit_store
    drawn = draw_sample(st, VCOP, "2020-03", seed=3)
    assert len(drawn) == 30 and drawn["case_id"].is_unique
    q1 = crimes[(crimes.recorded_at >= "2020-01-01") & (crimes.recorded_at < "2020-04-01")]
    assert set(drawn["case_id"]) <= set(q1["crime_id"])
    # Each stratum (offence group x district) and each margin within one case of its share.
    for keys in (["offence_group", "district"], ["offence_group"], ["district"]):
        expected = q1.groupby(keys).size() * 30 / len(q1)
        got = drawn.groupby(keys).size().reindex(expected.index, fill_value=0)
        assert (got - expected).abs().max() < 1, keys


def test_a_period_with_results_is_not_drawn_again(audit_store, tmp_path):
    st, _ = audit_store
    sheet = form(draw_sample(st, VCOP, "2020-03", seed=4), VCOP)
    path = tmp_path / "r.csv"
    _fill(path, sheet, {"needs_assessment": "yes"})
    load_results(st, VCOP, path)
    with pytest.raises(ValueError, match="already has results for 30 case"):
        draw_sample(st, VCOP, "2020-03", seed=5)


def test_quarterly_scheme_needs_a_quarter_end(audit_store):
    st, _ = audit_store
    with pytest.raises(ValueError, match="quarter's last month"):
        draw_sample(st, VCOP, "2020-02", seed=1)


def test_no_case_drawn_twice_across_quarters_or_months(audit_store):
    # Within a scheme (a crime may be reviewed by both the VCOP audit and the DA scrutiny).
    st, _ = audit_store
    vcop = [c for q in ("2019-12", "2020-03") for c in draw_sample(st, VCOP, q, seed=9)["case_id"]]
    months = ("2019-10", "2019-11", "2019-12", "2020-01", "2020-02", "2020-03")
    da = [c for m in months for c in draw_sample(st, DA, m, seed=9)["case_id"]]
    assert len(vcop) == len(set(vcop)) == 60
    assert len(da) == len(set(da)) == 180


def test_a_case_audited_for_another_period_is_never_drawn(tmp_path):
    # A pool of exactly 30 eligible crimes: without the exclusion all 30 would be drawn.
    rng = np.random.default_rng(2)
    crimes = _crimes(rng, "2020-01-01", 3, 10)
    st = open_store(str(tmp_path / "x.duckdb"))
    st.duck.register("src", crimes)
    cols = ", ".join(crimes.columns)
    st.duck.execute(f"INSERT INTO crimes ({cols}) SELECT {cols} FROM src")
    taken = list(crimes["crime_id"][:2])
    for case in taken:  # audited (by an earlier, differently defined draw) for 2019-12
        st.duck.execute(
            "INSERT INTO audits (scheme, case_id, case_type, period_end, question, answer, "
            "compliant) VALUES ('vcop', ?, 'crime', DATE '2019-12-31', 'needs_assessment', "
            "'yes', true)",
            [case],
        )
    drawn = draw_sample(st, VCOP, "2020-03", seed=1)
    assert len(drawn) == 28 and not set(taken) & set(drawn["case_id"])
    st.close()


def test_controlled_rounding_keeps_cells_and_margins_within_one():
    rng = np.random.default_rng(0)
    for _ in range(200):
        shape = tuple(rng.integers(1, 12, 2))
        w = rng.gamma(0.5, size=shape)
        e = w / w.sum() * 30
        r = controlled_rounding(e, rng)
        assert r.sum() == 30
        assert np.abs(r - e).max() < 1
        assert np.abs(r.sum(axis=0) - e.sum(axis=0)).max() < 1
        assert np.abs(r.sum(axis=1) - e.sum(axis=1)).max() < 1


def _fill(path, sheet: pd.DataFrame, answers: dict[str, str]) -> None:
    sheet = sheet.copy()
    sheet["auditor"] = "A. Auditor"
    sheet["audited_on"] = "2020-04-10"
    for q, a in answers.items():
        sheet[q] = a
    sheet.to_csv(path, index=False)


def test_bad_rows_are_quarantined_row_by_row_and_good_ones_load(audit_store, tmp_path):
    st, _ = audit_store
    drawn = draw_sample(st, VCOP, "2020-03", seed=4)
    sheet = form(drawn, VCOP)
    path = tmp_path / "results.csv"
    _fill(path, sheet, {"needs_assessment": "yes", "updates_timely": "n_a", "vps_offered": "no"})
    rows = list(csv.DictReader(path.open()))
    rows[2]["case_id"] = "C999999"  # unknown case
    rows[5]["needs_assessment"] = "maybe"  # unknown answer
    rows[7]["audited_on"] = "10/04/2020"  # not a date
    header = list(rows[0]) + ["q99"]
    rows[9]["q99"] = "yes"  # unknown question (empty elsewhere: harmless)
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    rep = load_results(st, VCOP, path)
    assert rep.quarantined == 4 and rep.rows_read == 30
    got = {r.row: (r.fields, r.reason) for r in rep.rejections}
    assert set(got) == {3, 6, 8, 10}
    assert got[3][0] == "case_id" and "unknown case 'C999999'" in got[3][1]
    assert got[6][0] == "needs_assessment" and "'maybe' is not an answer" in got[6][1]
    assert got[8][0] == "audited_on"
    assert got[10][0] == "q99" and "unknown question 'q99'" in got[10][1]
    stored = st.duck.execute(
        "SELECT count(*), count(DISTINCT case_id) FROM audits WHERE scheme = 'vcop'"
    ).fetchone()
    assert stored == (26 * 3, 26)
    q = st.duck.execute(
        "SELECT source_row, fields FROM quarantine WHERE table_name = 'audits' ORDER BY 1"
    ).fetchall()
    assert q == [(3, "case_id"), (6, "needs_assessment"), (8, "audited_on"), (10, "q99")]
    # Loading the same file again changes nothing and quarantines nothing twice.
    again = load_results(st, VCOP, path)
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, 26 * 3)
    assert st.duck.execute("SELECT count(*) FROM audits").fetchone()[0] == 26 * 3
    assert st.duck.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 4


def test_an_answer_to_a_question_that_does_not_apply_is_rejected(audit_store, tmp_path):
    st, _ = audit_store
    drawn = draw_sample(st, DA, "2020-03", seed=4)
    sheet = form(drawn, DA)
    path = tmp_path / "da.csv"
    _fill(path, sheet, {"positive_action": "yes"})
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[0, "trial_failure_reason"] = "late_guilty_plea"  # a court-case question on a crime
    df.to_csv(path, index=False)
    rep = load_results(st, DA, path)
    assert [(r.row, r.fields) for r in rep.rejections] == [(1, "trial_failure_reason")]
    assert "does not apply to crime cases" in rep.rejections[0].reason


def test_strict_refuses_the_whole_file(audit_store, tmp_path):
    st, _ = audit_store
    sheet = form(draw_sample(st, VCOP, "2020-03", seed=4), VCOP)
    path = tmp_path / "r.csv"
    _fill(path, sheet, {"needs_assessment": "yes"})
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[4, "case_id"] = "nope"
    df.to_csv(path, index=False)
    with pytest.raises(StrictLoadError):
        load_results(st, VCOP, path, strict=True)
    assert st.duck.execute("SELECT count(*) FROM audits").fetchone()[0] == 0
    assert st.duck.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0


def test_compliance_and_wilson_interval_in_the_moj_return(audit_store, tmp_path):
    st, _ = audit_store
    sheet = form(draw_sample(st, VCOP, "2020-03", seed=8), VCOP)
    rng = np.random.default_rng(1)
    answers = {
        "needs_assessment": rng.choice(["yes", "no"], 30, p=[0.8, 0.2]),
        "updates_timely": rng.choice(["yes", "no", "n_a"], 30, p=[0.5, 0.3, 0.2]),
        "support_referral": rng.choice(["yes", "no", "declined"], 30, p=[0.6, 0.2, 0.2]),
    }
    sheet["auditor"] = "B"
    sheet["audited_on"] = "2020-04-02"
    for q, a in answers.items():
        sheet[q] = a
    path = tmp_path / "r.csv"
    sheet.to_csv(path, index=False)
    assert load_results(st, VCOP, path).quarantined == 0
    p = period_of(VCOP, "2020-03")
    counts = {c.question: c for c in answer_counts(st, VCOP, p.start, p.end)}
    st.close()
    out = tmp_path / "moj.csv"
    res = CliRunner().invoke(
        app,
        [
            "audit",
            "moj-return",
            "--store",
            str(tmp_path / "a.duckdb"),
            "--period",
            "2020-03",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    ret = pd.read_csv(out).set_index("question")
    assert ret.loc["needs_assessment", "quarter"] == "2019/20 Q4"
    for q, given in answers.items():
        yes = int((given == "yes").sum())
        applicable = int(np.isin(given, ["yes", "no"]).sum())
        lo, hi = proportion_confint(yes, applicable, alpha=0.05, method="wilson")
        row = ret.loc[q]
        assert (row["compliant"], row["compliant"] + row["not_compliant"]) == (yes, applicable)
        assert counts[q].compliant == yes
        assert row["compliance_pct"] == pytest.approx(100 * yes / applicable, abs=0.05)
        assert row["ci_low_pct"] == pytest.approx(100 * lo, abs=0.05)
        assert row["ci_high_pct"] == pytest.approx(100 * hi, abs=0.05)
    # A case is fully compliant when every applicable answer met the Code.
    ok = sum(
        all(a == "yes" for a in (answers[q][i] for q in answers) if a in ("yes", "no"))
        for i in range(30)
    )
    assert ret.loc["cases_fully_compliant", "compliant"] == ok


def test_cli_sample_writes_the_form_and_load_reports(audit_store, tmp_path):
    st, _ = audit_store
    path = st.path
    st.close()
    form_path = tmp_path / "form.csv"
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "audit",
            "sample",
            "--store",
            path,
            "--scheme",
            "da-scrutiny",
            "--period",
            "2020-03",
            "--seed",
            "2",
            "--out",
            str(form_path),
        ],
    )
    assert res.exit_code == 0, res.output
    sheet = pd.read_csv(form_path, dtype=str, keep_default_na=False)
    assert list(sheet.columns[:3]) == ["scheme", "period", "case_id"]
    assert {q.id for q in DA.questions} <= set(sheet.columns)
    # The toy store has no stalking codes or court cases: only the 30 domestic abuse crimes.
    assert (sheet["case_type"] == "crime").sum() == 30
    sheet["positive_action"] = "yes"
    sheet.loc[0, "positive_action"] = "perhaps"
    sheet.to_csv(form_path, index=False)
    res = runner.invoke(
        app, ["audit", "load", str(form_path), "--store", path, "--scheme", "da-scrutiny"]
    )
    assert res.exit_code == 0, res.output
    assert "quarantined 1" in res.output and "row 1" in res.output
    ro = open_store(path, read_only=True)
    try:
        n, ok = case_counts(ro, DA, date(2020, 3, 1), date(2020, 4, 1))
    finally:
        ro.close()
    assert (n, ok) == (29, 29)
