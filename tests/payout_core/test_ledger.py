"""Ledger on both back ends: balanced postings, balance after each entry, balance_at over time, refusals."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from payout_core.errors import InvalidInput
from payout_core.ledger import (
    MERCHANT_DEPOSITS,
    InsufficientFunds,
    Transfer,
    UnknownAccount,
    channel_account,
    entries_of_account,
    merchant_account,
    post,
    refusal,
)
from payout_core.orders import Merchant, PayoutEngine
from payout_core.routing import ChannelRoute
from payout_core.store import MIGRATIONS, BrokenLink, ConstraintViolation, Store, to_micros

from .builders import ADMIN, OPERATOR, Clock, new_key, recipient, run_threads

AVAILABLE = merchant_account("m1", "available")
FROZEN = merchant_account("m1", "frozen")


@pytest.fixture
def merchant(engine: PayoutEngine) -> PayoutEngine:
    engine.add_merchant(Merchant(id="m1"), actor=ADMIN)
    return engine


def total_of_all_accounts(store: Store) -> int:
    with store.transaction(write=False) as tx:
        row = tx.one("SELECT SUM(balance) FROM accounts")
    assert row is not None
    return int(row[0])


def test_balance_after_each_entry_and_money_conserved(merchant: PayoutEngine, store: Store, clock: Clock) -> None:
    for amount in (500, 250, 1):
        merchant.deposit("m1", amount, key=new_key(), actor=OPERATOR)
    with store.transaction() as tx:
        post(tx, [Transfer(AVAILABLE, FROZEN, 300)], kind="freeze", at=to_micros(clock()))
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
            merchant.deposit("m1", amount, key=new_key(), actor=OPERATOR)
        else:
            with merchant.store.transaction() as tx:
                post(tx, [Transfer(AVAILABLE, FROZEN, -amount)], kind="freeze", at=to_micros(clock()))
    expected = {0: 0, 1: 100, 2: 150, 3: 120, 4: 120, 5: 320, 60: 320}
    for minutes, balance in expected.items():
        assert merchant.balance_at(AVAILABLE, start + timedelta(minutes=minutes)) == balance, minutes
    assert merchant.balance_at(AVAILABLE, start + timedelta(minutes=2, microseconds=-1)) == 100
    assert merchant.balance_at(FROZEN, start + timedelta(minutes=3)) == 30
    assert merchant.balance_at(FROZEN, start + timedelta(minutes=2)) == 0


def test_entry_times_never_go_backwards_per_account(merchant: PayoutEngine, clock: Clock) -> None:
    later = clock.advance(hours=1)
    merchant.deposit("m1", 10, key=new_key(), actor=OPERATOR)
    clock.set(later - timedelta(minutes=30))  # a worker with a lagging clock
    merchant.deposit("m1", 5, key=new_key(), actor=OPERATOR)
    with merchant.store.transaction(write=False) as tx:
        times = [e.at for e in entries_of_account(tx, AVAILABLE)]
    assert times == [later, later]
    assert merchant.balance_at(AVAILABLE, later) == 15


def test_an_overdraft_is_refused_by_the_database_and_changes_nothing(merchant: PayoutEngine, store: Store) -> None:
    merchant.deposit("m1", 100, key=new_key(), actor=OPERATOR)
    twice = [Transfer(AVAILABLE, FROZEN, 60), Transfer(AVAILABLE, FROZEN, 60)]
    with pytest.raises(ConstraintViolation) as err, store.transaction() as tx:
        post(tx, twice, kind="freeze", at=0)
    assert err.value.kind == "check" and "accounts_covered" in str(err.value)
    with store.transaction(write=False) as tx:
        why = refusal(tx, twice)
        assert len(entries_of_account(tx, AVAILABLE)) == 1
    assert isinstance(why, InsufficientFunds)
    assert (why.account, why.needed, why.available) == (AVAILABLE, 120, 100)
    assert (merchant.balance(AVAILABLE), merchant.balance(FROZEN)) == (100, 0)


def test_a_posting_is_written_whole_with_the_balance_after_each_leg(merchant: PayoutEngine, store: Store) -> None:
    merchant.deposit("m1", 100, key=new_key(), actor=OPERATOR)
    legs = [Transfer(AVAILABLE, FROZEN, 30), Transfer(FROZEN, AVAILABLE, 10), Transfer(AVAILABLE, FROZEN, 50)]
    with store.transaction() as tx:
        done = post(tx, legs, kind="freeze", at=0)
    with store.transaction() as tx:
        assert [(e.transfer_id, e.amount, e.balance_after) for e in entries_of_account(tx, AVAILABLE)][1:] == [
            (done, -30, 70),
            (done, 10, 80),
            (done, -50, 30),
        ]
        assert [(e.amount, e.balance_after) for e in entries_of_account(tx, FROZEN)] == [(30, 30), (-10, 20), (50, 70)]
    assert total_of_all_accounts(store) == 0


def _entry(tx_id: str, leg: int, account: str, amount: int, *, kind: str = "freeze", mirror: int | None = None) -> str:
    mirror_leg = leg + 1 - 2 * (leg % 2) if mirror is None else mirror
    return f"('{tx_id}', {leg}, '{account}', {amount}, 0, NULL, '{kind}', 0, {mirror_leg}, {-amount})"


def _insert(*entries: str) -> str:
    """Raw entries in one statement, as a posting writes its legs."""
    return (
        "INSERT INTO ledger_entries (transfer_id, leg, account_id, amount, balance_after, order_id, kind, at,"
        f" mirror_leg, mirror_amount) VALUES {', '.join(entries)}"
    )


@pytest.mark.parametrize(
    ("entries", "kind"),
    [
        ([_entry("t1", 0, AVAILABLE, -5)], "foreign_key"),  # a leg without its mirror: the transfer does not sum to 0
        ([_entry("t1", 0, AVAILABLE, -5), _entry("t1", 1, FROZEN, 4)], "foreign_key"),
        ([_entry("t1", 0, AVAILABLE, -5), _entry("t1", 1, FROZEN, 5, mirror=2)], "check"),  # a mirror elsewhere
        ([_entry("t1", 0, AVAILABLE, -5, kind="gift"), _entry("t1", 1, FROZEN, 5, kind="gift")], "check"),
        ([_entry("t1", 0, AVAILABLE, 0), _entry("t1", 1, FROZEN, 0)], "check"),
        ([_entry("old", 0, AVAILABLE, -5), _entry("old", 1, FROZEN, 5)], "unique"),  # a transfer id used before
    ],
)
def test_the_database_keeps_every_transfer_balanced_unique_and_of_a_known_kind(
    merchant: PayoutEngine, store: Store, entries: list[str], kind: str
) -> None:
    """What money depends on holds whoever writes: raw SQL that breaks it is refused on both back ends."""
    with store.transaction() as tx:
        tx.send(_insert(_entry("old", 0, AVAILABLE, -7), _entry("old", 1, FROZEN, 7)), rows=2, link="legs")
    with pytest.raises(ConstraintViolation) as err, store.transaction() as tx:
        tx.send(_insert(*entries), rows=len(entries), link="entries")
    assert err.value.kind == kind
    with store.transaction(write=False) as tx:
        assert tx.one("SELECT COUNT(*) FROM ledger_entries WHERE transfer_id IN ('t1', 'old')") == (2,)


def test_refused_postings(merchant: PayoutEngine, store: Store, clock: Clock) -> None:
    nobody = merchant_account("nobody", "available")
    with pytest.raises(BrokenLink, match="deposit: move the balances"), store.transaction() as tx:
        post(tx, [Transfer(MERCHANT_DEPOSITS, nobody, 5)], kind="deposit", at=0)
    with pytest.raises(UnknownAccount, match="merchant:nobody:available"):
        merchant.deposit("nobody", 5, key=new_key(), actor=OPERATOR)  # in its own transaction the engine says why
    with pytest.raises(InvalidInput, match="amount='0'"):
        Transfer(AVAILABLE, FROZEN, 0)
    with pytest.raises(InvalidInput, match="dest="):
        Transfer(AVAILABLE, AVAILABLE, 5)
    with pytest.raises(InvalidInput, match="kind='gift'"), store.transaction() as tx:
        post(tx, [Transfer(AVAILABLE, FROZEN, 5)], kind="gift", at=0)  # type: ignore[arg-type]
    with pytest.raises(UnknownAccount):
        merchant.balance_at("merchant:nobody:frozen", clock())
    assert total_of_all_accounts(store) == 0


def test_entries_written_before_the_guarantees_are_kept_under_them(raw_store: Store, tmp_path: Path) -> None:
    """Migration 0020 rebuilds accounts and ledger_entries: old entries keep their order, gain their legs, and the
    new constraints hold over them."""
    early = tmp_path / "early"
    early.mkdir()
    for path in sorted(MIGRATIONS.glob("*.sql")):
        if path.name < "0020":
            (early / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    raw_store.migrate(early)
    with raw_store.transaction() as tx:
        for account, kind in ((MERCHANT_DEPOSITS, "external"), (AVAILABLE, "merchant"), (FROZEN, "merchant")):
            tx.send(
                "INSERT INTO accounts (id, owner_kind, owner, purpose, balance, may_go_negative, created_at,"
                " updated_at) VALUES (?, ?, 'm1', 'x', 0, ?, 0, 0)",
                (account, kind, int(kind == "external")),
                rows=1,
                link="account",
            )
        old = [("d", MERCHANT_DEPOSITS, -100), ("d", AVAILABLE, 100), ("f", AVAILABLE, -30), ("f", FROZEN, 30)]
        for tid, account, amount in old:
            tx.send(
                "INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, order_id, kind, at)"
                " VALUES (?, ?, ?, 0, NULL, ?, 0)",
                (tid, account, amount, "deposit" if tid == "d" else "freeze"),
                rows=1,
                link="entry",
            )
    assert raw_store.migrate() == [p.name for p in sorted(MIGRATIONS.glob("*.sql")) if p.name >= "0020"]
    with raw_store.transaction(write=False) as tx:
        rows = tx.all("SELECT transfer_id, leg, account_id, amount FROM ledger_entries ORDER BY id")
    assert rows == [(tid, n % 2, account, amount) for n, (tid, account, amount) in enumerate(old)]
    with pytest.raises(ConstraintViolation), raw_store.transaction() as tx:  # the new rules hold over the old rows
        tx.send(_insert(_entry("d", 2, AVAILABLE, -1)), rows=1, link="a third leg of an old transfer")


def test_balance_at_through_a_payout_lifecycle(merchant: PayoutEngine, clock: Clock) -> None:
    """Daily snapshots (日切) of merchant and channel accounts follow deposit → freeze → settle."""
    merchant.add_channel(ChannelRoute(name="wx", profile="wechat_bank"), actor=ADMIN)
    t_fund = clock.advance(minutes=1)
    merchant.deposit("m1", 50_000, key=new_key(), actor=OPERATOR)
    merchant.fund_channel("wx", 80_000, key=new_key(), actor=OPERATOR)
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
            merchant.deposit("m1", n * 100 + i + 1, key=new_key(), actor=OPERATOR)

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
