"""The channel adapter protocol, and the one place that talks HTTP to a channel.

An adapter only translates: a payout into a request, the bytes of an answer into a ChannelAnswer (what it says,
not yet believed). Sending lives here, once, so that no adapter can switch on transport retries (a retried POST is
a second payout) or forget a timeout; whether an answer counts and what it means is decided in one place for every
channel (`answer.AnswerReader`), so no adapter can skip the order-number or signature check.
"""

from __future__ import annotations

import time
from typing import Protocol

import httpx
import msgspec

from payout_core.dispatch.answer import AnswerReader, ChannelAnswer, Expected
from payout_core.dispatch.evidence import Exchange, ExchangeKind
from payout_core.dispatch.outcome import Outcome
from payout_core.recipient import Recipient
from payout_core.store import Clock, utcnow


class Payout(msgspec.Struct, frozen=True, kw_only=True):
    """What an adapter needs to build a dispatch: the channel order number is fixed once and reused on resend."""

    order_id: int
    channel_order_no: str
    recipient: Recipient


class ChannelRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A fully built HTTP request; kept whole so a resend is byte-for-byte the same request."""

    url: str
    body: bytes
    headers: dict[str, str] = msgspec.field(default_factory=dict)


class ChannelAdapter(Protocol):
    """One per channel account: builds requests and reads the fields of answers; it decides nothing."""

    @property
    def name(self) -> str: ...

    def dispatch_request(self, payout: Payout) -> ChannelRequest: ...

    def query_request(self, channel_order_no: str) -> ChannelRequest: ...

    def parse(self, status: int, body: bytes) -> ChannelAnswer:
        """The fields of an answer as the channel sent them (amount in fen); raise anything for what it cannot read
        (the answer then counts as unreadable, and the order stays in progress)."""
        ...


DEFAULT_TIMEOUT = httpx.Timeout(connect=2.0, read=10.0, write=5.0, pool=2.0)


def new_client(timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> httpx.Client:
    """An httpx client fit for payouts: no transport retries, explicit timeouts, no redirects followed."""
    return httpx.Client(transport=httpx.HTTPTransport(retries=0), timeout=timeout, follow_redirects=False)


def _as_text(raw: bytes) -> str:
    """Bytes as storable text that still shows exactly what came: invalid UTF-8 and NUL as \\xNN escapes."""
    return raw.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")


def call(
    client: httpx.Client,
    adapter: ChannelAdapter,
    kind: ExchangeKind,
    request: ChannelRequest,
    *,
    reader: AnswerReader,
    expected: Expected,
    clock: Clock = utcnow,
) -> tuple[Exchange, Outcome]:
    """POST once, record what happened and read it; a transport failure is an answer too (Pending), never raised."""
    sent_at = clock()
    start = time.perf_counter()
    status: int | None = None
    raw: bytes | None = None
    error: str | None = None
    try:
        response = client.post(request.url, content=request.body, headers=request.headers)
        status, raw = response.status_code, response.content
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    latency_ms = (time.perf_counter() - start) * 1000
    ex = Exchange(
        kind=kind,
        url=request.url,
        request_body=_as_text(request.body),
        http_status=status,
        response_body=None if raw is None else _as_text(raw),
        transport_error=error,
        sent_at=sent_at,
        received_at=clock(),
        latency_ms=latency_ms,
    )
    return ex, reader.read(adapter.parse, status, raw, error, expected)
