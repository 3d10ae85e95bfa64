"""The findings of one measure, period and window, indexed by geography and comparator."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from forcestat.findings.model import Finding, Key
from forcestat.stats.disclosure import hierarchy
from forcestat.store.schema import DISTRICT_BUCKETS

LEVELS = ("force", "area", "district")


def is_place(f: Finding) -> bool:
    """False for the 'No location' / 'Outside force area' buckets: they hold records, so the
    tables show them, but they are not districts a Board paper compares or names."""
    return not (f.breakdown == "district" and f.unit in DISTRICT_BUCKETS)


@dataclass(frozen=True)
class Units:
    """Findings for force, areas and districts; each unit keeps all its comparators."""

    by_unit: dict[tuple[str, str], tuple[Finding, ...]]

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> Units:
        grouped: dict[tuple[str, str], list[Finding]] = {}
        for f in sorted(findings):
            if f.breakdown in LEVELS and is_place(f):
                grouped.setdefault((f.breakdown, f.unit), []).append(f)
        return cls({key: tuple(fs) for key, fs in sorted(grouped.items(), key=_unit_order)})

    def names(self, level: str) -> list[str]:
        return [unit for (lvl, unit) in self.by_unit if lvl == level]

    def rows(self, level: str) -> list[Finding]:
        """One finding per unit: for row-level fields (value, n, trend, spc_signal, base)."""
        return [fs[0] for (lvl, _), fs in self.by_unit.items() if lvl == level]

    def all_of(self, level: str) -> list[tuple[Finding, ...]]:
        return [fs for (lvl, _), fs in self.by_unit.items() if lvl == level]

    def at(self, level: str, comparator: str | None) -> list[Finding]:
        """One finding per unit for a comparator (units without it are left out)."""
        out = []
        for fs in self.all_of(level):
            out.extend(f for f in fs if f.comparator == comparator)
        return out

    def force(self) -> tuple[Finding, ...]:
        found = self.all_of("force")
        return found[0] if found else ()

    def force_at(self, comparator: str | None) -> Finding | None:
        found = self.at("force", comparator)
        return found[0] if found else None


def _unit_order(item: tuple[tuple[str, str], list[Finding]]) -> tuple[int, str]:
    (level, unit), _ = item
    return (LEVELS.index(level), unit)


def unit_parents(keys: Iterable[Key], areas: Mapping[str, str]) -> dict[Key, Key | None]:
    """Which unit each adds up into: a district into its area when the area is among ``keys``,
    anything else into the force (None for the force); as disclosure control sees them."""
    return dict(hierarchy(keys, areas).parent)
