"""Roll up and evaluate each measure while the backend is still aggregating the next table.

Once a table's passes are in, every measure of that table is independent of the rest: its
cube rolls up to breakdown units and the statistics (intervals, tests, charts, trends) run on
numpy arrays. On a machine with more than one core, worker processes are forked *before* the
passes run; as each table's passes finish, its measures are sent to them with just the cube
columns they read, so the statistics of one table overlap the aggregation of the next, and
the backend connection is only ever used by this process. With one worker everything runs
here, in the same order, through the same function.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import pandas as pd

from forcestat.engine import cube
from forcestat.engine.evaluate import rows_for
from forcestat.engine.kinds import stats_for
from forcestat.engine.rollup import Geography, roll
from forcestat.framework.model import Measure, Settings

# Below this many (measure, breakdown, period) evaluations the pool's start-up (forking and
# sending cubes) costs more than it saves: small stores in tests, one-measure CLI calls.
MIN_PARALLEL_WORK = 60

# How much the workers defer to this process while its backend runs the passes. Only for runs
# whose passes are the critical path (one period): a niced worker defers to every other process
# on the machine too, so on a shared machine an all-periods run, whose statistics are 90% of the
# work and come after the passes, ran its two workers at about 0.4 of a core each (benchmarks/
# engine.py; docs/scale.md).
NICE = 10

Rows = list[dict[str, Any]]
# (pass index, cube columns for the measure, its lagged pass's columns or None)
Frames = list[tuple[int, pd.DataFrame, pd.DataFrame | None]]

# (measures, passes, geography, settings, tests run) of the run, in a worker process only: set
# by the pool's initializer (fork passes it on without pickling). The parent passes its own state
# explicitly, so that runs in several threads of one process do not share it.
_STATE: tuple[Any, ...] = ()


# In a worker: caches of each pass's roll-up (``rollup.unit_codes``, ``rollup._layout``), kept
# across the measures of the pass. A pool serves one run only, so they never go stale.
_PASS_CACHES = ("_units", "_layout", "_cross_parts")
_SHARED: dict[tuple[int, str, int], dict] = {}


def _worker_start(state: tuple[Any, ...], nice: int) -> None:
    global _STATE
    _STATE = state
    _SHARED.clear()
    # The backend's passes are the critical path (every table's statistics wait for them):
    # workers yield the CPU to them and take what is left.
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)


def _in_worker(
    mi: int,
    jobs: Sequence[tuple[str, int]],
    frames: Frames,
    span: tuple[int, int],
    periods: Sequence[int],
) -> Rows:
    return _evaluate(_STATE, mi, jobs, frames, span, periods)


def default_workers(work: int) -> int:
    if work < MIN_PARALLEL_WORK or "fork" not in mp.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _columns_for(p: cube.Pass, m: Measure) -> list[str]:
    keys = [cube.MONTH, *p.keys]
    if p.kind == "additive":
        return keys + [cube.metric(m, k) for k in cube.metrics_of(m)]
    if p.kind == "lagged":
        return [*keys, cube.LAG, cube.metric(m, "num")]
    return list(p.frame.columns)  # type: ignore[union-attr]  # medians, daily: one measure


def _select(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame[columns]`` by position: a third of the time pandas takes to select by name,
    which this process spends for every measure it sends, between passes."""
    return frame.take([frame.columns.get_loc(c) for c in columns], axis=1)


def _evaluate(
    state: tuple[Any, ...],
    mi: int,
    jobs: Sequence[tuple[str, int]],
    frames: Frames | None,
    span: tuple[int, int],
    periods: Sequence[int],
) -> Rows:
    """Rows of measure ``chosen[mi]`` for each (breakdown, pass index) in ``jobs``. In a worker
    ``frames`` carries the cube columns of those passes (on copies of the inherited passes); in
    this process (``frames`` None) the passes already hold their cubes."""
    chosen, passes, geo, settings, tested = state
    m: Measure = chosen[mi]
    try:
        local: dict[int, cube.Pass] = {}
        for pi, frame, lag_frame in frames or ():
            p = passes[pi]
            lagged = None
            if p.lagged is not None and lag_frame is not None:
                lagged = dataclasses.replace(p.lagged, frame=lag_frame)
            local[pi] = dataclasses.replace(p, frame=frame, lagged=lagged)
            # The unit codes and cell layout of a pass are the same for each of its measures
            # (their frames hold the same rows): a worker works them out once per run.
            for name in _PASS_CACHES:
                local[pi].__dict__[name] = _SHARED.setdefault((pi, name, len(frame)), {})
        rows: Rows = []
        for b, pi in jobs:
            p = local.get(pi, passes[pi])
            units = roll(p, m, b, geo, span)
            if units.labels:
                ks = stats_for(m, units, settings)
                ks.tested = tested
                rows.extend(rows_for(ks, m, settings, periods, span))
        return rows
    except Exception as exc:
        # A worker's error comes back without saying what it was doing.
        exc.add_note(f"while evaluating measure {m.id!r}")
        raise


class Evaluator:
    """Takes each measure as soon as its table's passes are done; ``rows()`` gives all the rows
    in measure order."""

    def __init__(
        self,
        chosen: Sequence[Measure],
        passes: Sequence[cube.Pass],
        geo: Geography,
        settings: Settings,
        workers: int,
        progress: Callable[[str, int, int], None] | None = None,
        nice: int | None = None,
    ):
        self.chosen = list(chosen)
        self.index = {id(p): i for i, p in enumerate(passes)}
        self.progress = progress
        self.done: dict[int, Rows] = {}
        self.futures: dict[int, Future[Rows]] = {}
        self.pool: ProcessPoolExecutor | None = None
        # The last element: E-tests already run in this run (``KindStats.tested``), per process.
        self.state = (self.chosen, list(passes), geo, settings, {})
        if workers > 1:
            try:
                self.pool = ProcessPoolExecutor(
                    workers,
                    mp_context=mp.get_context("fork"),
                    initializer=_worker_start,
                    initargs=(self.state, NICE if nice is None else nice),
                )
                # Fork now, while the backend is idle: the workers start from this state. What
                # exists at the fork is frozen out of the garbage collector, so that no worker
                # finalises an inherited backend object (a py4j proxy would tell Spark to drop
                # it over the parent's own connection, while the parent is using it). No
                # collection first: a full one costs 80 ms here, and garbage frozen in a worker
                # is merely never collected there.
                gc.freeze()
                try:
                    self.pool.submit(int).result()
                finally:
                    gc.unfreeze()
            except BaseException:
                self.close()
                raise

    def submit(
        self, mi: int, jobs: Sequence[tuple[str, cube.Pass]], span: tuple[int, int], periods
    ) -> None:
        m = self.chosen[mi]
        if self.pool is None:
            if self.progress:
                self.progress(f"evaluating {m.id}", len(self.done), len(self.chosen))
            idx = [(b, self.index[id(p)]) for b, p in jobs]
            self.done[mi] = _evaluate(self.state, mi, idx, None, span, list(periods))
            return
        frames: Frames = []
        for p in {id(p): p for _, p in jobs}.values():
            assert p.frame is not None
            lag = None
            if p.lagged is not None and any(x.id == m.id for x in p.lagged.measures):
                lag = p.lagged.frame
            frames.append(
                (
                    self.index[id(p)],
                    _select(p.frame, _columns_for(p, m)),
                    None if lag is None else _select(lag, _columns_for(p.lagged, m)),  # type: ignore[arg-type]
                )
            )
        idx = [(b, self.index[id(p)]) for b, p in jobs]
        self.futures[mi] = self.pool.submit(_in_worker, mi, idx, frames, span, list(periods))

    def rows(self) -> Rows:
        try:
            for k, (mi, fut) in enumerate(self.futures.items()):
                self.done[mi] = fut.result()
                if self.progress:
                    self.progress(f"evaluated {self.chosen[mi].id}", k, len(self.futures))
        finally:
            self.close()
        return [r for mi in sorted(self.done) for r in self.done[mi]]

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
