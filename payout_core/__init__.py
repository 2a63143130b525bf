"""payout_core: make payouts safe — recipient validation, order lifecycle, ledger, routing, dispatch."""

from payout_core.channels import ChannelProfile, channel
from payout_core.orders import Merchant, Order, PayoutEngine
from payout_core.recipient import AccountType, Recipient
from payout_core.routing import ChannelRoute
from payout_core.store import Store, open_store
from payout_core.validation import Prepared, PrepareError, Violation, prepare, validate

__all__ = [
    "AccountType",
    "ChannelProfile",
    "ChannelRoute",
    "Merchant",
    "Order",
    "PayoutEngine",
    "PrepareError",
    "Prepared",
    "Recipient",
    "Store",
    "Violation",
    "channel",
    "open_store",
    "prepare",
    "validate",
]
