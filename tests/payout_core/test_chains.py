"""Every write chain, each link made to fail in turn: the database refuses it, and nothing of the chain is committed.

A chain is the writes of one transaction (store/README.md). `ChainProbe(spare=...)` breaks the first link not yet
broken, and every later link of that name (retries included); the chain must raise and leave every table as it was.
When no link is left to break, the chain runs through and changes something. The links each chain is made of are
listed here, so a new link shows up as a failing test until it is named.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from payout_core.audit import Actors
from payout_core.days import CHINA
from payout_core.differences import DifferenceDesk
from payout_core.dispatch import evidence_of, find_attempt
from payout_core.dispatch.reviews import open_item
from payout_core.keys import Keyring
from payout_core.ledger import merchant_account
from payout_core.orders import Merchant, Order, PayoutEngine
from payout_core.reconcile import Reconciler
from payout_core.returns import Returns
from payout_core.review import Resolution, ReviewDesk
from payout_core.routing import ChannelRoute
from payout_core.store import ChainProbe, Store, StoreError
from tests.fakechannel.bench import MERCHANT, Bench
from tests.fakechannel.statement import FAKE_CSV, statement_file

from .builders import ADMIN, OPERATOR, links_each_failing, new_key, recipient, tables_now


@pytest.fixture
def shop(funded: PayoutEngine) -> PayoutEngine:
    """`funded` (merchant m1, channel wx on wechat_bank, whose profile limits each card's day and the account's)."""
    return funded


def approved(engine: PayoutEngine, no: str, amount: int = 10_000) -> Order:
    return engine.approve(engine.submit("m1", no, recipient(amount)).id, "alice")


def dispatching(engine: PayoutEngine, no: str) -> Order:
    return engine.mark_dispatching(engine.route(approved(engine, no), random.Random(0)).id)


def test_configuration_and_money_in(shop: PayoutEngine, store: Store) -> None:
    """Every change of configuration and every deposit or funding: the role, the change, its audit row."""
    assert links_each_failing(store, lambda: shop.deposit("m1", 5, key=new_key(), actor=OPERATOR)) == [
        "the actor holds the operator role",
        "deposit: move the balances",
        "deposit: write the entries",
        "write the audit row",
    ]
    assert links_each_failing(store, lambda: shop.fund_channel("wx", 5, key=new_key(), actor=OPERATOR)) == [
        "the actor holds the operator role",
        "fund: move the balances",
        "fund: write the entries",
        "write the audit row",
    ]
    assert links_each_failing(store, lambda: shop.add_merchant(Merchant(id="m2"), actor=ADMIN)) == [
        "the actor holds the admin role",
        "save the merchant",
        "open an account",
        "write the audit row",
    ]
    assert links_each_failing(store, lambda: shop.update_merchant("m2", daily_limit=5_000, actor=ADMIN)) == [
        "the actor holds the admin role",
        "save the merchant",
        "open an account",
        "write the audit row",
    ]
    route = ChannelRoute(name="ali", profile="alipay_bankcard")
    assert links_each_failing(store, lambda: shop.add_channel(route, actor=ADMIN)) == [
        "the actor holds the admin role",
        "save the route",
        "raise the routing version",
        "open an account",
        "write the audit row",
    ]


def test_rewrapping_recipients(shop: PayoutEngine, store: Store) -> None:
    """A batch of recipients sealed again under a new key commits whole or not at all."""
    old_key, new_key_bytes, secret = bytes(range(32)), bytes(range(1, 33)), bytes(range(2, 34))
    before = PayoutEngine(store, keys=Keyring([("old", old_key)], secret))
    for no in ("wrap-1", "wrap-2"):
        before.submit("m1", no, recipient())
    after = PayoutEngine(store, keys=Keyring([("new", new_key_bytes), ("old", old_key)], secret))
    assert links_each_failing(store, after.rewrap) == ["rewrap: reseal the recipient"]


def test_actors_and_roles(store: Store) -> None:
    actors = Actors(store)
    assert links_each_failing(store, lambda: actors.bootstrap("root", "Root")) == [
        "add the actor",
        "grant the roles",
        "only the first admin is bootstrapped",
        "write the audit row",
    ]
    assert links_each_failing(store, lambda: actors.add("alice", "Alice", ["approver"], by="root")) == [
        "the actor holds the admin role",
        "add the actor",
        "grant the roles",
        "write the audit row",
    ]
    assert links_each_failing(store, lambda: actors.grant("alice", "operator", by="root")) == [
        "the actor holds the admin role",
        "grant the role",
        "write the audit row",
    ]
    assert links_each_failing(store, lambda: actors.revoke("alice", "approver", by="root")) == [
        "the actor holds the admin role",
        "revoke the role",
        "write the audit row",
    ]
    assert links_each_failing(store, lambda: actors.set_active("alice", False, by="root")) == [
        "the actor holds the admin role",
        "set the actor active",
        "write the audit row",
    ]


def test_submission_approval_and_rejection(shop: PayoutEngine, store: Store) -> None:
    assert links_each_failing(store, lambda: shop.submit("m1", "new", recipient())) == [
        "submit: the merchant has no API allowlist",
        "count the daily limits",
    ]
    assert links_each_failing(store, lambda: shop.submit("m1", "by-sam", recipient(), submitter="sam")) == [
        "the actor holds the submitter role",
        "count the daily limits",
    ]
    created = shop.submit("m1", "to-approve", recipient())
    assert links_each_failing(store, lambda: shop.approve(created.id, "alice")) == [
        "the actor holds the approver role",
        "approve: move the order",
        "write the audit row",
    ]
    batch = [shop.submit("m1", f"batch-{i}", recipient()).id for i in range(2)]
    assert links_each_failing(store, lambda: shop.approve_many(batch, "alice")) == [
        "the actor holds the approver role",
        "approve: move the order",
        "write the audit row",
    ]
    created = shop.submit("m1", "to-reject", recipient())
    assert links_each_failing(store, lambda: shop.reject(created.id, "alice", "suspicious payee")) == [
        "the actor holds the approver role",
        "reject: move the order",
        "give back the card daily limit",
        "give back the merchant daily limit",
        "write the audit row",
    ]


def test_cancellation(shop: PayoutEngine, store: Store) -> None:
    routed = shop.route(approved(shop, "to-cancel"), random.Random(0))
    assert links_each_failing(store, lambda: shop.cancel(routed.id, operator="ops", reason="duplicate request")) == [
        "the actor holds the operator role",
        "cancel: move the order",
        "give back the card daily limit",
        "give back the merchant daily limit",
        "give back the channel's card limit",
        "give back the channel account's day limit",
        "unfreeze: move the balances",
        "unfreeze: write the entries",
        "write the audit row",
    ]


def test_routing(shop: PayoutEngine, store: Store) -> None:
    order = approved(shop, "to-route")
    assert links_each_failing(store, lambda: shop.route(order, random.Random(0))) == [
        "route: claim the order",
        "route: the routes are unchanged",
        "route: count the card on the channel",
        "route: count the channel account's day",
        "freeze: move the balances",
        "freeze: write the entries",
    ]
    corporate = shop.approve(shop.submit("m1", "corporate", recipient(corporate=True)).id, "alice")  # wx: personal
    assert links_each_failing(store, lambda: shop.route(corporate, random.Random(0))) == [
        "route: note why no channel took the order"
    ]


def test_outcomes(shop: PayoutEngine, store: Store) -> None:
    paid, declined = dispatching(shop, "paid"), dispatching(shop, "declined")
    assert links_each_failing(store, lambda: shop.mark_succeeded(paid.id)) == [
        "settle: move the balances",
        "settle: write the entries",
    ]
    assert links_each_failing(store, lambda: shop.mark_failed(declined.id, code="FAILED", reason="declined")) == [
        "give back the card daily limit",
        "give back the merchant daily limit",
        "give back the channel's card limit",
        "give back the channel account's day limit",
        "unfreeze: move the balances",
        "unfreeze: write the entries",
    ]
    returns = Returns(shop)
    record = lambda: returns.record(paid.id, reason="bank statement: returned", operator=OPERATOR)  # noqa: E731
    assert links_each_failing(store, record) == [
        "the actor holds the operator role",
        "return: move the balances",
        "return: write the entries",
        "write the audit row",
    ]


@pytest.mark.parametrize("resolution", ["succeeded", "failed"])
def test_a_review_decision(shop: PayoutEngine, store: Store, resolution: Resolution) -> None:
    """An operator's decision closes the item, moves the order and its money, and is audited, all or nothing."""
    uncertain = dispatching(shop, "uncertain")
    with store.transaction() as tx:
        open_item(tx, uncertain.id, "no answer", actor="dispatch", at=uncertain.updated_at)
    desk = ReviewDesk(shop)
    decide = lambda: desk.resolve(uncertain.id, resolution, operator=OPERATOR, reason="back office")  # noqa: E731
    money = ["settle: move the balances", "settle: write the entries"]
    if resolution == "failed":
        money = [
            "give back the card daily limit",
            "give back the merchant daily limit",
            "give back the channel's card limit",
            "give back the channel account's day limit",
            "unfreeze: move the balances",
            "unfreeze: write the entries",
        ]
    assert links_each_failing(store, decide) == [
        "log the review item resolved",
        "the actor holds the operator role",
        f"{'succeed' if resolution == 'succeeded' else 'fail'}: move the order",
        *money,
        "write the audit row",
        "close the dispatch attempt",
    ]


def test_dispatch_commits_its_intent_before_sending_and_its_answer_whole(bench: Bench, store: Store) -> None:
    """Dispatch is two chains around the send: the move to dispatching with the intent to send (refused: the
    channel never hears of the order), then the evidence with the outcome (refused: the order stays dispatching
    with its intent, which recovery queries; no money moves)."""
    order = bench.routed("R1", recipient(), "success", random.Random(0))
    before = tables_now(store)
    store.probe = ChainProbe(broken="write the intent to send")
    with pytest.raises(StoreError):
        bench.dispatcher.dispatch(order.id)
    assert tables_now(store) == before
    assert order.channel_order_no not in bench.fake.orders()
    for link in ("keep the evidence", "settle: move the balances", "settle: write the entries"):
        other = bench.routed(f"R-{link}", recipient(), "success", random.Random(0))
        store.probe = ChainProbe(broken=link)
        with pytest.raises(StoreError):
            bench.dispatcher.dispatch(other.id)
        store.probe = None
        assert bench.engine.get(other.id).state == "dispatching"
        with store.transaction(write=False) as tx:
            assert find_attempt(tx, other.id).status == "sending"  # type: ignore[union-attr]
            assert evidence_of(tx, other.id) == []
        assert bench.engine.balance(merchant_account(MERCHANT, "paid_out")) == 0


def test_reconciling_and_deciding(bench: Bench, store: Store, tmp_path: Path) -> None:
    """A day's reconciliation (its lines, its items) and an operator's decision on an item (role, item, money,
    adjustment order, audit row) each commit whole or not at all."""
    bench.fake.set_clock(bench.clock())
    order = bench.routed("H1", recipient(10_000), "failure_then_success", random.Random(1))
    bench.dispatcher.dispatch(order.id)
    day = bench.clock().astimezone(CHINA).date()
    path = statement_file(bench.fake, bench.accounts["fake"], FAKE_CSV, day, tmp_path / "day.csv")
    reconciler = Reconciler(bench.engine, clock=bench.clock)
    assert links_each_failing(store, lambda: reconciler.run("fake", day, path)) == [
        "reconcile: record the lines",
        "open the reconciliation items",
    ]
    desk = DifferenceDesk(bench.engine, clock=bench.clock)
    (item,) = desk.items(channel="fake")
    assert links_each_failing(store, lambda: desk.resolve(item.id, "book", operator="ops", reason="paid")) == [
        "the actor holds the operator role",
        "resolve the reconciliation item",
        "adjust: move the balances",
        "adjust: write the entries",
        "write the adjustment order",
        "write the audit row",
    ]
