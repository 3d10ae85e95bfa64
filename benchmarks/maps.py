"""Time to build and render the maps and small multiples, against one SPC chart measured in the
same run (the report draws ~60 of those).

    .venv/bin/python benchmarks/maps.py [--repeat 5]

Each figure: build (Python: outlines, labels, binning, the Vega-Lite spec), SVG (vl-convert)
and PNG at the report's 1.5x (vl-convert, from the SVG); the median of ``--repeat`` runs after
one warm-up (vl-convert's first call in a process starts its JavaScript engine, ~2 s, once).
Inputs are synthetic but of real size: six Cambridgeshire districts, all 296 English districts,
60,000 crime locations (a force-year) around Cambridgeshire's towns, six district panels.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from forcestat.engine.series import MonthlySeries
from forcestat.outputs import charts
from forcestat.outputs.boundaries import lad_names
from forcestat.outputs.figure import Figure
from forcestat.outputs.maps import choropleth, hexbin
from forcestat.outputs.multiples import small_multiples

CAMBS = [
    "Cambridge",
    "East Cambridgeshire",
    "Fenland",
    "Huntingdonshire",
    "Peterborough",
    "South Cambridgeshire",
]
MONTHS = tuple(f"{2017 + (i + 3) // 12}-{(i + 3) % 12 + 1:02d}" for i in range(36))


def _series(unit: str, level: float, rng: np.random.Generator) -> MonthlySeries:
    values = rng.poisson(level, 36).astype(float)
    mean = np.full(36, values.mean())
    return MonthlySeries(
        "m", "district", unit, "count", "lower_is_better", MONTHS, values, mean,
        mean + 3 * np.sqrt(level), mean - 3 * np.sqrt(level), (None,) * 36, (None,) * 36,
        np.zeros(36, bool), np.zeros(36, int), values, "xmr", "common_cause",
    )  # fmt: skip


def _points(rng: np.random.Generator, n: int = 60_000) -> np.ndarray:
    towns = [(0.12, 52.205, 0.03, 0.35), (-0.242, 52.57, 0.04, 0.35), (0.16, 52.67, 0.02, 0.1),
             (-0.18, 52.33, 0.02, 0.1), (0.26, 52.4, 0.015, 0.05)]  # fmt: skip
    parts = [rng.normal([x, y], [s * 1.6, s], (int(n * w), 2)) for x, y, s, w in towns]
    k = n - sum(len(p) for p in parts)
    parts.append(np.column_stack([rng.uniform(-0.45, 0.5, k), rng.uniform(52.0, 52.75, k)]))
    return np.vstack(parts)


def _time(fn: Callable[[], object], repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    repeat = ap.parse_args().repeat
    rng = np.random.default_rng(1)
    values = {n: float(rng.gamma(4, 20)) for n in CAMBS}
    england = {n: float(rng.gamma(4, 20)) for n in lad_names()}
    pts = _points(rng)
    units = [_series(n, 20 + 10 * i, rng) for i, n in enumerate(CAMBS)]
    spc = charts.spc_spec(units[0])

    builders: dict[str, Callable[[], Figure | dict]] = {
        "SPC chart (baseline)": lambda: charts.spc_spec(units[0]),
        "choropleth, 6 districts": lambda: choropleth(values, title="t", legend_title="l"),
        "choropleth, 296 districts": lambda: choropleth(england, title="t", legend_title="l"),
        "hexbin, 60,000 points": lambda: hexbin(pts, districts=CAMBS, title="t"),
        "small multiples, 6 panels": lambda: small_multiples(units, title="t"),
    }
    charts.render_svgs([spc])  # warm-up: vl-convert starts its JavaScript engine once
    rows = []
    for name, build in builders.items():
        build()  # warm-up: templates are cached per process
        t_build = _time(build, repeat)
        made = build()
        spec = made if isinstance(made, dict) else made.spec
        (svg,) = charts.render_svgs([spec])
        t_svg = _time(lambda spec=spec: charts.render_svgs([spec]), repeat)
        t_png = _time(lambda svg=svg: charts.svgs_to_pngs([svg], scale=1.5), repeat)
        rows.append((name, t_build, t_svg, t_png, len(svg)))
    base = rows[0][1] + rows[0][2] + rows[0][3]
    print(f"median of {repeat} runs, seconds; ratio = total / the SPC chart's total")
    print(f"{'figure':<28}{'build':>8}{'svg':>8}{'png':>8}{'total':>8}{'ratio':>7}{'svg KB':>8}")
    for name, b, s, p, size in rows:
        total = b + s + p
        print(
            f"{name:<28}{b:8.3f}{s:8.3f}{p:8.3f}{total:8.3f}{total / base:7.1f}{size / 1000:8.0f}"
        )


if __name__ == "__main__":
    main()
