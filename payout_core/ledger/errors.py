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


class TransferConflict(LedgerError):
    """An idempotency key was used before for a different transfer: never post both."""

    def __init__(self, transfer_id: str, detail: str) -> None:
        self.transfer_id = transfer_id
        super().__init__(f"transfer_id={transfer_id!r}: already posted {detail}; a new transfer needs a new key")


class BalanceOverflow(LedgerError):
    """The posting would take a balance past what a BIGINT holds (2**63 - 1 fen): refused, never wrapped."""

    def __init__(self, account: str, amount: int, balance: int) -> None:
        self.account = account
        self.amount = amount
        self.balance = balance
        super().__init__(f"account={account!r}: balance {balance} fen cannot take {amount:+d} fen more (2**63 - 1 max)")
