"""Fault simulation: K payouts through the engine, the dispatcher and the fake channel, with faults and crashes.

    .venv/bin/python scripts/simulate_payouts.py --seed 7 --orders 2000 [--store postgresql://…] [--json]

Every order gets a channel answer drawn from the seed (success, decline, timeout, undocumented code, 5xx, garbled
body, not-found-then-success, declined-but-paid, paid-then-returned) and some "processes" crash between freeze and
send, between the intent and the send, or between the send and recording the answer; a fresh dispatcher then runs
recovery. Operators settle what reaches manual review from the channel's back office (the fake's own truth).
The script then checks the safety properties and prints them; exit status 1 if any fails. The same seed gives the
same run: the digest line covers every order's final state, evidence kinds and returns.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cardbin.pan import luhn_valid
from payout_core.dispatch import Dispatcher, recover
from payout_core.ledger import channel_account, merchant_account
from payout_core.recipient import Recipient
from payout_core.review import Resolution, ReviewDesk
from payout_core.store import Store, open_store
from tests.fakechannel import FAKE_RULES, FakeChannel, OrderRecord, Scenario, running_fake_channel
from tests.fakechannel.bench import MERCHANT, Bench

FUNDS = 10**13
CHANNELS = {"safe": FAKE_RULES, "strict": msgspec.structs.replace(FAKE_RULES, resend_safe=False)}
SCENARIO_WEIGHTS: dict[Scenario, int] = {
    "success": 55,
    "failure": 10,
    "timeout": 2,  # each costs a real client timeout (0.5 s)
    "unknown_code": 6,
    "http_5xx": 6,
    "garbled": 5,
    "not_found_then_success": 6,
    "failure_then_success": 3,
    "success_then_return": 7,
}
CRASH_POINTS = ("after_route", "before_send", "after_send")
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇")


class Crash(Exception):
    """The dispatching process dies at a checkpoint."""


class Clock:
    """Virtual time: grace periods and query back-off pass in an instant, identically on every run."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def card_number(rng: random.Random) -> str:
    """An ICBC debit card number (BIN 622202) with a valid Luhn digit."""
    body = "622202" + "".join(rng.choice("0123456789") for _ in range(12))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


class Simulation:
    def __init__(self, seed: int, orders: int, crash_rate: float, store: Store, fake: FakeChannel) -> None:
        self.rng = random.Random(seed)
        self.seed, self.orders, self.crash_rate = seed, orders, crash_rate
        self.clock = Clock()
        self.bench = Bench(
            store, fake, self.clock, channels=CHANNELS, funds=FUNDS, timeout=httpx.Timeout(5.0, read=0.5)
        )
        self.engine = self.bench.engine
        self.scenarios: dict[int, Scenario] = {}
        self.crashes: Counter[str] = Counter()
        self.operator_resolutions: Counter[str] = Counter()
        self.mid_run_checks: list[tuple[str, bool, str]] = []

    # --- driving ---------------------------------------------------------------------------------------------

    def run(self) -> None:
        scenario_names = list(SCENARIO_WEIGHTS)
        weights = list(SCENARIO_WEIGHTS.values())
        dispatcher = self.bench.new_dispatcher()
        for i in range(self.orders):
            scenario = self.rng.choices(scenario_names, weights)[0]
            crash = self.rng.choice(CRASH_POINTS) if self.rng.random() < self.crash_rate else None
            recipient = Recipient(
                name=self.rng.choice(NAMES),
                account_no=card_number(self.rng),  # a card per payout: the profile caps one card's day
                account_type="personal",
                amount=self.rng.randint(1, 2_000_000),  # within the generic profile's per-payout range
                bank_code="ICBC",
                bank_name="中国工商银行",
            )
            order = self.bench.routed(f"SIM{self.seed}-{i:06d}", recipient, scenario, random.Random(self.rng.random()))
            self.scenarios[order.id] = scenario
            if crash is not None:
                self.crashes[crash] += 1
                dispatcher = self._crash_and_recover(order.id, crash)
            else:
                dispatcher.dispatch(order.id)
            self.clock.advance(1)
            if i % 50 == 49:
                dispatcher.run_due()
                self.mid_run_checks.append(self.check_frozen_equals_in_flight())
        self.mid_run_checks.append(self.check_frozen_equals_in_flight())
        self._drain(dispatcher)

    def _crash_and_recover(self, order_id: int, point: str) -> Dispatcher:
        if point != "after_route":  # after_route: the process died right after the freeze; nothing was sent

            def checkpoint(where: str, oid: int) -> None:
                if where == point and oid == order_id:
                    raise Crash(where)

            with contextlib.suppress(Crash):
                self.bench.new_dispatcher(checkpoint).dispatch(order_id)
        restarted = self.bench.new_dispatcher()
        for ready in recover(restarted).ready:  # provably never sent: dispatched normally
            restarted.dispatch(ready)
        return restarted

    def _drain(self, dispatcher: Dispatcher) -> None:
        """Let virtual time pass until every order is final; operators work the review queue as it fills."""
        desk = ReviewDesk(self.engine, clock=self.clock)
        truth: Callable[[], dict[str, OrderRecord]] = self.bench.fake.orders
        for _ in range(1000):
            while dispatcher.run_due(limit=1000):
                pass
            items = desk.uncertain()
            if items:
                records = truth()
                for u in items:
                    paid = records.get(u.order.channel_order_no or "")
                    resolution: Resolution = "succeeded" if paid is not None and paid.paid else "failed"
                    desk.resolve(u.order.id, resolution, operator="sim.operator", reason="channel back office lookup")
                    self.operator_resolutions[resolution] += 1
            if not self.engine.orders_in("dispatching", limit=1):
                return
            self.clock.advance(600)
        raise RuntimeError("orders still in progress after 1000 rounds of virtual time")

    # --- checks ----------------------------------------------------------------------------------------------

    def check_frozen_equals_in_flight(self) -> tuple[str, bool, str]:
        with self.engine.store.transaction(write=False) as tx:
            (in_flight,) = tx.one(
                "SELECT COALESCE(SUM(amount), 0) FROM orders WHERE state = 'dispatching'"
                " OR (state = 'approved' AND channel IS NOT NULL)"
            ) or (0,)
            frozen = self.engine.balance(merchant_account(MERCHANT, "frozen"), tx=tx)
            channel_in_flight = sum(self.engine.balance(channel_account(c, "in_flight"), tx=tx) for c in CHANNELS)
        ok = int(in_flight) == frozen == channel_in_flight
        return (
            "frozen funds equal in-flight orders",
            ok,
            f"orders {in_flight}, merchant frozen {frozen}, channels {channel_in_flight}",
        )

    def checks(self) -> list[tuple[str, bool, str]]:
        fake = self.bench.fake.orders()
        with self.engine.store.transaction(write=False) as tx:
            orders = {
                int(r[0]): r[1:]
                for r in tx.all(
                    "SELECT id, state, channel, channel_order_no, amount, failure_code, operator FROM orders"
                )
            }
            kinds = Counter((int(o), k) for o, k in tx.all("SELECT order_id, kind FROM dispatch_evidence"))
            failed_evidence = {
                int(r[0]) for r in tx.all("SELECT order_id FROM dispatch_evidence WHERE outcome LIKE '%\"Failed\"%'")
            }
            sends = {int(o): int(s) for o, s in tx.all("SELECT order_id, sends FROM dispatch_attempts")}
            resolved_by_operator = {
                int(r[0])
                for r in tx.all(
                    "SELECT order_id FROM review_log WHERE action = 'resolved' AND actor NOT LIKE 'channel:%'"
                )
            }
            returns = tx.all("SELECT original_order_id, amount, channel FROM payout_returns")
            (ledger_sum,) = tx.one("SELECT COALESCE(SUM(balance), 0) FROM accounts") or (0,)
            merchant = {
                p: self.engine.balance(merchant_account(MERCHANT, p), tx=tx)
                for p in ("available", "frozen", "paid_out")
            }
            channel_total = sum(
                self.engine.balance(channel_account(c, p), tx=tx)
                for c in CHANNELS
                for p in ("available", "in_flight", "settled")
            )
        results: list[tuple[str, bool, str]] = []

        unrecorded, double, forbidden, paid_twice = [], [], [], []
        for oid, (_state, channel, cno, amount, _code, _op) in orders.items():
            rec = fake.get(cno or "")
            sent = 0 if rec is None else rec.dispatches
            resends = kinds[(oid, "resend")]
            if sent > sends.get(oid, 0):
                unrecorded.append(oid)
            if sent - resends > 1:
                double.append(oid)
            if resends and not CHANNELS[channel].resend_safe:
                forbidden.append(oid)
            if rec is not None and rec.paid and rec.amount != amount:
                paid_twice.append(oid)
        results.append(("no send without a recorded intent", not unrecorded, f"{len(unrecorded)} orders"))
        results.append(("no order sent twice (bar recorded safe resends)", not double, f"{len(double)} orders"))
        results.append(("resends only where the profile allows", not forbidden, f"{len(forbidden)} orders"))
        results.append(
            ("channel paid each order at most once, the right amount", not paid_twice, f"{len(paid_twice)} orders")
        )

        succeeded = sum(o[3] for o in orders.values() if o[0] == "succeeded")
        returned = sum(int(r[1]) for r in returns)
        conserved = (
            int(ledger_sum) == 0
            and sum(merchant.values()) == FUNDS
            and channel_total == FUNDS * len(CHANNELS)
            and merchant["paid_out"] == succeeded - returned
        )
        results.append(
            (
                "ledger sums conserved",
                conserved,
                f"all accounts {ledger_sum}; merchant {sum(merchant.values()) - FUNDS:+d} vs deposits;"
                f" paid_out {merchant['paid_out']} = succeeded {succeeded} - returned {returned}",
            )
        )
        during = self.mid_run_checks
        broken = [detail for _, passed, detail in during if not passed]
        results.append(
            (
                "frozen funds equal in-flight orders during the run",
                not broken,
                f"checked {len(during)} times" if not broken else f"first mismatch: {broken[0]}",
            )
        )
        results.append(self.check_frozen_equals_in_flight())

        unexplained = [
            oid
            for oid, (state, _c, _n, _a, code, operator) in orders.items()
            if state == "failed"
            and not (code in FAKE_RULES.failure_codes and oid in failed_evidence)
            and not (operator and oid in resolved_by_operator)
        ]
        results.append(
            (
                "no order failed without an explicit failure or an operator",
                not unexplained,
                f"{len(unexplained)} orders",
            )
        )

        by_original = {int(r[0]): r for r in returns}
        bad_links = [
            oid
            for oid, (_o, amount, channel) in ((int(r[0]), r) for r in returns)
            if oid not in orders
            or orders[oid][0] != "succeeded"
            or int(amount) != orders[oid][3]
            or channel != orders[oid][1]
        ]
        missing = [
            oid
            for oid, (state, _c, cno, _a, _code, _op) in orders.items()
            if state == "succeeded" and fake[cno or ""].returned and oid not in by_original
        ]
        results.append(
            (
                "every return linked to its succeeded original",
                not bad_links and not missing,
                f"{len(returns)} returns, {len(bad_links)} badly linked, {len(missing)} channel returns not recorded",
            )
        )
        results.append(("every order final", all(o[0] in ("succeeded", "failed") for o in orders.values()), ""))
        return results

    def summary(self) -> dict[str, object]:
        fake = self.bench.fake.orders()
        with self.engine.store.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT o.merchant_order_no, o.state, COALESCE(o.failure_code, ''), COALESCE(o.operator, ''),"
                " (SELECT COUNT(*) FROM dispatch_evidence e WHERE e.order_id = o.id),"
                " (SELECT COUNT(*) FROM payout_returns r WHERE r.original_order_id = o.id), o.channel"
                " FROM orders o ORDER BY o.merchant_order_no"
            )
            evidence_kinds: dict[str, int] = dict(
                tx.all("SELECT kind, COUNT(*) FROM dispatch_evidence GROUP BY kind ORDER BY kind")
            )
            reviews = tx.one("SELECT COUNT(*) FROM review_items") or (0,)
        digest = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
        contradictions = sum(
            1
            for oid, s in self.scenarios.items()
            if s == "failure_then_success" and self.engine.get(oid).state == "failed"
        )
        return {
            "orders": len(rows),
            "states": dict(Counter(r[1] for r in rows)),
            "scenarios": dict(Counter(self.scenarios.values())),
            "crashes": dict(self.crashes),
            "evidence": {str(k): int(v) for k, v in evidence_kinds.items()},
            "reviews_opened": int(reviews[0]),
            "operator_resolutions": dict(self.operator_resolutions),
            "returns": sum(int(r[5]) for r in rows),
            "channel_requests": sum(r.dispatches + r.queries for r in fake.values()),
            "declined_but_paid_for_reconciliation": contradictions,
            "digest": digest,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--crash-rate", type=float, default=0.05)
    parser.add_argument(
        "--store", help="postgresql://… (a throwaway schema is used) or a SQLite path; default temp SQLite"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    # The crashes simulated are process crashes, not power loss: a RAM-backed SQLite file keeps fsync out of the run.
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        schema = None
        if args.store and args.store.startswith(("postgresql://", "postgres://")):
            schema = f"sim_{uuid.uuid4().hex[:12]}"
        store = open_store(args.store or Path(tmp) / "sim.db", schema=schema)
        try:
            store.migrate()
            with running_fake_channel(timeout_delay=0.6) as fake:
                sim = Simulation(args.seed, args.orders, args.crash_rate, store, fake)
                sim.run()
                checks, summary = sim.checks(), sim.summary()
                sim.bench.close()
        finally:
            store.close()
            if schema is not None:
                with psycopg.connect(args.store, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary["backend"] = "postgresql" if schema else "sqlite"
    ok = all(passed for _, passed, _ in checks)
    if args.json:
        summary["checks"] = {name: passed for name, passed, _ in checks}
        print(msgspec.json.encode(summary).decode())
    else:
        for key, value in summary.items():
            print(f"{key:>38}: {value}")
        for name, passed, detail in checks:
            print(
                f"{'PASS' if passed else 'FAIL'}  {name}  ({detail})"
                if detail
                else f"{'PASS' if passed else 'FAIL'}  {name}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
