"""Measures a store cannot support are named with the reason, never reported as zero."""

from __future__ import annotations

from pathlib import Path

from forcestat.engine.availability import measure_columns, unavailable_measures
from forcestat.framework import load_framework
from forcestat.store.sources.police_uk import load_police_uk
from forcestat.store.store import open_store

SLICE = Path(__file__).resolve().parents[1] / "data" / "police_uk"


def test_police_uk_store_supports_only_crime_type_measures(tmp_path):
    st = open_store(str(tmp_path / "puk.duckdb"))
    load_police_uk(st, [SLICE / "street", SLICE / "outcomes"])
    fw = load_framework()
    missing = unavailable_measures(st, fw)
    available = {m.id for m in fw.measures} - set(missing)
    # Worked out by hand from the default framework: only measures over crime counts by type
    # (and their harm weights) and outcome types survive a source with no flags, no offence
    # codes and no day of month.
    assert available == {
        "recorded_crime",
        "recorded_crime_victim_based",
        "recorded_crime_other_against_society",
        "crime_rate_per_1000",
        "crime_harm",  # CCHI weights per data.police.uk crime type
        "outcome_rate_all_crime",
        "charges",
        "community_resolutions",
    }
    assert missing["domestic_abuse_crimes"].startswith("domestic_abuse: not published")
    assert "month only" in missing["crime_recording_timeliness"]
    no_survey = "nothing was loaded into the survey_responses table"
    assert missing["victim_satisfaction_overall"] == no_survey
    # Linked tables count too: no referrals, so no referral rate (not a 0% rate).
    assert "safeguarding_referrals" in missing["referral_rate_victim_witness_hub"]
    # No victim or suspect references: no repeat victimisation, no harm concentration.
    assert missing["harm_concentration_suspects"] == "suspect_id: not published (data.police.uk)"
    assert "victim_id: not published" in missing["repeat_victimisation"]
    st.close()


def test_a_full_synthetic_store_supports_every_measure(tmp_path):
    from forcestat.synth import run as synth

    db = str(tmp_path / "s.duckdb")
    synth.run(store=db, end="2020-03", years=1, seed=3, forces=1, out=None)
    st = open_store(db)
    assert unavailable_measures(st, load_framework()) == {}
    st.close()


def test_measure_columns_reads_every_expression():
    fw = load_framework()
    timeliness = fw.measure("crime_recording_timeliness")
    assert {"reported_at", "recorded_at"} <= measure_columns(timeliness)
    assert "domestic_abuse" in measure_columns(fw.measure("domestic_abuse_crimes"))


def test_a_folder_holding_only_some_tables_lists_the_rest(tmp_path):
    # Crimes and the reference tables only, as Parquet: the measures over crimes run, the
    # others are named as not available because the store has no such table.
    src = open_store(str(tmp_path / "one.duckdb"))
    src.duck.execute(
        "INSERT INTO crimes (crime_id, recorded_at, district, offence_code) "
        "VALUES ('C1', TIMESTAMP '2020-03-02 10:00:00', 'Fenland', '46')"
    )
    folder = tmp_path / "folder"
    folder.mkdir()
    for t in ("crimes", "geography", "offence_codes", "outcome_types"):
        src.duck.execute(f'COPY "{t}" TO ? (FORMAT parquet)', [str(folder / f"{t}.parquet")])
    src.close()
    st = open_store(str(folder), read_only=True)
    missing = unavailable_measures(st, load_framework())
    st.close()
    assert "recorded_crime" not in missing
    assert missing["response_time_immediate"] == "the store has no incidents table"
    assert missing["victim_satisfaction_overall"] == "the store has no survey_responses table"
    assert "safeguarding_referrals table" in missing["referral_rate_victim_witness_hub"]
