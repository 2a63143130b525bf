"""`cardbin lookup`, `cardbin branches`, `cardbin enrich`: resolution from the shell.

Exit codes and the `--json` envelope are those of `cardbin.cli.output`: 1 when the data says no (an unknown BIN or
branch, a missing release or store), 2 for what was typed wrong (a malformed card number, an unknown bank); the
envelope's `result` holds the API's records. Without `--json` an error is its masked message on stderr. The
Resolver is imported when a command runs, and a lookup imports no polars (`cardbin.resolve.snapshot`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cardbin.cli.app import app
from cardbin.cli.output import done, fail
from cardbin.errors import CardbinError

if TYPE_CHECKING:
    from rich.table import Table

    from cardbin.model import CardInfo
    from cardbin.resolve.resolver import Resolver

db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="DuckDB release store (default: CARDBIN_DB; else the bundled release).",
)
release_option = click.option(
    "--release",
    "month",
    metavar="MONTH",
    help="Answer from this release (YYYY-MM), active or not; default: the active one.",
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print the JSON envelope (its result has the API's field names)."
)


@contextmanager
def _answered(command: str, *, as_json: bool = False) -> Iterator[None]:
    """A typed error ends the command with its exit code and the envelope (--json) or its message, no traceback."""
    try:
        yield
    except CardbinError as exc:
        fail(exc, command, as_json=as_json)


def _resolver(db: Path | None, month: str | None) -> Resolver:
    from cardbin.resolve.resolver import Resolver

    return Resolver.open(db, month)


def _card_table(info: CardInfo) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    rows = {
        "card": info.card_number_masked,
        "bank": (f"{info.bank_name} ({info.bank_code})" if info.bank_code else info.bank_name)
        + (f" · {info.bank_group}" if info.bank_group else ""),
        "issuer": " ".join(filter(None, (info.issuer_name, info.issuer_code))),
        "card type": f"{info.card_type}" + (f" · {info.card_name}" if info.card_name else ""),
        "BIN": f"{info.bin} (for {info.pan_length}-digit cards"
        + ("" if info.pan_length_valid else f"; this one has {len(info.card_number_masked)}")
        + ")",
        "Luhn": "valid" if info.luhn_valid else "fails (reported, not rejected)",
        "region": " ".join(filter(None, (info.province, info.city, info.city_code, info.country)))
        + f" [{info.region_level}, {info.region_source}]"
        if info.province or info.country
        else f"{info.region_level} — {info.region_reason}",
        "联行号": f"{info.cnaps_code} {info.branch_name or ''} [{info.cnaps_match}]"
        if info.cnaps_code
        else "unknown [none]",
        "release": info.release,
    }
    for alternative in info.alternatives:
        rows.setdefault("also matches", "")
        rows["also matches"] += f"{alternative.issuer_name} ({alternative.bin}, {alternative.card_type}) "
    for key, value in rows.items():
        table.add_row(key, Text(value))  # Text, not markup: "[city_branch]" and bank names print as they are
    return table


@app.command()
@click.argument("card")
@json_option
@db_option
@release_option
def lookup(card: str, as_json: bool, db: Path | None, month: str | None) -> None:
    """Bank, card type, region and 联行号 of a card number (spaces, dashes and full-width digits are fine)."""
    with _answered("lookup", as_json=as_json):
        info = _resolver(db, month).lookup(card)
    if as_json:
        done("lookup", info)
    else:
        from rich.console import Console

        Console().print(_card_table(info))


@app.command()
@click.option("--bank", help="Bank code (ICBC) or name (中国工商银行).")
@click.option("--city", help="CNAPS city code (5840) or city name (深圳).")
@click.option("--q", help="Keywords, all must match: '工商 深圳 南山'.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most this many branches.")
@json_option
@db_option
@release_option
def branches(
    *,
    bank: str | None,
    city: str | None,
    q: str | None,
    limit: int,
    as_json: bool,
    db: Path | None,
    month: str | None,
) -> None:
    """Search CNAPS branches by bank, city and keywords."""
    with _answered("branches", as_json=as_json):
        found = _resolver(db, month).branches(bank=bank, city=city, q=q, limit=limit)
    if as_json:
        done("branches", found)
        return
    from rich.console import Console
    from rich.table import Column, Table

    table = Table("联行号", Column("name", overflow="fold"), "bank", "city", "province")
    for branch in found:
        table.add_row(branch.cnaps_code, branch.name, branch.bank_code or "", branch.city or "", branch.province or "")
    console = Console()
    console.print(table)
    console.print(f"{len(found)} branch(es)")


@app.command()
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--column", default="card_number", show_default=True, help="The card-number column.")
@click.option("--prefix", default="", help="Put this before every result column's name (cb_ → cb_bank_code).")
@click.option("--excel", is_flag=True, help="Start a CSV output with a BOM, so Excel shows its Chinese right.")
@db_option
@release_option
def enrich(
    *, source: Path, target: Path, column: str, prefix: str, excel: bool, db: Path | None, month: str | None
) -> None:
    """Add bank, region and 联行号 columns to every row; rows that cannot be resolved get an `error`.

    SOURCE is CSV (UTF-8, GBK or GB18030), xlsx/xls or Parquet; TARGET's extension (.csv, .xlsx, .parquet)
    chooses the output format.
    """
    from cardbin.resolve.enrich import enrich_file
    from cardbin.resolve.files import output_format

    with _answered("enrich"):
        output_format(target)
        summary = enrich_file(source, target, _resolver(db, month).index, column=column, prefix=prefix, excel=excel)
    click.echo(f"{summary.rows} rows: {summary.resolved} resolved, {summary.errors} with an error → {target}", err=True)
