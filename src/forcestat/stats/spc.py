"""Statistical process control: XmR, P' (Laney), p, u, c, t, g and run charts with the NHS
"Making Data Count" rules (following NHSRplotthedots: ``ptd_spc_standard.R``,
``ptd_calculate_point_type.R``), limits as qicharts2 draws them for the attribute and rare-event
charts, Anhøj's runs rules for run charts, and the variation and assurance icons.

Only the maths lives here; ``outputs/`` draws. The rules that apply to a chart are one value,
``SpcRules`` (built once from the framework's settings by the engine); the one-chart functions
take its fields as keywords too. Every departure from a peer is an option, and the two where
forcestat's default differs on purpose have a named setting that reproduces the peer:
``trial_count="segment"`` (NHSRplotthedots) and ``laney="always"`` (qicharts2). docs/methods.md
section 4 lists them with their reasons.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import special

from forcestat.stats.anhoej import RunsAnalysis, runs_analysis

__all__ = [
    "ASSURANCE",
    "CHARTS",
    "DEFAULT_RULES",
    "ICONS",
    "NHSRPLOTTHEDOTS",
    "QICHARTS2",
    "RULES",
    "SpcRules",
    "XmrResult",
    "assurance",
    "c_chart",
    "c_chart_rows",
    "g_chart",
    "laney_p_prime",
    "laney_p_prime_rows",
    "p_chart",
    "p_chart_rows",
    "process_limits",
    "run_chart",
    "run_chart_rows",
    "spc_icon",
    "t_chart",
    "u_chart",
    "u_chart_rows",
    "xmr",
    "xmr_rows",
]

RULES = ("outside", "trend", "two_of_three", "shift")  # in priority order
ICONS = ("improvement", "concern", "neutral", "common_cause", "none")
# Making Data Count's assurance icons, with NHSRplotthedots' names.
ASSURANCE = ("consistent_pass", "consistent_fail", "inconsistent", "none")
CHARTS = ("xmr", "p", "p_prime", "u", "u_prime", "c", "t", "g", "run")

XMR_CONSTANT = 2.66  # NHSRplotthedots / Making Data Count; 3 / 1.128 = 2.6596 is the textbook one
SCREEN_FACTOR = 3.267  # D4 for moving ranges of two: the upper limit of a moving range chart
D2 = 1.128  # E[range of two standard normals], Laney's sigma_z = mean moving range / d2
# Screening that would drop more than this share of the moving ranges falls back to unscreened
# limits (coarse data, not outliers; our departure from NHSRplotthedots, docs/methods.md 4.1).
SCREEN_MAX_SHARE = 0.2
# Times between events are charted on the 1/3.6 power scale, which makes exponential times
# nearly symmetric (Nelson 1994; Montgomery 2009, section 7.3.5; qicharts2 ``qic.t``).
T_POWER = 3.6


@dataclass(frozen=True)
class SpcRules:
    """The rules a chart is drawn and read with: one value from the framework's settings.

    ``baseline``: points (from each segment's start) that fix the limits, None for all.
    ``rebase_at``: point indices that start a new segment with its own limits.
    ``exclude``: point indices left out of the limits' calculation (and of Anhøj's runs
    analysis, as qicharts2 does) but still plotted and tested against the limits and rules.
    ``shift_length``, ``trend_length``, ``two_of_three_counts_outside``: the rules (4.2).
    ``screen_moving_ranges``: screen moving ranges once at 3.267 x their mean; None means the
    chart's own default (on for XmR and t, off for Laney's P' and U').
    ``screen_fallback``: skip a screening that would drop more than 20% of the moving ranges.
    ``constant``: XmR limits at mean +/- constant x mean moving range.
    ``min_points``: fewer points give trial limits (no icon). ``trial_count``: "baseline"
    counts the points the limits rest on (forcestat), "segment" the segment's points
    (NHSRplotthedots' short-group warning).
    ``small_n``, ``laney``: P'/U' fall back to the p/u chart when sigma_z <= 1 or the mean
    subgroup is below ``small_n`` ("when_overdispersed", forcestat); "always" applies sigma_z
    unconditionally (qicharts2).
    ``autocorrelation``: "ar1" judges XmR, P' and U' charts whose baseline shows significant
    positive lag-1 autocorrelation (one-sided ``ar1_alpha``) against the one-step forecast of an
    AR(1) model (Alwan & Roberts 1988); "ignore" never does.
    """

    baseline: int | None = None
    rebase_at: tuple[int, ...] = ()
    exclude: tuple[int, ...] = ()
    shift_length: int = 7
    trend_length: int = 7
    two_of_three_counts_outside: bool = False
    screen_moving_ranges: bool | None = None
    screen_fallback: bool = True
    constant: float = XMR_CONSTANT
    min_points: int = 13
    trial_count: str = "baseline"
    small_n: float = 50.0
    laney: str = "when_overdispersed"
    autocorrelation: str = "ignore"
    ar1_alpha: float = 0.05

    def __post_init__(self) -> None:
        # Sequences from callers (lists, numpy arrays) become tuples of ints: the value is
        # hashable and compares equal however it was built.
        for name in ("rebase_at", "exclude"):
            object.__setattr__(self, name, tuple(int(i) for i in getattr(self, name)))
        if self.baseline is not None and self.baseline < 1:
            raise ValueError(f"baseline must be >= 1 point, got {self.baseline!r}")
        if self.shift_length < 2 or self.trend_length < 2:
            raise ValueError("shift_length and trend_length must be >= 2")
        if self.min_points < 1:
            raise ValueError("min_points must be >= 1")
        if self.constant <= 0:
            raise ValueError("constant must be positive")
        for name, allowed in (
            ("trial_count", ("baseline", "segment")),
            ("laney", ("when_overdispersed", "always")),
            ("autocorrelation", ("ignore", "ar1")),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not 0.0 < self.ar1_alpha < 1.0:
            raise ValueError("ar1_alpha must be between 0 and 1")

    def replace(self, **changes: Any) -> SpcRules:
        return dataclasses.replace(self, **changes)


DEFAULT_RULES = SpcRules()
# The peers' own readings (docs/methods.md 4.5): NHSRplotthedots' screening without the
# fallback and its short-group warning; qicharts2's I chart constant 3/1.128 and unconditional
# Laney sigma_z (moving ranges screened: the option qic.screenedmr, set when it is attached).
NHSRPLOTTHEDOTS = SpcRules(screen_fallback=False, trial_count="segment")
QICHARTS2 = SpcRules(
    constant=3.0 / D2, screen_moving_ranges=True, screen_fallback=False, laney="always", small_n=0
)


def _rules(rules: SpcRules | None, overrides: Mapping[str, Any]) -> SpcRules:
    base = DEFAULT_RULES if rules is None else rules
    return base.replace(**overrides) if overrides else base


@dataclass(frozen=True)
class XmrResult:
    """Per-point limits and signals of one control (or run) chart.

    ``signal[i]`` is the highest-priority rule the point is part of ("outside", "trend",
    "two_of_three", "shift") or None; ``direction[i]`` is "high"/"low" (for a trend: increasing
    or decreasing) or None. ``rule_flags[rule][i]`` is +1/-1/0 for every rule before priority
    is applied, so callers can ask e.g. "is any recent point part of a shift" even when an
    outside-limits point outranks it. ``trial[i]`` is True when the limits at point i are trial
    limits (``SpcRules.trial_count``); ``trial_limits`` is ``trial.any()``.

    ``mean`` is the centre line: the mean (XmR, c), the pooled rate (p, u), the median (run, g),
    or, where an AR(1) model is used, the one-step forecast; ``level`` is the segment's level
    either way. On a run chart the limits are nan and a "shift" is a run longer than Anhøj's
    limit (``runs`` holds each segment's analysis).
    """

    values: np.ndarray
    mean: np.ndarray
    ucl: np.ndarray
    lcl: np.ndarray
    upper_2s: np.ndarray
    lower_2s: np.ndarray
    signal: tuple[str | None, ...]
    direction: tuple[str | None, ...]
    rule_flags: Mapping[str, np.ndarray]
    segment: np.ndarray
    trial: np.ndarray
    trial_limits: bool
    method: str = "xmr"
    segment_methods: tuple[str, ...] = ()
    sigma_z: tuple[float, ...] = field(default=())
    min_points: int = 13
    # Per segment: "screened", "unscreened" or "fallback" (screening would have collapsed the
    # limits; the unscreened mean moving range is used). Empty for charts without screening.
    screening: tuple[str, ...] = ()
    level: np.ndarray | None = None
    excluded: np.ndarray | None = None
    # Per segment: the lag-1 autocorrelation the chart allows for (nan: none).
    ar1: tuple[float, ...] = ()
    runs: tuple[RunsAnalysis, ...] = ()

    def __len__(self) -> int:
        return int(self.values.size)


# -- segments, baselines and moving ranges -----------------------------------------------------


def _segments(n: int, rebase_at: Sequence[int]) -> list[tuple[int, int]]:
    """Half-open [start, end) index ranges; a rebase index starts a new segment.

    Indices outside 1..n-1 are ignored: a rebase at or before the first point, or after the
    last, changes nothing (the framework's rebase dates may precede the data).
    """
    cuts = sorted({int(i) for i in rebase_at if 0 < int(i) < n})
    bounds = [0, *cuts, n]
    return [(bounds[k], bounds[k + 1]) for k in range(len(bounds) - 1)]


def _base_columns(s: int, e: int, rules: SpcRules) -> np.ndarray:
    """The points of segment [s, e) the limits rest on: its first ``baseline`` points (all if
    None) less the excluded ones. Moving ranges join consecutive base points, across an
    excluded one (qicharts2 takes ``diff`` of the included values)."""
    stop = e if rules.baseline is None else min(e, s + rules.baseline)
    cols = np.arange(s, stop)
    if rules.exclude:
        cols = cols[~np.isin(cols, rules.exclude)]
    return cols


_HOW = np.array(["unscreened", "screened", "fallback"], dtype=object)


def _mean_moving_ranges(
    base: np.ndarray, screen: bool, fallback: bool = True
) -> tuple[np.ndarray, list[str]]:
    """Mean moving range of consecutive points of each row of a [row, point] array, with
    NHSRplotthedots' one-pass screening, and how each was screened: "screened", "unscreened"
    (``screen`` off, or nothing to screen) or "fallback".

    Moving ranges >= 3.267 x the mean moving range are dropped and the mean recomputed once;
    the centre line is not touched. Moving ranges next to a missing value are skipped.
    Screening is meant for a few outlying moving ranges (about 1% of them for normal data).
    With ``fallback``, when it would drop more than ``SCREEN_MAX_SHARE`` of them, or every
    non-zero one (a mean moving range of 0), the data are coarse (e.g. monthly medians that
    take two values) rather than outlying, the screened limits would collapse onto the mean,
    and the unscreened mean moving range is kept ("fallback"). ``fallback=False`` is
    NHSRplotthedots.
    """
    mr = np.abs(base[:, 1:] - base[:, :-1])
    ok = np.isfinite(mr)
    m = ok.sum(axis=1)
    mr0 = np.where(ok, mr, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        amr = np.where(m > 0, mr0.sum(axis=1) / m, np.nan)
        how = np.zeros(base.shape[0], dtype=np.int64)  # unscreened
        if not screen:
            return amr, _HOW[how].tolist()
        keep = ok & (mr < SCREEN_FACTOR * amr[:, None])
        kept = keep.sum(axis=1)
        screened = np.where(kept > 0, np.where(keep, mr, 0.0).sum(axis=1) / kept, np.nan)
    # Screening applies where there is something to screen: moving ranges, a non-zero mean and
    # at least one dropped.
    applies = (m > 0) & (amr != 0) & (kept < m)
    out = np.where(applies, screened, amr)
    how[applies] = 1
    if fallback:
        share_dropped = np.where(m > 0, 1.0 - kept / np.maximum(m, 1), 0.0)
        back = applies & ((screened == 0) | (share_dropped > SCREEN_MAX_SHARE))
        out = np.where(back, amr, out)
        how[back] = 2
    return out, _HOW[how].tolist()


def _lag1(base: np.ndarray, alpha: float) -> np.ndarray:
    """Lag-1 autocorrelation of each row of a [row, point] array about its least-squares line
    (missing points skipped; a pair needs both points), where it is significantly positive at
    one-sided ``alpha`` against its null sd 1/sqrt(n) (Box, Jenkins & Reinsel); nan elsewhere.
    The line keeps a steady trend from reading as autocorrelation."""
    rows, m = base.shape
    out = np.full(rows, np.nan)
    if m < 3:
        return out
    w = np.isfinite(base)
    n = w.sum(axis=1)
    t = np.arange(m, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tb = (w * t).sum(axis=1) / n
        yb = np.where(w, base, 0.0).sum(axis=1) / n
        dt = np.where(w, t - tb[:, None], 0.0)
        dy = np.where(w, base - yb[:, None], 0.0)
        slope = (dt * dy).sum(axis=1) / (dt * dt).sum(axis=1)
        resid = np.where(w, dy - slope[:, None] * dt, np.nan)
        r0 = np.nansum(resid * resid, axis=1)
        prod = resid[:, 1:] * resid[:, :-1]
        r1 = np.where(np.isfinite(prod), prod, 0.0).sum(axis=1)
        rho = r1 / r0
        cut = -special.ndtri(alpha) / np.sqrt(n)
    use = (n >= 8) & np.isfinite(rho) & (rho > cut) & (rho < 1.0)
    out[use] = rho[use]
    return out


def _forecast(seg: np.ndarray, level: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """One-step forecasts of an AR(1) about ``level`` for [row, point] values of one segment:
    level + rho (y_(t-1) - level), the level itself at the segment's first point or after a
    missing one; rows without a rho get their level."""
    prev = np.full(seg.shape, np.nan)
    prev[:, 1:] = seg[:, :-1]
    r = np.where(np.isfinite(rho), rho, 0.0)[:, None]
    f = level[:, None] + r * (prev - level[:, None])
    return np.where(np.isfinite(prev), f, level[:, None])


# -- the rules ---------------------------------------------------------------------------------


_RULE_NAMES = np.array([*RULES, None], dtype=object)
_DIRECTIONS = np.array(["low", None, "high"], dtype=object)


def _long_runs(v: np.ndarray, length: int) -> np.ndarray:
    """``v`` where a point is in a maximal run of ``length`` or more equal non-zero values along
    its row, else 0 (vectorised over rows and points: this runs for every chart of every unit
    and period)."""
    if v.size == 0:
        return v
    start = np.empty(v.shape, dtype=bool)
    start[:, 0] = True  # every row starts a run: runs never cross rows
    np.not_equal(v[:, 1:], v[:, :-1], out=start[:, 1:])
    run = np.cumsum(start.ravel()) - 1
    long_ = (np.bincount(run)[run] >= length).reshape(v.shape)
    return np.where(long_ & (v != 0), v, 0).astype(np.int8)


def _signs(d: np.ndarray) -> np.ndarray:
    """sign(d) as int8, 0 where d is missing (a missing value breaks runs). Comparisons with nan
    are False, so no masking is needed."""
    return (d > 0).view(np.int8) - (d < 0).view(np.int8)


_RULE_INDEX = {rule: k for k, rule in enumerate(RULES)}
_OUTSIDE, _TREND, _TWO, _SHIFT = (_RULE_INDEX[r] for r in RULES)


def _prioritise(stacked: np.ndarray) -> tuple[list[list[str | None]], list[list[str | None]]]:
    """Per chart, the signal and direction of each point from [rule, chart, point] flags."""
    fired = stacked != 0
    # The first rule that fired (priority order), or the "none" slot after the last rule.
    first = np.argmax(fired, axis=0)
    first[~fired.any(axis=0)] = len(RULES)
    chosen = np.take_along_axis(stacked, np.minimum(first, len(RULES) - 1)[None], axis=0)[0]
    # Names picked by index from object arrays: this runs for every unit and period.
    return _RULE_NAMES[first].tolist(), _DIRECTIONS[chosen + 1].tolist()


def _detect(
    y: np.ndarray,
    centre: np.ndarray,
    upper: np.ndarray,
    lower: np.ndarray,
    up2: np.ndarray,
    lo2: np.ndarray,
    segments: list[tuple[int, int]],
    rules: SpcRules,
) -> tuple[np.ndarray, list[list[str | None]], list[list[str | None]]]:
    """The rules on [chart, point] arrays: (flags [rule, chart, point] in ``RULES`` order, and
    per chart the signal and direction of each point)."""
    rows, n = y.shape
    stacked = np.zeros((len(RULES), rows, n), dtype=np.int8)
    rtm = _signs(y - centre)
    # Comparisons with a missing value or limit are False: such a point is never outside.
    outside = (y > upper) | (y < lower)
    beyond_2s = (y > up2) | (y < lo2)
    close = beyond_2s if rules.two_of_three_counts_outside else beyond_2s & ~outside
    np.copyto(stacked[_OUTSIDE], rtm, where=outside)

    for s, e in segments:
        # Shift: shift_length or more consecutive points on one side; a point on the mean
        # (sign 0) ends the run.
        stacked[_SHIFT, :, s:e] = _long_runs(rtm[:, s:e], rules.shift_length)

        # Trend: trend_length points each strictly higher (lower) than the one before; a tie
        # (difference 0) ends it. A run of trend_length - 1 steps flags the points it joins;
        # a point shared by an increasing and a following decreasing trend takes the later
        # direction, as NHSRplotthedots' "use the right-hand side" rule does: each point takes
        # its own step's run, else the run of the step into it.
        if e - s >= 2:
            seg = y[:, s:e]
            steps = _long_runs(_signs(seg[:, 1:] - seg[:, :-1]), rules.trend_length - 1)
            trend = stacked[_TREND, :, s:e]
            trend[:, :-1] = steps
            trend[:, 1:] = np.where(trend[:, 1:] == 0, steps, trend[:, 1:])

        # Two of three: a window of three consecutive points all on the same side of the mean,
        # at least two of them beyond 2 sigma; those beyond 2 sigma are flagged. The "all
        # three on the same side" condition is NHSRplotthedots' (abs(sum(sign)) == 3).
        if e - s >= 3:
            c = close[:, s:e].view(np.int8)
            r = rtm[:, s:e]
            window = (np.abs(r[:, :-2] + r[:, 1:-1] + r[:, 2:]) == 3) & (
                c[:, :-2] + c[:, 1:-1] + c[:, 2:] >= 2
            )
            covered = np.zeros((rows, e - s), dtype=bool)
            covered[:, :-2] |= window
            covered[:, 1:-1] |= window
            covered[:, 2:] |= window
            hit = covered & close[:, s:e]
            np.copyto(stacked[_TWO, :, s:e], r, where=hit)

    signal, direction = _prioritise(stacked)
    return stacked, signal, direction


# -- assembling results ------------------------------------------------------------------------


@dataclass
class _Limits:
    """[chart, point] centre and limits, and per chart and segment what they rest on."""

    centre: np.ndarray
    ucl: np.ndarray
    lcl: np.ndarray
    up2: np.ndarray
    lo2: np.ndarray
    level: np.ndarray
    basis: np.ndarray  # [chart, segment] points the limits rest on
    segment_methods: list[list[str]]
    sigma_z: list[list[float]] | None = None
    screening: list[list[str]] | None = None
    ar1: list[list[float]] | None = None

    @classmethod
    def empty(cls, rows: int, n: int, nseg: int) -> _Limits:
        nan = np.full((rows, n), np.nan)
        return cls(
            nan,
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            nan.copy(),
            np.zeros((rows, nseg), dtype=np.int64),
            [[] for _ in range(rows)],
        )

    def set_band(self, r: Any, s: int, e: int, centre, half3, clip=None) -> None:
        """Centre +/- half3 (3 sigma) and +/- 2/3 of it on rows ``r`` of points [s, e)."""
        c = np.broadcast_to(centre, self.centre[r, s:e].shape)
        h = np.broadcast_to(half3, c.shape)
        bands = (c + h, c - h, c + h * (2.0 / 3.0), c - h * (2.0 / 3.0))
        if clip is not None:
            # Proportions and counts cannot leave their range; clipping changes no signal
            # (comparisons are strict).
            bands = tuple(np.clip(b, *clip) for b in bands)
        self.centre[r, s:e] = c
        self.ucl[r, s:e], self.lcl[r, s:e], self.up2[r, s:e], self.lo2[r, s:e] = bands


def _finish(
    y: np.ndarray,
    lim: _Limits,
    segments: list[tuple[int, int]],
    rules: SpcRules,
    method: list[str],
    *,
    flags: np.ndarray | None = None,
    runs: list[list[RunsAnalysis]] | None = None,
) -> list[XmrResult]:
    """The rules on the limits (or the given flags, for run charts), trial limits, results."""
    if flags is None:
        flags, signal, direction = _detect(
            y, lim.centre, lim.ucl, lim.lcl, lim.up2, lim.lo2, segments, rules
        )
    else:
        signal, direction = _prioritise(flags)
    rows, n = y.shape
    segment = np.zeros(n, dtype=np.int64)
    trial = np.zeros((rows, n), dtype=bool)
    for k, (s, e) in enumerate(segments):
        segment[s:e] = k
        count = lim.basis[:, k] if rules.trial_count == "baseline" else np.full(rows, e - s)
        trial[:, s:e] = (count < rules.min_points)[:, None]
    excluded = np.zeros(n, dtype=bool)
    if rules.exclude:
        idx = np.asarray([i for i in rules.exclude if 0 <= i < n], dtype=np.int64)
        excluded[idx] = True
    return [
        XmrResult(
            values=y[r],
            mean=lim.centre[r],
            ucl=lim.ucl[r],
            lcl=lim.lcl[r],
            upper_2s=lim.up2[r],
            lower_2s=lim.lo2[r],
            signal=tuple(signal[r]),
            direction=tuple(direction[r]),
            rule_flags={rule: flags[k, r] for k, rule in enumerate(RULES)},
            segment=segment,
            trial=trial[r],
            trial_limits=bool(trial[r].any()),
            method=method[r],
            segment_methods=tuple(lim.segment_methods[r]),
            sigma_z=() if lim.sigma_z is None else tuple(lim.sigma_z[r]),
            min_points=rules.min_points,
            screening=() if lim.screening is None else tuple(lim.screening[r]),
            level=lim.level[r],
            excluded=excluded,
            ar1=() if lim.ar1 is None else tuple(lim.ar1[r]),
            runs=() if runs is None else tuple(runs[r]),
        )
        for r in range(rows)
    ]


def _rows_2d(values: Any, name: str = "values") -> np.ndarray:
    y = np.asarray(values, dtype=float)
    if y.ndim != 2:
        raise ValueError(f"{name} must be two-dimensional (one chart per row)")
    return y


def _one_row(values: Any) -> np.ndarray:
    y = np.asarray(values, dtype=float)
    if y.ndim != 1:
        raise ValueError("values must be one-dimensional")
    return y[None, :]


# -- XmR -----------------------------------------------------------------------------------------


def _xmr_limits(y: np.ndarray, rules: SpcRules, screen_default: bool = True) -> _Limits:
    rows, n = y.shape
    segments = _segments(n, rules.rebase_at)
    lim = _Limits.empty(rows, n, len(segments))
    lim.screening = [[] for _ in range(rows)]
    lim.ar1 = [[] for _ in range(rows)]
    screen = screen_default if rules.screen_moving_ranges is None else rules.screen_moving_ranges
    for k, (s, e) in enumerate(segments):
        cols = _base_columns(s, e, rules)
        base = y[:, cols]
        finite = np.isfinite(base)
        count = finite.sum(axis=1)
        lim.basis[:, k] = count
        has = count > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(finite, base, 0.0).sum(axis=1) / count
        rho = np.full(rows, np.nan)
        if rules.autocorrelation == "ar1":
            rho = _lag1(base, rules.ar1_alpha)
        centre = _forecast(y[:, s:e], mean, rho)
        # With an AR(1) the spread is that of the one-step forecast errors, read from their
        # moving ranges over the base points (without one, the values' own moving ranges).
        resid = np.where(np.isfinite(rho)[:, None], (y[:, s:e] - centre)[:, cols - s], base)
        amr, how = _mean_moving_ranges(resid, screen, rules.screen_fallback)
        lim.set_band(has, s, e, centre[has], (rules.constant * amr)[has, None])
        lim.level[has, s:e] = mean[has, None]
        for r in range(rows):
            lim.screening[r].append(how[r] if has[r] else "unscreened")
            lim.segment_methods[r].append("xmr")
            lim.ar1[r].append(float(rho[r]))
    return lim


def xmr(values: Sequence[float] | np.ndarray, rules: SpcRules | None = None, **kw: Any):
    """XmR (individuals) chart with Making Data Count rules, NHSRplotthedots defaults.

    Per segment (``rebase_at`` indices start new segments): mean and mean moving range of the
    first ``baseline`` points (all points if None) less the excluded ones, moving ranges
    screened once at 3.267 x their mean, limits mean +/- ``constant`` x mean moving range,
    2-sigma lines at 2/3 of that. ``nan`` values are allowed (a month with no data): they never
    signal and break runs. With ``screen_fallback`` (default; our departure from
    NHSRplotthedots), screening that would drop more than 20% of the moving ranges, or all the
    non-zero ones, is not applied (``result.screening`` says "fallback" for that segment).
    ``rules`` (an ``SpcRules``) and keyword arguments (its fields) set the rules.
    """
    return xmr_rows(_one_row(values), rules, **kw)[0]


def xmr_rows(values: np.ndarray, rules: SpcRules | None = None, **kw: Any) -> list[XmrResult]:
    """``xmr`` of each row of a [chart, point] array (e.g. every unit of a breakdown over the
    same months), in one pass: the engine draws a chart per unit and period, and numpy's
    per-call cost, not the arithmetic, is what one chart of 60 points costs."""
    rules = _rules(rules, kw)
    y = _rows_2d(values)
    lim = _xmr_limits(y, rules)
    segments = _segments(y.shape[1], rules.rebase_at)
    return _finish(y, lim, segments, rules, ["xmr"] * y.shape[0])


def t_chart(times: Sequence[float] | np.ndarray, rules: SpcRules | None = None, **kw: Any):
    """t chart of times between rare events (e.g. days between homicides): the XmR chart of
    t^(1/3.6), its centre line and limits transformed back (qicharts2 ``qic.t``; Montgomery
    2009, 7.3.5). A lower limit below zero on the transformed scale is 0. Times must be > 0.
    The rules read the points against the back-transformed lines, which is the same as reading
    the transformed points against the transformed lines (the power is increasing)."""
    rules = _rules(rules, kw)
    y = _one_row(times)
    if np.nanmin(y) <= 0:
        raise ValueError("times between events must be greater than zero")
    z = y ** (1.0 / T_POWER)
    lim = _xmr_limits(z, rules)
    with np.errstate(invalid="ignore"):
        # qicharts2: a negative lower limit has no power (NaN in R) and is set to 0.
        back = [np.where(a < 0, 0.0, a) ** T_POWER for a in (lim.lcl, lim.lo2)]
    lim.centre, lim.level = lim.centre**T_POWER, lim.level**T_POWER
    lim.ucl, lim.up2 = lim.ucl**T_POWER, lim.up2**T_POWER
    lim.lcl, lim.lo2 = back
    lim.segment_methods = [["t"] * len(m) for m in lim.segment_methods]
    segments = _segments(y.shape[1], rules.rebase_at)
    return _finish(y, lim, segments, rules, ["t"])[0]


# -- attribute charts: p, P', u, U', c, g ----------------------------------------------------------


def _rates(x: Any, n: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs = np.asarray(x, dtype=float)
    ns = np.asarray(n, dtype=float)
    if xs.ndim != 2 or xs.shape != ns.shape:
        raise ValueError("x and n must be of equal shape")
    if np.any(ns < 0) or np.any(xs < 0):
        raise ValueError("need x >= 0 and n >= 0 for every point")
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(ns > 0, xs / ns, np.nan)
    return xs, ns, rate


def _rate_chart(x: Any, n: Any, *, binomial: bool, prime: bool, rules: SpcRules) -> list[XmrResult]:
    """p / P' (``binomial``) or u / U' charts of each row of [chart, point] arrays x and n."""
    xs, ns, rate = _rates(x, n)
    if binomial and np.any(xs > ns):
        raise ValueError("need 0 <= x <= n for every point")
    rows, size = rate.shape
    segments = _segments(size, rules.rebase_at)
    lim = _Limits.empty(rows, size, len(segments))
    lim.sigma_z = [[] for _ in range(rows)]
    lim.ar1 = [[] for _ in range(rows)]
    plain, laney = ("p", "p_prime") if binomial else ("u", "u_prime")
    screen = False if rules.screen_moving_ranges is None else rules.screen_moving_ranges
    clip = (0.0, 1.0) if binomial else (0.0, np.inf)
    for k, (s, e) in enumerate(segments):
        cols = _base_columns(s, e, rules)
        bx, bn = xs[:, cols], ns[:, cols]
        count = (bn > 0).sum(axis=1)
        lim.basis[:, k] = count
        used = count > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            # Points with n = 0 have x = 0 here or are missing: sums over all are sums over used.
            centre = np.where(used, bx.sum(axis=1) / bn.sum(axis=1), np.nan)
            var1 = centre * (1.0 - centre) if binomial else centre  # variance at n = 1
            sigma = np.where(ns[:, s:e] > 0, np.sqrt(var1[:, None] / ns[:, s:e]), np.nan)
        sigma_z = np.full(rows, np.nan)
        rho = np.full(rows, np.nan)
        shift = np.zeros((rows, e - s))  # the AR(1) forecast of z, where one is used
        use_prime = np.zeros(rows, dtype=bool)
        inside = used & (centre > 0.0) & ((centre < 1.0) if binomial else True)
        if prime and inside.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                z_seg = (rate[:, s:e] - centre[:, None]) / sigma
                zb = z_seg[:, cols - s]
                if rules.autocorrelation == "ar1":
                    rho = np.where(inside, _lag1(zb, rules.ar1_alpha), np.nan)
                shift = _forecast(z_seg, np.zeros(rows), rho)
                mr_bar, _ = _mean_moving_ranges(
                    (z_seg - shift)[:, cols - s], screen, rules.screen_fallback
                )
                sigma_z = np.where(inside, mr_bar / D2, np.nan)
                mean_n = bn.sum(axis=1) / count
            ok = inside & np.isfinite(sigma_z)
            if rules.laney == "always":
                use_prime = ok
            else:
                # Laney's P' only widens limits for overdispersion: with sigma_z <= 1 (no extra
                # variation) or small subgroups (where the binomial p chart is already adequate
                # and z is poorly estimated) the plain p chart is used.
                use_prime = ok & (sigma_z > 1.0) & (mean_n >= rules.small_n)
        widen = np.where(use_prime, sigma_z, 1.0)
        shift = np.where(use_prime[:, None], shift, 0.0)
        rho = np.where(use_prime, rho, np.nan)
        lim.set_band(
            used,
            s,
            e,
            (centre[:, None] + sigma * shift)[used],
            (3.0 * sigma * widen[:, None])[used],
            clip=clip,
        )
        lim.level[used, s:e] = centre[used, None]
        for r in range(rows):
            lim.segment_methods[r].append(laney if use_prime[r] else plain)
            lim.sigma_z[r].append(float(sigma_z[r]))
            lim.ar1[r].append(float(rho[r]))
    methods = [m[-1] if m else (laney if prime else plain) for m in lim.segment_methods]
    return _finish(rate, lim, segments, rules, methods)


def _one_chart(x: Any, n: Any) -> tuple[np.ndarray, np.ndarray]:
    xs = np.asarray(x, dtype=float)
    ns = np.asarray(n, dtype=float)
    if xs.ndim != 1 or xs.shape != ns.shape:
        raise ValueError("x and n must be one-dimensional and of equal length")
    return xs[None, :], ns[None, :]


def p_chart(x, n, rules: SpcRules | None = None, **kw: Any) -> XmrResult:
    """Shewhart p chart: p-bar = sum x / sum n over the baseline, limits
    p-bar +/- 3 sqrt(p-bar (1 - p-bar) / n_i), clipped to [0, 1]. Values are proportions 0-1.
    Months with n = 0 are missing (nan) and break runs."""
    xs, ns = _one_chart(x, n)
    return _rate_chart(xs, ns, binomial=True, prime=False, rules=_rules(rules, kw))[0]


def p_chart_rows(x, n, rules: SpcRules | None = None, **kw: Any) -> list[XmrResult]:
    """``p_chart`` of each row of [chart, point] arrays x and n, in one pass."""
    if np.ndim(x) != 2:
        raise ValueError("x and n must be two-dimensional (one chart per row)")
    return _rate_chart(x, n, binomial=True, prime=False, rules=_rules(rules, kw))


def laney_p_prime(x, n, rules: SpcRules | None = None, **kw: Any) -> XmrResult:
    """Laney (2002) P' chart: p chart limits widened by the between-month variation.

    z_i = (p_i - p-bar) / sigma_i, sigma_i = sqrt(p-bar (1 - p-bar) / n_i);
    sigma_z = mean |z_i - z_(i-1)| / 1.128; limits p-bar +/- 3 sigma_i sigma_z.
    Falls back to the p chart (``method == "p"``) per segment when sigma_z <= 1 or the mean
    subgroup size of the baseline is below ``small_n``, unless ``laney="always"`` (qicharts2);
    ``sigma_z`` is reported either way. Laney does not screen moving ranges;
    ``screen_moving_ranges=True`` applies the XmR screening to the z moving ranges.
    """
    xs, ns = _one_chart(x, n)
    return laney_p_prime_rows(xs, ns, rules, **kw)[0]


def laney_p_prime_rows(x, n, rules: SpcRules | None = None, **kw: Any) -> list[XmrResult]:
    """``laney_p_prime`` of each row of [chart, point] arrays x and n, in one pass."""
    if np.ndim(x) != 2:
        raise ValueError("x and n must be two-dimensional (one chart per row)")
    return _rate_chart(x, n, binomial=True, prime=True, rules=_rules(rules, kw))


def u_chart(x, exposure, rules: SpcRules | None = None, *, prime: bool = False, **kw: Any):
    """u chart of events per unit of exposure (crimes per 1,000 residents, per day): u-bar =
    sum x / sum n over the baseline, limits u-bar +/- 3 sqrt(u-bar / n_i), the lower one at
    least 0 (Montgomery 2009, 7.3.1; qicharts2 ``qic.u``). ``prime=True`` is Laney's U' chart
    (z-scores as P', the same fallback rules). Values are x / n; n = 0 is missing."""
    xs, ns = _one_chart(x, exposure)
    return u_chart_rows(xs, ns, rules, prime=prime, **kw)[0]


def u_chart_rows(x, exposure, rules: SpcRules | None = None, *, prime: bool = False, **kw):
    """``u_chart`` of each row of [chart, point] arrays, in one pass."""
    if np.ndim(x) != 2:
        raise ValueError("x and exposure must be two-dimensional (one chart per row)")
    return _rate_chart(x, exposure, binomial=False, prime=prime, rules=_rules(rules, kw))


def c_chart(counts, rules: SpcRules | None = None, **kw: Any) -> XmrResult:
    """c chart of counts of events in equal opportunity (Montgomery 2009, 7.3.1; qicharts2
    ``qic.c``): c-bar = mean of the baseline counts, limits c-bar +/- 3 sqrt(c-bar), the
    lower one at least 0."""
    return c_chart_rows(_one_row(counts), rules, **kw)[0]


def c_chart_rows(counts, rules: SpcRules | None = None, **kw: Any) -> list[XmrResult]:
    """``c_chart`` of each row of a [chart, point] array, in one pass."""
    rules = _rules(rules, kw)
    y = _rows_2d(counts, "counts")
    if np.any(y < 0):
        raise ValueError("counts must be >= 0")
    return _poisson_like(y, rules, geometric=False)


def g_chart(counts_between, rules: SpcRules | None = None, **kw: Any) -> XmrResult:
    """g chart of the opportunities (e.g. days, cases) between rare events (Kaminsky et al.
    1992; Montgomery 2009, p. 319; qicharts2 ``qic.g``): with m the mean of the baseline,
    limits m +/- 3 sqrt(m (m + 1)), the lower one at least 0. The centre line is the median
    of the baseline (qicharts2: the geometric distribution is skewed), which the rules read."""
    rules = _rules(rules, kw)
    y = _one_row(counts_between)
    if np.any(y < 0):
        raise ValueError("counts between events must be >= 0")
    return _poisson_like(y, rules, geometric=True)[0]


def _poisson_like(y: np.ndarray, rules: SpcRules, *, geometric: bool) -> list[XmrResult]:
    rows, n = y.shape
    segments = _segments(n, rules.rebase_at)
    lim = _Limits.empty(rows, n, len(segments))
    for k, (s, e) in enumerate(segments):
        base = y[:, _base_columns(s, e, rules)]
        finite = np.isfinite(base)
        count = finite.sum(axis=1)
        lim.basis[:, k] = count
        has = count > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(finite, base, 0.0).sum(axis=1) / count
        sd = np.sqrt(mean * (mean + 1.0)) if geometric else np.sqrt(mean)
        lim.set_band(has, s, e, mean[has, None], 3.0 * sd[has, None], clip=(0.0, np.inf))
        lim.level[has, s:e] = mean[has, None]
        if geometric:
            med = np.full(rows, np.nan)
            for r in np.flatnonzero(has):
                med[r] = np.median(base[r][finite[r]])
            lim.centre[has, s:e] = med[has, None]
            lim.level[has, s:e] = med[has, None]
        for r in range(rows):
            lim.segment_methods[r].append("g" if geometric else "c")
    return _finish(y, lim, segments, rules, ["g" if geometric else "c"] * rows)


# -- run charts (Anhøj) ---------------------------------------------------------------------------


def run_chart(values, rules: SpcRules | None = None, **kw: Any) -> XmrResult:
    """Run chart: the median of the baseline points (less the excluded ones) as centre line and
    Anhøj's rules per segment (``stats.anhoej``). A point in a run longer than
    round(log2(n)) + 3 is a "shift" (its side is the direction); unusually few crossings are
    reported per segment in ``result.runs`` (``RunsAnalysis.crossings_signal``). No limits."""
    return run_chart_rows(_one_row(values), rules, **kw)[0]


def run_chart_rows(values, rules: SpcRules | None = None, **kw: Any) -> list[XmrResult]:
    """``run_chart`` of each row of a [chart, point] array."""
    rules = _rules(rules, kw)
    y = _rows_2d(values)
    rows, n = y.shape
    segments = _segments(n, rules.rebase_at)
    lim = _Limits.empty(rows, n, len(segments))
    flags = np.zeros((len(RULES), rows, n), dtype=np.int8)
    runs: list[list[RunsAnalysis]] = [[] for _ in range(rows)]
    include = np.ones(n, dtype=bool)
    if rules.exclude:
        include[[i for i in rules.exclude if 0 <= i < n]] = False
    for k, (s, e) in enumerate(segments):
        base = y[:, _base_columns(s, e, rules)]
        finite = np.isfinite(base)
        lim.basis[:, k] = finite.sum(axis=1)
        for r in range(rows):
            med = float(np.median(base[r][finite[r]])) if finite[r].any() else np.nan
            lim.centre[r, s:e] = med
            lim.level[r, s:e] = med
            ra = runs_analysis(y[r, s:e], lim.centre[r, s:e], include[s:e])
            runs[r].append(ra)
            flags[_SHIFT, r, s:e] = ra.long_run
            lim.segment_methods[r].append("run")
    return _finish(y, lim, segments, rules, ["run"] * rows, flags=flags, runs=runs)


# -- icons -----------------------------------------------------------------------------------------


_POLARITIES = ("higher_is_better", "lower_is_better", "neutral")


def _check_polarity(polarity: str) -> None:
    if polarity not in _POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}")


def _latest_side(result: XmrResult) -> str | None:
    """Side of the centre line of the latest point off it in the latest segment."""
    last = result.segment[-1]
    with np.errstate(invalid="ignore"):
        side = np.sign(result.values - result.mean)
    for i in range(len(result) - 1, -1, -1):
        if result.segment[i] != last:
            break
        if np.isfinite(side[i]) and side[i] != 0:
            return "high" if side[i] > 0 else "low"
    return None


def spc_icon(result: XmrResult, polarity: str, *, allow_trial: bool = False) -> str:
    """Making Data Count variation icon for the latest point.

    As NHSRplotthedots' ``geom_ptd_icon``: the icon is the point type of the last point only.
    A special cause there in the better direction is "improvement", in the worse direction
    "concern", for a neutral measure "neutral"; no special cause is "common_cause". "none"
    when there are no points, the last value is missing, or (unless ``allow_trial``) the last
    point's limits are trial limits (fewer than ``min_points`` points).

    Run charts: the latest point in an unusually long run is a special cause on its side;
    otherwise unusually few crossings in the latest segment are one on the side of the latest
    point off the median (the process is shifting, and that is where it is now).
    """
    _check_polarity(polarity)
    if len(result) == 0 or not math.isfinite(result.values[-1]):
        return "none"
    if result.trial[-1] and not allow_trial:
        return "none"
    way = result.direction[-1] if result.signal[-1] is not None else None
    if result.method == "run":
        if way is None and result.runs and result.runs[-1].crossings_signal:
            way = _latest_side(result)
    elif not math.isfinite(result.ucl[-1]) and result.signal[-1] is None:
        return "none"
    if way is None:
        return "common_cause"
    if polarity == "neutral":
        return "neutral"
    return "improvement" if (way == "high") == (polarity == "higher_is_better") else "concern"


def process_limits(result: XmrResult) -> tuple[float, float]:
    """(lower, upper) natural process limits at the latest point: the chart's limits there; for
    a chart read against an AR(1) forecast, the segment's level +/- the forecast limits'
    half-width divided by sqrt(1 - rho^2) (the spread of the process itself, not of its
    one-step forecast errors)."""
    lo, hi = float(result.lcl[-1]), float(result.ucl[-1])
    rho = result.ar1[-1] if result.ar1 else math.nan
    if math.isfinite(rho) and result.level is not None:
        centre = float(result.mean[-1])
        # One side may be clipped (a proportion's limit at 0 or 1); the other is not.
        half = max(hi - centre, centre - lo) / math.sqrt(1.0 - rho * rho)
        level = float(result.level[-1])
        lo, hi = level - half, level + half
    return lo, hi


def assurance(
    result: XmrResult, polarity: str, target: float | None, *, allow_trial: bool = False
) -> str:
    """Making Data Count assurance icon: can the process be relied on to meet ``target``?

    As NHSRplotthedots' ``ptd_calculate_assurance_type``, from the latest point's process
    limits (with a rebase, the latest segment decides): a target above the upper limit is
    "consistent_fail" for a measure where higher is better (every point will fall short) and
    "consistent_pass" where lower is better; a target below the lower limit the reverse;
    otherwise "inconsistent" (hit and miss). "none" without a target, for a neutral measure,
    for a run chart (no limits), without finite limits, or (unless ``allow_trial``) on trial
    limits. The target is on the chart's scale (proportions 0-1).
    """
    _check_polarity(polarity)
    if target is None or not math.isfinite(target) or polarity == "neutral":
        return "none"
    if len(result) == 0 or result.method == "run":
        return "none"
    if result.trial[-1] and not allow_trial:
        return "none"
    lo, hi = process_limits(result)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "none"
    increasing = polarity == "higher_is_better"
    if target > hi:
        return "consistent_fail" if increasing else "consistent_pass"
    if target < lo:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"
