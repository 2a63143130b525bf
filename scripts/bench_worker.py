"""Payouts per second end to end through `payout-core worker` processes against the fake channel: one worker
beside two (or any counts given), in the same run.

    .venv/bin/python scripts/bench_worker.py [--backend postgres] [--orders 600] [--rounds 3] [--workers 1 2]

Each round, for each worker count in turn (so every count sees the same machine load): a fresh store (a PostgreSQL
schema, or a SQLite file), a bench (a funded merchant, two routes on the fake channel), the workers started and
idle, then `--orders` approved orders submitted in one merchant batch (submit_many); the figure is orders divided
by the seconds from that commit until every order has succeeded (route, freeze, intent, send, answer, settle),
polled every 20 ms. Prints each count's median and its ratio to the first count's median.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cardbin.pan import luhn_valid
from payout_core.recipient import Recipient
from payout_core.store import Store, open_store, utcnow
from tests.fakechannel import FAKE_RULES, FakeChannel, running_fake_channel
from tests.fakechannel.bench import MERCHANT, Bench
from tests.fakechannel.keys import ensure_keys
from tests.fakechannel.worker import WorkerPool

FUNDS = 10**13
ICBC = {"bank_name": "中国工商银行", "bank_code": "ICBC"}  # the fake profile requires the bank (622202 is ICBC's)


def card(rng: random.Random) -> str:
    body = "622202" + "".join(rng.choice("0123456789") for _ in range(12))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def one_round(fake: FakeChannel, backend: str, dsn: str | None, *, workers: int, orders: int, tmp: Path) -> float:
    """Payouts per second with `workers` worker processes, on a store of its own."""
    schema = f"bench_{uuid.uuid4().hex[:12]}" if backend == "postgres" else None
    url = dsn if dsn and schema else str(tmp / f"{uuid.uuid4().hex[:8]}.db")
    store = open_store(url, schema=schema)
    try:
        store.migrate()
        bench = Bench(store, fake, utcnow, channels={"a": FAKE_RULES, "b": FAKE_RULES}, funds=FUNDS)
        config = bench.worker_config(tmp / "worker.json")
        worker_url = url if schema is None else f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        pool = WorkerPool(config, worker_url, workers, tmp, "--batch", "20", "--poll-seconds", "0.02")
        try:
            _wait_started(tmp, pool.started)
            rng = random.Random(workers)
            batch = [
                (f"B{i}", Recipient(name="张伟", account_no=card(rng), account_type="personal", amount=100 + i, **ICBC))
                for i in range(orders)
            ]
            start = time.perf_counter()
            bench.engine.submit_many(MERCHANT, batch)
            while _succeeded(store) < orders:
                if time.perf_counter() - start > 600:
                    raise TimeoutError(f"{_succeeded(store)} of {orders} succeeded after 600 s")
                time.sleep(0.02)
            elapsed = time.perf_counter() - start
        finally:
            codes = pool.stop()
            bench.close()
        if any(codes) or pool.deaths:
            raise RuntimeError(f"a worker failed: exit codes {codes}, died {pool.deaths}")
        return orders / elapsed
    finally:
        store.close()
        if schema is not None and dsn:
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _succeeded(store: Store) -> int:
    with store.transaction(write=False) as tx:
        row = tx.one("SELECT COUNT(*) FROM orders WHERE state = 'succeeded'")
    return 0 if row is None else int(row[0])


def _wait_started(log_dir: Path, count: int) -> None:
    """Until each worker's log says it started (imports done, store open): only the payouts are timed."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        started = 0
        for n in range(count):
            log = log_dir / f"worker-{n}.log"
            lines = log.read_text().splitlines() if log.exists() else []
            started += any(json.loads(line).get("msg") == "worker started" for line in lines if line.startswith("{"))
        if started == count:
            return
        time.sleep(0.05)
    raise TimeoutError("workers did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--dsn", default=os.environ.get("PAYOUT_PG_DSN"))
    parser.add_argument("--orders", type=int, default=600, help="payouts per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts compared")
    args = parser.parse_args()
    if args.backend == "postgres" and not args.dsn:
        sys.exit("PostgreSQL: set PAYOUT_PG_DSN or pass --dsn")
    ensure_keys()  # before any worker process starts: they inherit the keys
    figures: dict[int, list[float]] = {n: [] for n in args.workers}
    with running_fake_channel() as fake:
        for round_no in range(args.rounds):
            for n in args.workers:
                with tempfile.TemporaryDirectory() as tmp:
                    rate = one_round(fake, args.backend, args.dsn, workers=n, orders=args.orders, tmp=Path(tmp))
                figures[n].append(rate)
                print(f"round {round_no + 1}: {n} worker(s) {rate:7.1f} payouts/s", flush=True)
    base = statistics.median(figures[args.workers[0]])
    print(f"{args.backend}, {args.orders} payouts per round, {args.rounds} rounds (medians), fake channel on loopback:")
    for n, rates in figures.items():
        median = statistics.median(rates)
        print(f"  {n} worker(s): {median:7.1f} payouts/s  ({median / base:.2f}x {args.workers[0]} worker(s))")


if __name__ == "__main__":
    main()
