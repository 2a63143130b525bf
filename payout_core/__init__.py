"""payout_core: make payouts safe — recipient validation, order lifecycle, ledger, routing, dispatch."""

from payout_core.recipient import AccountType, Recipient

__all__ = ["AccountType", "Recipient"]
