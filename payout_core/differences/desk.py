"""The operators' desk for reconciliation items: list them, and resolve each by an audited decision.

A decision is `book` (our books follow the channel: an adjustment order and its ledger entries, or the 退汇 the
statement shows) or `dismiss` (our books stand: nothing moves, the reason says why, e.g. the channel confirmed
the line it left out). It is one write chain: the operator role, the item closed once, the money, the audit row.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from payout_core.audit import record, require_role, role_refusal
from payout_core.differences.adjustments import book, planned, transfers
from payout_core.differences.errors import ItemNotDecidable, ItemNotOpen, UnknownItem
from payout_core.differences.items import Decision, Item, ItemKind, ItemState, get_item, items
from payout_core.errors import InvalidInput
from payout_core.ledger import refusal
from payout_core.orders import Order, PayoutEngine
from payout_core.returns.adjustments import record_return, return_of
from payout_core.store import BrokenLink, Clock, ConstraintViolation, Tx, to_micros, utcnow

# What state the order must be in for booking the channel's truth to make our books right (else a double count).
_BOOKABLE: dict[ItemKind, str] = {
    "paid_not_succeeded": "failed",
    "failed_at_channel": "succeeded",
    "missing_from_statement": "succeeded",
    "amount_differs": "succeeded",
    "returned": "succeeded",
}


class Resolved(msgspec.Struct, frozen=True, kw_only=True):
    item: Item
    moved: int  # fen the decision moved (0: dismissed, or nothing to move)


class DifferenceDesk:
    def __init__(self, engine: PayoutEngine, *, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def items(
        self, *, channel: str | None = None, state: ItemState | None = "open", kind: ItemKind | None = None
    ) -> list[Item]:
        with self._engine.store.transaction(write=False) as tx:
            return items(tx, channel=channel, state=state, kind=kind)

    def resolve(self, item_id: int, decision: Decision, *, operator: str, reason: str) -> Resolved:
        """Decide an open item; refused (nothing written) when the operator lacks the role, the item is resolved
        already, or booking no longer fits the order (ItemNotDecidable)."""
        if decision not in ("book", "dismiss"):
            raise InvalidInput("decision", str(decision), "must be 'book' or 'dismiss'")
        if not reason.strip():
            raise InvalidInput("reason", reason, "a decision must say why (what the operator checked)")
        try:
            with self._engine.store.transaction() as tx:
                return self._resolve(tx, item_id, decision, operator, reason)
        except (BrokenLink, ConstraintViolation) as exc:
            with self._engine.store.transaction(write=False) as tx:
                why: Exception | None = role_refusal(tx, operator, "operator")
                item = get_item(tx, item_id)
                if why is None and item is not None and item.state != "open":
                    why = ItemNotOpen(item_id)
                if why is None and item is not None and decision == "book":
                    why = self._money_refusal(tx, item)
            if why is not None:
                raise why from exc
            raise

    def _resolve(self, tx: Tx, item_id: int, decision: Decision, operator: str, reason: str) -> Resolved:
        item = get_item(tx, item_id)
        if item is None:
            raise UnknownItem(item_id)
        if item.state != "open":
            raise ItemNotOpen(item_id)
        order = None if item.order_id is None else self._engine.get(item.order_id, tx=tx)
        now = self._clock()
        require_role(tx, operator, "operator")
        tx.send(
            "UPDATE reconcile_items SET state = 'resolved', decision = ?, decided_by = ?, reason = ?, resolved_at = ?"
            " WHERE id = ? AND state = 'open'",
            (decision, operator, reason, to_micros(now), item_id),
            rows=1,
            link="resolve the reconciliation item",
        )
        moved = self._book(tx, item, order, (operator, reason, now)) if decision == "book" else 0
        record(
            tx,
            actor=operator,
            action=f"reconcile.{decision}",
            subject=f"reconcile_item:{item_id}",
            before={"state": "open", "kind": item.kind, "order_id": item.order_id},
            after={"state": "resolved", "decision": decision, "moved": moved},
            at=now,
            reason=reason,
        )
        resolved = msgspec.structs.replace(
            item, state="resolved", decision=decision, decided_by=operator, reason=reason, resolved_at=now
        )
        return Resolved(item=resolved, moved=moved)

    def _book(self, tx: Tx, item: Item, order: Order | None, by: tuple[str, str, datetime]) -> int:
        operator, reason, now = by
        wanted = _BOOKABLE.get(item.kind)
        if wanted is not None and (order is None or order.state != wanted):
            state = "none" if order is None else order.state
            raise ItemNotDecidable(item.id, f"its order must be {wanted} (it is {state}); dismiss it if it agrees now")
        reversing = item.kind in ("failed_at_channel", "missing_from_statement")
        if reversing and order is not None and return_of(tx, order.id) is not None:
            raise ItemNotDecidable(item.id, "its order came back (退汇) already: the money is back")
        if item.kind == "returned":
            assert order is not None
            record_return(tx, order, source="operator", reason=reason, recorded_by=operator, at=now, code="statement")
            return order.amount
        plan = planned(item, order)
        if plan is None:
            return 0
        kind, amount = plan
        book(tx, item, order, kind, amount, by=operator, reason=reason, at=now)
        return amount

    def _money_refusal(self, tx: Tx, item: Item) -> Exception | None:
        order = None if item.order_id is None else self._engine.get(item.order_id, tx=tx)
        plan = planned(item, order)
        if plan is None:
            return None
        return refusal(tx, transfers(plan[0], item.channel, None if order is None else order.merchant_id, plan[1]))
