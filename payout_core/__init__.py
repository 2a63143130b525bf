"""payout_core: make payouts safe — recipient validation, order lifecycle, ledger, routing, dispatch.

Every name here is imported on first use, so `import payout_core.names` (or `.validation`) loads neither the store's
database drivers nor the order engine.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from payout_core.errors import InvalidInput, PayoutError

__all__ = [
    "AccountType",
    "ChannelProfile",
    "ChannelRoute",
    "InvalidInput",
    "Merchant",
    "Order",
    "PayoutEngine",
    "PayoutError",
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

_HOMES = {
    "AccountType": "payout_core.recipient",
    "Recipient": "payout_core.recipient",
    "ChannelProfile": "payout_core.channels",
    "channel": "payout_core.channels",
    "Merchant": "payout_core.orders",
    "Order": "payout_core.orders",
    "PayoutEngine": "payout_core.orders",
    "ChannelRoute": "payout_core.routing",
    "Store": "payout_core.store",
    "open_store": "payout_core.store",
    "PrepareError": "payout_core.validation",
    "Prepared": "payout_core.validation",
    "Violation": "payout_core.validation",
    "prepare": "payout_core.validation",
    "validate": "payout_core.validation",
}

if TYPE_CHECKING:
    from payout_core.channels import ChannelProfile, channel
    from payout_core.orders import Merchant, Order, PayoutEngine
    from payout_core.recipient import AccountType, Recipient
    from payout_core.routing import ChannelRoute
    from payout_core.store import Store, open_store
    from payout_core.validation import Prepared, PrepareError, Violation, prepare, validate


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'payout_core' has no attribute {name!r}")
    return getattr(import_module(home), name)
