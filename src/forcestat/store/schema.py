"""The canonical store: table and column definitions (docs/architecture.md §1).

This module is the single source of truth for the store's shape. The loader validates against
it, the synthetic generator writes to it, docs/data-model.md is checked against it by a test,
and the engine reads the column names it declares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .sqltext import q

# Pseudo-districts for records that cannot be placed in one of the force's districts. They are
# explicit buckets rather than nulls so totals always add up and nothing silently drops out.
NO_LOCATION = "No location"
OUTSIDE_FORCE = "Outside force area"
DISTRICT_BUCKETS = (NO_LOCATION, OUTSIDE_FORCE)

LINEAGE_COLUMNS = ("source_file", "source_row", "loaded_at", "load_id")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type: VARCHAR, BIGINT, INTEGER, DOUBLE, BOOLEAN, DATE, TIMESTAMP
    description: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    # "table.column" of a reference table whose values this column must take.
    ref: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    # Filled from a reference table when the source leaves it empty (see Table.derived_from).
    derived: bool = False
    # A derived column whose given value may differ from the reference (a harm weight the source
    # knows better, e.g. per data.police.uk crime type): kept, not rejected as a disagreement.
    derived_default_only: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    # (earlier, later): when both are present the later must not precede the earlier.
    date_order: tuple[tuple[str, str], ...] = ()
    # A newer record version (same key) replaces an older one; this column orders versions.
    version_column: str | None = None
    # Reference lookup that fills derived columns: (ref_table, join column, {col: ref_col}).
    derived_from: tuple[str, str, dict[str, str]] | None = None
    reference: bool = False
    extra_checks: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


def _c(name: str, type_: str, description: str, **kw) -> Column:
    return Column(name, type_, description, **kw)


GRADES = ("immediate", "prompt", "standard", "scheduled")
CHANNELS = ("999", "101", "webchat", "online_report")
SURVEYS = ("victim_satisfaction", "community_confidence")
RISK_LEVELS = ("standard", "medium", "high")
THRIVE_LEVELS = ("low", "medium", "high")
AGE_GROUPS = ("0-12", "13-15", "16-17", "18-24", "25-39", "40-59", "60+", "unknown")
PRIORITY_GROUPS = (
    "none",
    "serious_crime",
    "persistently_targeted",
    "vulnerable_or_intimidated",
)
ORDER_TYPES = ("SPO", "DVPN", "DVPO", "SHPO", "NMO", "occupation", "child_arrangements")
CONTACT_TYPES = ("initial", "update", "key_event", "outcome")
# How a victim first contacted the police (THRIVE assessment at the initial point of contact).
FIRST_CONTACT_CHANNELS = (*CHANNELS, "in_person")
SAFEGUARDING_KINDS = (
    "marac",
    "operation_encompass",
    "idva",
    "victim_witness_hub",
    "sarc",
    "da_alliance",
)
COURTS = ("magistrates", "crown")
TRIAL_OUTCOMES = ("effective", "cracked", "ineffective")
COURT_RESULTS = ("guilty_plea", "convicted_after_trial", "acquitted", "discontinued", "dismissed")
AUDIT_CASE_TYPES = ("crime", "stalking", "court_case")

_DISTRICT = _c(
    "district",
    "VARCHAR",
    "District (local authority) from the geography reference table, or one of the buckets "
    f"'{NO_LOCATION}' / '{OUTSIDE_FORCE}'",
    required=True,
    ref="geography.district",
)

CRIMES = Table(
    name="crimes",
    description="One row per recorded crime.",
    key=("crime_id",),
    version_column="updated_at",
    derived_from=(
        "offence_codes",
        "offence_code",
        {
            "offence_group": "offence_group",
            "victim_based": "victim_based",
            "cchi_days": "cchi_days",
        },
    ),
    date_order=(("reported_at", "recorded_at"), ("recorded_at", "outcome_at")),
    columns=(
        _c("crime_id", "VARCHAR", "Crime reference, unique in the force", required=True),
        _c("reported_at", "TIMESTAMP", "When the crime was reported to the police", required=True),
        _c("recorded_at", "TIMESTAMP", "When it was recorded as a crime", required=True),
        _c(
            "offence_code",
            "VARCHAR",
            "Home Office offence code (e.g. 28E)",
            required=True,
            ref="offence_codes.offence_code",
        ),
        _c(
            "offence_group",
            "VARCHAR",
            "Offence group (Home Office recorded-crime subgroup); filled from the offence code",
            derived=True,
        ),
        _c(
            "victim_based",
            "BOOLEAN",
            "Victim-based crime (else other crimes against society); filled from the offence code",
            derived=True,
        ),
        _c(
            "cchi_days",
            "DOUBLE",
            "Crime harm weight: Cambridge Crime Harm Index days of the offence; filled from the "
            "offence code",
            derived=True,
            derived_default_only=True,
            minimum=0,
        ),
        _DISTRICT,
        _c("domestic_abuse", "BOOLEAN", "Flagged as domestic abuse"),
        _c("hate", "BOOLEAN", "Flagged as a hate crime"),
        _c("child_sexual_abuse", "BOOLEAN", "Flagged as child sexual abuse"),
        _c("child_sexual_exploitation", "BOOLEAN", "Flagged as child sexual exploitation"),
        _c("knife", "BOOLEAN", "Involved a knife or sharp instrument"),
        _c("victim_age_group", "VARCHAR", "Victim's age group", allowed=AGE_GROUPS),
        _c(
            "victim_priority_group",
            "VARCHAR",
            "Victims Code priority group",
            allowed=PRIORITY_GROUPS,
        ),
        _c("risk_level", "VARCHAR", "Assessed risk (DASH for domestic abuse)", allowed=RISK_LEVELS),
        _c(
            "outcome_type",
            "INTEGER",
            "Home Office outcome type 1-22; empty while the investigation is open",
            ref="outcome_types.outcome_type",
            minimum=1,
            maximum=22,
        ),
        _c("outcome_at", "TIMESTAMP", "When the outcome was assigned"),
        _c("supervisory_unit", "VARCHAR", "Investigating / supervising unit"),
        _c("updated_at", "TIMESTAMP", "When this version of the record was extracted"),
        _c(
            "victim_id",
            "VARCHAR",
            "Pseudonymous victim reference, the same for every crime against the same victim "
            "(a person or, for shoplifting, a business); empty when there is no victim",
        ),
        _c(
            "suspect_id",
            "VARCHAR",
            "Pseudonymous suspect reference, the same for every crime the same person is "
            "suspected of; empty while no suspect is identified",
        ),
    ),
    extra_checks=("outcome_pair",),
)

INCIDENTS = Table(
    name="incidents",
    description="One row per call for service (incident) with its grade and attendance.",
    key=("incident_id",),
    version_column="updated_at",
    date_order=(("created_at", "first_arrival_at"),),
    columns=(
        _c("incident_id", "VARCHAR", "Incident reference", required=True),
        _c("created_at", "TIMESTAMP", "When the incident was created", required=True),
        _c("grade", "VARCHAR", "Response grade", required=True, allowed=GRADES),
        _c(
            "incident_type",
            "VARCHAR",
            "Incident type (e.g. domestic, concern_for_safety, violence, theft)",
            required=True,
        ),
        _DISTRICT,
        _c("first_arrival_at", "TIMESTAMP", "First officer arrival; empty if not attended"),
        _c(
            "resource_unavailable",
            "BOOLEAN",
            "No resource was available when the incident was graded",
        ),
        _c("thrive_threat", "VARCHAR", "THRIVE: threat", allowed=THRIVE_LEVELS),
        _c("thrive_harm", "VARCHAR", "THRIVE: harm", allowed=THRIVE_LEVELS),
        _c("thrive_risk", "VARCHAR", "THRIVE: risk", allowed=THRIVE_LEVELS),
        _c("thrive_investigation", "VARCHAR", "THRIVE: investigation", allowed=THRIVE_LEVELS),
        _c("thrive_vulnerability", "VARCHAR", "THRIVE: vulnerability", allowed=THRIVE_LEVELS),
        _c("thrive_engagement", "VARCHAR", "THRIVE: engagement", allowed=THRIVE_LEVELS),
        _c("crime_id", "VARCHAR", "Crime recorded from the incident, if any"),
        _c("updated_at", "TIMESTAMP", "When this version of the record was extracted"),
    ),
)

CALLS = Table(
    name="calls",
    description="One row per public contact (999, 101, webchat, online report).",
    key=("call_id",),
    date_order=(("received_at", "answered_at"),),
    columns=(
        _c("call_id", "VARCHAR", "Contact reference", required=True),
        _c("received_at", "TIMESTAMP", "When the contact arrived", required=True),
        _c("channel", "VARCHAR", "Contact channel", required=True, allowed=CHANNELS),
        _c("answered_at", "TIMESTAMP", "When it was answered; empty if abandoned"),
        _c("abandoned", "BOOLEAN", "Caller hung up before answer", required=True),
        _c("wait_seconds", "INTEGER", "Seconds waited before answer or abandonment", minimum=0),
    ),
)

_SAT = "7-point satisfaction scale: 1 completely satisfied ... 7 completely dissatisfied"
SURVEY_RESPONSES = Table(
    name="survey_responses",
    description="One row per survey response (victim satisfaction or community confidence).",
    key=("response_id",),
    columns=(
        _c("response_id", "VARCHAR", "Response reference", required=True),
        _c("survey", "VARCHAR", "Which survey", required=True, allowed=SURVEYS),
        _c("interviewed_at", "TIMESTAMP", "Interview date", required=True),
        _DISTRICT,
        _c("crime_id", "VARCHAR", "Crime the victim was surveyed about (satisfaction survey)"),
        _c("offence_group", "VARCHAR", "Survey offence group (e.g. burglary, violent crime)"),
        _c("overall", "INTEGER", f"Overall service; {_SAT}", minimum=1, maximum=7),
        _c("ease_of_contact", "INTEGER", f"Ease of contact; {_SAT}", minimum=1, maximum=7),
        _c("actions_taken", "INTEGER", f"Actions taken; {_SAT}", minimum=1, maximum=7),
        _c("follow_up", "INTEGER", f"Follow-up; {_SAT}", minimum=1, maximum=7),
        _c("treatment", "INTEGER", f"Treatment; {_SAT}", minimum=1, maximum=7),
        _c(
            "confidence",
            "INTEGER",
            "'The police are dealing with the things that matter': 5-point agreement scale, "
            "1 strongly agree ... 5 strongly disagree",
            minimum=1,
            maximum=5,
        ),
        _c("weight", "DOUBLE", "Survey weight (empty = 1)", minimum=0),
    ),
)

VICTIM_CONTACTS = Table(
    name="victim_contacts",
    description="One row per Victims Code contact due to a victim.",
    key=("contact_id",),
    columns=(
        _c("contact_id", "VARCHAR", "Contact reference", required=True),
        _c("crime_id", "VARCHAR", "Crime the contact relates to", required=True),
        _c("due_at", "TIMESTAMP", "When the contact was due", required=True),
        _c("made_at", "TIMESTAMP", "When it was made; empty if not made"),
        _c("contact_type", "VARCHAR", "Kind of contact", required=True, allowed=CONTACT_TYPES),
        _c("district", "VARCHAR", "District of the crime", ref="geography.district"),
        _c("offence_group", "VARCHAR", "Offence group of the crime (for compliance by type)"),
        _c("supervisory_unit", "VARCHAR", "Unit investigating / supervising the crime"),
        _c(
            "officer",
            "VARCHAR",
            "Officer in the case who owes the contact (collar number or a pseudonymous "
            "reference); the dashboard's daily list groups by unit and officer",
        ),
    ),
)

REFERRALS = Table(
    name="referrals",
    description=(
        "One row per referral of a victim to a support service (Victim and Witness Hub, SARC, "
        "IDVA, DA Alliance). Kept for frameworks and extracts written for it; "
        "`safeguarding_referrals` holds every kind of referral and is what the default "
        "framework reads."
    ),
    key=("referral_id",),
    columns=(
        _c("referral_id", "VARCHAR", "Referral reference", required=True),
        _c("crime_id", "VARCHAR", "Crime the victim was referred for"),
        _c(
            "service",
            "VARCHAR",
            "Service referred to (victim_witness_hub, sarc, da_alliance, idva, ...)",
            required=True,
        ),
        _c("referred_at", "TIMESTAMP", "When the referral was made", required=True),
        _c("result", "VARCHAR", "Result of the referral, if known"),
        _c("district", "VARCHAR", "District of the victim", ref="geography.district"),
    ),
)

THRIVE_ASSESSMENTS = Table(
    name="thrive_assessments",
    description=(
        "One row per THRIVE risk assessment at a victim's initial point of contact (threat, "
        "harm, risk, investigation, vulnerability, engagement)."
    ),
    key=("assessment_id",),
    columns=(
        _c("assessment_id", "VARCHAR", "Assessment reference", required=True),
        _c("assessed_at", "TIMESTAMP", "When the contact was assessed", required=True),
        _c("incident_id", "VARCHAR", "Incident assessed, if the contact became one"),
        _c("crime_id", "VARCHAR", "Crime recorded from the contact, if any"),
        _c("victim_id", "VARCHAR", "Pseudonymous victim reference (as on crimes)"),
        _c(
            "channel",
            "VARCHAR",
            "How the victim first contacted the police",
            allowed=FIRST_CONTACT_CHANNELS,
        ),
        _c(
            "completed",
            "BOOLEAN",
            "A THRIVE assessment was completed at first contact",
            required=True,
        ),
        _c("threat", "VARCHAR", "THRIVE: threat", allowed=THRIVE_LEVELS),
        _c("harm", "VARCHAR", "THRIVE: harm", allowed=THRIVE_LEVELS),
        _c("risk", "VARCHAR", "THRIVE: risk", allowed=THRIVE_LEVELS),
        _c("investigation", "VARCHAR", "THRIVE: investigation", allowed=THRIVE_LEVELS),
        _c("vulnerability", "VARCHAR", "THRIVE: vulnerability", allowed=THRIVE_LEVELS),
        _c("engagement", "VARCHAR", "THRIVE: engagement", allowed=THRIVE_LEVELS),
        _c(
            "priority_group",
            "VARCHAR",
            "Victims Code enhanced-rights category identified at first contact (victims of the "
            "most serious crime, persistently targeted, vulnerable or intimidated), or none",
            allowed=PRIORITY_GROUPS,
        ),
        _c("grade", "VARCHAR", "Response grade given", allowed=GRADES),
        _c("district", "VARCHAR", "District of the contact", ref="geography.district"),
    ),
)

SAFEGUARDING_REFERRALS = Table(
    name="safeguarding_referrals",
    description=(
        "One row per safeguarding or support referral of a victim: MARAC, Operation Encompass, "
        "IDVA, Victim and Witness Hub, SARC, DA Alliance."
    ),
    key=("referral_id",),
    columns=(
        _c("referral_id", "VARCHAR", "Referral reference", required=True),
        _c("kind", "VARCHAR", "Referred to", required=True, allowed=SAFEGUARDING_KINDS),
        _c("referred_at", "TIMESTAMP", "When the referral was made", required=True),
        _c("crime_id", "VARCHAR", "Crime the victim was referred for, if any"),
        _c("victim_id", "VARCHAR", "Pseudonymous victim reference (as on crimes)"),
        _c(
            "outcome",
            "VARCHAR",
            "What came of the referral, if known (e.g. heard, support_accepted, "
            "support_declined, no_contact, order_granted)",
        ),
        _c("district", "VARCHAR", "District of the victim", ref="geography.district"),
    ),
)

COURT_CASES = Table(
    name="court_cases",
    description=(
        "One row per charged case in court, for the victim's journey: charge, first hearing, "
        "trial, finalisation."
    ),
    key=("case_id",),
    date_order=(
        ("charged_at", "first_hearing_at"),
        ("first_hearing_at", "finalised_at"),
        ("charged_at", "trial_listed_at"),
    ),
    columns=(
        _c("case_id", "VARCHAR", "Court case reference", required=True),
        _c("crime_id", "VARCHAR", "Crime charged", required=True),
        _c("victim_id", "VARCHAR", "Pseudonymous victim reference (as on crimes)"),
        _c("charged_at", "TIMESTAMP", "When the suspect was charged or summonsed", required=True),
        _c("court", "VARCHAR", "Court the case was finalised in (or is listed at)", allowed=COURTS),
        _c("first_hearing_at", "TIMESTAMP", "First hearing; empty until it is held"),
        _c("trial_listed_at", "TIMESTAMP", "Date the trial was listed for; empty if none"),
        _c(
            "trial_outcome",
            "VARCHAR",
            "The listed trial: effective (went ahead), cracked (ended on the day without a "
            "trial: late plea or prosecution dropped) or ineffective (adjourned); empty if none",
            allowed=TRIAL_OUTCOMES,
        ),
        _c("finalised_at", "TIMESTAMP", "When the case was finalised; empty while ongoing"),
        _c("result", "VARCHAR", "Result when finalised", allowed=COURT_RESULTS),
        _c("district", "VARCHAR", "District of the crime", ref="geography.district"),
    ),
)

AUDITS = Table(
    name="audits",
    description=(
        "One row per answer in a case audit: the Victims Code (VCOP) compliance audit and the "
        "domestic abuse scrutiny reviews (`forcestat audit`; questions per scheme in "
        "docs/audits.md)."
    ),
    key=("scheme", "case_id", "question"),
    columns=(
        _c("scheme", "VARCHAR", "Audit scheme (vcop, da_scrutiny)", required=True),
        _c("case_id", "VARCHAR", "Crime or court case audited", required=True),
        _c("case_type", "VARCHAR", "What the case is", required=True, allowed=AUDIT_CASE_TYPES),
        _c("crime_id", "VARCHAR", "Crime the case concerns"),
        _c(
            "period_end",
            "DATE",
            "Last day of the month or quarter the case was sampled for",
            required=True,
        ),
        _c("auditor", "VARCHAR", "Who answered"),
        _c("audited_at", "DATE", "When the case was audited"),
        _c("question", "VARCHAR", "Question id of the scheme", required=True),
        _c("answer", "VARCHAR", "Answer as given (one of the question's answers)", required=True),
        _c(
            "compliant",
            "BOOLEAN",
            "The answer meets the standard the question asks about; empty when the question "
            "does not apply",
        ),
        _c("offence_group", "VARCHAR", "Offence group of the crime (sampling stratum)"),
        _c("district", "VARCHAR", "District of the crime", ref="geography.district"),
    ),
)

CIVIL_ORDERS = Table(
    name="civil_orders",
    description="One row per civil order applied for.",
    key=("order_id",),
    date_order=(("applied_at", "decided_at"),),
    columns=(
        _c("order_id", "VARCHAR", "Order reference", required=True),
        _c("order_type", "VARCHAR", "Type of order", required=True, allowed=ORDER_TYPES),
        _c("applied_at", "TIMESTAMP", "When the application was made", required=True),
        _c("decided_at", "TIMESTAMP", "When the court decided; empty while pending"),
        _c("granted", "BOOLEAN", "Whether granted; empty while pending"),
        _c("district", "VARCHAR", "District", ref="geography.district"),
        _c(
            "referral_id",
            "VARCHAR",
            "Referral that led to the order (e.g. DA Alliance; `safeguarding_referrals`)",
        ),
    ),
)

MISSING_PERSONS = Table(
    name="missing_persons",
    description="One row per missing person report.",
    key=("report_id",),
    columns=(
        _c("report_id", "VARCHAR", "Report reference", required=True),
        _c("reported_at", "TIMESTAMP", "When reported missing", required=True),
        _c("age", "INTEGER", "Age in years", minimum=0, maximum=120),
        _c("in_care", "BOOLEAN", "A child in local-authority care"),
        _c("from_childrens_home", "BOOLEAN", "Reported missing from a children's home"),
        _DISTRICT,
    ),
)

WORKLOAD_SNAPSHOTS = Table(
    name="workload_snapshots",
    description="One row per unit per day: the investigation workload at the snapshot.",
    key=("snapshot_date", "unit"),
    columns=(
        _c("snapshot_date", "DATE", "Day of the snapshot", required=True),
        _c("unit", "VARCHAR", "Unit (e.g. IMU, a CID team)", required=True),
        _c("awaiting_qa", "INTEGER", "Crimes awaiting QA / linking", minimum=0),
        _c("awaiting_closure", "INTEGER", "Crimes awaiting closure", minimum=0),
        _c("live_investigations", "INTEGER", "Live investigations", minimum=0),
    ),
)

CANONICAL: tuple[Table, ...] = (
    CRIMES,
    INCIDENTS,
    CALLS,
    SURVEY_RESPONSES,
    VICTIM_CONTACTS,
    REFERRALS,
    CIVIL_ORDERS,
    MISSING_PERSONS,
    WORKLOAD_SNAPSHOTS,
    THRIVE_ASSESSMENTS,
    SAFEGUARDING_REFERRALS,
    COURT_CASES,
    AUDITS,
)

# Reference tables ship with the package (src/forcestat/store/reference/*.csv) and are copied
# into every store so a force can replace them (e.g. its own geography) by loading a file.
GEOGRAPHY = Table(
    name="geography",
    description="District -> area -> force, with population (ONS mid-year estimates).",
    key=("force", "district"),
    reference=True,
    columns=(
        _c("force", "VARCHAR", "Police force area", required=True),
        _c("area", "VARCHAR", "Policing area within the force", required=True),
        _c("district", "VARCHAR", "District (local authority district)", required=True),
        _c("lad_code", "VARCHAR", "ONS local authority district code (2019)"),
        _c("population", "BIGINT", "Mid-year population estimate", minimum=0),
        _c("population_year", "INTEGER", "Year of the population estimate"),
    ),
)

OFFENCE_CODES = Table(
    name="offence_codes",
    description="Home Office offence code -> offence group -> victim-based, with harm weights.",
    key=("offence_code",),
    reference=True,
    columns=(
        _c("offence_code", "VARCHAR", "Home Office offence code", required=True),
        _c("offence_description", "VARCHAR", "Offence description", required=True),
        _c("offence_group", "VARCHAR", "Home Office recorded-crime subgroup", required=True),
        _c("police_uk_crime_type", "VARCHAR", "data.police.uk crime type", required=True),
        _c("victim_based", "BOOLEAN", "Victim-based crime", required=True),
        _c(
            "cchi_days",
            "DOUBLE",
            "Cambridge Crime Harm Index days (2026 update, median for the subgroup)",
        ),
        _c("css_weight", "DOUBLE", "ONS Crime Severity Score weight (not published here)"),
    ),
)

OUTCOME_TYPES = Table(
    name="outcome_types",
    description="Home Office outcome types 1-22 with labels and groups.",
    key=("outcome_type",),
    reference=True,
    columns=(
        _c("outcome_type", "INTEGER", "Home Office outcome type", required=True),
        _c("label", "VARCHAR", "Home Office label", required=True),
        _c("outcome_group", "VARCHAR", "Group (charge, out_of_court, no_further_action, ...)"),
        _c(
            "prosecution_possible",
            "BOOLEAN",
            "Counts as a 'prosecution possible' (positive) outcome by default",
            required=True,
        ),
    ),
)

SURVEY_SCALES = Table(
    name="survey_scales",
    description="Labels of the survey answer scales and which answers count as positive.",
    key=("scale", "code"),
    reference=True,
    columns=(
        _c("scale", "VARCHAR", "satisfaction_7 or agreement_5", required=True),
        _c("code", "INTEGER", "Answer code", required=True),
        _c("label", "VARCHAR", "Answer label", required=True),
        _c("positive", "BOOLEAN", "Counts as satisfied / agreed", required=True),
    ),
)

REFERENCE: tuple[Table, ...] = (GEOGRAPHY, OFFENCE_CODES, OUTCOME_TYPES, SURVEY_SCALES)

# The date that places each canonical record in a month (the engine's default for a measure
# that names none; the store summary's date range).
DATE_COLUMNS: dict[str, str] = {
    "crimes": "recorded_at",
    "incidents": "created_at",
    "calls": "received_at",
    "survey_responses": "interviewed_at",
    "victim_contacts": "due_at",
    "referrals": "referred_at",
    "civil_orders": "applied_at",
    "missing_persons": "reported_at",
    "workload_snapshots": "snapshot_date",
    "thrive_assessments": "assessed_at",
    "safeguarding_referrals": "referred_at",
    "court_cases": "charged_at",
    "audits": "period_end",
}

ALL_TABLES: dict[str, Table] = {t.name: t for t in CANONICAL + REFERENCE}


def get_table(name: str) -> Table:
    try:
        return ALL_TABLES[name]
    except KeyError:
        known = ", ".join(sorted(ALL_TABLES))
        raise KeyError(f"unknown table {name!r}; known tables: {known}") from None


def create_table_sql(table: Table, name: str | None = None, lineage: bool = True) -> str:
    cols = [f'"{c.name}" {c.type}' for c in table.columns]
    if lineage and not table.reference:
        cols += [
            '"source_file" VARCHAR',
            '"source_row" BIGINT',
            '"loaded_at" TIMESTAMP',
            '"load_id" VARCHAR',
        ]
    return f"CREATE TABLE IF NOT EXISTS {q(name or table.name)} ({', '.join(cols)})"


# --- Public data sources (issue 5) --------------------------------------------------------------
# Tables written by the data.police.uk and Home Office / ONS importers (forcestat.store.sources).
# They are kept out of CANONICAL, REFERENCE and ALL_TABLES so the canonical store, its generated
# data-model page and the engine are unchanged; the importers create them on first use
# (see SOURCE_TABLES) and docs/police-uk.md describes them.

ASB = "Anti-social behaviour"

POLICE_UK_CRIME_TYPES = Table(
    name="police_uk_crime_types",
    description=(
        "data.police.uk crime type -> representative Home Office offence code and group. "
        "Group-level figures finer than the crime type are not available from that source."
    ),
    key=("crime_type",),
    reference=True,
    columns=(
        _c("crime_type", "VARCHAR", "data.police.uk crime type, as published", required=True),
        _c("is_crime", "BOOLEAN", "False for anti-social behaviour (never crime)", required=True),
        _c(
            "offence_code",
            "VARCHAR",
            "Representative Home Office offence code (empty for anti-social behaviour)",
        ),
        _c("offence_group", "VARCHAR", "Offence group of the representative code"),
        _c("covers", "VARCHAR", "Home Office offence groups the crime type covers"),
        _c(
            "cchi_days",
            "DOUBLE",
            "Cambridge Crime Harm Index days for the crime type (2024/25 volume-weighted mean of "
            "the subgroup medians)",
        ),
    ),
)

POLICE_UK_OUTCOMES = Table(
    name="police_uk_outcomes",
    description=(
        "data.police.uk outcome category -> Home Office outcome type (empty = still open)."
    ),
    key=("outcome_category",),
    reference=True,
    columns=(
        _c("outcome_category", "VARCHAR", "data.police.uk outcome category", required=True),
        _c(
            "outcome_type",
            "INTEGER",
            "Home Office outcome type 1-22; empty when the category means the crime is open",
            minimum=1,
            maximum=22,
        ),
        _c("covers", "VARCHAR", "Home Office outcome types the category stands for"),
        _c("why", "VARCHAR", "Reason for the mapping", required=True),
    ),
)

POLICE_UK_CRIMES = Table(
    name="police_uk_crimes",
    description=(
        "One row per crime in a data.police.uk street file, as published (the source of the "
        "`crimes` rows the importer derives, and where the original LSOA is kept)."
    ),
    key=("crime_id",),
    columns=(
        _c(
            "crime_id",
            "VARCHAR",
            "Crime ID; 'noid-...' (a hash of the row) when the file gives none",
            required=True,
        ),
        _c("month", "DATE", "Month of the crime (first day)", required=True),
        _c("reported_by", "VARCHAR", "Force that provided the record"),
        _c("falls_within", "VARCHAR", "Force whose area the crime falls within"),
        _c("longitude", "DOUBLE", "Anonymised longitude"),
        _c("latitude", "DOUBLE", "Anonymised latitude"),
        _c("location", "VARCHAR", "Anonymised location ('On or near ...', 'No location')"),
        _c("lsoa_code", "VARCHAR", "LSOA code (2011 or 2021 coding)"),
        _c("lsoa_name", "VARCHAR", "LSOA name, e.g. 'Fenland 005A'"),
        _c(
            "crime_type",
            "VARCHAR",
            "data.police.uk crime type",
            required=True,
            ref="police_uk_crime_types.crime_type",
        ),
        _c(
            "last_outcome_category",
            "VARCHAR",
            "Outcome when the file was published (a snapshot)",
            ref="police_uk_outcomes.outcome_category",
        ),
        _c("context", "VARCHAR", "Context"),
        _DISTRICT,
    ),
)

POLICE_UK_OUTCOME_EVENTS = Table(
    name="police_uk_outcome_events",
    description=(
        "One row per crime, month and outcome category in data.police.uk outcomes files: each "
        "crime's outcome history."
    ),
    key=("crime_id", "month", "outcome_category"),
    columns=(
        _c("crime_id", "VARCHAR", "Crime ID (joins police_uk_crimes)", required=True),
        _c("month", "DATE", "Month the outcome was recorded (first day)", required=True),
        _c(
            "outcome_category",
            "VARCHAR",
            "data.police.uk outcome type",
            required=True,
            ref="police_uk_outcomes.outcome_category",
        ),
        _c("reported_by", "VARCHAR", "Force that provided the record"),
        _c("falls_within", "VARCHAR", "Force whose area the crime falls within"),
    ),
)

ASB_INCIDENTS = Table(
    name="asb_incidents",
    description=(
        "One row per anti-social behaviour incident (data.police.uk street files). Anti-social "
        "behaviour is not crime and never enters `crimes`."
    ),
    key=("asb_id",),
    columns=(
        _c(
            "asb_id",
            "VARCHAR",
            "'asb-' + a hash of the row + its occurrence (the source has no identifier)",
            required=True,
        ),
        _c("reported_at", "TIMESTAMP", "Month of the incident (first day)", required=True),
        _DISTRICT,
        _c("reported_by", "VARCHAR", "Force that provided the record"),
        _c("falls_within", "VARCHAR", "Force whose area the incident falls within"),
        _c("longitude", "DOUBLE", "Anonymised longitude"),
        _c("latitude", "DOUBLE", "Anonymised latitude"),
        _c("location", "VARCHAR", "Anonymised location"),
        _c("lsoa_code", "VARCHAR", "LSOA code (2011 or 2021 coding)"),
        _c("lsoa_name", "VARCHAR", "LSOA name"),
        _c("context", "VARCHAR", "Context"),
    ),
)

# Home Office and ONS tables, loaded from the user's files with `--format home-office`. Their
# column names are the files' headers so that the files load as they are.
_FY = "Financial year, 'YYYY/YY' (April to March)"

HO_RECORDED_CRIME = Table(
    name="ho_recorded_crime",
    description="Police recorded crime per police force area per financial year (Home Office).",
    key=("force", "fy"),
    columns=(
        _c("force", "VARCHAR", "Police force area", required=True),
        _c("slug", "VARCHAR", "Force name as a slug"),
        _c("fy", "VARCHAR", _FY, required=True),
        _c("recorded_crime", "BIGINT", "Crimes recorded", required=True, minimum=0),
    ),
)

_HO_OUTCOME_COLUMNS = tuple(
    _c(
        f"{basis}_{scope}_{what}",
        "BIGINT",
        f"{label}: {'crimes closed' if basis == 'closed' else 'crimes recorded'} in the year, "
        f"{'all offences' if scope == 'all' else 'excluding fraud'}",
        minimum=0,
    )
    for basis in ("closed", "recorded")
    for scope in ("all", "ex_fraud")
    for what, label in (
        ("t1", "Outcome type 1 (charged/summonsed)"),
        ("t2", "Outcome type 2 (youth caution)"),
        ("t3", "Outcome type 3 (adult caution)"),
        ("t6", "Outcome type 6 (penalty notice for disorder)"),
        ("t7", "Outcome type 7 (cannabis/khat warning)"),
        ("t8", "Outcome type 8 (community resolution)"),
        ("t22", "Outcome type 22 (diversionary activity)"),
        ("oocd", "Out-of-court disposals (types 2, 3, 6, 7, 8, 22)"),
        ("positive", "Type 1 plus out-of-court disposals"),
        ("assigned", "All outcomes assigned"),
    )
)

HO_OUTCOMES = Table(
    name="ho_outcomes",
    description="Home Office crime outcomes per police force area per financial year.",
    key=("force", "fy"),
    columns=(
        _c("force", "VARCHAR", "Police force area", required=True),
        _c("slug", "VARCHAR", "Force name as a slug"),
        _c("fy", "VARCHAR", _FY, required=True),
        *_HO_OUTCOME_COLUMNS,
    ),
)

ONS_POPULATION = Table(
    name="ons_population",
    description="ONS mid-year population estimates by local authority district (2019 codes).",
    key=("ladcode19", "year"),
    columns=(
        _c("ladcode19", "VARCHAR", "Local authority district code (2019)", required=True),
        _c("laname19", "VARCHAR", "Local authority district name"),
        _c("year", "INTEGER", "Mid-year of the estimate", required=True),
        _c("population", "BIGINT", "Resident population", required=True, minimum=0),
    ),
)

ONS_CRIME_SEVERITY = Table(
    name="ons_crime_severity",
    description="ONS Crime Severity Score by police force area / region / country and offence "
    "group, per financial year.",
    key=("code", "offence_group", "year_ending"),
    columns=(
        _c("offence_group", "VARCHAR", "Offence group", required=True),
        _c("code", "VARCHAR", "ONS area code (E23/W15 police force areas)", required=True),
        _c("name", "VARCHAR", "Area name"),
        _c("year", "VARCHAR", "The spreadsheet's column header (use year_ending)"),
        _c("severity_score", "DOUBLE", "Crime Severity Score"),
        _c("year_ending", "DATE", "Last day of the financial year", required=True),
    ),
)

POLICE_FORCE_AREAS = Table(
    name="police_force_areas",
    description="The 43 territorial police force areas of England and Wales.",
    key=("pfa_code",),
    reference=True,
    columns=(
        _c("pfa_code", "VARCHAR", "ONS police force area code", required=True),
        _c("pfa_name", "VARCHAR", "Name as the Home Office tables spell it", required=True),
        _c("country", "VARCHAR", "England or Wales", required=True),
    ),
)

LAD_PFA = Table(
    name="lad_pfa",
    description="Local authority district (2019) -> police force area, for the forces sourced.",
    key=("lad_code",),
    reference=True,
    columns=(
        _c("lad_code", "VARCHAR", "ONS local authority district code (2019)", required=True),
        _c("lad_name", "VARCHAR", "District name", required=True),
        _c("pfa_name", "VARCHAR", "Police force area", required=True),
    ),
)

POLICE_UK_TABLES: tuple[Table, ...] = (POLICE_UK_CRIMES, POLICE_UK_OUTCOME_EVENTS, ASB_INCIDENTS)
NATIONAL_TABLES: tuple[Table, ...] = (
    HO_RECORDED_CRIME,
    HO_OUTCOMES,
    ONS_POPULATION,
    ONS_CRIME_SEVERITY,
)
# Packaged in src/forcestat/store/reference/ like the canonical reference tables.
SOURCE_REFERENCE: tuple[Table, ...] = (
    POLICE_UK_CRIME_TYPES,
    POLICE_UK_OUTCOMES,
    POLICE_FORCE_AREAS,
    LAD_PFA,
)
SOURCE_TABLES: dict[str, Table] = {
    t.name: t for t in SOURCE_REFERENCE + POLICE_UK_TABLES + NATIONAL_TABLES
}
