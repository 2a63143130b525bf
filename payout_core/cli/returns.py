"""`payout-core returns enter`: a 退汇 entered by an operator from a bank statement or a channel notice.

payout-core returns enter ORDER --actor ID --reason TEXT [--code CODE] [--json]
"""

from __future__ import annotations

from typing import Annotated

import typer

from payout_core.cli.app import app
from payout_core.cli.console import ActorId, AsJson, OrderId, Reason, StoreUrl, emit_json, engine_of, refusals, yuan

returns = typer.Typer(help="Returns (退汇) of succeeded payouts: a separate adjustment order, audited.")
app.add_typer(returns, name="returns")


@returns.command("enter")
def enter(
    order_id: OrderId,
    *,
    actor: ActorId,
    reason: Reason,
    store: StoreUrl,
    code: Annotated[str | None, typer.Option("--code", help="The bank's or channel's return code, if any.")] = None,
    as_json: AsJson = False,
) -> None:
    """Record that a succeeded payout came back (operator role): the order stays succeeded, an adjustment order
    returns the money to the merchant. Entering it again changes nothing."""
    from payout_core.returns import Returns

    with refusals(), engine_of(store) as engine:
        entered = Returns(engine).record(order_id, reason=reason, operator=actor, code=code)
    if as_json:
        emit_json(entered)
        return
    typer.echo(
        f"return {entered.id} of order {entered.original_order_id}: {yuan(entered.amount)} back to merchant"
        f" {entered.merchant_id} (entered by {entered.recorded_by})"
    )
