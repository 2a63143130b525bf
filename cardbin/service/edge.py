"""The ASGI layer in front of Litestar: what holds for every request before routing, under any server.

- A body must be declared `application/json` (415 otherwise): a `text/plain` body is not guessed at.
- HEAD is answered for every GET route: routed as GET, the body dropped, the headers (Content-Length) kept.
- A body must arrive within BODY_TIMEOUT_S of the request's start (408 otherwise), so slow senders cannot hold the
  worker's request slots; a client that goes away mid-body is marked in the scope, so the error Litestar raises for
  either is not logged as a bug (cardbin.service.problems).
- The access log: one line per request, card numbers masked, written in batches (see `AccessLog`).
- Fast routes: a POST path may be answered beside the framework when its answer is a plain 200, after the checks
  above (cardbin.service.fastpath); anything else goes on to the framework.

The layer is on every request's path, so it costs what each request needs and no more: a GET without an access log
passes straight through, only a body read is watched (by one timer per event loop, not a timer per read), and the
access line is formatted by the writer thread.
"""

from __future__ import annotations

import asyncio
import os
import select
import threading
import time
from asyncio import current_task
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from typing import Any

from cardbin.redact import redact
from cardbin.service.problems import INTERRUPTED, MEDIA_TYPE, encode, simple

# Plain ASGI types: this layer sits outside the framework, under any server.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]
# A POST route answered beside the framework (cardbin.service.fastpath): it answers 200 and returns None, or returns
# the `receive` the framework must read instead (the body read so far replayed).
FastRoute = Callable[[Receive, Send], Awaitable[Receive | None]]

_JSON = b"application/json"
BODY_TIMEOUT_S = 10.0  # a request body must arrive within this long: a stalled sender frees its slot
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_DIGITS = b"0123456789"


def _refused_media_type(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """A body declared as anything but JSON, or sent without a declaration; an empty undeclared body passes (and
    is answered "a JSON body is required"). A repeated header counts by its last value."""
    fields = dict(headers)  # built in C: cheaper than a Python loop over the headers
    declared = fields.get(b"content-type")
    if declared is not None:
        return declared != _JSON and declared.split(b";", 1)[0].strip().lower() != _JSON
    length = fields.get(b"content-length")
    return b"transfer-encoding" in fields or (length is not None and length.strip() != b"0")


def _may_hold_number(target: str) -> bool:
    """Whether `redact` could mask something in a path and query: a percent-encoding, a non-ASCII character (a
    full-width digit) or 11 digits or more."""
    return "%" in target or not target.isascii() or len(target) - len(target.encode().translate(None, _DIGITS)) > 10


class BodyDeadlines:
    """Body reads in flight and their deadlines, checked by one timer per event loop.

    A timer per read (`asyncio.timeout_at`) cost more than the rest of the edge together. Here a read costs a dict
    entry; while any read is pending a sweep runs every tenth of `timeout_s` and cancels the reads past their
    deadline, so a stalled body is answered within 1.1 × `timeout_s` of the request's start. Deadlines are on the
    event loop's clock, the one its timers run on.
    """

    def __init__(self, timeout_s: float = BODY_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._reading: dict[asyncio.Task[Any], float] = {}
        self._expired: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def bounded(self, scope: Scope, receive: Receive) -> Receive:
        """`receive` with the request's body deadline, `timeout_s` from now; marks a stall or a client that went
        away in the scope (cardbin.service.problems answers 408 or nothing for them)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        reading = self._reading

        async def receive_bounded() -> Message:
            task = current_task(loop)
            if task is None:  # not in a task (no server does this): nothing to cancel, read unbounded
                return await receive()
            reading[task] = deadline
            if self._timer is None or self._loop is not loop:  # a new loop: a timer of a closed one never fires
                self._loop = loop
                self._timer = loop.call_later(self.timeout_s / 10, self._sweep)
            try:
                message = await receive()
            except asyncio.CancelledError:
                if task not in self._expired:
                    raise
                self._expired.discard(task)
                if task.uncancel():  # cancelled by someone else too (the server): that one stands
                    raise
                scope[INTERRUPTED] = "timeout"
                return {"type": "http.disconnect"}
            finally:
                reading.pop(task, None)
            if message["type"] == "http.disconnect":
                scope[INTERRUPTED] = "disconnect"
            return message

        return receive_bounded

    def _sweep(self) -> None:
        loop = self._loop
        if loop is None:
            return
        now = loop.time()
        for task, deadline in list(self._reading.items()):
            if deadline <= now:
                del self._reading[task]
                self._expired.add(task)
                task.cancel()
        self._timer = loop.call_later(self.timeout_s / 10, self._sweep) if self._reading else None


class AccessLog:
    """Access lines written in batches by a thread every `FLUSH_EVERY` s (sooner only if `BACKLOG` lines wait).

    Through the logging module each line costs a record, the masking factory, a formatter and a write: measured
    at a third of a lookup's CPU (issue 12). Here a request costs one tuple appended to a deque; the writer thread
    formats, masks and writes. Paths and query strings are masked with `redact` (percent-encoded and Unicode
    spellings included) when they could hold a number it masks. Writes to stdout are cut at line ends and kept
    under PIPE_BUF, so the lines of several workers sharing one pipe never interleave.
    """

    FLUSH_EVERY = 0.25
    BACKLOG = 20_000  # a bound on memory, not a batch size: waking the writer per batch cost more than writing
    PLAIN_TARGETS = 4096

    def __init__(self, write: Callable[[bytes], object] | None = None) -> None:
        self._write = write or (lambda chunk: os.write(1, chunk))
        # (started, ended (perf_counter), client address, method, path, query string, status)
        self._entries: deque[tuple[float, float, str, str, str, bytes | None, int]] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._plain: set[str] = set()  # paths seen that cannot hold a card number: checked once
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
        """The request's line, to be formatted by the writer: no formatting or masking on the event loop."""
        client = scope.get("client")
        entries = self._entries
        entries.append(
            (
                started,
                time.perf_counter(),
                client[0] if client else "-",
                method,
                scope["path"],
                scope.get("query_string"),
                status,
            )
        )
        if len(entries) >= self.BACKLOG:
            self._wake.set()  # the writer thread flushes: no write on the event loop

    def flush(self) -> None:
        """Format, mask and write the lines waiting; each write ends at a line end and holds at most PIPE_BUF bytes."""
        with self._lock:
            entries = self._entries
            if not entries:
                return
            wall = time.time() - time.perf_counter()  # perf_counter → wall clock, for the stamps
            plain = self._plain
            lines = []
            for _ in range(len(entries)):  # deque.popleft is thread-safe against the appends
                started, ended, client, method, path, query, status = entries.popleft()
                second = int(wall + ended)
                if second != self._second:  # one strftime per second, not per line
                    self._second, self._stamp = second, time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(second))
                target = f"{path}?{query.decode('latin-1')}" if query else path
                if target not in plain:
                    if _may_hold_number(target):
                        target = redact(target)
                    elif len(plain) < self.PLAIN_TARGETS:
                        plain.add(target)
                lines.append(f'{self._stamp} {client} "{method} {target}" {status} {(ended - started) * 1e3:.2f}ms\n')
            data = "".join(lines).encode()
        start, end = 0, len(data)
        while start < end:
            cut = end if end - start <= select.PIPE_BUF else data.rfind(b"\n", start, start + select.PIPE_BUF) + 1
            if cut <= start:  # one line longer than PIPE_BUF: written whole
                cut = data.index(b"\n", start) + 1
            self._write(data[start:cut])
            start = cut

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.FLUSH_EVERY)
            self._wake.clear()
            try:
                self.flush()
            except OSError:  # stdout closed at shutdown: nothing left to write to
                return


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        access_log: AccessLog | None = None,
        body_timeout_s: float = BODY_TIMEOUT_S,
        fast_routes: Mapping[str, FastRoute] | None = None,
    ) -> None:
        self.app = app
        self.access_log = access_log
        self.deadlines = BodyDeadlines(body_timeout_s)
        self.fast_routes = dict(fast_routes or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        log = self.access_log
        started = time.perf_counter()
        if method in _BODY_METHODS:
            if _refused_media_type(scope["headers"]):
                await self._refuse(scope, send)
                return
            receive = self.deadlines.bounded(scope, receive)
            fast = self.fast_routes.get(scope["path"]) if method == "POST" else None
            if fast is not None:
                read_on = await fast(receive, send)
                if read_on is None:
                    if log is not None:
                        log.record(scope, 200, started, method)
                    return
                receive = read_on
        elif method == "HEAD":  # a copy: the server keeps seeing HEAD (uvicorn then expects no body)
            scope = {**scope, "method": "GET"}
            send = _headless(send)
        if log is None:
            await self.app(scope, receive, send)
            return
        status = 0

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            log.record(scope, status, started, method)

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


def _headless(send: Send) -> Send:
    """`send` with every body emptied: a HEAD answer keeps the GET's headers (Content-Length) and sends no body."""

    async def send_headless(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
        await send(message)

    return send_headless
