"""A smaller framework for the server tests: the packaged TOML with only some measures (one of
each kind the server shows: counts with an own breakdown, a cohort outcome rate, a survey
proportion, a median, a rate), so that a refresh of every period stays quick."""

from __future__ import annotations

import re
from pathlib import Path

KEEP = (
    "recorded_crime",
    "charges",
    "outcome_rate_all_crime",
    "victim_satisfaction_overall",
    "response_time_immediate",
    "crime_rate_per_1000",
    "calls_101",
)


def write_subset(path: Path, keep=KEEP) -> Path:
    from forcestat.framework.loader import default_path

    text = default_path().read_text(encoding="utf-8")
    blocks = re.split(r"(?m)^(?=\[)", text)
    out = []
    for b in blocks:
        head = b.split("\n", 1)[0].strip()
        if head in ("[[priority_areas]]", "[[objectives]]", "[[kpqs]]"):
            continue
        if head == "[[measures]]":
            mid = re.search(r'(?m)^id\s*=\s*"([^"]+)"', b)
            if mid is None or mid.group(1) not in keep:
                continue
        out.append(b)
    path.write_text("".join(out), encoding="utf-8")
    return path
