"""`cardbin release …`: load a month's files, review the diff and the report, activate, list, roll back, history,
and publish releases as bundles that many replicas follow (`--releases DEST` on activate, rollback, history).

Exit codes and the `--json` envelope are those of `cardbin.cli.output` (0 done, 1 refused, 2 usage). `list`,
`history`, `activate` and `rollback` import DuckDB only; the commands that move table data import polars.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cardbin.cli.app import EnvelopeGroup, app
from cardbin.cli.output import done, fail
from cardbin.errors import CardbinError
from cardbin.paths import DB_ENV

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from cardbin.model import Coverage
    from cardbin.publish import Destination
    from cardbin.release.diff import ReleaseDiff, TableDiff


@app.group(name="release", cls=EnvelopeGroup, no_args_is_help=True)
def release_app() -> None:
    """Versioned monthly releases in a DuckDB file."""


db_option = click.option(
    "--db",
    envvar=DB_ENV,
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"DuckDB file of the releases (or set {DB_ENV}).",
)
_F = TypeVar("_F", bound=Callable[..., Any])


def db_or_releases(command: _F) -> _F:
    """--db (the store, default CARDBIN_DB) or --releases DEST (a published destination, which wins)."""
    command = click.option(
        "--releases",
        metavar="DEST",
        help="Act on the releases published in DEST (a directory) instead of the store.",
    )(command)
    return click.option(
        "--db",
        envvar=DB_ENV,
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"DuckDB file of the releases (or set {DB_ENV}).",
    )(command)


def _store(db: Path | None) -> Path:
    if db is None:
        raise click.UsageError(f"give --db (or set {DB_ENV}), or --releases DEST")
    return db


def _destination(location: str) -> Destination:
    from cardbin.publish import Destination

    return Destination.at(location)


json_option = click.option("--json", "as_json", is_flag=True, help="Print the JSON envelope instead of tables.")
input_file = click.Path(exists=True, dir_okay=False, path_type=Path)


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr)


def _counts_table(title: str, diff: TableDiff, limit: int = 15) -> Table:
    from rich.table import Table

    table = Table(title=f"{title}: +{len(diff.added)} −{len(diff.removed)} ~{len(diff.changed)}")
    for column in ("bank", "added", "removed", "changed"):
        table.add_column(column, justify="left" if column == "bank" else "right")
    for bank in diff.by_bank[:limit]:
        table.add_row(bank.bank, str(bank.added), str(bank.removed), str(bank.changed))
    if len(diff.by_bank) > limit:
        table.add_row(f"… {len(diff.by_bank) - limit} more banks", "", "", "")
    return table


def _fields_table(title: str, diff: TableDiff, limit: int = 40) -> Table:
    """Per changed key, each field's before → after."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title)
    for column in ("key", "bank", "field", "before", "after"):
        table.add_column(column, overflow="fold")
    for change in diff.changes[:limit]:
        for i, f in enumerate(change.fields):
            first = i == 0
            cells = (
                change.key if first else "",
                change.bank if first else "",
                f.field,
                f.before or "—",
                f.after or "—",
            )
            table.add_row(*(Text(c) for c in cells))
    if len(diff.changes) > limit:
        table.add_row(f"… {len(diff.changes) - limit} more", "", "", "", "(all in --json and `release report`)")
    return table


def _shares(coverage: Coverage, counts: dict[str, int]) -> str:
    return " · ".join(f"{key} {coverage.share(n):.1%}" for key, n in counts.items())


def _print_coverage(console: Console, coverage: Coverage, limit: int = 20) -> None:
    """The share of BIN rows whose answer holds each field, and the issuers that map to no bank."""
    from rich.table import Table

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
        console.print(
            f"{len(unmapped)} issuers map to no bank of the directory and answer as banks of their own name "
            "(add them to data/banks/curated.csv):"
        )
        for issuer in unmapped[:limit]:
            console.print(f"  {issuer.issuer_name} ({issuer.issuer_code or 'no 机构代码'}): {issuer.bins} BIN rows")
        if len(unmapped) > limit:
            console.print(f"  … {len(unmapped) - limit} more (--json lists all)")


def _coverage_cells(coverage: Coverage | None) -> tuple[str, str, str]:
    """Shares of BIN rows with a bank, a region (city or province) and a 联行号; blank when not measured."""
    if coverage is None:
        return "", "", ""
    regional = coverage.region.get("city", 0) + coverage.region.get("province", 0)
    answered = coverage.bins - coverage.cnaps.get("none", 0)
    bank, region, cnaps = (f"{coverage.share(n):.1%}" for n in (coverage.bank, regional, answered))
    return bank, region, cnaps


def _print_diff(diff: ReleaseDiff) -> None:
    console = _console()
    console.print(f"Changes from {diff.from_month or '(nothing)'} to {diff.to_month}")
    console.print(_counts_table("BINs", diff.bins))
    if diff.bins.changes:
        console.print(_fields_table("Changed BINs, field by field", diff.bins))
    console.print(_counts_table("Branches", diff.branches))
    if diff.branches.changes:
        console.print(_fields_table("Changed branches, field by field", diff.branches))


@release_app.command()
@db_option
@click.option("--month", required=True, help="Data month of the release, YYYY-MM.")
@click.option("--bin-table", type=input_file, help="UnionPay full card table.")
@click.option(
    "--bin-changes", type=input_file, multiple=True, help="UnionPay change list (A/U/D); repeat it, applied in order."
)
@click.option("--cnaps-table", type=input_file, help="CNAPS participant table.")
@click.option("--cities", type=input_file, help="CNAPS city codes.")
@click.option("--segments", type=input_file, help="Card-segment table (卡号段 → city code).")
@click.option("--base", metavar="MONTH", help="The release a change list applies to (default: the newest one).")
@click.option(
    "--check-digit",
    type=click.Choice(["fatal", "warning"]),
    default="fatal",
    show_default=True,
    help="Severity of a 行号 failing its check digit.",
)
@click.option("--allow-shrink", is_flag=True, help="Load although BINs or branches shrink by more than 10 %.")
@json_option
def load(
    *,
    db: Path,
    month: str,
    bin_table: Path | None,
    bin_changes: tuple[Path, ...],
    cnaps_table: Path | None,
    cities: Path | None,
    segments: Path | None,
    base: str | None,
    check_digit: str,
    allow_shrink: bool,
    as_json: bool,
) -> None:
    """Validate a month's files and store them as an inactive release (a refused load stores nothing).

    Tables not given are carried forward from the release it builds on: the month before it for a full BIN
    table (any month may be backfilled), the newest release (or --base) for change lists.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from cardbin.release.build import Inputs
    from cardbin.release.diff import diff_releases
    from cardbin.resolve.coverage import release_coverage
    from cardbin.store import ReleaseStore
    from cardbin.validate import Options, print_report

    inputs = Inputs(
        bin_table=bin_table, bin_changes=bin_changes, cnaps_table=cnaps_table, cities=cities, segments=segments
    )
    options = Options(check_digit="fatal" if check_digit == "fatal" else "warning", allow_shrink=allow_shrink)
    store = ReleaseStore(db)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=_console(True), disable=as_json
    )
    try:
        with progress:
            # each file, validate, assemble, coverage, store, diff
            task = progress.add_task(f"loading {month}", total=len(inputs.files()) + 5)

            def step(done: str) -> None:
                progress.update(task, advance=1, description=done)

            info, built = store.load(month, inputs, base=base, options=options, step=step, measure=release_coverage)
            diff = diff_releases(store.read_release(built.base) if built.base else None, built.release)
            step("diff")
    except CardbinError as exc:
        fail(exc, "release load", as_json=as_json)
    if as_json:
        result = {
            "release": info,
            "base": built.base,
            "carried": built.carried,
            "diff": diff,
            "coverage": info.coverage,
        }
        done("release load", result, report=built.report.summary())
        return
    console = _console()
    print_report(built.report, console, limit=20)
    if built.carried:
        tables = ", ".join(f"{t} ({info.counts.get(t, 0):,})" for t in built.carried)
        console.print(f"Carried forward from {built.base}: {tables} (no new file given for them).")
    from rich.table import Table

    summary = Table(title=f"Release {info.month} loaded (inactive), built on {built.base or 'no earlier release'}")
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
        _print_coverage(console, info.coverage)
    console.print(
        f"Review with `cardbin release diff` or `cardbin release report`, then `cardbin release activate {info.month}`."
    )


@release_app.command()
@db_option
@click.argument("old", required=False)
@click.argument("new", required=False)
@json_option
def diff(db: Path, old: str | None, new: str | None, as_json: bool) -> None:
    """Added / removed / changed BINs and branches between two releases, per bank and field by field.

    OLD defaults to the active release (or the one before NEW), NEW to the newest release.
    """
    from cardbin.store import ReleaseStore

    store = ReleaseStore(db)
    try:
        months = store.months()
        if not months:
            raise CardbinError(f"{db}: no releases")
        new = new or months[-1]
        if old is None:
            active = store.active_month()
            old = active if active and active != new else store.previous_month(new)
        result = store.diff(old, new)
    except CardbinError as exc:
        fail(exc, "release diff", as_json=as_json)
    if as_json:
        done("release diff", result)
    else:
        _print_diff(result)


@release_app.command()
@db_option
@click.argument("old")
@click.argument("new")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The HTML page to write.")
@click.option("--xlsx", type=click.Path(dir_okay=False, path_type=Path), help="Also write the same tables as xlsx.")
@json_option
def report(*, db: Path, old: str, new: str, out: Path, xlsx: Path | None, as_json: bool) -> None:
    """One self-contained HTML page to review NEW against OLD before activating it.

    It holds NEW's validation problems, the field-level diff, coverage per bank and per field, and charts of what
    changed per bank and card type; it needs no network. --xlsx writes the same tables as a workbook.
    """
    from cardbin.release.review import build_review, write_html, write_xlsx
    from cardbin.store import ReleaseStore

    try:
        review = build_review(ReleaseStore(db), old, new)
        write_html(review, out)
        if xlsx is not None:
            write_xlsx(review, xlsx)
    except CardbinError as exc:
        fail(exc, "release report", as_json=as_json)
    written = [str(p) for p in (out, xlsx) if p is not None]
    if as_json:
        done("release report", {"written": written, "summary": review.summary})
    else:
        click.echo(f"review of {new} against {old} written to {' and '.join(written)}")


@release_app.command()
@db_or_releases
@click.argument("month")
@json_option
def activate(db: Path | None, releases: str | None, month: str, as_json: bool) -> None:
    """Make a release the one served (one atomic step), recording who did it from which host.

    With --releases DEST, moves DEST's ACTIVE pointer to a month published there (its bundle checked first).
    """
    try:
        if releases is not None:
            _destination(releases).activate(month)
        else:
            from cardbin.store import ReleaseStore

            ReleaseStore(_store(db)).activate(month)
    except CardbinError as exc:
        fail(exc, "release activate", as_json=as_json)
    if as_json:
        done("release activate", {"active": month})
    else:
        click.echo(f"active release: {month}" + (f" in {releases}" if releases else ""))


@release_app.command()
@db_option
@click.argument("month")
@click.argument("dest")
@click.option("--activate", "then_activate", is_flag=True, help="Then point DEST's ACTIVE at it.")
@json_option
def publish(db: Path, month: str, dest: str, then_activate: bool, as_json: bool) -> None:
    """Write release MONTH of the store as an immutable bundle into the directory DEST, which replicas follow
    (`cardbin serve --releases DEST`, directly or through a web or object store it is copied to).

    Publishing a month again is a no-op when the bundle is identical, refused when it differs.
    """
    from cardbin.store import ReleaseStore

    try:
        store = ReleaseStore(db)
        release = store.read_release(month)
        coverage = next((r.coverage for r in store.list_releases() if r.month == month), None)
        destination = _destination(dest)
        published, written = destination.publish(release, coverage)
        if then_activate:
            destination.activate(month)
    except CardbinError as exc:
        fail(exc, "release publish", as_json=as_json)
    result = {
        "month": month,
        "destination": dest,
        "manifest_sha256": published.manifest_sha256,
        "written": written,
        "active": month if then_activate else None,
    }
    if as_json:
        done("release publish", result)
    else:
        state = "published" if written else "already published (identical bundle)"
        click.echo(f"release {month} {state} in {dest}" + ("; now active there" if then_activate else ""))


@release_app.command("list")
@db_option
@json_option
def list_(db: Path, as_json: bool) -> None:
    """Stored releases, their sources, row counts and coverage; the active one is marked."""
    from cardbin.store import ReleaseStore

    try:
        releases = ReleaseStore(db).list_releases()
    except CardbinError as exc:
        fail(exc, "release list", as_json=as_json)
    if as_json:
        done("release list", releases)
        return
    from rich.box import SIMPLE
    from rich.table import Table

    table = Table(title=f"Releases in {db.name}", caption="* active", box=SIMPLE)
    for column in ("month", "loaded", "bins", "branches", "cities", "bank", "region", "联行号"):
        table.add_column(column, no_wrap=True)
    for r in releases:
        counts = [str(r.counts.get(t, 0)) for t in ("bins", "branches", "cities")]
        month = f"{r.month} *" if r.active else r.month
        table.add_row(month, r.loaded_at[:10], *counts, *_coverage_cells(r.coverage))
    console = _console()
    console.print(table)
    for r in releases:
        console.print(f"{r.month} from " + ", ".join(f"{s.name} ({s.rows})" for s in r.sources), highlight=False)


@release_app.command()
@db_or_releases
@json_option
def rollback(db: Path | None, releases: str | None, as_json: bool) -> None:
    """Serve again the release that was active before the last activation (in the store, or in DEST)."""
    try:
        if releases is not None:
            month = _destination(releases).rollback().month
        else:
            from cardbin.store import ReleaseStore

            month = ReleaseStore(_store(db)).rollback()
    except CardbinError as exc:
        fail(exc, "release rollback", as_json=as_json)
    if as_json:
        done("release rollback", {"active": month})
    else:
        click.echo(f"active release: {month}" + (f" in {releases}" if releases else ""))


@release_app.command()
@db_or_releases
@json_option
def history(db: Path | None, releases: str | None, as_json: bool) -> None:
    """Every activation and rollback: when, which release, by whom, from which host."""
    try:
        if releases is not None:
            entries = _destination(releases).history()
        else:
            from cardbin.store import ReleaseStore

            entries = ReleaseStore(_store(db)).history()
    except CardbinError as exc:
        fail(exc, "release history", as_json=as_json)
    if as_json:
        done("release history", entries)
        return
    from rich.table import Table

    table = Table(title=f"Activations in {releases or db}")
    for column in ("at", "action", "release", "user", "host"):
        table.add_column(column)
    for e in entries:
        what = f"{e.month} → {e.restored}" if e.action == "rollback" and e.restored else e.month
        table.add_row(e.at, e.action, what, e.user or "unknown", e.host or "unknown")
    _console().print(table)
