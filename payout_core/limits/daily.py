"""Per-card and per-merchant daily amounts, counted in the submitting transaction by a conditional update."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Literal

from cardbin.pan import PAN_MAX_LENGTH, PAN_MIN_LENGTH, fold, mask
from payout_core.limits.errors import LimitExceeded
from payout_core.store import Tx

Scope = Literal["card", "merchant"]

# Payout days follow Beijing time (no DST), whatever the server's zone.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def business_day(instant: datetime) -> str:
    return instant.astimezone(CHINA).date().isoformat()


def card_key(account_no: str) -> str:
    """A stable key for a card or account however it was typed, without storing the number a second time."""
    digits = fold(account_no)  # a card number as cardbin.pan.normalize_pan reads it
    if not (digits.isascii() and digits.isdigit() and PAN_MIN_LENGTH <= len(digits) <= PAN_MAX_LENGTH):
        digits = "".join(account_no.split())  # any other account number: only its spaces go
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


# Both counters in one statement, with the merchant's limits read from its row in the same statement. A counter that
# would pass its limit (NULL: no limit) is written as NULL, which the NOT NULL column refuses: the statement fails
# and its transaction rolls back, so the submission can be sent with its commit and still be refused in full. Rows
# are locked card first, then merchant, as release_order does: concurrent orders cannot deadlock. An unknown
# merchant selects no row and counts nothing.
_CONSUME = (
    "INSERT INTO daily_usage (scope, merchant_id, subject, day, used)"
    " SELECT 'card', id, ?, ?, CASE WHEN ? <= per_card_daily_limit THEN ? END FROM merchants WHERE id = ?"
    " UNION ALL SELECT 'merchant', id, '', ?, CASE WHEN daily_limit IS NULL OR ? <= daily_limit THEN ? END"
    " FROM merchants WHERE id = ?"
    " ON CONFLICT (scope, merchant_id, subject, day) DO UPDATE SET used = CASE WHEN daily_usage.used + excluded.used"
    " <= (SELECT CASE excluded.scope WHEN 'card' THEN m.per_card_daily_limit ELSE COALESCE(m.daily_limit,"
    " daily_usage.used + excluded.used) END FROM merchants m WHERE m.id = excluded.merchant_id)"
    " THEN daily_usage.used + excluded.used END"
)


def consume_order(tx: Tx, merchant_id: str, *, key: str, day: str, amount: int) -> None:
    """Count one new order against both of the merchant's limits (`key` = card_key(account_no)), sent with the
    next statement or the commit. A refusal fails it with ConstraintViolation("not_null") and rolls the whole
    transaction back; `refusal` then says which limit it passed."""
    tx.send(_CONSUME, (key, day, amount, amount, merchant_id, day, amount, amount, merchant_id))


def refusal(
    tx: Tx,
    merchant_id: str,
    account_no: str,
    *,
    key: str,
    day: str,
    amount: int,
    per_card: int,
    per_merchant: int | None,
) -> LimitExceeded | None:
    """The limit one more order of `amount` passes today, naming the card masked, or None if it fits both."""
    card_so_far = used(tx, "card", merchant_id, key, day)
    if card_so_far + amount > per_card:
        return LimitExceeded("card", mask(account_no), day, limit=per_card, used=card_so_far, amount=amount)
    merchant_so_far = used(tx, "merchant", merchant_id, "", day)
    if per_merchant is not None and merchant_so_far + amount > per_merchant:
        return LimitExceeded("merchant", merchant_id, day, limit=per_merchant, used=merchant_so_far, amount=amount)
    return None


def release_order(tx: Tx, merchant_id: str, key: str, *, day: str, amount: int) -> None:
    release(tx, "card", merchant_id, key, day=day, amount=amount)
    release(tx, "merchant", merchant_id, "", day=day, amount=amount)
