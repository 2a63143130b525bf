"""`payout-core review …`: the manual review queue (orders whose outcome is uncertain) and operators' decisions.

payout-core review list [--json]
payout-core review show ORDER [--json]        # the order, its review item and history, every channel answer
payout-core review resolve ORDER --resolution succeeded|failed --actor ID --reason TEXT
"""

from __future__ import annotations

from typing import Annotated

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
)
from payout_core.errors import InvalidInput

review = typer.Typer(help="Orders under manual review: list them, see every channel answer, decide them (audited).")
app.add_typer(review, name="review")


@review.command("list")
def list_items(*, store: StoreUrl, as_json: AsJson = False) -> None:
    """Open review items, oldest first."""
    from payout_core.review import ReviewDesk

    with refusals(), engine_of(store) as engine:
        found = ReviewDesk(engine).uncertain()
    if as_json:
        emit_json([{"order": shown_order(u.order), "item": u.item, "answers": len(u.evidence)} for u in found])
        return
    rows = [(*order_row(u.order), shown_time(u.item.opened_at), u.item.reason, len(u.evidence)) for u in found]
    emit_table("manual review", (*ORDER_COLUMNS, "under review since", "why", "answers"), rows)


@review.command("show")
def show(order_id: OrderId, *, store: StoreUrl, as_json: AsJson = False) -> None:
    """An order under review (or reviewed): the order, its review history and every channel answer kept."""
    from payout_core.dispatch import evidence_of
    from payout_core.review import ReviewDesk

    with refusals(), engine_of(store) as engine:
        order = engine.get(order_id)
        history = ReviewDesk(engine).history(order_id)
        with engine.store.transaction(write=False) as tx:
            evidence = evidence_of(tx, order_id)
    if as_json:
        emit_json({"order": shown_order(order), "history": history, "evidence": evidence})
        return
    emit_table(f"order {order.id}", ORDER_COLUMNS, [order_row(order)])
    emit_table(
        "review history",
        ("at", "action", "actor", "detail"),
        [(shown_time(h.at), h.action, h.actor, h.detail) for h in history],
    )
    answers = [
        (
            shown_time(e.exchange.sent_at),
            e.exchange.kind,
            e.exchange.http_status or e.exchange.transport_error or "",
            type(e.outcome).__name__,
            msgspec.json.encode(e.outcome).decode(),
            e.exchange.response_body or "",
        )
        for e in evidence
    ]
    emit_table("channel answers", ("sent", "kind", "HTTP", "meaning", "outcome", "answer (masked)"), answers)


@review.command("resolve")
def resolve(
    order_id: OrderId,
    *,
    resolution: Annotated[str, typer.Option("--resolution", help="succeeded or failed, as the channel confirmed.")],
    actor: ActorId,
    reason: Reason,
    store: StoreUrl,
    as_json: AsJson = False,
) -> None:
    """Decide an order under review (operator role): settles or unfreezes it as the channel's answer would, with
    the audit row, in one transaction."""
    from payout_core.review import ReviewDesk

    with refusals():
        if resolution not in ("succeeded", "failed"):
            raise InvalidInput("resolution", resolution, "must be succeeded or failed")
        with engine_of(store) as engine:
            order = ReviewDesk(engine).resolve(order_id, resolution, operator=actor, reason=reason)  # type: ignore[arg-type]
    if as_json:
        emit_json(shown_order(order))
        return
    typer.echo(f"order {order.id}: {order.state} by {actor}")
