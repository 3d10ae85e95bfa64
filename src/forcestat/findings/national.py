"""The national context in the house style: the force's change in recorded crime and its rank
among the territorial forces, England and Wales, crime per 1,000 residents and the charge rate.

Reads the engine's ``NationalContext`` (``engine.national``); computes nothing.
"""

from __future__ import annotations

from typing import Any

from forcestat.findings.format import fmt_count, fmt_number, fmt_pct
from forcestat.period import Period


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def _compare(a: float, b: float, fmt) -> str:
    if fmt(a) == fmt(b):
        return "the same as"
    return "higher than" if a > b else "lower than"


def national_sentences(ctx: Any) -> list[str]:
    """The section's sentences for a ``NationalContext``."""
    out: list[str] = []
    end = Period.parse(ctx.period_end).month_name
    prev_end = Period.parse(ctx.previous_period_end).month_name
    rec = ctx.recorded
    if rec is not None and rec.change_pct is not None:
        pct = rec.change_pct
        if fmt_pct(abs(pct)) == fmt_pct(0):
            s = f"Police recorded crime in {ctx.force} was unchanged in the 12 months to {end}"
        else:
            verb = "increased" if pct > 0 else "decreased"
            s = (
                f"Police recorded crime in {ctx.force} {verb} by {fmt_pct(abs(pct))} "
                f"in the 12 months to {end}"
            )
            if ctx.rank is not None:
                which = (
                    "highest increase" if ctx.rank_direction == "increase" else "largest decrease"
                )
                place = "" if ctx.rank == 1 and not ctx.tied else f"{ordinal(ctx.rank)} "
                joint = "joint " if ctx.tied else ""
                s += f", the {joint}{place}{which} nationally"
        out.append(
            s + f". {ctx.force} recorded {fmt_count(rec.value)} crimes, against "
            f"{fmt_count(rec.previous)} in the 12 months to {prev_end}."
        )
    nat = ctx.national_recorded
    if nat is not None and nat.change_pct is not None:
        pct = nat.change_pct
        how = (
            "was unchanged"
            if fmt_pct(abs(pct)) == fmt_pct(0)
            else f"{'increased' if pct > 0 else 'decreased'} by {fmt_pct(abs(pct))}"
        )
        out.append(
            f"Across England and Wales ({ctx.forces_compared} territorial police forces) "
            f"recorded crime {how} over the same period, to {fmt_count(nat.value)} crimes."
        )
    if ctx.rate is not None:
        r = ctx.rate.value
        s = f"{ctx.force} recorded {fmt_number(r)} crimes per 1,000 residents"
        if ctx.national_rate is not None:
            n = ctx.national_rate.value
            s += f", {_compare(r, n, fmt_number)} the England and Wales rate of {fmt_number(n)}"
        out.append(s + f" (ONS mid-{ctx.population_year} population estimates).")
    cr = ctx.charge_rate
    if cr is not None:
        s = (
            f"Charges and summonses in the 12 months to {end} were equivalent to "
            f"{fmt_pct(cr.value)} of the crimes {ctx.force} recorded "
            f"({fmt_count(cr.numerator)} against {fmt_count(cr.denominator)})"
        )
        if ctx.national_charge_rate is not None:
            n = ctx.national_charge_rate.value
            s += f", {_compare(cr.value, n, fmt_pct)} {fmt_pct(n)} for England and Wales"
        out.append(s + ".")
    return out
