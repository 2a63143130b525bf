"""Typed errors of the ledger; a refused posting changes nothing (its transaction rolls back)."""

from __future__ import annotations

from payout_core.errors import PayoutError


class LedgerError(PayoutError):
    """Base of every error the ledger raises on purpose."""


class UnknownAccount(LedgerError, LookupError):
    def __init__(self, account: str) -> None:
        self.account = account
        super().__init__(f"account={account!r}: no such account")


class InsufficientFunds(LedgerError):
    def __init__(self, account: str, needed: int, available: int) -> None:
        self.account = account
        self.needed = needed
        self.available = available
        super().__init__(f"account={account!r}: balance {available} fen cannot cover {needed} fen")
