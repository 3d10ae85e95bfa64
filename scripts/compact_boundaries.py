"""Write the compact boundary file shipped in src/forcestat/outputs/boundaries/ from the ONS
GeoJSON (Local Authority Districts, May 2024, BUC, England).

    python scripts/compact_boundaries.py SOURCE.geojson DESTINATION.geojson

Coordinates rounded to 5 decimals (about 1 m; the BUC generalisation is ~500 m), points that
rounding makes equal to the one before dropped, properties reduced to ``name`` (LAD24NM),
features sorted by name, no whitespace. Nothing else changes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DECIMALS = 5


def compact_ring(ring: list[list[float]]) -> list[list[float]]:
    out: list[list[float]] = []
    for x, y in ring:
        p = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or p != out[-1]:
            out.append(p)
    if out[0] != out[-1]:
        out.append(out[0])  # a GeoJSON ring is closed
    return out


def compact(source: dict) -> dict:
    features = []
    for f in source["features"]:
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        features.append(
            {
                "type": "Feature",
                "properties": {"name": f["properties"]["name"]},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[compact_ring(r) for r in poly] for poly in polys],
                },
            }
        )
    features.sort(key=lambda f: f["properties"]["name"])
    return {"type": "FeatureCollection", "features": features}


def main(src: str, dst: str) -> None:
    data = compact(json.loads(Path(src).read_text(encoding="utf-8")))
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    Path(dst).write_text(text + "\n", encoding="utf-8")
    print(f"{dst}: {len(data['features'])} districts, {len(text.encode()):,} bytes")


if __name__ == "__main__":
    main(*sys.argv[1:3])
