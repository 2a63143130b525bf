"""The service harness shared by the service, client, hot-swap and publish tests: a small release to serve, cards
on its BINs, servers on loopback and client threads keeping them busy.

Servers run for real: uvicorn on a free loopback port, in a thread for an in-memory release, or as a
`cardbin serve` subprocess when the test needs a DuckDB store shared with another process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import msgspec
import polars as pl
import uvicorn
from litestar import Litestar

from cardbin.model import CardInfo
from cardbin.pan import luhn_valid
from cardbin.release.schema import ReleaseData, conform
from cardbin.service.wire import BatchResponse
from tests.processes import stop

ROOT = Path(__file__).resolve().parents[2]
# `cardbin` in a subprocess, from this checkout whether or not the console script is installed.
CLI = (sys.executable, "-c", "from cardbin.cli import app; app()")
STARTUP_LIMIT = 60.0  # seconds to wait for a server to come up: a failure bound, not a timing assertion

# Real rows (UnionPay BINs from data/raw/aespark, branches from data/raw/gweesin-cnaps), trimmed to a handful.
BINS = [
    ("622202", 19, "中国工商银行", "01021000", "牡丹灵通卡", "借记卡", "ICBC"),
    ("622848", 19, "中国农业银行", "01030000", "金穗通宝卡", "借记卡", "ABC"),
    ("622588", 16, "招商银行", "03080000", "一卡通", "借记卡", "CMB"),
]
LATER_BINS = [("625911", 16, "中国民生银行", "03050000", "民生信用卡", "贷记卡", "CMBC")]
BRANCHES = [
    ("102100000021", "中国工商银行股份有限公司北京新华支行", "102", "中国工商银行", "102100099996", "1000"),
    ("102100000030", "中国工商银行股份有限公司北京市分行营业部", "102", "中国工商银行", "102100099996", "1000"),
]
CITIES = [("1000", "北京市", "北京市", "11"), ("2900", "上海市", "上海市", "31")]


def _frame(table: str, rows: list[tuple[object, ...]], columns: list[str]) -> pl.DataFrame:
    return conform(table, pl.DataFrame(rows, schema=columns, orient="row"))


def sample_release(month: str, later: bool = False) -> ReleaseData:
    """A small release; `later=True` adds the 625911 BIN, so two months answer differently."""
    card_types = {"借记卡": "debit", "贷记卡": "credit"}
    bins = [(b, n, issuer, code, name, card_types[kind], bank) for b, n, issuer, code, name, kind, bank in BINS]
    if later:
        bins += [(b, n, i, c, nm, card_types[k], bk) for b, n, i, c, nm, k, bk in LATER_BINS]
    columns = ["bin", "pan_length", "issuer_name", "issuer_code", "card_name", "card_type", "bank_code"]
    return ReleaseData(
        month=month,
        bins=_frame("bins", bins, columns),
        branches=_frame(
            "branches", BRANCHES, ["cnaps_code", "name", "bank_category", "bank_name", "clearing_code", "city_code"]
        ),
        cities=_frame("cities", CITIES, ["city_code", "city", "province", "province_code"]),
        loaded_at="2026-11-01T00:00:00Z",
    )


def card(prefix: str, length: int) -> str:
    """A Luhn-valid card number with this prefix: test data, not a real card."""
    body = prefix + "0" * (length - len(prefix) - 1)
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


ICBC = card("622202", 19)
CMBC = card("625911", 16)  # a BIN only sample_release(later=True) has


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(base_url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            # uvicorn listens once startup (the release load) is done; any answer but 5xx means up, even a 403.
            if httpx.get(f"{base_url}/readyz", timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{base_url} not ready after {STARTUP_LIMIT} s")


@contextmanager
def running(app: Litestar) -> Iterator[str]:
    """uvicorn serving `app` on a free loopback port in a thread; yields the base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base_url)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


@contextmanager
def serve_process(
    db: Path, env: Mapping[str, str] = {}, workers: int = 1, options: tuple[str, ...] = ()
) -> Iterator[tuple[str, Path]]:
    """`cardbin serve --db DB` in a subprocess; yields (base URL, file holding its log)."""
    port = free_port()
    command = [*CLI, "serve", "--port", str(port), "--db", str(db), "--workers", str(workers), *options]
    with _process(command, port, db.parent / f"serve-{port}.log", env) as running:
        yield running


@contextmanager
def follow_process(releases: str, log_dir: Path, options: tuple[str, ...] = ()) -> Iterator[tuple[str, Path]]:
    """`cardbin serve --releases DEST` in a subprocess (a published destination: directory or URL)."""
    port = free_port()
    command = [*CLI, "serve", "--port", str(port), "--releases", releases, *options]
    with _process(command, port, log_dir / f"serve-{port}.log", {"CARDBIN_DB": ""}) as running:
        yield running


@contextmanager
def static_server(directory: Path) -> Iterator[str]:
    """Python's own static file server on loopback, serving `directory`."""
    port = free_port()
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(directory)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_LIMIT
        while True:
            try:
                httpx.get(url, timeout=1.0)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        stop(process)


@contextmanager
def factory_process(directory: Path, *server_args: str, env: Mapping[str, str] = {}) -> Iterator[tuple[str, Path]]:
    """A plain `uvicorn --factory cardbin.service.app:app_from_env` (no cardbin CLI around it): what an operator
    who runs the app under their own ASGI server gets. Yields (base URL, file holding its log)."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "cardbin.service.app:app_from_env", "--port", str(port),
        *server_args,
    ]  # fmt: skip
    with _process(command, port, directory / f"uvicorn-{port}.log", env) as running:
        yield running


@contextmanager
def _process(command: list[str], port: int, log: Path, env: Mapping[str, str]) -> Iterator[tuple[str, Path]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env})
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base_url, process)
        yield base_url, log
    finally:
        stop(process)


CLIENTS = 6  # client threads of a Load


class Load:
    """Client threads, each sending lookups and batches one after another and keeping (kind, status, releases)."""

    def __init__(self, base_url: str, clients: int = CLIENTS) -> None:
        self.base_url = base_url
        self.stop = threading.Event()
        self.seen: list[list[tuple[str, int, set[str]]]] = [[] for _ in range(clients)]
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(clients)]

    def _run(self, i: int) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as http:
            n = 0
            while not self.stop.is_set():
                n += 1
                if n % 2:
                    r = http.post("/v1/cards/lookup", json={"card_number": ICBC})
                    releases = (
                        {msgspec.json.decode(r.content, type=CardInfo).release} if r.status_code == 200 else set()
                    )
                    self.seen[i].append(("lookup", r.status_code, releases))
                else:
                    r = http.post("/v1/cards/batch", json={"card_numbers": [ICBC] * 200})
                    batch = msgspec.json.decode(r.content, type=BatchResponse) if r.status_code == 200 else None
                    found = {batch.release} | {x.result.release for x in batch.items if x.result} if batch else set()
                    self.seen[i].append(("batch", r.status_code, found))

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()
