"""`cardbin release …`: load a month's files, review the diff, activate, list, roll back."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cardbin.cli.app import app
from cardbin.errors import CardbinError, LoadRefused
from cardbin.model import Coverage
from cardbin.release.build import Inputs
from cardbin.release.diff import ReleaseDiff, TableDiff
from cardbin.resolve.coverage import release_coverage
from cardbin.store import DB_ENV, ReleaseStore
from cardbin.validate import Options, Report, Severity, print_report

release_app = typer.Typer(help="Versioned monthly releases in a DuckDB file.", no_args_is_help=True)
app.add_typer(release_app, name="release")

console = Console()
stderr = Console(stderr=True)

DbOption = Annotated[
    Path,
    typer.Option("--db", envvar=DB_ENV, help=f"DuckDB file of the releases (or set {DB_ENV}).", show_default=False),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]

EXIT_REFUSED = 2


def _fail(exc: CardbinError) -> typer.Exit:
    stderr.print(f"[red]error:[/red] {exc}")
    return typer.Exit(1)


def _diff_table(title: str, diff: TableDiff, limit: int = 15) -> Table:
    table = Table(title=f"{title}: +{len(diff.added)} −{len(diff.removed)} ~{len(diff.changed)}")
    for column in ("bank", "added", "removed", "changed"):
        table.add_column(column, justify="left" if column == "bank" else "right")
    for bank in diff.by_bank[:limit]:
        table.add_row(bank.bank, str(bank.added), str(bank.removed), str(bank.changed))
    if len(diff.by_bank) > limit:
        table.add_row(f"… {len(diff.by_bank) - limit} more banks", "", "", "")
    return table


def _shares(coverage: Coverage, counts: dict[str, int]) -> str:
    return " · ".join(f"{key} {coverage.share(n):.1%}" for key, n in counts.items())


def _print_coverage(coverage: Coverage, limit: int = 20) -> None:
    """The share of BIN rows whose answer holds each field, and the issuers that map to no bank."""
    table = Table(title=f"Coverage of {coverage.bins} BIN rows", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("bank identity", f"{coverage.share(coverage.bank):.1%}")
    table.add_row("region", _shares(coverage, coverage.region))
    table.add_row("country", f"{coverage.share(coverage.country):.1%}")
    table.add_row("联行号", _shares(coverage, coverage.cnaps))
    if coverage.cnaps_not_in_release or coverage.cnaps_other_bank:
        broken = f"{coverage.cnaps_not_in_release} not in the release, {coverage.cnaps_other_bank} of another bank"
        table.add_row("[red]联行号 broken[/red]", broken)
    console.print(table)
    unmapped = coverage.unmapped_issuers
    if unmapped:
        console.print(f"{len(unmapped)} issuers map to no bank (add them to data/banks/curated.csv):")
        for issuer in unmapped[:limit]:
            console.print(f"  {issuer.issuer_name} ({issuer.issuer_code or 'no 机构代码'}): {issuer.bins} BIN rows")
        if len(unmapped) > limit:
            console.print(f"  … {len(unmapped) - limit} more (--json lists all)")


def _print_diff(diff: ReleaseDiff) -> None:
    console.print(f"Changes from {diff.from_month or '(nothing)'} to {diff.to_month}")
    console.print(_diff_table("BINs", diff.bins))
    console.print(_diff_table("Branches", diff.branches))


@release_app.command()
def load(
    *,
    db: DbOption,
    month: Annotated[str, typer.Option(help="Data month of the release, YYYY-MM.")],
    bin_table: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="UnionPay full card table.")
    ] = None,
    bin_changes: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="UnionPay change list (A/U/D).")
    ] = None,
    cnaps_table: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="CNAPS participant table.")
    ] = None,
    cities: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="CNAPS city codes.")] = None,
    segments: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Card-segment table (卡号段 → city code).")
    ] = None,
    check_digit: Annotated[
        str, typer.Option(help="Severity of a 行号 failing its check digit: fatal or warning.")
    ] = "fatal",
    as_json: JsonOption = False,
) -> None:
    """Validate a month's files and store them as an inactive release (a refused load stores nothing)."""
    if check_digit not in ("fatal", "warning"):
        raise typer.BadParameter("must be fatal or warning", param_hint="--check-digit")
    severity: Severity = "fatal" if check_digit == "fatal" else "warning"
    store = ReleaseStore(db)
    inputs = Inputs(
        bin_table=bin_table, bin_changes=bin_changes, cnaps_table=cnaps_table, cities=cities, segments=segments
    )
    files = sum(p is not None for p in (bin_table, bin_changes, cnaps_table, cities, segments))
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=stderr, disable=as_json
    )
    try:
        with progress:
            # each file, validate, assemble, coverage, store, diff
            task = progress.add_task(f"loading {month}", total=files + 5)

            def step(done: str) -> None:
                progress.update(task, advance=1, description=done)

            info, built = store.load(
                month, inputs, options=Options(check_digit=severity), step=step, measure=release_coverage
            )
            previous = store.previous_month(month)
            diff = store.diff(previous, month)
            step("diff")
    except LoadRefused as refused:
        report = refused.report
        assert isinstance(report, Report)
        if as_json:
            console.print_json(report.to_json().decode())
        else:
            print_report(report, console)
            stderr.print(f"[red]refused:[/red] {refused}; the store is unchanged")
        raise typer.Exit(EXIT_REFUSED) from refused
    except CardbinError as exc:
        raise _fail(exc) from exc
    if as_json:
        payload = {
            "release": info,
            "report": msgspec.json.decode(built.report.to_json()),
            "diff": diff,
            "coverage": info.coverage,
        }
        console.print_json(msgspec.json.encode(payload).decode())
        return
    print_report(built.report, console, limit=20)
    summary = Table(title=f"Release {info.month} loaded (inactive)")
    for column in ("table", "rows", "added", "removed", "changed"):
        summary.add_column(column, justify="left" if column == "table" else "right")
    changes = {"bins": diff.bins, "branches": diff.branches}
    for table, rows in info.counts.items():
        d = changes.get(table)
        summary.add_row(
            table, str(rows), *((str(len(d.added)), str(len(d.removed)), str(len(d.changed))) if d else ("",) * 3)
        )
    console.print(summary)
    if info.coverage is not None:
        _print_coverage(info.coverage)
    console.print(f"Review with `cardbin release diff`, then `cardbin release activate {info.month}`.")


@release_app.command()
def diff(
    db: DbOption,
    old: Annotated[str | None, typer.Argument(help="From this month (default: the active release).")] = None,
    new: Annotated[str | None, typer.Argument(help="To this month (default: the newest release).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Added / removed / changed BINs and branches between two releases, per bank."""
    store = ReleaseStore(db)
    try:
        months = [r.month for r in store.list_releases()]
        if not months:
            raise _fail(CardbinError(f"{db}: no releases"))
        new = new or months[-1]
        if old is None:
            active = store.active_month()
            old = active if active and active != new else store.previous_month(new)
        result = store.diff(old, new)
    except CardbinError as exc:
        raise _fail(exc) from exc
    if as_json:
        console.print_json(msgspec.json.encode(result).decode())
    else:
        _print_diff(result)


@release_app.command()
def activate(db: DbOption, month: Annotated[str, typer.Argument(help="The release to serve, YYYY-MM.")]) -> None:
    """Make a stored release the one served (one atomic step)."""
    try:
        ReleaseStore(db).activate(month)
    except CardbinError as exc:
        raise _fail(exc) from exc
    console.print(f"active release: {month}")


@release_app.command("list")
def list_(db: DbOption, as_json: JsonOption = False) -> None:
    """Stored releases, their sources, row counts and coverage; the active one is marked."""
    try:
        releases = ReleaseStore(db).list_releases()
    except CardbinError as exc:
        raise _fail(exc) from exc
    if as_json:
        console.print_json(msgspec.json.encode(releases).decode())
        return
    table = Table(title=f"Releases in {db}")
    for column in ("month", "active", "loaded at", "bins", "branches", "cities", "sources"):
        table.add_column(column)
    coverage = Table(title="Share of BIN rows with …")
    for column in ("month", "bank", "region", "country", "联行号", "issuers without a bank"):
        coverage.add_column(column, justify="left" if column == "month" else "right")
    for r in releases:
        sources = ", ".join(f"{s.name} ({s.rows})" for s in r.sources)
        counts = [str(r.counts.get(t, 0)) for t in ("bins", "branches", "cities")]
        table.add_row(r.month, "*" if r.active else "", r.loaded_at, *counts, sources)
        coverage.add_row(r.month, *_coverage_cells(r.coverage))
    console.print(table)
    console.print(coverage)


def _coverage_cells(coverage: Coverage | None) -> tuple[str, ...]:
    """Shares of BIN rows with a bank, a region (city or province), a country and a 联行号; blank if not measured."""
    if coverage is None:
        return ("not measured", "", "", "", "")
    regional = coverage.region.get("city", 0) + coverage.region.get("province", 0)
    answered = coverage.bins - coverage.cnaps.get("none", 0)
    shares = (f"{coverage.share(n):.1%}" for n in (coverage.bank, regional, coverage.country, answered))
    return (*shares, str(len(coverage.unmapped_issuers)))


@release_app.command()
def rollback(db: DbOption) -> None:
    """Serve again the release that was active before the last activation."""
    try:
        month = ReleaseStore(db).rollback()
    except CardbinError as exc:
        raise _fail(exc) from exc
    console.print(f"active release: {month}")
