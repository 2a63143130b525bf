"""Typed errors of the store."""

from __future__ import annotations

from typing import Literal

from payout_core.errors import PayoutError

Violation = Literal["unique", "not_null"]


class StoreError(PayoutError):
    """Base of every error the store raises on purpose."""


class NestedTransaction(StoreError, RuntimeError):
    """A second transaction was opened in a thread that already has one (it would not be atomic with the first)."""


class BatchedRead(StoreError, RuntimeError):
    """A transaction in a batch tried to read before the batch was sent (its statements have not run yet)."""


class MigrationError(StoreError):
    """A migration file is misnamed, duplicated, or was changed after it was applied."""


class ConstraintViolation(StoreError):
    """A statement broke a UNIQUE or NOT NULL constraint, so its transaction rolled back. Callers that let the
    database refuse (a duplicate key, a refused counter written as NULL) catch it; the driver's error is the cause."""

    def __init__(self, kind: Violation, detail: str) -> None:
        self.kind: Violation = kind
        super().__init__(f"{kind} constraint violated: {detail}")
