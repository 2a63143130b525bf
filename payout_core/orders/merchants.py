"""The `merchants` table: approval mode, daily limits, API allowlist; opening their accounts."""

from __future__ import annotations

import msgspec

from payout_core.ledger import open_merchant_accounts
from payout_core.orders.errors import UnknownMerchant
from payout_core.orders.model import Merchant
from payout_core.store import Later, Row, Tx


def save_merchant(tx: Tx, merchant: Merchant, at: int) -> None:
    """Create or reconfigure (the Struct checked every value when it was made)."""
    tx.send(
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
        rows=1,
        link="save the merchant",
    )
    open_merchant_accounts(tx, merchant.id, at)


_NO_ALLOWLIST = msgspec.json.encode(()).decode()

_SELECT = "SELECT id, approval, per_card_daily_limit, daily_limit, ip_allowlist FROM merchants WHERE id = ?"


def load_merchant(tx: Tx, merchant_id: str) -> Merchant:
    merchant = find_merchant(tx, merchant_id)
    if merchant is None:
        raise UnknownMerchant(merchant_id)
    return merchant


def find_merchant(tx: Tx, merchant_id: str, *, lock: bool = False) -> Merchant | None:
    """The merchant, if any (`lock`: held until the transaction ends, for a change based on it)."""
    return _merchant(tx.all(f"{_SELECT}{tx.for_update if lock else ''}", (merchant_id,)))


def all_merchants(tx: Tx) -> list[Merchant]:
    rows = tx.all(_SELECT.replace(" WHERE id = ?", " ORDER BY id"))
    return [m for r in rows if (m := _merchant([r])) is not None]


def require_no_allowlist(tx: Tx, merchant_id: str) -> None:
    """A link of a submission's write chain: the merchant has no API allowlist, so a submission that comes from no
    address (an in-process caller) may be taken. With an allowlist, only an allowed address or a named submitter."""
    tx.send(
        "SELECT id FROM merchants WHERE id = ? AND ip_allowlist = ?",
        (merchant_id, _NO_ALLOWLIST),
        rows=1,
        link="submit: the merchant has no API allowlist",
    )


def read_merchant(tx: Tx, merchant_id: str) -> Later[Merchant | None]:
    """The merchant sent ahead, to share the round trip of the next statement."""
    return tx.defer(_SELECT, (merchant_id,)).decoded(_merchant)


def _merchant(rows: list[Row]) -> Merchant | None:
    if not rows:
        return None
    merchant_id, approval, per_card, daily, allow = rows[0]
    return Merchant(
        id=merchant_id,
        approval=approval,
        per_card_daily_limit=int(per_card),
        daily_limit=None if daily is None else int(daily),
        ip_allowlist=msgspec.json.decode(allow, type=tuple[str, ...]),
    )
