"""``forcestat synth``: the demo force into a store, or a national Parquet set of forces."""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from .calendar import Period
from .force import demo_force
from .generate import StoreWriter, generate_force, source_label
from .national import national_specs, write_national


def run(
    store: str | None = None,
    end: str = "2020-03",
    years: int = 5,
    seed: int = 1,
    forces: int = 1,
    out: str | Path | None = None,
    storylines: bool = True,
) -> dict[str, int]:
    """forces == 1: the demo force (Cambridgeshire) into ``store``. forces > 1: a national
    Parquet set of that many forces into ``out``. Returns rows written per table.
    ``storylines=False``: null forces (see ``generate_force``)."""
    t0 = time.perf_counter()
    period = Period.of(end, years)
    if forces < 1:
        raise ValueError("forces must be at least 1")
    if forces > 1:
        if out is None:
            raise ValueError("a national set (forces > 1) needs an output folder (--out)")
        specs = [
            dataclasses.replace(s, storylines=storylines) for s in national_specs(seed, forces)
        ]
        counts = write_national(Path(out), period, seed, specs)
        where = str(out)
    else:
        if store is None:
            raise ValueError("the demo force needs a store")
        with StoreWriter(str(store), source_label(seed, end, years, storylines)) as writer:
            generate_force(demo_force(), period, seed, sink=writer.submit, storylines=storylines)
        counts = writer.counts
        where = str(store)
    total = sum(counts.values())
    print(
        f"synth: {total:,} rows ({counts.get('crimes', 0):,} crimes) written to {where} "
        f"in {time.perf_counter() - t0:.1f}s",
        file=sys.stderr,
    )
    return counts
