"""A channel's own per-card daily limit, counted when a route freezes funds on that channel account."""

from __future__ import annotations

from collections.abc import Sequence

from payout_core.store import Later, Tx


def count_card_use(tx: Tx, channel: str, key: str, *, day: str, amount: int, limit: int) -> None:
    """Raise the card's count on `channel` while it stays within `limit`: a link of the route's write chain, which
    fails whole (BrokenLink) when the card's day on the channel is full."""
    tx.send(
        "INSERT INTO channel_card_usage (channel, card_key, day, used) SELECT ?, ?, ?, ? WHERE ? <= ?"
        " ON CONFLICT (channel, card_key, day) DO UPDATE SET used = channel_card_usage.used + excluded.used"
        " WHERE excluded.used <= ? - channel_card_usage.used",
        (channel, key, day, amount, amount, limit, limit),
        rows=1,
        link="route: count the card on the channel",
    )


def card_uses(tx: Tx, keys: Sequence[str], day: str) -> Later[dict[tuple[str, str], int]]:
    """What each card has been paid today, per (channel, card key), read with the next round trip."""
    marks = ", ".join(["?"] * len(keys)) or "NULL"
    rows = tx.defer(
        f"SELECT channel, card_key, used FROM channel_card_usage WHERE day = ? AND card_key IN ({marks})", (day, *keys)
    )
    return rows.decoded(lambda found: {(str(c), str(k)): int(u) for c, k, u in found})


def release_card_use(tx: Tx, channel: str, key: str, *, day: str, amount: int) -> None:
    """Give back an explicitly failed order's count (a link of the failure's write chain)."""
    tx.send(
        "UPDATE channel_card_usage SET used = used - ? WHERE channel = ? AND card_key = ? AND day = ?",
        (amount, channel, key, day),
        rows=1,
        link="give back the channel's card limit",
    )
