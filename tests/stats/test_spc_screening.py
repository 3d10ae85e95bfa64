"""Moving-range screening that would collapse the limits falls back to unscreened limits
(docs/methods.md 4.1; docs/calibration.md fix 6)."""

import numpy as np
import pytest

from forcestat.stats.spc import xmr

# Monthly medians at one-minute resolution that take two values: 11 most months, 12 now and
# then. Moving ranges: 0 (x 40) and 1 (x 19): mean 19/59 = 0.322, cut 3.267 x 0.322 = 1.052 ->
# all kept. With fewer 12s the mean drops below 1/3.267 and screening removes every 1.
COARSE = [11.0] * 60
for i in (3, 9, 14, 22, 30, 37, 45, 52):
    COARSE[i] = 12.0


def test_screening_that_removes_every_nonzero_range_falls_back():
    mr = np.abs(np.diff(COARSE))
    amr = mr.mean()  # 16 ones in 59 moving ranges
    assert amr == pytest.approx(16 / 59)
    assert (mr >= 3.267 * amr).sum() == 16  # NHSRplotthedots screening drops all of them
    nhsr = xmr(COARSE, screen_fallback=False)
    assert nhsr.ucl[0] == pytest.approx(nhsr.mean[0])  # zero-width limits: every 12 "outside"
    assert nhsr.screening == ("screened",)
    r = xmr(COARSE)
    assert r.screening == ("fallback",)
    mean = sum(COARSE) / 60
    assert (r.lcl[0], r.ucl[0]) == pytest.approx((mean - 2.66 * amr, mean + 2.66 * amr))


def test_screening_that_removes_more_than_a_fifth_falls_back():
    # 59 moving ranges: 40 of 0, 6 of 0.5 and 13 of 1 (steps alternating up and down around
    # 11). Mean 16/59 = 0.271, cut 0.886: the 13 ones (22%) would go, the halves stay, and the
    # screened mean 3/46 = 0.065 would shrink the limits to a quarter: not outliers but the
    # data's resolution, so the unscreened mean moving range is kept.
    steps = ([0.0] * 3 + [1.0]) * 13 + [0.5] * 6 + [0.0] * 1
    assert len(steps) == 59
    y, sign = [11.0], 1.0
    for st in steps:
        if st:
            sign = -sign
        y.append(y[-1] + sign * st)
    mr = np.abs(np.diff(y))
    assert mr.mean() == pytest.approx(16 / 59)
    assert (mr >= 3.267 * mr.mean()).sum() == 13
    r = xmr(y)
    assert r.screening == ("fallback",)
    assert r.ucl[0] - r.mean[0] == pytest.approx(2.66 * 16 / 59)
    nhsr = xmr(y, screen_fallback=False)
    assert nhsr.screening == ("screened",)
    assert nhsr.ucl[0] - nhsr.mean[0] == pytest.approx(2.66 * 3 / 46)


def test_outlier_screening_is_kept_and_reported():
    # R: set.seed(123); rnorm(20) with y[15] <- 10 (NHSRplotthedots' snapshot, as in
    # test_spc.py): 2 of 19 moving ranges dropped (10.5%), screening applies as published.
    y = [
        -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774,
        1.71506499, 0.46091621, -1.26506123, -0.68685285, -0.44566197,
        1.22408180, 0.35981383, 0.40077145, 0.11068272, 10.0,
        1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
    ]  # fmt: skip
    r = xmr(y)
    assert r.screening == ("screened",)
    assert (r.lcl[0], r.ucl[0]) == pytest.approx((-2.383666, 3.722497), abs=1e-6)


def test_screening_status_per_segment():
    y = [5, 7, 6, 8, 6, 7, 5, 6, 8, 7, 6, 5, 7] + COARSE[20:]
    r = xmr(y, rebase_at=[13])
    assert r.screening == ("unscreened", "fallback")
    assert xmr(y, screen_moving_ranges=False, rebase_at=[13]).screening == ("unscreened",) * 2
