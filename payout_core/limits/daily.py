"""Per-card and per-merchant daily amounts, counted in the submitting transaction by a conditional update."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Literal

from cardbin.errors import InvalidCardNumber
from cardbin.pan import mask, normalize_pan
from payout_core.limits.errors import LimitExceeded
from payout_core.store import Tx

Scope = Literal["card", "merchant"]

# Payout days follow Beijing time (no DST), whatever the server's zone.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def business_day(instant: datetime) -> str:
    return instant.astimezone(CHINA).date().isoformat()


def card_key(account_no: str) -> str:
    """A stable key for a card or account however it was typed, without storing the number a second time."""
    try:
        digits = normalize_pan(account_no, "account_no")
    except InvalidCardNumber:
        digits = "".join(account_no.split())
    return hashlib.sha256(digits.encode()).hexdigest()


def consume(
    tx: Tx, scope: Scope, merchant_id: str, subject: str, *, day: str, amount: int, limit: int | None, shown_as: str
) -> None:
    """Add `amount` unless it takes the day over `limit` (None: count only, so a limit set later sees the day).

    `shown_as` names the subject in the refusal, masked when it is a card.
    """
    if limit is None or amount <= limit:
        row = tx.one(
            "INSERT INTO daily_usage (scope, merchant_id, subject, day, used) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (scope, merchant_id, subject, day) DO UPDATE SET used = daily_usage.used + excluded.used"
            " WHERE CAST(? AS BIGINT) IS NULL OR daily_usage.used + excluded.used <= ? RETURNING used",
            (scope, merchant_id, subject, day, amount, limit, limit),
        )
        if row is not None:
            return
    so_far = used(tx, scope, merchant_id, subject, day)
    raise LimitExceeded(scope, shown_as, day, limit=limit or 0, used=so_far, amount=amount)


def release(tx: Tx, scope: Scope, merchant_id: str, subject: str, *, day: str, amount: int) -> None:
    """Give back what a rejected or explicitly failed order had taken."""
    tx.execute(
        "UPDATE daily_usage SET used = used - ? WHERE scope = ? AND merchant_id = ? AND subject = ? AND day = ?",
        (amount, scope, merchant_id, subject, day),
    )


def used(tx: Tx, scope: Scope, merchant_id: str, subject: str, day: str) -> int:
    row = tx.one(
        "SELECT used FROM daily_usage WHERE scope = ? AND merchant_id = ? AND subject = ? AND day = ?",
        (scope, merchant_id, subject, day),
    )
    return 0 if row is None else int(row[0])


def consume_order(
    tx: Tx,
    merchant_id: str,
    account_no: str,
    *,
    key: str,
    day: str,
    amount: int,
    per_card: int,
    per_merchant: int | None,
) -> None:
    """Both limits of one new order (`key` = card_key(account_no)); the card is named masked in any refusal."""
    consume(tx, "card", merchant_id, key, day=day, amount=amount, limit=per_card, shown_as=mask(account_no))
    consume(tx, "merchant", merchant_id, "", day=day, amount=amount, limit=per_merchant, shown_as=merchant_id)


def release_order(tx: Tx, merchant_id: str, key: str, *, day: str, amount: int) -> None:
    release(tx, "card", merchant_id, key, day=day, amount=amount)
    release(tx, "merchant", merchant_id, "", day=day, amount=amount)
