"""The SPC rules of a measure's charts, from the framework's settings (``settings.spc``): one
``stats.spc.SpcRules`` value per measure, and its rebase and excluded months as point indices
for a chart that starts at a given month."""

from __future__ import annotations

from forcestat.engine.windows import month_index
from forcestat.framework.model import Measure, Settings
from forcestat.stats.spc import SpcRules

# Kinds whose charts may be read against an AR(1) forecast (``settings.spc.autocorrelation``).
# Counts and rates are left out: the lag-1 autocorrelation of raw monthly counts is mostly their
# season, which the trend reading already judges per day and per season (docs/methods.md 4.7).
AR1_KINDS = ("proportion", "median", "mean", "total")


def base_rules(settings: Settings, m: Measure) -> SpcRules:
    """The measure's rules without rebase or excluded points (those depend on the chart's
    first month: ``at``)."""
    s = settings.spc
    return SpcRules(
        baseline=s.baseline_points,
        shift_length=s.shift_length,
        trend_length=s.trend_length,
        min_points=s.min_points,
        trial_count=s.trial_count,
        laney=s.laney,
        autocorrelation=s.autocorrelation if m.kind in AR1_KINDS else "ignore",
    )


def at(rules: SpcRules, settings: Settings, first: int, stop: int) -> SpcRules:
    """``rules`` for a chart of months [first, first + stop): the framework's rebase months as
    indices 1..stop-1 and its excluded months as indices 0..stop-1 (others change nothing)."""
    s = settings.spc
    rebase = [month_index(r) - first for r in s.rebase_at]
    exclude = [month_index(x) - first for x in s.exclude]
    return rules.replace(
        rebase_at=tuple(i for i in rebase if 0 < i < stop),
        exclude=tuple(i for i in exclude if 0 <= i < stop),
    )
