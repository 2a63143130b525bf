"""Evidence: every channel exchange kept as operations staff will need to see it, personal numbers masked.

The first dispatch answer and every query answer are stored, whatever they were, because a dispute months later
is settled by what the channel said at the time, not by what our order row says now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import msgspec

from cardbin.redact import redact
from payout_core.dispatch.outcome import Outcome, Succeeded

ExchangeKind = Literal["dispatch", "resend", "query"]


class Exchange(msgspec.Struct, frozen=True, kw_only=True):
    """One request to a channel and what came back (or did not), as sent over the wire."""

    kind: ExchangeKind
    url: str
    request_body: str
    http_status: int | None  # None: no HTTP answer at all (timeout, connection refused)
    response_body: str | None
    transport_error: str | None
    sent_at: datetime
    received_at: datetime
    latency_ms: float


class Evidence(msgspec.Struct, frozen=True, kw_only=True):
    """An exchange stored with its order and the meaning we drew from it; bodies are masked before they get here."""

    order_id: int
    channel: str
    channel_order_no: str
    exchange: Exchange
    outcome: Outcome


def masked_exchange(exchange: Exchange, *, keep: Sequence[str]) -> Exchange:
    """The exchange as it may be stored, logged or shown: every card, 身份证 and mobile number masked in the URL,
    the bodies and the error text, however it was spelt (cardbin.redact); `keep` (our order numbers: a merchant's
    may be all digits) stays whole."""

    def clean(text: str) -> str:
        return redact(text, keep=keep)

    return msgspec.structs.replace(
        exchange,
        url=clean(exchange.url),
        request_body=clean(exchange.request_body),
        response_body=None if exchange.response_body is None else clean(exchange.response_body),
        transport_error=None if exchange.transport_error is None else clean(exchange.transport_error),
    )


def masked_outcome(outcome: Outcome, *, keep: Sequence[str]) -> Outcome:
    """The outcome with its reason (the channel's own message, or why an answer did not count) masked as the
    exchange is: the reason goes into evidence, the order's row, items and alerts."""
    if isinstance(outcome, Succeeded):
        return outcome
    return msgspec.structs.replace(outcome, reason=redact(outcome.reason, keep=keep))
