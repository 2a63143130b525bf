"""What each client method sends and how the answer is decoded: shared by the sync and async clients."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from cardbin import cnaps
from cardbin.errors import AccessDenied, CardbinError, InvalidCnapsCode, InvalidInput, NotFound, ServiceError
from cardbin.model import Bank, BinRecord, Branch, CardInfo, City
from cardbin.pan import mask, normalize_prefix
from cardbin.service.wire import (
    ERROR_PROBLEMS,
    BatchRequest,
    BatchResponse,
    Health,
    LookupRequest,
    Problem,
    Releases,
    problem_slug,
)

T = TypeVar("T")

_ERRORS_BY_SLUG = {slug: cls for cls, slug, _ in ERROR_PROBLEMS}
_JSON = {"content-type": "application/json"}


_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}
_decoders_lock = threading.Lock()


def _decoder(returns: Any) -> msgspec.json.Decoder[Any]:
    """One decoder per answer type, built once under a lock: threads sharing a client start at the same moment,
    and msgspec must not build one type's information in two threads at once (that crashed a process)."""
    found = _decoders.get(returns)
    if found is None:
        with _decoders_lock:
            found = _decoders.get(returns)
            if found is None:
                found = _decoders[returns] = msgspec.json.Decoder(returns)
    return found


@dataclass(frozen=True)
class Call(Generic[T]):
    method: str
    path: str  # already quoted; never holds a card number
    returns: type[T]
    body: bytes | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def request(self, client: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        headers = _JSON if self.body is not None else None
        return client.build_request(self.method, self.path, content=self.body, params=self.params, headers=headers)

    def decode(self, response: httpx.Response) -> T:
        if response.status_code != 200:
            raise problem_error(response, self.path)
        try:
            decoded: T = _decoder(self.returns).decode(response.content)
            return decoded
        except msgspec.DecodeError as exc:
            raise ServiceError(f"{self.method} {self.path}: unexpected response body ({exc})", 200) from None

    @contextmanager
    def transport_errors(self) -> Iterator[None]:
        """Around the send: a transport failure becomes a ServiceError naming only what failed.

        httpx's message may quote the URL; ours never holds a card number, but it is not repeated either.
        """
        try:
            yield
        except httpx.HTTPError as exc:
            raise ServiceError(f"{self.method} {self.path}: {type(exc).__name__}; the service did not answer") from None


def problem_error(response: httpx.Response, path: str) -> CardbinError:
    """The cardbin error a problem+json answer stands for; anything unreadable is a ServiceError."""
    status = response.status_code
    try:
        problem: Problem = _decoder(Problem).decode(response.content)
    except msgspec.DecodeError:
        return ServiceError(f"{path}: HTTP {status} without a problem body", status)
    slug = problem_slug(problem.type)
    cls = _ERRORS_BY_SLUG.get(slug)
    if cls is not None and issubclass(cls, InvalidInput | NotFound):
        return cls(problem.field or "", problem.value or "", problem.reason or problem.detail)
    if status in (401, 403):
        return AccessDenied(f"{path}: {problem.detail}", status, slug)
    if slug == "malformed-request":
        return InvalidInput(problem.field or "body", "", problem.reason or problem.detail)
    return ServiceError(f"{path}: HTTP {status} {slug}: {problem.detail}", status, slug)


def lookup(card_number: str) -> Call[CardInfo]:
    return Call("POST", "/v1/cards/lookup", CardInfo, msgspec.json.encode(LookupRequest(card_number=card_number)))


def batch(card_numbers: list[str]) -> Call[BatchResponse]:
    body = msgspec.json.encode(BatchRequest(card_numbers=list(card_numbers)))
    return Call("POST", "/v1/cards/batch", BatchResponse, body)


def lookup_bin(prefix: str) -> Call[list[BinRecord]]:
    # Checked here so that a full card number passed by mistake never reaches a URL.
    return Call("GET", f"/v1/bins/{normalize_prefix(prefix)}", list[BinRecord])


def branches(bank: str | None, city: str | None, q: str | None, limit: int) -> Call[list[Branch]]:
    params = {k: v for k, v in {"bank": bank, "city": city, "q": q}.items() if v is not None}
    return Call("GET", "/v1/branches", list[Branch], params={**params, "limit": limit})


def branch(cnaps_code: str) -> Call[Branch]:
    code = cnaps_code.strip()
    try:
        cnaps.validate(code)
    except InvalidCnapsCode as exc:  # cnaps.validate quotes the value: mask it unless it is 12 digits
        shown = code if len(code) == cnaps.CNAPS_LENGTH else mask(code)
        raise InvalidCnapsCode(exc.field, shown, exc.rule) from None
    return Call("GET", f"/v1/branches/{quote(code, safe='')}", Branch)


def banks() -> Call[list[Bank]]:
    return Call("GET", "/v1/banks", list[Bank])


def cities() -> Call[list[City]]:
    return Call("GET", "/v1/cities", list[City])


def releases() -> Call[Releases]:
    return Call("GET", "/v1/releases", Releases)


def ready() -> Call[Health]:
    return Call("GET", "/readyz", Health)
