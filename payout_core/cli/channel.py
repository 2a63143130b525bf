"""`payout-core channel …`: funding a channel account and its routes; every change audited.

payout-core channel fund wx-1 50000 --key WIRE-2026-001 --actor ops --reason "wire 001"
payout-core channel routes [--json]                                  # every route with its balances
payout-core channel routes wx-1 --profile wechat_bank --weight 3 --active --actor admin   # create or change
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import msgspec
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
    money_in,
    refusals,
    yuan,
)
from payout_core.errors import InvalidInput

if TYPE_CHECKING:
    from payout_core.orders import PayoutEngine


class RouteShown(msgspec.Struct, frozen=True, kw_only=True):
    """A route and its accounts' balances (fen)."""

    name: str
    profile: str
    weight: int
    active: bool
    available: int
    in_flight: int
    settled: int


channel = typer.Typer(help="Channel accounts: funding (money placed at the channel) and routes; audited.")
app.add_typer(channel, name="channel")


@channel.command("fund")
def fund(
    name: Annotated[str, typer.Argument(help="The channel account (route name).")],
    amount: Amount,
    *,
    key: IdempotencyKey,
    actor: ActorId,
    reason: Reason,
    store: StoreUrl,
    as_json: AsJson = False,
) -> None:
    """Credit a channel account's available balance (operator role), once per --key."""
    from payout_core.ledger import channel_account

    def move(engine: PayoutEngine, fen_amount: int) -> str:
        return engine.fund_channel(name, fen_amount, key=key, actor=actor, reason=reason)

    money_in(store, amount, channel_account(name, "available"), move, key=key, as_json=as_json)


@channel.command("routes")
def routes(
    name: Annotated[str | None, typer.Argument(help="A route to create or change (omit to list them).")] = None,
    *,
    store: StoreUrl,
    profile: Annotated[str | None, typer.Option("--profile", help="The channel profile it follows.")] = None,
    weight: Annotated[int | None, typer.Option("--weight", min=0, help="Its share of routing (0: none).")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="Whether it is routed to.")] = None,
    actor: ChangedBy = None,
    as_json: AsJson = False,
) -> None:
    """List every route with its balances, or create or change one (admin role; audited before → after)."""
    from payout_core.ledger import CHANNEL_PURPOSES, balances, channel_account
    from payout_core.routing import ChannelRoute, all_routes, read_route

    with refusals(), engine_of(store) as engine:
        if name is not None:
            with engine.store.transaction(write=False) as tx:
                current = read_route(tx, name)
            if current is None and profile is None:
                raise InvalidInput("--profile", "", f"a new route {name!r} needs its channel profile")
            base = current or ChannelRoute(name=name, profile=profile or "")
            route = ChannelRoute(
                name=name,
                profile=profile if profile is not None else base.profile,
                weight=weight if weight is not None else base.weight,
                active=active if active is not None else base.active,
            )
            if route != current:
                engine.add_channel(route, actor=changed_by(actor))
        with engine.store.transaction(write=False) as tx:
            found = all_routes(tx)
            accounts = [channel_account(r.name, p) for r in found for p in CHANNEL_PURPOSES]
            money = balances(tx, accounts)
        amounts = money.get()
    listed = [
        RouteShown(
            **msgspec.structs.asdict(r),
            available=amounts.get(channel_account(r.name, "available"), 0),
            in_flight=amounts.get(channel_account(r.name, "in_flight"), 0),
            settled=amounts.get(channel_account(r.name, "settled"), 0),
        )
        for r in found
    ]
    if as_json:
        emit_json(listed)
        return
    rows = [
        (
            r.name,
            r.profile,
            r.weight,
            "yes" if r.active else "no",
            yuan(r.available),
            yuan(r.in_flight),
            yuan(r.settled),
        )
        for r in listed
    ]
    emit_table("channel routes", ("name", "profile", "weight", "active", *CHANNEL_PURPOSES), rows)
