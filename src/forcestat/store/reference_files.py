"""The reference tables shipped with the package (``store/reference/*.csv``)."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

REFERENCE_DIR = resources.files("forcestat.store") / "reference"


def reference_rows(name: str) -> list[dict[str, str]]:
    """The packaged reference table as a list of string dicts."""
    with (REFERENCE_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def reference_path(name: str) -> Path:
    return Path(str(REFERENCE_DIR / f"{name}.csv"))
