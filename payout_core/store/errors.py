"""Typed errors of the store."""

from __future__ import annotations

from typing import Literal

from payout_core.errors import PayoutError

Violation = Literal["unique", "not_null", "check", "foreign_key", "append_only"]


class StoreError(PayoutError):
    """Base of every error the store raises on purpose."""


class NestedTransaction(StoreError, RuntimeError):
    """A second transaction was opened in a thread that already has one (it would not be atomic with the first)."""


class BatchedRead(StoreError, RuntimeError):
    """A transaction in a batch tried to read before the batch was sent (its statements have not run yet)."""


class MigrationError(StoreError):
    """A migration file is misnamed, duplicated, or was changed after it was applied."""


class ConstraintViolation(StoreError):
    """A statement broke a UNIQUE, NOT NULL, CHECK or FOREIGN KEY constraint, or changed a row of an append-only
    table (`append_only`), so its transaction rolled back.
    Callers that let the database refuse (a duplicate key, an overdrawn account) catch it and explain it after; the
    driver's error is the cause."""

    def __init__(self, kind: Violation, detail: str) -> None:
        self.kind: Violation = kind
        super().__init__(f"{kind} constraint violated: {detail}")


class BrokenLink(StoreError):
    """A link of a write chain (`Tx.send(..., rows=n)`) did not change exactly its rows, so the whole transaction
    rolled back: nothing of the chain was committed. `link` names it; the caller explains why by reading."""

    def __init__(self, link: str, rows: int) -> None:
        self.link = link
        self.rows = rows
        super().__init__(f"write chain broken at {link!r}: it must change {rows} row(s); nothing was committed")
