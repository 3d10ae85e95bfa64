"""Evaluate the statistics of many breakdown units, in worker processes when it pays.

Once the cube is rolled up, every (measure, breakdown) is independent: a list of units with
their monthly arrays. The statistics (intervals, tests, charts, trends) cost a few milliseconds
per unit and period, so on a machine with more than one core the units are shared between
forked worker processes. Workers only compute on numpy arrays already in memory; they never
touch the backend connection.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from forcestat.engine.evaluate import rows_for
from forcestat.engine.kinds import KindStats
from forcestat.framework.model import Measure, Settings

# Below this many unit-periods the pool's start-up costs more than it saves.
MIN_PARALLEL_WORK = 200

_TASKS: list[Task] = []
_SETTINGS: list[Settings] = []


@dataclass
class Task:
    stats: KindStats
    measure: Measure
    periods: Sequence[int]
    span: tuple[int, int]

    @property
    def work(self) -> int:
        return len(self.stats.units.labels) * len(self.periods)


def _run(i: int) -> list[dict[str, Any]]:
    t = _TASKS[i]
    return list(rows_for(t.stats, t.measure, _SETTINGS[0], t.periods, t.span))


def default_workers(work: int) -> int:
    if work < MIN_PARALLEL_WORK or "fork" not in mp.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def evaluate_tasks(
    tasks: list[Task],
    settings: Settings,
    workers: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Rows of every task, in task order."""
    work = sum(t.work for t in tasks)
    n = default_workers(work) if workers is None else max(1, workers)
    if n == 1 or len(tasks) < 2:
        rows: list[dict[str, Any]] = []
        for k, t in enumerate(tasks):
            if progress:
                progress(f"evaluating {t.measure.id}", k, len(tasks))
            rows.extend(rows_for(t.stats, t.measure, settings, t.periods, t.span))
        return rows
    # Forked workers inherit the tasks; only their indices and the rows cross processes.
    _TASKS[:] = tasks
    _SETTINGS[:] = [settings]
    # The biggest first, so that no worker is left with a long task at the end.
    order = sorted(range(len(tasks)), key=lambda i: -tasks[i].work)
    out: dict[int, list[dict[str, Any]]] = {}
    try:
        with ProcessPoolExecutor(n, mp_context=mp.get_context("fork")) as pool:
            for done, (i, rows) in enumerate(zip(order, pool.map(_run, order), strict=True)):
                out[i] = rows
                if progress:
                    progress(f"evaluated {tasks[i].measure.id}", done, len(tasks))
    finally:
        _TASKS.clear()
        _SETTINGS.clear()
    return [r for i in range(len(tasks)) for r in out[i]]
