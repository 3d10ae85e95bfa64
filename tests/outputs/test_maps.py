"""District maps: the shipped boundaries, name matching, the choropleth and the hexbin density
map, rendered by the real renderer (vl-convert) and read back from the SVG."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from forcestat.outputs import boundaries as bnd
from forcestat.outputs import geometry as geo
from forcestat.outputs.maps import choropleth, hexbin

CAMBS = [
    "Cambridge",
    "East Cambridgeshire",
    "Fenland",
    "Huntingdonshire",
    "Peterborough",
    "South Cambridgeshire",
]
ROOT = Path(__file__).resolve().parents[2]


def _collection() -> dict:
    path = resources.files("forcestat.outputs.boundaries").joinpath(bnd.FILE)
    return json.loads(path.read_text(encoding="utf-8"))


# -- the boundary file ----------------------------------------------------------------------------


def test_boundary_file_is_englands_296_districts_in_wgs84():
    path = Path(str(resources.files("forcestat.outputs.boundaries").joinpath(bnd.FILE)))
    assert path.stat().st_size < 1_000_000
    features = _collection()["features"]
    names = [f["properties"]["name"] for f in features]
    assert len(names) == len(set(names)) == 296
    assert set(CAMBS) <= set(names)
    for f in features:
        assert f["geometry"]["type"] == "MultiPolygon"
        for poly in f["geometry"]["coordinates"]:
            for ring in poly:
                assert len(ring) >= 4 and ring[0] == ring[-1], f["properties"]["name"]
                a = np.asarray(ring)
                # England, in longitude/latitude (not British National Grid metres)
                assert (a[:, 0] > -6.5).all() and (a[:, 0] < 1.8).all()
                assert (a[:, 1] > 49.8).all() and (a[:, 1] < 55.9).all()


def test_boundary_file_ships_with_its_attribution():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["forcestat"]
    shipped = f"outputs/boundaries/{bnd.FILE}"
    assert any(fnmatch.fnmatch(shipped, p) for p in patterns)
    readme = resources.files("forcestat.outputs.boundaries").joinpath("README.md").read_text()
    assert "Open Government Licence v3.0" in readme
    assert "Contains OS data \u00a9 Crown copyright and database right 2024" in readme


def test_every_district_answers_to_its_own_name_and_no_two_collide():
    names = bnd.lad_names()
    for name in names:
        assert bnd.find(name)["properties"]["name"] == name
        assert bnd.find(name.upper())["properties"]["name"] == name
    keys = [k for n in names for k in bnd._keys(n)]
    assert len(keys) == len(set(keys))


def test_the_six_cambridgeshire_districts_match():
    found = bnd.boundaries(["PETERBOROUGH", "cambridge", *CAMBS[1:4], "South  Cambridgeshire"])
    assert found.unmatched == ()
    assert [f["properties"]["lad"] for f in found.features] == [
        "Peterborough",
        "Cambridge",
        "East Cambridgeshire",
        "Fenland",
        "Huntingdonshire",
        "South Cambridgeshire",
    ]
    # the feature carries the store's name, for labels
    assert found.features[0]["properties"]["name"] == "PETERBOROUGH"


@pytest.mark.parametrize(
    ("store_name", "lad"),
    [
        ("Brighton & Hove", "Brighton and Hove"),
        ("St Helens", "St. Helens"),
        ("Saint Albans", "St Albans"),
        ("Kingston upon Hull", "Kingston upon Hull, City of"),
        ("Hull", "Kingston upon Hull, City of"),
        ("City of Bristol", "Bristol, City of"),
        ("Bristol", "Bristol, City of"),
        ("Herefordshire", "Herefordshire, County of"),
        ("Kings Lynn & West Norfolk", "King's Lynn and West Norfolk"),
        ("Newcastle under Lyme", "Newcastle-under-Lyme"),
        ("Stockton on Tees", "Stockton-on-Tees"),
        ("Bournemouth, Christchurch & Poole", "Bournemouth, Christchurch and Poole"),
        ("Shepway", "Folkestone and Hythe"),
        ("City of Peterborough", "Peterborough"),
        ("City of London", "City of London"),
    ],
)
def test_names_match_across_spellings(store_name, lad):
    found = bnd.boundaries([store_name])
    assert found.unmatched == ()
    assert found.features[0]["properties"]["lad"] == lad


def test_names_that_match_nothing_are_reported():
    found = bnd.boundaries(["Cambridge", "Narnia", "Kettering", "Outside force area"])
    assert found.names == ("Cambridge",)
    assert found.unmatched == ("Narnia", "Kettering", "Outside force area")
    msg = found.problem()
    assert "'Narnia'" in msg and "'Outside force area'" in msg
    assert "'Kettering' (merged into North Northamptonshire in 2021)" in msg
    with pytest.raises(ValueError, match="Narnia"):
        bnd.boundaries(["Cambridge", "Narnia"], strict=True)
    assert bnd.boundaries(CAMBS, strict=True).problem() == ""


def test_two_names_for_one_district_are_an_error():
    with pytest.raises(ValueError, match="'Hull' and 'Kingston upon Hull'"):
        bnd.boundaries(["Hull", "Kingston upon Hull"])


# -- geometry (hand-worked) -----------------------------------------------------------------------


def test_label_point_of_a_u_shape_is_inside_an_arm():
    # A U: its centroid (2, ~1.9) lies in the notch, outside the shape.
    u = [[0, 0], [4, 0], [4, 4], [3, 4], [3, 1], [1, 1], [1, 4], [0, 4], [0, 0]]
    lon, lat = geo.label_point({"type": "Polygon", "coordinates": [u]}, geo.Plane(0.0))
    in_base = 0 < lon < 4 and 0 < lat < 1
    in_arm = (0 < lon < 1 or 3 < lon < 4) and 0 < lat < 4
    assert in_base or in_arm
    # and a square with a square hole: never in the hole
    sq = [[0, 0], [6, 0], [6, 6], [0, 6], [0, 0]]
    hole = [[2, 2], [2, 4], [4, 4], [4, 2], [2, 2]]
    lon, lat = geo.label_point({"type": "Polygon", "coordinates": [sq, hole]}, geo.Plane(0.0))
    assert not (2 <= lon <= 4 and 2 <= lat <= 4)


def test_rings_are_wound_for_vega():
    sq = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]  # anticlockwise (RFC 7946 exterior)
    hole = [[0.2, 0.2], [0.2, 0.8], [0.8, 0.8], [0.8, 0.2], [0.2, 0.2]]  # clockwise
    out = geo.for_vega({"type": "Polygon", "coordinates": [sq, hole]})
    ((ext, inner),) = out["coordinates"]

    # shoelace by hand: clockwise exterior has negative area, anticlockwise hole positive
    def area(r):
        return sum(r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1] for i in range(len(r) - 1)) / 2

    assert area(ext) == -1.0
    assert area(inner) == pytest.approx(0.36)


def test_hex_bin_puts_each_point_in_its_nearest_centre():
    rng = np.random.default_rng(5)
    xy = rng.uniform(-3, 3, size=(2000, 2))
    width = 0.7
    centres, counts = geo.hex_bin(xy, width)
    assert counts.sum() == len(xy)
    # brute force: every centre of the lattice near the points; each point to the nearest
    dy = width * np.sqrt(3) / 2
    lattice = np.array(
        [((i + 0.5 * (j % 2)) * width, j * dy) for i in range(-8, 9) for j in range(-6, 7)]
    )
    nearest = np.argmin(((xy[:, None, :] - lattice[None, :, :]) ** 2).sum(axis=2), axis=1)
    ids, brute = np.unique(nearest, return_counts=True)
    got = {tuple(np.round(c, 9)): int(n) for c, n in zip(centres, counts, strict=True)}
    want = {tuple(np.round(lattice[i], 9)): int(n) for i, n in zip(ids, brute, strict=True)}
    assert got == want


# -- rendering ------------------------------------------------------------------------------------

VALUES = {
    "Cambridge": 92.4,
    "East Cambridgeshire": 41.2,
    "Fenland": 63.0,
    "Huntingdonshire": 48.9,
    "Peterborough": 101.7,
    "South Cambridgeshire": 55.5,
}


def _shapes(svg: str) -> dict[str, tuple[str, str]]:
    """District -> (label text after the colon, fill) of the drawn geoshapes."""
    out = {}
    for m in re.finditer(r'<path aria-label="([^":]+): ([^"]+)"[^>]*?fill="([^"]+)"', svg):
        out[m.group(1)] = (m.group(2), m.group(3))
    return out


def _luminance(fill: str) -> float:
    """WCAG relative luminance of an rgb(...) or #rrggbb fill (independent of Vega's scale)."""
    if fill.startswith("#"):
        rgb = [int(fill[i : i + 2], 16) for i in (1, 3, 5)]
    else:
        rgb = [int(v) for v in re.findall(r"\d+", fill)[:3]]
    lin = [(c / 255 / 12.92) if c <= 10 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _path_boxes(svg: str) -> list[tuple[float, float, float, float]]:
    boxes = []
    for m in re.finditer(r'aria-roledescription="geoshape"[^>]*? d="([^"]+)"', svg):
        nums = np.array([float(v) for v in re.findall(r"-?\d+\.?\d*", m.group(1))])
        xs, ys = nums[0::2], nums[1::2]
        boxes.append((xs.min(), ys.min(), xs.max(), ys.max()))
    return boxes


def test_choropleth_renders_six_districts_labelled_and_ordered_by_value():
    fig = choropleth(VALUES, title="Crimes per 1,000 residents", legend_title="per 1,000").render()
    shapes = _shapes(fig.svg)
    assert set(shapes) == set(CAMBS)
    assert {k: v[0] for k, v in shapes.items()} == {k: f"{v:,.1f}" for k, v in VALUES.items()}
    # darker is higher: luminance strictly falls as the value rises
    order = sorted(VALUES, key=VALUES.get)
    lum = [_luminance(shapes[k][1]) for k in order]
    assert all(a > b for a, b in zip(lum, lum[1:], strict=False)), dict(
        zip(order, lum, strict=True)
    )
    assert lum[0] > 0.6 and lum[-1] < 0.05  # the range spans light to dark
    # every label: name and value in the text marks
    for name, v in VALUES.items():
        assert re.search(rf"<tspan>{name}</tspan><tspan[^>]*>{v:,.1f}</tspan>", fig.svg), name
    # each district is drawn as itself, not as the globe minus itself (winding): its path lies
    # inside the plot, and no path covers the whole plot
    w, h = fig.spec["width"], fig.spec["height"]
    for x0, y0, x1, y1 in _path_boxes(fig.svg):
        assert x0 >= -1 and y0 >= -1 and x1 <= w + 1 and y1 <= h + 1
        assert (x1 - x0) * (y1 - y0) < 0.6 * w * h
    assert "Open Government Licence v3.0" in fig.svg
    assert "Contains OS data \u00a9 Crown copyright and database right 2024." in fig.svg
    assert fig.alt.startswith("Map of 6 districts: Crimes per 1,000 residents")
    assert "Peterborough 101.7; Cambridge 92.4" in fig.alt
    assert fig.alt.index("Peterborough 101.7") < fig.alt.index("East Cambridgeshire 41.2")


def test_spec_is_self_contained():
    fig = choropleth(VALUES, title="t", legend_title="l")
    text = json.dumps(fig.spec)
    assert '"url"' not in text and "http" not in text.replace(bnd.ATTRIBUTION_SHORT, "")
    assert fig.spec["projection"]["type"] == "transverseMercator"


def test_districts_without_a_figure_or_hidden_are_hatched_grey_and_never_leak():
    values = {**VALUES, "Fenland": 63.37, "South Cambridgeshire": None}
    fig = choropleth(
        values, title="t", legend_title="l", fmt=",.2f", hidden={"Fenland": "fewer than 5"}
    ).render()
    shapes = _shapes(fig.svg)
    assert shapes["Fenland"] == ("fewer than 5", "#D9D9D9")
    assert shapes["South Cambridgeshire"] == ("no figure", "#D9D9D9")
    assert re.search(r"<tspan>Fenland</tspan><tspan[^>]*>fewer than 5</tspan>", fig.svg)
    assert re.search(r"<tspan>South Cambridgeshire</tspan><tspan[^>]*>no figure</tspan>", fig.svg)
    # hatching: one line shape per blank district, drawn inside the map
    hatch = re.findall(r'<path transform="[^"]*" d="([^"]+)" stroke="#7A7A7A"', fig.svg)
    assert len(hatch) == 2 and all(d.count("M") > 5 for d in hatch)
    # the hidden value is nowhere: not in the spec, the picture or the alt text
    for where in (json.dumps(fig.spec), fig.svg, fig.alt):
        assert "63.37" not in where and "63.4" not in where
    assert "Fewer than 5: Fenland." in fig.alt and "No figure: South Cambridgeshire." in fig.alt
    # the five remaining filled districts still run light to dark by value
    filled = {k: v for k, v in values.items() if k not in ("Fenland", "South Cambridgeshire")}
    lum = [_luminance(shapes[k][1]) for k in sorted(filled, key=filled.get)]
    assert all(a > b for a, b in zip(lum, lum[1:], strict=False))


def test_choropleth_lists_unmatched_names_and_works_for_another_force():
    gm = ["Bolton", "Bury", "Manchester", "Oldham", "Rochdale", "Salford", "Stockport",
          "Tameside", "Trafford", "Wigan"]  # fmt: skip
    values = {n: float(i * 10 + 5) for i, n in enumerate(gm)} | {"No location": 1.0}
    fig = choropleth(values, title="t", legend_title="l", fmt=",.0f").render()
    assert set(_shapes(fig.svg)) == set(gm)
    assert fig.notes and "'No location'" in fig.notes[0]
    assert "Not drawn (no boundary): No location." in fig.alt
    # more than eight: only the extremes are named
    assert "Highest: Wigan, 95; lowest: Bolton, 5." in fig.alt
    with pytest.raises(ValueError, match="Narnia"):
        choropleth({"Narnia": 1.0}, title="t", legend_title="l")
    with pytest.raises(ValueError, match="fmt"):
        choropleth(VALUES, title="t", legend_title="l", fmt="{:.1f}")


# -- hexbin ---------------------------------------------------------------------------------------


def _points(n: int = 4000) -> np.ndarray:
    rng = np.random.default_rng(11)
    towns = [(0.1218, 52.2053, 0.03), (-0.2420, 52.5695, 0.04), (0.16, 52.67, 0.02)]
    parts = [rng.normal([x, y], [s * 1.6, s], size=(n // 4, 2)) for x, y, s in towns]
    parts.append(
        np.column_stack([rng.uniform(-0.4, 0.45, n // 4), rng.uniform(52.05, 52.7, n // 4)])
    )
    pts = np.vstack(parts)
    pts[:7] = np.nan  # no location
    return pts


def _inside(points: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Crossing number of each point against one ring, written out here (not the package's)."""
    x, y = points[:, 0], points[:, 1]
    hits = np.zeros(len(points), dtype=int)
    for (x0, y0), (x1, y1) in zip(ring[:-1], ring[1:], strict=True):
        if y0 == y1:
            continue
        up = (y0 <= y) & (y < y1) | (y1 <= y) & (y < y0)
        xc = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
        hits += up & (x < xc)
    return hits % 2 == 1


def test_hexbin_counts_equal_a_direct_count_of_the_points():
    # and two far-off locations (a 0,0 placeholder, Bristol) that must not stretch the map
    pts = np.vstack([_points(), [[0.0, 0.0], [-2.6, 51.45]]])
    fig = hexbin(pts, districts=CAMBS, title="Crime locations", cell_km=2, min_count=1)
    bins = fig.spec["datasets"]["bins"]
    located = pts[np.isfinite(pts).all(axis=1)]
    counted = 0
    for b in bins:
        ring = np.asarray(b["geometry"]["coordinates"][0])
        n = int(_inside(located, ring).sum())
        assert n == b["properties"]["count"]
        counted += n
    assert "2 location(s) beyond the map's extent" in " ".join(fig.notes)
    assert counted + 2 == len(located)
    assert any("7 location(s) without coordinates" in n for n in fig.notes)
    assert f"{counted:,} locations are mapped." in fig.alt
    svg = fig.render().svg
    assert svg.count('aria-roledescription="geoshape"') >= len(bins)


def test_hexbin_never_shows_a_count_under_min_count():
    pts = _points()
    located = pts[np.isfinite(pts).all(axis=1)]
    full = hexbin(pts, districts=CAMBS, title="t", cell_km=2, min_count=1)
    true = [b["properties"]["count"] for b in full.spec["datasets"]["bins"]]
    n_small = sum(1 for c in true if c < 5)
    assert n_small > 10  # the case matters here

    fig = hexbin(pts, districts=CAMBS, title="t", cell_km=2)  # min_count=5 by default
    bins = fig.spec["datasets"]["bins"]
    assert min(b["properties"]["count"] for b in bins) >= 5
    assert len(bins) == len(true) - n_small
    (grey,) = fig.spec["datasets"]["small"]
    assert "count" not in grey["properties"]
    assert grey["properties"]["status"] == "fewer than 5"
    assert len(grey["geometry"]["coordinates"]) == n_small
    # the grey hexagons each hold 1-4 points (counted here, directly)
    for poly in grey["geometry"]["coordinates"]:
        assert 1 <= _inside(located, np.asarray(poly[0])).sum() <= 4
    assert "locations are mapped" not in fig.alt  # a total would give the hidden sum away
    assert f"{n_small:,} hexagons with fewer than 5 are shown in grey." in fig.alt
    svg = fig.render().svg
    assert "fewer than 5" in svg

    omitted = hexbin(pts, districts=CAMBS, title="t", cell_km=2, small="omit")
    assert "small" not in omitted.spec["datasets"]
    assert f"{n_small:,} hexagons with fewer than 5 are left out." in omitted.alt
    with pytest.raises(ValueError, match="min_count"):
        hexbin(pts, districts=CAMBS, title="t", min_count=0)
