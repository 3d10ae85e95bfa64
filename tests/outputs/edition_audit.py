"""An audit of a rendered public edition as a reader can make it, written for the tests and
independent of the engine's own model of cells (``forcestat.engine.edition``).

Every table of the HTML is read with the standard library (``htmlparse``). A reader knows:

- the figures shown, as whole numbers;
- in each table and column, that a parent row is the sum of its children (force, areas,
  districts; the force and a breakdown's units) -- kept only where the true figures satisfy it
  exactly (a breakdown that leaves records out gives no equation);
- that some figures of different tables count the same records (``IDENTITIES``, written from
  the default framework's definitions and checked against the true figures);
- what the labels say: "fewer than 5" is 1-4; "not shown" in a column of counts is at least 5
  (a count hidden to protect another is not small); a base "not shown" is at least 1.

For each hidden cell the smallest and largest value consistent with all of it is found with an
integer program (``scipy.optimize.milp``, formulated here from the tables). The rule: a "fewer
than 5" cell stays free over 1-4 (less only where small cells and printed zeros are bound to
each other, e.g. an area of 2 made of two districts of 1 and one of 0), any other hidden cell
over at least two values; and no
cell hidden in one table is printed in another.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from htmlparse import integer, parse
from scipy.optimize import Bounds, LinearConstraint, milp

FEWER = "fewer than 5"
NOT_SHOWN = "not shown"
# Figures of different measures that count the same records (the default framework: same
# table, date and filter; a rate's base is its filter's records).
IDENTITIES = [
    {
        ("recorded_crime", "value"),
        ("outcome_rate_all_crime", "base"),
        ("crime_rate_per_1000", "base"),
        ("crime_recording_timeliness", "base"),
    },
    {("child_sexual_abuse_crimes", "value"), ("cse_share_of_csa", "base")},
    {("domestic_abuse_crimes", "value"), ("outcome_rate_domestic_abuse", "base")},
    {("serious_sexual_offences", "value"), ("outcome_rate_serious_sexual", "base")},
    {("recorded_crime_victim_based", "value"), ("referral_rate_victim_witness_hub", "base")},
    {("calls_101", "value"), ("calls_101_abandonment", "base")},
]
COLUMNS = ("value", "base", "previous")
TRUE_COLUMN = {"value": "value", "base": "n", "previous": "previous_year_value"}


@dataclass
class Audit:
    cells: int = 0  # printed count cells read
    hidden: int = 0
    narrow: list = field(default_factory=list)  # (cell, range, wanted)
    crossed: list = field(default_factory=list)  # (cell, texts): hidden here, printed there
    identities_checked: int = 0
    equations: int = 0


def _measure_of(table_id: str, ids: list[str]) -> tuple[str, str] | None:
    name = table_id[2:]
    for mid in sorted(ids, key=len, reverse=True):
        if name == mid:
            return mid, ""
        if name.startswith(mid + "-"):
            return mid, name[len(mid) + 1 :]
    return None


def audit_edition(html: str, results: pd.DataFrame, framework, period: str) -> Audit:
    kinds = {m.id: m.kind for m in framework.measures}
    group = {}
    for i, members in enumerate(IDENTITIES):
        for mid, col in members:
            group[(mid, col)] = f"same{i}"
    truth = {}
    lead = results[(results["period_end"] == period) & (results["window"] == "12m")]
    for r in lead.to_dict("records"):
        for col, src in TRUE_COLUMN.items():
            v = r.get(src)
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                truth[(r["measure_id"], col, r["breakdown"], r["unit"])] = float(v)

    texts: dict[tuple, dict[str, str]] = {}  # cell -> {where: text}
    equations: list[tuple[tuple, list[tuple]]] = []
    true_of: dict[tuple, float] = {}

    def cell_key(mid, col, level, unit):
        name = group.get((mid, col), f"{mid}:{col}")
        return (name, "prev" if col == "previous" else "", level, unit)

    for t in parse(html).tables:
        found = _measure_of(t.id, list(kinds))
        if found is None or found[1] == "views":
            continue
        mid, suffix = found
        kind = kinds[mid]
        for col in COLUMNS:
            if col == "value" and kind not in ("count",):
                continue
            if col == "base" and kind not in ("proportion", "median", "mean", "rate_per_1000"):
                continue
            rows = [r for r in t.rows if col in r.cells]
            if not rows:
                continue
            keys = {}
            for r in rows:
                k = cell_key(mid, col, r.level, r.unit)
                keys[r.unit] = k
                texts.setdefault(k, {})[f"{t.id}/{col}"] = r.cells[col]
                tv = truth.get((mid, col, r.level, r.unit))
                if tv is not None:
                    true_of[k] = tv
            for parent in rows:
                if suffix and parent.level == "force":
                    kids = [r for r in rows if r.level != "force"]
                elif not suffix:
                    kids = [r for r in rows if r.parent == parent.unit and r is not parent]
                else:
                    kids = []
                if kids:
                    equations.append((keys[parent.unit], [keys[r.unit] for r in kids]))

    out = Audit()
    # The declared identities hold in the true figures (else the list above is out of date).
    for members in IDENTITIES:
        per_unit: dict[tuple, set] = {}
        for (mid, col, level, unit), v in truth.items():
            if (mid, col) in members:
                per_unit.setdefault((level, unit), set()).add(v)
        for where, vs in per_unit.items():
            assert len(vs) == 1, f"identity {sorted(members)} does not hold at {where}: {vs}"
            out.identities_checked += 1
    values: dict[tuple, float] = {}
    hidden: dict[tuple, str] = {}
    for k, where in texts.items():
        shown = [integer(x) for x in where.values() if integer(x) is not None]
        labels = [x for x in where.values() if x in (FEWER, NOT_SHOWN)]
        if shown and labels:
            out.crossed.append((k, where))
        if len(set(shown)) > 1:
            raise AssertionError(f"one cell printed as different numbers: {k} {where}")
        if shown:
            values[k] = float(shown[0])
        elif labels:
            hidden[k] = FEWER if FEWER in labels else NOT_SHOWN
        elif k in true_of:
            hidden[k] = ""  # not printed, with no label: a reader knows nothing of it
    out.cells = len(texts)
    out.hidden = sum(1 for why in hidden.values() if why)
    # Only equations the true figures satisfy, over cells whose figures are all known.
    good = []
    for total, parts in equations:
        cells = [total, *parts]
        if any(c not in values and c not in true_of for c in cells):
            continue
        tv = {c: values.get(c, true_of.get(c)) for c in cells}
        if abs(tv[total] - sum(tv[p] for p in parts)) < 1e-6:
            good.append((total, parts))
    out.equations = len(good)
    for k in hidden:
        if k not in true_of:
            raise AssertionError(f"hidden cell with no true figure: {k}")
    truths = {k: true_of[k] for k in hidden}
    ranges = _ranges(good, values, hidden, truths)
    small = {k for k, why in hidden.items() if why == FEWER}
    # What the labels and the printed zeros alone allow: an area "fewer than 5" whose
    # districts are two "fewer than 5" and a 0 is at least 2 whatever else is hidden.
    zeros = {k: 0.0 for k, v in values.items() if v == 0}
    among = [(t, ps) for t, ps in good if all(c in small or c in zeros for c in [t, *ps])]
    alone = _ranges(among, zeros, {k: FEWER for k in small}, truths) if among else {}
    for k, (lo, hi) in ranges.items():
        if not hidden[k]:
            continue
        if k in small:
            want = alone.get(k, (1, 4))
            if lo > want[0] or hi < want[1]:
                out.narrow.append((k, (lo, hi), want))
        elif hi - lo < 1:
            out.narrow.append((k, (lo, hi), "two values"))
    return out


def _ranges(equations, shown, hidden, truths):
    """min and max of each hidden cell (an integer program per end, per linked group)."""
    cells = sorted(hidden, key=repr)
    pos = {c: i for i, c in enumerate(cells)}
    parent = list(range(len(cells)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = []
    for total, parts in equations:
        coef = {total: 1.0}
        for p in parts:
            coef[p] = coef.get(p, 0.0) - 1.0
        h = {c: a for c, a in coef.items() if c in pos and a}
        if not h:
            continue
        rhs = -sum(a * shown[c] for c, a in coef.items() if c not in pos)
        rows.append((h, rhs))
        ids = [pos[c] for c in h]
        for j in ids[1:]:
            parent[find(j)] = find(ids[0])
    groups: dict[int, list] = {}
    for c in cells:
        groups.setdefault(find(pos[c]), []).append(c)
    out = {}
    top = 4.0 * (sum(abs(v) for v in shown.values()) + sum(truths.values())) + 100.0
    for comp in groups.values():
        local = {c: i for i, c in enumerate(comp)}
        a, lo_b, hi_b = [], [], []
        for h, rhs in rows:
            if not set(h) <= set(comp):
                continue
            row = np.zeros(len(comp))
            for c, v in h.items():
                row[local[c]] = v
            a.append(row)
            lo_b.append(rhs)
            hi_b.append(rhs)
        # "fewer than 5": 1-4; a count "not shown": at least 5; a base "not shown" (of no
        # count's group): at least 1.
        lb = np.array(
            [
                0.0 if not hidden[c] else 1.0 if hidden[c] == FEWER or _is_base(c) else 5.0
                for c in comp
            ]
        )
        ub = np.array([4.0 if hidden[c] == FEWER else top for c in comp])
        cons = [LinearConstraint(np.vstack(a), lo_b, hi_b)] if a else []
        for c in comp:
            ends = []
            for sense in (1.0, -1.0):
                obj = np.zeros(len(comp))
                obj[local[c]] = sense
                res = milp(
                    obj, constraints=cons, integrality=np.ones(len(comp)), bounds=Bounds(lb, ub)
                )
                assert res.status == 0, (c, res.message)
                ends.append(round(sense * res.fun))
            lo, hi = ends
            out[c] = (lo, math.inf if hi >= top / 2 else hi)
    return out


def _is_base(k) -> bool:
    """A cell read from a base column only (its group is no count's)."""
    return bool(re.search(r":base$", k[0]))


def hidden_figures(public: pd.DataFrame, results: pd.DataFrame) -> set[int]:
    """The true counts behind every figure the public frame hides (a hidden row's count,
    numerator and, unless printed, base; a hidden previous year; a blanked comparator)."""
    out: set[float] = set()
    cols = ["value", "numerator", "denominator", "n", "previous_year_value"]
    cols += [c for c in results.columns if c.endswith("_value")]
    for i in results.index:
        for c in dict.fromkeys(cols):
            was, now = results.at[i, c], public.at[i, c]
            if pd.notna(was) and pd.isna(now):
                out.add(float(was))
    return {int(v) for v in out if v.is_integer()}


def numbers(text: str) -> set[int]:
    """Every whole number written in a text ('1,234', '56'), not parts of decimals, not
    percentages and not parts of words (a hash such as 'framework 83fe70c4')."""
    found = re.findall(
        r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\w.,]\d|[\w%])|(?<![\w.,])\d+(?![\w%]|[.,]\d)",
        text,
    )
    return {int(x.replace(",", "")) for x in found}
