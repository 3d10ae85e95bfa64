"""Which force is generated: its districts, areas, populations and size."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..store.schema import NO_LOCATION
from ..store.store import reference_rows
from . import calibration as cal
from .streams import stream


@dataclass(frozen=True)
class District:
    name: str
    area: str
    population: int
    crime_share: float  # share of located recorded crime
    lad_code: str | None = None


@dataclass(frozen=True)
class ForceSpec:
    name: str
    slug: str
    code: str  # prefix of every generated reference, e.g. "CAM"
    districts: tuple[District, ...]
    annual_crimes: float  # recorded crime in the last 12 months
    # Growth of all recorded crime, last 12 months vs the 12 before, by district.
    district_growth: dict[str, float] = field(default_factory=dict)
    # False: a "null" force for false-alarm studies. Every storyline (docs/synthetic-data.md)
    # stays at its starting level, there is no lockdown, and survey answers are plain random
    # draws; only seasonality and sampling noise remain. Set via generate_force(storylines=).
    storylines: bool = True

    @property
    def scale(self) -> float:
        """Size relative to the demo force: sizes every non-crime volume."""
        return self.annual_crimes / cal.ANNUAL_CRIMES

    @property
    def district_names(self) -> tuple[str, ...]:
        """Districts then the 'No location' bucket: the district axis of every generator."""
        return tuple(d.name for d in self.districts) + (NO_LOCATION,)

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.area for d in self.districts))

    def area_index(self) -> np.ndarray:
        """Area index per entry of ``district_names`` (-1 for 'No location')."""
        a = self.areas
        return np.array([a.index(d.area) for d in self.districts] + [-1], dtype=np.int64)

    def crime_shares(self) -> np.ndarray:
        s = np.array([d.crime_share for d in self.districts], dtype=float)
        return s / s.sum()

    def population_shares(self) -> np.ndarray:
        p = np.array([d.population for d in self.districts], dtype=float)
        return p / p.sum()

    def geography_rows(self) -> list[dict]:
        return [
            {
                "force": self.name,
                "area": d.area,
                "district": d.name,
                "lad_code": d.lad_code,
                "population": int(d.population),
                "population_year": 2019,
            }
            for d in self.districts
        ]


def demo_force() -> ForceSpec:
    """Cambridgeshire as in the Board report, from the packaged geography reference table."""
    rows = reference_rows("geography")
    counts = cal.DISTRICT_CRIME_COUNTS_2024
    districts = tuple(
        District(
            r["district"], r["area"], int(r["population"]), counts[r["district"]], r["lad_code"]
        )
        for r in rows
        if r["force"] == "Cambridgeshire"
    )
    return ForceSpec(
        name="Cambridgeshire",
        slug="cambridgeshire",
        code="CAM",
        districts=districts,
        annual_crimes=float(cal.ANNUAL_CRIMES),
        district_growth=dict(cal.DISTRICT_GROWTH),
    )


def _code(slug: str, used: set[str]) -> str:
    letters = "".join(w[0] for w in slug.split("-") if w).upper()
    base = (letters + slug.replace("-", "").upper())[:3]
    code, i = base, 1
    while code in used:
        code, i = f"{base[:2]}{i}", i + 1
    used.add(code)
    return code


def national_forces(seed: int) -> list[ForceSpec]:
    """The 43 territorial forces, sized by their 2019/20 recorded crime and scaled so the
    whole set holds about NATIONAL_CRIMES_5Y crimes per 5 years. Cambridgeshire keeps its real
    districts; the others get synthetic ones ('<Force> D1', ...), two areas each."""
    total = sum(cal.NATIONAL_FORCES_2019_20.values())
    per_year = cal.NATIONAL_CRIMES_5Y / 5
    demo = demo_force()
    used: set[str] = {"CAM"}
    out = []
    for name, crimes in cal.NATIONAL_FORCES_2019_20.items():
        slug = name.lower().replace(" ", "-")
        annual = crimes / total * per_year
        rng = stream(seed, slug, "geography")
        if name == demo.name:
            out.append(
                ForceSpec(name, slug, "CAM", demo.districts, annual, dict(cal.DISTRICT_GROWTH))
            )
            continue
        k = int(np.clip(round(np.sqrt(crimes / 2000)), 2, 12))
        shares = rng.dirichlet(np.full(k, 4.0))
        # Population ~ recorded crime / 80 per 1,000 (England and Wales 2019/20), by district
        # with some spread in the crime rate.
        pop = crimes / 0.08 * shares * rng.uniform(0.8, 1.25, k)
        force_growth = rng.normal(0.01, 0.03)
        districts = tuple(
            District(
                f"{name} D{i + 1}",
                "North" if i < (k + 1) // 2 else "South",
                int(pop[i]),
                float(shares[i]),
            )
            for i in range(k)
        )
        growth = {d.name: float(force_growth + rng.normal(0, 0.01)) for d in districts}
        out.append(ForceSpec(name, slug, _code(slug, used), districts, annual, growth))
    return out
