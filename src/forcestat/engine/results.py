"""The measure_results table (docs/architecture.md §2): its columns, types and file formats."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from forcestat.framework.model import BENCHMARKS, COMPARATORS

KEY_COLUMNS = ("measure_id", "breakdown", "unit", "period_end", "window")
VALUE_COLUMNS = ("value", "numerator", "denominator", "n", "ci_low", "ci_high")
COMPARATOR_FIELDS = ("value", "diff", "p", "verdict")
# Beyond docs/architecture.md §2: ``maturing`` (outcome rates on a cohort basis whose window is
# too recent for its crimes to have reached an outcome; the report must say so), the
# ``previous_period`` comparator (measures with views), ``dispersion`` (the overdispersion factor
# phi the unit's tests were scaled by, 1 = plain Poisson or binomial variation, empty where none
# was estimated: a reader can say why a large change is not significant) and ``spc_assurance``
# (Making Data Count's assurance icon against the measure's target: consistent_pass,
# consistent_fail, inconsistent, or none without a target).
FLAG_COLUMNS = ("spc_signal", "trend", "small_base", "suppressed", "maturing")
EXTRA_COLUMNS = ("dispersion", "spc_assurance")

# The contract's comparators first; the others (previous_period) after its columns.
COLUMNS: tuple[str, ...] = (
    *KEY_COLUMNS,
    *VALUE_COLUMNS,
    *(f"{c}_{f}" for c in BENCHMARKS for f in COMPARATOR_FIELDS),
    *FLAG_COLUMNS,
    *(f"{c}_{f}" for c in COMPARATORS if c not in BENCHMARKS for f in COMPARATOR_FIELDS),
    *EXTRA_COLUMNS,
)

_FLOAT = {
    *VALUE_COLUMNS,
    "dispersion",
    *(f"{c}_{f}" for c in COMPARATORS for f in ("value", "diff", "p")),
}
_BOOL = {"small_base", "suppressed", "maturing"}
FORMATS = {".parquet": "parquet", ".csv": "csv", ".json": "json"}


def to_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Rows -> a frame with exactly ``COLUMNS`` in order, typed, sorted by key."""
    df = pd.DataFrame(list(rows))
    for c in COLUMNS:
        if c not in df.columns:
            df[c] = "insufficient_data" if c.endswith("_verdict") else None
    df = df[list(COLUMNS)]
    for c in COLUMNS:
        if c in _FLOAT:
            df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
        elif c in _BOOL:
            df[c] = df[c].fillna(False).astype(bool)
        else:
            df[c] = df[c].astype("string")
    for c in COMPARATORS:
        df[f"{c}_verdict"] = df[f"{c}_verdict"].fillna("insufficient_data")
    return df.sort_values(list(KEY_COLUMNS), kind="stable").reset_index(drop=True)


def write(df: pd.DataFrame, path: str | Path) -> str:
    """Write by extension (.parquet, .csv, .json: records, one object per row). Returns the
    format written."""
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise ValueError(f"{p}: unknown output format; use {', '.join(FORMATS)}")
    p.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        df.to_parquet(p, index=False)
    elif fmt == "csv":
        df.to_csv(p, index=False)
    else:
        df.to_json(p, orient="records", indent=1, double_precision=15)
    return fmt
