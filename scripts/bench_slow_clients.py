"""Slow-client resistance of `cardbin serve` under granian and uvicorn, in the same run.

    .venv/bin/python scripts/bench_slow_clients.py [--attackers 3000] [--seconds 15] [--workers 1]
        [--servers granian uvicorn]

For each server: `cardbin serve --server S` on the bundled release, then
1. without attack: legitimate lookups for `--seconds` (wrk at 32 connections if installed, for throughput);
2. under attack: a separate process holds `--attackers` connections that send a request's headers one byte at a
   time (slowloris), reopening each one the server closes, while legitimate clients send lookups, each on a new
   connection (a keep-alive connection opened before the attack would dodge it), 16 at a time, 5 s timeout.
Reported: success rate and p50/p99 of the legitimate lookups under attack, how many attack connections were held,
and the throughput without attack. Target: >= 99 % of legitimate requests succeed. Loopback only; every loop is
bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_service import LOOKUP, Running, make_cards, python_load, start, stop, wrk

from cardbin.resolve.resolver import Resolver

PARTIAL = b"POST /v1/cards/lookup HTTP/1.1\r\nHost: cardbin\r\nContent-Type: application/json\r\n"


def attack(host: str, port: int, connections: int, seconds: float, held: multiprocessing.Value) -> None:  # type: ignore[type-arg]
    """Hold `connections` slowloris connections for `seconds`: one more header byte per connection every second."""

    async def one(stop_at: float) -> None:
        while time.monotonic() < stop_at:
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError:
                await asyncio.sleep(0.2)
                continue
            with held.get_lock():
                held.value += 1
            try:
                writer.write(PARTIAL)
                while time.monotonic() < stop_at and not reader.at_eof():
                    await asyncio.sleep(1.0)
                    writer.write(b"X")  # never a complete header line
                    await writer.drain()
            except OSError:
                pass
            finally:
                with held.get_lock():
                    held.value -= 1
                writer.close()

    async def run() -> None:
        stop_at = time.monotonic() + seconds
        tasks = []
        for i in range(connections):  # ramp up in steps of 100 (the listen backlog absorbs a step)
            tasks.append(asyncio.create_task(one(stop_at)))
            if i % 100 == 99:
                await asyncio.sleep(0.02)
        await asyncio.gather(*tasks)

    asyncio.run(run())


@dataclass(frozen=True)
class Legit:
    sent: int
    ok: int
    p50_ms: float
    p99_ms: float

    @property
    def success(self) -> float:
        return self.ok / self.sent if self.sent else 0.0


def legitimate(url: str, bodies: list[str], seconds: float, concurrency: int = 16) -> Legit:
    """Lookups on fresh connections for `seconds`; a failure is any non-200, timeout or connection error."""

    async def run() -> Legit:
        latencies: list[float] = []
        sent = ok = 0
        stop_at = time.monotonic() + seconds
        limits = httpx.Limits(max_keepalive_connections=0)  # every request opens its own connection
        async with httpx.AsyncClient(limits=limits, timeout=5.0) as client:

            async def worker(i: int) -> None:
                nonlocal sent, ok
                while time.monotonic() < stop_at:
                    sent += 1
                    t0 = time.perf_counter()
                    try:
                        response = await client.post(
                            url + LOOKUP, content=bodies[i % len(bodies)], headers={"content-type": "application/json"}
                        )
                        ok += response.status_code == 200
                    except httpx.HTTPError:
                        pass
                    latencies.append((time.perf_counter() - t0) * 1e3)
                    i += concurrency

            await asyncio.gather(*(worker(i) for i in range(concurrency)))
        q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
        return Legit(sent, ok, q[49], q[98])

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attackers", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--servers", nargs="+", default=["granian", "uvicorn"], choices=["granian", "uvicorn"])
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.attackers * 2 + 1024)), hard))

    resolver = Resolver.open()
    bodies = [json.dumps({"card_number": c}) for c in make_cards(resolver, 300)]
    load = wrk if shutil.which("wrk") else python_load
    log_dir = Path(tempfile.mkdtemp(prefix="bench_slow_clients-"))
    results = []
    for server in args.servers:
        running: Running = start("cardbin", server, args.workers, None, log_dir)
        try:
            calm = load(running.url + LOOKUP, bodies, 32, 5.0)
            baseline = legitimate(running.url, bodies, 5.0)
            held = multiprocessing.Value("i", 0)
            port = int(running.url.rsplit(":", 1)[1])
            attacker = multiprocessing.Process(
                target=attack, args=("127.0.0.1", port, args.attackers, args.seconds + 40, held)
            )
            attacker.start()
            ramp_until = time.monotonic() + 30  # let the attack build up to 90 % of its connections
            while held.value < 0.9 * args.attackers and time.monotonic() < ramp_until:
                time.sleep(0.2)
            held_at_start = held.value
            under = legitimate(running.url, bodies, args.seconds)
            held_at_end = held.value
            attacker.kill()  # the attack has served its purpose; its loops end by themselves anyway
            attacker.join(timeout=60)
            results.append((server, calm, baseline, under, held_at_start, held_at_end))
        finally:
            stop(running)
        time.sleep(2)

    print(f"cardbin serve, {args.workers} worker(s); attack: {args.attackers} slowloris connections; loopback")
    for server, calm, baseline, under, held_start, held_end in results:
        print(f"{server}:")
        print(f"  no attack: {calm.rps:,.0f} lookups/s ({load.__name__}, 32 connections, p99 {calm.p99_ms:.2f} ms)")
        print(
            f"  no attack, new connection per lookup: {baseline.success:.2%} of {baseline.sent} ok, "
            f"p99 {baseline.p99_ms:.1f} ms"
        )
        print(
            f"  under attack ({held_start}..{held_end} slow connections open): {under.success:.2%} of "
            f"{under.sent} lookups ok, p50 {under.p50_ms:.1f} ms, p99 {under.p99_ms:.1f} ms  (target >= 99 %)"
        )
    print(f"server logs: {log_dir}")


if __name__ == "__main__":
    main()
