"""``forcestat audit``: draw a period's case audit sample, load the completed form, print a
scheme's questions, and write the Ministry of Justice quarterly return (docs/audits.md).

Registered on the main command line by ``cli.py``; heavy modules are imported inside the
commands so that ``forcestat --help`` stays instant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

audit_app = typer.Typer(
    help="Case audits (VCOP compliance, domestic abuse scrutiny): samples, results, MoJ return.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

StoreOpt = Annotated[str, typer.Option("--store", help="Store: a DuckDB file path.")]
SchemeOpt = Annotated[
    str, typer.Option("--scheme", help="Audit scheme: vcop or da-scrutiny (or your own).")
]
SchemesOpt = Annotated[
    Path | None,
    typer.Option(
        "--schemes",
        help="Audit schemes file (TOML) replacing the packaged one (docs/audits.md).",
    ),
]


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _scheme(name: str, schemes: Path | None):
    from .store.audit_schemes import load_schemes

    try:
        return load_schemes(schemes).get(name)
    except (KeyError, ValueError) as exc:
        _fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    raise AssertionError  # unreachable: _fail raises


@audit_app.command("sample")
def sample(
    period: Annotated[
        str,
        typer.Option(
            "--period", help="Month YYYY-MM (a quarterly scheme: the quarter's last month)."
        ),
    ],
    out_file: Annotated[Path, typer.Option("--out", help="The audit form to write (CSV).")],
    store: StoreOpt = "forcestat.duckdb",
    scheme: SchemeOpt = "vcop",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed draws the same cases.")] = 1,
    schemes: SchemesOpt = None,
) -> None:
    """Draw the period's cases (proportionally stratified; never a case audited or drawn for
    another period) and write the audit form: one row per case, one column per question."""
    from .store.audit_sample import draw_sample, form
    from .store.store import open_store

    sch = _scheme(scheme, schemes)
    st = open_store(store)
    try:
        drawn = draw_sample(st, sch, period, seed)
    except ValueError as exc:
        _fail(str(exc))
    finally:
        st.close()
    sheet = form(drawn, sch)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    sheet.to_csv(out_file, index=False)
    by_type = drawn["case_type"].value_counts().to_dict() if len(drawn) else {}
    wanted = {s.case_type: s.size for s in sch.samples}
    parts = ", ".join(f"{by_type.get(t, 0)} of {n} {t}" for t, n in wanted.items())
    out.print(f"{sch.id} {period}: drew {parts} (seed {seed}); form: {out_file}", highlight=False)


@audit_app.command("load")
def load(
    results: Annotated[Path, typer.Argument(help="The completed audit form (CSV).")],
    store: StoreOpt = "forcestat.duckdb",
    scheme: SchemeOpt = "vcop",
    strict: Annotated[
        bool, typer.Option(help="Refuse the whole file (exit 1) if any row is rejected.")
    ] = False,
    show: Annotated[int, typer.Option(help="How many rejection reasons to print.")] = 10,
    schemes: SchemesOpt = None,
) -> None:
    """Validate and load a completed form: a row with an unknown case, question or answer is
    quarantined with its row and field; the rest load in one transaction, replacing earlier
    answers for the same cases (re-loading does not double-count)."""
    from .store.audit_results import load_results
    from .store.loader import StrictLoadError
    from .store.store import open_store

    sch = _scheme(scheme, schemes)
    st = open_store(store)
    try:
        rep = load_results(st, sch, results, strict=strict)
    except StrictLoadError as exc:
        console.print(f"[bold red]{exc}[/]", highlight=False)
        for r in exc.report.rejections[:show]:
            out.print(f"  rejected: {r}", highlight=False)
        raise typer.Exit(1) from None
    except ValueError as exc:
        _fail(str(exc))
    finally:
        st.close()
    out.print(
        f"audits ({sch.id}): read {rep.rows_read:,} cases from {results} in {rep.seconds:.2f}s — "
        f"answers loaded {rep.inserted:,} new, replaced {rep.replaced:,}, "
        f"unchanged {rep.unchanged:,}; cases quarantined {rep.quarantined:,}",
        highlight=False,
    )
    for r in rep.rejections[:show]:
        out.print(f"  rejected: {r}", highlight=False)
    if rep.quarantined > show:
        out.print(
            f"  … {rep.quarantined - show:,} more; see the quarantine table "
            f"(forcestat quarantine --store {store})",
            highlight=False,
        )


@audit_app.command("questions")
def questions(scheme: SchemeOpt = "vcop", schemes: SchemesOpt = None) -> None:
    """List a scheme's samples and questions with their answers."""
    sch = _scheme(scheme, schemes)
    out.print(f"{sch.id}: {sch.title} ({sch.period}ly)", highlight=False)
    for s in sch.samples:
        strata = " x ".join(s.stratify) or "none"
        out.print(f"  sample: {s.size} {s.case_type} ({s.population}; strata: {strata})")
    for q in sch.questions:
        meets = ", ".join(q.compliant) or "none (for information)"
        na = f"; not applicable: {', '.join(q.not_applicable)}" if q.not_applicable else ""
        out.print(
            f"  {q.id} [{', '.join(q.applies_to)}]: {q.text}\n"
            f"      answers: {', '.join(q.answers)}; meets the standard: {meets}{na}",
            highlight=False,
            markup=False,
        )


def _quarter_label(period: str) -> str:
    year, month = (int(x) for x in period.split("-"))
    fy = year if month >= 4 else year - 1
    q = ((month - 4) % 12) // 3 + 1
    return f"{fy}/{(fy + 1) % 100:02d} Q{q}"


@audit_app.command("moj-return")
def moj_return(
    period: Annotated[str, typer.Option("--period", help="The quarter's last month, YYYY-MM.")],
    out_file: Annotated[Path, typer.Option("--out", help="The return to write (CSV).")],
    store: StoreOpt = "forcestat.duckdb",
    scheme: SchemeOpt = "vcop",
    schemes: SchemesOpt = None,
) -> None:
    """Write the Ministry of Justice quarterly return of the VCOP compliance audit: per
    question the answers meeting the Code, not meeting it and not applicable, the compliance
    rate and its 95% Wilson interval; then all questions pooled and cases fully compliant."""
    from .moj_return import return_rows, write_return
    from .store.audit_results import answer_counts, case_counts, force_name
    from .store.audit_sample import period_of
    from .store.store import open_store

    sch = _scheme(scheme, schemes)
    try:
        p = period_of(sch, period)
    except ValueError as exc:
        _fail(str(exc))
    st = open_store(store, read_only=True)
    try:
        counts = answer_counts(st, sch, p.start, p.end)
        cases = case_counts(st, sch, p.start, p.end)
        force = force_name(st)
    finally:
        st.close()
    if cases[0] == 0:
        _fail(f"no {sch.id} audit results are loaded for {period} (forcestat audit load)", 1)
    label = _quarter_label(period) if sch.period == "quarter" else period
    rows = return_rows(
        counts,
        cases,
        force=force,
        scheme=sch.title,
        quarter=label,
        start=p.start.isoformat(),
        end=p.last_day.isoformat(),
    )
    path = write_return(rows, out_file)
    out.print(
        f"{sch.id} {label}: {cases[0]} cases, {cases[1]} fully compliant; return: {path}",
        highlight=False,
    )
