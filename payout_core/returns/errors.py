"""Typed errors of returns (退汇); a refused return changed nothing."""

from __future__ import annotations

from payout_core.errors import PayoutError


class ReturnError(PayoutError):
    """Base of every error returns raise on purpose."""


class NotSucceeded(ReturnError):
    """Only a paid order can come back; anything else is still in progress or never left."""

    def __init__(self, order_id: int, state: str) -> None:
        self.order_id = order_id
        self.state = state
        super().__init__(f"order_id={order_id}: is {state!r}; only a succeeded payout can be returned (退汇)")
