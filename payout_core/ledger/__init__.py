"""Double-entry ledger: merchant accounts (available, frozen, paid out), channel accounts (available, in flight,
settled); every movement is a balanced posting whose entries each record the balance after them."""

from payout_core.ledger.accounts import (
    CHANNEL_FUNDING,
    CHANNEL_PURPOSES,
    MERCHANT_DEPOSITS,
    MERCHANT_PURPOSES,
    ChannelPurpose,
    MerchantPurpose,
    channel_account,
    merchant_account,
    open_channel_accounts,
    open_merchant_accounts,
)
from payout_core.ledger.errors import InsufficientFunds, LedgerError, UnbalancedPosting, UnknownAccount
from payout_core.ledger.postings import (
    Entry,
    Leg,
    balance,
    balance_at,
    entries_of_account,
    entries_of_order,
    post,
    transfer,
)

__all__ = [
    "CHANNEL_FUNDING",
    "CHANNEL_PURPOSES",
    "MERCHANT_DEPOSITS",
    "MERCHANT_PURPOSES",
    "ChannelPurpose",
    "Entry",
    "InsufficientFunds",
    "LedgerError",
    "Leg",
    "MerchantPurpose",
    "UnbalancedPosting",
    "UnknownAccount",
    "balance",
    "balance_at",
    "channel_account",
    "entries_of_account",
    "entries_of_order",
    "merchant_account",
    "open_channel_accounts",
    "open_merchant_accounts",
    "post",
    "transfer",
]
