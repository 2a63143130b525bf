"""`payout-core orders …`: one order as it is (money, answers, audit), and cancelling a routed order never sent.

payout-core orders show ORDER [--json]
payout-core orders cancel ORDER --actor ID --reason TEXT [--json]
"""

from __future__ import annotations

import msgspec
import typer

from payout_core.cli.app import app
from payout_core.cli.console import (
    ORDER_COLUMNS,
    ActorId,
    AsJson,
    OrderId,
    Reason,
    StoreUrl,
    emit_json,
    emit_table,
    engine_of,
    order_row,
    refusals,
    shown_order,
    shown_time,
    yuan,
)

orders = typer.Typer(help="One order: show it whole, or cancel it while it was never sent (audited).")
app.add_typer(orders, name="orders")


@orders.command("show")
def show(order_id: OrderId, *, store: StoreUrl, as_json: AsJson = False) -> None:
    """The order (payee's numbers masked), its ledger entries, the channel answers kept and its audit rows."""
    from payout_core.audit import entries
    from payout_core.dispatch import evidence_of

    with refusals(), engine_of(store) as engine:
        order = engine.get(order_id)
        with engine.store.transaction(write=False) as tx:
            ledger = engine.entries(order_id, tx=tx)
            evidence = evidence_of(tx, order_id)
            audit = entries(
                tx, subject=f"order:{order_id}", actor=None, action=None, since=None, until=None, limit=1000
            )
    if as_json:
        emit_json({"order": shown_order(order), "entries": ledger, "evidence": evidence, "audit": audit})
        return
    emit_table(f"order {order.id}", ORDER_COLUMNS, [order_row(order)])
    o = shown_order(order)
    details = [
        ("payee", msgspec.json.encode(o.recipient).decode()),
        ("channel order no", o.channel_order_no or ""),
        ("approved by", o.approver or ""),
        ("submitted by", o.submitted_by or "merchant API"),
        ("operator", o.operator or ""),
        ("failure", " ".join(filter(None, (o.failure_code, o.reason))) or ""),
        ("route failure", o.route_failure or ""),
    ]
    emit_table("details", ("field", "value"), details)
    emit_table(
        "ledger entries",
        ("at", "kind", "account", "amount", "balance after"),
        [(shown_time(e.at), e.kind, e.account, yuan(e.amount), yuan(e.balance_after)) for e in ledger],
    )
    emit_table(
        "channel answers",
        ("sent", "kind", "HTTP", "meaning"),
        [
            (shown_time(e.exchange.sent_at), e.exchange.kind, e.exchange.http_status or "", type(e.outcome).__name__)
            for e in evidence
        ],
    )
    emit_table(
        "audit", ("at", "actor", "action", "reason"), [(shown_time(a.at), a.actor, a.action, a.reason) for a in audit]
    )


@orders.command("cancel")
def cancel(order_id: OrderId, *, actor: ActorId, reason: Reason, store: StoreUrl, as_json: AsJson = False) -> None:
    """Cancel a routed order that was never sent (operator role): its funds unfrozen, its limits given back,
    audited. Refused once it is dispatching: from then on only the channel's answer or a review decision ends it."""
    with refusals(), engine_of(store) as engine:
        order = engine.cancel(order_id, operator=actor, reason=reason)
    if as_json:
        emit_json(shown_order(order))
        return
    typer.echo(f"order {order.id}: {order.state} (cancelled by {actor}); {yuan(order.amount)} unfrozen")
