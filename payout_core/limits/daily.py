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


# Both counters in one statement: each row is raised only if it stays within its own limit (NULL: no limit), and
# the rows returned say which were raised. A missing row is a refusal; the caller's transaction then rolls back.
# Rows are locked card first, then merchant, as release_order does: concurrent orders cannot deadlock.
_CONSUME = (
    "INSERT INTO daily_usage (scope, merchant_id, subject, day, used)"
    " VALUES ('card', ?, ?, ?, ?), ('merchant', ?, '', ?, ?)"
    " ON CONFLICT (scope, merchant_id, subject, day) DO UPDATE SET used = daily_usage.used + excluded.used"
    " WHERE daily_usage.used + excluded.used <= COALESCE(CASE excluded.scope WHEN 'card' THEN CAST(? AS BIGINT)"
    " ELSE CAST(? AS BIGINT) END, daily_usage.used + excluded.used) RETURNING scope"
)


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
    """Count one new order against both limits (`key` = card_key(account_no)), or refuse it naming the first limit
    it exceeds, the card masked; the refusal's transaction rolls back, so nothing stays counted."""
    if amount > per_card:
        refused: Scope | None = "card"
    elif per_merchant is not None and amount > per_merchant:
        refused = "merchant"
    else:
        params = (merchant_id, key, day, amount, merchant_id, day, amount, per_card, per_merchant)
        raised = {str(r[0]) for r in tx.all(_CONSUME, params)}
        refused = "card" if "card" not in raised else "merchant" if "merchant" not in raised else None
    if refused == "card":
        so_far = used(tx, "card", merchant_id, key, day)
        raise LimitExceeded("card", mask(account_no), day, limit=per_card, used=so_far, amount=amount)
    if refused == "merchant":
        so_far = used(tx, "merchant", merchant_id, "", day)
        raise LimitExceeded("merchant", merchant_id, day, limit=per_merchant or 0, used=so_far, amount=amount)


def release_order(tx: Tx, merchant_id: str, key: str, *, day: str, amount: int) -> None:
    release(tx, "card", merchant_id, key, day=day, amount=amount)
    release(tx, "merchant", merchant_id, "", day=day, amount=amount)
