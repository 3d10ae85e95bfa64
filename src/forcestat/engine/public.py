"""The public edition of ``measure_results``: disclosure control applied to the table itself,
before any finding is drawn from it, so that every reader of the edition (report tables and
sentences, the API, exports) sees the same cells hidden.

For each measure, period and window, ``stats.disclosure.protect_measure`` decides which units
are hidden (primary: small counts and bases; secondary: complements so that no hidden cell can
be worked out from the published totals). Two columns record the decision:

- ``disclosure``: ``"primary"`` (a small figure: printed "fewer than 5" for counts) or
  ``"secondary"`` (hidden to protect another: "not shown"), empty when shown;
- ``previous_disclosure``: the same for the previous year's count.

The figures of a hidden row are blanked (``stats.disclosure.narrative_rows`` says which), so no
reader can print them by mistake.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from forcestat.framework.model import Framework
from forcestat.stats.disclosure import narrative_rows, protect_measure

DISCLOSURE_COLUMNS = ("disclosure", "previous_disclosure")


def public_results(
    results: pd.DataFrame, framework: Framework, areas: Mapping[str, str]
) -> pd.DataFrame:
    """``results`` with disclosure control applied (see the module docstring); the row order
    and every other column are kept."""
    threshold = framework.settings.suppress_below
    kinds = {m.id: m.kind for m in framework.measures}
    out = []
    keys = ["measure_id", "period_end", "window"]
    # Records are made once for the whole table: pandas' to_dict per group cost 4 ms a group,
    # most of an all-periods edition's time (12,000 groups on the demo).
    records = results.to_dict("records")
    groups = results.groupby(keys, sort=False, observed=True).indices
    for (mid, _, _), at in groups.items():
        kind = kinds.get(str(mid))
        rows = [records[i] for i in at]
        if kind is None:
            out += [{**r, "disclosure": "", "previous_disclosure": ""} for r in rows]
            continue
        prot = protect_measure(rows, kind, areas, threshold)
        shown = {
            (str(r["breakdown"]), str(r["unit"])): r
            for r in narrative_rows(rows, kind, prot, threshold)
        }
        for r in rows:
            key = (str(r["breakdown"]), str(r["unit"]))
            why = prot.current.get(key, "")
            row = shown.get(key) or _blank(r)
            previous = prot.previous.get(key, "")
            out.append({**row, "disclosure": why, "previous_disclosure": previous})
    frame = pd.DataFrame(out, columns=[*results.columns, *DISCLOSURE_COLUMNS])
    return frame.astype({c: results[c].dtype for c in results.columns}, errors="ignore")


def _blank(row: Mapping) -> dict:
    """A secondary-hidden row: its unit and flags stay, its figures go."""
    out = dict(row)
    for name in list(out):
        if name in ("value", "numerator", "denominator", "n", "ci_low", "ci_high") or name.endswith(
            ("_value", "_diff", "_p")
        ):
            out[name] = None
        elif name.endswith("_verdict"):
            out[name] = "insufficient_data"
    return out
