"""Queries, the not-found grace period, safe resends and escalation to manual review — over real HTTP."""

from __future__ import annotations

import random
from datetime import timedelta

import msgspec
import pytest

from payout_core.dispatch import NotInProgress, Pending, QueryPolicy, Succeeded, evidence_of, find_attempt
from payout_core.review import ReviewDesk
from payout_core.store import Store
from tests.fakechannel import FAKE_RULES, FakeChannel, Scenario
from tests.fakechannel.bench import Bench
from tests.payout_core.builders import Clock, recipient

GRACE = FAKE_RULES.not_found_grace_seconds
STRICT = msgspec.structs.replace(FAKE_RULES, resend_safe=False)


def _bench(store: Store, clock: Clock, fake: FakeChannel, **kwargs: object) -> Bench:
    return Bench(store, fake, clock, funds=1_000_000, **kwargs)  # type: ignore[arg-type]


def _start(bench: Bench, scenario: Scenario, hidden_queries: int = 2) -> int:
    order = bench.routed("Q1", recipient(5_000), scenario, random.Random(3), hidden_queries)
    bench.dispatcher.dispatch(order.id)
    return order.id


def test_not_found_within_grace_stays_pending_with_backoff(store: Store, clock: Clock, fake: FakeChannel) -> None:
    bench = _bench(store, clock, fake)
    order_id = _start(bench, "not_found_then_success")
    with store.transaction() as tx:
        first = find_attempt(tx, order_id)
    assert first is not None and first.next_query_at == clock() + timedelta(seconds=10)
    assert bench.dispatcher.run_due() == 0  # nothing due before its time
    clock.advance(seconds=10)
    outcome = bench.dispatcher.query(order_id)
    assert isinstance(outcome, Pending) and outcome.not_found
    with store.transaction() as tx:
        attempt = find_attempt(tx, order_id)
    assert attempt is not None and (attempt.status, attempt.queries, attempt.sends) == ("pending", 1, 1)
    assert attempt.next_query_at == clock() + timedelta(seconds=30)
    assert bench.engine.get(order_id).state == "dispatching"
    clock.advance(seconds=30)
    bench.dispatcher.run_due()  # second "not found", still within grace
    clock.advance(seconds=60)
    bench.dispatcher.run_due()  # the channel finally knows it
    assert bench.engine.get(order_id).state == "succeeded"
    assert fake.orders()[bench.engine.get(order_id).channel_order_no or ""].dispatches == 1


def test_after_grace_a_safe_channel_gets_the_identical_request_again(
    store: Store, clock: Clock, fake: FakeChannel
) -> None:
    bench = _bench(store, clock, fake)
    order_id = _start(bench, "http_5xx")  # the first request never reached the channel's books
    clock.advance(seconds=GRACE - 10)
    bench.dispatcher.query(order_id)
    assert fake.orders()[bench.engine.get(order_id).channel_order_no or ""].dispatches == 1  # not yet
    clock.advance(seconds=30)  # the next query is due 30 s later; by then the grace has passed
    assert bench.dispatcher.run_due() == 1
    order = bench.engine.get(order_id)
    assert order.state == "succeeded"
    with store.transaction() as tx:
        evidence = evidence_of(tx, order_id)
        attempt = find_attempt(tx, order_id)
    kinds = [e.exchange.kind for e in evidence]
    assert kinds == ["dispatch", "query", "query", "resend"]
    assert evidence[0].exchange.request_body == evidence[-1].exchange.request_body  # same request, same order no
    assert attempt is not None and attempt.sends == 2 and attempt.status == "done"
    record = fake.orders()[order.channel_order_no or ""]
    assert record.dispatches == 2 and record.paid


@pytest.mark.parametrize("channels", [{"strict": STRICT}, {"fake": FAKE_RULES}])
def test_after_grace_without_a_permitted_resend_a_person_decides(
    store: Store, clock: Clock, fake: FakeChannel, channels: dict[str, object]
) -> None:
    """Not resend-safe, or its one resend used up (max_resends=0 here): manual review, never failed."""
    bench = _bench(store, clock, fake, channels=channels, policy=QueryPolicy(max_resends=0))
    order_id = _start(bench, "http_5xx")
    clock.advance(seconds=GRACE)
    bench.dispatcher.run_due()
    assert bench.engine.get(order_id).state == "dispatching"
    (item,) = ReviewDesk(bench.engine, clock=clock).uncertain()
    assert item.order.id == order_id and "no record" in item.item.reason
    assert [e.exchange.kind for e in item.evidence] == ["dispatch", "query"]
    assert fake.orders()[item.order.channel_order_no or ""].dispatches == 1


def test_a_late_channel_answer_closes_the_review(store: Store, clock: Clock, fake: FakeChannel) -> None:
    bench = _bench(store, clock, fake, channels={"strict": STRICT})
    order_id = _start(bench, "not_found_then_success", hidden_queries=2)
    clock.advance(seconds=GRACE)
    bench.dispatcher.run_due()  # not found past grace: review
    desk = ReviewDesk(bench.engine, clock=clock)
    assert [u.order.id for u in desk.uncertain()] == [order_id]
    clock.advance(hours=1)
    bench.dispatcher.run_due()  # still not found: stays in review, no resend
    clock.advance(hours=1)
    bench.dispatcher.run_due()  # found and paid
    assert bench.engine.get(order_id).state == "succeeded"
    assert desk.uncertain() == []
    assert [(h.action, h.actor) for h in desk.history(order_id)] == [
        ("opened", "dispatch"),
        ("resolved", "channel:strict"),
    ]
    assert bench.dispatcher.query(order_id) == Succeeded(code="SUCCESS")  # a follow-up of a final order
    bench.dispatcher.query(order_id)  # the last follow-up: nothing is queried after it
    with pytest.raises(NotInProgress):
        bench.dispatcher.query(order_id)


def test_no_final_answer_for_too_long_goes_to_review(store: Store, clock: Clock, fake: FakeChannel) -> None:
    bench = _bench(store, clock, fake, policy=QueryPolicy(review_after_seconds=600))
    order_id = _start(bench, "not_found_then_success", hidden_queries=1000)
    for _ in range(5):
        clock.advance(seconds=200)
        bench.dispatcher.run_due()
    (item,) = ReviewDesk(bench.engine, clock=clock).uncertain()
    assert item.order.id == order_id and "no final answer" in item.item.reason
    assert bench.engine.get(order_id).state == "dispatching"
