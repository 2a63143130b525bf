"""CardbinClient (sync) and AsyncCardbinClient: thin transports over `calls`, so both behave the same.

No automatic retries: a caller decides, knowing that lookups are read-only and safe to repeat.

At most `max_connections` requests are in flight per client; more wait their turn (without a deadline) rather than
fail, so a burst of 10,000 `lookup` calls completes. For fan-out, `batch` is far cheaper: up to 1,000 cards in
one request, one release for all of them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, Self, TypeVar

import httpx

from cardbin.client import calls
from cardbin.model import Bank, BinRecord, Branch, CardInfo, City
from cardbin.service.wire import BatchResponse, Health, Releases

T = TypeVar("T")
HttpT = TypeVar("HttpT", bound=httpx.Client | httpx.AsyncClient)
TransportT = TypeVar("TransportT", bound=httpx.BaseTransport | httpx.AsyncBaseTransport)
SlotsT = TypeVar("SlotsT", bound=threading.BoundedSemaphore | asyncio.BoundedSemaphore)

# A lookup answers in about a millisecond; waiting longer than this means the service is in trouble. No pool
# timeout: the client's own bound (`max_connections`) already makes a request wait for a free connection.
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0, pool=None)
MAX_CONNECTIONS = 64


class _Connection(Generic[HttpT, TransportT, SlotsT]):
    """The constructor both clients share; each names its httpx client class (sync or async) in `_open` and the
    semaphore that bounds its requests in flight in `_bound`."""

    _open: Callable[..., HttpT]
    _bound: Callable[[int], SlotsT]

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        api_key_header: str = "X-API-Key",
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        max_keepalive_connections: int | None = None,
        transport: TransportT | None = None,
    ) -> None:
        """`timeout` applies per request once it is sent; `max_connections` bounds requests in flight (the rest
        wait); `max_keepalive_connections` (default: all of them) are kept open between requests."""
        if max_connections < 1:
            raise ValueError(f"max_connections={max_connections}: must be at least 1")
        headers = {api_key_header: api_key} if api_key else {}
        keepalive = max_connections if max_keepalive_connections is None else max_keepalive_connections
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=keepalive)
        self._slots = self._bound(max_connections)
        self._http = self._open(base_url=base_url, headers=headers, timeout=timeout, limits=limits, transport=transport)


class CardbinClient(_Connection[httpx.Client, httpx.BaseTransport, threading.BoundedSemaphore]):
    """Sync client; reuse one instance (it keeps a connection pool). Use as a context manager or close()."""

    _open = httpx.Client
    _bound = threading.BoundedSemaphore

    def _run(self, call: calls.Call[T]) -> T:
        with self._slots, call.transport_errors():
            response = self._http.send(call.request(self._http))
        return call.decode(response)

    def lookup(self, card_number: str) -> CardInfo:
        return self._run(calls.lookup(card_number))

    def batch(self, card_numbers: list[str]) -> BatchResponse:
        return self._run(calls.batch(card_numbers))

    def lookup_bin(self, prefix: str) -> list[BinRecord]:
        return self._run(calls.lookup_bin(prefix))

    def branches(
        self, bank: str | None = None, city: str | None = None, q: str | None = None, limit: int = 20
    ) -> list[Branch]:
        return self._run(calls.branches(bank, city, q, limit))

    def branch(self, cnaps_code: str) -> Branch:
        return self._run(calls.branch(cnaps_code))

    def banks(self) -> list[Bank]:
        return self._run(calls.banks())

    def cities(self) -> list[City]:
        return self._run(calls.cities())

    def releases(self) -> Releases:
        return self._run(calls.releases())

    def ready(self) -> Health:
        return self._run(calls.ready())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


class AsyncCardbinClient(_Connection[httpx.AsyncClient, httpx.AsyncBaseTransport, asyncio.BoundedSemaphore]):
    """The same methods as CardbinClient, awaitable."""

    _open = httpx.AsyncClient
    _bound = asyncio.BoundedSemaphore  # binds to the caller's event loop on first use

    async def _run(self, call: calls.Call[T]) -> T:
        async with self._slots:
            with call.transport_errors():
                response = await self._http.send(call.request(self._http))
        return call.decode(response)

    async def lookup(self, card_number: str) -> CardInfo:
        return await self._run(calls.lookup(card_number))

    async def batch(self, card_numbers: list[str]) -> BatchResponse:
        return await self._run(calls.batch(card_numbers))

    async def lookup_bin(self, prefix: str) -> list[BinRecord]:
        return await self._run(calls.lookup_bin(prefix))

    async def branches(
        self, bank: str | None = None, city: str | None = None, q: str | None = None, limit: int = 20
    ) -> list[Branch]:
        return await self._run(calls.branches(bank, city, q, limit))

    async def branch(self, cnaps_code: str) -> Branch:
        return await self._run(calls.branch(cnaps_code))

    async def banks(self) -> list[Bank]:
        return await self._run(calls.banks())

    async def cities(self) -> list[City]:
        return await self._run(calls.cities())

    async def releases(self) -> Releases:
        return await self._run(calls.releases())

    async def ready(self) -> Health:
        return await self._run(calls.ready())

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.aclose()
