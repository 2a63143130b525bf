"""The one root of every error payout_core raises on purpose, and the error for a bad value given by a caller.

Each concern keeps its own errors beside its code (`orders/errors.py`, `ledger/errors.py`, …); all of them derive
from `PayoutError`, so a caller can tell payout_core's refusals from bugs and from cardbin's errors with one except.
"""

from __future__ import annotations


class PayoutError(Exception):
    """Base of every error payout_core raises on purpose; the refused call changed nothing."""


class InvalidInput(PayoutError, ValueError):
    """A value given by a caller breaks a rule; nothing was changed."""

    def __init__(self, field: str, value: str, rule: str) -> None:
        self.field = field
        self.value = value  # already masked by the raiser when it may be personal data
        self.rule = rule
        super().__init__(f"{field}={value!r}: {rule}")
