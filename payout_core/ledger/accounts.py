"""Account ids and opening. One row per (owner, purpose); balances change only through postings.

The account-id format lives here and nowhere else: every other module names an account through these functions.
"""

from __future__ import annotations

from typing import Literal

from payout_core.store import Tx

MerchantPurpose = Literal["available", "frozen", "paid_out"]
ChannelPurpose = Literal["available", "in_flight", "settled"]
OwnerKind = Literal["merchant", "channel", "external"]

MERCHANT_PURPOSES: tuple[MerchantPurpose, ...] = ("available", "frozen", "paid_out")
CHANNEL_PURPOSES: tuple[ChannelPurpose, ...] = ("available", "in_flight", "settled")

# Counterparts of money entering the system; they go negative by design so every posting still sums to zero.
MERCHANT_DEPOSITS = "external:merchant_deposits"
CHANNEL_FUNDING = "external:channel_funding"
# Where money the channel moved for no order of ours goes (a payout unknown to us, booked after reconciliation).
RECONCILIATION = "external:reconciliation"


def merchant_account(merchant_id: str, purpose: MerchantPurpose) -> str:
    return f"merchant:{merchant_id}:{purpose}"


def channel_account(channel: str, purpose: ChannelPurpose) -> str:
    return f"channel:{channel}:{purpose}"


def open_account(tx: Tx, account: str, owner_kind: OwnerKind, *, owner: str, purpose: str, at: int) -> None:
    """Idempotent: opening an existing account leaves it (and its balance) alone."""
    tx.send(
        "INSERT INTO accounts (id, owner_kind, owner, purpose, balance, may_go_negative, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (account, owner_kind, owner, purpose, int(owner_kind == "external"), at, at),
        rows=None,  # opened before, or now
        link="open an account",
    )


def open_merchant_accounts(tx: Tx, merchant_id: str, at: int) -> None:
    open_account(tx, MERCHANT_DEPOSITS, "external", owner="merchant_deposits", purpose="counterpart", at=at)
    for purpose in MERCHANT_PURPOSES:
        open_account(tx, merchant_account(merchant_id, purpose), "merchant", owner=merchant_id, purpose=purpose, at=at)


def open_channel_accounts(tx: Tx, channel: str, at: int) -> None:
    open_account(tx, CHANNEL_FUNDING, "external", owner="channel_funding", purpose="counterpart", at=at)
    open_account(tx, RECONCILIATION, "external", owner="reconciliation", purpose="counterpart", at=at)
    for purpose in CHANNEL_PURPOSES:
        open_account(tx, channel_account(channel, purpose), "channel", owner=channel, purpose=purpose, at=at)
