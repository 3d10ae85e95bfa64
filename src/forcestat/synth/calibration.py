"""Every calibration constant of the synthetic force, each with the source it comes from.

Sources (all under /work/shared):
  [HO-PRC]  data/real/home_office/pfa_recorded_crime_by_financial_year.csv (Home Office PRC, OGL)
  [HO-OUT]  data/real/home_office/pfa_outcomes_by_financial_year_subset.csv (Home Office outcomes)
  [PUK-5.1] data/real/SOURCES.md section 5.1: data.police.uk Cambridgeshire street file 2019-01
  [PUK-5.3] data/real/SOURCES.md section 5.3: data.police.uk Cambridgeshire street files 2024
  [BOARD]   reference/board-report-2020-05.txt (Cambridgeshire Board report, 12 months to Mar 2020)
  [ONS]     store/reference/geography.csv (ONS mid-2019 population estimates)
  [ASSUMED] a plausible value chosen by us where no public figure was to hand; the docs list
            these so nobody mistakes them for facts.

Months in storylines are counted back from the report month ``end`` (rel = 0 is ``end``,
rel = -11 the first month of the last 12). Storylines are therefore found by a report for any
``end``; the lockdown alone is tied to the calendar (23 March 2020).
"""

from __future__ import annotations

# Tables of numbers read best aligned as written: keep the formatter out.
# fmt: off

# --------------------------------------------------------------------------------------------
# Recorded crime: volume and district shares
# --------------------------------------------------------------------------------------------

# [HO-PRC] Cambridgeshire recorded crime 2018/19 = 64,505 and 2019/20 = 68,220 (+5.76%).
# The last 12 months generated are calibrated to the 2019/20 figure.
ANNUAL_CRIMES = 68_220

# [PUK-5.3] crimes by district, calendar 2024 (data.police.uk, ASB excluded). Used as the
# district shares of recorded crime (located crimes only).
DISTRICT_CRIME_COUNTS_2024 = {
    "Peterborough": 22_463,
    "Cambridge": 14_922,
    "Huntingdonshire": 9_776,
    "Fenland": 7_883,
    "South Cambridgeshire": 7_213,
    "East Cambridgeshire": 4_130,
}
# [PUK-5.3] 2,761 of 69,622 crimes (4%) had no location; we put a smaller share in the
# 'No location' bucket so district totals still carry almost all the crime.
NO_LOCATION_SHARE = 0.01  # [ASSUMED]

# Domestic abuse follows population more than city-centre crime: its district shares are the
# mean of the crime shares above and the ONS mid-2019 population shares [ONS]. [ASSUMED]
DA_DISTRICT_BLEND_POPULATION = 0.5

# Storyline "recorded crime up year on year in every district significantly except
# Peterborough; Cambridge and East Cambridgeshire double-digit" [BOARD 4.3.5]: growth of all
# recorded crime, last 12 months vs the 12 before. Weighted = +6.2% (HO 2019/20: +5.76%).
DISTRICT_GROWTH = {
    "Peterborough": 0.0,
    "Cambridge": 0.13,
    "Huntingdonshire": 0.065,
    "Fenland": 0.065,
    "South Cambridgeshire": 0.065,
    "East Cambridgeshire": 0.14,
}

# --------------------------------------------------------------------------------------------
# Crime mix: data.police.uk types -> Home Office offence codes
# --------------------------------------------------------------------------------------------

# [PUK-5.1] Cambridgeshire street file 2019-01, crimes by data.police.uk type (ASB excluded).
POLICE_UK_TYPE_COUNTS = {
    "Violence and sexual offences": 1555,
    "Vehicle crime": 653,
    "Criminal damage and arson": 628,
    "Other theft": 582,
    "Burglary": 517,
    "Shoplifting": 336,
    "Public order": 328,
    "Bicycle theft": 317,
    "Other crime": 117,
    "Drugs": 113,
    "Robbery": 81,
    "Theft from the person": 68,
    "Possession of weapons": 53,
}

# Offence codes within each data.police.uk type, relative weights. [ASSUMED], guided by the
# national shares of Home Office offence subgroups (e.g. burglary: ~40% residential dwelling
# 28E/28F/29, ~12% residential non-dwelling, ~48% business and community).
CODE_WEIGHTS: dict[str, dict[str, float]] = {
    "Vehicle crime": {"45": 55, "48": 25, "126": 17, "37.2": 3},
    "Criminal damage and arson": {
        "58A": 24, "58B": 9, "58C": 30, "58D": 26, "58E": 1, "59": 3, "56A": 1, "56B": 6,
    },
    "Other theft": {"49": 72, "40": 6, "41": 3, "42": 0.5, "43": 0.5, "47": 0.5, "54": 3, "35": 4},
    "Burglary": {
        "28E": 31, "28F": 9, "29": 0.6, "28G": 10, "28H": 2, "30C": 40, "30D": 7, "31": 0.4,
    },
    "Shoplifting": {"46": 1},
    "Public order": {"9A": 82, "9B": 8, "62A": 1, "66": 9},
    "Bicycle theft": {"44": 1},
    "Other crime": {
        "33": 4, "38": 3, "60": 8, "80": 1, "82": 0.5, "83": 15, "95": 30, "99": 33.5, "802": 5,
    },
    "Drugs": {"92A": 15, "92C": 2, "92D": 60, "92E": 23},
    "Robbery": {"34B": 88, "34A": 12},
    "Theft from the person": {"39": 1},
    "Possession of weapons": {"10D": 55, "10C": 35, "10A": 4, "81": 6},
}

# Violence and sexual offences other than the sexual strata below: relative weights per code.
# [ASSUMED] from national 2019/20 subgroup sizes: violence with injury ~33%, without injury
# ~38%, stalking and harassment ~28%, homicide ~0.05% of non-sexual violence.
VIOLENCE_WEIGHTS = {
    "1": 0.4, "4.1": 0.1,
    "8N": 270, "5D": 12, "5E": 3, "2": 2, "8P": 6, "4.4": 0.6, "4.8": 0.6, "37.1": 0.05,
    "4.6": 0.05, "4.9": 0.1, "4.10": 0.01,
    "105A": 290, "104": 25, "105B": 8, "3B": 12, "11A": 8, "13": 1.5, "36": 1.5, "106": 2,
    "12": 0.05, "3A": 0.1,
    "8R": 120, "8L": 70, "8U": 35, "8Q": 25, "8M": 6,
}

# Sexual offences and child sexual exploitation, per year (last 12 months), force level.
# [ASSUMED] sizes so that sexual offences are ~9.5% of violence and sexual offences (national
# 2019/20 share). Each stratum: codes with weights, victim age profile, flags, storyline.
# Storylines [BOARD 5.2.1, 5.3.1]: serious sexual offences (rape + other sexual offences) up
# significantly at force level and in North, driven by sexual assaults, rapes stable, adult
# share rising, South comparable; CSA up significantly in both areas; CSE more than a third of
# CSA-flagged crimes in the last year (about a quarter the year before).
SEXUAL_STRATA: dict[str, dict] = {
    "adult_rape": {
        "per_year": 420, "codes": {"19C": 92, "19F": 8}, "ages": "adult_sexual",
        "csa": False, "cse": False, "da_share": 0.35, "story": None,
    },
    "child_rape": {
        "per_year": 200, "codes": {"19D": 45, "19E": 35, "19G": 10, "19H": 10},
        "ages": "child_rape", "csa": True, "cse": False, "da_share": 0.0, "story": None,
    },
    "adult_sexual_assault": {
        "per_year": 950, "codes": {"20A": 62, "17A": 8, "88E": 25, "70": 2, "73": 3},
        "ages": "adult_sexual", "csa": False, "cse": False, "da_share": 0.08,
        "story": "sexual_assault",
    },
    "child_sexual_other": {
        "per_year": 420,
        "codes": {"20A": 25, "20B": 20, "17B": 5, "21": 12, "22B": 18, "23": 5, "86": 15},
        "ages": "child_other", "csa": True, "cse": False, "da_share": 0.0, "story": None,
    },
    "cse_sexual": {
        "per_year": 100, "codes": {"71": 40, "88A": 35, "22B": 25}, "ages": "cse",
        "csa": True, "cse": True, "da_share": 0.0, "story": None,
    },
    # CSE recorded under non-sexual codes (online sexual communication recorded as malicious
    # communications, abduction, trafficking): flagged CSA and CSE but outside the serious
    # sexual offence groups, so the CSE rise does not swamp the adult share of those.
    "cse_other": {
        "per_year": 400, "codes": {"8R": 80, "13": 12, "106": 8}, "ages": "cse",
        "csa": True, "cse": True, "da_share": 0.0, "story": "cse",
    },
}
# Sexual-assault storyline: last-12-month level relative to the 12 months before, by area.
SEXUAL_ASSAULT_GROWTH = {"North": 0.85, "South": 0.05}
# CSE storyline: last-12-month level relative to the 12 months before (a step).
CSE_GROWTH = 1.5  # x2.5

# Share of each code's crimes flagged domestic abuse. [ASSUMED] so that DA is ~14% of
# recorded crime (Cambridgeshire DA-related crime ~10k a year, ONS DA bulletins).
DA_SHARE = {
    "8N": 0.55, "105A": 0.50, "3B": 0.45, "5D": 0.20, "5E": 0.10, "2": 0.15, "8P": 0.03,
    "105B": 0.05, "13": 0.10, "36": 0.15, "1": 0.20, "4.1": 0.10,
    "8R": 0.35, "8L": 0.45, "8U": 1.0, "8Q": 0.60, "8M": 0.03,
    "58A": 0.35, "58C": 0.08, "58D": 0.10, "56B": 0.05, "59": 0.20,
    "40": 0.20, "49": 0.03, "28E": 0.03,
}
# Storyline "domestic abuse rising in every district" [BOARD 5.1.2]: DA crimes grow this much
# a year, every year, in every district.
DA_ANNUAL_GROWTH = 0.20

# Hate: the racially or religiously aggravated codes are always hate crimes; other codes
# carry a small hate flag rate. [ASSUMED]
HATE_CODES = ("8P", "105B", "8M", "58E", "9B")
HATE_RATE = {"105A": 0.02, "8N": 0.01, "9A": 0.05, "8L": 0.03, "8R": 0.03, "58D": 0.01}
# Knife or sharp instrument involved, by code. [ASSUMED] (national: ~1.5% of violence)
KNIFE_RATE = {
    "10D": 1.0, "10C": 0.05, "2": 0.35, "5D": 0.25, "5E": 0.05, "1": 0.40, "8N": 0.04,
    "3B": 0.10, "34A": 0.20, "34B": 0.15, "105A": 0.005,
}

# Victim age profiles over schema AGE_GROUPS
# ("0-12", "13-15", "16-17", "18-24", "25-39", "40-59", "60+", "unknown"). [ASSUMED]
AGE_PROFILES = {
    "adult_general": (0.02, 0.03, 0.03, 0.16, 0.33, 0.28, 0.12, 0.03),
    "business": (0, 0, 0, 0.02, 0.05, 0.05, 0.01, 0.87),
    "adult_sexual": (0, 0, 0, 0.38, 0.40, 0.18, 0.04, 0),
    "child_rape": (0.45, 0.40, 0.15, 0, 0, 0, 0, 0),
    "child_other": (0.45, 0.38, 0.17, 0, 0, 0, 0, 0),
    "cse": (0.06, 0.58, 0.36, 0, 0, 0, 0, 0),
    "child_cruelty": (0.85, 0.12, 0.03, 0, 0, 0, 0, 0),
}
AGE_PROFILE_FOR_CODE = {"46": "business", "30C": "business", "30D": "business",
                        "31": "business", "34A": "business", "41": "business",
                        "11A": "child_cruelty", "12": "child_cruelty", "13": "child_cruelty"}

# Seasonality, (peak month, amplitude) by data.police.uk type: violence peaks in summer,
# burglary in winter. [ASSUMED] amplitudes of the order seen in police.uk monthly series.
SEASONALITY = {
    "Violence and sexual offences": (7, 0.10),
    "Burglary": (12, 0.15),
    "Vehicle crime": (11, 0.08),
    "Bicycle theft": (8, 0.25),
    "Shoplifting": (12, 0.05),
    "Criminal damage and arson": (11, 0.05),
    "Public order": (7, 0.08),
}
SEASONALITY_DA = (7, 0.05)

# --------------------------------------------------------------------------------------------
# COVID-19 lockdown (calendar dates, England)
# --------------------------------------------------------------------------------------------
# Intensity 0..1 by date: lockdown from 23 March 2020, easing over summer, the November 2020
# and January 2021 lockdowns, reopening to 21 June 2021. Each series falls by depth*intensity.
LOCKDOWN_POINTS = (
    ("2020-03-22", 0.0), ("2020-03-25", 1.0), ("2020-05-31", 1.0), ("2020-08-31", 0.3),
    ("2020-11-04", 0.3), ("2020-11-06", 0.8), ("2020-12-02", 0.8), ("2020-12-04", 0.3),
    ("2021-01-05", 0.3), ("2021-01-07", 0.8), ("2021-03-08", 0.8), ("2021-06-21", 0.0),
)
# Fall in recorded crime at full lockdown, by data.police.uk type (ONS: police recorded crime
# fell ~25% in April-May 2020; shoplifting and burglary most). DA does not fall. [ASSUMED]
LOCKDOWN_DEPTH_CRIME = {
    "default": 0.25, "Shoplifting": 0.50, "Burglary": 0.30, "Theft from the person": 0.60,
    "Bicycle theft": 0.10, "Drugs": -0.10, "Violence and sexual offences": 0.25,
}
LOCKDOWN_DEPTH_SEXUAL = 0.15
LOCKDOWN_DEPTH_INCIDENTS = 0.18
LOCKDOWN_DEPTH_CALLS = {"999": 0.15, "101": 0.25, "webchat": 0.0, "online_report": -0.10}
LOCKDOWN_DEPTH_MISSING = 0.40

# --------------------------------------------------------------------------------------------
# Outcomes
# --------------------------------------------------------------------------------------------
# [HO-OUT] Cambridgeshire 2019/20, closed basis, per recorded crime (68,220): charge (1)
# 5,324 = 7.8%; youth caution (2) 124; adult caution (3) 484; PND (6) 0; cannabis warning (7)
# 1; community resolution (8) 1,361; diversionary (22) 246; positive 7,540 = 11.05%.
# The Board report gives 10.8% for prosecution-possible (1,2,3,4,6,7,8) in the 12 months to
# March 2020 (cohort basis, some crimes still open). We calibrate the eventual rate of the last
# 12 months to 11.35% so that the as-at rate (recent crimes still maturing) is ~10.7%, close to
# the long-term benchmark, and the closed-basis rate (outcomes assigned in the year / crimes
# recorded in it) comes out near the Home Office 11%.
TARGET_POSITIVE_RATE = 0.1135
POSITIVE_TYPE_MIX = {1: 5324, 2: 124, 3: 484, 4: 60, 7: 1, 8: 1361}  # 4 (TIC): [ASSUMED]
DIVERSIONARY_RATE = 246 / 68_220  # type 22, only assigned from January 2019 (HO rule change)
DIVERSIONARY_FROM = "2019-01-01"

# Relative positive-outcome rates by Home Office offence group (before scaling to the target
# above). [ASSUMED] national 2019/20 ordering: drugs and weapons high, acquisitive low.
POSITIVE_RATE_BY_GROUP = {
    "Homicide": 0.60, "Violence with injury": 0.13,
    "Death or serious injury - unlawful driving": 0.50, "Violence without injury": 0.10,
    "Stalking and harassment": 0.06, "Rape offences": 0.04, "Other sexual offences": 0.07,
    "Robbery of business property": 0.15, "Robbery of personal property": 0.08,
    "Residential burglary": 0.05, "Non-residential burglary": 0.04, "Vehicle offences": 0.025,
    "Theft from the person": 0.02, "Bicycle theft": 0.02, "Shoplifting": 0.30,
    "Other theft offences": 0.06, "Arson": 0.04, "Criminal damage": 0.06,
    "Trafficking of drugs": 0.55, "Possession of drugs": 0.75,
    "Possession of weapons offences": 0.60, "Public order offences": 0.14,
    "Miscellaneous crimes against society": 0.45,
}
# North outperforms South [BOARD 4.1.2]. Multiplier on the positive-outcome probability.
AREA_POSITIVE_FACTOR = {"North": 1.08, "South": 0.92}
# All-crime storyline [BOARD 4.1.2]: a dip then a rise over the last 9 months, driven by
# community resolutions (OOCD team); knots (rel month, multiplier), linear between.
ALL_CRIME_POSITIVE_PATH = ((-600, 1.0), (-12, 1.0), (-9, 0.97), (0, 1.21))
# Burglary dwelling (28E, 28F, 29) storyline [BOARD 4.1.2]: absolute positive rate rising.
BURGLARY_DWELLING_CODES = ("28E", "28F", "29")
BURGLARY_DWELLING_POSITIVE_PATH = ((-600, 0.06), (-14, 0.06), (0, 0.18))
# Domestic abuse storyline [BOARD 4.1.2, 5.1.3]: falling for years, halted over the last 7
# months, more charges in the last 3.
DA_POSITIVE_PATH = ((-59, 0.22), (-7, 0.13), (-3, 0.13), (-2, 0.145), (0, 0.145))
DA_POSITIVE_TYPE_MIX = {1: 80, 3: 8, 2: 2, 8: 10}

# Non-positive outcome mixes by kind of crime. [ASSUMED]; gives outcome 18 ("no suspect") for
# ~45% of crimes, near the 52.8% "no suspect identified" in [PUK-5.1]'s last outcomes.
NEGATIVE_MIX = {
    "acquisitive": {18: 85, 14: 5, 16: 3, 15: 3, 20: 1.5, 21: 1, 10: 0.5, 17: 0.5, 5: 0.05,
                    12: 0.2, 9: 0.2},
    "person": {18: 20, 16: 42, 15: 20, 14: 7, 20: 3, 21: 3, 10: 1, 9: 1, 11: 1, 12: 0.5,
               13: 0.5, 5: 0.1, 17: 1},
    "society": {18: 25, 15: 33, 16: 8, 14: 5, 21: 10, 10: 5, 20: 5, 9: 5, 17: 4},
}
NEGATIVE_KIND_BY_TYPE = {
    "Violence and sexual offences": "person", "Public order": "society", "Drugs": "society",
    "Possession of weapons": "society", "Other crime": "society",
}  # everything else: acquisitive

# Outcome delays after recording, days (lognormal median, sigma). Most outcomes within 1-3
# months [BOARD]; rape investigations average ~8 months [BOARD 5.3.3]. [ASSUMED] otherwise.
CUSTODY_SHARE_OF_POSITIVES = 0.50  # charged / disposed of within 0-2 days
DELAY_POSITIVE = (20, 1.2)
DELAY_NO_SUSPECT = (21, 0.9)  # outcome 18: filed quickly by the IMU
DELAY_OTHER = (60, 0.9)
DELAY_RAPE = (200, 0.6)  # mean = 200*exp(0.18) = 240 days = 8 months
DELAY_SEXUAL = (110, 0.7)

# --------------------------------------------------------------------------------------------
# Incidents (calls for service)
# --------------------------------------------------------------------------------------------
# [ASSUMED] ~120k incidents a year for a force of ~68k crimes; share of crimes that arose from
# an incident (and link to it) by data.police.uk type.
ANNUAL_INCIDENTS = 120_000
CRIME_FROM_INCIDENT = {
    "Violence and sexual offences": 0.60, "Burglary": 0.70, "Robbery": 0.80,
    "Other theft": 0.25, "Shoplifting": 0.40, "Vehicle crime": 0.30,
    "Criminal damage and arson": 0.45, "Public order": 0.70, "Possession of weapons": 0.60,
    "Drugs": 0.20, "Bicycle theft": 0.20, "Theft from the person": 0.40, "Other crime": 0.20,
}
CRIME_FROM_INCIDENT_DA = 0.80
INCIDENT_TYPE_FOR_CRIME = {
    "Violence and sexual offences": "violence", "Robbery": "violence",
    "Possession of weapons": "violence", "Burglary": "burglary", "Other theft": "theft",
    "Shoplifting": "theft", "Vehicle crime": "theft", "Bicycle theft": "theft",
    "Theft from the person": "theft", "Criminal damage and arson": "criminal_damage",
    "Public order": "asb", "Drugs": "suspicious", "Other crime": "other",
}
# Incidents that did not become crimes, share of the non-crime volume. [ASSUMED]
NONCRIME_INCIDENT_MIX = {
    "asb": 24, "concern_for_safety": 24, "road_traffic": 13, "suspicious": 11, "domestic": 9,
    "mental_health": 7, "missing_person": 4, "theft": 2, "violence": 2, "other": 4,
}
# Grade mix by incident type (immediate, prompt, standard, scheduled). [ASSUMED] to give
# immediate ~17% and prompt ~35% overall before the shift.
GRADE_MIX = {
    "domestic": (0.30, 0.50, 0.12, 0.08), "concern_for_safety": (0.25, 0.42, 0.23, 0.10),
    "violence": (0.28, 0.42, 0.20, 0.10), "theft": (0.05, 0.25, 0.40, 0.30),
    "burglary": (0.15, 0.38, 0.30, 0.17), "asb": (0.06, 0.32, 0.42, 0.20),
    "road_traffic": (0.25, 0.35, 0.30, 0.10), "suspicious": (0.15, 0.40, 0.35, 0.10),
    "mental_health": (0.22, 0.45, 0.23, 0.10), "missing_person": (0.25, 0.55, 0.15, 0.05),
    "criminal_damage": (0.06, 0.30, 0.40, 0.24), "sexual": (0.20, 0.40, 0.25, 0.15),
    "other": (0.05, 0.25, 0.40, 0.30),
}
# Storyline "shift in grading from prompt to immediate" [BOARD 4.1.1]: this share of the
# prompt mass moves to immediate, ramping up over the last 12 months.
GRADE_SHIFT = ((-600, 0.0), (-12, 0.0), (0, 0.20))
# First arrival, minutes: lognormal (median, sigma) by grade. Immediate ~11-13 min stable;
# prompt ~60-90 min and worsening [BOARD 4.1.1]. [ASSUMED] standard/scheduled.
ARRIVAL = {"immediate": (11.0, 0.55), "prompt": (55.0, 0.9), "standard": (300.0, 0.9),
           "scheduled": (1700.0, 0.6)}
PROMPT_WORSENING = ((-600, 1.0), (-18, 1.0), (0, 1.30))
NOT_ATTENDED = {"immediate": 0.02, "prompt": 0.06, "standard": 0.35, "scheduled": 0.25}
# Rural districts take longer to reach. [ASSUMED]
DISTRICT_ARRIVAL_FACTOR = {
    "Peterborough": 0.95, "Cambridge": 0.90, "Huntingdonshire": 1.10, "Fenland": 1.25,
    "South Cambridgeshire": 1.10, "East Cambridgeshire": 1.30,
}
# Prompt attendance varies by incident type [BOARD 4.1.1]. [ASSUMED]
TYPE_PROMPT_FACTOR = {"domestic": 1.15, "mental_health": 1.10, "asb": 1.20, "theft": 1.10,
                      "violence": 0.90, "road_traffic": 0.85}
# No resource available when graded; domestic incidents more often [BOARD 5.1.1]. [ASSUMED]
RESOURCE_UNAVAILABLE = {"immediate": 0.04, "prompt": 0.18, "standard": 0.10, "scheduled": 0.05}
RESOURCE_UNAVAILABLE_DOMESTIC = {"immediate": 0.08, "prompt": 0.35, "standard": 0.15,
                                 "scheduled": 0.05}
RESOURCE_UNAVAILABLE_DELAY = 2.0  # arrival takes this many times longer

# --------------------------------------------------------------------------------------------
# Calls (Demand Hub) [BOARD 4.3.2]
# --------------------------------------------------------------------------------------------
# Last-12-month volumes and annual growth. 999 rising, 101 falling, online double-digit growth;
# combined volume down. Volumes [ASSUMED] (Cambridgeshire order of magnitude).
CALLS_PER_YEAR = {"999": 110_000, "101": 300_000, "webchat": 24_000, "online_report": 18_000}
CALLS_GROWTH = {"999": 0.06, "101": -0.07, "webchat": 0.30, "online_report": 0.25}
CALLS_SEASONALITY = {"999": (7, 0.08), "101": (7, 0.03)}
# Wait before answer, seconds: lognormal (median, sigma). 101 worsening over the last year.
CALL_WAIT = {"999": (4.0, 0.6), "101": (95.0, 0.9), "webchat": (90.0, 1.0),
             "online_report": (3 * 3600.0, 1.0)}
WAIT_101_PATH = ((-600, 1.0), (-12, 1.0), (0, 2.1))
ABANDON = {"999": 0.01, "101": 0.07, "webchat": 0.06, "online_report": 0.0}
ABANDON_101_PATH = ((-600, 0.07), (-12, 0.07), (0, 0.15))

# --------------------------------------------------------------------------------------------
# Surveys
# --------------------------------------------------------------------------------------------
# Victim satisfaction [BOARD 4.1.1]: 750/971 = 77.2% at least fairly satisfied (codes 1-3 of
# 7) in the 12 months to March 2020, marginally lower than the year before.
SATISFACTION_PER_YEAR = 971
# Sampling-rate uplift, should the interviews in the last 12 months fall short of 971 (victims
# of the last weeks' crimes are interviewed after the extract). 1.0 gives ~980 at seed 1.
SATISFACTION_SAMPLING_UPLIFT = 1.0
SATISFACTION_QUOTA = {"violent crime": 0.30, "burglary": 0.25, "domestic abuse": 0.20,
                      "vehicle crime": 0.15, "hate crime": 0.10}
# P(at least fairly satisfied), (12 months before the last, last 12 months). Violent crime
# deteriorating; burglary and hate crime improving; DA highest [BOARD 4.1.1]. [ASSUMED] levels.
SATISFACTION_OVERALL = {"violent crime": (0.77, 0.675), "burglary": (0.80, 0.85),
                        "domestic abuse": (0.84, 0.84), "vehicle crime": (0.735, 0.735),
                        "hate crime": (0.72, 0.78)}
# Aspects: P(satisfied) for a victim satisfied overall and for one who is not. Follow-up is
# the lowest-scoring aspect [BOARD 4.1.1]. [ASSUMED]
ASPECTS = {"ease_of_contact": (0.97, 0.70), "actions_taken": (0.90, 0.35),
           "follow_up": (0.80, 0.20), "treatment": (0.98, 0.65)}
# More recent challenges around ease of contact and actions taken: last 6 months, multiplier
# on P(satisfied | satisfied overall); violent-crime follow-up deteriorating most.
RECENT_ASPECT_DROP = {"ease_of_contact": 0.95, "actions_taken": 0.94}
VIOLENT_FOLLOW_UP_DROP = 0.85
# Community confidence [BOARD 4.1.3]: 56.4% agree (codes 1-2 of 5), n = 879; South stable or
# improved, North deteriorated, Fenland below 50% (n = 134) from a level the year before high
# enough for the fall to be significant. (responses a year, P(agree) in
# the 12 months before the last, P(agree) in the last 12 months).
CONFIDENCE = {
    "Peterborough": (175, 0.56, 0.52), "Fenland": (134, 0.59, 0.455),
    "Huntingdonshire": (150, 0.60, 0.55), "Cambridge": (140, 0.60, 0.62),
    "South Cambridgeshire": (145, 0.62, 0.63), "East Cambridgeshire": (135, 0.61, 0.61),
}

# --------------------------------------------------------------------------------------------
# Victims Code, referrals, civil orders
# --------------------------------------------------------------------------------------------
# VCC compliance fluctuates around ~78% [BOARD 6.1.2], improving after the lockdown [4.3.8].
VCC_COMPLIANCE = {"initial": 0.86, "update": 0.66, "key_event": 0.82, "outcome": 0.78}
VCC_MONTHLY_SD = 0.025
VCC_LOCKDOWN_GAIN = 0.08
VCC_UPDATE_EVERY_DAYS = 28
VCC_MAX_UPDATES = 3
# Victim and Witness Hub referral rate of victim-based crimes: 20.8% in the quarter before
# last, 22.3% in the last quarter [BOARD 6.2.1]; 20.5% before that [ASSUMED].
HUB_REFERRAL_PATH = ((-600, 0.205), (-6, 0.205), (-5, 0.208), (-3, 0.208), (-2, 0.223),
                     (0, 0.223))
HUB_RESULTS = {"support_accepted": 45, "support_declined": 35, "no_contact": 20}
SARC_RATE = {"Rape offences": 0.45, "sexual_assault": 0.15}  # [ASSUMED]
SARC_RESULTS = {"forensic_medical": 60, "support_only": 40}
IDVA_RATE_HIGH_RISK = 0.70
IDVA_RESULTS = {"engaged": 65, "declined": 35}
# DA Alliance pilot in Peterborough [BOARD 6.3.4]: 85 referrals -> 41 non-molestation orders,
# 1 occupation order, 1 child arrangements order. Runs over the last 6 months.
DA_ALLIANCE = {"referrals": 85, "NMO": 41, "occupation": 1, "child_arrangements": 1,
               "pending_NMO": 2, "months": 6, "district": "Peterborough"}
# Other civil orders a year. [ASSUMED] (force-size appropriate). SPOs exist from
# 20 January 2020 (Stalking Protection Act 2019); the first went to court in March 2020.
DVPN_PER_YEAR = 180
DVPO_AFTER_DVPN = 0.85
DVPO_GRANTED = 0.92
SHPO_PER_YEAR = 35
SPO_FROM = "2020-01-20"
SPO_FIRST = "2020-03-10"
SPO_PER_MONTH = 2.0

# --------------------------------------------------------------------------------------------
# Victims and suspects (repeat victimisation, the "power few") [ASSUMED]
# --------------------------------------------------------------------------------------------
# Per kind: (probability a crime is against someone already victimised, mean days back to the
# earlier crime whose victim it repeats). Police-recorded repeat rates (victim of another crime
# in the previous 12 months) are usually put at 15-20% of crimes against persons and 35-45% of
# domestic abuse; shops are victimised over and over.
VICTIM_REPEATS = {
    "person": (0.17, 200.0),
    "domestic_abuse": (0.46, 150.0),
    "business": (0.92, 40.0),
}
# Suspects of crimes with an identified suspect: (probability the suspect was suspected of an
# earlier crime of the same kind in the district, mean days back). Prolific acquisitive
# offenders make the heaviest tail.
SUSPECT_REPEATS = {
    "acquisitive": (0.80, 300.0),
    "violent_or_other_victim": (0.45, 300.0),
    "society": (0.60, 240.0),
}
# A domestic abuse victim's abuser is the same across their repeats; a new victim's abuser is,
# this often, someone who abused an earlier victim (mean days back to that victim).
DA_SERIAL_ABUSER = 0.15
DA_SERIAL_ABUSER_TAU_DAYS = 700.0

# THRIVE at first contact [BOARD 6.1.1: "firmly embedded as business as usual"]. [ASSUMED]
# completion rates; online reports carry a partial assessment more often.
THRIVE_COMPLETED = 0.94
THRIVE_COMPLETED_ONLINE = 0.78
# Victims Code priority victims identified at first contact, by group [ASSUMED]: persistent
# targeting is seen when the victim has a recent history; vulnerability is the hardest. An
# incomplete assessment halves the chance.
PRIORITY_IDENTIFIED = {
    "serious_crime": 0.93,
    "persistently_targeted": 0.45,
    "persistently_targeted_repeat": 0.85,
    "false_positive": 0.03,
}
PRIORITY_IDENTIFIED_NOT_COMPLETED = 0.5
# Storyline: vulnerable or intimidated victims identified at first contact, 68% until the last
# 12 months, rising to 80% by the report month (the Demand Hub review and communications plan,
# BOARD 6.1.1).
VULNERABLE_IDENTIFIED_PATH = ((-600, 0.68), (-12, 0.68), (0, 0.80))

# Safeguarding referrals [ASSUMED]: every high-risk DA victim should go to MARAC; Operation
# Encompass tells a child's school by the next school day after a DA incident with children.
MARAC_RATE_HIGH_RISK = 0.90
MARAC_OUTCOMES = {"heard": 92, "not_heard": 8}
DA_CHILDREN_PRESENT = 0.38
ENCOMPASS_NOTIFIED = 0.88
ENCOMPASS_OUTCOMES = {"school_notified": 100}

# Court cases of charged crimes [ASSUMED, shaped on HMCTS/CPS national figures]. Crimes whose
# CCHI weight is at least a year go to the Crown Court (a few more by election).
CROWN_CCHI_DAYS = 365.0
CROWN_ELECTION = 0.04
# Guilty plea at the first hearing (magistrates) or the plea hearing (Crown).
GUILTY_PLEA_FIRST = {"magistrates": 0.62, "crown": 0.40}
DISCONTINUED_BEFORE_TRIAL = 0.08
# Days: first hearing after charge (custody next day, else postal requisition), trial listed
# after the first hearing, relisting after an ineffective trial.
FIRST_HEARING_CUSTODY = 0.35
FIRST_HEARING_DAYS = {"custody": (1, 2), "postal": (21, 60)}
TRIAL_LISTED_DAYS = {"magistrates": (50, 140), "crown": (120, 330)}
RELIST_DAYS = (40, 120)
CROWN_SENTENCE_DAYS = (21, 42)
# First listed trial's outcome (effective, cracked, ineffective): domestic abuse trials crack
# more (victim withdrawal). From 23 March 2020 listed trials were adjourned (storyline 17).
TRIAL_OUTCOMES = {"da": (0.36, 0.40, 0.24), "other": (0.46, 0.34, 0.20)}
TRIAL_LOCKDOWN_INEFFECTIVE = 0.85
CONVICTED_AFTER_TRIAL = 0.62
CRACKED_DISCONTINUED = {"da": 0.45, "other": 0.25}

# Case audits in the demo from April 2018 (VCOP quarterly, DA scrutiny monthly) [ASSUMED]:
# compliance rates of the questions the records do not answer; auditors disagree with the
# record this often.
AUDITS_FROM = "2018-04"
AUDIT_DISAGREE = 0.03
AUDIT_RATES = {
    "written_acknowledgement": 0.88,
    "support_declined": 0.20,
    "support_referral": 0.84,
    "update_frequency_agreed": 0.72,
    "vps_offered": 0.66,
    "positive_action": 0.76,
    "positive_action_high": 0.90,
    "remanded": 0.10,
    "released_nfa": 0.12,
    "risk_assessment": 0.91,
    "safeguarding": 0.86,
    "protective_na": 0.30,
    "protective_order": 0.62,
    "victim_updated": 0.80,
    "supervisory_review": 0.84,
}
# Storyline: of DA suspects neither remanded nor released with no further action, the share
# released under investigation rather than bailed: 55% until the last 12 months, falling to
# 15% by the report month (presumption of bail, BOARD 6.1.5).
RUI_SHARE_PATH = ((-600, 0.55), (-12, 0.55), (0, 0.15))

# --------------------------------------------------------------------------------------------
# Missing persons [BOARD 5.2.2, 5.2.3]
# --------------------------------------------------------------------------------------------
MISSING_CHILDREN_PER_YEAR = 1_900  # last 12 months [ASSUMED]
MISSING_ADULTS_PER_YEAR = 1_300
MISSING_CHILD_GROWTH = 0.08  # children trending upwards
# Share of child reports about children in care: 45% until the last year, 36% in it.
IN_CARE_PATH = ((-600, 0.45), (-12, 0.45), (-11, 0.36), (0, 0.36))
# Share of child reports from a children's home: down year on year but rising recently.
CHILDRENS_HOME_PATH = ((-600, 0.25), (-12, 0.25), (-11, 0.15), (-4, 0.15), (0, 0.23))

# --------------------------------------------------------------------------------------------
# Workload [BOARD 4.3.3]
# --------------------------------------------------------------------------------------------
# IMU backlog: awaiting QA/linking and awaiting closure, high, with spikes in system downtime;
# cleared quickly after the lockdown. [ASSUMED] levels.
IMU_AWAITING_QA = 900
IMU_AWAITING_CLOSURE = 1200
OTHER_UNIT_BACKLOG = 40
DOWNTIME_EVENTS_PER_YEAR = 4
LOCKDOWN_BACKLOG_FLOOR = 0.35  # backlog falls to this share within three weeks

# --------------------------------------------------------------------------------------------
# National set (forces > 1)
# --------------------------------------------------------------------------------------------
NATIONAL_CRIMES_5Y = 30_000_000  # total crimes over 5 years, all forces [brief]
NATIONAL_FY = "2019/20"  # force sizes proportional to [HO-PRC] recorded crime in this year
# [HO-PRC] recorded crime 2019/20 by territorial police force area (43 forces).
NATIONAL_FORCES_2019_20 = {
    "Avon and Somerset": 141217,
    "Bedfordshire": 55971,
    "Cambridgeshire": 68220,
    "Cheshire": 94985,
    "City of London": 8734,
    "Cleveland": 69378,
    "Cumbria": 38201,
    "Derbyshire": 80118,
    "Devon and Cornwall": 100031,
    "Dorset": 54452,
    "Durham": 64474,
    "Dyfed-Powys": 32289,
    "Essex": 167128,
    "Gloucestershire": 41368,
    "Greater Manchester": 300210,
    "Gwent": 56643,
    "Hampshire": 161340,
    "Hertfordshire": 84297,
    "Humberside": 99758,
    "Kent": 190687,
    "Lancashire": 142230,
    "Leicestershire": 93476,
    "Lincolnshire": 59836,
    "Merseyside": 137651,
    "Metropolitan Police": 906062,
    "Norfolk": 65924,
    "North Wales": 60611,
    "North Yorkshire": 46607,
    "Northamptonshire": 62928,
    "Northumbria": 148619,
    "Nottinghamshire": 107340,
    "South Wales": 110917,
    "South Yorkshire": 148715,
    "Staffordshire": 79400,
    "Suffolk": 56992,
    "Surrey": 77104,
    "Sussex": 127832,
    "Thames Valley": 170699,
    "Warwickshire": 41981,
    "West Mercia": 86875,
    "West Midlands": 260839,
    "West Yorkshire": 288343,
    "Wiltshire": 43636,
}
# fmt: on
