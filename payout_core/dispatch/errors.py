"""Typed errors of dispatch; none carries a full account number."""

from __future__ import annotations

from payout_core.errors import PayoutError


class DispatchError(PayoutError):
    """Base of every error dispatch raises on purpose."""


class NoAdapter(DispatchError, LookupError):
    def __init__(self, order_id: int, channel: str | None) -> None:
        self.order_id = order_id
        self.channel = channel
        super().__init__(f"order_id={order_id}: channel={channel!r} has no adapter configured (is it routed?)")


class NotInProgress(DispatchError):
    """Queries and resends are for orders whose dispatch has started and not finished."""

    def __init__(self, order_id: int, status: str) -> None:
        self.order_id = order_id
        self.status = status
        super().__init__(f"order_id={order_id}: dispatch status is {status!r}; only an order in progress is queried")


class StaleAttempt(DispatchError):
    """Another worker recorded an answer for this order between our read and our write; ours is kept as evidence."""

    def __init__(self, order_id: int, expected: str) -> None:
        self.order_id = order_id
        super().__init__(f"order_id={order_id}: dispatch status moved from {expected!r} under us")


class UnknownAttempt(DispatchError, LookupError):
    """The order has no dispatch attempt: it was never dispatched through a Dispatcher."""

    def __init__(self, order_id: int) -> None:
        self.order_id = order_id
        super().__init__(f"order_id={order_id}: has no dispatch attempt")


class SignatureKeyUnusable(DispatchError):
    """A channel account whose profile declares a signature has no usable key: the dispatcher refuses to start."""

    def __init__(self, account: str, where: str, why: str) -> None:
        self.account = account
        super().__init__(f"channel account {account!r}: the signature key ({where}) {why}")
