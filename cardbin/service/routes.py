"""The route handlers. Each reads `served.current` once, so one request is answered by one release."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any

import msgspec
from litestar import Router, get, post
from litestar.exceptions import ServiceUnavailableException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import JSONBody, Parameter

from cardbin.errors import BatchTooLarge, CardbinError
from cardbin.model import CNAPS_PATTERN, Bank, BinRecord, Branch, CardInfo, City
from cardbin.pan import PREFIX_MAX_LENGTH, PREFIX_MIN_LENGTH
from cardbin.service.auth import NO_KEY
from cardbin.service.problems import MEDIA_TYPE, from_error
from cardbin.service.releases import ServedRelease, SourceUnreadable
from cardbin.service.wire import (
    MAX_BATCH,
    PROBLEM_TYPES,
    BatchItem,
    BatchRequest,
    BatchResponse,
    Health,
    LookupRequest,
    Problem,
    Releases,
    problem_type,
)

# The problem types each status may carry, shown as examples of that response in the OpenAPI document.
_SLUGS_BY_STATUS: dict[int, list[str]] = {}
for _slug, (_status, _) in PROBLEM_TYPES.items():
    _SLUGS_BY_STATUS.setdefault(_status, []).append(_slug)
_ABOUT_A_CARD = {"invalid-card-number", "unknown-bin"}


def _example(slug: str) -> Example:
    """A realistic body of each problem type (a masked card number where the type names one)."""
    status, meaning = PROBLEM_TYPES[slug]
    named = {"field": "card_number", "value": "622202*********0128"} if slug in _ABOUT_A_CARD else {}
    problem = Problem(type=problem_type(slug), title=HTTPStatus(status).phrase, status=status, detail=meaning, **named)
    return Example(summary=slug, value=msgspec.to_builtins(problem))


def _problems(*statuses: int, key: bool = True) -> dict[int, ResponseSpec]:
    """Problem responses of an operation: the statuses it may answer, plus 401/403 (access control) and 415/500."""
    extra = (401, 403) if key else (403,)
    return {
        status: ResponseSpec(
            data_container=Problem,
            description="RFC 9457 problem details: "
            + "; ".join(f"`{slug}`: {PROBLEM_TYPES[slug][1]}" for slug in _SLUGS_BY_STATUS[status]),
            media_type=MEDIA_TYPE,
            generate_examples=False,
            examples=[_example(slug) for slug in _SLUGS_BY_STATUS[status]],
        )
        for status in sorted({*statuses, *extra})
    }


_PREFIX = Parameter(
    description=f"A card prefix of {PREFIX_MIN_LENGTH}–{PREFIX_MAX_LENGTH} digits (never a full card number).",
    examples=[Example(value="62220212")],
    schema_extra={
        "pattern": f"^[0-9]{{{PREFIX_MIN_LENGTH},{PREFIX_MAX_LENGTH}}}$",
        "minLength": PREFIX_MIN_LENGTH,
        "maxLength": PREFIX_MAX_LENGTH,
    },
)
_CNAPS = Parameter(
    description="A 12-digit 联行号 (CNAPS code) with a valid check digit.",
    examples=[Example(value="102100000021")],
    schema_extra={"pattern": CNAPS_PATTERN, "minLength": 12, "maxLength": 12},
)


def build_routes(served: ServedRelease) -> list[HTTPRouteHandler | Router]:
    """Handlers close over `served` rather than using dependency injection: it is the hot path."""

    @post("/cards/lookup", status_code=200, responses=_problems(400, 404, 413, 415, 422, 500))
    async def lookup(data: JSONBody[LookupRequest]) -> CardInfo:
        """Bank, card type, region and 联行号 of one card number (sent in the body, never in the URL).

        For many cards use /v1/cards/batch: one request for up to 1,000 cards costs far less than 1,000 requests.
        """
        return served.current.lookup(data.card_number)

    @post("/cards/batch", status_code=200, responses=_problems(400, 413, 415, 422, 500))
    async def batch(data: JSONBody[BatchRequest]) -> BatchResponse:
        """Up to 1,000 card numbers answered by one release; a bad item gets its own problem, the rest resolve."""
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

    @get("/bins/{prefix:str}", responses=_problems(400, 404, 422, 500))
    async def bins(prefix: Annotated[str, _PREFIX]) -> list[BinRecord]:
        """BIN rows matching a card prefix, longest BIN first."""
        return served.current.lookup_bin(prefix)

    @get("/branches", responses=_problems(400, 422, 500))
    async def branches(
        bank: Annotated[
            str | None,
            Parameter(description="Bank code (ICBC) or name (工商银行).", examples=[Example(value="ICBC")]),
        ] = None,
        city: Annotated[
            str | None,
            Parameter(description="City code (1000) or name (北京).", examples=[Example(value="北京")]),
        ] = None,
        q: Annotated[
            str | None,
            Parameter(description="Words that must all appear in the branch name.", examples=[Example(value="新华")]),
        ] = None,
        limit: Annotated[int, Parameter(ge=1, le=200, description="At most this many branches.")] = 20,
    ) -> list[Branch]:
        """Search CNAPS participants by bank (code or name), city (code or name) and words of the name."""
        return served.current.branches(bank=bank, city=city, q=q, limit=limit)

    @get("/branches/{cnaps_code:str}", responses=_problems(400, 404, 422, 500))
    async def branch(cnaps_code: Annotated[str, _CNAPS]) -> Branch:
        """One CNAPS participant by its 联行号."""
        return served.current.branch(cnaps_code)

    @get("/banks", responses=_problems(500))
    async def banks() -> list[Bank]:
        """The bank directory: codes, names, aliases, head-office 联行号."""
        return served.current.banks()

    @get("/cities", responses=_problems(500))
    async def cities() -> list[City]:
        """UnionPay city codes with their city and province."""
        return served.current.cities()

    @get("/releases", responses=_problems(500, 503))
    async def releases() -> Releases:
        """Releases in the store, the active one marked, and the one this process serves (read from memory)."""
        try:
            return served.releases()
        except SourceUnreadable as exc:
            raise ServiceUnavailableException(detail=str(exc)) from None

    @get("/healthz", opt={NO_KEY: True}, responses=_problems(500, key=False), security=[])
    async def healthz() -> Health:
        """The process is up (no data needed)."""
        return Health(status="ok")

    @get("/readyz", opt={NO_KEY: True}, responses=_problems(500, 503, key=False), security=[])
    async def readyz() -> Health:
        """A release is loaded and its source can be read; 503 `not-ready` says why not."""
        readiness = served.readiness()
        if readiness.problem is not None:
            raise ServiceUnavailableException(detail=readiness.problem)
        return Health(status="ready", release=readiness.release)

    v1: list[Any] = [lookup, batch, bins, branches, branch, banks, cities, releases]
    return [Router(path="/v1", route_handlers=v1), healthz, readyz]
