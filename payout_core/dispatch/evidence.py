"""Evidence: every channel exchange kept as operations staff will need to see it, with the card number masked.

The first dispatch answer and every query answer are stored, whatever they were, because a dispute months later
is settled by what the channel said at the time, not by what our order row says now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from cardbin.pan import mask
from payout_core.dispatch.outcome import Outcome

ExchangeKind = Literal["dispatch", "resend", "query"]


def mask_account(text: str, account_no: str) -> str:
    """`text` with the recipient's account number masked wherever it appears, as typed or as bare digits.

    Replacing the exact value (rather than every long digit run) keeps order numbers and amounts readable.
    """
    for form in {account_no, "".join(c for c in account_no if c.isdigit())}:
        if len(form) > 4:
            text = text.replace(form, mask(form))
    return text


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


def masked_exchange(exchange: Exchange, account_no: str) -> Exchange:
    """The exchange as it may be stored or shown: no full account number in any body or error text."""
    return msgspec.structs.replace(
        exchange,
        request_body=mask_account(exchange.request_body, account_no),
        response_body=None if exchange.response_body is None else mask_account(exchange.response_body, account_no),
        transport_error=None
        if exchange.transport_error is None
        else mask_account(exchange.transport_error, account_no),
    )
