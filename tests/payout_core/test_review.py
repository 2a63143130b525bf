"""Manual review: uncertain orders listed with evidence; resolutions audited and booked like channel answers."""

from __future__ import annotations

import random

import msgspec
import pytest

from payout_core.audit import NotPermitted, entries
from payout_core.channels import Outcomes
from payout_core.errors import InvalidInput
from payout_core.ledger import channel_account, merchant_account
from payout_core.review import NotUnderReview, ReviewDesk
from tests.fakechannel import FAKE_RULES
from tests.fakechannel.bench import MERCHANT, Bench
from tests.payout_core.builders import Clock, recipient

ACCOUNT = "6222021234567890128"
AMOUNT = 7_700


@pytest.fixture
def bench_channels() -> dict[str, Outcomes]:
    return {"strict": msgspec.structs.replace(FAKE_RULES, resend_safe=False)}


def _in_review(bench: Bench, clock: Clock, no: str = "R1") -> int:
    order = bench.routed(no, recipient(AMOUNT, account_no=ACCOUNT), "http_5xx", random.Random(5))
    bench.dispatcher.dispatch(order.id)
    clock.advance(seconds=FAKE_RULES.not_found_grace_seconds)
    bench.dispatcher.run_due()
    return order.id


def _money(bench: Bench) -> tuple[int, int, int, int]:
    e = bench.engine
    return (
        e.balance(merchant_account(MERCHANT, "available")),
        e.balance(merchant_account(MERCHANT, "frozen")),
        e.balance(merchant_account(MERCHANT, "paid_out")),
        e.balance(channel_account("strict", "in_flight")),
    )


def test_uncertain_orders_are_listed_with_masked_evidence(bench: Bench, clock: Clock) -> None:
    order_id = _in_review(bench, clock)
    (u,) = ReviewDesk(bench.engine, clock=clock).uncertain()
    assert u.order.id == order_id and u.order.state == "dispatching" and u.item.resolved_at is None
    assert [e.exchange.http_status for e in u.evidence] == [503, 200]
    assert ACCOUNT not in msgspec.json.encode(u.evidence).decode()
    assert ACCOUNT not in repr(u.order)


def test_operator_success_settles_and_is_audited(bench: Bench, clock: Clock) -> None:
    order_id = _in_review(bench, clock)
    desk = ReviewDesk(bench.engine, clock=clock)
    order = desk.resolve(order_id, "succeeded", operator="ops", reason="bank statement line 42 shows the credit")
    assert (order.state, order.operator) == ("succeeded", "ops")
    assert _money(bench) == (1_000_000 - AMOUNT, 0, AMOUNT, 0)
    assert desk.uncertain() == []
    history = desk.history(order_id)
    assert [(h.action, h.actor) for h in history] == [("opened", "dispatch"), ("resolved", "ops")]
    assert history[1].detail == "succeeded: bank statement line 42 shows the credit" and history[1].at == clock()
    assert bench.dispatcher.run_due() == 0  # nothing left to query


def test_operator_failure_unfreezes_with_the_operator_named(bench: Bench, clock: Clock) -> None:
    order_id = _in_review(bench, clock)
    order = ReviewDesk(bench.engine, clock=clock).resolve(
        order_id, "failed", operator="ops2", reason="channel back office: never received"
    )
    assert (order.state, order.operator, order.failure_code) == ("failed", "ops2", None)
    assert _money(bench) == (1_000_000, 0, 0, 0)


@pytest.mark.parametrize(
    "case",
    [("maybe", "ops", "why", "resolution"), ("failed", " ", "why", "operator"), ("failed", "ops", "", "reason")],
)
def test_bad_resolutions_name_the_field_and_change_nothing(
    bench: Bench, clock: Clock, case: tuple[str, str, str, str]
) -> None:
    resolution, operator, reason, field = case
    order_id = _in_review(bench, clock)
    desk = ReviewDesk(bench.engine, clock=clock)
    with pytest.raises(InvalidInput) as err:
        desk.resolve(order_id, resolution, operator=operator, reason=reason)  # type: ignore[arg-type]
    assert err.value.field == field
    assert bench.engine.get(order_id).state == "dispatching" and len(desk.uncertain()) == 1
    assert _money(bench) == (1_000_000 - AMOUNT, AMOUNT, 0, AMOUNT)


def test_only_open_items_can_be_resolved_and_only_once(bench: Bench, clock: Clock) -> None:
    desk = ReviewDesk(bench.engine, clock=clock)
    order = bench.routed("R2", recipient(AMOUNT), "timeout", random.Random(5))
    with pytest.raises(NotUnderReview):
        desk.resolve(order.id, "failed", operator="ops", reason="guess")  # never opened
    order_id = _in_review(bench, clock)
    desk.resolve(order_id, "failed", operator="ops", reason="checked")
    with pytest.raises(NotUnderReview):
        desk.resolve(order_id, "succeeded", operator="ops2", reason="changed my mind")
    assert bench.engine.get(order_id).state == "failed"
    assert _money(bench)[1] == AMOUNT  # only R2's freeze remains (routed, never dispatched)


@pytest.mark.parametrize("who", ["alice", "mallory", "root"])  # an approver, nobody, the admin
def test_only_an_operator_decides_and_a_refusal_changes_nothing(bench: Bench, clock: Clock, who: str) -> None:
    order_id = _in_review(bench, clock)
    desk = ReviewDesk(bench.engine, clock=clock)
    with pytest.raises(NotPermitted, match=f"actor='{who}': may not act as operator"):
        desk.resolve(order_id, "succeeded", operator=who, reason="looks paid to me")
    assert bench.engine.get(order_id).state == "dispatching" and len(desk.uncertain()) == 1
    assert _money(bench) == (1_000_000 - AMOUNT, AMOUNT, 0, AMOUNT)
    with bench.store.transaction(write=False) as tx:
        assert entries(tx, subject=f"order:{order_id}") == []


def test_every_decision_is_in_the_audit_log(bench: Bench, clock: Clock) -> None:
    paid, unpaid = _in_review(bench, clock, "R3"), _in_review(bench, clock, "R4")
    desk = ReviewDesk(bench.engine, clock=clock)
    desk.resolve(paid, "succeeded", operator="ops", reason="bank statement line 42")
    desk.resolve(unpaid, "failed", operator="ops2", reason="never received, card 6222 0212 3456 7890 128")
    with bench.store.transaction(write=False) as tx:
        rows = [(e.actor, e.action, e.subject, e.before, e.after, e.reason, e.at) for e in entries(tx, action="order")]
    assert rows == [
        ("ops", "order.succeed", f"order:{paid}", {"state": "dispatching"}, {"state": "succeeded"},
         "bank statement line 42", clock()),
        ("ops2", "order.fail", f"order:{unpaid}", {"state": "dispatching"}, {"state": "failed"},
         "never received, card 622202*********0128", clock()),
    ]  # fmt: skip
