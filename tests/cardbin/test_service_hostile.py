"""The service against a hostile network, on real servers on loopback: every finding of issue 12 as a test.

No card number in any log (under `cardbin serve` with either server, and under a plain `uvicorn --factory` run at
TRACE), fail-closed access settings, deep JSON, bodies that are not JSON, clients that vanish or stall mid-body,
HEAD, readiness on a corrupted store, and activation while readers flood the service.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import subprocess
import threading
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import httpx
import looptime
import msgspec
import pytest

from cardbin.client import AsyncCardbinClient
from cardbin.errors import InvalidInput
from cardbin.resolve.resolver import Resolver
from cardbin.service import edge
from cardbin.service.app import ServiceSettings, create_app
from cardbin.service.auth import AccessPolicy
from cardbin.service.logs import install, redact_record
from cardbin.service.problems import INTERRUPTED
from cardbin.service.wire import Problem, Releases
from cardbin.store import ReleaseStore
from tests.cardbin.harness import (
    CLI,
    ROOT,
    STARTUP_LIMIT,
    card,
    factory_process,
    running,
    sample_release,
    serve_process,
)

MONTH = "2026-10"
ICBC = card("622202", 19)
JSON = {"content-type": "application/json"}


def _spaced(pan: str, sep: str) -> str:
    return sep.join(pan[i : i + 4] for i in range(0, len(pan), 4))


def _fullwidth(pan: str) -> str:
    return "".join(chr(ord(c) - ord("0") + ord("０")) for c in pan)


# The shapes that leaked in the issue: percent-encoded paths (ASCII and full-width), query strings with `+`,
# a card typed into another field; and bodies, which uvicorn dumps at TRACE.
PATHS = [
    f"/v1/bins/{_spaced(ICBC, '%20')}",
    "/v1/bins/" + "".join(f"%{b:02X}" for b in _fullwidth(ICBC).encode()),
    f"/v1/bins/{ICBC}",
    f"/v1/branches?q={_spaced(ICBC, '+')}",
    f"/v1/branches?bank={_spaced(ICBC, '-')}&limit=1",
    f"/v1/nothing/{ICBC}?x={ICBC}",
]
BODIES = [
    {"card_number": ICBC},
    {"card_number": _spaced(ICBC, " ")},
    {"card_number": _fullwidth(ICBC)},
    {"card_numbers": [ICBC, ICBC[:-1] + "x"]},
]


def _leaks(text: str) -> list[str]:
    """Lines that still hold the card number in any spelling: decoded, folded to ASCII digits, separators gone."""
    found = []
    for line in text.splitlines():
        plain = unicodedata.normalize("NFKC", unquote_plus(unquote_plus(line)))
        if ICBC in re.sub(r"[^0-9]", "", plain):
            found.append(line)
    return found


def _send_every_shape(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for path in PATHS:
            http.get(path)
        for body in BODIES:
            path = "/v1/cards/batch" if "card_numbers" in body else "/v1/cards/lookup"
            assert http.post(path, json=body).status_code in (200, 404, 422)
        http.post("/v1/cards/lookup", content=msgspec.json.encode(BODIES[0]), headers={"content-type": "text/plain"})


def _wait_for_log(log: Path, needle: str) -> str:
    """The log once `needle` shows up in it (access lines are written in batches, at most 0.5 s late)."""
    deadline = time.monotonic() + 10
    while needle not in (text := log.read_text(encoding="utf-8", errors="replace")):
        if time.monotonic() > deadline:
            pytest.fail(f"{needle!r} never appeared in the log:\n{text[-2000:]}")
        time.sleep(0.1)
    return text


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("store") / "releases.duckdb"
    releases = ReleaseStore(db)
    releases.save(sample_release(MONTH))
    releases.activate(MONTH)
    return db


@pytest.mark.parametrize("server", ["granian", "uvicorn"])
def test_cardbin_serve_logs_no_card_number_in_any_shape(store: Path, server: str) -> None:
    with serve_process(store, options=("--server", server)) as (base_url, log):
        _send_every_shape(base_url)
        text = _wait_for_log(log, '"POST /v1/cards/lookup" 415')
    assert not _leaks(text)
    assert f"/v1/bins/{ICBC[:6]}*********{ICBC[-4:]}" in text  # the access line is there, masked
    assert "Traceback" not in text


@pytest.mark.parametrize("level", ["info", "trace"])
def test_a_plain_uvicorn_run_of_the_factory_logs_no_card_number(store: Path, level: str) -> None:
    """The factory installs the masking itself: uvicorn's own access line (INFO) and scope dumps (TRACE)."""
    with factory_process(store.parent, "--log-level", level, env={"CARDBIN_DB": str(store)}) as (base_url, log):
        _send_every_shape(base_url)
        text = _wait_for_log(log, "415")
    assert not _leaks(text)
    assert '"POST /v1/cards/lookup HTTP/1.1" 200' in text  # uvicorn's access log is on and was masked, not lost
    if level == "trace":
        assert "ASGI [" in text  # the scope dumps were written, masked


def test_every_record_of_the_process_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    install()
    install()  # idempotent
    logger = logging.getLogger("anything.at.all")
    with caplog.at_level(logging.DEBUG):
        logger.debug("scope=%s id=%d", {"path": f"/v1/bins/{_spaced(ICBC, '%20')}"}, 7)
        logger.warning("card %(card)s", {"card": _fullwidth(ICBC)})
        try:
            raise ValueError(f"bad {ICBC}")
        except ValueError:
            logger.exception("failed on %s", _spaced(ICBC, "-"))
    text = caplog.text
    assert not _leaks(text), text
    assert "id=7" in text and f"ValueError: bad {ICBC[:6]}*********{ICBC[-4:]}" in text


def test_redact_record_keeps_the_argument_shape_formatters_unpack() -> None:
    args = ("1.2.3.4:5", "GET", f"/v1/bins/{ICBC}", "1.1", 422)
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d', args, None)
    redact_record(record)
    assert isinstance(record.args, tuple) and len(record.args) == 5 and record.args[4] == 422
    assert record.getMessage() == f'1.2.3.4:5 - "GET /v1/bins/{ICBC[:6]}*********{ICBC[-4:]} HTTP/1.1" 422'


# --- problem bodies ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running(create_app(resolver=Resolver.from_release(sample_release(MONTH)))) as url:
        yield url


@pytest.mark.parametrize("path", PATHS)
def test_problem_bodies_never_echo_a_card_number(base_url: str, path: str) -> None:
    response = httpx.get(base_url + path)
    assert response.status_code in (200, 404, 422)  # a search for the card's digits finds nothing: 200, []
    assert not _leaks(response.text), response.text
    if response.status_code != 200:
        assert response.headers["content-type"] == "application/problem+json"


# --- fail closed ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"CARDBIN_API_KEYS": " , "}, "CARDBIN_API_KEYS"),
        ({"CARDBIN_API_KEYS": ""}, "CARDBIN_API_KEYS"),
        ({"CARDBIN_ALLOW_IPS": ","}, "CARDBIN_ALLOW_IPS"),
        ({"CARDBIN_API_KEYS": "k", "CARDBIN_API_KEY_HEADER": " "}, "CARDBIN_API_KEY_HEADER"),
    ],
)
def test_an_access_setting_that_names_nothing_refuses_to_start(env: dict[str, str], variable: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        AccessPolicy.from_env(env)
    assert raised.value.field == variable


def test_a_key_file_of_comments_refuses_to_start(tmp_path: Path, store: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("# old-key\n   \n#another\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as raised:
        AccessPolicy.from_env({"CARDBIN_API_KEYS_FILE": str(keys)})
    assert raised.value.field == "CARDBIN_API_KEYS_FILE" and "no key" in raised.value.rule
    env = {"CARDBIN_API_KEYS_FILE": str(keys), "PATH": "/usr/bin:/bin"}
    command = [*CLI, "serve", "--port", "0", "--db", str(store)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "CARDBIN_API_KEYS_FILE" in done.stderr and "refusing to start" in done.stderr
    assert "Traceback" not in done.stderr


# --- bodies and methods --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/cards/lookup", "/v1/cards/batch"])
@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_json_is_422(base_url: str, path: str, depth: int, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        response = httpx.post(base_url + path, content=b"[" * depth + b"]" * depth, headers=JSON)
        nested = b'{"card_number": ' + b"[" * depth + b"]" * depth + b"}"
        inside = httpx.post(base_url + path, content=nested, headers=JSON)
    for answer in (response, inside):
        found = msgspec.json.decode(answer.content, type=Problem)
        assert (answer.status_code, found.type) == (422, "urn:cardbin:problem:malformed-request")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_not_declared_json_is_415(base_url: str, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = httpx.post(f"{base_url}/v1/cards/lookup", content=msgspec.json.encode(BODIES[0]), headers=headers)
    assert response.status_code == 415
    assert msgspec.json.decode(response.content, type=Problem).type == "urn:cardbin:problem:unsupported-media-type"
    charset = httpx.post(
        f"{base_url}/v1/cards/lookup", json=BODIES[0], headers={"content-type": "Application/JSON; charset=utf-8"}
    )
    assert charset.status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/v1/banks", "/v1/bins/622202", "/schema/openapi.json"])
def test_head_answers_every_get_route_without_a_body(
    base_url: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        get, head = httpx.get(base_url + path), httpx.head(base_url + path)
        time.sleep(0.2)  # the server's own complaint (a body it did not expect) would come after the answer
    assert not caplog.records
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["content-type"] == get.headers["content-type"]


_HEAD = b"POST /v1/cards/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"


def _raw(base_url: str, request: bytes) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(request)
    return sock


def test_a_client_that_vanishes_mid_body_logs_no_error(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="cardbin"):
        for _ in range(5):
            _raw(base_url, _HEAD + b'{"card_number": "6222').close()
        time.sleep(0.5)
        assert httpx.get(f"{base_url}/healthz").status_code == 200
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_stalled_body_is_answered_408() -> None:
    app = create_app(ServiceSettings(body_timeout_s=0.5), resolver=Resolver.from_release(sample_release(MONTH)))
    with running(app) as url:
        sock = _raw(url, _HEAD + b'{"card')
        sock.settimeout(STARTUP_LIMIT)
        answer = sock.recv(4096)
        sock.close()
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"urn:cardbin:problem:request-timeout" in answer


def _virtual_time() -> asyncio.Runner:
    """An event loop whose clock jumps to its next timer when idle (looptime): deadlines of seconds are checked
    exactly, and at once."""
    return asyncio.Runner(loop_factory=lambda: looptime.new_event_loop(start=0))


def _lookup_scope() -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/v1/cards/lookup", "raw_path": b"/v1/cards/lookup", "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"500")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip


def test_stalled_bodies_are_answered_within_a_tenth_past_their_deadline() -> None:
    """Requests starting at different moments share the one sweep timer; each stalled one is answered 408 no
    sooner than BODY_TIMEOUT_S after its own start and no later than 1.1 × BODY_TIMEOUT_S; a body that completes
    in time (at 0.95 × BODY_TIMEOUT_S) is answered normally."""
    app = create_app(resolver=Resolver.from_release(sample_release(MONTH)))
    timeout = edge.BODY_TIMEOUT_S
    body = msgspec.json.encode({"card_number": ICBC})

    async def request(start: float, complete_at: float | None) -> tuple[int, float]:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(start)
        reads = 0
        answered: list[tuple[int, float]] = []

        async def receive() -> dict[str, Any]:
            nonlocal reads
            reads += 1
            if reads == 1:
                return {"type": "http.request", "body": body[:5], "more_body": True}
            if complete_at is None:
                await asyncio.Event().wait()  # the sender stalls for good
            await asyncio.sleep(start + complete_at - loop.time())
            return {"type": "http.request", "body": body[5:], "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answered.append((message["status"], loop.time() - start))

        await app(_lookup_scope(), receive, send)
        return answered[0]

    async def all_at_once() -> list[tuple[int, float]]:
        return await asyncio.gather(
            *(request(timeout * k / 3, None) for k in range(3)), request(timeout / 7, 0.95 * timeout)
        )

    with _virtual_time() as runner:
        *stalled, completed = runner.run(all_at_once())
    for status, after in stalled:
        assert status == 408 and timeout <= after <= 1.1 * timeout
    assert completed == (200, pytest.approx(0.95 * timeout))


@pytest.mark.parametrize("at", [1.0, 5.0])
def test_a_body_read_cancelled_by_the_server_is_not_taken_for_a_timeout(at: float) -> None:
    """The server cancels a request (its client went), before the body's deadline or at the very moment the
    deadline cancels it too: the cancellation goes through and the request is not marked as timed out."""
    deadlines = edge.BodyDeadlines(timeout_s=5.0)
    scope: dict[str, Any] = {}

    async def stall() -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def cancelled_mid_read() -> bool:
        loop = asyncio.get_running_loop()
        reading = asyncio.ensure_future(deadlines.bounded(scope, stall)())
        loop.call_at(at, reading.cancel)
        try:
            await reading
        except asyncio.CancelledError:
            return True
        return False

    with _virtual_time() as runner:
        assert runner.run(cancelled_mid_read())
    assert INTERRUPTED not in scope


# --- the async client under a burst --------------------------------------------------------------------------------


def test_a_thousand_concurrent_async_lookups_all_succeed(base_url: str) -> None:
    """More lookups at once than the pool has connections: they wait for one instead of failing."""

    async def burst() -> list[str]:
        async with AsyncCardbinClient(base_url) as client:
            infos = await asyncio.gather(*(client.lookup(ICBC) for _ in range(1_000)))
        return [i.bank_code or "" for i in infos]

    assert asyncio.run(burst()) == ["ICBC"] * 1_000


# --- readiness and activation --------------------------------------------------------------------------------------


def _store_with(db: Path, *months: str) -> ReleaseStore:
    releases = ReleaseStore(db)
    for month in months:
        releases.save(sample_release(month, later=month != months[0]))
    releases.activate(months[0])
    return releases


def test_a_corrupted_store_turns_readyz_not_ready_while_lookups_keep_answering(tmp_path: Path) -> None:
    db = tmp_path / "releases.duckdb"
    _store_with(db, MONTH)
    with serve_process(db) as (url, log), httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/readyz").json() == {"status": "ready", "release": MONTH}
        db.write_bytes(b"this is not a DuckDB file" * 1000)
        deadline = time.monotonic() + STARTUP_LIMIT
        while (ready := http.get("/readyz")).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.status_code == 503
        problem = msgspec.json.decode(ready.content, type=Problem)
        assert problem.type == "urn:cardbin:problem:not-ready" and "cannot be read" in problem.detail
        assert http.post("/v1/cards/lookup", json={"card_number": ICBC}).status_code == 200
        releases = http.get("/v1/releases")
        assert releases.status_code == 503
        assert msgspec.json.decode(releases.content, type=Problem).type == "urn:cardbin:problem:not-ready"
        text = _wait_for_log(log, "not ready")
    assert "WARNING" in text and "Traceback" not in text


def test_activation_succeeds_during_a_flood_of_release_listings(tmp_path: Path) -> None:
    db = tmp_path / "releases.duckdb"
    _store_with(db, "2026-09", "2026-10")
    stop = threading.Event()
    statuses: list[int] = []

    def flood(url: str) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while not stop.is_set():
                statuses.append(http.get("/v1/releases").status_code)

    with serve_process(db, workers=2) as (url, _):
        threads = [threading.Thread(target=flood, args=(url,)) for _ in range(8)]
        for t in threads:
            t.start()
        try:
            for i in range(8):
                month = ("2026-10", "2026-09")[i % 2]
                done = subprocess.run(
                    [*CLI, "release", "activate", month, "--db", str(db)],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                assert done.returncode == 0, done.stderr
        finally:
            stop.set()
            for t in threads:
                t.join()
        deadline = time.monotonic() + STARTUP_LIMIT  # each worker sees the last activation within its poll
        while (final := msgspec.json.decode(httpx.get(f"{url}/v1/releases").content, type=Releases)).serving != (
            "2026-09"
        ) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(statuses) > 100 and set(statuses) == {200}
    assert final.serving == "2026-09"
    assert [r.month for r in final.releases if r.active] == ["2026-09"]
