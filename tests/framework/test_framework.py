"""The framework file: the default covers the reference report; bad files are rejected with a
message that names the measure and the key."""

from __future__ import annotations

import pytest

from forcestat.framework import FrameworkError, load_framework, loads_framework
from forcestat.framework import expr as fx
from forcestat.store.schema import CRIMES, INCIDENTS

HEADER = """
[[themes]]
id = "victims"
title = "Victims"
"""


def measure(**keys: object) -> str:
    base = {
        "id": "m1",
        "title": "M1",
        "theme": "victims",
        "phrase": "m one",
        "kind": "count",
        "polarity": "neutral",
        "table": "crimes",
    }
    base.update(keys)
    body = "\n".join(f"{k} = {_toml(v)}" for k, v in base.items() if v is not None)
    return f"{HEADER}\n[[measures]]\n{body}\n"


def _toml(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return str(v)


def problems(text: str) -> list[str]:
    with pytest.raises(FrameworkError) as info:
        loads_framework(text, source="test.toml")
    assert "test.toml" in str(info.value)
    return info.value.problems


# -- the default framework --------------------------------------------------------------------

# Every measure the reference Board report (May 2020) discusses, by the measure id that covers it.
REPORT_MEASURES = {
    "victim satisfaction overall": "victim_satisfaction_overall",
    "satisfaction: ease of contact": "victim_satisfaction_ease_of_contact",
    "satisfaction: actions taken": "victim_satisfaction_actions_taken",
    "satisfaction: follow-up": "victim_satisfaction_follow_up",
    "satisfaction: treatment": "victim_satisfaction_treatment",
    "median time to attend immediate": "response_time_immediate",
    "median time to attend prompt": "response_time_prompt",
    "grading mix": "grading_immediate_share",
    "resource non-availability": "resource_unavailable_prompt",
    "outcome rate all crime": "outcome_rate_all_crime",
    "outcome rate burglary dwelling": "outcome_rate_burglary_dwelling",
    "outcome rate domestic abuse": "outcome_rate_domestic_abuse",
    "outcome rate serious sexual offences": "outcome_rate_serious_sexual",
    "community resolutions": "community_resolutions",
    "charges": "charges",
    "confidence": "confidence",
    "recorded crime": "recorded_crime",
    "victim-based crime": "recorded_crime_victim_based",
    "other crimes against society": "recorded_crime_other_against_society",
    "crime rate per 1,000": "crime_rate_per_1000",
    "999 calls": "calls_999",
    "101 calls": "calls_101",
    "101 average wait": "calls_101_wait",
    "101 abandonment": "calls_101_abandonment",
    "webchats": "webchats",
    "online reports": "online_reports",
    "CDI compliance proxy": "crime_recording_timeliness",
    "IMU backlog": "imu_backlog",
    "live workload": "live_workload",
    "domestic abuse volumes": "domestic_abuse_crimes",
    "child sexual abuse offences": "child_sexual_abuse_crimes",
    "child sexual exploitation": "cse_share_of_csa",
    "missing children": "missing_children",
    "children in care": "missing_children_in_care",
    "children in care share": "missing_children_in_care_share",
    "children's homes": "missing_from_childrens_homes",
    "serious sexual offences": "serious_sexual_offences",
    "rape": "rape_offences",
    "sexual assault": "sexual_assaults",
    "adult share": "sso_adult_share",
    "rape investigation length": "rape_investigation_days",
    "Victims Code compliance": "victims_code_compliance",
    "Victim and Witness Hub referral rate": "referral_rate_victim_witness_hub",
    "civil orders": "civil_orders",
}


def test_default_framework_covers_the_reference_report():
    fw = load_framework()
    ids = {m.id for m in fw.measures}
    missing = {topic: mid for topic, mid in REPORT_MEASURES.items() if mid not in ids}
    assert not missing
    assert fw.hash and fw.source.endswith("default.toml")


def test_default_framework_breakdowns_and_structure():
    fw = load_framework()
    by = fw.by_id
    assert by["victim_satisfaction_overall"].breakdowns == ["offence_group"]
    assert by["response_time_prompt"].breakdowns == ["incident_type"]
    assert by["recorded_crime"].breakdowns == ["offence_group"]
    assert by["outcome_rate_all_crime"].basis == "cohort"
    assert by["outcome_rate_all_crime"].date_column == "recorded_at"
    assert {a.id for a in fw.priority_areas} == {
        "domestic_abuse",
        "child_abuse_exploitation",
        "serious_sexual_offences",
    }
    assert {t.id for t in fw.themes} >= {"victims", "offenders", "communities"}
    s = fw.settings
    assert (s.alpha, s.min_base, s.caution_base) == (0.05, 50, 100)
    assert s.prosecution_possible == [1, 2, 3, 4, 6, 7, 8]
    assert s.spc.rebase_at == ["2020-04"]
    assert (s.spc.shift_length, s.spc.trend_length, s.spc.min_points) == (7, 7, 13)


def test_measure_metadata_for_findings():
    """findings reads id, title, theme, phrase, kind, polarity and optional statement/unit_label."""
    for m in load_framework().measures:
        for attr in ("id", "title", "theme", "phrase", "kind", "polarity"):
            assert getattr(m, attr)
        assert hasattr(m, "statement") and hasattr(m, "unit_label")
        if m.statement:
            m.statement.format(
                value="77.2%",
                share="Over a third",
                period="12 months ending March 2020",
                n=971,
                unit="",
            )


def test_a_force_adds_a_measure_by_editing_the_file():
    text = measure(id="knife_crime", filter="knife", breakdowns=["offence_group"])
    fw = loads_framework(text)
    m = fw.measure("knife_crime")
    assert m.kind == "count" and m.filter_expr == fx.Col("knife")


# -- errors name the measure and the key -------------------------------------------------------


def test_unknown_table():
    (msg,) = problems(measure(table="crime"))
    assert "measure 'm1'" in msg and "'table'" in msg and "'crime'" in msg


def test_unknown_kind():
    (msg,) = problems(measure(kind="percentage"))
    assert "measure 'm1'" in msg and "'kind'" in msg and "percentage" in msg


def test_unknown_column_in_filter():
    (msg,) = problems(measure(filter="offence_grp = 'Burglary'"))
    assert "measure 'm1'" in msg and "'filter'" in msg and "'offence_grp'" in msg


def test_unknown_breakdown_column():
    (msg,) = problems(measure(breakdowns=["colour"]))
    assert "'breakdowns'" in msg and "'colour'" in msg


def test_unknown_date_column_and_wrong_type():
    (msg,) = problems(measure(date="reported"))
    assert "'date'" in msg and "'reported'" in msg
    (msg,) = problems(measure(date="offence_code"))
    assert "'date'" in msg and "VARCHAR" in msg


@pytest.mark.parametrize(
    ("filter_", "words"),
    [
        ("grade = 'immediate' and", ["'filter'", "position"]),
        ("offence_group = 5", ["cannot compare", "offence_group"]),
        ("domestic_abuse + 1", ["'+' needs numbers"]),
        ("offence_group", ["must be a boolean"]),
        ("offence_code in @nope", ["unknown set @nope"]),
        ("explode(crime_id)", ["unknown function 'explode'"]),
        ("victim_age_group = 'adult'", ["'adult' is not a value of victim_age_group"]),
        ("__import__('os').system('true')", ["'filter'"]),
        ("outcome_type = null", ["is null"]),
    ],
)
def test_bad_filters_are_named(filter_, words):
    (msg,) = problems(measure(filter=filter_))
    assert "measure 'm1'" in msg and "'filter'" in msg
    for w in words:
        assert w in msg, (w, msg)


def test_kind_specific_keys():
    (msg,) = problems(measure(kind="proportion"))
    assert "'numerator'" in msg and "needs" in msg
    (msg,) = problems(measure(kind="median", table="incidents"))
    assert "'value'" in msg
    (msg,) = problems(measure(numerator="domestic_abuse"))
    assert "'numerator'" in msg and "does not apply" in msg
    msgs = problems(measure(kind="count", table="calls", basis="cohort"))
    assert msgs and all("'basis'" in m for m in msgs)


def test_unknown_key_and_theme_and_duplicates():
    text = measure(colour="red")
    (msg,) = problems(text)
    assert "measure 'm1'" in msg and "'colour'" in msg and "unknown key" in msg
    (msg,) = problems(measure(theme="nope"))
    assert "'theme'" in msg and "'nope'" in msg
    text = measure() + measure().split("[[measures]]")[1].join(["[[measures]]", ""])
    msgs = problems(text)
    assert any("defined more than once" in m for m in msgs)


def test_priority_area_names_unknown_measure():
    text = measure() + '\n[[priority_areas]]\nid = "da"\ntitle = "DA"\nmeasures = ["m2"]\n'
    (msg,) = problems(text)
    assert "priority area 'da'" in msg and "'measures'" in msg and "'m2'" in msg


def test_every_problem_is_reported_at_once():
    text = measure(table="crime") + measure(id="m2", kind="bogus").split(HEADER)[1]
    msgs = problems(text)
    assert len(msgs) == 2
    assert any("'m1'" in m for m in msgs) and any("'m2'" in m for m in msgs)


def test_settings_are_checked():
    msgs = problems("[settings]\nalpha = 2\n" + measure())
    assert any("alpha" in m for m in msgs)
    msgs = problems("[settings]\nprosecution_possible = [1, 30]\n" + measure())
    assert any("30" in m for m in msgs)
    msgs = problems("[settings.spc]\nrebase_at = ['2020-13']\n" + measure())
    assert any("2020-13" in m for m in msgs)


def test_unreadable_and_invalid_toml(tmp_path):
    with pytest.raises(FrameworkError, match="cannot read"):
        load_framework(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[measures]\n")
    with pytest.raises(FrameworkError, match="not valid TOML"):
        load_framework(bad)


# -- the expression language --------------------------------------------------------------------


def test_precedence_and_forms():
    node = fx.parse("a = 1 or b = 2 and not c")
    assert isinstance(node, fx.BoolOp) and node.op == "or"
    assert isinstance(node.right, fx.BoolOp) and node.right.op == "and"
    assert isinstance(node.right.right, fx.Not)
    node = fx.parse("x - y * 2 >= 3")
    assert node == fx.Compare(
        ">=", fx.Arith("-", fx.Col("x"), fx.Arith("*", fx.Col("y"), fx.Lit(2))), fx.Lit(3)
    )
    assert fx.parse("g not in ('a', 'b')") == fx.InList(fx.Col("g"), ("a", "b"), True)
    assert fx.parse("v is not null") == fx.IsNull(fx.Col("v"), True)
    assert fx.parse("x NOT BETWEEN 1 AND 2") == fx.Between(fx.Col("x"), fx.Lit(1), fx.Lit(2), True)
    assert fx.parse("name = 'O''Brien'") == fx.Compare("=", fx.Col("name"), fx.Lit("O'Brien"))


def test_type_check_against_the_schema():
    assert fx.check(fx.parse("minutes_between(created_at, first_arrival_at)"), INCIDENTS) == (
        "number"
    )
    assert fx.check(fx.parse("recorded_at >= '2019-04-01'"), CRIMES) == "boolean"
    assert fx.check(fx.parse("linked(referrals, service = 'sarc')"), CRIMES) == "boolean"
    with pytest.raises(fx.ExprError, match="no 'crime_id'"):
        fx.check(fx.parse("linked(civil_orders, granted)"), CRIMES)
    with pytest.raises(fx.ExprError, match="date/time"):
        fx.check(fx.parse("days_between(recorded_at, offence_code)"), CRIMES)


def test_cross_breakdowns_are_checked():
    fw = loads_framework(measure(breakdowns=["district*offence_group"]))
    assert fw.measure("m1").key_columns == ("offence_group",)
    (msg,) = problems(measure(breakdowns=["district*colour"]))
    assert "'breakdowns'" in msg and "'colour'" in msg
    (msg,) = problems(measure(table="calls", breakdowns=["district*channel"]))
    assert "needs the district" in msg


def test_chart_and_target_keys():
    fw = loads_framework(measure(chart="c", polarity="lower_is_better", target=120))
    m = fw.measure("m1")
    assert (m.chart_type, m.target_for("Fenland")) == ("c", 120)
    assert loads_framework(measure()).measure("m1").chart_type == "xmr"
    text = measure(polarity="lower_is_better", target=120) + "[measures.targets]\nFenland = 40\n"
    m = loads_framework(text).measure("m1")
    assert (m.target_for("Fenland"), m.target_for("Cambridge")) == (40, 120)
    (msg,) = problems(measure(chart="p_prime"))
    assert "measure 'm1'" in msg and "'chart'" in msg and "xmr, c, u, run" in msg
    (msg,) = problems(measure(chart="t"))
    assert "'chart'" in msg and "dates" in msg
    (msg,) = problems(measure(chart="spline"))
    assert "'chart'" in msg
    (msg,) = problems(measure(target=50))  # a neutral measure
    assert "'target'" in msg and "neutral" in msg
    text = measure(kind="proportion", numerator="domestic_abuse", polarity="higher_is_better")
    (msg,) = problems(text.replace('table = "crimes"', 'table = "crimes"\ntarget = 120'))
    assert "percentage" in msg


def test_spc_settings_for_exclusions_and_peer_readings():
    text = (
        "[settings.spc]\nexclude = ['2020-04']\nautocorrelation = 'ignore'\n"
        "trial_count = 'segment'\nlaney = 'always'\n" + measure()
    )
    s = loads_framework(text).settings.spc
    assert (s.exclude, s.autocorrelation, s.trial_count, s.laney) == (
        ["2020-04"],
        "ignore",
        "segment",
        "always",
    )
    msgs = problems("[settings.spc]\nexclude = ['April']\n" + measure())
    assert any("April" in m for m in msgs)
    msgs = problems("[settings.spc]\nlaney = 'sometimes'\n" + measure())
    assert any("laney" in m for m in msgs)
