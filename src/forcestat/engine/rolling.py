"""Rolling window sums straight off the cube, without statistics: every period end's numerator
and denominator for fixed-length windows. Charts of a rolling rate read this; the benchmark
compares it with hand-written SQL and pandas (it is the engine's data path on its own)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forcestat.engine import cube
from forcestat.engine.rollup import Geography, roll
from forcestat.engine.run import _tables, breakdown_order
from forcestat.engine.windows import month_label
from forcestat.framework.model import Framework

LENGTHS = {"12m": 12, "3m": 3, "1m": 1}


def rolling_sums(
    store: Any,
    framework: Framework,
    measures: Sequence[str] | None = None,
    window: str = "12m",
    breakdowns: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Columns measure_id, breakdown, unit, period_end, numerator, denominator: the window's
    sums for every month the data cover (counts: denominator empty). Additive kinds only
    (counts, rates' counts, proportions); ``breakdowns`` limits a measure's breakdowns."""
    backend = getattr(store, "ibis", store)
    length = LENGTHS[window]
    chosen = [m for m in framework.measures if measures is None or m.id in measures]
    chosen = [m for m in chosen if m.kind in ("count", "rate_per_1000", "proportion")]
    cube.forget(backend)
    only = {k: list(v) for k, v in breakdowns.items()} if breakdowns else None
    # Rolling sums are the window totals as they stand: no "as at" benchmarks, no lagged pass.
    passes, route = cube.plan(
        chosen, cube.table_columns(backend, _tables(chosen)), only, lagged=False
    )
    for p in passes:
        cube.run(p, backend)
    geo = Geography.load(backend)
    span_of = cube.table_spans(passes)  # additive passes only: their cubes give the months
    frames = []
    for m in chosen:
        if m.table not in span_of:
            continue
        span = span_of[m.table]
        periods = np.arange(span[0] + length - 1, span[1] + 1)
        wanted = breakdowns.get(m.id) if breakdowns else None
        for b in wanted or breakdown_order(m, route):
            p = route[(m.id, b)]
            units = roll(p, m, b, geo, span)
            if not units.labels:
                continue
            sums = {}
            for name, arr in units.arrays.items():
                c = np.concatenate([np.zeros((arr.shape[0], 1)), np.cumsum(arr, axis=1)], 1)
                sums[name] = c[:, length:] - c[:, :-length]
            num = sums["num"] if "num" in sums else sums["n"]
            den = sums["den"] if "den" in sums else np.full(num.shape, np.nan)
            frames.append(
                pd.DataFrame(
                    {
                        "measure_id": m.id,
                        "breakdown": b,
                        "unit": np.repeat(np.asarray(units.labels, dtype=object), num.shape[1]),
                        "period_end": np.tile(periods, num.shape[0]),
                        "numerator": num.ravel(),
                        "denominator": den.ravel(),
                    }
                )
            )
    if not frames:
        return pd.DataFrame(
            columns=["measure_id", "breakdown", "unit", "period_end", "numerator", "denominator"]
        )
    out = pd.concat(frames, ignore_index=True)
    labels = {i: month_label(int(i)) for i in np.unique(out["period_end"])}
    out["period_end"] = out["period_end"].map(labels)
    return out
