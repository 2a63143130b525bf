"""The lookup fast path (cardbin.service.fastpath): the same bytes as the Litestar route for every answer, and every
answer but a plain 200 left to the route."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from cardbin.resolve.resolver import Resolver
from cardbin.service.app import ServiceSettings, create_app
from cardbin.service.auth import AccessPolicy
from cardbin.service.edge import ASGIApp, Edge
from tests.cardbin.harness import card, sample_release

ICBC = card("622202", 19)
RESOLVER = Resolver.from_release(sample_release("2026-10"))
Exchange = tuple[int, list[tuple[bytes, bytes]], bytes]


def _exchange(app: ASGIApp, parts: list[bytes], headers: list[tuple[bytes, bytes]] | None = None) -> Exchange:
    """One POST /v1/cards/lookup in-process, its body sent in `parts`; (status, headers, body) of the answer."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/v1/cards/lookup", "raw_path": b"/v1/cards/lookup", "query_string": b"", "root_path": "",
        "headers": headers or [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start, *bodies = sent
    return start["status"], list(start["headers"]), b"".join(m.get("body", b"") for m in bodies)


def _json(value: object) -> list[bytes]:
    return [msgspec.json.encode(value)]


CASES = {
    "plain": (_json({"card_number": ICBC}), 200),
    "spaced": (_json({"card_number": " ".join([ICBC[:4], ICBC[4:8], ICBC[8:]])}), 200),
    "full-width": (_json({"card_number": "".join(chr(ord(c) + 0xFEE0) for c in ICBC)}), 200),
    "luhn-invalid": (_json({"card_number": ICBC[:-1] + str((int(ICBC[-1]) + 1) % 10)}), 200),
    "unknown field": (_json({"card_number": ICBC, "note": "x"}), 200),
    "in two parts": ([b'{"card_number": "' + ICBC[:8].encode(), ICBC[8:].encode() + b'"}'], 200),
    "an empty last part": ([*_json({"card_number": ICBC}), b""], 200),  # as granian sends it
    "over the limit in parts": ([b'{"card_number": "' + ICBC.encode() + b'", "pad": "', b"0" * (1 << 20), b'"}'], 413),
    "unknown bin": (_json({"card_number": card("999999", 16)}), 404),
    "malformed": (_json({"card_number": "6222 0212 3456 7890 12x"}), 422),
    "a number": ([b'{"card_number": ' + ICBC.encode() + b"}"], 422),
    "missing field": (_json({}), 422),
    "not json": ([b'{"card_number": "' + ICBC.encode()], 422),
    "deep json": ([b'{"card_number": "' + ICBC.encode() + b'", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"], 422),
    "empty": ([b""], 422),
    "over the limit": (_json({"card_number": ICBC, "pad": "0" * (1 << 20)}), 413),
}


@pytest.mark.parametrize("case", CASES)
def test_the_fast_path_answers_what_the_route_answers(case: str) -> None:
    parts, status = CASES[case]
    served = create_app(resolver=RESOLVER)
    framework_calls = 0
    route = served.app

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        nonlocal framework_calls
        framework_calls += 1
        await route(scope, receive, send)

    served.app = counted
    fast = _exchange(served, parts)
    assert fast == _exchange(Edge(route), parts)  # the route alone, through the same edge
    assert fast[0] == status
    assert framework_calls == (0 if status == 200 else 1)


def test_with_access_control_every_lookup_goes_through_the_routes_guard() -> None:
    settings = ServiceSettings(access=AccessPolicy.build(keys=["k-1"]))
    app = create_app(settings, resolver=RESOLVER)
    assert _exchange(app, _json({"card_number": ICBC}))[0] == 401
    keyed = [(b"content-type", b"application/json"), (b"x-api-key", b"k-1")]
    assert _exchange(app, _json({"card_number": ICBC}), keyed)[0] == 200
