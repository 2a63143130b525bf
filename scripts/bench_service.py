"""Load benchmark of `cardbin serve` (default settings: access log on) beside a bare Litestar+msgspec handler under
the same server with the same settings, in the same run; for granian and uvicorn, 1 and 2 workers.

    apt-get install -y wrk            # the load generator (Debian package); without it a slower httpx one is used
    .venv/bin/python scripts/bench_service.py [--seconds 5] [--rounds 3] [--connections 32] [--workers 1 2]
        [--servers granian uvicorn] [--db PATH]

- `cardbin`: `cardbin serve --server S --workers W` on the bundled release (or `--db`), its access log written to
  a file, POST /v1/cards/lookup rotating over a few hundred Luhn-valid cards on the release's BINs;
- `cardbin-quiet`: the same with `--no-access-log`, so the access log's own cost shows;
- `bare`: a Litestar app whose only handler takes the same JSON body Struct and returns a constant CardInfo, run
  by `cardbin.service.server.run` exactly as `cardbin serve` runs the real app (no access log).
Every figure is the median over `--rounds`; rounds alternate the servers so all see the same machine load, and each
ratio is the median of the per-round ratios. Server CPU per request (all its processes, from /proc) is less skewed
by other load than req/s. On 2 cores wrk (1 thread) and the server share the CPU. The batch figure is cards/s over
POST /v1/cards/batch with 1,000-card bodies.
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
from litestar import Litestar, post
from litestar.params import JSONBody

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cardbin.model import CardInfo  # noqa: E402
from cardbin.pan import luhn_valid  # noqa: E402
from cardbin.resolve.resolver import Resolver  # noqa: E402
from cardbin.service.wire import LookupRequest  # noqa: E402
from tests.processes import stop as stop_process  # noqa: E402


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
KINDS = ("bare", "cardbin", "cardbin-quiet")  # cardbin-quiet: `--no-access-log`, to isolate the access log's cost


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


# --- the servers -----------------------------------------------------------------------------------------


def bare_app() -> Litestar:
    """The baseline: Litestar + msgspec, the same body Struct, a constant answer, nothing else."""
    resolver = Resolver.open(os.environ.get("CARDBIN_DB") or None)
    constant = resolver.lookup(make_cards(resolver, 1)[0])

    @post("/v1/cards/lookup", status_code=200)
    async def lookup(data: JSONBody[LookupRequest]) -> CardInfo:
        return constant

    return Litestar([lookup])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    name: str
    process: subprocess.Popen[bytes]
    url: str


def start(kind: str, server: str, workers: int, db: str | None, log_dir: Path) -> Running:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "scripts"), str(ROOT)])}
    if db:
        env["CARDBIN_DB"] = db
    if kind.startswith("cardbin"):
        command = [sys.executable, "-c", "from cardbin.cli import app; app()", "serve"]
        command += ["--server", server, "--workers", str(workers), "--port", str(port)]
        command += ["--no-access-log"] if kind == "cardbin-quiet" else []
    else:
        command = [sys.executable, __file__, "--serve-bare", server, "--workers", str(workers), "--port", str(port)]
    log = (log_dir / f"{kind}-{server}-{workers}.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            httpx.post(f"{url}{LOOKUP}", json={"card_number": "0"}, timeout=1)
            return Running(f"{kind} {server} x{workers}", process, url)
        except httpx.HTTPError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{kind} under {server} did not start; see {log.name}")


def stop(running: Running) -> None:
    stop_process(running.process)


def tree_cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process and all its descendants still alive (the workers), from /proc."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo += children.get(current, [])
    return total


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
            stop_at = time.perf_counter() + seconds

            async def worker(i: int) -> None:
                nonlocal errors
                while time.perf_counter() < stop_at:
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
        started = time.perf_counter()
        encoder.encode([resolver.lookup(c) for c in cards])
        timings.append(time.perf_counter() - started)
    return len(cards) / statistics.median(timings)


def measure(load: Load, running: Running, path: str, bodies: list[str], *, conns: int, seconds: float) -> Figures:
    before = tree_cpu_seconds(running.process.pid)
    figures = load(running.url + path, bodies, conns, seconds)
    cpu = tree_cpu_seconds(running.process.pid) - before
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


def paired(over: list[Figures], under: list[Figures], value: Callable[[Figures], float]) -> float:
    """The median of the per-round ratios: the two ran back to back in each round, under the same machine load, so
    the ratio of a round is steadier than the ratio of two medians when other work comes and goes."""
    return statistics.median(value(a) / value(b) for a, b in zip(over, under, strict=True))


def _line(name: str, f: Figures) -> str:
    return (
        f"  {name:24} {f.rps:7.0f} req/s  p50 {f.p50_ms:5.2f} ms  p99 {f.p99_ms:6.2f} ms  "
        f"server CPU {f.cpu_us:5.0f} us/req  errors {f.errors}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--servers", nargs="+", default=["granian", "uvicorn"], choices=["granian", "uvicorn"])
    parser.add_argument("--db", help="DuckDB release store (default: the bundled release)")
    parser.add_argument("--serve-bare", choices=["granian", "uvicorn"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        from cardbin.service.server import run

        run(args.serve_bare, target="bench_service:bare_app", port=args.port, workers=args.workers[0])
        return

    load = wrk if shutil.which("wrk") else python_load
    resolver = Resolver.open(args.db)
    cards = make_cards(resolver, 1000)
    ceiling = in_process_cards_per_second(resolver, cards)
    singles = [json.dumps({"card_number": c}) for c in cards[:300]]
    batch = [json.dumps({"card_numbers": cards})]
    configs = [(s, w) for w in args.workers for s in args.servers]
    log_dir = Path(tempfile.mkdtemp(prefix="bench_service-"))
    runs: dict[tuple[str, str, int], list[Figures]] = {}
    batches: list[Figures] = []
    for server, workers in configs:  # one configuration at a time: two servers never compete for the 2 cores
        pair = {kind: start(kind, server, workers, args.db, log_dir) for kind in KINDS}
        try:
            for _ in range(args.rounds):
                for kind, running in pair.items():
                    figures = measure(load, running, LOOKUP, singles, conns=args.connections, seconds=args.seconds)
                    runs.setdefault((kind, server, workers), []).append(figures)
                if (server, workers) == configs[0]:
                    batches.append(measure(load, pair["cardbin"], BATCH, batch, conns=4, seconds=args.seconds))
        finally:
            for running in pair.values():
                stop(running)

    print(f"load generator: {load.__name__}; release {resolver.release}; medians of {args.rounds} x {args.seconds:g} s")
    print(f"single lookups, {args.connections} connections; cardbin = `cardbin serve` defaults (access log on):")
    for server, workers in configs:
        rounds = [runs[(kind, server, workers)] for kind in KINDS]
        bare, ours, quiet = (median(r) for r in rounds)
        print(f"{server}, {workers} worker(s):")
        print(_line("bare Litestar+msgspec", bare))
        print(_line("cardbin /v1/cards/lookup", ours))
        print(_line("cardbin --no-access-log", quiet))
        print(
            f"  cardbin / bare: throughput {paired(rounds[1], rounds[0], lambda f: f.rps):.0%}, capacity (inverse CPU "
            f"per request) {paired(rounds[0], rounds[1], lambda f: f.cpu_us):.0%}  (target >= 90 %; p99 <= 5 ms); "
            f"access log's own cost: {paired(rounds[1], rounds[2], lambda f: f.cpu_us) - 1:.0%} CPU per request"
        )
    b = median(batches)
    server, workers = configs[0]
    print(f"batch, 1,000 cards per request, 4 connections, {server} x{workers}: {b.rps * len(cards):,.0f} cards/s")
    print(f"  {b.rps:.0f} req/s, p50 {b.p50_ms:.1f} ms, p99 {b.p99_ms:.1f} ms, errors {b.errors}")
    print(
        f"  server CPU {b.cpu_us / len(cards):.2f} us/card -> {len(cards) / b.cpu_us * 1e6:,.0f} cards/s per busy core"
    )
    print(f"  in-process ceiling: Resolver.lookup + msgspec encode of the same cards: {ceiling:,.0f} cards/s")
    print(f"server logs: {log_dir}")


if __name__ == "__main__":
    main()
