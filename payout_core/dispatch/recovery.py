"""Crash recovery: after a restart, every dispatch whose answer was never recorded is queried, never re-sent.

The attempt row is committed before the request leaves, so `sending` means "may have reached the channel".
Sending it again would risk a duplicate payout; querying is always safe, and a "not found" answer then follows
the usual rules (grace period, then a resend only where the profile allows it, else manual review).
"""

from __future__ import annotations

import msgspec

from payout_core.dispatch.dispatcher import Dispatcher
from payout_core.dispatch.outcome import Outcome
from payout_core.dispatch.records import insert_attempt, with_attempts

# Orders in progress are read at start-up in pages of this many.
PAGE = 1_000_000


class RecoveryReport(msgspec.Struct, frozen=True, kw_only=True):
    """`queried`: what the channel said about each unrecorded dispatch. `ready`: routed orders never sent."""

    queried: dict[int, Outcome]
    ready: list[int]


def recover(dispatcher: Dispatcher) -> RecoveryReport:
    """Run at start-up: adopt dispatches made outside a Dispatcher, then query every attempt left `sending` whose
    lease has passed (`Dispatcher.sweep`: a live worker's attempts are its own until then, so a restarting
    instance never races a live one on them)."""
    engine = dispatcher.engine
    with engine.store.transaction() as tx:
        dispatching = engine.orders_in("dispatching", limit=PAGE, tx=tx)
        recorded = with_attempts(tx, [o.id for o in dispatching])
        for order in dispatching:
            if order.id not in recorded:  # moved to dispatching by a caller outside Dispatcher: possibly sent
                assert order.channel is not None and order.channel_order_no is not None  # dispatching: routed
                insert_attempt(
                    tx, order.id, order.channel, order.channel_order_no, order.dispatched_at or order.updated_at
                )
        ready = [o.id for o in engine.orders_in("approved", routed=True, limit=PAGE, tx=tx)]
    return RecoveryReport(queried=dispatcher.sweep(PAGE), ready=ready)
