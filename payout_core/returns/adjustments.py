"""退汇: a return after success becomes its own adjustment order that credits the merchant.

The succeeded order is never touched: it did pay, and reports, reconciliations and the channel's statement all
say so. The money coming back is a second, later event with its own row, linked to the original.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from payout_core.errors import InvalidInput
from payout_core.ledger import post
from payout_core.orders import Order, order_transfers
from payout_core.returns.errors import NotSucceeded
from payout_core.store import Row, Tx, from_micros, to_micros

ReturnSource = Literal["channel", "operator"]


class PayoutReturn(msgspec.Struct, frozen=True, kw_only=True):
    """The adjustment order: `original_order_id` links it to the payout that came back."""

    id: int
    original_order_id: int
    merchant_id: str
    channel: str
    amount: int
    source: ReturnSource
    code: str | None
    reason: str
    recorded_by: str
    created_at: datetime


_COLUMNS = "id, original_order_id, merchant_id, channel, amount, source, code, reason, recorded_by, created_at"


def _return(row: Row) -> PayoutReturn:
    rid, oid, mid, channel, amount, source, code, reason, by, at = row
    return PayoutReturn(
        id=int(rid),
        original_order_id=int(oid),
        merchant_id=mid,
        channel=channel,
        amount=int(amount),
        source=source,
        code=code,
        reason=reason,
        recorded_by=by,
        created_at=from_micros(int(at)),
    )


def record_return(
    tx: Tx, order: Order, *, source: ReturnSource, reason: str, recorded_by: str, at: datetime, code: str | None = None
) -> tuple[PayoutReturn, bool]:
    """Create the adjustment and move the money back, once: a repeated report of the same return changes nothing.
    Returns the return and whether it was created now.

    `order` must have been read in `tx` (its state is what the check relies on).
    """
    if not reason.strip():
        raise InvalidInput("reason", reason, "a return needs a reason (the channel's code or the operator's note)")
    if not recorded_by.strip():
        raise InvalidInput("recorded_by", recorded_by, "a return must name who recorded it")
    if order.state != "succeeded" or order.channel is None:
        raise NotSucceeded(order.id, order.state)
    row = tx.one(
        f"INSERT INTO payout_returns ({_COLUMNS.removeprefix('id, ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        f" ON CONFLICT (original_order_id) DO NOTHING RETURNING {_COLUMNS}",
        (order.id, order.merchant_id, order.channel, order.amount, source, code, reason, recorded_by, to_micros(at)),
    )
    if row is None:
        existing = return_of(tx, order.id)
        assert existing is not None  # the conflict was on exactly this key
        return existing, False
    transfers = order_transfers("return", order.merchant_id, order.channel, order.amount)
    post(tx, transfers, kind="return", at=to_micros(at), order_id=order.id)
    return _return(row), True


def return_of(tx: Tx, original_order_id: int) -> PayoutReturn | None:
    row = tx.one(f"SELECT {_COLUMNS} FROM payout_returns WHERE original_order_id = ?", (original_order_id,))
    return None if row is None else _return(row)


def returns_of(tx: Tx, original_order_ids: list[int]) -> dict[int, PayoutReturn]:
    """The returns of those of the orders that came back, by original order id."""
    found: dict[int, PayoutReturn] = {}
    for start in range(0, len(original_order_ids), 500):
        chunk = original_order_ids[start : start + 500]
        marks = ", ".join(["?"] * len(chunk))
        rows = tx.all(f"SELECT {_COLUMNS} FROM payout_returns WHERE original_order_id IN ({marks})", chunk)
        found |= {r.original_order_id: r for r in map(_return, rows)}
    return found


def all_returns(tx: Tx) -> list[PayoutReturn]:
    return [_return(r) for r in tx.all(f"SELECT {_COLUMNS} FROM payout_returns ORDER BY id")]
