"""A channel's own per-card daily limit, counted when a route freezes funds on that channel account.

The count is sent ahead with the freeze in one round trip, so each statement is conditioned on the one before it:
the count applies only to an order still unrouted (locked first, as every route locks it), the freeze only with the
count, and an undo takes the count back when the freeze was refused. Nothing is read between them.
"""

from __future__ import annotations

from payout_core.store import Deferred, Params, Tx

# Today's count of the routed order's card on each candidate channel, joined where the route reads its candidates.
CARD_USAGE_JOIN = "LEFT JOIN channel_card_usage u ON u.channel = r.name AND u.card_key = orders.card_key AND u.day = ?"


def send_card_use(
    tx: Tx, channel: str, key: str, *, day: str, amount: int, limit: int, order_id: int, guard: tuple[str, Params]
) -> tuple[Deferred, tuple[str, Params]]:
    """Raise the card's count on `channel` while it stays within `limit`, only if `guard` (the order's locking
    SELECT) finds the order. Returns its rows (one when it applied) and the SQL condition and parameters that hold
    exactly when it applied, for the statements sent after it."""
    guard_sql, guard_params = guard
    counted = tx.defer(
        "INSERT INTO channel_card_usage (channel, card_key, day, used, last_order)"
        f" SELECT ?, ?, ?, ?, ? WHERE ? <= ? AND EXISTS ({guard_sql})"
        " ON CONFLICT (channel, card_key, day) DO UPDATE SET used = channel_card_usage.used + excluded.used,"
        " last_order = excluded.last_order WHERE channel_card_usage.used + excluded.used <= ? RETURNING used",
        (channel, key, day, amount, order_id, amount, limit, *guard_params, limit),
    )
    return counted, (
        "EXISTS (SELECT 1 FROM channel_card_usage WHERE channel = ? AND card_key = ? AND day = ? AND last_order = ?)",
        (channel, key, day, order_id),
    )


def send_card_use_undo(
    tx: Tx, channel: str, key: str, *, day: str, amount: int, order_id: int, unless: tuple[str, Params]
) -> None:
    """Take back what send_card_use counted for this order, unless `unless` (the freeze applied) holds."""
    unless_sql, unless_params = unless
    tx.send(
        "UPDATE channel_card_usage SET used = used - ?, last_order = NULL WHERE channel = ? AND card_key = ?"
        f" AND day = ? AND last_order = ? AND NOT {unless_sql}",
        (amount, channel, key, day, order_id, *unless_params),
    )


def card_used(tx: Tx, channel: str, key: str, day: str) -> int:
    sql = "SELECT used FROM channel_card_usage WHERE channel = ? AND card_key = ? AND day = ?"
    row = tx.one(sql, (channel, key, day))
    return 0 if row is None else int(row[0])


def release_card_use(tx: Tx, channel: str, key: str, *, day: str, amount: int) -> None:
    """Give back an explicitly failed order's count."""
    tx.execute(
        "UPDATE channel_card_usage SET used = used - ? WHERE channel = ? AND card_key = ? AND day = ?",
        (amount, channel, key, day),
    )
