"""Per-card and per-merchant daily amounts, counted in the submitting transaction by a conditional update."""

from __future__ import annotations

from typing import Literal

from cardbin.pan import PAN_MAX_LENGTH, PAN_MIN_LENGTH, fold, mask
from payout_core.keys import Keyring
from payout_core.ledger import MAX_FEN
from payout_core.limits.errors import LimitExceeded
from payout_core.store import Tx

Scope = Literal["card", "merchant"]


def card_key(keys: Keyring, account_no: str) -> str:
    """A stable key for a card or account however it was typed, without storing the number a second time: an HMAC
    under the keyring's card-key secret, so it cannot be reversed by trying the cards of a BIN."""
    digits = fold(account_no)  # a card number as cardbin.pan.normalize_pan reads it
    if not (digits.isascii() and digits.isdigit() and PAN_MIN_LENGTH <= len(digits) <= PAN_MAX_LENGTH):
        digits = "".join(account_no.split())  # any other account number: only its spaces go
    return keys.card_key(digits)


def release(tx: Tx, scope: Scope, merchant_id: str, subject: str, *, day: str, amount: int) -> None:
    """Give back what a rejected or explicitly failed order had taken (a link of the caller's write chain)."""
    tx.send(
        "UPDATE daily_usage SET used = used - ? WHERE scope = ? AND merchant_id = ? AND subject = ? AND day = ?",
        (amount, scope, merchant_id, subject, day),
        rows=1,
        link=f"give back the {scope} daily limit",
    )


def used(tx: Tx, scope: Scope, merchant_id: str, subject: str, day: str) -> int:
    row = tx.one(
        "SELECT used FROM daily_usage WHERE scope = ? AND merchant_id = ? AND subject = ? AND day = ?",
        (scope, merchant_id, subject, day),
    )
    return 0 if row is None else int(row[0])


# Both counters in one statement, with the merchant's limits read from its row in the same statement. Only a counter
# that stays within its limit (NULL: no limit but the largest BIGINT) is written, compared as `amount <= limit -
# used` so that no sum can overflow, so the link changes 2 rows exactly when the order fits both
# (an unknown merchant selects no row): otherwise its transaction fails whole. Rows are locked card first, then
# merchant, as release_order does: concurrent orders cannot deadlock.
_CONSUME = (
    "INSERT INTO daily_usage (scope, merchant_id, subject, day, used)"
    " SELECT 'card', id, ?, ?, ? FROM merchants WHERE id = ? AND ? <= per_card_daily_limit"
    " UNION ALL SELECT 'merchant', id, '', ?, ? FROM merchants"
    " WHERE id = ? AND (daily_limit IS NULL OR ? <= daily_limit)"
    " ON CONFLICT (scope, merchant_id, subject, day) DO UPDATE SET used = daily_usage.used + excluded.used"
    " WHERE excluded.used <= (SELECT CASE excluded.scope WHEN 'card'"
    f" THEN m.per_card_daily_limit ELSE COALESCE(m.daily_limit, {MAX_FEN}) END"
    " FROM merchants m WHERE m.id = excluded.merchant_id) - daily_usage.used"
)


def consume_order(tx: Tx, merchant_id: str, *, key: str, day: str, amount: int) -> None:
    """Count one new order against both of the merchant's limits (`key` = card_key(account_no)): a link of the
    submission's write chain, which fails whole (BrokenLink) when the order passes a limit or the merchant is
    unknown; `refusal` then says which."""
    tx.send(
        _CONSUME,
        (key, day, amount, merchant_id, amount, day, amount, merchant_id, amount),
        rows=2,
        link="count the daily limits",
    )


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
    cap = MAX_FEN if per_merchant is None else per_merchant
    if merchant_so_far + amount > cap:
        return LimitExceeded("merchant", merchant_id, day, limit=cap, used=merchant_so_far, amount=amount)
    return None


def release_order(tx: Tx, merchant_id: str, key: str, *, day: str, amount: int) -> None:
    release(tx, "card", merchant_id, key, day=day, amount=amount)
    release(tx, "merchant", merchant_id, "", day=day, amount=amount)
