"""Plane geometry over longitude/latitude for the maps: ring winding for Vega, label points,
hatching, point in polygon and a hexagonal grid.

Computations run in a local plane, x = longitude x cos(latitude of the map's centre),
y = latitude, in degrees: a linear map of longitude and latitude, so a straight edge and the
inside of a polygon are the same in both, and at England's scale the plane is square to within
a few per cent (what label placement and hatching need). Distances in kilometres use 111.32 km
per degree of latitude.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

KM_PER_DEGREE = 111.32  # a degree of latitude (WGS84, mean)

Ring = np.ndarray  # (n, 2) closed ring: first point == last point
Polygon = list[Ring]  # exterior ring, then holes
Geometry = dict[str, Any]  # a GeoJSON Polygon or MultiPolygon


def polygons(geometry: Geometry) -> list[Polygon]:
    g = geometry
    polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
    return [[np.asarray(r, dtype=float) for r in p] for p in polys]


def signed_area(ring: Ring) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) / 2)


def for_vega(geometry: Geometry) -> Geometry:
    """The geometry wound as d3-geo (Vega's renderer) reads it: exterior rings clockwise, holes
    anticlockwise. d3-geo takes polygons on the sphere, so an RFC 7946 (anticlockwise) exterior
    ring would be read as the whole globe minus the district."""
    out = []
    for poly in polygons(geometry):
        rings = []
        for i, r in enumerate(poly):
            clockwise = signed_area(r) < 0
            if clockwise != (i == 0):
                r = r[::-1]
            rings.append(r.tolist())
        out.append(rings)
    return {"type": "MultiPolygon", "coordinates": out}


class Plane:
    """The local plane of a set of longitudes and latitudes: x = lon x cos(lat0), y = lat."""

    def __init__(self, lat0: float) -> None:
        self.lat0 = lat0
        self.k = math.cos(math.radians(lat0))

    @classmethod
    def around(cls, geometries: Iterable[Geometry]) -> Plane:
        lo, hi = bounds(geometries)
        return cls((lo[1] + hi[1]) / 2)

    def to_xy(self, lonlat: np.ndarray) -> np.ndarray:
        return np.column_stack([lonlat[:, 0] * self.k, lonlat[:, 1]])

    def to_lonlat(self, xy: np.ndarray) -> np.ndarray:
        return np.column_stack([xy[:, 0] / self.k, xy[:, 1]])


def bounds(geometries: Iterable[Geometry]) -> tuple[np.ndarray, np.ndarray]:
    pts = np.vstack([r for g in geometries for p in polygons(g) for r in p])
    return pts.min(axis=0), pts.max(axis=0)


def _edges(rings: Sequence[Ring]) -> tuple[np.ndarray, np.ndarray]:
    a = np.vstack([r[:-1] for r in rings])
    b = np.vstack([r[1:] for r in rings])
    return a, b


def _crossings(a: np.ndarray, b: np.ndarray, y: float) -> np.ndarray:
    """Sorted x where the horizontal line at y crosses the edges a->b (half-open rule: a vertex
    on the line counts once)."""
    ya, yb = a[:, 1], b[:, 1]
    hit = (ya <= y) != (yb <= y)
    t = (y - ya[hit]) / (yb[hit] - ya[hit])
    return np.sort(a[hit, 0] + t * (b[hit, 0] - a[hit, 0]))


def inside(points: np.ndarray, rings: Sequence[Ring]) -> np.ndarray:
    """Even-odd point in polygon for many points (one polygon's rings, holes included)."""
    a, b = _edges(rings)
    px, py = points[:, 0][:, None], points[:, 1][:, None]
    ya, yb = a[:, 1][None, :], b[:, 1][None, :]
    straddle = (ya <= py) != (yb <= py)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = a[:, 0][None, :] + (py - ya) / (yb - ya) * (b[:, 0] - a[:, 0])[None, :]
    return (np.count_nonzero(straddle & (x_at > px), axis=1) % 2) == 1


def _distance_to_edges(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    d = b - a
    len2 = np.einsum("ij,ij->i", d, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.einsum("ij,ij->i", p - a, d) / len2, 0.0, 1.0)
    t = np.nan_to_num(t)
    near = a + t[:, None] * d
    return float(np.min(np.hypot(*(near - p).T)))


def label_point(geometry: Geometry, plane: Plane, scanlines: int = 24) -> tuple[float, float]:
    """A point inside the district to write its label at: among the midpoints of the interior
    runs of ``scanlines`` horizontal lines across each polygon, the one farthest from the
    boundary (an approximate pole of inaccessibility; a centroid can fall outside a crescent or
    inside a hole, as South Cambridgeshire's does in Cambridge)."""
    best, best_d = None, -1.0
    for poly in polygons(geometry):
        rings = [plane.to_xy(r) for r in poly]
        a, b = _edges(rings)
        ymin, ymax = rings[0][:, 1].min(), rings[0][:, 1].max()
        for y in np.linspace(ymin, ymax, scanlines + 2)[1:-1]:
            xs = _crossings(a, b, y)
            for x0, x1 in zip(xs[0::2], xs[1::2], strict=False):
                p = np.array([(x0 + x1) / 2, y])
                d = _distance_to_edges(p, a, b)
                if d > best_d:
                    best, best_d = p, d
    if best is None:  # a degenerate outline: fall back to its first vertex
        first = polygons(geometry)[0][0][0]
        return float(first[0]), float(first[1])
    lon, lat = plane.to_lonlat(best[None, :])[0]
    return round(float(lon), 5), round(float(lat), 5)


def hatch(geometry: Geometry, plane: Plane, spacing: float) -> list[list[list[float]]]:
    """Diagonal hatch lines (45 degrees, ``spacing`` apart in plane degrees) clipped to the
    district: a MultiLineString's coordinates in longitude/latitude. Vega-Lite has no pattern
    fill, so the hatching is drawn as lines."""
    c = math.sqrt(0.5)
    lines: list[list[list[float]]] = []
    for poly in polygons(geometry):
        # Rotate by -45 degrees so that the hatch lines are horizontal scanlines.
        rot = [plane.to_xy(r) @ np.array([[c, -c], [c, c]]) for r in poly]
        a, b = _edges(rot)
        vmin, vmax = rot[0][:, 1].min(), rot[0][:, 1].max()
        start = math.floor(vmin / spacing) * spacing  # a grid shared by every district
        for v in np.arange(start + spacing / 2, vmax, spacing):
            xs = _crossings(a, b, v)
            for u0, u1 in zip(xs[0::2], xs[1::2], strict=False):
                seg = np.array([[u0, v], [u1, v]]) @ np.array([[c, c], [-c, c]])
                lines.append(np.round(plane.to_lonlat(seg), 5).tolist())
    return lines


# -- hexagonal grid -------------------------------------------------------------------------------


def hex_bin(xy: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointy-top hexagons ``width`` across the flats (the distance between neighbouring
    centres), on a grid anchored at the origin: (centres (m, 2), counts (m,)) of the non-empty
    cells. A hexagon is the set of points nearer its centre than any other, so each point goes
    to the nearer of its candidates on the grid's two rectangular sub-lattices (the method of
    matplotlib's hexbin)."""
    dx, dy = width, width * math.sqrt(3)  # each sub-lattice: rows dy apart, columns dx apart
    x, y = xy[:, 0], xy[:, 1]
    i1, j1 = np.round(x / dx), np.round(y / dy)
    i2, j2 = np.round(x / dx - 0.5), np.round(y / dy - 0.5)
    d1 = (x - i1 * dx) ** 2 + (y - j1 * dy) ** 2
    d2 = (x - (i2 + 0.5) * dx) ** 2 + (y - (j2 + 0.5) * dy) ** 2
    first = d1 <= d2
    cx = np.where(first, i1 * dx, (i2 + 0.5) * dx)
    cy = np.where(first, j1 * dy, (j2 + 0.5) * dy)
    # Centres are multiples of dx/2 and dy/2: key on those integers, not on floats.
    keys = np.column_stack([np.round(cx / (dx / 2)), np.round(cy / (dy / 2))]).astype(np.int64)
    cells, counts = np.unique(keys, axis=0, return_counts=True)
    centres = cells * np.array([dx / 2, dy / 2])
    return centres, counts


def hexagons(centres: np.ndarray, width: float) -> np.ndarray:
    """The closed rings (m, 7, 2) of pointy-top hexagons ``width`` across the flats, wound
    clockwise from the top vertex."""
    r = width / math.sqrt(3)  # centre to vertex
    angles = np.radians(np.arange(90, 90 - 361, -60))
    corners = r * np.column_stack([np.cos(angles), np.sin(angles)])
    return centres[:, None, :] + corners[None, :, :]
