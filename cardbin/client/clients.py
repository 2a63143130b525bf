"""CardbinClient (sync) and AsyncCardbinClient: thin transports over `calls`, so both behave the same.

No automatic retries: a caller decides, knowing that lookups are read-only and safe to repeat.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self, TypeVar

import httpx

from cardbin.client import calls
from cardbin.model import Bank, BinRecord, Branch, CardInfo, City
from cardbin.service.wire import BatchResponse, Health, Releases

T = TypeVar("T")

# A lookup answers in about a millisecond; waiting longer than this means the service is in trouble.
DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0)


def _headers(api_key: str | None, header: str) -> dict[str, str]:
    return {header: api_key} if api_key else {}


class CardbinClient:
    """Sync client; reuse one instance (it keeps a connection pool). Use as a context manager or close()."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        api_key_header: str = "X-API-Key",
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url, headers=_headers(api_key, api_key_header), timeout=timeout, transport=transport
        )

    def _run(self, call: calls.Call[T]) -> T:
        try:
            response = self._http.send(call.request(self._http))
        except httpx.HTTPError as exc:
            raise call.transport_error(exc) from None
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


class AsyncCardbinClient:
    """The same methods as CardbinClient, awaitable."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        api_key_header: str = "X-API-Key",
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=_headers(api_key, api_key_header), timeout=timeout, transport=transport
        )

    async def _run(self, call: calls.Call[T]) -> T:
        try:
            response = await self._http.send(call.request(self._http))
        except httpx.HTTPError as exc:
            raise call.transport_error(exc) from None
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
