"""A null force (``storylines=False``): no storyline, no lockdown, only noise and seasonality.

The calibration study (benchmarks/calibration.py) counts false alarms on such forces, so what
it calls "no change" must be flat. Checked with plain SQL year on year, against the same seed
with the storylines on (which must show them: the switch is what removes them).
"""

from __future__ import annotations

import math

import duckdb
import pytest

from forcestat.synth.calendar import Period
from forcestat.synth.force import demo_force
from forcestat.synth.generate import generate_force

LAST = "recorded_at >= '2019-07-01'"
PREV = "recorded_at >= '2018-07-01' AND recorded_at < '2019-07-01'"


def _z(a: float, b: float) -> float:
    """Poisson z of two counts over equal exposures."""
    return (a - b) / math.sqrt(a + b)


def _measure(storylines: bool) -> dict[str, float]:
    tables = generate_force(
        demo_force(),
        Period.of("2020-06", 3),
        seed=11,
        tables=("crimes", "missing_persons"),
        storylines=storylines,
    )
    con = duckdb.connect()
    for name, tbl in tables.items():
        con.register(name, tbl)

    def one(sql: str) -> float:
        return float(con.execute(sql).fetchone()[0])

    out = {}
    for name, cond in (
        ("da", "domestic_abuse"),
        ("csa", "child_sexual_abuse"),
        ("sso", "offence_group IN ('Rape offences', 'Other sexual offences')"),
    ):
        a = one(f"SELECT count(*) FROM crimes WHERE {cond} AND {LAST}")
        b = one(f"SELECT count(*) FROM crimes WHERE {cond} AND {PREV}")
        out[name] = _z(a, b)
    rows = con.execute(
        f"SELECT district, count(*) FILTER ({LAST}), count(*) FILTER ({PREV}) "
        "FROM crimes GROUP BY district"
    ).fetchall()
    out["district_max_abs"] = max(abs(_z(a, b)) for _, a, b in rows)
    # Lockdown months (April-May 2020) against the same months a year before.
    lock = "month(recorded_at) IN (4, 5)"
    a = one(f"SELECT count(*) FROM crimes WHERE {lock} AND year(recorded_at) = 2020")
    b = one(f"SELECT count(*) FROM crimes WHERE {lock} AND year(recorded_at) = 2019")
    out["lockdown"] = _z(a, b)
    kids = "age < 18"
    a = one(f"SELECT count(*) FROM missing_persons WHERE {kids} AND reported_at >= '2019-07-01'")
    b = one(
        f"SELECT count(*) FROM missing_persons WHERE {kids} AND reported_at >= '2018-07-01' "
        "AND reported_at < '2019-07-01'"
    )
    out["missing_children"] = _z(a, b)
    con.close()
    return out


@pytest.mark.parametrize("storylines", [False, True], ids=["null", "storylines"])
def test_null_force_has_no_storyline_or_lockdown(storylines):
    z = _measure(storylines)
    if storylines:
        # The switch is what removes them: the same seed with storylines shows each one.
        assert z["da"] > 4 and z["csa"] > 4 and z["sso"] > 2
        assert z["district_max_abs"] > 4 and z["lockdown"] < -10
    else:
        # Within sampling noise (fixed seed; |z| > 3.5 would be a 1-in-2000 event per check).
        for key in ("da", "csa", "sso", "district_max_abs", "lockdown", "missing_children"):
            assert abs(z[key]) < 3.5, (key, z[key])
