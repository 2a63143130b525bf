"""Crash recovery: after a restart, every dispatch whose answer was never recorded is queried, never re-sent.

The attempt row is committed before the request leaves, so `sending` means "may have reached the channel".
Sending it again would risk a duplicate payout; querying is always safe, and a "not found" answer then follows
the usual rules (grace period, then a resend only where the profile allows it, else manual review).
"""

from __future__ import annotations

import msgspec

from payout_core.dispatch.dispatcher import Dispatcher
from payout_core.dispatch.outcome import Outcome
from payout_core.dispatch.records import attempts_in, insert_attempt, unrecorded_dispatches


class RecoveryReport(msgspec.Struct, frozen=True, kw_only=True):
    """`queried`: what the channel said about each unrecorded dispatch. `ready`: routed orders never sent."""

    queried: dict[int, Outcome]
    ready: list[int]


def recover(dispatcher: Dispatcher) -> RecoveryReport:
    """Run once at start-up, before any worker dispatches or queries."""
    engine = dispatcher.engine
    with engine.store.transaction() as tx:
        for order_id in unrecorded_dispatches(tx):
            order = engine.get(order_id, tx=tx)
            assert order.channel is not None and order.channel_order_no is not None  # dispatching implies routed
            insert_attempt(tx, order_id, order.channel, order.channel_order_no, order.dispatched_at or order.updated_at)
        sending = [a.order_id for a in attempts_in(tx, "sending")]
        ready = [
            int(r[0])
            for r in tx.all("SELECT id FROM orders WHERE state = 'approved' AND channel IS NOT NULL ORDER BY id")
        ]
    return RecoveryReport(queried={order_id: dispatcher.query(order_id) for order_id in sending}, ready=ready)
