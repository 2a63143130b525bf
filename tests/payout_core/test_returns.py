"""退汇: a return after success is a separate adjustment crediting the merchant; the succeeded order never changes."""

from __future__ import annotations

import random

import pytest

from payout_core.audit import NotPermitted, entries
from payout_core.errors import InvalidInput
from payout_core.ledger import channel_account, merchant_account
from payout_core.returns import NotSucceeded, Returns
from tests.fakechannel.bench import MERCHANT, Bench
from tests.payout_core.builders import BENCH_FUNDS as FUNDS
from tests.payout_core.builders import Clock, recipient

AMOUNT = 9_900


def _money(bench: Bench) -> dict[str, int]:
    e = bench.engine
    return {
        "available": e.balance(merchant_account(MERCHANT, "available")),
        "paid_out": e.balance(merchant_account(MERCHANT, "paid_out")),
        "channel_available": e.balance(channel_account("fake", "available")),
        "settled": e.balance(channel_account("fake", "settled")),
    }


def test_return_seen_on_query_settles_then_credits_back(bench: Bench, clock: Clock) -> None:
    order = bench.routed("B1", recipient(AMOUNT), "success_then_return", random.Random(1))
    bench.dispatcher.dispatch(order.id)
    clock.advance(seconds=10)
    bench.dispatcher.run_due()
    paid = bench.engine.get(order.id)
    assert paid.state == "succeeded"
    (ret,) = Returns(bench.engine, clock=clock).all()
    assert (ret.original_order_id, ret.amount, ret.source, ret.code, ret.recorded_by) == (
        order.id,
        AMOUNT,
        "channel",
        "BANK_RETURNED",
        "channel:fake",
    )
    assert _money(bench) == {"available": FUNDS, "paid_out": 0, "channel_available": FUNDS, "settled": 0}
    kinds = [(e.kind, e.account.split(":")[-1], e.amount) for e in bench.engine.entries(order.id)]
    assert ("return", "available", AMOUNT) in kinds and ("settle", "paid_out", AMOUNT) in kinds
    assert bench.engine.get(order.id) == paid  # the original stays exactly as it was


def test_operator_return_is_linked_and_recorded_once(bench: Bench, clock: Clock) -> None:
    order = bench.routed("B2", recipient(AMOUNT), "success", random.Random(1))
    bench.dispatcher.dispatch(order.id)
    before = bench.engine.get(order.id)
    returns = Returns(bench.engine, clock=clock)
    clock.advance(days=12)  # returns arrive days later
    first = returns.record(order.id, reason="bank notice 0311: account closed", operator="ops", code="R03")
    again = returns.record(order.id, reason="same notice entered twice", operator="ops2")
    assert again == first and first.created_at == clock() and first.source == "operator"
    assert returns.of(order.id) == first
    assert _money(bench)["available"] == FUNDS and _money(bench)["paid_out"] == 0  # credited once
    assert bench.engine.get(order.id) == before


@pytest.mark.parametrize("scenario", ["failure", "timeout"])
def test_only_a_succeeded_payout_can_be_returned(bench: Bench, scenario: str) -> None:
    order = bench.routed("B3", recipient(AMOUNT), scenario, random.Random(1))  # type: ignore[arg-type]
    bench.dispatcher.dispatch(order.id)
    before = _money(bench)
    with pytest.raises(NotSucceeded) as err:
        Returns(bench.engine).record(order.id, reason="x", operator="ops")
    assert err.value.state == bench.engine.get(order.id).state
    assert _money(bench) == before and Returns(bench.engine).all() == []


def test_a_return_needs_a_reason(bench: Bench) -> None:
    order = bench.routed("B4", recipient(AMOUNT), "success", random.Random(1))
    bench.dispatcher.dispatch(order.id)
    with pytest.raises(InvalidInput) as err:
        Returns(bench.engine).record(order.id, reason="  ", operator="ops")
    assert err.value.field == "reason" and Returns(bench.engine).all() == []


def test_only_an_operator_enters_a_return_and_it_is_audited_once(bench: Bench, clock: Clock) -> None:
    order = bench.routed("B9", recipient(AMOUNT), "success", random.Random(1))
    bench.dispatcher.dispatch(order.id)
    returns = Returns(bench.engine, clock=clock)
    for who in ("alice", "nobody"):
        with pytest.raises(NotPermitted, match=f"actor='{who}': may not act as operator"):
            returns.record(order.id, reason="bank notice", operator=who)
    assert returns.of(order.id) is None and _money(bench)["paid_out"] == AMOUNT
    entered = returns.record(order.id, reason="bank notice 0311", operator="ops", code="R03")
    returns.record(order.id, reason="entered again", operator="ops2")  # the same return: nothing more
    with bench.store.transaction(write=False) as tx:
        rows = [(e.actor, e.action, e.subject, e.before, e.after, e.reason) for e in entries(tx, action="order")]
    assert rows == [
        ("ops", "order.return", f"order:{order.id}", None,
         {"return_id": entered.id, "amount": AMOUNT, "code": "R03"}, "bank notice 0311"),
    ]  # fmt: skip
