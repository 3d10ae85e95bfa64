"""The generated period: months, days, seasonality, storyline ramps and the COVID-19 lockdown.

Times are integer seconds since 1970-01-01 in naive local time (the store's convention); they
become Arrow timestamps only at the end, so every generator works on plain int64 arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import calibration as cal

DAY = 86_400


def month_of(end: str) -> np.datetime64:
    try:
        m = np.datetime64(end, "M")
    except ValueError as exc:
        raise ValueError(f"end must be a month YYYY-MM, got {end!r}") from exc
    return m


@dataclass(frozen=True)
class Period:
    """``years`` whole years of months ending with the report month ``end``."""

    end: np.datetime64  # datetime64[M]
    years: int

    @classmethod
    def of(cls, end: str, years: int) -> Period:
        if years < 1:
            raise ValueError("years must be at least 1")
        return cls(month_of(end), int(years))

    @cached_property
    def start(self) -> np.datetime64:
        return self.end - (12 * self.years - 1)

    @cached_property
    def months(self) -> np.ndarray:
        return np.arange(self.start, self.end + 1, dtype="datetime64[M]")

    @cached_property
    def days(self) -> np.ndarray:
        first = self.start.astype("datetime64[D]")
        stop = (self.end + 1).astype("datetime64[D]")
        return np.arange(first, stop, dtype="datetime64[D]")

    @cached_property
    def day_seconds(self) -> np.ndarray:
        """Start of each day, epoch seconds."""
        return self.days.astype("datetime64[s]").astype(np.int64)

    @cached_property
    def day_month(self) -> np.ndarray:
        """Index into ``months`` of each day."""
        return (self.days.astype("datetime64[M]") - self.start).astype(np.int64)

    @cached_property
    def month_rel(self) -> np.ndarray:
        """Months relative to the report month: 0 for ``end``, -11 for the first of the last 12."""
        return (self.months - self.end).astype(np.int64)

    @cached_property
    def day_rel(self) -> np.ndarray:
        return self.month_rel[self.day_month]

    @cached_property
    def month_of_year(self) -> np.ndarray:
        """1..12 for each month."""
        return (self.months.astype(np.int64) % 12) + 1

    @cached_property
    def cut(self) -> int:
        """First second after the period: nothing generated happens at or after it."""
        return int((self.end + 1).astype("datetime64[s]").astype(np.int64))

    @cached_property
    def extracted_at(self) -> int:
        """When the synthetic extract was taken (the records' ``updated_at``)."""
        return self.cut + 6 * 3600

    @property
    def n_days(self) -> int:
        return len(self.days)

    def month_index_of(self, seconds: np.ndarray) -> np.ndarray:
        """Index into ``months`` of epoch-second times (may fall outside 0..n-1)."""
        m = seconds.astype("datetime64[s]").astype("datetime64[M]")
        return (m - self.start).astype(np.int64)

    def rel_of(self, seconds: np.ndarray) -> np.ndarray:
        m = seconds.astype("datetime64[s]").astype("datetime64[M]")
        return (m - self.end).astype(np.int64)


def path(knots: tuple[tuple[float, float], ...], rel: np.ndarray, on: bool = True) -> np.ndarray:
    """Piecewise-linear storyline value at relative months ``rel`` from (rel, value) knots.
    ``on=False`` (a force without storylines) holds the first knot's value: the level before
    the storyline began."""
    if not on:
        return np.full(np.shape(rel), float(knots[0][1]))
    xs = np.array([k[0] for k in knots], dtype=float)
    ys = np.array([k[1] for k in knots], dtype=float)
    return np.interp(np.asarray(rel, dtype=float), xs, ys)


def seasonal(month_of_year: np.ndarray, peak: int, amplitude: float) -> np.ndarray:
    return 1.0 + amplitude * np.cos(2 * np.pi * (month_of_year - peak) / 12.0)


def growth(rel: np.ndarray, annual: float, on: bool = True) -> np.ndarray:
    """Steady growth, normalised so that the last 12 months average about 1 (flat when
    ``on`` is False)."""
    if not on:
        return np.ones(np.shape(rel))
    return (1.0 + annual) ** ((np.asarray(rel, dtype=float) + 5.5) / 12.0)


def lockdown_intensity(days: np.ndarray, on: bool = True) -> np.ndarray:
    """0..1 lockdown intensity per day (calendar dates, England); 0 throughout when ``on`` is
    False (a force without storylines has no lockdown either)."""
    if not on:
        return np.zeros(np.shape(days))
    xs = np.array([np.datetime64(d, "D") for d, _ in cal.LOCKDOWN_POINTS]).astype(np.int64)
    ys = np.array([v for _, v in cal.LOCKDOWN_POINTS], dtype=float)
    return np.interp(days.astype("datetime64[D]").astype(np.int64), xs, ys, left=0.0, right=0.0)


def day_of(text: str) -> int:
    """Epoch seconds of a date."""
    return int(np.datetime64(text, "s").astype(np.int64))


# Hour-of-day profiles (relative weights, 24 values). [ASSUMED] shapes: recording during the
# working day, incidents and 999 calls peaking in the evening, 101 in office hours.
HOURLY = {
    "crime": (2, 1.5, 1, 1, 1, 1, 2, 4, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 5, 4, 3, 2.5),
    "incident": (
        4,
        3.5,
        3,
        2.5,
        2,
        2,
        2.5,
        3.5,
        4.5,
        5,
        5.5,
        5.5,
        5.5,
        5.5,
        5.5,
        6,
        6.5,
        7,
        7,
        7,
        6.5,
        6,
        5.5,
        4.5,
    ),
    "999": (
        4,
        3.5,
        3,
        2.5,
        2,
        2,
        2.5,
        3,
        4,
        4.5,
        5,
        5,
        5.5,
        5.5,
        5.5,
        6,
        6.5,
        7,
        7.5,
        7.5,
        7,
        6.5,
        6,
        5,
    ),
    "101": (
        0.8,
        0.5,
        0.3,
        0.3,
        0.3,
        0.5,
        1.5,
        4,
        7,
        8,
        8,
        8,
        7.5,
        7.5,
        7.5,
        7.5,
        7,
        6.5,
        6,
        5,
        4,
        3,
        2,
        1.2,
    ),
    "online": (
        1,
        0.7,
        0.5,
        0.4,
        0.4,
        0.6,
        1.5,
        3,
        4.5,
        5.5,
        6,
        6,
        6,
        6,
        6,
        6,
        6,
        6,
        6,
        6.5,
        6.5,
        6,
        4,
        2,
    ),
    "office": (0, 0, 0, 0, 0, 0, 0.5, 2, 6, 8, 8, 8, 7, 8, 8, 8, 7, 5, 2, 1, 0.5, 0, 0, 0),
}


def seconds_in_day(rng: np.random.Generator, n: int, profile: str) -> np.ndarray:
    """Random seconds after midnight following an hourly profile."""
    w = np.asarray(HOURLY[profile], dtype=float)
    hours = rng.choice(24, size=n, p=w / w.sum())
    return hours.astype(np.int64) * 3600 + rng.integers(0, 3600, size=n)


def events(rng: np.random.Generator, rates: np.ndarray) -> tuple[np.ndarray, ...]:
    """Poisson event counts from an array of expected counts; returns the index tuple of the
    cell of every event (one entry per event, in cell order)."""
    counts = rng.poisson(rates)
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    return np.unravel_index(flat, rates.shape)
