"""Typed errors of the order lifecycle. None of them carries a full account number."""

from __future__ import annotations

from payout_core.errors import PayoutError


class OrderError(PayoutError):
    """Base of every error the order engine raises on purpose; the refused call changed nothing."""


class UnknownMerchant(OrderError, LookupError):
    def __init__(self, merchant_id: str) -> None:
        self.merchant_id = merchant_id
        super().__init__(f"merchant_id={merchant_id!r}: no such merchant")


class UnknownOrder(OrderError, LookupError):
    def __init__(self, order_id: int) -> None:
        self.order_id = order_id
        super().__init__(f"order_id={order_id}: no such order")


class OrderConflict(OrderError):
    """The idempotency key was used before for a different payout: never overwrite, never pay both."""

    def __init__(self, merchant_id: str, merchant_order_no: str, existing_id: int, fields: list[str]) -> None:
        self.merchant_id = merchant_id
        self.merchant_order_no = merchant_order_no
        self.existing_id = existing_id
        self.fields = fields
        super().__init__(
            f"merchant_order_no={merchant_order_no!r}: already used by order {existing_id} of merchant"
            f" {merchant_id!r} with different {', '.join(fields)}"
        )


class TransitionError(OrderError):
    """The order is not in a state this change may start from."""

    def __init__(self, order_id: int, state: str, action: str, rule: str) -> None:
        self.order_id = order_id
        self.state = state
        self.action = action
        super().__init__(f"order_id={order_id}: cannot {action} an order in state {state!r}: {rule}")


class IllegalTransition(TransitionError):
    """The change is never allowed from the order's current state."""


class SelfApproval(OrderError, PermissionError):
    """Maker-checker: the actor who entered an order never approves it."""

    def __init__(self, order_id: int, actor: str) -> None:
        self.order_id = order_id
        self.actor = actor
        super().__init__(f"order_id={order_id}: submitted by {actor!r}, who may not approve it (maker-checker)")


class AutoApprovalRefused(OrderError, PermissionError):
    """Only a merchant configured for automatic approval has its orders approved without a person."""

    def __init__(self, order_id: int, merchant_id: str) -> None:
        self.order_id = order_id
        self.merchant_id = merchant_id
        super().__init__(
            f"order_id={order_id}: merchant {merchant_id!r} approves by hand; 'auto' approves only the orders of a"
            " merchant configured for automatic approval"
        )


class ExplicitFailureRequired(OrderError, ValueError):
    """`failed` needs a channel failure code or an operator: silence, timeouts and unknown codes are not failures."""

    def __init__(self, order_id: int, why: str = "failed needs a channel failure code or an operator") -> None:
        self.order_id = order_id
        super().__init__(f"order_id={order_id}: {why}; anything else keeps the order in progress")


class UnlistedFailureCode(ExplicitFailureRequired):
    """The code is not on the channel's failure allow-list (its profile's `failure_codes`): not a final failure."""

    def __init__(self, order_id: int, channel: str, code: str) -> None:
        self.channel = channel
        self.code = code
        super().__init__(order_id, f"code {code!r} is not a failure code of channel {channel!r} (its failure_codes)")


class UnknownChannelAccount(OrderError, LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"channel={name!r}: no such channel account is configured")
