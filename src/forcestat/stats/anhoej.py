"""Anhøj's runs rules for run charts (and any chart's centre line), as qicharts2 applies them.

A run is one or more consecutive useful points on the same side of the centre line; a point on
the centre line (or missing) is not useful: it neither breaks nor adds to a run. With n useful
points:

- an **unusually long run**: the longest run is longer than round(log2(n)) + 3 (Schilling 2012,
  the upper 95% prediction limit of the longest run, approximately);
- **unusually few crossings**: fewer crossings (adjacent useful points on opposite sides) than
  the lower 5% quantile of Binomial(n - 1, 0.5) (Chen 2010).

Either is a runs signal (Anhøj 2014, 2015). Sources: qicharts2 ``R/helper.functions.R``
(``runs.analysis``, ``crsignal``); docs/methods.md 4.6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats

__all__ = ["RunsAnalysis", "runs_analysis", "runs_limits"]


@dataclass(frozen=True)
class RunsAnalysis:
    """Anhøj's runs analysis of one chart segment (qicharts2's ``summary()`` columns)."""

    n_obs: int  # points in the segment (excluded points left out, as qicharts2)
    n_useful: int  # points not on the centre line and not missing
    longest_run: int | None
    longest_run_max: int | None
    n_crossings: int | None
    n_crossings_min: int | None
    # Sides (+1/-1) of the useful points in a run longer than the limit, by point (0 elsewhere)
    long_run: np.ndarray

    @property
    def long_run_signal(self) -> bool:
        return self.longest_run is not None and self.longest_run > (self.longest_run_max or 0)

    @property
    def crossings_signal(self) -> bool:
        return self.n_crossings is not None and self.n_crossings < (self.n_crossings_min or 0)

    @property
    def signal(self) -> bool:
        """qicharts2's ``runs.signal``: an unusually long run or unusually few crossings."""
        return self.long_run_signal or self.crossings_signal


@lru_cache(maxsize=512)
def runs_limits(n_useful: int) -> tuple[int, int]:
    """(upper limit of the longest run, lower limit of the number of crossings) for ``n_useful``
    useful points: round(log2(n)) + 3 and the 5% quantile of Binomial(n - 1, 0.5) (the smallest
    c with P(C <= c) >= 0.05, R's ``qbinom(0.05, n - 1, 0.5)``)."""
    if n_useful < 1:
        raise ValueError("need at least one useful point")
    # log2(n) is never exactly k + 1/2 for an integer n, so rounding halves never arises.
    longest = int(round(math.log2(n_useful))) + 3
    crossings = int(stats.binom.ppf(0.05, n_useful - 1, 0.5))
    return longest, crossings


def runs_analysis(
    values: np.ndarray, centre: np.ndarray, include: np.ndarray | None = None
) -> RunsAnalysis:
    """Anhøj's rules on one segment: ``values`` and ``centre`` per point; ``include`` False for
    points excluded from the analysis (qicharts2's ``exclude``: left out of the runs too)."""
    y = np.asarray(values, dtype=float)
    c = np.asarray(centre, dtype=float)
    keep = np.ones(y.size, dtype=bool) if include is None else np.asarray(include, dtype=bool)
    with np.errstate(invalid="ignore"):
        side = np.sign(y - c)
    side = np.where(np.isfinite(side), side, 0.0)
    useful = keep & (side != 0)
    pos = np.flatnonzero(useful)
    sides = side[pos].astype(np.int8)
    flags = np.zeros(y.size, dtype=np.int8)
    n = int(pos.size)
    if n == 0:
        return RunsAnalysis(int(keep.sum()), 0, None, None, None, None, flags)
    start = np.ones(n, dtype=bool)
    start[1:] = sides[1:] != sides[:-1]
    run_id = np.cumsum(start) - 1
    lengths = np.bincount(run_id)
    longest_max, crossings_min = runs_limits(n)
    long_ = lengths[run_id] > longest_max
    flags[pos[long_]] = sides[long_]
    return RunsAnalysis(
        n_obs=int(keep.sum()),
        n_useful=n,
        longest_run=int(lengths.max()),
        longest_run_max=longest_max,
        n_crossings=int(lengths.size - 1),
        n_crossings_min=crossings_min,
        long_run=flags,
    )
