"""RFC 9457 problem+json answers for every error, so no framework error body (which may echo input) escapes.

Each problem has a stable `type` (`urn:cardbin:problem:<slug>`), the field and the rule broken. The problem is
chosen by the exception's type and Litestar's structured error fields, never by parsing message text; every
value and path echoed back passes through `cardbin.redact.redact` first.

Litestar's ProblemDetailsPlugin maps exception types to problems too, but answers an untyped dict: these
handlers answer the `Problem` Struct the OpenAPI document and the client share.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import ClientException, HTTPException, InternalServerException, ValidationException

from cardbin.cnaps import CNAPS_LENGTH
from cardbin.errors import CardbinError, InvalidCnapsCode, InvalidInput, NotFound, UnknownBranch
from cardbin.redact import redact
from cardbin.service.wire import PROBLEM_TYPES, Problem, error_problem_kind, problem_type

log = logging.getLogger("cardbin.service")

MEDIA_TYPE = "application/problem+json"
# Where the edge records that the body never came: "disconnect" or "timeout" (see cardbin.service.edge).
INTERRUPTED = "cardbin.interrupted"
_BODY_PARAMETER = "data"  # the handlers' body argument: to a client that is the body as a whole


def _shown(exc: InvalidInput | NotFound) -> str:
    """A 12-digit value where a 联行号 was expected is shown as sent: it is the caller's CNAPS code."""
    value = exc.value
    is_cnaps = isinstance(exc, InvalidCnapsCode | UnknownBranch) and len(value) == CNAPS_LENGTH and value.isdigit()
    return value if is_cnaps else redact(value, keep_cnaps=False)


def from_error(exc: CardbinError, field: str | None = None) -> Problem:
    """The problem a cardbin error stands for, naming the field (or `field`, e.g. an item of a batch)."""
    slug, status = error_problem_kind(exc)
    title = HTTPStatus(status).phrase
    if not isinstance(exc, InvalidInput | NotFound):
        reason = redact(str(exc))
        return Problem(type=problem_type(slug), title=title, status=status, detail=reason, field=field, reason=reason)
    # Raisers mask card numbers already; masking again costs little and catches a PAN typed into another field.
    name = field or exc.field
    value = _shown(exc)
    reason = redact(exc.rule if isinstance(exc, InvalidInput) else exc.what)
    return Problem(
        type=problem_type(slug),
        title=title,
        status=status,
        detail=f"{name}={value!r}: {reason}",
        field=name,
        value=value,
        reason=reason,
    )


def encode(problem: Problem) -> bytes:
    return msgspec.json.encode(problem)


def response(problem: Problem, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(content=encode(problem), status_code=problem.status, media_type=MEDIA_TYPE, headers=headers)


def simple(slug: str, detail: str, path: str, **extra: str) -> Problem:
    """A problem without a cardbin error behind it; `detail` and `path` are masked here."""
    status = PROBLEM_TYPES[slug][0]
    return Problem(
        type=problem_type(slug),
        title=HTTPStatus(status).phrase,
        status=status,
        detail=redact(detail),
        instance=redact(path),
        **{k: redact(v) for k, v in extra.items()},
    )


def _on_cardbin_error(request: Request[Any, Any, Any], exc: CardbinError) -> Response[bytes]:
    return response(msgspec.structs.replace(from_error(exc), instance=redact(request.url.path)))


def _malformed(request: Request[Any, Any, Any], field: str, reason: str) -> Response[bytes]:
    return response(simple("malformed-request", f"{field}: {reason}", request.url.path, field=field, reason=reason))


def _on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    """A body or parameter that does not fit the operation's types → 422 naming the field Litestar reports.

    Litestar's `extra` carries the failing `key` and the decoder's message; the message is the reason, masked.
    """
    errors = exc.extra if isinstance(exc.extra, list) else []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    key = str(first.get("key") or _BODY_PARAMETER)
    if key == _BODY_PARAMETER and request.headers.get("content-length") == "0":
        return _malformed(request, "body", "a JSON body is required")
    field = "body" if key == _BODY_PARAMETER else key
    return _malformed(request, field, str(first.get("message") or exc.detail or "does not match the schema"))


def _on_recursion(request: Request[Any, Any, Any], exc: RecursionError) -> Response[bytes]:
    """Deeply nested JSON exhausts the decoder's recursion (the body is the only input nested that deep)."""
    return _malformed(request, "body", "JSON is nested too deeply")


_HTTP_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "no-such-route",
    405: "method-not-allowed",
    413: "request-too-large",
    415: "unsupported-media-type",
    503: "not-ready",
}


def _on_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    interrupted = request.scope.get(INTERRUPTED) if isinstance(exc, InternalServerException) else None
    if interrupted == "timeout":
        timeout = simple("request-timeout", "the request body did not arrive in time", request.url.path)
        return response(timeout, headers={"connection": "close"})
    if interrupted == "disconnect":
        log.debug("client went away before the request body was read")  # nobody is left to answer
        return response(simple("bad-request", "client disconnected", request.url.path))
    if status >= 500 and status != 503:
        return _on_unexpected(request, exc)
    if isinstance(exc, ClientException) and status == 400:  # unparsable JSON: the decoder's message says where
        return _malformed(request, "body", str(exc.detail or "is not valid JSON"))
    slug = _HTTP_SLUGS.get(status, "bad-request")
    reason = str(exc.detail or HTTPStatus(status).phrase)
    headers = dict(exc.headers or {})
    return response(simple(slug, reason, request.url.path, reason=reason), headers=headers or None)


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """A bug: logged with its stack (masked by cardbin.service.logs), answered without any detail of the input."""
    log.error("unexpected %s on %s", type(exc).__name__, request.url.path, exc_info=exc)
    return response(simple("internal", "internal error; the request may be retried", request.url.path))


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    CardbinError: _on_cardbin_error,
    ValidationException: _on_validation,
    RecursionError: _on_recursion,
    HTTPException: _on_http,
    Exception: _on_unexpected,
}
