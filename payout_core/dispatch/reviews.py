"""Review items and their append-only log, in the caller's transaction.

Dispatch opens an item when it cannot decide (not found past the grace period, no final answer for too long);
an operator or a later channel answer closes it. Each step is logged with who and why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from payout_core.store import Row, Tx, from_micros, to_micros

Resolution = Literal["succeeded", "failed"]


class ReviewItem(msgspec.Struct, frozen=True, kw_only=True):
    order_id: int
    reason: str
    opened_at: datetime
    resolved_at: datetime | None
    resolution: Resolution | None
    resolved_by: str | None
    note: str | None


class ReviewLogEntry(msgspec.Struct, frozen=True, kw_only=True):
    order_id: int
    action: Literal["opened", "resolved"]
    actor: str
    detail: str
    at: datetime


_ITEM_COLUMNS = "order_id, reason, opened_at, resolved_at, resolution, resolved_by, note"


def _item(row: Row) -> ReviewItem:
    oid, reason, opened, resolved, resolution, by, note = row
    return ReviewItem(
        order_id=int(oid),
        reason=reason,
        opened_at=from_micros(int(opened)),
        resolved_at=None if resolved is None else from_micros(int(resolved)),
        resolution=resolution,
        resolved_by=by,
        note=note,
    )


def _log(tx: Tx, order_id: int, action: str, *, actor: str, detail: str, at: datetime) -> None:
    tx.send(
        "INSERT INTO review_log (order_id, action, actor, detail, at) VALUES (?, ?, ?, ?, ?)",
        (order_id, action, actor, detail, to_micros(at)),
        rows=1,
        link=f"log the review item {action}",
    )


def open_item(tx: Tx, order_id: int, reason: str, *, actor: str, at: datetime) -> bool:
    """Idempotent: an order has at most one item; False when it already had one."""
    opened = tx.one(
        "INSERT INTO review_items (order_id, reason, opened_at) VALUES (?, ?, ?) ON CONFLICT (order_id) DO NOTHING"
        " RETURNING order_id",
        (order_id, reason, to_micros(at)),
    )
    if opened is not None:
        _log(tx, order_id, "opened", actor=actor, detail=reason, at=at)
    return opened is not None


def close_item(tx: Tx, order_id: int, resolution: Resolution, *, actor: str, note: str, at: datetime) -> bool:
    """Conditional on the item being open, so an operator and a late channel answer never both resolve it."""
    closed = tx.one(
        "UPDATE review_items SET resolved_at = ?, resolution = ?, resolved_by = ?, note = ?"
        " WHERE order_id = ? AND resolved_at IS NULL RETURNING order_id",
        (to_micros(at), resolution, actor, note, order_id),
    )
    if closed is not None:
        _log(tx, order_id, "resolved", actor=actor, detail=f"{resolution}: {note}", at=at)
    return closed is not None


def open_items(tx: Tx) -> list[ReviewItem]:
    rows = tx.all(f"SELECT {_ITEM_COLUMNS} FROM review_items WHERE resolved_at IS NULL ORDER BY opened_at, order_id")
    return [_item(r) for r in rows]


def log_of(tx: Tx, order_id: int) -> list[ReviewLogEntry]:
    sql = "SELECT order_id, action, actor, detail, at FROM review_log WHERE order_id = ? ORDER BY id"
    rows = tx.all(sql, (order_id,))
    return [
        ReviewLogEntry(order_id=int(o), action=a, actor=actor, detail=d, at=from_micros(int(at)))
        for o, a, actor, d, at in rows
    ]
