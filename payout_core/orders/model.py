"""Orders and merchants: the Structs the engine hands out, each checking its own invariants."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import msgspec

from cardbin.pan import mask
from payout_core.errors import InvalidInput
from payout_core.limits import parse_allowlist
from payout_core.orders.lifecycle import OrderState
from payout_core.recipient import Recipient

Approval = Literal["auto", "manual"]
APPROVALS: tuple[Approval, ...] = get_args(Approval)

DEFAULT_PER_CARD_DAILY_LIMIT = 200_000_00  # 200,000 CNY in fen, the low end quoted by payment companies


class Merchant(msgspec.Struct, frozen=True, kw_only=True):
    """A merchant's approval mode (审批) and limits; amounts in fen. daily_limit None = no per-merchant cap."""

    id: str
    approval: Approval = "manual"
    per_card_daily_limit: int = DEFAULT_PER_CARD_DAILY_LIMIT
    daily_limit: int | None = None
    ip_allowlist: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refused at construction, not when first saved or used."""
        if not isinstance(self.id, str) or not self.id.strip() or ":" in self.id or len(self.id) > 64:
            raise InvalidInput("id", str(self.id), "must be non-empty text of at most 64 characters without ':'")
        if self.approval not in APPROVALS:
            raise InvalidInput("approval", str(self.approval), "must be 'auto' or 'manual'")
        if type(self.per_card_daily_limit) is not int or self.per_card_daily_limit <= 0:
            raise InvalidInput("per_card_daily_limit", str(self.per_card_daily_limit), "must be > 0 fen")
        if self.daily_limit is not None and (type(self.daily_limit) is not int or self.daily_limit <= 0):
            raise InvalidInput("daily_limit", str(self.daily_limit), "must be > 0 fen or None")
        parse_allowlist(self.ip_allowlist)


class Order(msgspec.Struct, frozen=True, kw_only=True):
    """A payout order as stored. Its repr masks the account number so logging an order never leaks a PAN."""

    id: int
    merchant_id: str
    merchant_order_no: str
    amount: int
    recipient: Recipient
    state: OrderState
    business_day: str
    channel: str | None
    channel_order_no: str | None
    approver: str | None
    route_failure: str | None
    failure_code: str | None
    reason: str | None
    operator: str | None
    created_at: datetime
    updated_at: datetime
    approved_at: datetime | None
    routed_at: datetime | None
    dispatched_at: datetime | None
    finished_at: datetime | None
    # The business day its channel's per-card daily limit counted it (given back if it fails); None: no such limit.
    card_limit_day: str | None = None
    submitted_by: str | None = None  # the actor who entered it; None: the merchant's API
    card_key: str = ""  # what the limits count the payee's card by (limits.card_key: an HMAC, not the number)
    # The business day its channel account's daily total counted it (given back if it fails); None: not counted.
    account_limit_day: str | None = None

    def __repr__(self) -> str:
        return (
            f"Order(id={self.id}, merchant_id={self.merchant_id!r}, merchant_order_no={self.merchant_order_no!r},"
            f" amount={self.amount}, account_no={mask(self.recipient.account_no)!r}, state={self.state!r},"
            f" channel={self.channel!r}, channel_order_no={self.channel_order_no!r})"
        )

    @property
    def routed(self) -> bool:
        return self.channel is not None
