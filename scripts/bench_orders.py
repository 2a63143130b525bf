"""Payouts per second through create → approve → route → freeze, on SQLite and PostgreSQL, beside a baseline.

The baseline is the cheapest transaction of the same kind: a bare single-row INSERT then UPDATE, committed, run by
the same processes and threads on the same store. Each figure is the median of several rounds. Two modes:
`durable` (every commit waits for the disk) and `fast` (intake commits do not: PayoutEngine(fast_intake=True)).

    .venv/bin/python scripts/bench_orders.py --backend postgres --orders 4000 --processes 2 --workers 4 \
        --merchants 8 --rounds 3 [--batch 20]

--batch 1 runs each payout through submit, approve and route; --batch N gives each worker a merchant's batch of N
at a time through submit_many, approve_many and route_many (each order still in its own transactions).
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import os
import queue
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from payout_core.orders import Merchant, PayoutEngine
from payout_core.recipient import Recipient
from payout_core.routing import ChannelRoute
from payout_core.store import Store, open_store
from tests.fakechannel.keys import ensure_keys
from tests.fakechannel.staff import ADMIN, OPERATOR, hire_staff, new_key

CHANNELS = (("ali-1", "alipay_bankcard", 5), ("ll-1", "lianlian", 3), ("bf-1", "baofoo", 1), ("al-1", "allinpay", 1))
APPROVER = "alice"  # an approver of the bench staff (tests/fakechannel/staff.py): approvals are audited


@dataclasses.dataclass(frozen=True)
class Run:
    """Everything a worker process needs to reopen the store and do its share of one round."""

    url: str
    schema: str | None
    kind: str  # "baseline" | "payouts"
    fast: bool
    round_no: int
    total: int
    processes: int
    workers: int
    merchants: int
    batch: int


def baseline_job(store: Store, run: Run) -> Callable[[int, list[int]], None]:
    def job(_w: int, items: list[int]) -> None:
        for i in items:
            with store.transaction(durable=not run.fast) as tx:
                row = tx.one("INSERT INTO bench_baseline (state, at) VALUES ('created', ?) RETURNING id", (i,))
                assert row is not None
                tx.one(
                    "UPDATE bench_baseline SET state = 'approved' WHERE id = ? AND state = 'created' RETURNING id",
                    (row[0],),
                )

    return job


def payout_job(store: Store, run: Run) -> Callable[[int, list[int]], None]:
    """Payouts one by one (--batch 1: submit, approve, route), or a merchant's batch at a time (submit_many,
    approve_many, route_many: each order still in its own transactions, a batch in one round trip per step)."""
    engine = PayoutEngine(store, fast_intake=run.fast)
    rngs: dict[int, random.Random] = {}

    def job(w: int, items: list[int]) -> None:
        rng = rngs.setdefault(w, random.Random(items[0]))
        merchant = merchant_of(run, items[0] // run.batch)  # a batch is one merchant's
        if run.batch == 1:
            orders = [engine.submit(merchant, f"r{run.round_no}-{i}", payee(run, i)) for i in items]
            routed = [engine.route(engine.approve(o.id, APPROVER), rng) for o in orders]
        else:
            orders = engine.submit_many(merchant, [(f"r{run.round_no}-{i}", payee(run, i)) for i in items])
            routed = engine.route_many(engine.approve_many([o.id for o in orders], APPROVER), rng)
        for order in routed:
            assert order.channel is not None, order.route_failure

    return job


def payee(run: Run, i: int) -> Recipient:
    return Recipient(
        name="张三",
        account_no=f"622202{run.round_no:03d}{i:010d}",  # one card per payout: the usual spread of a payroll
        account_type="personal",
        amount=100 + i % 900,
        bank_code="ICBC",
        bank_name="中国工商银行",
    )


def merchant_of(run: Run, i: int) -> str:
    return f"bench{run.round_no}-{i % run.merchants}"


def work(run: Run, index: int, barrier: Any) -> tuple[float, float]:
    """One process's share: orders index, index + processes, … over `workers` threads. Returns (start, end)."""
    store = open_store(run.url, schema=run.schema)
    job = (baseline_job if run.kind == "baseline" else payout_job)(store, run)
    mine = list(range(index, run.total, run.processes))
    errors: list[BaseException] = []
    ready = threading.Barrier(run.workers + 1)

    def thread(w: int) -> None:
        ready.wait()
        ours = mine[w :: run.workers]
        try:
            for start in range(0, len(ours), run.batch):
                job(w, ours[start : start + run.batch])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=thread, args=(w,)) for w in range(run.workers)]
    for t in threads:
        t.start()
    if barrier is not None:
        barrier.wait()
    start = time.time()
    ready.wait()
    for t in threads:
        t.join()
    end = time.time()
    store.close()
    if errors:
        raise errors[0]
    return start, end


def _process_entry(run: Run, index: int, barrier: Any, out: multiprocessing.Queue[object]) -> None:
    try:
        out.put(work(run, index, barrier))
    except BaseException as exc:
        out.put(exc)


def rate(run: Run) -> float:
    """Orders per second of one round, all processes together (first start to last end)."""
    if run.processes == 1:
        start, end = work(run, 0, None)
        return run.total / (end - start)
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited database connections
    barrier = ctx.Barrier(run.processes)
    out: multiprocessing.Queue[object] = ctx.Queue()
    procs = [ctx.Process(target=_process_entry, args=(run, i, barrier, out)) for i in range(run.processes)]
    for p in procs:
        p.start()
    answers: list[object] = []
    while len(answers) < len(procs):
        try:
            answers.append(out.get(timeout=1.0))
        except queue.Empty:  # a worker killed from outside never reports: fail instead of waiting forever
            lost = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            if lost:  # stop the others first: they must not hold their tables while the schema is dropped
                for p in procs:
                    p.kill()
                    p.join()
                raise RuntimeError(f"a worker process died (exit code {lost[0]}) before reporting") from None
    for p in procs:
        p.join()
    spans: list[tuple[float, float]] = []
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, tuple)
        spans.append(answer)
    return run.total / (max(end for _, end in spans) - min(start for start, _ in spans))


def prepare_round(store: Store, run: Run) -> None:
    """Merchant with funds for the round, four funded channels with weights."""
    engine = PayoutEngine(store)
    hire_staff(store)
    for m in range(run.merchants):
        engine.add_merchant(
            Merchant(id=merchant_of(run, m), approval="manual", per_card_daily_limit=10**15), actor=ADMIN
        )
        engine.deposit(merchant_of(run, m), 10**13, key=new_key(), actor=OPERATOR)
    for name, profile, weight in CHANNELS:
        engine.add_channel(ChannelRoute(name=name, profile=profile, weight=weight), actor=ADMIN)
        engine.fund_channel(name, 10**13, key=new_key(), actor=OPERATOR)


def measure(store: Store, url: str, schema: str | None, args: argparse.Namespace, *, fast: bool) -> tuple[float, float]:
    """Median baseline tx/s and median payouts/s over the rounds, in one durability mode."""
    base: list[float] = []
    pay: list[float] = []
    for r in range(args.rounds):
        shape = (args.orders, args.processes, args.workers, args.merchants, args.batch)
        run = Run(url, schema, "baseline", fast, 2 * r + fast, *shape)
        base.append(rate(run))
        run = dataclasses.replace(run, kind="payouts")
        prepare_round(store, run)
        pay.append(rate(run))
    return statistics.median(base), statistics.median(pay)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--dsn", default=os.environ.get("PAYOUT_PG_DSN"))
    parser.add_argument("--orders", type=int, default=1000, help="payouts per round")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--workers", type=int, default=8, help="threads per process")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--merchants", type=int, default=1, help="payouts spread over this many merchants")
    parser.add_argument(
        "--batch", type=int, default=1, help="approve and route this many at a time (approve_many, route_many)"
    )
    args = parser.parse_args()
    ensure_keys()  # before any worker process starts: they inherit the keys
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    print(
        f"orders/round={args.orders} merchants={args.merchants} batch={args.batch} processes={args.processes}"
        f" threads/process={args.workers} rounds={args.rounds} (medians); fast = PayoutEngine(fast_intake=True)"
    )
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            if backend == "postgres":
                if not args.dsn:
                    sys.exit("PostgreSQL: set PAYOUT_PG_DSN or pass --dsn")
                url, schema = args.dsn, f"bench_{uuid.uuid4().hex[:12]}"
            else:
                url, schema = str(Path(tmp) / "bench.db"), None
            store = open_store(url, schema=schema)
            try:
                store.migrate()
                with store.transaction() as tx:
                    tx.script("CREATE TABLE bench_baseline (id {{id}}, state TEXT NOT NULL, at BIGINT NOT NULL);")
                figures = {mode: measure(store, url, schema, args, fast=mode == "fast") for mode in ("durable", "fast")}
            finally:
                store.close()
                if schema is not None:
                    with psycopg.connect(url, autocommit=True) as conn:
                        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        for mode, (b, p) in figures.items():
            print(
                f"{backend:8s} {mode:7s} baseline INSERT+UPDATE {b:7.0f} tx/s | payouts/s create→approve→route→freeze"
                f" {p:6.0f} | one payout = {b / p:.1f} baseline tx"
            )


if __name__ == "__main__":
    main()
