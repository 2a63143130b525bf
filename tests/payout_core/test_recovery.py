"""Crash recovery: a dispatch whose answer was never recorded is queried after a restart, never sent blindly."""

from __future__ import annotations

import random
from collections.abc import Callable

import msgspec
import pytest

from payout_core.dispatch import Pending, Succeeded, evidence_of, find_attempt, recover
from payout_core.review import ReviewDesk
from payout_core.store import Store
from tests.fakechannel import FAKE_RULES, FakeChannel
from tests.fakechannel.bench import Bench
from tests.payout_core.builders import Clock, recipient


class Crash(Exception):
    """The process dies here."""


def crash_at(point: str) -> Callable[[str, int], None]:
    def checkpoint(where: str, order_id: int) -> None:
        if where == point:
            raise Crash(f"{where} #{order_id}")

    return checkpoint


def _crashed(bench: Bench, point: str, scenario: str = "success") -> int:
    order = bench.routed("C1", recipient(4_200), scenario, random.Random(9))  # type: ignore[arg-type]
    with pytest.raises(Crash):
        bench.new_dispatcher(checkpoint=crash_at(point)).dispatch(order.id)
    return order.id


def _sent(bench: Bench, order_id: int) -> int:
    record = bench.fake.orders().get(bench.engine.get(order_id).channel_order_no or "")
    return 0 if record is None else record.dispatches


def test_crash_after_send_is_settled_by_a_query(store: Store, clock: Clock, fake: FakeChannel) -> None:
    bench = Bench(store, fake, clock)
    order_id = _crashed(bench, "after_send")
    assert bench.engine.get(order_id).state == "dispatching" and _sent(bench, order_id) == 1
    report = recover(bench.new_dispatcher())
    assert report.queried == {order_id: Succeeded(code="SUCCESS")} and report.ready == []
    assert bench.engine.get(order_id).state == "succeeded" and _sent(bench, order_id) == 1
    with store.transaction() as tx:
        assert [e.exchange.kind for e in evidence_of(tx, order_id)] == ["query"]  # the lost answer is not invented


def test_crash_before_send_is_queried_not_sent(store: Store, clock: Clock, fake: FakeChannel) -> None:
    bench = Bench(store, fake, clock)
    order_id = _crashed(bench, "before_send")
    with store.transaction() as tx:
        attempt = find_attempt(tx, order_id)
    assert attempt is not None and attempt.status == "sending"
    report = recover(bench.new_dispatcher())
    outcome = report.queried[order_id]
    assert isinstance(outcome, Pending) and outcome.not_found
    assert _sent(bench, order_id) == 0  # recovery itself sent nothing
    assert recover(bench.new_dispatcher()).queried == {}  # a second recovery has nothing unrecorded left
    clock.advance(seconds=FAKE_RULES.not_found_grace_seconds)
    bench.dispatcher.run_due()  # grace over, resend-safe channel: the identical request, once
    assert bench.engine.get(order_id).state == "succeeded" and _sent(bench, order_id) == 1


def test_crash_before_send_on_a_channel_that_forbids_resends_goes_to_review(
    store: Store, clock: Clock, fake: FakeChannel
) -> None:
    bench = Bench(store, fake, clock, channels={"strict": msgspec.structs.replace(FAKE_RULES, resend_safe=False)})
    order_id = _crashed(bench, "before_send")
    recover(bench.new_dispatcher())
    clock.advance(seconds=FAKE_RULES.not_found_grace_seconds)
    bench.dispatcher.run_due()
    assert [u.order.id for u in ReviewDesk(bench.engine).uncertain()] == [order_id]
    assert bench.engine.get(order_id).state == "dispatching" and _sent(bench, order_id) == 0


def test_crash_between_freeze_and_dispatch_leaves_a_provably_unsent_order(
    store: Store, clock: Clock, fake: FakeChannel
) -> None:
    bench = Bench(store, fake, clock)
    order = bench.routed("C2", recipient(4_200), "success", random.Random(9))  # routed = frozen, then the crash
    report = recover(bench.new_dispatcher())
    assert report.queried == {} and report.ready == [order.id]
    bench.dispatcher.dispatch(order.id)
    assert bench.engine.get(order.id).state == "succeeded" and _sent(bench, order.id) == 1


def test_an_order_moved_to_dispatching_outside_the_dispatcher_is_queried(
    store: Store, clock: Clock, fake: FakeChannel
) -> None:
    bench = Bench(store, fake, clock)
    order = bench.routed("C3", recipient(4_200), "success", random.Random(9))
    bench.engine.mark_dispatching(order.id)  # no attempt row: may or may not have been sent
    report = recover(bench.new_dispatcher())
    outcome = report.queried[order.id]
    assert isinstance(outcome, Pending) and outcome.not_found and _sent(bench, order.id) == 0
