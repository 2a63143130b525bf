"""What every operators' command shares: the store, the actor, output as a table or as JSON, refusals as exit codes.

Exit codes: 0 done, 1 refused (a payout_core refusal: not permitted, wrong state, unknown order …), 2 usage (a bad
value: InvalidInput, or Typer's own usage errors). Tables are for people (times in Beijing time, amounts in yuan);
`--json` prints one JSON document for scripts (times ISO 8601 UTC, amounts in fen). Every message that leaves
here passes through `cardbin.redact.redact`.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import typer

from cardbin.redact import redact
from payout_core.errors import InvalidInput, PayoutError

if TYPE_CHECKING:
    from payout_core.orders import Order, PayoutEngine
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
ChangedBy = Annotated[
    str | None,
    typer.Option(
        "--actor",
        envvar="PAYOUT_CORE_ACTOR",
        help="Who makes the change (the admin role); without a change to make, the setting is only shown.",
    ),
]
IdempotencyKey = Annotated[
    str,
    typer.Option("--key", help="The transfer's idempotency key (the bank slip's reference): a replay moves nothing."),
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


def changed_by(actor: str | None) -> str:
    """The actor of a change; a change without one is refused (a setting is shown without an actor)."""
    if actor is None:
        raise InvalidInput("--actor", "", "a change needs the actor who makes it (or PAYOUT_CORE_ACTOR)")
    return actor


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


OrderId = Annotated[int, typer.Argument(help="The order's id.", min=1)]


def shown_order(order: Order) -> Order:
    """The order as a console or a script may see it: its recipient's card, ID and mobile numbers masked."""
    return msgspec.structs.replace(order, recipient=order.recipient.masked())


ORDER_COLUMNS = ("id", "merchant", "merchant order", "amount", "state", "channel", "payee", "account", "updated")


def order_row(order: Order) -> tuple[object, ...]:
    payee = order.recipient
    channel = order.channel or ""
    return (
        order.id,
        order.merchant_id,
        order.merchant_order_no,
        yuan(order.amount),
        order.state,
        channel,
        payee.name,
        payee.masked().account_no,
        shown_time(order.updated_at),
    )


Amount = Annotated[str, typer.Argument(help="Yuan, e.g. 1234.56.")]


def money_in(
    url: str, amount: str, account: str, move: Callable[[PayoutEngine, int], str], *, key: str, as_json: bool
) -> None:
    """A deposit or a funding: `move` credits `account` with the amount (once per key); the transfer and the
    account's balance after it are shown."""
    with refusals():
        fen_amount = fen(amount)
        with engine_of(url) as engine:
            transfer = move(engine, fen_amount)
            available = engine.balance(account)
    if as_json:
        emit_json({"transfer_id": transfer, "account": account, "amount": fen_amount, "available": available})
        return
    typer.echo(f"{account}: {yuan(fen_amount)} in (key {key}); balance {yuan(available)}")


@contextmanager
def engine_of(url: str) -> Iterator[PayoutEngine]:
    """An engine on the store at `url` (migrated), with the keys of the environment (none: MissingKeys)."""
    from payout_core.orders import PayoutEngine

    with opened(url) as store:
        yield PayoutEngine(store)


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
