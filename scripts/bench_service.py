"""Load benchmark of the HTTP service beside a bare Litestar+msgspec handler, in the same run.

    apt-get install -y wrk            # the load generator (Debian package); without it a slower httpx one is used
    .venv/bin/python scripts/bench_service.py [--seconds 5] [--rounds 3] [--connections 32] [--db PATH]

Both servers run under uvicorn (uvloop + httptools), 1 worker each, access log off, on loopback:
- `cardbin`: the real app (`create_app`) on the bundled release (or `--db`), POST /v1/cards/lookup;
- `bare`: a Litestar app whose only handler takes the same JSON body Struct and returns a constant CardInfo.
Single lookups rotate over a few hundred Luhn-valid cards on the release's BINs. The batch figure is cards/s over
POST /v1/cards/batch with 1,000-card bodies. Every figure is the median over `--rounds`; rounds alternate the two
servers so both see the same machine load. On 2 cores wrk (1 thread) and the server share the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec
import uvicorn
from litestar import Litestar, post
from litestar.params import JSONBody

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cardbin.model import CardInfo  # noqa: E402
from cardbin.pan import luhn_valid  # noqa: E402
from cardbin.resolve.resolver import Resolver  # noqa: E402
from cardbin.service.app import ServiceSettings, create_app  # noqa: E402
from cardbin.service.wire import LookupRequest  # noqa: E402


@dataclass(frozen=True)
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_us: float = 0.0  # server CPU time per request: unlike req/s, not skewed by other load on the machine


Load = Callable[[str, list[str], int, float], Figures]
LOOKUP, BATCH = "/v1/cards/lookup", "/v1/cards/batch"


def make_cards(resolver: Resolver, count: int) -> list[str]:
    """Luhn-valid cards on the release's BINs (6+ digits), each of its row's PAN length."""
    rng = random.Random(7)
    records = [r.record for rows in resolver.index.rows_by_bin.values() for r in rows if len(r.record.bin) >= 6]
    cards = []
    while len(cards) < count:
        rec = rng.choice(records)
        body = rec.bin + "".join(rng.choice("0123456789") for _ in range(rec.pan_length - len(rec.bin) - 1))
        cards.append(next(body + d for d in "0123456789" if luhn_valid(body + d)))
    return cards


# --- the two servers -------------------------------------------------------------------------------------


def serve(kind: str, port: int, db: str | None) -> None:
    if kind == "cardbin":
        app = create_app(ServiceSettings(db=Path(db)) if db else None)
    else:
        resolver = Resolver.open(db)
        constant = resolver.lookup(make_cards(resolver, 1)[0])

        @post("/v1/cards/lookup", status_code=200)
        async def lookup(data: JSONBody[LookupRequest]) -> CardInfo:
            return constant

        app = Litestar([lookup])
    uvicorn.run(app, host="127.0.0.1", port=port, workers=1, access_log=False, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(kind: str, db: str | None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, __file__, "--serve", kind, "--port", str(port)] + (["--db", db] if db else [])
    process = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.post(f"{url}/v1/cards/lookup", json={"card_number": "0"}, timeout=1)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{kind} server did not start")


# --- load generators -------------------------------------------------------------------------------------

_WRK_LUA = """
local bodies = %s
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
"""
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * _UNITS[unit]


def wrk(url: str, bodies: list[str], connections: int, seconds: float) -> Figures:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_LUA % ("{" + ",".join(json.dumps(b) for b in bodies) + "}"))
    try:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", script.name, url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Figures(rps, p50, p99, errors, requests)


def python_load(url: str, bodies: list[str], connections: int, seconds: float) -> Figures:
    """Fallback without wrk: asyncio + httpx; the client, not the server, is then the limit."""

    async def run() -> Figures:
        latencies: list[float] = []
        errors = 0
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            stop = time.perf_counter() + seconds

            async def worker(i: int) -> None:
                nonlocal errors
                while time.perf_counter() < stop:
                    body = bodies[i % len(bodies)]
                    i += connections
                    t0 = time.perf_counter()
                    r = await client.post(url, content=body, headers={"content-type": "application/json"})
                    latencies.append((time.perf_counter() - t0) * 1e3)
                    errors += r.status_code != 200

            started = time.perf_counter()
            await asyncio.gather(*(worker(i) for i in range(connections)))
            elapsed = time.perf_counter() - started
        q = statistics.quantiles(latencies, n=100)
        return Figures(len(latencies) / elapsed, q[49], q[98], errors, len(latencies))

    return asyncio.run(run())


# --- the benchmark ---------------------------------------------------------------------------------------


def in_process_cards_per_second(resolver: Resolver, cards: list[str], repeats: int = 5) -> float:
    """What one core can do without HTTP: bounds the batch endpoint of a single worker."""
    encoder = msgspec.json.Encoder()
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        encoder.encode([resolver.lookup(c) for c in cards])
        timings.append(time.perf_counter() - start)
    return len(cards) / statistics.median(timings)


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    load: Load, server: tuple[subprocess.Popen[bytes], str], path: str, bodies: list[str], *, conns: int, seconds: float
) -> Figures:
    process, url = server
    before = cpu_seconds(process.pid)
    figures = load(url + path, bodies, conns, seconds)
    cpu = cpu_seconds(process.pid) - before
    return dataclasses.replace(figures, cpu_us=cpu / max(figures.requests, 1) * 1e6)


def median(figures: list[Figures]) -> Figures:
    return Figures(
        statistics.median(f.rps for f in figures),
        statistics.median(f.p50_ms for f in figures),
        statistics.median(f.p99_ms for f in figures),
        sum(f.errors for f in figures),
        sum(f.requests for f in figures),
        statistics.median(f.cpu_us for f in figures),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--db", help="DuckDB release store (default: the bundled release)")
    parser.add_argument("--serve", choices=["cardbin", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.db)
        return

    load = wrk if shutil.which("wrk") else python_load
    resolver = Resolver.open(args.db)
    cards = make_cards(resolver, 1000)
    ceiling = in_process_cards_per_second(resolver, cards)
    singles = [json.dumps({"card_number": c}) for c in cards[:300]]
    batch = [json.dumps({"card_numbers": cards})]
    servers = {kind: start(kind, args.db) for kind in ("bare", "cardbin")}
    try:
        runs: dict[str, list[Figures]] = {"bare": [], "cardbin": [], "batch": []}
        for _ in range(args.rounds):
            for kind in ("bare", "cardbin"):
                runs[kind].append(
                    measure(load, servers[kind], LOOKUP, singles, conns=args.connections, seconds=args.seconds)
                )
            runs["batch"].append(measure(load, servers["cardbin"], BATCH, batch, conns=4, seconds=args.seconds))
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait()

    bare, ours, batched = median(runs["bare"]), median(runs["cardbin"]), median(runs["batch"])
    print(f"load generator: {load.__name__}; release {resolver.release}; medians of {args.rounds} x {args.seconds:g} s")
    print(f"single lookup, 1 worker, {args.connections} connections:")
    for name, f in (("bare Litestar+msgspec handler", bare), ("cardbin /v1/cards/lookup", ours)):
        print(
            f"  {name:31} {f.rps:7.0f} req/s  p50 {f.p50_ms:5.2f} ms  p99 {f.p99_ms:6.2f} ms  "
            f"server CPU {f.cpu_us:5.0f} us/req  errors {f.errors}"
        )
    print(f"  cardbin / bare throughput: {ours.rps / bare.rps:.0%}  (target >= 80 %, p99 <= 5 ms)")
    print(f"  cardbin / bare capacity (inverse CPU per request): {bare.cpu_us / ours.cpu_us:.0%}")
    b = batched
    print(f"batch, 1,000 cards per request, 4 connections: {b.rps * len(cards):,.0f} cards/s (target >= 300,000)")
    print(f"  {b.rps:.0f} req/s, p50 {b.p50_ms:.1f} ms, p99 {b.p99_ms:.1f} ms, errors {b.errors}")
    print(
        f"  server CPU {b.cpu_us / len(cards):.2f} us/card -> {len(cards) / b.cpu_us * 1e6:,.0f} cards/s per busy core"
    )
    print(f"  in-process ceiling: Resolver.lookup + msgspec encode of the same cards: {ceiling:,.0f} cards/s")


if __name__ == "__main__":
    main()
