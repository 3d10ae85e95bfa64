"""Local Authority District boundaries shipped with forcestat, matched to a store's district
names.

The file is ONS "Local Authority Districts (May 2024) Boundaries UK BUC", England only (296
districts, WGS84), with the LAD name as its only property: there are no codes, so districts are
joined on their names (README.md here). Names are matched after normalising case, "&"/"and",
"St."/"St"/"Saint", punctuation and the ONS ", City of" / ", County of" suffixes, so that the
names a force's geography table or data.police.uk's LSOA names give (``Kingston upon Hull``,
``St Helens``, ``Brighton & Hove``) find their district. A district abolished before May 2024
(``Kettering``, ``Taunton Deane``) is not drawn with its successor's outline, which would show a
figure over an area it does not describe; it is reported as unmatched, with its successor.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

FILE = "lad-2024-england-buc.geojson"
ATTRIBUTION = (
    "Boundaries: Office for National Statistics, Local Authority Districts (May 2024) BUC, "
    "licensed under the Open Government Licence v3.0; contains OS data \u00a9 Crown copyright "
    "and database right 2024"
)
ATTRIBUTION_SHORT = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0.\n"
    "Contains OS data \u00a9 Crown copyright and database right 2024."
)

# Names a store may hold for a district whose outline is unchanged but renamed (alias), and
# districts merged into a larger one between the 2011 coding of LSOA names and May 2024 (not
# drawn; named in the message). Sources: the ONS "Local authority district changes" notes
# (2018-2023).
RENAMED = {"Shepway": "Folkestone and Hythe", "Hull": "Kingston upon Hull, City of"}
MERGED = {
    **dict.fromkeys(
        ["Bournemouth", "Christchurch", "Poole"], ("Bournemouth, Christchurch and Poole", 2019)
    ),
    **dict.fromkeys(
        ["East Dorset", "North Dorset", "Purbeck", "West Dorset", "Weymouth and Portland"],
        ("Dorset", 2019),
    ),
    **dict.fromkeys(["Forest Heath", "St Edmundsbury"], ("West Suffolk", 2019)),
    **dict.fromkeys(["Suffolk Coastal", "Waveney"], ("East Suffolk", 2019)),
    **dict.fromkeys(
        ["Aylesbury Vale", "Chiltern", "South Bucks", "Wycombe"], ("Buckinghamshire", 2020)
    ),
    **dict.fromkeys(
        ["Corby", "East Northamptonshire", "Kettering", "Wellingborough"],
        ("North Northamptonshire", 2021),
    ),
    **dict.fromkeys(
        ["Daventry", "Northampton", "South Northamptonshire"], ("West Northamptonshire", 2021)
    ),
    **dict.fromkeys(["Allerdale", "Carlisle", "Copeland"], ("Cumberland", 2023)),
    **dict.fromkeys(
        ["Barrow-in-Furness", "Eden", "South Lakeland"], ("Westmorland and Furness", 2023)
    ),
    **dict.fromkeys(
        [
            "Craven",
            "Hambleton",
            "Harrogate",
            "Richmondshire",
            "Ryedale",
            "Scarborough",
            "Selby",
        ],
        ("North Yorkshire", 2023),
    ),
    **dict.fromkeys(
        [
            "Mendip",
            "Sedgemoor",
            "South Somerset",
            "Somerset West and Taunton",
            "Taunton Deane",
            "West Somerset",
        ],
        ("Somerset", 2023),
    ),
}

_SUFFIX = re.compile(r",\s*(city|county) of$")
_PREFIX = re.compile(r"^(city|county) of\s+")


def normalise(name: str) -> str:
    """The key a district name is matched on: case-folded, "&" as "and", "St."/"Saint" as
    "st", punctuation as spaces."""
    s = " ".join(name.split()).casefold()
    s = s.replace("&", " and ")
    s = re.sub(r"[.'\u2019]", "", s)  # "St. Helens" -> "St Helens", "King's" -> "Kings"
    s = re.sub(r"[^\w]+", " ", s).strip()
    return re.sub(r"\bsaint\b", "st", s)


def _keys(lad_name: str) -> set[str]:
    """Every key a LAD answers to: its own name, and for "Bristol, City of" also "Bristol" and
    "City of Bristol"."""
    keys = {normalise(lad_name)}
    low = " ".join(lad_name.split()).casefold()
    m = _SUFFIX.search(low)
    if m:
        bare = low[: m.start()]
        keys |= {normalise(bare), normalise(f"{m.group(1)} of {bare}")}
    return keys


@cache
def _collection() -> dict[str, Any]:
    text = resources.files(__package__).joinpath(FILE).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _index() -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for f in _collection()["features"]:
        for key in _keys(f["properties"]["name"]):
            if key in index:  # the shipped names are checked by a test never to collide
                raise ValueError(f"{FILE}: two districts answer to the name {key!r}")
            index[key] = f
    for old, new in RENAMED.items():
        index.setdefault(normalise(old), index[normalise(new)])
    return index


def lad_names() -> list[str]:
    """The 296 district names of the file (LAD24NM), sorted."""
    return sorted(f["properties"]["name"] for f in _collection()["features"])


def find(name: str) -> dict[str, Any] | None:
    """The LAD feature a district name matches, or None."""
    key = normalise(name)
    hit = _index().get(key)
    if hit is None:
        hit = _index().get(_PREFIX.sub("", key))  # "City of Peterborough" -> "Peterborough"
    return hit


@dataclass(frozen=True)
class Boundaries:
    """District outlines for the names asked for, in their order. Each feature is a GeoJSON
    Feature (RFC 7946 winding) whose ``name`` is the name asked for and ``lad`` the ONS name."""

    features: tuple[dict[str, Any], ...]
    unmatched: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f["properties"]["name"] for f in self.features)

    def problem(self) -> str:
        """One line naming the districts that have no outline ("" when all matched)."""
        if not self.unmatched:
            return ""
        parts = []
        for n in self.unmatched:
            merged = _merged(n)
            parts.append(f"{n!r} (merged into {merged[0]} in {merged[1]})" if merged else repr(n))
        return (
            f"no district boundary for {len(parts)} name(s): {', '.join(parts)}; the shipped "
            f"boundaries are the 296 English Local Authority Districts of May 2024 "
            f"(forcestat/outputs/boundaries/README.md)"
        )


def _merged(name: str) -> tuple[str, int] | None:
    key = normalise(name)
    for old, hit in MERGED.items():
        if normalise(old) == key:
            return hit
    return None


def boundaries(names: Iterable[str], *, strict: bool = False) -> Boundaries:
    """The outlines of the named districts. Names that match no district are listed in
    ``unmatched`` (``strict=True`` raises ``ValueError`` with ``problem()`` instead); two names
    that match the same district are an error, since their figures would overlap."""
    features: list[dict[str, Any]] = []
    unmatched: list[str] = []
    seen: dict[str, str] = {}
    for name in names:
        if name in seen.values():
            continue
        f = find(name)
        if f is None:
            unmatched.append(name)
            continue
        lad = f["properties"]["name"]
        if lad in seen:
            raise ValueError(
                f"district names {seen[lad]!r} and {name!r} both match the district {lad!r}"
            )
        seen[lad] = name
        features.append(
            {
                "type": "Feature",
                "properties": {"name": name, "lad": lad},
                "geometry": f["geometry"],
            }
        )
    result = Boundaries(tuple(features), tuple(unmatched))
    if strict and unmatched:
        raise ValueError(result.problem())
    return result
