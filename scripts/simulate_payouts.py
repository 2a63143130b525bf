"""Fault simulation: K payouts through the engine, `payout-core worker` processes and the fake channel, with faults
and crashes, over simulated business days, each reconciled against the channel's own statement.

    .venv/bin/python scripts/simulate_payouts.py --seed 7 --orders 2000 [--workers 2] [--orders-per-day 1000]
        [--store …] [--json]

Every order gets a channel answer drawn from the seed (success, decline, timeout, undocumented code, 5xx, garbled
body, not-found-then-success, declined-but-paid, paid-then-returned, an answer about another order, a proxy's 404,
a forged signature, success-then-failed, a return only the statement shows, a payment after the operator failed
it, another amount paid, a line the statement leaves out), and someone else pays from the account now and then.
Orders are submitted and routed here, in batches of 50; `--workers` worker processes dispatch, query and sweep
them on the simulation's virtual time (published to them through a file, so each batch is worked at the same
instants on every run). Some workers are killed (SIGKILL) between the route and the send, between the intent and
the send, or between the send and recording the answer; another worker, or the one started in its place, sweeps
the attempt once its lease passes. Operators settle what reaches manual review from the channel's back office
(the fake's own truth). At each day's cut-off the fake writes each account's statement (GBK
CSV for one, xlsx for the other) from its truth, the day is reconciled, and operators decide every item from the
same truth; quiet days follow until the last return has landed. The script then checks the safety properties and
the reconciliation's (every payout the channel made is succeeded on our books or has an item; each account's ledger
balance equals its statement's; no item opened twice; every injected difference found, none invented), prints
them and the counts found versus injected; exit status 1 if any check fails. The same seed gives the same run: the
digest line covers every order's final state, evidence kinds, returns and items.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import random
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

import httpx
import msgspec
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cardbin.pan import luhn_valid
from payout_core.days import CHINA
from payout_core.differences import Decision, DifferenceDesk, Item, ItemKind
from payout_core.dispatch import Payout
from payout_core.ledger import channel_account, merchant_account
from payout_core.orders import Order
from payout_core.recipient import Recipient
from payout_core.reconcile import DaySummary, Reconciler
from payout_core.review import Resolution, ReviewDesk
from payout_core.store import Store, open_store
from tests.fakechannel import FAKE_RULES, FakeChannel, FakeChannelAdapter, OrderRecord, Scenario, running_fake_channel
from tests.fakechannel.bench import MERCHANT, Bench
from tests.fakechannel.keys import ensure_keys
from tests.fakechannel.staff import OPERATOR
from tests.fakechannel.statement import FAKE_CSV, FAKE_XLSX, statement_file
from tests.fakechannel.worker import FileClock, WorkerPool, plan_crash

FUNDS = 10**13
CHANNELS = {"safe": FAKE_RULES, "strict": msgspec.structs.replace(FAKE_RULES, resend_safe=False)}
LAYOUTS = {"safe": FAKE_CSV, "strict": FAKE_XLSX}
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
    "wrong_order_no": 1,
    "proxy_404": 1,
    "forged_signature": 1,
    "success_then_failed": 1,
    "quiet_return": 1,
    "late_payment": 1,
    "paid_other_amount": 1,
    "statement_omits": 1,
}
# The difference each injected fault must be found as, and the state our order must have ended in for the fault to
# be a difference at all (a decline never heard — its process crashed — is no difference: recovery queried the
# truth). Returns found by a follow-up query are recorded without an item.
INJECTED: dict[Scenario, tuple[ItemKind, str]] = {
    "failure_then_success": ("paid_not_succeeded", "failed"),
    "late_payment": ("paid_not_succeeded", "failed"),  # paid after the operator failed it: contradicts the decision
    "success_then_failed": ("failed_at_channel", "succeeded"),
    "paid_other_amount": ("amount_differs", "succeeded"),
    "statement_omits": ("missing_from_statement", "succeeded"),
    "quiet_return": ("returned", "succeeded"),
    "success_then_return": ("returned", "succeeded"),
}
RETURN_AFTER = (3600, 3 * 86_400)  # a return lands this long after the payment (seconds, drawn per order)
LATE_PAYMENT_AFTER = 3 * 3600
FOREIGN_PER_DAY = 0.7  # payouts someone else makes from the "safe" account, per day on average
CRASH_POINTS = ("after_route", "before_send", "after_send")  # where a worker process is killed
BATCH = 50  # orders routed between two moments the workers are let work
LEASE_SECONDS = 3  # a worker's lease: above the client's timeouts (0.5 s read), and what a killed worker costs
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇")


class AlertCount(logging.Handler):
    """Counts the alerts (unverified answers, contradictions) instead of printing them: the run expects some."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class Clock:
    """Virtual time: grace periods and query back-off pass in an instant, identically on every run. The fake
    channel's clock follows it (`sync`), so its truth and statements are stamped in the same time. The workers see
    the instant last published (`shared`), so they work each batch at the same instant on every run."""

    def __init__(self, shared: FileClock) -> None:
        self.now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
        self.fake: FakeChannel | None = None
        self.shared = shared
        shared.publish(self.now)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def set(self, instant: datetime) -> None:
        self.now = instant
        self.sync()

    def sync(self) -> None:
        if self.fake is not None:
            self.fake.set_clock(self.now)


def card_number(rng: random.Random) -> str:
    """An ICBC debit card number (BIN 622202) with a valid Luhn digit."""
    body = "622202" + "".join(rng.choice("0123456789") for _ in range(12))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


class Simulation:
    def __init__(
        self,
        seed: int,
        orders: int,
        crash_rate: float,
        store: Store,
        fake: FakeChannel,
        *,
        store_url: str,
        workdir: Path,
        orders_per_day: int = 1000,
        workers: int = 2,
    ) -> None:
        self.rng = random.Random(seed)
        self.seed, self.orders, self.crash_rate = seed, orders, crash_rate
        self.orders_per_day, self.workdir = orders_per_day, workdir
        self.clock = Clock(FileClock(workdir / "clock"))
        keys = {name: f"key-{seed}-{name}" for name in CHANNELS}
        self.bench = Bench(
            store,
            fake,
            self.clock,
            channels=CHANNELS,
            funds=FUNDS,
            timeout=httpx.Timeout(5.0, read=0.5),
            keys=keys,
            layouts=LAYOUTS,
        )
        self.clock.fake = fake
        self.engine = self.bench.engine
        self.crash_dir = workdir / "crashes"
        self.crash_dir.mkdir()
        config = self.bench.worker_config(
            workdir / "worker.json", clock_file=self.clock.shared.path, crash_dir=self.crash_dir
        )
        options = ("--no-route", "--lease-seconds", str(LEASE_SECONDS), "--poll-seconds", "0.02")
        self.pool = WorkerPool(config, store_url, workers, workdir, *options)
        self.workers = workers
        self.stopped: list[int] = []
        self.batch: list[tuple[Order, random.Random]] = []
        self.scenarios: dict[int, Scenario] = {}
        self.crashes: Counter[str] = Counter()
        self.operator_resolutions: Counter[str] = Counter()
        self.item_decisions: Counter[str] = Counter()
        self.mid_run_checks: list[tuple[str, bool, str]] = []
        self.day_checks: list[tuple[str, bool, str]] = []
        self.summaries: list[DaySummary] = []
        self.foreign: dict[str, int] = {}  # order number → amount someone else paid from the "safe" account
        self.days = 0
        self.alerts = AlertCount()
        alerts = logging.getLogger("payout_core.alerts")
        alerts.addHandler(self.alerts)
        alerts.propagate = False

    # --- driving ---------------------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            self._run()
        finally:
            self.stopped = self.pool.stop()

    def settle(self) -> None:
        """Let the workers work at the simulation's present instant until nothing is left to do at it."""
        self.clock.sync()
        self.clock.shared.publish(self.clock.now)
        self.pool.settle(self.engine.store, self.clock.now)

    def _run(self) -> None:
        scenario_names = list(SCENARIO_WEIGHTS)
        weights = list(SCENARIO_WEIGHTS.values())
        first_day = self.clock().astimezone(CHINA).date()
        done = 0
        while done < self.orders:
            day = first_day + timedelta(days=self.days)
            self._open_day(day)
            for _ in range(min(self.orders_per_day, self.orders - done)):
                self._one(done, scenario_names, weights)
                done += 1
            self._route()
            self._pay_foreign(day)
            self.mid_run_checks.append(self.check_frozen_equals_in_flight())
            self._drain()
            self._close_day(day)
        quiet = RETURN_AFTER[1] // 86_400 + 2  # days for the last returns to land and be reconciled
        for _ in range(quiet):
            day = first_day + timedelta(days=self.days)
            self._open_day(day)
            self._drain()
            self._close_day(day)

    def _one(self, i: int, scenario_names: list[Scenario], weights: list[int]) -> None:
        scenario = self.rng.choices(scenario_names, weights)[0]
        crash = self.rng.choice(CRASH_POINTS) if self.rng.random() < self.crash_rate else None
        later = self.rng.randint(*RETURN_AFTER) if "return" in scenario else LATE_PAYMENT_AFTER
        recipient = Recipient(
            name=self.rng.choice(NAMES),
            account_no=card_number(self.rng),  # a card per payout: the profile caps one card's day
            account_type="personal",
            amount=self.rng.randint(1, 2_000_000),  # within the generic profile's per-payout range
            bank_code="ICBC",
            bank_name="中国工商银行",
        )
        no = f"SIM{self.seed}-{i:06d}"
        order = self.bench.prepared(no, recipient, scenario, later_seconds=later)
        self.batch.append((order, random.Random(self.rng.random())))
        self.scenarios[order.id] = scenario
        if crash is not None:
            self.crashes[crash] += 1
            plan_crash(self.crash_dir, order.id, crash)
        self.clock.advance(1)
        if i % BATCH == BATCH - 1:
            self._route()

    def _route(self) -> None:
        """Route the batch at one instant, published first, so the workers send all of it at that instant."""
        if not self.batch:
            return
        self.clock.sync()
        self.clock.shared.publish(self.clock.now)
        for order, rng in self.batch:
            self.bench.route(order, rng)
        self.batch = []
        self.settle()
        self.mid_run_checks.append(self.check_frozen_equals_in_flight())

    def _open_day(self, day: date) -> None:
        """09:00 in Beijing: the night's follow-up queries first."""
        self.clock.set(datetime.combine(day, day_time(9), CHINA).astimezone(UTC))
        self.settle()

    def _pay_foreign(self, day: date) -> None:
        """Someone else pays from the "safe" account (a leaked key, a payout typed in the channel's portal)."""
        adapter = FakeChannelAdapter(self.bench.fake.base_url, "safe", account=self.bench.accounts["safe"])
        while self.rng.random() < FOREIGN_PER_DAY / (1 + FOREIGN_PER_DAY):
            no, amount = f"X{self.seed}-{day:%m%d}-{len(self.foreign)}", self.rng.randint(100, 50_000)
            payee = Recipient(name="李四", account_no=card_number(self.rng), account_type="personal", amount=amount)
            request = adapter.dispatch_request(Payout(order_id=0, channel_order_no=no, recipient=payee))
            httpx.post(request.url, content=request.body, headers=request.headers).raise_for_status()
            self.foreign[no] = amount

    def _close_day(self, day: date) -> None:
        """The cut-off: each account's statement from the channel's truth, reconciled; operators decide every item
        from the same truth; then each account's ledger balance must equal its statement's."""
        self.clock.set(LAYOUTS["safe"].day_window(day)[1])
        reconciler = Reconciler(self.engine, clock=self.clock)
        closing: dict[str, int | None] = {}
        for name, layout in LAYOUTS.items():
            suffix = "xlsx" if layout.format == "xlsx" else "csv"
            path = statement_file(
                self.bench.fake, self.bench.accounts[name], layout, day, self.workdir / f"{name}-{day}.{suffix}"
            )
            summary = reconciler.run(name, day, path)
            self.summaries.append(summary)
            closing[name] = summary.closing_balance
            if self.days == 0 and name == "safe":
                self.day_checks.append(self._rerun(reconciler, name, day, path))
        self._decide_items()
        for name, stated in closing.items():
            ledger = sum(self.engine.balance(channel_account(name, p)) for p in ("available", "in_flight"))
            detail = f"{name} {day}: ledger {ledger}, statement {stated}"
            self.day_checks.append(("each account's ledger balance equals its statement's", ledger == stated, detail))
        self.days += 1

    def _rerun(self, reconciler: Reconciler, name: str, day: date, path: Path) -> tuple[str, bool, str]:
        count = "SELECT (SELECT COUNT(*) FROM statements), (SELECT COUNT(*) FROM reconcile_items)"
        with self.engine.store.transaction(write=False) as tx:
            before = tx.all(count)
        again = reconciler.run(name, day, path)
        with self.engine.store.transaction(write=False) as tx:
            after = tx.all(count)
        same = again.rerun and before == after
        return ("a statement reconciled twice changes nothing", same, f"{name} {day}: {before} → {after}")

    def _decide_items(self) -> None:
        """Operators decide each open item from the channel's back office (the fake's truth)."""
        desk = DifferenceDesk(self.engine, clock=self.clock)
        truth = self.bench.fake.orders()
        for item in desk.items():
            decision = self._decision(item, truth.get(item.ref))
            desk.resolve(item.id, decision, operator=OPERATOR, reason=f"channel back office: {item.kind}")
            self.item_decisions[f"{item.kind}: {decision}"] += 1

    @staticmethod
    def _decision(item: Item, record: OrderRecord | None) -> Decision:
        if item.kind == "missing_from_statement" and record is not None and record.paid:
            return "dismiss"  # the channel paid it; its statement left the line out
        return "book"

    def _drain(self) -> None:
        """Let virtual time pass until every order is final; operators work the review queue as it fills."""
        desk = ReviewDesk(self.engine, clock=self.clock)
        truth: Callable[[], dict[str, OrderRecord]] = self.bench.fake.orders
        for _ in range(1000):
            self.settle()
            items = desk.uncertain()
            if items:
                records = truth()
                for u in items:
                    paid = records.get(u.order.channel_order_no or "")
                    resolution: Resolution = "succeeded" if paid is not None and paid.paid else "failed"
                    desk.resolve(u.order.id, resolution, operator=OPERATOR, reason="channel back office lookup")
                    self.operator_resolutions[resolution] += 1
            if not self.engine.orders_in("dispatching", limit=1):
                return
            self.clock.advance(600)
        raise RuntimeError("orders still in progress after 1000 rounds of virtual time")

    # --- reconciliation: what was injected, what was found --------------------------------------------------

    def differences(self) -> dict[str, dict[str, int]]:
        """Per kind: injected, found (items), found by a follow-up query first, and those found that were not
        injected (invented) or injected and not found (missed); returns found by query need no item."""
        fake = self.bench.fake.orders()
        with self.engine.store.transaction(write=False) as tx:
            found = [
                (str(k), str(r), int(o) if o is not None else None, str(f))
                for k, r, o, f in tx.all("SELECT kind, ref, order_id, found_by FROM reconcile_items")
            ]
            returned_by_query = {
                int(r[0]) for r in tx.all("SELECT original_order_id FROM payout_returns WHERE source = 'channel'")
            }
            ended = {int(o): (str(n), str(st)) for o, n, st in tx.all("SELECT id, channel_order_no, state FROM orders")}
        numbers = {o: n for o, (n, _) in ended.items()}
        injected: dict[tuple[str, str], str] = {}  # (kind, ref) → scenario
        for oid, scenario in self.scenarios.items():
            kind, premise = INJECTED.get(scenario, (None, ""))
            record = fake.get(numbers[oid])
            if kind is None or record is None or ended[oid][1] != premise:
                continue
            if kind == "returned" and (not record.returned or oid in returned_by_query):
                continue  # not returned yet, or the return came in by a follow-up query
            injected[(kind, numbers[oid])] = scenario
        for no in self.foreign:
            injected[("unknown_order", no)] = "foreign"
        report: dict[str, dict[str, int]] = {}
        keys = {(k, r) for k, r, _, _ in found}
        for name in sorted({k for k, _ in injected} | {k for k, _, _, _ in found}):
            report[name] = {
                "injected": sum(1 for k, _ in injected if k == name),
                "found": sum(1 for k, _, _, _ in found if k == name),
                "found_by_query_first": sum(1 for k, _, _, f in found if k == name and f == "query"),
                "invented": sum(1 for k, r, _, _ in found if k == name and (k, r) not in injected),
                "missed": sum(1 for k, r in injected if k == name and (k, r) not in keys),
            }
        report["returned by follow-up query"] = {"found": len(returned_by_query)}
        return report

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
            adjusted: dict[str, int] = {
                str(k): int(v) for k, v in tx.all("SELECT kind, SUM(amount) FROM adjustments GROUP BY kind")
            }
            items = tx.all("SELECT kind, ref, order_id, state FROM reconcile_items")
            item_keys = tx.all("SELECT channel, kind, ref, COUNT(*) FROM reconcile_items GROUP BY channel, kind, ref")
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
        booked, reversed_, unattributed = (
            int(adjusted.get(k, 0)) for k in ("book_payment", "reverse_payment", "unattributed")
        )
        conserved = (
            int(ledger_sum) == 0
            and sum(merchant.values()) == FUNDS
            and channel_total + unattributed == FUNDS * len(CHANNELS)
            and merchant["paid_out"] == succeeded - returned + booked - reversed_
        )
        results.append(
            (
                "ledger sums conserved",
                conserved,
                f"all accounts {ledger_sum}; merchant {sum(merchant.values()) - FUNDS:+d} vs deposits;"
                f" paid_out {merchant['paid_out']} = succeeded {succeeded} - returned {returned} + adjustments"
                f" {booked} - {reversed_}; unattributed {unattributed}",
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
        killed = [code for code in self.pool.deaths if code == -signal.SIGKILL]
        results.append(
            (
                "every planned crash killed a worker, and nothing else did",
                len(killed) == len(self.pool.deaths) == sum(self.crashes.values()),
                f"{len(killed)} killed of {sum(self.crashes.values())} planned; {len(self.pool.deaths)} died",
            )
        )
        results.append(
            (
                "every worker stopped gracefully on SIGTERM",
                len(self.stopped) == self.workers and not any(self.stopped),
                f"exit codes {self.stopped}",
            )
        )
        results.extend(self._reconciliation_checks(fake, orders, items, item_keys))
        return results

    def _reconciliation_checks(
        self,
        fake: dict[str, OrderRecord],
        orders: dict[int, tuple[Any, ...]],
        items: list[tuple[Any, ...]],
        item_keys: list[tuple[Any, ...]],
    ) -> list[tuple[str, bool, str]]:
        results: list[tuple[str, bool, str]] = []
        with_item = {str(ref) for _k, ref, _o, _s in items}
        ours = {str(o[2]): o for o in orders.values()}
        accounts = set(self.bench.accounts.values())
        unexplained = [
            no
            for no, rec in fake.items()
            if rec.account in accounts
            and rec.paid
            and not (no in ours and ours[no][0] == "succeeded")
            and no not in with_item
        ]
        results.append(
            (
                "every payout the channel made is succeeded on our books or has an item",
                not unexplained,
                f"{sum(1 for r in fake.values() if r.account in accounts and r.paid)} paid; {len(unexplained)} neither",
            )
        )
        twice = [k for k in item_keys if int(k[3]) > 1]
        results.append(("no item opened twice", not twice, f"{len(items)} items, {len(twice)} opened twice"))
        still_open = [i for i in items if i[3] == "open"]
        results.append(("every item decided", not still_open, f"{len(still_open)} open"))
        balance = [d for d in self.day_checks if d[0].startswith("each account")]
        broken = [detail for _, ok, detail in balance if not ok]
        results.append(
            (
                "each account's ledger balance equals its statement's, every day",
                bool(balance) and not broken,
                f"{len(balance)} statements" if not broken else f"first mismatch: {broken[0]}",
            )
        )
        results.extend(d for d in self.day_checks if not d[0].startswith("each account"))
        report = self.differences()
        wrong = {k: v for k, v in report.items() if v.get("invented") or v.get("missed")}
        results.append(
            (
                "every injected difference found, none invented",
                not wrong,
                "; ".join(f"{k} {v['found']}/{v['injected']}" for k, v in report.items() if "injected" in v),
            )
        )
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
            item_rows = tx.all(  # by merchant order number: channel order numbers differ per run (bench prefix)
                "SELECT i.kind, COALESCE(o.merchant_order_no, i.ref) AS ref, i.found_by, i.decision"
                " FROM reconcile_items i LEFT JOIN orders o ON o.id = i.order_id ORDER BY i.kind, ref"
            )
        digest = hashlib.sha256(repr((rows, item_rows)).encode()).hexdigest()[:16]
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
            "workers": self.workers,
            "workers_started": self.pool.started,
            "evidence": {str(k): int(v) for k, v in evidence_kinds.items()},
            "reviews_opened": int(reviews[0]),
            "operator_resolutions": dict(self.operator_resolutions),
            "returns": sum(int(r[5]) for r in rows),
            "channel_requests": sum(r.dispatches + r.queries for r in fake.values()),
            "declined_but_paid_left_failed": contradictions,
            "days": self.days,
            "alerts": self.alerts.count,
            "foreign_payouts": len(self.foreign),
            "differences": self.differences(),
            "item_decisions": dict(self.item_decisions),
            "digest": digest,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--crash-rate", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=2, help="worker processes (one killed is replaced)")
    parser.add_argument("--orders-per-day", type=int, default=1000, help="orders dispatched per simulated day")
    parser.add_argument(
        "--store", help="postgresql://… (a throwaway schema is used) or a SQLite path; default temp SQLite"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    ensure_keys()

    started = time.perf_counter()
    # The crashes simulated are process crashes, not power loss: a RAM-backed SQLite file keeps fsync out of the run.
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        schema = None
        if args.store and args.store.startswith(("postgresql://", "postgres://")):
            schema = f"sim_{uuid.uuid4().hex[:12]}"
        store = open_store(args.store or Path(tmp) / "sim.db", schema=schema)
        url = args.store or str(Path(tmp) / "sim.db")
        if schema is not None:  # the workers find the throwaway schema first on their search path
            url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        try:
            store.migrate()
            with running_fake_channel(timeout_delay=0.6) as fake:
                sim = Simulation(
                    args.seed,
                    args.orders,
                    args.crash_rate,
                    store,
                    fake,
                    store_url=url,
                    workdir=Path(tmp),
                    orders_per_day=args.orders_per_day,
                    workers=args.workers,
                )
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
