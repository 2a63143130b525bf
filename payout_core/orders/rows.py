"""Order rows ↔ Order Structs: the one place that knows the column order."""

from __future__ import annotations

import msgspec

from payout_core.orders.model import Order
from payout_core.recipient import Recipient
from payout_core.store import Row, from_micros

COLUMNS = (
    "id, merchant_id, merchant_order_no, amount, recipient, state, business_day, channel, channel_order_no,"
    " approver, route_failure, failure_code, reason, operator, created_at, updated_at, approved_at, routed_at,"
    " dispatched_at, finished_at, card_limit_day"
)
WIDTH = COLUMNS.count(",") + 1  # a row of COLUMNS, first in a wider row
ORDERS_COLUMNS = ", ".join(f"orders.{name.strip()}" for name in COLUMNS.split(","))  # COLUMNS in a join

_decode_recipient = msgspec.json.Decoder(Recipient).decode


def encode_recipient(recipient: Recipient) -> str:
    return msgspec.json.encode(recipient).decode()


def to_order(row: Row) -> Order:
    (oid, mid, mno, amount, recipient, state, day, channel, cno, approver, route_failure, code, reason, operator) = row[
        :14
    ]
    created, updated, approved, routed, dispatched, finished = (
        None if t is None else from_micros(int(t)) for t in row[14:20]
    )
    assert created is not None and updated is not None  # NOT NULL columns
    return Order(
        id=int(oid),
        merchant_id=mid,
        merchant_order_no=mno,
        amount=int(amount),
        recipient=_decode_recipient(recipient),
        state=state,
        business_day=day,
        channel=channel,
        channel_order_no=cno,
        approver=approver,
        route_failure=route_failure,
        failure_code=code,
        reason=reason,
        operator=operator,
        created_at=created,
        updated_at=updated,
        approved_at=approved,
        routed_at=routed,
        dispatched_at=dispatched,
        finished_at=finished,
        card_limit_day=row[20],
    )


def differing_fields(stored: Order, recipient: Recipient) -> list[str]:
    """Names (never values) of what a repeated submission changed."""
    old, new = msgspec.structs.asdict(stored.recipient), msgspec.structs.asdict(recipient)
    return [name for name in new if old[name] != new[name]]
