"""Dispatch end to end over real HTTP on loopback: each answer type, ledger effects, evidence (masked)."""

from __future__ import annotations

import logging
import random

import pytest

from payout_core.differences import items
from payout_core.dispatch import (
    AnswerReader,
    ChannelAnswer,
    Expected,
    Failed,
    Pending,
    Succeeded,
    call,
    evidence_of,
    find_attempt,
    new_client,
)
from payout_core.ledger import channel_account, merchant_account
from payout_core.orders import IllegalTransition
from tests.fakechannel import FAKE_RULES, FakeChannel, Scenario
from tests.fakechannel.adapter import FakeChannelAdapter
from tests.fakechannel.bench import MERCHANT, Bench, fake_profile
from tests.payout_core.builders import Clock, recipient

ACCOUNT = "6222021234567890128"
AMOUNT = 12_345


def _dispatch(bench: Bench, scenario: Scenario, no: str = "M1") -> int:
    order = bench.routed(no, recipient(AMOUNT, account_no=ACCOUNT), scenario, random.Random(7))
    bench.dispatcher.dispatch(order.id)
    return order.id


def _balances(bench: Bench) -> dict[str, int]:
    e = bench.engine
    return {
        "available": e.balance(merchant_account(MERCHANT, "available")),
        "frozen": e.balance(merchant_account(MERCHANT, "frozen")),
        "paid_out": e.balance(merchant_account(MERCHANT, "paid_out")),
        "in_flight": e.balance(channel_account("fake", "in_flight")),
        "settled": e.balance(channel_account("fake", "settled")),
    }


def test_success_settles_the_frozen_funds(bench: Bench) -> None:
    order_id = _dispatch(bench, "success")
    order = bench.engine.get(order_id)
    assert order.state == "succeeded" and order.operator is None
    assert _balances(bench) == {
        "available": 1_000_000 - AMOUNT,
        "frozen": 0,
        "paid_out": AMOUNT,
        "in_flight": 0,
        "settled": AMOUNT,
    }
    with bench.store.transaction() as tx:
        (ev,) = evidence_of(tx, order_id)
        attempt = find_attempt(tx, order_id)
    assert ev.exchange.kind == "dispatch" and ev.exchange.http_status == 200
    assert ev.outcome == Succeeded(code="SUCCESS")
    assert attempt is not None and attempt.status == "done" and attempt.sends == 1


def test_explicit_failure_unfreezes(bench: Bench) -> None:
    order_id = _dispatch(bench, "failure")
    order = bench.engine.get(order_id)
    assert (order.state, order.failure_code, order.reason) == ("failed", "ACCOUNT_INVALID", "账户不存在")
    assert _balances(bench) == {"available": 1_000_000, "frozen": 0, "paid_out": 0, "in_flight": 0, "settled": 0}


@pytest.mark.parametrize(
    ("scenario", "http_status"),
    [("timeout", None), ("unknown_code", 200), ("http_5xx", 503), ("garbled", 200), ("not_found_then_success", 200)],
)
def test_uncertain_answers_keep_the_order_in_progress(
    bench: Bench, scenario: Scenario, http_status: int | None
) -> None:
    order_id = _dispatch(bench, scenario)
    assert bench.engine.get(order_id).state == "dispatching"
    assert _balances(bench)["frozen"] == AMOUNT and _balances(bench)["in_flight"] == AMOUNT
    with bench.store.transaction() as tx:
        (ev,) = evidence_of(tx, order_id)
        attempt = find_attempt(tx, order_id)
    assert isinstance(ev.outcome, Pending) and ev.exchange.http_status == http_status
    assert (ev.exchange.transport_error is not None) == (http_status is None)
    assert attempt is not None and attempt.status == "pending"
    if scenario == "garbled":  # kept as sent, NUL and invalid UTF-8 escaped (PostgreSQL text refuses NUL)
        assert ev.exchange.response_body is not None and ev.exchange.response_body.startswith("\\x8b\\x00<html>")
    assert bench.fake.orders()[bench.engine.get(order_id).channel_order_no or ""].dispatches == 1  # no retry


@pytest.mark.parametrize("scenario", ["timeout", "unknown_code", "garbled"])
def test_the_next_query_decides_what_dispatch_could_not(bench: Bench, clock: Clock, scenario: Scenario) -> None:
    order_id = _dispatch(bench, scenario)
    clock.advance(seconds=10)
    assert bench.dispatcher.run_due() == 1
    assert bench.engine.get(order_id).state == "succeeded"
    with bench.store.transaction() as tx:
        kinds = [(e.exchange.kind, type(e.outcome)) for e in evidence_of(tx, order_id)]
    assert kinds == [("dispatch", Pending), ("query", Succeeded)]


def test_a_declined_order_the_channel_pays_later_stays_failed_and_opens_an_item(bench: Bench, clock: Clock) -> None:
    """failure_then_success: an explicit failure code is final by the rules, but the order is queried again: the
    later truth (paid) is kept and opens a reconciliation item; the order itself never changes."""
    order_id = _dispatch(bench, "failure_then_success")
    assert bench.engine.get(order_id).state == "failed"
    clock.advance(seconds=3599)
    assert bench.dispatcher.run_due() == 0  # the first follow-up is an hour after the decision
    clock.advance(seconds=1)
    assert bench.dispatcher.run_due() == 1
    assert bench.engine.get(order_id).state == "failed"
    with bench.store.transaction() as tx:
        outcomes = [e.outcome for e in evidence_of(tx, order_id)]
        (item,) = items(tx)
    assert outcomes == [Failed(code="ACCOUNT_INVALID", reason="账户不存在"), Succeeded(code="SUCCESS")]
    assert (item.kind, item.order_id, item.found_by, item.channel_amount) == (
        "paid_not_succeeded",
        order_id,
        "query",
        AMOUNT,
    )
    clock.advance(days=1)
    assert bench.dispatcher.run_due() == 1  # the last follow-up; the same difference is not opened twice
    clock.advance(days=30)
    assert bench.dispatcher.run_due() == 0
    with bench.store.transaction() as tx:
        assert len(items(tx)) == 1 and len(evidence_of(tx, order_id)) == 3


def test_an_order_is_never_dispatched_twice(bench: Bench) -> None:
    order_id = _dispatch(bench, "timeout")
    with pytest.raises(IllegalTransition):
        bench.dispatcher.dispatch(order_id)
    assert bench.fake.orders()[bench.engine.get(order_id).channel_order_no or ""].dispatches == 1


def test_evidence_never_holds_the_account_number(bench: Bench, clock: Clock) -> None:
    ids = [_dispatch(bench, s, f"E{i}") for i, s in enumerate(["success", "failure", "garbled", "http_5xx"])]
    clock.advance(seconds=7200)
    bench.dispatcher.run_due()
    with bench.store.transaction() as tx:
        stored = tx.all("SELECT * FROM dispatch_evidence")
        evidence = [e for i in ids for e in evidence_of(tx, i)]
    # 5xx: dispatch, query (not found past grace), resend; success and failure: a follow-up query each
    assert len(stored) == len(evidence) == 9
    assert all(ACCOUNT not in str(value) for row in stored for value in row)
    for ev in evidence:
        ex = ev.exchange
        assert ev.channel_order_no in ex.request_body
        assert ("622202*********0128" in ex.request_body) == (ex.kind != "query")  # queries carry no account
        assert ex.sent_at <= ex.received_at and ex.latency_ms > 0
        assert ex.url.startswith(bench.fake.base_url)


class _BrokenParser(FakeChannelAdapter):
    def parse(self, status: int, body: bytes) -> ChannelAnswer:
        raise KeyError("adapter bug")


def test_an_adapter_that_cannot_read_the_answer_leaves_it_pending_with_the_evidence(fake: FakeChannel) -> None:
    adapter = _BrokenParser(fake.base_url)
    reader = AnswerReader("fake", fake_profile("fake", FAKE_RULES), None)
    with new_client() as client:
        request = adapter.query_request("PO-NEVER-SENT")
        exchange, outcome = call(
            client, adapter, "query", request, reader=reader, expected=Expected("PO-NEVER-SENT", 1)
        )
    assert isinstance(outcome, Pending) and "KeyError" in outcome.reason
    assert exchange.http_status == 200 and exchange.response_body


def test_an_operator_decision_a_channel_answer_contradicts_opens_an_item(
    bench: Bench, caplog: pytest.LogCaptureFixture
) -> None:
    """An operator fails the order while the channel is paying it: the order stays failed, the answer is kept,
    a reconciliation item is opened and an alert names the contradiction (without the account number)."""
    order = bench.routed("R1", recipient(AMOUNT, account_no=ACCOUNT), "success", random.Random(5))

    def operator_fails_it(point: str, order_id: int) -> None:
        if point == "after_send":
            bench.engine.mark_failed(order_id, reason="operator: bank says no such card", operator="ops")

    with caplog.at_level(logging.ERROR, logger="payout_core.alerts"):
        outcome = bench.new_dispatcher(checkpoint=operator_fails_it).dispatch(order.id)
    assert outcome == Succeeded(code="SUCCESS")
    assert bench.engine.get(order.id).state == "failed"
    with bench.store.transaction() as tx:
        (ev,) = evidence_of(tx, order.id)
    assert ev.outcome == Succeeded(code="SUCCESS")
    assert f"order {order.id} is failed (operator ops)" in caplog.text and "paid_not_succeeded" in caplog.text
    assert ACCOUNT not in caplog.text
    with bench.store.transaction() as tx:
        (item,) = items(tx)
    assert (item.kind, item.order_id, item.state) == ("paid_not_succeeded", order.id, "open")
    assert "operator ops" in item.evidence
