"""The review desk: what operators see (uncertain orders with every channel answer) and how they decide.

A decision goes through the same engine moves as an automatic answer, so the ledger cannot tell an operator's
success from the channel's — only the audit log can, and it always says who and why.
"""

from __future__ import annotations

import msgspec

from payout_core.audit import check_actor_id, role_explained
from payout_core.dispatch.evidence import Evidence
from payout_core.dispatch.policy import QueryPolicy
from payout_core.dispatch.records import evidence_of, finish_attempt
from payout_core.dispatch.reviews import Resolution, ReviewItem, ReviewLogEntry, close_item, log_of, open_items
from payout_core.errors import InvalidInput
from payout_core.orders import Order, PayoutEngine
from payout_core.review.errors import NotUnderReview
from payout_core.store import Clock, utcnow


class UncertainOrder(msgspec.Struct, frozen=True, kw_only=True):
    order: Order
    item: ReviewItem
    evidence: list[Evidence]


class ReviewDesk:
    def __init__(self, engine: PayoutEngine, *, clock: Clock = utcnow, policy: QueryPolicy | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self._policy = policy or QueryPolicy()

    def uncertain(self) -> list[UncertainOrder]:
        """Open items, oldest first, each with its order and all its evidence (bodies already masked)."""
        with self._engine.store.transaction(write=False) as tx:
            return [
                UncertainOrder(order=self._engine.get(i.order_id, tx=tx), item=i, evidence=evidence_of(tx, i.order_id))
                for i in open_items(tx)
            ]

    def resolve(self, order_id: int, resolution: Resolution, *, operator: str, reason: str) -> Order:
        """Decide an uncertain order; settles or unfreezes exactly as a channel answer would, in one transaction.

        Only an actor holding the operator role decides (NotPermitted otherwise); the decision is the order's move
        by that operator, so its audit row (order.succeed / order.fail, with `reason`) is part of the same chain.
        """
        if resolution not in ("succeeded", "failed"):
            raise InvalidInput("resolution", str(resolution), "must be 'succeeded' or 'failed'")
        if not reason.strip():
            raise InvalidInput("reason", reason, "a resolution must say why (what the operator checked)")
        check_actor_id(operator, "operator")
        now = self._clock()
        store = self._engine.store
        with role_explained(store, operator, "operator"), store.transaction() as tx:
            if not close_item(tx, order_id, resolution, actor=operator, note=reason, at=now):
                raise NotUnderReview(order_id)
            if resolution == "succeeded":
                order = self._engine.mark_succeeded(order_id, operator=operator, reason=reason, tx=tx)
            else:
                order = self._engine.mark_failed(order_id, reason=reason, operator=operator, tx=tx)
            # Queried again later: a channel answer that contradicts the decision opens a reconciliation item.
            finish_attempt(tx, order_id, f"{resolution} by {operator}: {reason}", self._policy.follow_up(0, now))
        return order

    def history(self, order_id: int) -> list[ReviewLogEntry]:
        with self._engine.store.transaction(write=False) as tx:
            return log_of(tx, order_id)
