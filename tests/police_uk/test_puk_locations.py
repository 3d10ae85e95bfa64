"""The dashboard's hexbin map of a data.police.uk store: the crime locations of the last 12
months of street files, counted from the CSVs with Python's csv module, and a commander's map
holding only their own district's crimes."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import numpy as np
from puk_helpers import CAMBS_DISTRICTS, bucket, district_of, read_rows, street

from forcestat.store.sources.police_uk import load_police_uk
from forcestat.web.query import Scope
from forcestat.web.snapshot import crime_locations
from forcestat.web.views import hexbin_points

JAN, FEB_GZ, JAN24 = (
    "2019-01-cambridgeshire-street.csv",
    "2019-02-cambridgeshire-street.csv.gz",
    "2024-01-cambridgeshire-street.csv",
)


def located(names: list[str], months: set[str]) -> Counter:
    """Crimes (not anti-social behaviour) with a published location, by store district."""
    out: Counter = Counter()
    for p in street(*names):
        for r in read_rows(p):
            if r["Crime type"] == "Anti-social behaviour" or r["Month"] not in months:
                continue
            if r["Longitude"].strip() and r["Latitude"].strip():
                out[bucket(district_of(r))] += 1
    return out


def test_locations_of_the_last_twelve_months(new_store):
    st = new_store()
    load_police_uk(st, street(JAN, FEB_GZ))
    points, districts, span = crime_locations(st.duck)
    want = located([JAN, FEB_GZ], {"2019-01", "2019-02"})
    assert points.shape == (sum(want.values()), 2)
    assert Counter(districts.tolist()) == want
    assert span == "January 2019 to February 2019"
    # The force's own districts' points lie in Cambridgeshire's box.
    own = points[np.isin(districts, sorted(CAMBS_DISTRICTS))]
    assert len(own) > 0
    assert np.all((own[:, 0] > -0.6) & (own[:, 0] < 0.6) & (own[:, 1] > 52.0) & (own[:, 1] < 52.8))
    # A file five years on: only its months are the last twelve.
    load_police_uk(st, street(JAN24))
    points, districts, span = crime_locations(st.duck)
    assert Counter(districts.tolist()) == located([JAN24], {"2024-01"})
    assert span == "January 2024"


def test_a_commander_sees_their_own_district_only(new_store):
    st = new_store()
    load_police_uk(st, street(JAN))
    points, districts, span = crime_locations(st.duck)
    areas = {"Fenland": "North", "Peterborough": "North", "Cambridge": "South"}
    snap = SimpleNamespace(points=points, point_districts=districts, areas=areas)
    everyone, outlines = hexbin_points(snap, Scope("board"))
    assert len(everyone) == len(points) and outlines == sorted(areas)
    mine, outlines = hexbin_points(snap, Scope("board", frozenset({("district", "Fenland")})))
    assert outlines == ["Fenland"]
    assert len(mine) == located([JAN], {"2019-01"})["Fenland"] > 0
    assert set(map(tuple, mine)) <= set(map(tuple, points[districts == "Fenland"]))
    nothing, outlines = hexbin_points(snap, Scope("board", frozenset()))
    assert nothing is None and outlines == []


def test_a_store_without_street_files_has_no_locations(new_store):
    st = new_store()
    assert crime_locations(st.duck) == (None, None, "")
