"""Crime strata: the (offence code, kind) cells recorded crime is generated from.

A stratum is one offence code with one set of flags (domestic abuse, child sexual abuse, child
sexual exploitation) and one storyline. Its share is its part of the force's recorded crime in
the last 12 months; the rates, trends and outcomes of crimes follow from their stratum.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from ..store.store import reference_rows
from . import calibration as cal


@dataclass(frozen=True)
class OffenceCode:
    code: str
    group: str
    police_uk_type: str
    victim_based: bool
    cchi_days: float  # Cambridge Crime Harm Index days (nan where the table has none)


@cache
def offence_codes() -> dict[str, OffenceCode]:
    return {
        r["offence_code"]: OffenceCode(
            r["offence_code"],
            r["offence_group"],
            r["police_uk_crime_type"],
            r["victim_based"].strip().lower() == "true",
            float(r["cchi_days"]) if (r.get("cchi_days") or "").strip() else float("nan"),
        )
        for r in reference_rows("offence_codes")
    }


@dataclass(frozen=True)
class Strata:
    code: tuple[str, ...]
    group: tuple[str, ...]
    police_uk_type: tuple[str, ...]
    victim_based: np.ndarray
    cchi_days: np.ndarray  # harm weight of the stratum's offence code (nan: none)
    share: np.ndarray  # of the force's recorded crime in the last 12 months
    da: np.ndarray
    csa: np.ndarray
    cse: np.ndarray
    sexual: np.ndarray  # one of the sexual / CSE strata: own storyline, no district growth
    story: tuple[str | None, ...]
    ages: tuple[str | None, ...]  # victim age profile; None = no victim

    def __len__(self) -> int:
        return len(self.code)

    def codes_in(self, codes: tuple[str, ...]) -> np.ndarray:
        return np.array([c in codes for c in self.code])


def _age_profile(code: OffenceCode) -> str | None:
    if not code.victim_based:
        return None
    return cal.AGE_PROFILE_FOR_CODE.get(code.code, "adult_general")


@cache
def build_strata() -> Strata:
    ref = offence_codes()
    rows: list[dict] = []

    def add(code: str, share: float, da_share: float, **kw) -> None:
        oc = ref[code]
        base = {
            "code": code,
            "group": oc.group,
            "police_uk_type": oc.police_uk_type,
            "victim_based": oc.victim_based,
            "cchi_days": oc.cchi_days,
            "csa": False,
            "cse": False,
            "sexual": False,
            "story": None,
            "ages": _age_profile(oc),
        }
        base.update(kw)
        if da_share < 1:
            rows.append({**base, "share": share * (1 - da_share), "da": False})
        if da_share > 0:
            rows.append({**base, "share": share * da_share, "da": True})

    total = sum(cal.POLICE_UK_TYPE_COUNTS.values())
    type_share = {t: n / total for t, n in cal.POLICE_UK_TYPE_COUNTS.items()}
    for ptype, weights in cal.CODE_WEIGHTS.items():
        wsum = sum(weights.values())
        for code, w in weights.items():
            add(code, type_share[ptype] * w / wsum, cal.DA_SHARE.get(code, 0.0))

    sexual_share = {k: v["per_year"] / cal.ANNUAL_CRIMES for k, v in cal.SEXUAL_STRATA.items()}
    violence = type_share["Violence and sexual offences"] - sum(sexual_share.values())
    wsum = sum(cal.VIOLENCE_WEIGHTS.values())
    for code, w in cal.VIOLENCE_WEIGHTS.items():
        add(code, violence * w / wsum, cal.DA_SHARE.get(code, 0.0))
    for name, spec in cal.SEXUAL_STRATA.items():
        csum = sum(spec["codes"].values())
        for code, w in spec["codes"].items():
            add(
                code,
                sexual_share[name] * w / csum,
                spec["da_share"],
                csa=spec["csa"],
                cse=spec["cse"],
                sexual=True,
                story=spec["story"],
                ages=spec["ages"],
            )

    def col(key, dtype=None):
        vals = [r[key] for r in rows]
        return np.array(vals, dtype=dtype) if dtype else tuple(vals)

    return Strata(
        code=col("code"),
        group=col("group"),
        police_uk_type=col("police_uk_type"),
        victim_based=col("victim_based", bool),
        cchi_days=col("cchi_days", float),
        share=col("share", float),
        da=col("da", bool),
        csa=col("csa", bool),
        cse=col("cse", bool),
        sexual=col("sexual", bool),
        story=col("story"),
        ages=col("ages"),
    )
