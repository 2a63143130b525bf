"""What every operators' command shares: the store, the actor, output as a table or as JSON, refusals as exit codes.

Exit codes: 0 done, 1 refused (a payout_core refusal: not permitted, wrong state, unknown order …), 2 usage (a bad
value: InvalidInput, or Typer's own usage errors). Tables are for people (times in Beijing time, amounts in yuan);
`--json` prints one JSON document for scripts (times ISO 8601 UTC, amounts in fen). Every message that leaves
here passes through `cardbin.redact.redact`.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import typer

from cardbin.redact import redact
from payout_core.errors import InvalidInput, PayoutError

if TYPE_CHECKING:
    from payout_core.store import Store

EXIT_REFUSED = 1
EXIT_USAGE = 2

StoreUrl = Annotated[
    str,
    typer.Option(
        "--store",
        envvar="PAYOUT_CORE_STORE",
        help="postgresql://… or a SQLite path (env PAYOUT_CORE_STORE).",
        show_default=False,
    ),
]
ActorId = Annotated[
    str,
    typer.Option(
        "--actor",
        envvar="PAYOUT_CORE_ACTOR",
        prompt="Actor (your id)",
        help="Who is doing this: an actor holding the role the change needs; written to the audit log.",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="One JSON document instead of a table.")]
Reason = Annotated[str, typer.Option("--reason", prompt=True, help="Why: kept in the audit log (masked).")]


@contextmanager
def refusals() -> Iterator[None]:
    """A payout_core refusal ends the command with its message (masked) on stderr and its exit code."""
    try:
        yield
    except PayoutError as exc:
        typer.echo(f"error: {redact(str(exc))}", err=True)
        raise typer.Exit(EXIT_USAGE if isinstance(exc, InvalidInput) else EXIT_REFUSED) from None


def fen(text: str, field: str = "amount") -> int:
    """An amount typed in yuan (`1234.56`, at most two decimals) as integer fen."""
    try:
        value = decimal.Decimal(text.replace(",", ""))
    except decimal.InvalidOperation:
        raise InvalidInput(field, text, "must be an amount in yuan, e.g. 1234.56") from None
    cents = value * 100
    if not value.is_finite() or cents != cents.to_integral_value() or cents <= 0:
        raise InvalidInput(field, text, "must be a positive amount in yuan with at most two decimals")
    return int(cents)


def yuan(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100:,}.{abs(amount) % 100:02d}"


def shown_time(instant: datetime | None) -> str:
    from payout_core.limits import CHINA

    return "" if instant is None else instant.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def emit_json(value: Any) -> None:
    typer.echo(msgspec.json.format(msgspec.json.encode(value), indent=2).decode())


def emit_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A table for people; every cell passes through redact."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(redact("" if cell is None else str(cell)) for cell in row))
    Console(width=200).print(table)


@contextmanager
def opened(url: str) -> Iterator[Store]:
    """The store at `url`, migrated. A PostgreSQL schema is chosen in the URL as libpq allows
    (`?options=-csearch_path%3Dpayouts`)."""
    from payout_core.store import open_store

    store = open_store(url)
    try:
        store.migrate()
        yield store
    finally:
        store.close()
