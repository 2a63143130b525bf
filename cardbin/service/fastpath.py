"""POST /v1/cards/lookup answered beside the framework when its answer is a plain 200.

A lookup is a few microseconds; Litestar's own work per request (connection, kwargs and signature models, the
response object) cost several times that, so even a bare Litestar handler returning a constant was faster than a real
lookup through the full route (issue 12). Here the body is decoded into the same `LookupRequest`, looked up in the
same served release and encoded into the same bytes the route answers. Anything else goes to the Litestar route
unchanged, with the body read so far replayed: a body over the size limit, a client gone or too slow, one that does not
decode or validate, a card number that does not resolve, any error at all. So every refusal (413, 415, 422, 404,
408, a client gone) is still the route's own, and so is access control: with API keys or an allowlist configured
there is no fast path (`create_app`).
"""

from __future__ import annotations

import msgspec

from cardbin.service.edge import Message, Receive, Send
from cardbin.service.releases import ServedRelease
from cardbin.service.wire import LookupRequest

_DECODER = msgspec.json.Decoder(LookupRequest)
_ENCODER = msgspec.json.Encoder()
_JSON = (b"content-type", b"application/json")


class LookupFastPath:
    PATH = "/v1/cards/lookup"

    def __init__(self, served: ServedRelease, max_body_bytes: int) -> None:
        self.served = served
        self.max_body_bytes = max_body_bytes

    def answer(self, body: bytes) -> bytes | None:
        """The 200 body for a lookup request body, or None when the route must answer it."""
        if len(body) > self.max_body_bytes:
            return None
        try:
            return _ENCODER.encode(self.served.current.lookup(_DECODER.decode(body).card_number))
        except Exception:  # whatever it is, the route answers it (and logs it) as it always does
            return None

    async def __call__(self, receive: Receive, send: Send) -> Receive | None:
        """Answers the request and returns None, or returns what the route must read instead of `receive`."""
        read: list[Message] = []
        size = 0
        while True:  # granian sends a body and then an empty last part; `receive` is bounded by the body deadline
            message = await receive()
            read.append(message)
            if message["type"] != "http.request":
                return _replay(read, receive)
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                return _replay(read, receive)
            if not message.get("more_body", False):
                break
        body = self.answer(b"".join(m.get("body", b"") for m in read))
        if body is None:
            return _replay(read, receive)
        headers = [_JSON, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return None


def _replay(read: list[Message], receive: Receive) -> Receive:
    """`receive` that hands out the messages already read again, in order, before reading on."""
    pending = read[::-1]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
