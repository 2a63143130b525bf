"""`payout-core merchant …`: a merchant's money in, limits and API allowlist; every change audited.

    payout-core merchant deposit M1 1234.56 --key SLIP-2026-001 --actor ops --reason "bank slip 001"
    payout-core merchant limits M1 [--per-card 50000] [--daily 1000000 | --no-daily-limit] [--actor admin]
    payout-core merchant allowlist M1 [--allow 10.0.0.0/8 ...] [--clear] [--actor admin]

`limits` and `allowlist` without a change show the merchant's settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from payout_core.cli.app import app
from payout_core.cli.console import (
    ActorId,
    Amount,
    AsJson,
    ChangedBy,
    IdempotencyKey,
    Reason,
    StoreUrl,
    changed_by,
    emit_json,
    emit_table,
    engine_of,
    fen,
    money_in,
    refusals,
    yuan,
)
from payout_core.errors import InvalidInput

if TYPE_CHECKING:
    from payout_core.orders import PayoutEngine

merchant = typer.Typer(help="Merchants: deposits (备付金), daily limits, the API allowlist; audited.")
app.add_typer(merchant, name="merchant")

MerchantId = Annotated[str, typer.Argument(help="The merchant's id.")]


def _settings(
    engine: PayoutEngine, merchant_id: str, changes: dict[str, Any], actor: str | None, as_json: bool
) -> None:
    """Apply `changes` (by `actor`) or, with none, read; then show the merchant."""
    found = (
        engine.update_merchant(merchant_id, actor=changed_by(actor), **changes)
        if changes
        else engine.merchant(merchant_id)
    )
    if as_json:
        emit_json(found)
        return
    daily = "none" if found.daily_limit is None else yuan(found.daily_limit)
    rows = [
        (
            found.id,
            found.approval,
            yuan(found.per_card_daily_limit),
            daily,
            ", ".join(found.ip_allowlist) or "(none: API refused without a submitter)",
        )
    ]
    emit_table("merchant", ("id", "approval", "per card per day", "per day", "API allowlist"), rows)


@merchant.command("deposit")
def deposit(
    merchant_id: MerchantId,
    amount: Amount,
    *,
    key: IdempotencyKey,
    actor: ActorId,
    reason: Reason,
    store: StoreUrl,
    as_json: AsJson = False,
) -> None:
    """Credit a merchant's available balance (operator role), once per --key."""
    from payout_core.ledger import merchant_account

    def move(engine: PayoutEngine, fen_amount: int) -> str:
        return engine.deposit(merchant_id, fen_amount, key=key, actor=actor, reason=reason)

    money_in(store, amount, merchant_account(merchant_id, "available"), move, key=key, as_json=as_json)


@merchant.command("limits")
def limits(
    merchant_id: MerchantId,
    *,
    store: StoreUrl,
    per_card: Annotated[str | None, typer.Option("--per-card", help="Per card per day, yuan.")] = None,
    daily: Annotated[str | None, typer.Option("--daily", help="All payouts per day, yuan.")] = None,
    no_daily: Annotated[bool, typer.Option("--no-daily-limit", help="No cap on the merchant's day.")] = False,
    actor: ChangedBy = None,
    as_json: AsJson = False,
) -> None:
    """Show or change a merchant's daily limits (admin role; audited before → after)."""
    with refusals():
        if daily is not None and no_daily:
            raise InvalidInput("--daily", daily, "give --daily or --no-daily-limit, not both")
        changes: dict[str, Any] = {}
        if per_card is not None:
            changes["per_card_daily_limit"] = fen(per_card, "per_card")
        if daily is not None or no_daily:
            changes["daily_limit"] = None if no_daily else fen(daily or "", "daily")
        with engine_of(store) as engine:
            _settings(engine, merchant_id, changes, actor, as_json)


@merchant.command("allowlist")
def allowlist(
    merchant_id: MerchantId,
    *,
    store: StoreUrl,
    allow: Annotated[
        list[str], typer.Option("--allow", help="An address or CIDR block the merchant's API calls come from.")
    ] = [],  # noqa: B006
    clear: Annotated[bool, typer.Option("--clear", help="No address: the API is refused (fails closed).")] = False,
    actor: ChangedBy = None,
    as_json: AsJson = False,
) -> None:
    """Show or replace the merchant's API allowlist (admin role; audited). An empty list refuses every API call
    that names no submitter."""
    with refusals():
        if allow and clear:
            raise InvalidInput("--clear", "", "give --allow or --clear, not both")
        changes: dict[str, Any] = {"ip_allowlist": tuple(allow)} if allow or clear else {}
        with engine_of(store) as engine:
            _settings(engine, merchant_id, changes, actor, as_json)
