"""The worker on both back ends: two workers never act on one order or attempt (threads and processes, counted at
the fake channel), a killed worker's `sending` attempt is queried by another once its lease passes, SIGTERM
finishes the item in hand and releases the rest, a database error after a send is swept, the metrics answer."""

from __future__ import annotations

import json
import logging
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from cardbin.pan import luhn_valid
from payout_core.dispatch import recover
from payout_core.dispatch.records import insert_attempt
from payout_core.recipient import Recipient
from payout_core.store import Lease, Store
from payout_core.worker import JsonLines, Worker, serve_metrics
from tests.fakechannel.bench import MERCHANT, Bench
from tests.fakechannel.wire import ScenarioSetting
from tests.fakechannel.worker import FACTORY, plan_crash, start_worker

from .builders import Clock, payee, store_url


def card(rng: random.Random) -> str:
    body = "622202" + "".join(rng.choice("0123456789") for _ in range(12))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def submit(bench: Bench, count: int, seed: int = 1) -> list[int]:
    """Approved (automatically), unrouted orders, each to a card of its own."""
    rng = random.Random(seed)
    recipients: list[Recipient] = [payee(account_no=card(rng), amount=100 + i) for i in range(count)]
    return [bench.engine.submit(MERCHANT, f"W{seed}-{i}", r).id for i, r in enumerate(recipients)]


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll until `condition`; how long it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not within {seconds}s: {what}")
        time.sleep(0.05)
    return time.monotonic() - start


def succeeded(bench: Bench, ids: list[int], clock: Clock | None = None) -> Callable[[], bool]:
    """Whether every order succeeded; with `clock`, each look lets 30 s pass (an answer lost to the client's read
    timeout on a busy machine is then queried)."""

    def done() -> bool:
        if clock is not None:
            clock.advance(seconds=30)
        return set(states(bench.store, ids).values()) == {"succeeded"}

    return done


def states(store: Store, ids: list[int]) -> dict[int, str]:
    marks = ", ".join("?" * len(ids))
    with store.transaction(write=False) as tx:
        return {int(i): str(s) for i, s in tx.all(f"SELECT id, state FROM orders WHERE id IN ({marks})", ids)}


def evidence_kinds(store: Store, order_id: int) -> list[str]:
    with store.transaction(write=False) as tx:
        return [
            str(k) for (k,) in tx.all("SELECT kind FROM dispatch_evidence WHERE order_id = ? ORDER BY id", (order_id,))
        ]


def sends_at_fake(bench: Bench, ids: list[int]) -> dict[int, int]:
    records = bench.fake.orders()
    return {i: records[n].dispatches if (n := bench.channel_order_no(i)) in records else 0 for i in ids}


@contextmanager
def threads(workers: list[Worker]) -> Iterator[None]:
    running = [threading.Thread(target=w.run, daemon=True) for w in workers]
    for t in running:
        t.start()
    try:
        yield
    finally:
        for w in workers:
            w.stop()
        for t in running:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in running)


def test_two_worker_threads_route_and_send_each_order_once(bench: Bench, clock: Clock) -> None:
    ids = submit(bench, 30)
    workers = [Worker(bench.new_dispatcher(), batch=4, poll_seconds=0.01) for _ in range(2)]
    with threads(workers):
        wait_for(succeeded(bench, ids, clock), 60, "every order succeeded")
    assert sends_at_fake(bench, ids) == dict.fromkeys(ids, 1)
    assert sum(w.done["dispatch", "ok"] + w.done["dispatch", "error"] for w in workers) == len(ids)
    assert all(w.done["dispatch", "ok"] for w in workers)  # both took a share: they really ran side by side


def test_two_worker_threads_query_each_due_attempt_once(bench: Bench, clock: Clock) -> None:
    ids = submit(bench, 20, seed=2)
    for order_id in ids:
        bench.fake.program(bench.channel_order_no(order_id), ScenarioSetting(scenario="unknown_code"))
    for order in bench.engine.route_many([bench.engine.get(i) for i in ids], random.Random(2)):
        bench.dispatcher.dispatch(order.id)  # pending: the undocumented code is queried later
    clock.advance(seconds=10)  # every first query is due; the next one only 30 s after it
    workers = [Worker(bench.new_dispatcher(), batch=3, poll_seconds=0.01) for _ in range(2)]
    with threads(workers):
        wait_for(lambda: sum(w.done["query", "ok"] for w in workers) >= len(ids), 60, "every attempt queried")
        time.sleep(0.3)  # a second query of any attempt would show now
    records = bench.fake.orders()
    assert {i: records[bench.channel_order_no(i)].queries for i in ids} == dict.fromkeys(ids, 1)
    assert all(evidence_kinds(bench.store, i) == ["dispatch", "query"] for i in ids)


def test_a_database_error_after_the_send_is_swept_once_the_lease_passes(bench: Bench) -> None:
    """The attempt left `sending` by the failure is queried (never resent) by the worker that saw it fail."""
    (order_id,) = submit(bench, 1, seed=3)
    lost = threading.Event()

    def database_gone(point: str, oid: int) -> None:
        if point == "after_send" and not lost.is_set():
            lost.set()
            raise RuntimeError("connection to the database lost")

    dispatcher = bench.new_dispatcher(database_gone)
    worker = Worker(dispatcher, lease_seconds=1, poll_seconds=0.05)
    with threads([worker]):
        wait_for(lambda: states(bench.store, [order_id])[order_id] == "succeeded", 30, "the order succeeded")
    assert worker.done["dispatch", "error"] == 1 and worker.done["sweep", "ok"] == 1
    assert evidence_kinds(bench.store, order_id) == ["query"]
    assert sends_at_fake(bench, [order_id]) == {order_id: 1}


def test_recovery_leaves_a_live_workers_attempt_alone(bench: Bench) -> None:
    (order_id,) = submit(bench, 1, seed=4)
    order = bench.engine.route(order_id, random.Random(4))
    assert order.channel is not None and order.channel_order_no is not None
    with bench.store.transaction() as tx:
        bench.engine.mark_dispatching(order_id, tx=tx)
        insert_attempt(tx, order_id, order.channel, order.channel_order_no, bench.clock(), lease=_live())
    assert recover(bench.new_dispatcher()).queried == {}  # the live worker is still sending it
    assert evidence_kinds(bench.store, order_id) == []


def test_metrics_answer(bench: Bench, clock: Clock) -> None:
    ids = submit(bench, 3, seed=5)
    worker = Worker(bench.new_dispatcher(), poll_seconds=0.01)
    port = serve_metrics(worker, 0)
    with threads([worker]):
        wait_for(succeeded(bench, ids, clock), 30, "every order succeeded")
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    assert 'payout_orders{state="succeeded"} 3.0' in text
    assert 'payout_orders{state="dispatching"} 0.0' in text
    assert "payout_attempts_pending_review 0.0" in text
    assert "payout_oldest_in_flight_seconds 0.0" in text
    assert 'payout_worker_items_total{kind="dispatch",result="ok"} 3.0' in text


# --- worker processes (`payout-core worker`) ------------------------------------------------------------------------


def _live() -> Lease:
    return Lease(owner="elsewhere:1:live", seconds=600)


class Processes:
    """`payout-core worker` processes on the bench, their JSON logs kept per process."""

    def __init__(self, bench: Bench, url: str, tmp_path: Path, *options: str) -> None:
        self.config = bench.worker_config(tmp_path / "worker.json", crash_dir=tmp_path)
        self.url, self.tmp_path, self.options = url, tmp_path, options
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, *options: str) -> subprocess.Popen[bytes]:
        log = self.tmp_path / f"worker-{len(self.started)}.log"
        with log.open("wb") as out:
            process = start_worker(self.config, self.url, "--poll-seconds", "0.05", *self.options, *options, log=out)
        self.started.append((process, log))
        return process

    def log(self, process: subprocess.Popen[bytes]) -> list[dict[str, object]]:
        path = next(p for proc, p in self.started if proc is process)
        return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]

    def stop(self) -> list[int | None]:
        for process, _ in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = []
        for process, _ in self.started:
            try:
                codes.append(process.wait(timeout=30))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(None)
        return codes


@pytest.fixture
def processes(bench: Bench, store: Store, tmp_path: Path, schema_name: str) -> Iterator[Processes]:
    running = Processes(bench, store_url(store, tmp_path, schema_name), tmp_path)
    yield running
    running.stop()


def test_two_worker_processes_send_each_order_once_and_stop_on_sigterm(bench: Bench, processes: Processes) -> None:
    ids = submit(bench, 40, seed=6)
    first, second = processes.start("--batch", "5", "--metrics-port", "0"), processes.start("--batch", "5")
    wait_for(succeeded(bench, ids), 90, "every order succeeded")
    assert sends_at_fake(bench, ids) == dict.fromkeys(ids, 1)
    port = next(int(line["port"]) for line in processes.log(first) if line["msg"] == "metrics served")  # type: ignore[call-overload]
    assert 'payout_orders{state="succeeded"} 40.0' in httpx.get(f"http://127.0.0.1:{port}/metrics").text
    assert processes.stop() == [0, 0]  # SIGTERM: a graceful stop
    dispatched = [line for p in (first, second) for line in processes.log(p) if line["msg"] == "dispatch"]
    assert sorted(int(line["order"]) for line in dispatched) == sorted(ids)  # type: ignore[call-overload]
    assert {line["msg"] for p in (first, second) for line in processes.log(p)} >= {"worker started", "worker stopped"}


@pytest.mark.parametrize("point", ["before_send", "after_send"])
def test_a_killed_workers_sending_attempt_is_queried_by_another_once_its_lease_passes(
    bench: Bench, processes: Processes, tmp_path: Path, point: str
) -> None:
    (order_id,) = submit(bench, 1, seed=7)
    plan_crash(tmp_path, order_id, point)  # whichever of the two reaches it dies there
    workers = [processes.start("--lease-seconds", "2") for _ in range(2)]
    wait_for(lambda: any(w.poll() is not None for w in workers), 60, "a worker killed")
    killed = time.monotonic()
    (dead,) = [w for w in workers if w.poll() is not None]
    assert dead.returncode == -signal.SIGKILL
    with bench.store.transaction(write=False) as tx:
        assert tx.one("SELECT status FROM dispatch_attempts WHERE order_id = ?", (order_id,)) == ("sending",)
    wait_for(lambda: "query" in evidence_kinds(bench.store, order_id), 30, "the attempt queried")
    assert time.monotonic() - killed < 2 + 5  # the lease, then a round of the live worker (a generous margin)
    assert [w.poll() for w in workers if w is not dead] == [None]  # the other one did it, and still runs
    assert sends_at_fake(bench, [order_id]) == {order_id: int(point == "after_send")}  # queried, never resent
    expected = "succeeded" if point == "after_send" else "dispatching"  # not found yet: queried again later
    assert states(bench.store, [order_id]) == {order_id: expected}


def test_sigterm_finishes_the_send_in_hand_and_releases_the_rest(bench: Bench, processes: Processes) -> None:
    ids = submit(bench, 4, seed=8)
    for order_id in ids:  # the fake keeps each first request waiting past the client's read timeout
        bench.fake.program(bench.channel_order_no(order_id), ScenarioSetting(scenario="timeout"))
    worker = processes.start("--batch", "4")

    def sending() -> bool:
        with bench.store.transaction(write=False) as tx:
            return tx.one("SELECT COUNT(*) FROM dispatch_attempts WHERE status = 'sending'") == (1,)

    wait_for(sending, 30, "a send in flight")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    with bench.store.transaction(write=False) as tx:
        attempts = tx.all("SELECT status, lease_owner FROM dispatch_attempts")
        waiting = tx.all("SELECT lease_owner FROM orders WHERE state = 'approved'")
    assert attempts == [("pending", None)]  # its answer (a timeout) recorded; nothing left half done
    assert waiting == [(None,)] * 3  # the orders it had claimed but not started are free for others at once


def test_log_lines_are_json_with_every_text_masked() -> None:
    record = logging.LogRecord(
        "payout_core.worker", logging.ERROR, __file__, 1, "paid %s", ("6222 0212 3456 7890 128",), None
    )
    record.fields = {"order": 7, "note": "身份证 11010519491231002X, card 6222-0212-3456-7890-128"}
    line = json.loads(JsonLines().format(record))
    assert line["level"] == "error" and line["order"] == 7 and line["logger"] == "payout_core.worker"
    text = json.dumps(line, ensure_ascii=False)
    assert "3456" not in text and "19491231" not in text  # masked in the message and in the fields


def test_a_worker_that_cannot_start_says_why_without_a_traceback(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "payout-core"
    unusable = subprocess.run(
        [str(command), "worker", "--store", "postgresql://nobody:x@127.0.0.1:1/none", "--dispatcher", FACTORY],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unusable.returncode == 1 and "Traceback" not in unusable.stderr
    assert json.loads(unusable.stderr.splitlines()[-1])["msg"] == "store unusable"
    wrong = subprocess.run(
        [str(command), "worker", "--store", str(tmp_path / "s.db"), "--dispatcher", "no_such_module:dispatcher"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 2 and "no_such_module" in wrong.stderr and "Traceback" not in wrong.stderr
    for spec, says in (
        ("builtins:repr", "returned str, not a Dispatcher"),  # builds something else
        ("builtins:len", "failed to build the Dispatcher: TypeError"),  # fails while building
    ):
        refused = subprocess.run(
            [str(command), "worker", "--store", str(tmp_path / "s.db"), "--dispatcher", spec],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 2 and says in refused.stderr and spec in refused.stderr
        assert "Traceback" not in refused.stderr
