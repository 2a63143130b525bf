"""Ledger on both back ends: balanced postings, balance after each entry, balance_at over time, refusals."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from payout_core.errors import InvalidInput
from payout_core.ledger import (
    MERCHANT_DEPOSITS,
    InsufficientFunds,
    Leg,
    UnbalancedPosting,
    UnknownAccount,
    channel_account,
    entries_of_account,
    merchant_account,
    post,
    send_posting,
    transfer,
)
from payout_core.orders import Merchant, PayoutEngine
from payout_core.routing import ChannelRoute
from payout_core.store import Store, to_micros

from .builders import Clock, recipient, run_threads

AVAILABLE = merchant_account("m1", "available")
FROZEN = merchant_account("m1", "frozen")


@pytest.fixture
def merchant(engine: PayoutEngine) -> PayoutEngine:
    engine.add_merchant(Merchant(id="m1"))
    return engine


def total_of_all_accounts(store: Store) -> int:
    with store.transaction(write=False) as tx:
        row = tx.one("SELECT SUM(balance) FROM accounts")
    assert row is not None
    return int(row[0])


def test_balance_after_each_entry_and_money_conserved(merchant: PayoutEngine, store: Store, clock: Clock) -> None:
    for amount in (500, 250, 1):
        merchant.deposit("m1", amount)
    with store.transaction() as tx:
        post(tx, transfer(AVAILABLE, FROZEN, 300), kind="test", at=to_micros(clock()))
        history = entries_of_account(tx, AVAILABLE)
    assert [(e.amount, e.balance_after) for e in history] == [(500, 500), (250, 750), (1, 751), (-300, 451)]
    assert merchant.balance(AVAILABLE) == 451
    assert merchant.balance(FROZEN) == 300
    assert merchant.balance(MERCHANT_DEPOSITS) == -751
    assert total_of_all_accounts(store) == 0


def test_balance_at_over_a_sequence_of_movements(merchant: PayoutEngine, clock: Clock) -> None:
    start = clock()
    steps = [(100, 1), (50, 2), (-30, 3), (200, 5)]  # (amount, minutes after start)
    for amount, minutes in steps:
        clock.set(start + timedelta(minutes=minutes))
        if amount > 0:
            merchant.deposit("m1", amount)
        else:
            with merchant.store.transaction() as tx:
                post(tx, transfer(AVAILABLE, FROZEN, -amount), kind="test", at=to_micros(clock()))
    expected = {0: 0, 1: 100, 2: 150, 3: 120, 4: 120, 5: 320, 60: 320}
    for minutes, balance in expected.items():
        assert merchant.balance_at(AVAILABLE, start + timedelta(minutes=minutes)) == balance, minutes
    assert merchant.balance_at(AVAILABLE, start + timedelta(minutes=2, microseconds=-1)) == 100
    assert merchant.balance_at(FROZEN, start + timedelta(minutes=3)) == 30
    assert merchant.balance_at(FROZEN, start + timedelta(minutes=2)) == 0


def test_entry_times_never_go_backwards_per_account(merchant: PayoutEngine, clock: Clock) -> None:
    later = clock.advance(hours=1)
    merchant.deposit("m1", 10)
    clock.set(later - timedelta(minutes=30))  # a worker with a lagging clock
    merchant.deposit("m1", 5)
    with merchant.store.transaction(write=False) as tx:
        times = [e.at for e in entries_of_account(tx, AVAILABLE)]
    assert times == [later, later]
    assert merchant.balance_at(AVAILABLE, later) == 15


def test_insufficient_funds_changes_nothing(merchant: PayoutEngine, store: Store) -> None:
    merchant.deposit("m1", 100)
    with pytest.raises(InsufficientFunds) as err, store.transaction() as tx:
        post(tx, (*transfer(AVAILABLE, FROZEN, 60), *transfer(AVAILABLE, FROZEN, 60)), kind="t", at=0)
    assert (err.value.account, err.value.needed, err.value.available) == (AVAILABLE, 120, 100)
    assert merchant.balance(AVAILABLE) == 100
    assert merchant.balance(FROZEN) == 0
    with store.transaction(write=False) as tx:
        assert len(entries_of_account(tx, AVAILABLE)) == 1


def test_posting_sent_with_its_commit_applies_whole_or_not_at_all(merchant: PayoutEngine, store: Store) -> None:
    merchant.deposit("m1", 100)
    legs = (*transfer(AVAILABLE, FROZEN, 30), *transfer(FROZEN, AVAILABLE, 10), *transfer(AVAILABLE, FROZEN, 50))
    with store.transaction() as tx:
        done = send_posting(tx, legs, kind="t", at=0)
    assert done.applied  # read after the commit that carried it
    with store.transaction() as tx:
        refused = send_posting(tx, (*transfer(AVAILABLE, FROZEN, 41), *transfer(FROZEN, AVAILABLE, 10)), kind="t", at=0)
    assert not refused.applied  # AVAILABLE holds 30: the commit in the same round trip wrote nothing
    with store.transaction() as tx:
        assert [(e.transfer_id, e.amount, e.balance_after) for e in entries_of_account(tx, AVAILABLE)][1:] == [
            (done.transfer_id, -30, 70),
            (done.transfer_id, 10, 80),
            (done.transfer_id, -50, 30),
        ]
        assert [(e.amount, e.balance_after) for e in entries_of_account(tx, FROZEN)] == [(30, 30), (-10, 20), (50, 70)]
        with pytest.raises(InsufficientFunds) as err:
            send_posting(tx, transfer(AVAILABLE, FROZEN, 31), kind="t", at=0).refuse(tx)
    assert (err.value.account, err.value.needed, err.value.available) == (AVAILABLE, 31, 30)
    assert total_of_all_accounts(store) == 0


def test_refused_postings(merchant: PayoutEngine, store: Store, clock: Clock) -> None:
    with pytest.raises(UnbalancedPosting, match="sum to 5"), store.transaction() as tx:
        post(tx, [Leg(AVAILABLE, 5)], kind="t", at=0)
    with pytest.raises(UnknownAccount, match="merchant:nobody:available"), store.transaction() as tx:
        post(tx, transfer(MERCHANT_DEPOSITS, merchant_account("nobody", "available"), 5), kind="t", at=0)
    with pytest.raises(InvalidInput, match="amount='0'"):
        transfer(AVAILABLE, FROZEN, 0)
    with pytest.raises(UnknownAccount):
        merchant.balance_at("merchant:nobody:frozen", clock())
    assert total_of_all_accounts(store) == 0


def test_balance_at_through_a_payout_lifecycle(merchant: PayoutEngine, clock: Clock) -> None:
    """Daily snapshots (日切) of merchant and channel accounts follow deposit → freeze → settle."""
    merchant.add_channel(ChannelRoute(name="wx", profile="wechat_bank"))
    t_fund = clock.advance(minutes=1)
    merchant.deposit("m1", 50_000)
    merchant.fund_channel("wx", 80_000)
    order = merchant.approve(merchant.submit("m1", "o1", recipient(20_000)).id, "alice")
    t_route = clock.advance(minutes=1)
    merchant.route(order.id, random.Random(0))
    merchant.mark_dispatching(order.id)
    t_settle = clock.advance(minutes=1)
    merchant.mark_succeeded(order.id)
    in_flight = channel_account("wx", "in_flight")
    paid_out = merchant_account("m1", "paid_out")
    timeline = [
        (t_fund - timedelta(seconds=1), 0, 0, 0, 0),
        (t_fund, 50_000, 0, 0, 0),
        (t_route, 30_000, 20_000, 20_000, 0),
        (t_settle - timedelta(microseconds=1), 30_000, 20_000, 20_000, 0),
        (t_settle, 30_000, 0, 0, 20_000),
    ]
    for instant, available, frozen, flight, paid in timeline:
        got = [merchant.balance_at(a, instant) for a in (AVAILABLE, FROZEN, in_flight, paid_out)]
        assert got == [available, frozen, flight, paid], instant


def test_concurrent_postings_keep_a_consistent_history(merchant: PayoutEngine, store: Store) -> None:
    def worker(n: int) -> None:
        for i in range(15):
            merchant.deposit("m1", n * 100 + i + 1)

    _, errors = run_threads(6, worker)
    assert errors == []
    with store.transaction(write=False) as tx:
        history = entries_of_account(tx, AVAILABLE)
    expected_total = sum(n * 100 + i + 1 for n in range(6) for i in range(15))
    running = 0
    for entry in history:
        running += entry.amount
        assert entry.balance_after == running
    assert running == expected_total == merchant.balance(AVAILABLE)
    assert total_of_all_accounts(store) == 0
