"""The order lifecycle on both back ends: transitions, idempotency, freeze / settle / unfreeze, races."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from cardbin.pan import mask
from cardbin.redact import redact
from payout_core.errors import InvalidInput
from payout_core.ledger import channel_account, merchant_account
from payout_core.limits import card_key, used
from payout_core.orders import (
    FINAL,
    LIFECYCLE,
    ExplicitFailureRequired,
    IllegalTransition,
    Merchant,
    Order,
    OrderConflict,
    PayoutEngine,
    TransitionError,
    UnknownMerchant,
    UnknownOrder,
    allows,
)
from payout_core.routing import ChannelRoute
from payout_core.store import Store

from .builders import ADMIN, OPERATOR, Clock, hire_staff, new_key, recipient, run_threads

PAN = "6222021234567890128"

# How to bring a fresh order into each starting point of the lifecycle.
SETUP: dict[str, list[str]] = {
    "created": [],
    "approved": ["approve"],
    "routed": ["approve", "route"],
    "rejected": ["reject"],
    "dispatching": ["approve", "route", "dispatch"],
    "succeeded": ["approve", "route", "dispatch", "succeed"],
    "failed": ["approve", "route", "dispatch", "fail"],
}
ACTIONS = ["approve", "reject", "cancel", "route", "dispatch", "succeed", "fail"]
# The rules as the domain states them: the outcome of each action from each starting point; anything absent is
# illegal. The engine runs on lifecycle.LIFECYCLE; the first test holds the table to these rules.
ALLOWED = {
    ("created", "approve"): "approved",
    ("created", "reject"): "rejected",
    ("approved", "reject"): "rejected",
    ("approved", "route"): "approved",
    ("routed", "cancel"): "rejected",  # stopped by an operator before anything was sent
    ("routed", "dispatch"): "dispatching",
    ("dispatching", "succeed"): "succeeded",
    ("dispatching", "fail"): "failed",
}


def act(engine: PayoutEngine, action: str, order_id: int) -> Order:
    calls: dict[str, Callable[[], Order]] = {
        "approve": lambda: engine.approve(order_id, "alice"),
        "reject": lambda: engine.reject(order_id, "alice", "suspicious payee"),
        "cancel": lambda: engine.cancel(order_id, operator="ops", reason="merchant withdrew it"),
        "route": lambda: engine.route(order_id, random.Random(1)),
        "dispatch": lambda: engine.mark_dispatching(order_id),
        "succeed": lambda: engine.mark_succeeded(order_id),
        "fail": lambda: engine.mark_failed(order_id, code="FAILED", reason="account closed"),
    }
    return calls[action]()


def snapshot(engine: PayoutEngine, order_id: int) -> tuple[Any, ...]:
    accounts = [merchant_account("m1", p) for p in ("available", "frozen", "paid_out")]
    accounts += [channel_account("wx", p) for p in ("available", "in_flight", "settled")]
    order = engine.get(order_id)
    return (msgspec.json.encode(order), tuple(engine.balance(a) for a in accounts), len(engine.entries(order_id)))


def _start(name: str) -> tuple[str, bool]:
    """A starting point of SETUP as (state, routed)."""
    return ("approved", True) if name == "routed" else (name, name in ("dispatching", "succeeded", "failed"))


def test_the_lifecycle_table_is_the_domains_rules() -> None:
    table = {
        (start, action): LIFECYCLE[action].target  # type: ignore[index]
        for start in SETUP
        for action in ACTIONS
        if allows(action, *_start(start))  # type: ignore[arg-type]
    }
    assert table == ALLOWED
    assert {"rejected", "succeeded", "failed"} == FINAL
    assert {a: m.posting for a, m in LIFECYCLE.items() if m.posting} == {
        "route": "freeze",
        "cancel": "unfreeze",
        "succeed": "settle",
        "fail": "unfreeze",
    }


@pytest.mark.parametrize("start", list(SETUP))
def test_every_transition_from(funded: PayoutEngine, start: str) -> None:
    for i, action in enumerate(ACTIONS):
        order = funded.submit("m1", f"{start}-{i}", recipient())
        for step in SETUP[start]:
            act(funded, step, order.id)
        before = snapshot(funded, order.id)
        state, routed = _start(start)
        if not allows(action, state, routed):  # type: ignore[arg-type]
            with pytest.raises(IllegalTransition) as err:
                act(funded, action, order.id)
            assert err.value.order_id == order.id
            assert LIFECYCLE[action].rule in str(err.value)  # type: ignore[index]
            assert snapshot(funded, order.id) == before, f"{action} from {start} changed something"
        else:
            expected = LIFECYCLE[action].target  # type: ignore[index]
            assert act(funded, action, order.id).state == expected
            assert funded.get(order.id).state == expected


def test_unknown_order(funded: PayoutEngine) -> None:
    with pytest.raises(UnknownOrder, match="order_id=999"):
        funded.approve(999, "alice")


def test_freeze_settle_and_unfreeze_balances(funded: PayoutEngine) -> None:
    def balances() -> dict[str, int]:
        names = [merchant_account("m1", p) for p in ("available", "frozen", "paid_out")]
        names += [channel_account("wx", p) for p in ("available", "in_flight", "settled")]
        return {n.split(":", 1)[1]: funded.balance(n) for n in names}

    ok = funded.approve(funded.submit("m1", "ok", recipient(30_000)).id, "alice")
    bad = funded.approve(funded.submit("m1", "bad", recipient(20_000)).id, "alice")
    routed = funded.route(ok.id, random.Random(0))
    funded.route(bad.id, random.Random(0))
    assert routed.state == "approved" and routed.channel == "wx" and routed.channel_order_no
    assert balances() == {
        "m1:available": 950_000,
        "m1:frozen": 50_000,
        "m1:paid_out": 0,
        "wx:available": 950_000,
        "wx:in_flight": 50_000,
        "wx:settled": 0,
    }
    funded.mark_dispatching(ok.id)
    funded.mark_dispatching(bad.id)
    funded.mark_succeeded(ok.id)
    funded.mark_failed(bad.id, code="FAILED", reason="account closed")
    assert balances() == {
        "m1:available": 970_000,
        "m1:frozen": 0,
        "m1:paid_out": 30_000,
        "wx:available": 970_000,
        "wx:in_flight": 0,
        "wx:settled": 30_000,
    }
    kinds = [(e.kind, e.account, e.amount) for e in funded.entries(ok.id)]
    assert ("freeze", merchant_account("m1", "frozen"), 30_000) in kinds
    assert ("settle", merchant_account("m1", "paid_out"), 30_000) in kinds
    assert {e.kind for e in funded.entries(bad.id)} == {"freeze", "unfreeze"}


def test_failed_needs_explicit_code_or_operator(funded: PayoutEngine) -> None:
    order = funded.submit("m1", "o1", recipient())
    funded.approve(order.id, "alice")
    funded.route(order.id, random.Random(0))
    funded.mark_dispatching(order.id)
    before = snapshot(funded, order.id)
    with pytest.raises(ExplicitFailureRequired, match="needs a channel failure code or an operator"):
        funded.mark_failed(order.id, reason="timeout")
    assert snapshot(funded, order.id) == before
    failed = funded.mark_failed(order.id, reason="bank confirmed closed account", operator="ops2")
    assert (failed.state, failed.operator, failed.failure_code) == ("failed", "ops2", None)


def test_fast_intake_runs_the_same_lifecycle(store: Store, clock: Clock) -> None:
    hire_staff(store, clock)
    fast = PayoutEngine(store, clock=clock, fast_intake=True)
    fast.add_merchant(Merchant(id="m1", approval="auto"), actor=ADMIN)
    fast.deposit("m1", 5_000, key=new_key(), actor=OPERATOR)
    fast.add_channel(ChannelRoute(name="wx", profile="wechat_bank"), actor=ADMIN)
    fast.fund_channel("wx", 5_000, key=new_key(), actor=OPERATOR)
    order = fast.route(fast.submit("m1", "o1", recipient(1_000)).id, random.Random(0))
    fast.mark_succeeded(fast.mark_dispatching(order.id).id)
    other = PayoutEngine(store)  # a second engine sees exactly what the first committed
    assert other.get(order.id).state == "succeeded"
    assert other.balance(merchant_account("m1", "paid_out")) == 1_000


@pytest.mark.parametrize("prefix", ["PO", "T5f3a9cX", "PO-"])
def test_channel_order_numbers_are_never_masked_as_card_numbers(store: Store, clock: Clock, prefix: str) -> None:
    hire_staff(store, clock)
    engine = PayoutEngine(store, clock=clock, channel_order_prefix=prefix)
    engine.add_merchant(Merchant(id="m1", approval="auto"), actor=ADMIN)
    engine.deposit("m1", 5_000, key=new_key(), actor=OPERATOR)
    engine.add_channel(ChannelRoute(name="wx", profile="wechat_bank"), actor=ADMIN)
    engine.fund_channel("wx", 5_000, key=new_key(), actor=OPERATOR)
    number = engine.route(engine.submit("m1", "o1", recipient(1_000)).id, random.Random(0)).channel_order_no
    assert number is not None and number.startswith(prefix)
    assert redact(f"alert about order {number}") == f"alert about order {number}"  # logs and alerts keep it


@pytest.mark.parametrize("prefix", ["PO7", "T5f3a9c8", ""])
def test_a_channel_order_prefix_ending_in_a_digit_is_refused(store: Store, prefix: str) -> None:
    # "T5f3a9c8" + "42" grows the digit run toward a card number's length, which logs would mask.
    with pytest.raises(InvalidInput, match="channel_order_prefix"):
        PayoutEngine(store, channel_order_prefix=prefix)


def test_auto_approval(engine: PayoutEngine) -> None:
    engine.add_merchant(Merchant(id="auto1", approval="auto"), actor=ADMIN)
    order = engine.submit("auto1", "a-1", recipient())
    assert (order.state, order.approver) == ("approved", "auto")
    assert order.approved_at is not None
    assert engine.submit("auto1", "a-1", recipient()) == order


def test_auto_approval_replay_approves_an_order_stranded_in_created(engine: PayoutEngine) -> None:
    engine.add_merchant(Merchant(id="m", approval="manual"), actor=ADMIN)
    stranded = engine.submit("m", "o", recipient())  # as if the process died before the approval transaction
    engine.add_merchant(Merchant(id="m", approval="auto"), actor=ADMIN)
    results, errors = run_threads(4, lambda _: engine.submit("m", "o", recipient()))
    assert errors == []
    assert {(o.id, o.state, o.approver) for o in results} == {(stranded.id, "approved", "auto")}


def test_idempotent_submit_same_content_returns_existing(funded: PayoutEngine) -> None:
    first = funded.submit("m1", "same", recipient(1_234))
    again = funded.submit("m1", "same", recipient(1_234))
    assert again == first
    assert len(funded.orders_in("created")) == 1
    with funded.store.transaction(write=False) as tx:
        assert used(tx, "merchant", "m1", "", first.business_day) == 1_234  # counted once


def test_idempotent_submit_different_content_conflicts(funded: PayoutEngine) -> None:
    first = funded.submit("m1", "same", recipient(1_234))
    other_card = "6222021234567890136"
    with pytest.raises(OrderConflict) as err:
        funded.submit("m1", "same", recipient(1_234, account_no=other_card))
    assert err.value.fields == ["account_no"] and err.value.existing_id == first.id
    assert other_card not in str(err.value) and PAN not in str(err.value)
    with pytest.raises(OrderConflict, match="different amount"):
        funded.submit("m1", "same", recipient(9_999))
    assert funded.get(first.id) == first
    assert funded.submit("m1", "other", recipient(9_999)).id != first.id


def test_bad_input_creates_nothing(funded: PayoutEngine) -> None:
    with pytest.raises(InvalidInput, match="amount='0'"):
        funded.submit("m1", "zero", recipient(0))
    for amount in (-1, 2**63, 1.5, True):
        with pytest.raises(InvalidInput, match=re.escape(f"amount='{amount}'")):
            funded.submit("m1", "odd", recipient(amount))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="merchant_order_no=''"):
        funded.submit("m1", "", recipient())
    with pytest.raises(InvalidInput, match="merchant_order_no"):
        funded.submit("m1", "x" * 65, recipient())
    with pytest.raises(UnknownMerchant, match="merchant_id='nobody'"):
        funded.submit("nobody", "o", recipient())
    with pytest.raises(InvalidInput, match="approver=''"):
        funded.approve(funded.submit("m1", "ok", recipient()).id, "")
    assert [o.merchant_order_no for o in funded.orders_in("created")] == ["ok"]


def test_order_repr_masks_the_account_number(funded: PayoutEngine) -> None:
    order = funded.submit("m1", "o", recipient())
    assert PAN not in repr(order) and PAN not in str(order) and PAN not in f"{order}"
    assert mask(PAN) in repr(order)


def test_concurrent_submissions_create_one_order(funded: PayoutEngine) -> None:
    results, errors = run_threads(8, lambda _: funded.submit("m1", "race", recipient(777)))
    assert errors == []
    assert len({o.id for o in results}) == 1
    assert len(funded.orders_in("created")) == 1
    with funded.store.transaction(write=False) as tx:
        assert used(tx, "card", "m1", card_key(funded.keys, PAN), results[0].business_day) == 777


def test_concurrent_conflicting_submissions(funded: PayoutEngine) -> None:
    results, errors = run_threads(6, lambda i: funded.submit("m1", "race", recipient(100 + i % 2)))
    assert len({o.id for o in results}) == 1
    assert errors and all(isinstance(e, OrderConflict) for e in errors)
    assert {o.amount for o in results} == {funded.get(results[0].id).amount}


@pytest.mark.parametrize("step", ["approve", "route", "dispatch", "finish"])
def test_two_workers_never_both_move_one_order(funded: PayoutEngine, step: str) -> None:
    order = funded.submit("m1", "o", recipient(5_000))
    prior = {"approve": [], "route": ["approve"], "dispatch": ["approve", "route"]}.get(
        step, ["approve", "route", "dispatch"]
    )
    for s in prior:
        act(funded, s, order.id)

    def work(i: int) -> Order:
        if step == "finish":  # succeed and fail racing each other
            return act(funded, "succeed" if i % 2 else "fail", order.id)
        return act(funded, step, order.id)

    results, errors = run_threads(6, work)
    assert len(results) == 1
    assert len(errors) == 5 and all(isinstance(e, TransitionError) for e in errors)
    frozen = funded.balance(merchant_account("m1", "frozen"))
    final = funded.get(order.id)
    assert frozen == (5_000 if final.state in ("approved", "dispatching") and final.routed else 0)
    assert (
        funded.balance(merchant_account("m1", "available"))
        + frozen
        + funded.balance(merchant_account("m1", "paid_out"))
        == 1_000_000
    )


def test_approve_many_approves_each_created_order_and_returns_the_others_as_they_are(funded: PayoutEngine) -> None:
    created = [funded.submit("m1", f"o{i}", recipient(100 + i)) for i in range(4)]
    funded.approve(created[1].id, "alice")
    funded.reject(created[2].id, "alice", "suspicious payee")
    result = funded.approve_many([o.id for o in created], "bob")
    assert [(o.id, o.state, o.approver) for o in result] == [
        (created[0].id, "approved", "bob"),
        (created[1].id, "approved", "alice"),
        (created[2].id, "rejected", "alice"),
        (created[3].id, "approved", "bob"),
    ]
    assert [funded.get(o.id) for o in created] == result
    with pytest.raises(UnknownOrder):
        funded.approve_many([created[0].id, 10**9], "bob")
    with pytest.raises(InvalidInput):
        funded.approve_many([created[0].id], " ")


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Merchant(id="a:b", approval="whatever", per_card_daily_limit=-5), "id='a:b'"),  # type: ignore[arg-type]
        (lambda: Merchant(id="m", approval="whatever"), "approval='whatever'"),  # type: ignore[arg-type]
        (lambda: Merchant(id="m", per_card_daily_limit=-5), "per_card_daily_limit='-5'"),
        (lambda: Merchant(id="m", daily_limit=0), "daily_limit='0'"),
        (lambda: Merchant(id="m", ip_allowlist=("10.0.0.0/33",)), "ip_allowlist='10.0.0.0/33'"),
        (lambda: ChannelRoute(name="a:b", profile="generic"), "name='a:b'"),
        (lambda: ChannelRoute(name="x", profile="generic", weight=-1), "weight='-1'"),
    ],
)
def test_domain_structs_refuse_bad_values_when_made(build: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(field)):
        build()


def test_a_decoded_merchant_is_checked_too() -> None:
    with pytest.raises(msgspec.ValidationError, match="per_card_daily_limit='-5'"):
        msgspec.json.decode(b'{"id": "m", "per_card_daily_limit": -5}', type=Merchant)
