"""Typed errors of reconciliation items; a refused decision changed nothing."""

from __future__ import annotations

from payout_core.errors import PayoutError


class DifferenceError(PayoutError):
    """Base of every error the items raise on purpose."""


class UnknownItem(DifferenceError, LookupError):
    def __init__(self, item_id: int) -> None:
        self.item_id = item_id
        super().__init__(f"item={item_id}: no such reconciliation item")


class ItemNotOpen(DifferenceError):
    def __init__(self, item_id: int) -> None:
        self.item_id = item_id
        super().__init__(f"item={item_id}: is resolved already; a decision is made once")


class ItemNotDecidable(DifferenceError):
    """Booking the channel's truth would not make our books right now (the order moved on): the rule says why."""

    def __init__(self, item_id: int, rule: str) -> None:
        self.item_id = item_id
        self.rule = rule
        super().__init__(f"item={item_id}: cannot be booked: {rule}")
