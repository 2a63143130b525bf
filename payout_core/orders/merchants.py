"""Merchant configuration rows: approval mode, daily limits, API allowlist; opening their accounts."""

from __future__ import annotations

import msgspec

from payout_core.errors import InvalidInput
from payout_core.ledger import open_merchant_accounts
from payout_core.limits import parse_allowlist
from payout_core.orders.errors import UnknownMerchant
from payout_core.orders.model import Merchant
from payout_core.store import Deferred, Row, Tx


def save_merchant(tx: Tx, merchant: Merchant, at: int) -> None:
    """Create or reconfigure; every value is checked before anything is written."""
    if not merchant.id or ":" in merchant.id:
        raise InvalidInput("id", merchant.id, "must be non-empty and contain no ':'")
    if merchant.approval not in ("auto", "manual"):
        raise InvalidInput("approval", str(merchant.approval), "must be 'auto' or 'manual'")
    if merchant.per_card_daily_limit <= 0:
        raise InvalidInput("per_card_daily_limit", str(merchant.per_card_daily_limit), "must be > 0 fen")
    if merchant.daily_limit is not None and merchant.daily_limit <= 0:
        raise InvalidInput("daily_limit", str(merchant.daily_limit), "must be > 0 fen or None")
    parse_allowlist(merchant.ip_allowlist)
    tx.execute(
        "INSERT INTO merchants (id, approval, per_card_daily_limit, daily_limit, ip_allowlist, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET approval = excluded.approval,"
        " per_card_daily_limit = excluded.per_card_daily_limit, daily_limit = excluded.daily_limit,"
        " ip_allowlist = excluded.ip_allowlist",
        (
            merchant.id,
            merchant.approval,
            merchant.per_card_daily_limit,
            merchant.daily_limit,
            msgspec.json.encode(merchant.ip_allowlist).decode(),
            at,
        ),
    )
    open_merchant_accounts(tx, merchant.id, at)


_SELECT = "SELECT approval, per_card_daily_limit, daily_limit, ip_allowlist FROM merchants WHERE id = ?"


def load_merchant(tx: Tx, merchant_id: str) -> Merchant:
    return merchant_from(merchant_id, tx.all(_SELECT, (merchant_id,)))


def read_merchant(tx: Tx, merchant_id: str) -> Deferred:
    """The merchant's row sent ahead, to share the round trip of the next statement; decode it with merchant_from."""
    return tx.defer(_SELECT, (merchant_id,))


def merchant_from(merchant_id: str, rows: list[Row]) -> Merchant:
    if not rows:
        raise UnknownMerchant(merchant_id)
    approval, per_card, daily, allow = rows[0]
    return Merchant(
        id=merchant_id,
        approval=approval,
        per_card_daily_limit=int(per_card),
        daily_limit=None if daily is None else int(daily),
        ip_allowlist=msgspec.json.decode(allow, type=tuple[str, ...]),
    )
