"""差错 items: one row per difference between a channel's truth and our books, in the caller's transaction.

An item is opened once (UNIQUE reconcile_items_once: channel, kind, reference), whether a statement or a late query
answer finds it first, and stays open until an operator's decision resolves it. This module owns `reconcile_items`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import msgspec

from payout_core.store import Row, Tx, from_micros, to_micros

# paid_not_succeeded: the channel paid (or paid and returned), our order failed or is still in progress;
# failed_at_channel: the channel failed it, our order succeeded; amount_differs: paid, another amount;
# unknown_order: a line names an order we never sent on this account; missing_from_statement: our order succeeded
# within the day and no statement lists it; returned: a return (退汇) on the statement that our books lack.
ItemKind = Literal[
    "paid_not_succeeded", "failed_at_channel", "amount_differs", "unknown_order", "missing_from_statement", "returned"
]
ITEM_KINDS: tuple[ItemKind, ...] = get_args(ItemKind)
FoundBy = Literal["statement", "query"]
Decision = Literal["book", "dismiss"]  # book: our books follow the channel (adjustments); dismiss: ours stand
ItemState = Literal["open", "resolved"]


class NewItem(msgspec.Struct, frozen=True, kw_only=True):
    """A difference as found; `evidence` says what each side said (masked: no account number)."""

    channel: str
    kind: ItemKind
    ref: str  # our channel order number, or the line's own number for an order unknown to us
    order_id: int | None
    found_by: FoundBy
    channel_amount: int  # what the channel's side names (0: nothing, e.g. missing from the statement)
    our_amount: int  # what our books name (0: nothing, e.g. an unknown order)
    evidence: str
    business_day: str | None = None
    statement_line_id: int | None = None


class Item(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    channel: str
    kind: ItemKind
    ref: str
    order_id: int | None
    statement_line_id: int | None
    business_day: str | None
    found_by: FoundBy
    channel_amount: int
    our_amount: int
    evidence: str
    state: ItemState
    opened_at: datetime
    decision: Decision | None
    decided_by: str | None
    reason: str | None
    resolved_at: datetime | None


_COLUMNS = (
    "id, channel, kind, ref, order_id, statement_line_id, business_day, found_by, channel_amount, our_amount, evidence,"
    " state, opened_at, decision, decided_by, reason, resolved_at"
)
_NEW = (
    "channel, kind, ref, order_id, statement_line_id, business_day, found_by, channel_amount, our_amount, evidence,"
    " state, opened_at"
)


def _item(row: Row) -> Item:
    (iid, channel, kind, ref, oid, line, day, found_by, ch_amount, our_amount, evidence) = row[:11]
    state, opened, decision, decided_by, reason, resolved = row[11:]
    return Item(
        id=int(iid),
        channel=channel,
        kind=kind,
        ref=ref,
        order_id=None if oid is None else int(oid),
        statement_line_id=None if line is None else int(line),
        business_day=day,
        found_by=found_by,
        channel_amount=int(ch_amount),
        our_amount=int(our_amount),
        evidence=evidence,
        state=state,
        opened_at=from_micros(int(opened)),
        decision=decision,
        decided_by=decided_by,
        reason=reason,
        resolved_at=None if resolved is None else from_micros(int(resolved)),
    )


def open_items(tx: Tx, items: list[NewItem], at: datetime) -> None:
    """Open each item not opened before (a statement read again, or a query answer the statement confirms, opens
    nothing new: the database keeps each difference once). A link of the caller's write chain."""
    if not items:
        return
    marks = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)"] * len(items))
    params = [
        v
        for i in items
        for v in (
            i.channel,
            i.kind,
            i.ref,
            i.order_id,
            i.statement_line_id,
            i.business_day,
            i.found_by,
            i.channel_amount,
            i.our_amount,
            i.evidence,
            to_micros(at),
        )
    ]
    tx.send(
        f"INSERT INTO reconcile_items ({_NEW}) VALUES {marks} ON CONFLICT (channel, kind, ref) DO NOTHING",
        params,
        rows=None,  # any number: an item found before is not opened again
        link="open the reconciliation items",
    )


def items(
    tx: Tx,
    *,
    channel: str | None = None,
    state: ItemState | None = None,
    kind: ItemKind | None = None,
) -> list[Item]:
    """Items, oldest first, filtered by channel account, state and kind."""
    where, params = [], []
    for column, value in (("channel", channel), ("state", state), ("kind", kind)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    sql = f"SELECT {_COLUMNS} FROM reconcile_items{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY id"
    return [_item(r) for r in tx.all(sql, params)]


def get_item(tx: Tx, item_id: int) -> Item | None:
    row = tx.one(f"SELECT {_COLUMNS} FROM reconcile_items WHERE id = ?", (item_id,))
    return None if row is None else _item(row)


def items_of_orders(tx: Tx, order_ids: list[int]) -> list[Item]:
    if not order_ids:
        return []
    marks = ", ".join(["?"] * len(order_ids))
    return [_item(r) for r in tx.all(f"SELECT {_COLUMNS} FROM reconcile_items WHERE order_id IN ({marks})", order_ids)]
