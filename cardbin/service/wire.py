"""Request and response Structs of the HTTP API that are not already in `cardbin.model`, and the problem types.

Shared by the service (which encodes them) and the client (which decodes them), so both sides agree by
construction. No Litestar import here. Field descriptions and examples feed the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated

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
from cardbin.model import CardInfo, ReleaseInfo, doc

MAX_BATCH = 1_000
# Digits as people type them: ASCII or full-width, with spaces or dashes between groups (dropped by the server).
CARD_NUMBER_PATTERN = r"^[0-9０-９][0-9０-９ \-－\u3000]{10,46}[0-9０-９]$"
CARD_NUMBER_MAX_LENGTH = 64

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

# Every problem type the service answers, with its status and meaning: published in the OpenAPI document.
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "invalid-card-number": (422, "The card number or BIN prefix is not 12–19 (prefix: 6–10) digits."),
    "invalid-cnaps-code": (422, "The 联行号 is not 12 digits or fails its ISO 7064 MOD 11,10 check digit."),
    "invalid-input": (422, "A parameter breaks a rule (e.g. an unknown bank or city name); `field` names it."),
    "malformed-request": (422, "The body is not the JSON the operation takes (syntax, type, missing field, depth)."),
    "batch-too-large": (413, f"A batch holds more than {MAX_BATCH} card numbers; split it."),
    "request-too-large": (413, "The body is larger than the service accepts (1 MiB)."),
    "request-timeout": (408, "The request body did not arrive within 10 s; the connection is closed."),
    "unsupported-media-type": (415, "A request body must be sent as `Content-Type: application/json`."),
    "unknown-bin": (404, "No BIN of the served release is a prefix of the card number."),
    "unknown-branch": (404, "No branch of the served release has this 联行号."),
    "not-found": (404, "The served release has no record for the key."),
    "no-such-route": (404, "No operation at this path."),
    "method-not-allowed": (405, "The path exists but does not take this method."),
    "unauthorized": (401, "The API key header is missing or holds an unknown key."),
    "forbidden": (403, "The client address is not in the service's allowlist."),
    "bad-request": (400, "The request could not be read as HTTP the service understands."),
    "not-ready": (503, "The release store cannot be read; lookups still answer from the last good release."),
    "unavailable": (503, "The service could not answer this time; the request may be retried."),
    "internal": (500, "A bug: the request may be retried; the service logged the details."),
}


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

    card_number: Annotated[
        str,
        msgspec.Meta(max_length=CARD_NUMBER_MAX_LENGTH),
        doc(
            "The full card number (PAN), 12–19 digits; spaces, dashes and full-width digits are accepted.",
            "6222 0212 3456 7890 128",
            pattern=CARD_NUMBER_PATTERN,
        ),
    ]


class BatchRequest(msgspec.Struct, frozen=True, kw_only=True):
    # The 1,000 limit is checked by the handler, not by the type: too many items is 413, not 422.
    card_numbers: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=CARD_NUMBER_MAX_LENGTH)]],
        doc(
            f"Up to {MAX_BATCH} card numbers, each written as `card_number` of a single lookup.",
            ["6222021234567890128", "6228480000000000003"],
        ),
    ]


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details, with the offending field and the rule it broke.

    `value` is only ever a masked card number or a short non-PAN value.
    """

    type: Annotated[
        str,
        doc("`urn:cardbin:problem:<slug>`; the API description lists every slug.", problem_type("invalid-card-number")),
    ]
    title: Annotated[str, doc("The HTTP status phrase.", "Unprocessable Entity")]
    status: Annotated[int, doc("The HTTP status code, repeated.", 422)]
    detail: Annotated[
        str, doc("What is wrong, for a person: field, value and rule.", "card_number='622202*****4567': has 15 digits")
    ]
    field: Annotated[str | None, doc("The offending field, parameter or batch item.", "card_numbers[3]")] = None
    value: Annotated[
        str | None, doc("The offending value; a card number is masked (first 6, last 4).", "622202*********0128")
    ] = None
    reason: Annotated[str | None, doc("The rule broken.", "has 15 digits; a card number has 12–19")] = None
    instance: Annotated[str | None, doc("The request path, card numbers masked.", "/v1/cards/lookup")] = None


class BatchItem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Exactly one of `result` / `error` is set; items keep the order of the request."""

    result: Annotated[CardInfo | None, doc("The lookup result, when the item resolved.")] = None
    error: Annotated[Problem | None, doc("Why the item did not resolve; `field` is `card_numbers[i]`.")] = None


class BatchResponse(msgspec.Struct, frozen=True, kw_only=True):
    """The whole batch is answered by one release, named once here and in every result."""

    release: Annotated[str, doc("The release (YYYY-MM) that answered every item.", "2026-11")]
    items: Annotated[list[BatchItem], doc("One item per card number, in request order.")]


class Releases(msgspec.Struct, frozen=True, kw_only=True):
    """`serving` is what this process answers with; it trails the store's active release by < 1 s."""

    serving: Annotated[str, doc("The release this process answers with.", "2026-11")]
    releases: Annotated[list[ReleaseInfo], doc("Every release in the store, oldest first; `active` marks one.")]


class Health(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    status: Annotated[str, doc("`ok` (process up) or `ready` (a release is loaded and answering).", "ready")]
    release: Annotated[str | None, doc("The release this process answers with.", "2026-11")] = None
