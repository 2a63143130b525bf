"""Typed errors of manual review; a refused resolution changed nothing. Bad input raises InvalidInput."""

from __future__ import annotations

from payout_core.errors import PayoutError


class ReviewError(PayoutError):
    """Base of every error manual review raises on purpose."""


class NotUnderReview(ReviewError, LookupError):
    def __init__(self, order_id: int) -> None:
        self.order_id = order_id
        super().__init__(f"order_id={order_id}: has no open review item (never opened, or already resolved)")
