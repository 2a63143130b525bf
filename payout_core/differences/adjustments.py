"""Adjustment orders: how booking a reconciliation item moves money, without ever editing the original order.

Each kind of difference, booked, makes our books say what the channel did:
- paid_not_succeeded: the channel paid `channel_amount` for an order we failed: book_payment, the merchant's
  available funds → paid out and the channel account's available → settled (as if it had settled);
- failed_at_channel, missing_from_statement: the channel never paid an order we settled: reverse_payment, paid out
  → available and settled → available;
- amount_differs: the channel paid more (book_payment of the excess) or less (reverse_payment of the shortfall);
- unknown_order: the channel paid from our account for no order of ours: unattributed, available → the external
  RECONCILIATION counterpart (to be recovered);
- returned: a 退汇 the statement shows and our books lack: the return itself (payout_core.returns), not here.
This module owns the `adjustments` table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from payout_core.differences.items import Item
from payout_core.ledger import RECONCILIATION, Transfer, channel_account, merchant_account, post
from payout_core.orders import Order
from payout_core.store import Row, Tx, from_micros, to_micros

AdjustmentKind = Literal["book_payment", "reverse_payment", "unattributed"]


class Adjustment(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    item_id: int
    order_id: int | None
    merchant_id: str | None
    channel: str
    kind: AdjustmentKind
    amount: int
    transfer_id: str
    decided_by: str
    reason: str
    created_at: datetime


def planned(item: Item, order: Order | None) -> tuple[AdjustmentKind, int] | None:
    """The adjustment booking `item` calls for (kind, amount), or None when no money moves."""
    if item.kind == "paid_not_succeeded":
        return "book_payment", item.channel_amount
    if item.kind in ("failed_at_channel", "missing_from_statement"):
        return "reverse_payment", item.our_amount
    if item.kind == "amount_differs":
        excess = item.channel_amount - item.our_amount
        return ("book_payment", excess) if excess > 0 else ("reverse_payment", -excess)
    if item.kind == "unknown_order" and item.channel_amount > 0:
        return "unattributed", item.channel_amount
    return None


def transfers(kind: AdjustmentKind, channel: str, merchant_id: str | None, amount: int) -> tuple[Transfer, ...]:
    """What an adjustment of `kind` moves (see the module docstring)."""
    available = channel_account(channel, "available")
    if kind == "unattributed":
        return (Transfer(available, RECONCILIATION, amount),)
    assert merchant_id is not None, "a payment booked or reversed belongs to an order"
    free, paid = merchant_account(merchant_id, "available"), merchant_account(merchant_id, "paid_out")
    settled = channel_account(channel, "settled")
    if kind == "book_payment":
        return Transfer(free, paid, amount), Transfer(available, settled, amount)
    return Transfer(paid, free, amount), Transfer(settled, available, amount)


def book(
    tx: Tx, item: Item, order: Order | None, kind: AdjustmentKind, amount: int, *, by: str, reason: str, at: datetime
) -> tuple[Transfer, ...]:
    """The adjustment order and its posting, as links of `tx`'s write chain (one adjustment per item: UNIQUE)."""
    merchant = None if order is None else order.merchant_id
    moves = transfers(kind, item.channel, merchant, amount)
    transfer_id = post(tx, moves, kind="adjust", at=to_micros(at), order_id=item.order_id)
    tx.send(
        "INSERT INTO adjustments (item_id, order_id, merchant_id, channel, kind, amount, transfer_id, decided_by,"
        " reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (item.id, item.order_id, merchant, item.channel, kind, amount, transfer_id, by, reason, to_micros(at)),
        rows=1,
        link="write the adjustment order",
    )
    return moves


_COLUMNS = "id, item_id, order_id, merchant_id, channel, kind, amount, transfer_id, decided_by, reason, created_at"


def _adjustment(row: Row) -> Adjustment:
    aid, item_id, order_id, merchant, channel, kind, amount, transfer_id, by, reason, at = row
    return Adjustment(
        id=int(aid),
        item_id=int(item_id),
        order_id=None if order_id is None else int(order_id),
        merchant_id=merchant,
        channel=channel,
        kind=kind,
        amount=int(amount),
        transfer_id=transfer_id,
        decided_by=by,
        reason=reason,
        created_at=from_micros(int(at)),
    )


def adjustments(tx: Tx, *, channel: str | None = None) -> list[Adjustment]:
    where, params = ("WHERE channel = ?", (channel,)) if channel is not None else ("", ())
    return [_adjustment(r) for r in tx.all(f"SELECT {_COLUMNS} FROM adjustments {where} ORDER BY id", params)]
