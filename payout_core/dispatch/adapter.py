"""The channel adapter protocol, and the one place that talks HTTP to a channel.

An adapter only translates: a payout into a request, an answer into an Outcome. Sending lives here, once, so
that no adapter can switch on transport retries (a retried POST is a second payout) or forget a timeout.
"""

from __future__ import annotations

import time
from typing import Protocol

import httpx
import msgspec

from payout_core.channels import Outcomes
from payout_core.dispatch.evidence import Exchange, ExchangeKind
from payout_core.dispatch.outcome import Outcome, Pending
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
    """One per channel: builds requests and reads answers under the channel's outcome rules."""

    @property
    def name(self) -> str: ...

    @property
    def rules(self) -> Outcomes: ...

    def dispatch_request(self, payout: Payout) -> ChannelRequest: ...

    def query_request(self, channel_order_no: str) -> ChannelRequest: ...

    def parse(self, status: int, body: bytes) -> Outcome:
        """An HTTP answer read as an Outcome; must return Pending, never raise, for anything it cannot read."""
        ...


DEFAULT_TIMEOUT = httpx.Timeout(connect=2.0, read=10.0, write=5.0, pool=2.0)


def new_client(timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> httpx.Client:
    """An httpx client fit for payouts: no transport retries, explicit timeouts, no redirects followed."""
    return httpx.Client(transport=httpx.HTTPTransport(retries=0), timeout=timeout, follow_redirects=False)


def _as_text(raw: bytes) -> str:
    """Bytes as storable text that still shows exactly what came: invalid UTF-8 and NUL as \\xNN escapes."""
    return raw.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")


def call(
    client: httpx.Client, adapter: ChannelAdapter, kind: ExchangeKind, request: ChannelRequest, clock: Clock = utcnow
) -> tuple[Exchange, Outcome]:
    """POST once, record what happened and read it; a transport failure is an answer too (Pending), never raised.

    No HTTP answer or a 5xx is Pending; the adapter reads the raw bytes of everything else.
    """
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
    if status is None or raw is None:
        return ex, Pending(reason=f"no answer from the channel: {error}")
    if status >= 500:
        return ex, Pending(reason=f"channel answered HTTP {status}")
    try:
        return ex, adapter.parse(status, raw)
    except Exception as exc:  # an adapter bug must not lose the evidence, nor read as an answer
        return ex, Pending(reason=f"answer could not be read ({type(exc).__name__}); kept as evidence")
