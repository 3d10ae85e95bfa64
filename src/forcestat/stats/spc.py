"""Statistical process control: XmR, P' (Laney) and p charts with the NHS "Making Data Count"
rules, following NHSRplotthedots (``ptd_spc_standard.R``, ``ptd_calculate_point_type.R``).

Only the maths lives here; ``outputs/`` draws. Every departure from NHSRplotthedots is an
option with NHSRplotthedots' behaviour as the default, and is listed in docs/methods.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "ICONS",
    "RULES",
    "XmrResult",
    "laney_p_prime",
    "laney_p_prime_rows",
    "p_chart",
    "spc_icon",
    "xmr",
    "xmr_rows",
]

RULES = ("outside", "trend", "two_of_three", "shift")  # in priority order
ICONS = ("improvement", "concern", "neutral", "common_cause", "none")

XMR_CONSTANT = 2.66  # NHSRplotthedots / Making Data Count; 3 / 1.128 = 2.6596 is the textbook one
SCREEN_FACTOR = 3.267  # D4 for moving ranges of two: the upper limit of a moving range chart
D2 = 1.128  # E[range of two standard normals], Laney's sigma_z = mean moving range / d2
# Screening that would drop more than this share of the moving ranges falls back to unscreened
# limits (coarse data, not outliers; our departure from NHSRplotthedots, docs/methods.md 4.1).
SCREEN_MAX_SHARE = 0.2


@dataclass(frozen=True)
class XmrResult:
    """Per-point limits and signals of one control chart.

    ``signal[i]`` is the highest-priority rule the point is part of ("outside", "trend",
    "two_of_three", "shift") or None; ``direction[i]`` is "high"/"low" (for a trend: increasing
    or decreasing) or None. ``rule_flags[rule][i]`` is +1/-1/0 for every rule before priority
    is applied, so callers can ask e.g. "is any recent point part of a shift" even when an
    outside-limits point outranks it. ``trial[i]`` is True when the limits at point i were
    computed from fewer than ``min_points`` points; ``trial_limits`` is ``trial.any()``.
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
    # limits; the unscreened mean moving range is used). Empty for p charts.
    screening: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.values.size)


# -- segments and validation -------------------------------------------------------------------


def _segments(n: int, rebase_at: Sequence[int]) -> list[tuple[int, int]]:
    """Half-open [start, end) index ranges; a rebase index starts a new segment.

    Indices outside 1..n-1 are ignored: a rebase at or before the first point, or after the
    last, changes nothing (the framework's rebase dates may precede the data).
    """
    cuts = sorted({int(i) for i in rebase_at if 0 < int(i) < n})
    bounds = [0, *cuts, n]
    return [(bounds[k], bounds[k + 1]) for k in range(len(bounds) - 1)]


def _check_common(baseline: int | None, shift_length: int, trend_length: int, min_points: int):
    if baseline is not None and baseline < 1:
        raise ValueError(f"baseline must be >= 1 point, got {baseline!r}")
    if shift_length < 2 or trend_length < 2:
        raise ValueError("shift_length and trend_length must be >= 2")
    if min_points < 1:
        raise ValueError("min_points must be >= 1")


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


def _detect(
    y: np.ndarray,
    centre: np.ndarray,
    upper: np.ndarray,
    lower: np.ndarray,
    up2: np.ndarray,
    lo2: np.ndarray,
    segments: list[tuple[int, int]],
    shift_length: int,
    trend_length: int,
    counts_outside: bool,
) -> tuple[np.ndarray, list[list[str | None]], list[list[str | None]]]:
    """The rules on [chart, point] arrays: (flags [rule, chart, point] in ``RULES`` order, and
    per chart the signal and direction of each point)."""
    rows, n = y.shape
    stacked = np.zeros((len(RULES), rows, n), dtype=np.int8)
    rtm = _signs(y - centre)
    # Comparisons with a missing value or limit are False: such a point is never outside.
    outside = (y > upper) | (y < lower)
    beyond_2s = (y > up2) | (y < lo2)
    close = beyond_2s if counts_outside else beyond_2s & ~outside
    np.copyto(stacked[_OUTSIDE], rtm, where=outside)

    for s, e in segments:
        # Shift: shift_length or more consecutive points on one side; a point on the mean
        # (sign 0) ends the run.
        stacked[_SHIFT, :, s:e] = _long_runs(rtm[:, s:e], shift_length)

        # Trend: trend_length points each strictly higher (lower) than the one before; a tie
        # (difference 0) ends it. A run of trend_length - 1 steps flags the points it joins;
        # a point shared by an increasing and a following decreasing trend takes the later
        # direction, as NHSRplotthedots' "use the right-hand side" rule does: each point takes
        # its own step's run, else the run of the step into it.
        if e - s >= 2:
            seg = y[:, s:e]
            steps = _long_runs(_signs(seg[:, 1:] - seg[:, :-1]), trend_length - 1)
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

    fired = stacked != 0
    # The first rule that fired (priority order), or the "none" slot after the last rule.
    first = np.argmax(fired, axis=0)
    first[~fired.any(axis=0)] = len(RULES)
    chosen = np.take_along_axis(stacked, np.minimum(first, len(RULES) - 1)[None], axis=0)[0]
    # Names picked by index from object arrays: this runs for every unit and period.
    signal = _RULE_NAMES[first].tolist()
    direction = _DIRECTIONS[chosen + 1].tolist()
    return stacked, signal, direction


def _build(
    y: np.ndarray,
    centre: np.ndarray,
    half3: np.ndarray,
    segments: list[tuple[int, int]],
    basis: np.ndarray,
    *,
    shift_length: int,
    trend_length: int,
    counts_outside: bool,
    min_points: int,
    clip: tuple[float, float] | None = None,
    method: list[str],
    segment_methods: list[tuple[str, ...]],
    sigma_z: list[tuple[float, ...]] | None = None,
    screening: list[tuple[str, ...]] | None = None,
) -> list[XmrResult]:
    """Limits at centre +/- half3 (3 sigma) and +/- 2/3 of it (2 sigma), then the rules, for
    each row of [chart, point] arrays (``basis``: [chart, segment] points in the baseline)."""
    ucl, lcl = centre + half3, centre - half3
    up2, lo2 = centre + half3 * 2.0 / 3.0, centre - half3 * 2.0 / 3.0
    if clip is not None:
        # Proportions cannot leave [0, 1]; clipping changes no signal (strict comparisons).
        ucl, lcl, up2, lo2 = (np.clip(a, *clip) for a in (ucl, lcl, up2, lo2))
    flags, signal, direction = _detect(
        y, centre, ucl, lcl, up2, lo2, segments, shift_length, trend_length, counts_outside
    )
    rows, n = y.shape
    segment = np.zeros(n, dtype=np.int64)
    trial = np.zeros((rows, n), dtype=bool)
    for k, (s, e) in enumerate(segments):
        segment[s:e] = k
        trial[:, s:e] = (basis[:, k] < min_points)[:, None]
    return [
        XmrResult(
            values=y[r],
            mean=centre[r],
            ucl=ucl[r],
            lcl=lcl[r],
            upper_2s=up2[r],
            lower_2s=lo2[r],
            signal=tuple(signal[r]),
            direction=tuple(direction[r]),
            rule_flags={rule: flags[k, r] for k, rule in enumerate(RULES)},
            segment=segment,
            trial=trial[r],
            trial_limits=bool(trial[r].any()),
            method=method[r],
            segment_methods=segment_methods[r],
            sigma_z=() if sigma_z is None else sigma_z[r],
            min_points=min_points,
            screening=() if screening is None else screening[r],
        )
        for r in range(rows)
    ]


# -- charts ------------------------------------------------------------------------------------


def xmr(
    values: Sequence[float] | np.ndarray,
    *,
    baseline: int | None = None,
    rebase_at: Sequence[int] = (),
    shift_length: int = 7,
    trend_length: int = 7,
    two_of_three_counts_outside: bool = False,
    screen_moving_ranges: bool = True,
    constant: float = XMR_CONSTANT,
    min_points: int = 13,
    screen_fallback: bool = True,
) -> XmrResult:
    """XmR (individuals) chart with Making Data Count rules, NHSRplotthedots defaults.

    Per segment (``rebase_at`` indices start new segments): mean and mean moving range of the
    first ``baseline`` points (all points if None), moving ranges screened once at 3.267 x
    their mean, limits mean +/- ``constant`` x mean moving range, 2-sigma lines at 2/3 of
    that. ``nan`` values are allowed (a month with no data): they never signal and break runs.
    With ``screen_fallback`` (default; our departure from NHSRplotthedots), screening that would
    drop more than 20% of the moving ranges, or all the non-zero ones, is not applied
    (``result.screening`` says "fallback" for that segment).
    """
    y = np.asarray(values, dtype=float)
    if y.ndim != 1:
        raise ValueError("values must be one-dimensional")
    return xmr_rows(
        y[None, :],
        baseline=baseline,
        rebase_at=rebase_at,
        shift_length=shift_length,
        trend_length=trend_length,
        two_of_three_counts_outside=two_of_three_counts_outside,
        screen_moving_ranges=screen_moving_ranges,
        constant=constant,
        min_points=min_points,
        screen_fallback=screen_fallback,
    )[0]


def xmr_rows(
    values: np.ndarray,
    *,
    baseline: int | None = None,
    rebase_at: Sequence[int] = (),
    shift_length: int = 7,
    trend_length: int = 7,
    two_of_three_counts_outside: bool = False,
    screen_moving_ranges: bool = True,
    constant: float = XMR_CONSTANT,
    min_points: int = 13,
    screen_fallback: bool = True,
) -> list[XmrResult]:
    """``xmr`` of each row of a [chart, point] array (e.g. every unit of a breakdown over the
    same months), in one pass: the engine draws a chart per unit and period, and numpy's
    per-call cost, not the arithmetic, is what one chart of 60 points costs."""
    _check_common(baseline, shift_length, trend_length, min_points)
    y = np.asarray(values, dtype=float)
    if y.ndim != 2:
        raise ValueError("values must be two-dimensional (one chart per row)")
    rows, n = y.shape
    segments = _segments(n, rebase_at)
    centre = np.full(y.shape, np.nan)
    half3 = np.full(y.shape, np.nan)
    basis = np.zeros((rows, len(segments)), dtype=np.int64)
    screening: list[list[str]] = [[] for _ in range(rows)]
    for k, (s, e) in enumerate(segments):
        base = y[:, s : e if baseline is None else min(e, s + baseline)]
        finite = np.isfinite(base)
        count = finite.sum(axis=1)
        basis[:, k] = count
        amr, how = _mean_moving_ranges(base, screen_moving_ranges, screen_fallback)
        has = count > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(finite, base, 0.0).sum(axis=1) / count
        centre[has, s:e] = mean[has, None]
        half3[has, s:e] = (constant * amr)[has, None]
        for r in range(rows):
            screening[r].append(how[r] if has[r] else "unscreened")
    return _build(
        y,
        centre,
        half3,
        segments,
        basis,
        shift_length=shift_length,
        trend_length=trend_length,
        counts_outside=two_of_three_counts_outside,
        min_points=min_points,
        method=["xmr"] * rows,
        segment_methods=[("xmr",) * len(segments)] * rows,
        screening=[tuple(x) for x in screening],
    )


def _proportions(x, n) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs = np.asarray(x, dtype=float)
    ns = np.asarray(n, dtype=float)
    if xs.ndim != 2 or xs.shape != ns.shape:
        raise ValueError("x and n must be of equal shape")
    if np.any(ns < 0) or np.any(xs < 0) or np.any(xs > ns):
        raise ValueError("need 0 <= x <= n for every point")
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(ns > 0, xs / ns, np.nan)
    return xs, ns, p


def _binomial_sigma(pbar: np.ndarray, ns: np.ndarray) -> np.ndarray:
    """sqrt(pbar (1 - pbar) / n) of each chart's points (``pbar`` per chart)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ns > 0, np.sqrt((pbar * (1.0 - pbar))[:, None] / ns), np.nan)


def _proportion_chart(
    x,
    n,
    *,
    prime: bool,
    baseline: int | None,
    rebase_at: Sequence[int],
    shift_length: int,
    trend_length: int,
    two_of_three_counts_outside: bool,
    screen_moving_ranges: bool,
    min_points: int,
    small_n: float,
) -> list[XmrResult]:
    """p or P' charts of each row of [chart, point] arrays x and n."""
    _check_common(baseline, shift_length, trend_length, min_points)
    xs, ns, p = _proportions(x, n)
    rows, size = p.shape
    segments = _segments(size, rebase_at)
    centre = np.full(p.shape, np.nan)
    half3 = np.full(p.shape, np.nan)
    basis = np.zeros((rows, len(segments)), dtype=np.int64)
    methods: list[list[str]] = [[] for _ in range(rows)]
    sigmas: list[list[float]] = [[] for _ in range(rows)]
    for k, (s, e) in enumerate(segments):
        stop = e if baseline is None else min(e, s + baseline)
        bx, bn = xs[:, s:stop], ns[:, s:stop]
        used = bn > 0
        count = used.sum(axis=1)
        basis[:, k] = count
        any_used = count > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            # Points with n = 0 have x = 0: summing every point is summing the used ones.
            pbar = np.where(any_used, bx.sum(axis=1) / bn.sum(axis=1), np.nan)
        sigma = _binomial_sigma(pbar, ns[:, s:e])
        sigma_z = np.full(rows, np.nan)
        use_prime = np.zeros(rows, dtype=bool)
        inside = any_used & (pbar > 0.0) & (pbar < 1.0)
        if prime and inside.any():
            with np.errstate(invalid="ignore", divide="ignore"):
                z = (p[:, s:stop] - pbar[:, None]) / _binomial_sigma(pbar, bn)
                mr_bar, _ = _mean_moving_ranges(z, screen_moving_ranges)
                sigma_z = np.where(inside, mr_bar / D2, np.nan)
                mean_n = bn.sum(axis=1) / count
            # Laney's P' only widens limits for overdispersion: with sigma_z <= 1 (no extra
            # variation) or small subgroups (where the binomial p chart is already adequate
            # and z is poorly estimated) the plain p chart is used.
            use_prime = inside & np.isfinite(sigma_z) & (sigma_z > 1.0) & (mean_n >= small_n)
        widen = np.where(use_prime, sigma_z, 1.0)
        centre[any_used, s:e] = pbar[any_used, None]
        half3[any_used, s:e] = (3.0 * sigma * widen[:, None])[any_used]
        for r in range(rows):
            methods[r].append("p_prime" if use_prime[r] else "p")
            sigmas[r].append(float(sigma_z[r]))
    return _build(
        p,
        centre,
        half3,
        segments,
        basis,
        shift_length=shift_length,
        trend_length=trend_length,
        counts_outside=two_of_three_counts_outside,
        min_points=min_points,
        clip=(0.0, 1.0),
        method=[m[-1] if m else ("p_prime" if prime else "p") for m in methods],
        segment_methods=[tuple(m) for m in methods],
        sigma_z=[tuple(x) for x in sigmas],
    )


def _one_chart(x, n) -> tuple[np.ndarray, np.ndarray]:
    xs = np.asarray(x, dtype=float)
    ns = np.asarray(n, dtype=float)
    if xs.ndim != 1 or xs.shape != ns.shape:
        raise ValueError("x and n must be one-dimensional and of equal length")
    return xs[None, :], ns[None, :]


def p_chart(
    x: Sequence[float] | np.ndarray,
    n: Sequence[float] | np.ndarray,
    *,
    baseline: int | None = None,
    rebase_at: Sequence[int] = (),
    shift_length: int = 7,
    trend_length: int = 7,
    two_of_three_counts_outside: bool = False,
    min_points: int = 13,
) -> XmrResult:
    """Shewhart p chart: p-bar = sum x / sum n over the baseline, limits
    p-bar +/- 3 sqrt(p-bar (1 - p-bar) / n_i), clipped to [0, 1]. Values are proportions 0-1.
    Months with n = 0 are missing (nan) and break runs."""
    xs, ns = _one_chart(x, n)
    return _proportion_chart(
        xs,
        ns,
        prime=False,
        baseline=baseline,
        rebase_at=rebase_at,
        shift_length=shift_length,
        trend_length=trend_length,
        two_of_three_counts_outside=two_of_three_counts_outside,
        screen_moving_ranges=False,
        min_points=min_points,
        small_n=0.0,
    )[0]


def laney_p_prime(
    x: Sequence[float] | np.ndarray,
    n: Sequence[float] | np.ndarray,
    *,
    baseline: int | None = None,
    rebase_at: Sequence[int] = (),
    shift_length: int = 7,
    trend_length: int = 7,
    two_of_three_counts_outside: bool = False,
    screen_moving_ranges: bool = False,
    min_points: int = 13,
    small_n: float = 50,
) -> XmrResult:
    """Laney (2002) P' chart: p chart limits widened by the between-month variation.

    z_i = (p_i - p-bar) / sigma_i, sigma_i = sqrt(p-bar (1 - p-bar) / n_i);
    sigma_z = mean |z_i - z_(i-1)| / 1.128; limits p-bar +/- 3 sigma_i sigma_z.
    Falls back to the p chart (``method == "p"``) per segment when sigma_z <= 1 or the mean
    subgroup size of the baseline is below ``small_n``; ``sigma_z`` is reported either way.
    Laney does not screen moving ranges; ``screen_moving_ranges=True`` applies the XmR
    screening to the z moving ranges.
    """
    xs, ns = _one_chart(x, n)
    return laney_p_prime_rows(
        xs,
        ns,
        baseline=baseline,
        rebase_at=rebase_at,
        shift_length=shift_length,
        trend_length=trend_length,
        two_of_three_counts_outside=two_of_three_counts_outside,
        screen_moving_ranges=screen_moving_ranges,
        min_points=min_points,
        small_n=small_n,
    )[0]


def laney_p_prime_rows(
    x: np.ndarray,
    n: np.ndarray,
    *,
    baseline: int | None = None,
    rebase_at: Sequence[int] = (),
    shift_length: int = 7,
    trend_length: int = 7,
    two_of_three_counts_outside: bool = False,
    screen_moving_ranges: bool = False,
    min_points: int = 13,
    small_n: float = 50,
) -> list[XmrResult]:
    """``laney_p_prime`` of each row of [chart, point] arrays x and n, in one pass."""
    if np.ndim(x) != 2:
        raise ValueError("x and n must be two-dimensional (one chart per row)")
    return _proportion_chart(
        x,
        n,
        prime=True,
        baseline=baseline,
        rebase_at=rebase_at,
        shift_length=shift_length,
        trend_length=trend_length,
        two_of_three_counts_outside=two_of_three_counts_outside,
        screen_moving_ranges=screen_moving_ranges,
        min_points=min_points,
        small_n=small_n,
    )


def spc_icon(result: XmrResult, polarity: str, *, allow_trial: bool = False) -> str:
    """Making Data Count variation icon for the latest point.

    As NHSRplotthedots' ``geom_ptd_icon``: the icon is the point type of the last point only.
    A special cause there in the better direction is "improvement", in the worse direction
    "concern", for a neutral measure "neutral"; no special cause is "common_cause". "none"
    when there are no points, the last value is missing, or (unless ``allow_trial``) the last
    point's limits are trial limits (fewer than ``min_points`` points).
    """
    if polarity not in ("higher_is_better", "lower_is_better", "neutral"):
        raise ValueError(f"unknown polarity {polarity!r}")
    if len(result) == 0 or not math.isfinite(result.values[-1]):
        return "none"
    if result.trial[-1] and not allow_trial:
        return "none"
    if not math.isfinite(result.ucl[-1]) and result.signal[-1] is None:
        return "none"
    if result.signal[-1] is None:
        return "common_cause"
    if polarity == "neutral":
        return "neutral"
    high_is_good = polarity == "higher_is_better"
    return "improvement" if (result.direction[-1] == "high") == high_is_good else "concern"
