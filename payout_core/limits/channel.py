"""A channel's own daily limits, counted when a route freezes funds on that channel account: per card (WeChat:
20,000 CNY to one card) and the account's total (WeChat: 100,000 CNY per merchant account), per business day."""

from __future__ import annotations

from collections.abc import Sequence

from payout_core.store import Later, Tx

# The counter of a channel account's whole day in channel_card_usage: a card's key is a hex HMAC
# (Keyring.card_key), so it never equals this.
ACCOUNT_TOTAL = "*"


def count_channel_use(tx: Tx, channel: str, key: str, *, day: str, amount: int, limit: int) -> None:
    """Raise the counter of a card (its card key) or of the account's total (ACCOUNT_TOTAL) on `channel` while it
    stays within `limit`: a link of the route's write chain, which fails whole (BrokenLink) when the day is full."""
    tx.send(
        "INSERT INTO channel_card_usage (channel, card_key, day, used) SELECT ?, ?, ?, ? WHERE ? <= ?"
        " ON CONFLICT (channel, card_key, day) DO UPDATE SET used = channel_card_usage.used + excluded.used"
        " WHERE excluded.used <= ? - channel_card_usage.used",
        (channel, key, day, amount, amount, limit, limit),
        rows=1,
        link="route: count the channel account's day"
        if key == ACCOUNT_TOTAL
        else "route: count the card on the channel",
    )


def channel_uses(tx: Tx, keys: Sequence[str], day: str) -> Later[dict[tuple[str, str], int]]:
    """What each card has been paid today and each account's total (key ACCOUNT_TOTAL), per (channel, key), read
    with the next round trip."""
    wanted = (*keys, ACCOUNT_TOTAL)
    marks = ", ".join(["?"] * len(wanted))
    rows = tx.defer(
        f"SELECT channel, card_key, used FROM channel_card_usage WHERE day = ? AND card_key IN ({marks})",
        (day, *wanted),
    )
    return rows.decoded(lambda found: {(str(c), str(k)): int(u) for c, k, u in found})


def release_channel_use(tx: Tx, channel: str, key: str, *, day: str, amount: int) -> None:
    """Give back an explicitly failed order's count on a card or the account's total (a link of the failure's
    write chain)."""
    tx.send(
        "UPDATE channel_card_usage SET used = used - ? WHERE channel = ? AND card_key = ? AND day = ?",
        (amount, channel, key, day),
        rows=1,
        link="give back the channel account's day limit"
        if key == ACCOUNT_TOTAL
        else "give back the channel's card limit",
    )
