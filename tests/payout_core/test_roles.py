"""Who may do what: maker-checker, automatic approval, the roles of money and configuration, the audit rows, replayed
deposits, cancellation of an unsent order, and amounts at the edge of BIGINT; on both back ends."""

from __future__ import annotations

import random
import re

import pytest

from payout_core.audit import Actors, NotPermitted, entries
from payout_core.ledger import (
    MAX_FEN,
    BalanceOverflow,
    TransferConflict,
    channel_account,
    merchant_account,
)
from payout_core.limits import LimitExceeded, used
from payout_core.orders import (
    AutoApprovalRefused,
    IllegalTransition,
    Merchant,
    PayoutEngine,
    SelfApproval,
)
from payout_core.routing import ChannelRoute
from payout_core.store import ConstraintViolation, Store

from .builders import ADMIN, OPERATOR, new_key, recipient, run_threads


def audit_rows(store: Store, **filters: str) -> list[tuple[object, ...]]:
    with store.transaction(write=False) as tx:
        return [(e.actor, e.action, e.subject, e.before, e.after) for e in entries(tx, limit=1000, **filters)]


def money(engine: PayoutEngine) -> tuple[int, ...]:
    accounts = [merchant_account("m1", p) for p in ("available", "frozen", "paid_out")]
    accounts += [channel_account("wx", p) for p in ("available", "in_flight")]
    return tuple(engine.balance(a) for a in accounts)


# --- approval: maker-checker and automatic approval ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("approver", "why"),
    [
        ("mallory", "no such actor"),
        ("ops", "the actor holds operator"),  # an operator is not an approver
        ("root", "the actor holds admin"),  # nor is the admin: no role implies another
    ],
)
def test_only_an_approver_approves(funded: PayoutEngine, store: Store, approver: str, why: str) -> None:
    order = funded.submit("m1", "o1", recipient())
    before = audit_rows(store)
    with pytest.raises(NotPermitted, match=re.escape(f"actor='{approver}': may not act as approver: {why}")):
        funded.approve(order.id, approver)
    with pytest.raises(NotPermitted):
        funded.approve_many([order.id], approver)
    with pytest.raises(NotPermitted):
        funded.reject(order.id, approver, "no")
    assert funded.get(order.id) == order and audit_rows(store) == before


def test_a_deactivated_approver_approves_nothing(funded: PayoutEngine, store: Store) -> None:
    Actors(store).set_active("bob", False, by=ADMIN)
    order = funded.submit("m1", "o1", recipient())
    with pytest.raises(NotPermitted, match="deactivated"):
        funded.approve(order.id, "bob")
    assert funded.get(order.id).state == "created"


def test_the_submitter_never_approves_their_own_order(funded: PayoutEngine, store: Store) -> None:
    Actors(store).grant("sam", "approver", by=ADMIN)  # sam may approve, just not what sam entered
    own = funded.submit("m1", "own", recipient(), submitter="sam")
    other = funded.submit("m1", "api", recipient())  # entered by the merchant's API
    with pytest.raises(SelfApproval, match=re.escape(f"order_id={own.id}: submitted by 'sam'")):
        funded.approve(own.id, "sam")
    assert [(o.id, o.state) for o in funded.approve_many([own.id, other.id], "sam")] == [
        (own.id, "created"),  # answered as it is, the batch goes on
        (other.id, "approved"),
    ]
    approved = funded.approve(own.id, "alice")  # someone else: maker-checker satisfied
    assert (approved.state, approved.approver, approved.submitted_by) == ("approved", "alice", "sam")
    assert audit_rows(store, action="order.approve") == [
        ("sam", "order.approve", f"order:{other.id}", {"state": "created"}, {"state": "approved"}),
        ("alice", "order.approve", f"order:{own.id}", {"state": "created"}, {"state": "approved"}),
    ]


def test_auto_approval_only_where_the_merchant_is_configured_for_it(engine: PayoutEngine, store: Store) -> None:
    engine.add_merchant(Merchant(id="manual"), actor=ADMIN)
    engine.add_merchant(Merchant(id="automatic", approval="auto"), actor=ADMIN)
    held = engine.submit("manual", "o1", recipient())
    with pytest.raises(AutoApprovalRefused, match="merchant 'manual' approves by hand"):
        engine.approve(held.id, "auto")
    assert [o.state for o in engine.approve_many([held.id], "auto")] == ["created"]
    assert engine.get(held.id).state == "created"
    assert engine.submit("automatic", "o1", recipient()).approver == "auto"
    engine.update_merchant("manual", approval="auto", actor=ADMIN)  # configured now: audited, and auto may
    assert engine.approve(held.id, "auto").state == "approved"
    with pytest.raises(ConstraintViolation, match="actors_id"), store.transaction() as tx:  # nobody is called 'auto'
        tx.send("INSERT INTO actors (id, name, active, created_at) VALUES ('auto', 'x', 1, 0)", rows=1, link="x")


# --- configuration and money: by their roles, audited, idempotent --------------------------------------------------


def test_configuration_needs_the_admin_and_is_audited_before_and_after(engine: PayoutEngine, store: Store) -> None:
    for who in ("ops", "alice", "nobody"):
        with pytest.raises(NotPermitted, match="may not act as admin"):
            engine.add_merchant(Merchant(id="m1"), actor=who)
        with pytest.raises(NotPermitted, match="may not act as admin"):
            engine.add_channel(ChannelRoute(name="wx", profile="wechat_bank"), actor=who)
    assert audit_rows(store, action="merchant") == audit_rows(store, action="channel") == []
    engine.add_merchant(Merchant(id="m1"), actor=ADMIN)
    engine.add_merchant(Merchant(id="m1"), actor=ADMIN)  # the same again: nothing changes, nothing audited
    engine.update_merchant("m1", per_card_daily_limit=5_000, ip_allowlist=("10.0.0.0/8",), actor=ADMIN)
    engine.add_channel(ChannelRoute(name="wx", profile="wechat_bank", weight=3), actor=ADMIN)
    engine.add_channel(ChannelRoute(name="wx", profile="wechat_bank", weight=0), actor=ADMIN)
    default = {"id": "m1", "approval": "manual", "per_card_daily_limit": 20_000_000, "daily_limit": None}
    assert audit_rows(store, subject="merchant:m1") == [
        (ADMIN, "merchant.configure", "merchant:m1", None, default | {"ip_allowlist": []}),
        (
            ADMIN,
            "merchant.configure",
            "merchant:m1",
            default | {"ip_allowlist": []},
            default | {"per_card_daily_limit": 5_000, "ip_allowlist": ["10.0.0.0/8"]},
        ),
    ]
    route = {"name": "wx", "profile": "wechat_bank", "active": True}
    assert audit_rows(store, subject="channel:wx") == [
        (ADMIN, "channel.configure", "channel:wx", None, route | {"weight": 3}),
        (ADMIN, "channel.configure", "channel:wx", route | {"weight": 3}, route | {"weight": 0}),
    ]


def test_a_replayed_deposit_credits_once(funded: PayoutEngine, store: Store) -> None:
    start = funded.balance(merchant_account("m1", "available"))
    first = funded.deposit("m1", 5_000, key="slip-2026-0302-001", actor=OPERATOR, reason="ICBC slip")
    again = funded.deposit("m1", 5_000, key="slip-2026-0302-001", actor="ops2")  # a retry, by anyone
    assert first == again and funded.balance(merchant_account("m1", "available")) == start + 5_000
    with pytest.raises(TransferConflict, match="slip-2026-0302-001"):
        funded.deposit("m1", 6_000, key="slip-2026-0302-001", actor=OPERATOR)  # the key of another transfer
    assert funded.balance(merchant_account("m1", "available")) == start + 5_000
    replays = run_threads(6, lambda i: funded.fund_channel("wx", 700, key="wire-77", actor=OPERATOR))
    assert replays[1] == [] and len(set(replays[0])) == 1
    assert funded.balance(channel_account("wx", "available")) == 1_000_000 + 700
    deposits = [r for r in audit_rows(store, action="merchant.deposit") if r[4]["key"] == "slip-2026-0302-001"]  # type: ignore[index]
    assert deposits == [
        (OPERATOR, "merchant.deposit", "merchant:m1", None, {"account": "merchant:m1:available", "amount": 5_000,
                                                             "key": "slip-2026-0302-001"}),
    ]  # fmt: skip
    assert len([r for r in audit_rows(store, action="channel.fund") if r[4]["key"] == "wire-77"]) == 1  # type: ignore[index]


def test_money_in_needs_an_operator(funded: PayoutEngine, store: Store) -> None:
    before = money(funded)
    for who in ("alice", "root", "nobody"):
        with pytest.raises(NotPermitted, match="may not act as operator"):
            funded.deposit("m1", 5, key=new_key(), actor=who)
        with pytest.raises(NotPermitted, match="may not act as operator"):
            funded.fund_channel("wx", 5, key=new_key(), actor=who)
    assert money(funded) == before


# --- cancelling a routed order that was never sent ----------------------------------------------------------------


def test_cancel_unfreezes_gives_limits_back_and_is_audited(funded: PayoutEngine, store: Store) -> None:
    start = money(funded)
    order = funded.route(funded.approve(funded.submit("m1", "o1", recipient(3_000)).id, "alice"), random.Random(0))
    assert order.channel == "wx" and money(funded) != start
    with pytest.raises(NotPermitted, match="may not act as operator"):
        funded.cancel(order.id, operator="alice", reason="merchant asked")
    cancelled = funded.cancel(order.id, operator=OPERATOR, reason="merchant withdrew the payout")
    assert (cancelled.state, cancelled.operator, cancelled.reason) == (
        "rejected",
        OPERATOR,
        "merchant withdrew the payout",
    )
    assert money(funded) == start
    with store.transaction(write=False) as tx:
        assert used(tx, "merchant", "m1", "", order.business_day) == 0  # the daily limit given back
    assert audit_rows(store, subject=f"order:{order.id}")[-1] == (
        OPERATOR, "order.cancel", f"order:{order.id}", {"state": "approved"}, {"state": "rejected"},
    )  # fmt: skip


def test_cancel_is_refused_once_the_order_may_have_been_sent(funded: PayoutEngine) -> None:
    order = funded.route(funded.approve(funded.submit("m1", "o1", recipient()).id, "alice"), random.Random(0))
    funded.mark_dispatching(order.id)
    frozen = money(funded)
    with pytest.raises(IllegalTransition, match="only a routed order that was never sent is cancelled"):
        funded.cancel(order.id, operator=OPERATOR, reason="too late")
    unrouted = funded.approve(funded.submit("m1", "o2", recipient()).id, "alice")
    with pytest.raises(IllegalTransition):
        funded.cancel(unrouted.id, operator=OPERATOR, reason="reject it instead")
    assert money(funded) == frozen and funded.get(order.id).state == "dispatching"


def test_cancel_and_dispatch_race_one_wins(funded: PayoutEngine) -> None:
    for i in range(6):
        order = funded.route(funded.approve(funded.submit("m1", f"r{i}", recipient()).id, "alice"), random.Random(i))
        oid = order.id
        moves = [
            lambda oid=oid: funded.mark_dispatching(oid),
            lambda oid=oid: funded.cancel(oid, operator=OPERATOR, reason="race"),
        ]
        done, refused = run_threads(2, lambda k: moves[k]())  # noqa: B023  (called within this iteration)
        assert len(done) == 1 and len(refused) == 1 and isinstance(refused[0], IllegalTransition)
        assert funded.get(order.id).state == done[0].state
    assert funded.balance(merchant_account("m1", "frozen")) == sum(
        o.amount for o in funded.orders_in("dispatching", limit=100)
    )


# --- amounts at the edge of BIGINT ---------------------------------------------------------------------------------


def test_balances_and_daily_sums_never_overflow(engine: PayoutEngine) -> None:
    engine.add_merchant(Merchant(id="m1", per_card_daily_limit=MAX_FEN), actor=ADMIN)
    engine.deposit("m1", MAX_FEN, key="k1", actor=OPERATOR)
    with pytest.raises(BalanceOverflow, match=r"'external:merchant_deposits': balance -9223372036854775807 fen cannot"):
        engine.deposit("m1", 1, key="k2", actor=OPERATOR)  # the counterpart is the first account past the edge
    assert engine.balance(merchant_account("m1", "available")) == MAX_FEN
    first = engine.submit("m1", "a", recipient(MAX_FEN - 5))
    with pytest.raises(LimitExceeded, match="card daily limit"):
        engine.submit("m1", "b", recipient(10))  # the sum would pass 2**63 - 1: a limit, not a database error
    assert engine.find("m1", "b") is None and first.state == "created"
