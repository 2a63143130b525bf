"""Typed errors of the store."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class NestedTransaction(StoreError, RuntimeError):
    """A second transaction was opened in a thread that already has one (it would not be atomic with the first)."""


class MigrationError(StoreError):
    """A migration file is misnamed, duplicated, or was changed after it was applied."""
