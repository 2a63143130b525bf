"""CardbinClient (sync) and AsyncCardbinClient: thin transports over `calls`, so both behave the same.

No automatic retries: a caller decides, knowing that lookups are read-only and safe to repeat.
"""

from __future__ import annotations

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

# A lookup answers in about a millisecond; waiting longer than this means the service is in trouble.
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


class _Connection(Generic[HttpT, TransportT]):
    """The constructor both clients share; each names its httpx client class (sync or async) in `_open`."""

    _open: Callable[..., HttpT]

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        api_key_header: str = "X-API-Key",
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: TransportT | None = None,
    ) -> None:
        headers = {api_key_header: api_key} if api_key else {}
        self._http = self._open(base_url=base_url, headers=headers, timeout=timeout, transport=transport)


class CardbinClient(_Connection[httpx.Client, httpx.BaseTransport]):
    """Sync client; reuse one instance (it keeps a connection pool). Use as a context manager or close()."""

    _open = httpx.Client

    def _run(self, call: calls.Call[T]) -> T:
        with call.transport_errors():
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


class AsyncCardbinClient(_Connection[httpx.AsyncClient, httpx.AsyncBaseTransport]):
    """The same methods as CardbinClient, awaitable."""

    _open = httpx.AsyncClient

    async def _run(self, call: calls.Call[T]) -> T:
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
