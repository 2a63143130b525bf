"""The ASGI layer in front of Litestar: what holds for every request before routing, under any server.

- A body must be declared `application/json` (415 otherwise): a `text/plain` body is not guessed at.
- HEAD is answered for every GET route: routed as GET, the body dropped, the headers (Content-Length) kept.
- A body must arrive within BODY_TIMEOUT_S (408 otherwise), so slow senders cannot hold the worker's request
  slots; a client that goes away mid-body is marked in the scope, so the error Litestar raises for either is not
  logged as a bug (cardbin.service.problems).
- The access log: one line per request, card numbers masked, written in batches (see `AccessLog`).
"""

from __future__ import annotations

import asyncio
import os
import select
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from cardbin.redact import redact
from cardbin.service.problems import INTERRUPTED, MEDIA_TYPE, encode, simple

# Plain ASGI types: this layer sits outside the framework, under any server.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]

_JSON = b"application/json"
BODY_TIMEOUT_S = 10.0  # a request body must arrive within this long: a stalled sender frees its slot
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_NO_DIGITS = str.maketrans("", "", "0123456789")


def _refused_media_type(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """A body declared as anything but JSON, or sent without a declaration; an empty undeclared body passes (and
    is answered "a JSON body is required")."""
    declared = length = chunked = None
    for name, value in headers:
        if name == b"content-type":
            declared = value.split(b";", 1)[0].strip().lower()
        elif name == b"content-length":
            length = value
        elif name == b"transfer-encoding":
            chunked = value
    if declared is not None:
        return declared != _JSON
    return chunked is not None or (length is not None and length.strip() != b"0")


class AccessLog:
    """Access lines written in batches by a thread every `FLUSH_EVERY` s (sooner only if `BACKLOG` lines wait).

    Through the logging module each line costs a record, the masking factory, a formatter and a write: measured
    at a third of a lookup's CPU (issue 12). Here a request costs one f-string and an append; a thread writes.
    Paths and query strings are masked with `redact` (percent-encoded and Unicode spellings included). Writes to
    stdout are cut at line ends and kept under PIPE_BUF, so the lines of several workers sharing one pipe never
    interleave.
    """

    FLUSH_EVERY = 0.25
    BACKLOG = 20_000  # a bound on memory, not a batch size: waking the writer per batch cost more than writing

    def __init__(self, write: Callable[[bytes], object] | None = None) -> None:
        self._write = write or (lambda chunk: os.write(1, chunk))
        self._lines: deque[str] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._second = 0
        self._stamp = ""
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="cardbin-access-log", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()

    def record(self, scope: Scope, status: int, started: float, method: str) -> None:
        now = time.time()
        second = int(now)
        if second != self._second:  # one strftime per second, not per line
            self._second, self._stamp = second, time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(second))
        client = scope.get("client")
        query = scope.get("query_string")
        target = f"{scope['path']}?{query.decode('latin-1')}" if query else scope["path"]
        if "%" in target or not target.isascii() or len(target) - len(target.translate(_NO_DIGITS)) > 10:
            target = redact(target)  # only then can it hold a number `redact` masks (11 digits or more)
        self._lines.append(
            f'{self._stamp} {client[0] if client else "-"} "{method} {target}" {status} '
            f"{(time.perf_counter() - started) * 1e3:.2f}ms\n"
        )
        if len(self._lines) >= self.BACKLOG:
            self._wake.set()  # the writer thread flushes: no write on the event loop

    def flush(self) -> None:
        with self._lock:
            chunk: list[bytes] = []
            size = 0
            for _ in range(len(self._lines)):  # deque.popleft is thread-safe against the appends
                line = self._lines.popleft().encode()
                if size + len(line) > select.PIPE_BUF and chunk:
                    self._write(b"".join(chunk))
                    chunk, size = [], 0
                chunk.append(line)
                size += len(line)
            if chunk:
                self._write(b"".join(chunk))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.FLUSH_EVERY)
            self._wake.clear()
            try:
                self.flush()
            except OSError:  # stdout closed at shutdown: nothing left to write to
                return


class Edge:
    def __init__(self, app: ASGIApp, access_log: AccessLog | None = None) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method in _BODY_METHODS and _refused_media_type(scope["headers"]):
            await self._refuse(scope, send)
            return
        started = time.perf_counter()
        status = 0
        head = method == "HEAD"
        if head:  # a copy: the server keeps seeing HEAD (uvicorn then expects no body despite Content-Length)
            scope = {**scope, "method": "GET"}

        deadline = 0.0

        async def receive_bounded() -> Message:
            """The body within BODY_TIMEOUT_S of its first read; a client that goes away or stalls is marked."""
            nonlocal deadline
            loop = asyncio.get_running_loop()
            deadline = deadline or loop.time() + BODY_TIMEOUT_S
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                scope[INTERRUPTED] = "timeout"
                return {"type": "http.disconnect"}
            if message["type"] == "http.disconnect":
                scope[INTERRUPTED] = "disconnect"
            return message

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif head and message["type"] == "http.response.body":
                message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
            await send(message)

        try:
            await self.app(scope, receive_bounded, send_observed)
        finally:
            if self.access_log is not None:
                self.access_log.record(scope, status, started, method)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        problem = simple(
            "unsupported-media-type",
            "a request body must be sent as Content-Type: application/json",
            scope["path"],
            field="content-type",
        )
        body = encode(problem)
        headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": problem.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if self.access_log is not None:
            self.access_log.record(scope, problem.status, time.perf_counter(), scope["method"])
