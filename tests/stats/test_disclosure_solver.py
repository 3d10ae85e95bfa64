"""The integer programs of the interval audit on two linked groups taken from the demo store's
public edition (2020-02 and 2017-07, each cut down to the few constraints that still showed the
fault): the true figures satisfy every constraint, so the audit must find them feasible, and
each cell's range must hold its true value. Before the fix, HiGHS declared both infeasible and
every period with such a group failed to build: the first because one big-M of millions (the
largest published total) sat beside counts of 1-4 in the "one of these is small" rows, the
second through a fault of HiGHS's MIP presolve on a model of small whole numbers."""

from __future__ import annotations

import math

from forcestat.stats.disclosure import Equation, Known, Subset, feasible_ranges

# Cells named h* are hidden; the rest are shown.
BIG_TOTALS = dict(
    values={
        "h0": 6,
        "h1": 1,
        "h2": 7,
        "h3": 2,
        "h4": 0,
        "h5": 2,
        "h6": 3,
        "h7": 4,
        "h8": 0,
        "h9": 2,
        "h10": 4,
        "h11": 222,
        "h12": 3,
        "h13": 23,
        "h14": 10,
        "h15": 2,
        "h16": 3,
        "h17": 7,
        "h18": 2,
        "h19": 28,
        "h20": 2,
        "h21": 0,
        "h22": 6,
        "h23": 11,
        "h24": 121,
        "h25": 44,
        "h26": 258,
        "h27": 2,
        "h28": 112,
        "h29": 6,
        "h30": 60,
        "h31": 71,
        "h32": 2,
        "h33": 4,
        "h34": 0,
        "h35": 3,
        "h36": 1,
        "h37": 149,
        "h38": 5,
        "h39": 2,
        "h40": 141,
        "h41": 33,
        "h42": 9,
        "h43": 112,
        "t0": 226,
        "t1": 67780,
        "p1": 67773,
        "t2": 5264,
        "p2": 5259,
        "t3": 52185,
        "p3": 52156,
        "t4": 15595,
        "p4": 15584,
        "t5": 4004,
        "p5": 3997,
        "t6": 12953,
        "p6": 12916,
        "t7": 3901,
        "p7": 3893,
        "t8": 7417,
        "p8": 7403,
        "t9": 60363,
        "p9": 60238,
        "t10": 4703,
        "p10": 4148,
        "t11": 1882,
        "p11": 1868,
        "t12": 14972,
        "p12": 14420,
        "s249": 19,
        "s250": 6,
    },
    equations=[
        ("t0", ("h10", "h11")),
        ("t1", ("h2", "p1")),
        ("t2", ("h12", "h5", "p2")),
        ("t3", ("h13", "h0", "p3")),
        ("t4", ("h14", "h1", "p4")),
        ("t5", ("h15", "h3", "h16", "p5")),
        ("t6", ("h17", "h18", "h19", "p6")),
        ("t7", ("h20", "h21", "h22", "p7")),
        ("t8", ("h6", "h23", "p8")),
        ("t9", ("h7", "h24", "p9")),
        ("t10", ("h25", "h26", "h27", "h9", "h28", "h29", "h30", "h31", "p10")),
        ("t11", ("h32", "h33", "h34", "h35", "h36", "h10", "p11")),
        ("t12", ("h37", "h38", "h39", "h40", "h41", "h11", "p12")),
    ],
    subsets=[
        ("h12", "h42"),
        ("h15", "h17"),
        ("s249", "h13"),
        ("s250", "h0"),
        ("h4", "h21"),
        ("h29", "h41"),
        ("h41", "h43"),
        ("h43", "h24"),
    ],
    some_small=[("h0", "h1", "h2"), ("h3", "h4", "h5"), ("h6", "h7", "h2"), ("h8", "h9", "h5")],
    known={
        "h2": Known(5, math.inf),
        "h5": Known(1, 4),
        "h12": Known(1, 4),
        "h13": Known(5, math.inf, zero=True),
        "h14": Known(5, math.inf, zero=True),
        "h19": Known(5, math.inf, zero=True),
        "h22": Known(5, math.inf, zero=True),
        "h23": Known(5, math.inf, zero=True),
        "h24": Known(5, math.inf, zero=True),
        "h42": Known(5, math.inf),
        "h43": Known(5, math.inf, zero=True),
    },
)

PRESOLVE = dict(
    values={
        "h0": 32,
        "h1": 20,
        "h2": 12,
        "h3": 43,
        "h4": 26,
        "h5": 17,
        "h6": 2,
        "h7": 0,
        "h8": 2,
        "h9": 1,
        "h10": 4,
        "h11": 154,
        "h12": 220,
        "h13": 2,
        "h14": 121,
        "h15": 0,
        "h16": 99,
        "h17": 2,
        "h18": 3,
        "h19": 1,
        "h20": 1,
        "h21": 5,
        "h22": 3,
        "h23": 2,
        "h24": 0,
        "h25": 6,
        "h26": 0,
        "h27": 2,
        "h28": 9,
        "h29": 12,
        "h30": 5,
        "h31": 6,
        "s0": 5,
        "s1": 83,
        "s2": 39,
        "s3": 445,
        "s4": 289,
        "s5": 117,
        "s6": 60,
        "s7": 616,
        "s8": 394,
        "s9": 66,
        "s10": 29,
        "s11": 335,
        "s12": 214,
        "s13": 51,
        "s14": 31,
        "s15": 281,
        "s16": 180,
        "s17": 8,
        "s18": 0,
        "s19": 5,
    },
    equations=[
        ("h0", ("h1", "h2")),
        ("h3", ("h4", "h5")),
        ("h6", ("h7", "h8")),
        ("s0", ("h9", "h10")),
        ("h11", ("h0", "s1", "s2")),
        ("s3", ("h11", "h6", "s4")),
        ("h12", ("h3", "s5", "s6")),
        ("s7", ("h12", "h13", "s8")),
        ("h14", ("h4", "s9", "s10")),
        ("s11", ("h14", "h15", "s12")),
        ("h16", ("h5", "s13", "s14")),
        ("s15", ("h16", "h17", "s16")),
        ("h18", ("h19", "h20", "h9")),
        ("h21", ("h22", "h23", "h24")),
        ("s17", ("h18", "h21", "s18")),
        ("h25", ("h26", "h27", "h10")),
    ],
    subsets=[
        ("h1", "h4"),
        ("h2", "h5"),
        ("h6", "h13"),
        ("h13", "s19"),
        ("h7", "h15"),
        ("h8", "h17"),
        ("h23", "h28"),
        ("h28", "h29"),
        ("h19", "h30"),
        ("h30", "h31"),
        ("h29", "h4"),
    ],
    some_small=[],
    known={
        "h0": Known(5, math.inf),
        "h1": Known(5, math.inf, zero=True),
        "h2": Known(5, math.inf, zero=True),
        "h3": Known(5, math.inf),
        "h4": Known(5, math.inf, zero=True),
        "h5": Known(5, math.inf, zero=True),
        "h6": Known(1, math.inf),
        "h11": Known(5, math.inf),
        "h12": Known(5, math.inf),
        "h13": Known(1, math.inf),
        "h14": Known(5, math.inf, zero=True),
        "h16": Known(5, math.inf, zero=True),
        "h31": Known(5, math.inf, zero=True),
    },
)


def _ranges(case: dict) -> dict:
    values = case["values"]
    hidden = [c for c in values if c.startswith("h")]
    return feasible_ranges(
        [Equation(t, p) for t, p in case["equations"]],
        values,
        hidden,
        case["known"],
        subsets=[Subset(p, w) for p, w in case["subsets"]],
        some_small=case["some_small"],
        threshold=5,
    )


def _check(case: dict) -> None:
    ranges = _ranges(case)
    values = case["values"]
    assert set(ranges) == {c for c in values if c.startswith("h")}
    for c, (lo, hi) in ranges.items():
        assert lo <= values[c] <= hi, (c, lo, values[c], hi)
        label = case["known"].get(c, Known())
        assert label.holds(lo) and label.holds(hi), (c, lo, hi, label)


def test_small_cells_beside_large_totals_stay_feasible():
    _check(BIG_TOTALS)


def test_a_model_highs_presolve_rejects_stays_feasible():
    _check(PRESOLVE)
