"""Daily management information for supervisors: Victims Code contacts due and overdue, by
district, team (the supervising unit) and officer, as at the latest load.

"As at" is the latest time a contact was recorded as made (a contact cannot be made after the
extract was taken, and one is made every few minutes in a force), so the list reads the way
the extract stood; a table with no contact made yet falls back to the latest due time.

For each district, team and officer:

- ``overdue``: contacts due before the as-at time and not made, among those due in the last
  ``horizon`` days (older unmade contacts are the compliance audit's business, not the day's
  list); ``overdue_7d``: of them, due more than 7 days before; ``oldest_due``: the earliest
  due time among them;
- ``due_next_7d``: contacts due in the 7 days after the as-at time, not yet made;
- ``due_28d`` and ``on_time_28d``: contacts due in the 28 days to the as-at time and those of
  them made by their due time (the recent compliance a supervisor is judged on).

Ibis expressions, so the counts run on any backend.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import ibis
import pandas as pd

TABLE = "victim_contacts"
UNKNOWN = "Not recorded"
HORIZON_DAYS = 90
COLUMNS = [
    "district",
    "team",
    "officer",
    "overdue",
    "overdue_7d",
    "oldest_due",
    "due_next_7d",
    "due_28d",
    "on_time_28d",
]


def as_at(table: Any, backend: Any) -> datetime | None:
    """The latest time a contact was made (else the latest due time); None for no rows."""
    made, due = backend.execute(table.aggregate(m=table.made_at.max(), d=table.due_at.max())).iloc[
        0
    ]
    for v in (made, due):
        if v is not None and not pd.isna(v):
            return pd.Timestamp(v).to_pydatetime()
    return None


def contacts_mi(
    backend: Any, at: datetime | None = None, horizon: int = HORIZON_DAYS
) -> tuple[pd.DataFrame, datetime | None]:
    """(rows by district, team and officer; the as-at time). Empty without the table."""
    if TABLE not in backend.list_tables():
        return pd.DataFrame(columns=COLUMNS), None
    t = backend.table(TABLE)
    at = at or as_at(t, backend)
    if at is None:
        return pd.DataFrame(columns=COLUMNS), None
    now = ibis.timestamp(at)
    since = ibis.timestamp(at - timedelta(days=max(horizon, 28)))
    until = ibis.timestamp(at + timedelta(days=7))
    week_ago = ibis.timestamp(at - timedelta(days=7))
    month_ago = ibis.timestamp(at - timedelta(days=28))
    horizon_start = ibis.timestamp(at - timedelta(days=horizon))
    cols = set(t.columns)

    kept = t.filter(t.due_at >= since, t.due_at < until)

    def text(name: str) -> Any:
        if name not in cols:
            return ibis.literal(UNKNOWN)
        return kept[name].cast("string").fill_null(UNKNOWN)

    open_ = kept.made_at.isnull() | (kept.made_at > now)
    overdue = open_ & (kept.due_at < now) & (kept.due_at >= horizon_start)
    recent = (kept.due_at >= month_ago) & (kept.due_at < now)
    expr = kept.group_by(
        district=text("district"), team=text("supervisory_unit"), officer=text("officer")
    ).aggregate(
        overdue=overdue.cast("int64").sum(),
        overdue_7d=(overdue & (kept.due_at < week_ago)).cast("int64").sum(),
        oldest_due=kept.due_at.min(where=overdue),
        due_next_7d=(open_ & (kept.due_at >= now)).cast("int64").sum(),
        due_28d=recent.cast("int64").sum(),
        on_time_28d=(recent & kept.made_at.notnull() & (kept.made_at <= kept.due_at))
        .cast("int64")
        .sum(),
    )
    out = backend.execute(expr)
    for c in COLUMNS[3:]:
        if c != "oldest_due":
            out[c] = out[c].fillna(0).astype("int64")
    out = out.sort_values(["district", "team", "officer"], kind="stable").reset_index(drop=True)
    return out[COLUMNS], at
