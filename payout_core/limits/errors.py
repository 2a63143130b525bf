"""Typed refusals of the limits; a refused submission creates nothing."""

from __future__ import annotations

from payout_core.errors import PayoutError


class LimitError(PayoutError):
    """Base of every refusal by a limit or the caller allowlist."""


class LimitExceeded(LimitError):
    def __init__(self, scope: str, subject: str, day: str, *, limit: int, used: int, amount: int) -> None:
        self.scope = scope
        self.subject = subject  # masked card number or merchant id
        self.day = day
        self.limit = limit
        self.used = used
        self.amount = amount
        super().__init__(
            f"{scope} daily limit: {subject} on {day} has used {used} of {limit} fen; {amount} fen more exceeds it"
        )


class CallerNotAllowed(LimitError, PermissionError):
    """A caller the merchant's allowlist does not admit; no address at all (None) where it has one fails closed."""

    def __init__(self, merchant_id: str, ip: str | None) -> None:
        self.merchant_id = merchant_id
        self.ip = ip
        if ip is None:
            super().__init__(
                f"client_ip=None: merchant {merchant_id!r} has an API allowlist; a submission must come from an"
                " allowed address or name its submitter"
            )
        else:
            super().__init__(f"client_ip={ip!r}: not in the API allowlist of merchant {merchant_id!r}")
