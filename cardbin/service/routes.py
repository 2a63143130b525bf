"""The route handlers. Each reads `served.current` once, so one request is answered by one release."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Router, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from cardbin.errors import BatchTooLarge, CardbinError
from cardbin.model import Bank, BinRecord, Branch, CardInfo, City
from cardbin.service.auth import NO_KEY
from cardbin.service.problems import MEDIA_TYPE, from_error
from cardbin.service.releases import ServedRelease
from cardbin.service.wire import (
    MAX_BATCH,
    BatchItem,
    BatchRequest,
    BatchResponse,
    Health,
    LookupRequest,
    Problem,
    Releases,
)


def _problems(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(data_container=Problem, description="RFC 9457 problem details", media_type=MEDIA_TYPE)
        for status in (*statuses, 401, 403)
    }


def build_routes(served: ServedRelease) -> list[HTTPRouteHandler | Router]:
    """Handlers close over `served` rather than using dependency injection: it is the hot path."""

    @post("/cards/lookup", status_code=200, responses=_problems(404, 413, 422))
    async def lookup(data: JSONBody[LookupRequest]) -> CardInfo:
        """Bank, card type, region and 联行号 of one card number (sent in the body, never in the URL)."""
        return served.current.lookup(data.card_number)

    @post(
        "/cards/batch",
        status_code=200,
        responses=_problems(413, 422),
        description=f"Up to {MAX_BATCH} card numbers; one result or one problem per item, in request order.",
    )
    async def batch(data: JSONBody[BatchRequest]) -> BatchResponse:
        """Many lookups answered by one release; a bad item gets its own problem, the rest still resolve."""
        count = len(data.card_numbers)
        if count > MAX_BATCH:
            raise BatchTooLarge("card_numbers", f"{count} items", f"at most {MAX_BATCH} card numbers per request")
        resolver = served.current
        items = []
        for i, number in enumerate(data.card_numbers):
            try:
                items.append(BatchItem(result=resolver.lookup(number)))
            except CardbinError as exc:
                items.append(BatchItem(error=from_error(exc, field=f"card_numbers[{i}]")))
        return BatchResponse(release=resolver.release, items=items)

    @get("/bins/{prefix:str}", responses=_problems(404, 422))
    async def bins(prefix: FromPath[str]) -> list[BinRecord]:
        """BIN rows matching a 6–10 digit card prefix."""
        return served.current.lookup_bin(prefix)

    @get("/branches", responses=_problems(422))
    async def branches(
        bank: FromQuery[str | None] = None,
        city: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
    ) -> list[Branch]:
        """Search CNAPS participants by bank (code or name), city (code or name) and words of the name."""
        return served.current.branches(bank=bank, city=city, q=q, limit=limit)

    @get("/branches/{cnaps_code:str}", responses=_problems(404, 422))
    async def branch(cnaps_code: FromPath[str]) -> Branch:
        return served.current.branch(cnaps_code)

    @get("/banks", responses=_problems())
    async def banks() -> list[Bank]:
        return served.current.banks()

    @get("/cities", responses=_problems())
    async def cities() -> list[City]:
        return served.current.cities()

    @get("/releases", responses=_problems(503), sync_to_thread=True)
    def releases() -> Releases:
        """Releases in the store, the active one marked, and the one this process serves."""
        return served.releases()

    @get("/healthz", opt={NO_KEY: True}, responses=_problems())
    async def healthz() -> Health:
        """The process is up (no data needed)."""
        return Health(status="ok")

    @get("/readyz", opt={NO_KEY: True}, responses=_problems())
    async def readyz() -> Health:
        """A release is loaded and answering."""
        return Health(status="ready", release=served.current.release)

    v1: list[Any] = [lookup, batch, bins, branches, branch, banks, cities, releases]
    return [Router(path="/v1", route_handlers=v1), healthz, readyz]
