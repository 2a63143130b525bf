"""Request and response Structs of the HTTP API that are not already in `cardbin.model`.

Shared by the service (which encodes them) and the client (which decodes them), so both sides agree by
construction. No Litestar import here.
"""

from __future__ import annotations

import msgspec

from cardbin.errors import (
    BatchTooLarge,
    CardbinError,
    InvalidCardNumber,
    InvalidCnapsCode,
    InvalidInput,
    NotFound,
    UnknownBin,
    UnknownBranch,
)
from cardbin.model import CardInfo, ReleaseInfo

MAX_BATCH = 1_000

_PROBLEM_PREFIX = "urn:cardbin:problem:"

# cardbin's errors as problems: class, slug, HTTP status. Most specific first; the client maps slugs back.
ERROR_PROBLEMS: tuple[tuple[type[CardbinError], str, int], ...] = (
    (BatchTooLarge, "batch-too-large", 413),
    (InvalidCardNumber, "invalid-card-number", 422),
    (InvalidCnapsCode, "invalid-cnaps-code", 422),
    (InvalidInput, "invalid-input", 422),
    (UnknownBin, "unknown-bin", 404),
    (UnknownBranch, "unknown-branch", 404),
    (NotFound, "not-found", 404),
)


def problem_type(slug: str) -> str:
    return _PROBLEM_PREFIX + slug


def problem_slug(type_uri: str) -> str:
    return type_uri.removeprefix(_PROBLEM_PREFIX)


def error_problem_kind(exc: CardbinError) -> tuple[str, int]:
    """(slug, status) of a cardbin error; any other cardbin error is the service failing to answer (503)."""
    for cls, slug, status in ERROR_PROBLEMS:
        if isinstance(exc, cls):
            return slug, status
    return "unavailable", 503


class LookupRequest(msgspec.Struct, frozen=True, kw_only=True):
    """A card number travels in a body, never in a URL (URLs end up in access logs and proxies)."""

    card_number: str


class BatchRequest(msgspec.Struct, frozen=True, kw_only=True):
    # The 1,000 limit is checked by the handler, not by the type: too many items is 413, not 422.
    card_numbers: list[str]


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details, with the offending field and the rule it broke.

    `value` is only ever a masked card number or a short non-PAN value.
    """

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    value: str | None = None
    reason: str | None = None
    instance: str | None = None


class BatchItem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Exactly one of `result` / `error` is set; items keep the order of the request."""

    result: CardInfo | None = None
    error: Problem | None = None


class BatchResponse(msgspec.Struct, frozen=True, kw_only=True):
    """The whole batch is answered by one release, named once here and in every result."""

    release: str
    items: list[BatchItem]


class Releases(msgspec.Struct, frozen=True, kw_only=True):
    """`serving` is what this process answers with; it trails the store's active release by < 1 s."""

    serving: str
    releases: list[ReleaseInfo]


class Health(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    status: str
    release: str | None = None
