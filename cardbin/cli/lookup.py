"""`cardbin lookup`, `cardbin branches`, `cardbin enrich`: resolution from the shell.

Errors go to stderr as the typed error's message (a card number in it is already masked) with exit code 1 for
bad input and 2 for an unknown BIN or branch, so scripts can tell them apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from cardbin.cli.app import app
from cardbin.errors import CardbinError, NotFound
from cardbin.model import CardInfo
from cardbin.resolve.enrich import enrich_file
from cardbin.resolve.resolver import Resolver

DbOption = Annotated[
    Path | None, typer.Option("--db", help="DuckDB release store (default: CARDBIN_DB; else the bundled release).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (the API's field names).")]

_out = Console()
_err = Console(stderr=True, soft_wrap=True)


@contextmanager
def _reported() -> Iterator[None]:
    """Turn cardbin's typed errors into a one-line message and an exit code instead of a traceback."""
    try:
        yield
    except NotFound as exc:
        _err.print(f"[red]not found:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None
    except CardbinError as exc:
        _err.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None


def _card_table(info: CardInfo) -> Table:
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
def lookup(
    card: Annotated[str, typer.Argument(help="Card number; spaces, dashes and full-width digits are fine.")],
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Bank, card type, region and 联行号 of a card number."""
    with _reported():
        info = Resolver.open(db).lookup(card)
    if json:
        typer.echo(msgspec.json.encode(info).decode())
    else:
        _out.print(_card_table(info))


@app.command()
def branches(
    *,
    bank: Annotated[str | None, typer.Option(help="Bank code (ICBC) or name (中国工商银行).")] = None,
    city: Annotated[str | None, typer.Option(help="CNAPS city code (5840) or city name (深圳).")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Keywords, all must match: '工商 深圳 南山'.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many branches.")] = 20,
    json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Search CNAPS branches by bank, city and keywords."""
    with _reported():
        found = Resolver.open(db).branches(bank=bank, city=city, q=q, limit=limit)
    if json:
        typer.echo(msgspec.json.encode(found).decode())
        return
    table = Table("联行号", Column("name", overflow="fold"), "bank", "city", "province")
    for branch in found:
        table.add_row(branch.cnaps_code, branch.name, branch.bank_code or "", branch.city or "", branch.province or "")
    _out.print(table)
    _out.print(f"{len(found)} branch(es)")


@app.command()
def enrich(
    source: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or Parquet with card numbers.")],
    target: Annotated[Path, typer.Argument(dir_okay=False, help="Output; Parquet if it ends in .parquet, else CSV.")],
    column: Annotated[str, typer.Option(help="The card-number column.")] = "card_number",
    db: DbOption = None,
) -> None:
    """Add bank, region and 联行号 columns to every row; rows that cannot be resolved get an `error`."""
    with _reported():
        summary = enrich_file(source, target, Resolver.open(db).index, column=column)
    _err.print(f"{summary.rows} rows: {summary.resolved} resolved, {summary.errors} with an error → {target}")
