"""The ``forcestat`` command line. Heavy modules (Ibis, DuckDB) are imported inside commands so
``forcestat --help`` stays instant."""

from __future__ import annotations

import os
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from .audit_cli import audit_app
from .period import Period, PeriodError

console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


class _Commands(TyperGroup):
    """One error path for every command (issue #19): a problem with the command line is one
    line and exit code 2; a problem with what it names (a file, the store, the framework) is
    one line naming it and exit code 1; never a traceback (FORCESTAT_DEBUG=1 shows one)."""

    def invoke(self, ctx):
        from typer._click.exceptions import UsageError  # typer's bundled click

        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else "forcestat"
            _say(f"{exc.format_message()} (see {where} --help)")
            raise typer.Exit(2) from None
        except Exception as exc:
            if os.environ.get("FORCESTAT_DEBUG"):
                raise
            _say(_describe(exc))
            raise typer.Exit(1) from None


def _describe(exc: Exception) -> str:
    """The one line for an error that reached the top: ours say what is wrong; anything else
    is named by its type, without a library's internal text."""
    from .framework import FrameworkError
    from .store.connection import StoreError
    from .store.files import LoadError, printable

    if isinstance(exc, LoadError | StoreError | FrameworkError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or 'cannot be read or written'}"
    try:
        import duckdb

        if isinstance(exc, duckdb.Error):
            return (
                f"the store could not be read or written ({type(exc).__name__}); a load "
                "running then changed nothing (FORCESTAT_DEBUG=1 shows the details)"
            )
    except ImportError:  # pragma: no cover - duckdb is a dependency
        pass
    first = printable(str(exc).splitlines()[0]) if str(exc) else ""
    return f"unexpected failure ({type(exc).__name__}{': ' + first if first else ''})"


def _say(message: str) -> None:
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)


app = typer.Typer(
    cls=_Commands,
    help="forcestat: a police force's performance picture from its records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(audit_app, name="audit")

StoreOpt = Annotated[
    str,
    typer.Option(
        "--store",
        help="Store: a DuckDB file path (created if missing), a folder of Parquet, or a URL.",
    ),
]


def _period(value: str | Period | None) -> Period | None:
    """``--period``/``--end``: parsed once, here; a bad month is a usage error (exit 2)."""
    if value is None or isinstance(value, Period):
        return value
    try:
        return Period.parse(value)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc)) from None


PeriodOpt = Annotated[
    Period | None,
    typer.Option(
        parser=_period,
        metavar="YYYY-MM",
        help="Period end YYYY-MM (default: the last month of data).",
    ),
]


def _fail(message: str, code: int = 2) -> None:
    _say(message)
    raise typer.Exit(code)


def _out_folder(path: Path) -> Path:
    """``--out`` that must be a folder: an existing file there is an error, not overwritten."""
    if path.exists() and not path.is_dir():
        _fail(f"--out {path}: is a file; give a folder for the outputs")
    return path


@contextmanager
def _new_store_removed_on_failure(store: str):
    """A load that fails leaves no trace, not even the empty store it created."""
    from .store.connection import duckdb_path, is_duckdb_target

    path = Path(duckdb_path(store)) if is_duckdb_target(store) else None
    created = path is not None and str(path) != ":memory:" and not path.exists()
    try:
        yield
    except BaseException:
        if created and path is not None:
            for p in (path, path.with_name(path.name + ".wal")):
                p.unlink(missing_ok=True)
        raise


class LoadFormat(StrEnum):
    canonical = "canonical"
    police_uk = "police-uk"
    home_office = "home-office"


@app.command()
def load(
    targets: Annotated[
        list[str],
        typer.Argument(
            metavar="[TABLE] FILE...",
            help="canonical: the target table (e.g. crimes, calls, geography), then its CSV or "
            "Parquet files (CSV may be .gz). police-uk, home-office: files or folders, no table "
            "(each file's header says where it goes).",
            show_default=False,
        ),
    ],
    store: StoreOpt = "forcestat.duckdb",
    fmt: Annotated[
        LoadFormat,
        typer.Option(
            "--format",
            help="canonical: forcestat's own tables (docs/data-model.md). police-uk: "
            "data.police.uk street and outcomes CSVs -> crimes, anti-social behaviour, outcome "
            "history. home-office: Home Office recorded crime and outcomes by force, ONS "
            "population and crime severity, for the national context (docs/police-uk.md).",
        ),
    ] = LoadFormat.canonical,
    strict: Annotated[
        bool, typer.Option(help="Refuse the whole load (exit 1) if any row is rejected.")
    ] = False,
    show: Annotated[int, typer.Option(help="How many rejection reasons to print.")] = 10,
    encoding: Annotated[
        str | None,
        typer.Option(
            help="Text encoding of CSV files, e.g. latin-1 or cp1252 (default: UTF-8, or "
            "UTF-16 when the file starts with its byte-order mark)."
        ),
    ] = None,
) -> None:
    """Validate and load data: bad rows are quarantined with file, row, field and reason; the
    load is atomic and re-loading the same data does not double-count."""
    from .store.connection import is_postgres_url
    from .store.loader import StrictLoadError, load_files
    from .store.schema import ALL_TABLES
    from .store.store import open_store

    if is_postgres_url(store):
        # Staged in an embedded DuckDB store, written to PostgreSQL in one transaction there.
        from .store.pgload import load_files

    if fmt is LoadFormat.canonical:
        hint = (
            " (data.police.uk or Home Office files? add --format police-uk or --format home-office)"
            if Path(targets[0]).exists()
            else ""
        )
        if len(targets) < 2:
            _fail(f"a canonical load needs the table and at least one file: TABLE FILE...{hint}")
        table, files = targets[0], [Path(f) for f in targets[1:]]
        if table not in ALL_TABLES:
            _fail(f"unknown table {table!r}; tables: {', '.join(ALL_TABLES)}{hint}")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            _fail(f"--encoding {encoding}: unknown encoding (e.g. utf-8, latin-1, cp1252)")
    with _new_store_removed_on_failure(store):
        st = open_store(store)
        try:
            with _progress() as (bar, step):
                try:
                    if fmt is LoadFormat.canonical:
                        rep = load_files(
                            st, table, files, strict=strict, progress=step, encoding=encoding
                        )
                        reps, counts, notes = [rep], {table: len(files)}, rep.notes
                    else:
                        reps, counts, warnings, notes = _import(
                            st, fmt, targets, strict, step, encoding
                        )
                except StrictLoadError as exc:
                    bar.stop()
                    console.print(f"[bold red]{escape(str(exc))}[/]", highlight=False)
                    raise typer.Exit(1) from None
        finally:
            st.close()
    if fmt is LoadFormat.canonical:
        warnings = reps[0].warnings
    for n in notes:
        console.print(f"note: {escape(n)}", highlight=False)
    for w in warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)
    if fmt is not LoadFormat.canonical:
        n = len({f for rep in reps for f in rep.files})
        out.print(f"{fmt.value}: {n} file(s) in {reps[0].seconds:.2f}s, one transaction")
    for rep in reps:
        read = "derived" if fmt is LoadFormat.police_uk and rep.table == "crimes" else "read"
        took = f" in {rep.seconds:.2f}s" if fmt is LoadFormat.canonical else ""
        out.print(
            f"{rep.table}: {read} {rep.rows_read:,} rows from {counts[rep.table]} file(s){took} "
            f"— loaded {rep.inserted:,} new, replaced {rep.replaced:,}, "
            f"unchanged {rep.unchanged:,}, duplicates {rep.duplicates:,}, "
            f"superseded {rep.superseded:,}, quarantined {rep.quarantined:,}",
            highlight=False,
        )
    rejections = [r for rep in reps for r in rep.rejections]
    quarantined = sum(rep.quarantined for rep in reps)
    for r in rejections[:show]:
        out.print(f"  rejected: {r}", highlight=False)
    if quarantined > show:
        out.print(
            f"  … {quarantined - show:,} more; see the quarantine table "
            f"(forcestat quarantine --store {store})",
            highlight=False,
        )


@contextmanager
def _progress():
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("loading", total=None)

        def step(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total + 1)

        yield bar, step


def _import(st, fmt: LoadFormat, targets: list[str], strict: bool, step, encoding):
    """Run a public-data importer; returns its per-table reports (with the whole load's time),
    the number of files each table came from, the warnings and the notes."""
    if fmt is LoadFormat.police_uk:
        from .store.sources.police_uk import load_police_uk

        rep = load_police_uk(st, targets, strict=strict, progress=step, encoding=encoding)
        n_street, n_out = len(rep.street_files), len(rep.outcomes_files)
        counts = {
            "police_uk_crimes": n_street,
            "asb_incidents": n_street,
            "police_uk_outcome_events": n_out,
            "crimes": len(rep.tables["crimes"].files),
        }
    else:
        from .store.sources.home_office import load_home_office

        rep = load_home_office(st, targets, strict=strict, progress=step, encoding=encoding)
        counts = {name: len(files) for name, files in rep.files.items()}
    for r in rep.tables.values():
        r.seconds = rep.seconds
    return list(rep.tables.values()), counts, rep.warnings, rep.notes


@app.command()
def quarantine(
    store: StoreOpt = "forcestat.duckdb",
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 20,
) -> None:
    """Show quarantined rows with their file, row, fields and reasons."""
    from .store.store import open_store

    st = open_store(store, read_only=True)
    if "quarantine" not in st.tables():
        out.print("0 quarantined row(s)")
        return
    rows = st.duck.execute(
        "SELECT table_name, source_file, source_row, fields, reasons FROM quarantine "
        "ORDER BY quarantined_at DESC, source_file, source_row LIMIT ?",
        [limit],
    ).fetchall()
    total = st.count("quarantine")
    out.print(f"{total:,} quarantined row(s)")
    for t, f, r, flds, why in rows:
        out.print(f"  {t}: {f} row {r} [{flds}] {why}", highlight=False)


@app.command()
def synth(
    store: StoreOpt = "forcestat.duckdb",
    end: Annotated[
        Period,
        typer.Option(parser=_period, metavar="YYYY-MM", help="Last month generated."),
    ] = "2020-03",  # type: ignore[assignment]
    years: Annotated[int, typer.Option(help="Years of history.", min=1)] = 5,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 1,
    forces: Annotated[
        int,
        typer.Option(help="1 = the demo force into a store; N>1 = national Parquet set.", min=1),
    ] = 1,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder for the national Parquet set.")
    ] = None,
) -> None:
    """Generate the synthetic force (or a national set of forces) with its storylines."""
    from .synth.run import run

    if out_dir is not None:
        _out_folder(out_dir)
    if forces == 1:
        from .store.connection import check_store_path, is_duckdb_target

        if is_duckdb_target(store):
            check_store_path(store, must_exist=False)
            if Path(store).is_dir():
                _fail(f"--store {store}: is a folder; the demo force goes into a DuckDB file")
    run(store=store, end=str(end), years=years, seed=seed, forces=forces, out=out_dir)


@app.command()
def summary(store: StoreOpt = "forcestat.duckdb") -> None:
    """Print what the store holds: rows per table, date ranges, districts."""
    from .store.store import open_store
    from .store.summary import print_summary

    print_summary(open_store(store, read_only=True), out)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo outputs.")] = Path(
        "demo"
    ),
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic force.")] = 1,
) -> None:
    """Build the demo store from the built-in synthetic force, then write its Board report for
    the 12 months ending March 2020 (HTML, PDF, DOCX) into the folder."""
    import time

    from .outputs.report.demo import write_example_commentary
    from .pipeline import compute, load_framework, make_report, open_store
    from .synth.run import run

    _out_folder(out_dir).mkdir(parents=True, exist_ok=True)
    store_path = out_dir / "demo.duckdb"
    if store_path.exists():
        store_path.unlink()
    t0 = time.perf_counter()
    run(store=str(store_path), end="2020-03", years=5, seed=seed, forces=1, out=None)
    out.print(f"demo store built in {time.perf_counter() - t0:.1f}s: {store_path}")
    commentary = write_example_commentary(out_dir / "commentary", "2020-03")
    st = open_store(str(store_path))
    try:
        say = lambda what: console.print(f"  {what}", style="dim", highlight=False)  # noqa: E731
        done = compute(st, load_framework(None), Period(2020, 3), progress=say)
        written = make_report(st, done.period, out_dir, computed=done, progress=say)
        # The example commentary shows analysts where their words go: in the draft only.
        draft = make_report(
            st,
            done.period,
            out_dir,
            commentary_dir=commentary,
            formats=["html"],
            edition="draft",
            computed=done,
        )
    finally:
        st.close()
    for fmt, path in written.paths.items():
        out.print(f"{fmt.upper():>4}: {path}", highlight=False)
    out.print(f"DRAFT: {draft.paths['html']} (with the example commentary)", highlight=False)
    out.print(
        f"demo done in {time.perf_counter() - t0:.1f}s "
        f"({_timings(written.seconds)}); commentary in {commentary}",
        highlight=False,
    )


def _timings(seconds: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f}s" for k, v in seconds.items())


@app.command()
def measures(
    period: PeriodOpt = None,
    out_file: Annotated[
        Path, typer.Option("--out", help="Output file: .parquet, .csv or .json.")
    ] = Path("measure_results.parquet"),
    store: StoreOpt = "forcestat.duckdb",
    framework: Annotated[
        Path | None, typer.Option(help="Framework TOML (default: the packaged framework).")
    ] = None,
    all_periods: Annotated[
        bool, typer.Option("--all-periods", help="Evaluate every month the data cover.")
    ] = False,
    measure: Annotated[
        list[str] | None, typer.Option("--measure", help="Only this measure id (repeatable).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Processes for the statistics (default: one per core).")
    ] = None,
) -> None:
    """Evaluate the framework's measures into measure_results (docs/framework.md). Measures the
    store's data cannot support are listed and left out."""
    import time

    from .engine import write
    from .engine.results import FORMATS
    from .pipeline import PipelineError, compute

    if out_file.suffix.lower() not in FORMATS:
        _fail(f"{out_file}: unknown output format; use {', '.join(FORMATS)}")
    if out_file.is_dir():
        _fail(f"--out {out_file}: is a folder; give a file name ending {', '.join(FORMATS)}")
    fw = _framework(framework)
    unknown = sorted(set(measure or ()) - {m.id for m in fw.measures})
    if unknown:
        _fail(f"--measure: unknown measure(s) {', '.join(unknown)}")
    t0 = time.perf_counter()
    st = _read_store(store)
    try:
        done = compute(st, fw, period, all_periods=all_periods, measures=measure, workers=workers)
    except PipelineError as exc:
        _fail(str(exc), 1)
    finally:
        st.close()
    df = done.results
    write(df, out_file)
    for mid, why in sorted(done.unavailable.items()):
        if measure is None or mid in measure:
            console.print(f"[yellow]not available:[/] {mid}: {why}", highlight=False)
    out.print(
        f"measure_results: {len(df):,} rows, {df['measure_id'].nunique()} measures, "
        f"{df['period_end'].nunique()} period(s) in {time.perf_counter() - t0:.1f}s -> "
        f"{out_file} (framework {fw.hash})",
        highlight=False,
    )


@app.command()
def report(
    period: PeriodOpt = None,
    store: StoreOpt = "forcestat.duckdb",
    framework: Annotated[
        Path | None, typer.Option(help="Framework TOML (default: the packaged framework).")
    ] = None,
    commentary: Annotated[
        Path | None,
        typer.Option(
            help="Folder of analysts' Markdown, one file per section (a sub-folder named after "
            "the period is used when present). Read only: never written."
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, pdf, docx.")
    ] = "html,pdf,docx",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the report files.")] = Path(
        "report"
    ),
    public: Annotated[
        bool,
        typer.Option(
            "--public", help="Public edition: counts of 1-4 and figures revealing them hidden."
        ),
    ] = False,
    annex: Annotated[
        bool,
        typer.Option(
            "--annex", help="Annex edition: every measure in full, every table and chart."
        ),
    ] = False,
    draft: Annotated[
        bool,
        typer.Option(
            "--draft", help="Draft edition: the Board edition plus what is still missing."
        ),
    ] = False,
) -> None:
    """Write the Board report (docs/report.md) from the store's records and the framework:
    the short Board edition by default, or the annex or draft edition."""
    import time

    from .outputs.report import FORMATS
    from .pipeline import PipelineError, make_report

    formats = [f.strip().lower() for f in fmt.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        _fail(f"--format: use one or more of {', '.join(FORMATS)} (got {fmt!r})")
    if annex and draft:
        _fail("--annex and --draft: choose one edition")
    edition = "annex" if annex else "draft" if draft else "board"
    _out_folder(out_dir)
    fw = _framework(framework)
    t0 = time.perf_counter()
    st = _read_store(store)
    try:
        written = make_report(
            st,
            period,
            out_dir,
            framework=fw,
            commentary_dir=commentary,
            formats=formats,
            public=public,
            edition=edition,
            progress=lambda what: console.print(f"  {what}", style="dim", highlight=False),
        )
    except PipelineError as exc:
        _fail(str(exc), 1)
    except FileNotFoundError as exc:
        _fail(str(exc).strip("'\""))
    finally:
        st.close()
    for path in written.unused_commentary:
        console.print(
            f"[yellow]warning:[/] commentary file {path} matches no section of this report",
            highlight=False,
        )
    for f, path in written.paths.items():
        out.print(f"{f.upper():>4}: {path}", highlight=False)
    out.print(
        f"report for {written.report.period} in {time.perf_counter() - t0:.1f}s "
        f"({_timings(written.seconds)})",
        highlight=False,
    )


def _framework(path: Path | None):
    from .framework import FrameworkError
    from .pipeline import load_framework

    try:
        return load_framework(path)
    except FrameworkError as exc:
        _fail(str(exc))


def _read_store(url: str):
    """A store for a read-only command: it must exist (nothing is created by reading)."""
    from .pipeline import open_store
    from .store.connection import duckdb_path, is_duckdb_target

    if is_duckdb_target(url) and not Path(duckdb_path(url)).exists():
        _fail(f"{url}: no such store (build one with `forcestat load` or `forcestat synth`)", 1)
    return open_store(url)


# serve, refresh and users live in their own module (docs/serve.md).
from .cli_serve import register as _register_serving  # noqa: E402

_register_serving(app)

if __name__ == "__main__":
    app()
