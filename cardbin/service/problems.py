"""RFC 9457 problem+json answers for every error, so no framework error body (which may echo input) escapes.

Each problem has a stable `type` (`urn:cardbin:problem:<slug>`), the field and the rule broken. Text that did
not come from cardbin's own errors is scrubbed of anything that looks like a card number first.
"""

from __future__ import annotations

import logging
import re
import traceback
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from cardbin.cnaps import CNAPS_LENGTH
from cardbin.errors import CardbinError, InvalidCnapsCode, InvalidInput, NotFound, UnknownBranch
from cardbin.pan import mask
from cardbin.service.wire import Problem, error_problem_kind, problem_type

log = logging.getLogger("cardbin.service")

MEDIA_TYPE = "application/problem+json"

# 12+ digits, possibly split by the separators people type: a card number in free text.
_PAN_LIKE = re.compile(r"\d(?:[ \-\u3000]?\d){11,}")


def scrub(text: str) -> str:
    """Free text with every card-number-like run masked; for messages cardbin did not write itself."""
    return _PAN_LIKE.sub(lambda m: mask(m.group()), text)


def _shown(exc: InvalidInput | NotFound) -> str:
    """A 12-digit value where a 联行号 was expected is shown as sent: it is the caller's CNAPS code."""
    value = exc.value
    is_cnaps = isinstance(exc, InvalidCnapsCode | UnknownBranch) and len(value) == CNAPS_LENGTH and value.isdigit()
    return value if is_cnaps else scrub(value)


def from_error(exc: CardbinError, field: str | None = None) -> Problem:
    """The problem a cardbin error stands for, naming the field (or `field`, e.g. an item of a batch)."""
    slug, status = error_problem_kind(exc)
    title = HTTPStatus(status).phrase
    if not isinstance(exc, InvalidInput | NotFound):
        reason = scrub(str(exc))
        return Problem(type=problem_type(slug), title=title, status=status, detail=reason, field=field, reason=reason)
    # Raisers mask card numbers already; scrubbing again costs little and catches a PAN typed into another field.
    name = field or exc.field
    value = _shown(exc)
    reason = scrub(exc.rule if isinstance(exc, InvalidInput) else exc.what)
    return Problem(
        type=problem_type(slug),
        title=title,
        status=status,
        detail=f"{name}={value!r}: {reason}",
        field=name,
        value=value,
        reason=reason,
    )


def response(problem: Problem, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _simple(slug: str, status: int, detail: str, request: Request[Any, Any, Any], **extra: str) -> Problem:
    return Problem(
        type=problem_type(slug),
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=scrub(request.url.path),
        **extra,
    )


def _on_cardbin_error(request: Request[Any, Any, Any], exc: CardbinError) -> Response[bytes]:
    return response(msgspec.structs.replace(from_error(exc), instance=scrub(request.url.path)))


_MISSING = re.compile(r"missing required field `([^`]+)`")


def _field_of(error: dict[str, Any]) -> str:
    """Litestar names a body error `data` (the handler's argument); the client knows it as the body or a field."""
    key = str(error.get("key") or "")
    if key in ("", "data"):
        missing = _MISSING.search(str(error.get("message") or ""))
        return missing.group(1) if missing else "body"
    return key


def _on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    """Malformed request (bad JSON, wrong type, missing field, out-of-range parameter) → 422, not Litestar's 400.

    Litestar's messages can quote the input, so only the field name and a scrubbed reason are kept.
    """
    extra = exc.extra if isinstance(exc.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    field = _field_of(first)
    message = str(first.get("message") or exc.detail or "malformed request")
    reason = "a JSON body is required" if message == "'data'" else scrub(message)  # Litestar's KeyError text
    return response(_simple("malformed-request", 422, f"{field}: {reason}", request, field=field, reason=reason))


_HTTP_SLUGS = {
    401: "unauthorized",
    403: "forbidden",
    404: "no-such-route",
    405: "method-not-allowed",
    413: "request-too-large",
    503: "not-ready",
}


def _on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if status >= 500:
        return _on_unexpected(request, exc)
    if status == 400:  # unparsable JSON and the like: malformed input, answered like any validation error
        return _on_validation(request, ValidationException(detail=exc.detail))
    slug = _HTTP_SLUGS.get(status, "bad-request")
    reason = scrub(str(exc.detail or HTTPStatus(status).phrase))
    headers = dict(exc.headers or {})
    return response(_simple(slug, status, reason, request, reason=reason), headers=headers or None)


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """A bug: logged with its stack (message scrubbed), answered without any detail of the input."""
    stack = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unexpected %s on %s: %s\n%s", type(exc).__name__, scrub(request.url.path), scrub(str(exc)), stack)
    return response(_simple("internal", 500, "internal error; the request may be retried", request))


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    CardbinError: _on_cardbin_error,
    ValidationException: _on_validation,
    HTTPException: _on_http,
    Exception: _on_unexpected,
}
