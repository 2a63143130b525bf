"""差错 items resolved by an operator's audited decision, on both back ends: booking moves money only through an
adjustment order (or the 退汇 itself) and its ledger entries, never the original order; afterwards the channel
account's ledger balance equals the statement's."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import httpx
import pytest

from payout_core.audit import Actors, NotPermitted, entries
from payout_core.differences import DifferenceDesk, ItemNotDecidable, ItemNotOpen, adjustments
from payout_core.dispatch import Payout
from payout_core.ledger import RECONCILIATION, channel_account, merchant_account
from payout_core.reconcile import DaySummary, Reconciler
from payout_core.returns import Returns
from payout_core.store import Store
from tests.fakechannel import FakeChannel, FakeChannelAdapter, Scenario
from tests.fakechannel.bench import Bench
from tests.fakechannel.statement import FAKE_CSV, statement_file
from tests.payout_core.builders import ADMIN, BENCH_FUNDS, Clock, recipient, tables_now

DAY = date(2026, 3, 2)


@pytest.fixture
def shop(store: Store, clock: Clock, fake: FakeChannel) -> Bench:
    fake.set_clock(clock())
    bench = Bench(store, fake, clock, funds=BENCH_FUNDS)
    Actors(store, clock=clock).add("clerk", "Clerk", ["submitter"], by=ADMIN)  # the bench hired the others
    return bench


def _day(bench: Bench, tmp_path: Path, scenarios: dict[str, Scenario], foreign: int = 0) -> DaySummary:
    for no, scenario in scenarios.items():
        order = bench.routed(no, recipient(10_000), scenario, random.Random(1), later_seconds=600)
        bench.dispatcher.dispatch(order.id)
    if foreign:
        adapter = FakeChannelAdapter(bench.fake.base_url, "fake", account=bench.accounts["fake"])
        payout = Payout(order_id=0, channel_order_no=f"F-{bench.accounts['fake']}", recipient=recipient(foreign))
        request = adapter.dispatch_request(payout)
        httpx.post(request.url, content=request.body, headers=request.headers).raise_for_status()
    bench.clock.advance(hours=2)
    bench.fake.set_clock(bench.clock())
    path = statement_file(bench.fake, bench.accounts["fake"], FAKE_CSV, DAY, tmp_path / "day.csv")
    return Reconciler(bench.engine, clock=bench.clock).run("fake", DAY, path)


def _channel_balance(bench: Bench) -> int:
    return sum(bench.engine.balance(channel_account("fake", p)) for p in ("available", "in_flight"))


def test_booking_every_item_brings_the_ledger_to_the_statement(shop: Bench, tmp_path: Path) -> None:
    scenarios: dict[str, Scenario] = {
        "D1": "failure_then_success",
        "D2": "paid_other_amount",
        "D3": "success_then_failed",
        "D4": "statement_omits",
        "D5": "quiet_return",
        "D6": "success",
    }
    summary = _day(shop, tmp_path, scenarios, foreign=777)
    assert summary.closing_balance != summary.ledger_balance
    desk = DifferenceDesk(shop.engine, clock=shop.clock)
    states = {o: shop.engine.get(shop.engine.find("m1", o).id).state for o in scenarios}  # type: ignore[union-attr]
    for item in desk.items(channel="fake"):
        # The operator checks the channel's back office: the omitted line was paid all the same.
        decision = "dismiss" if item.kind == "missing_from_statement" else "book"
        desk.resolve(item.id, decision, operator="ops", reason=f"checked the channel's back office: {item.kind}")
    assert desk.items(channel="fake") == []
    assert _channel_balance(shop) == summary.closing_balance
    assert {o: shop.engine.get(shop.engine.find("m1", o).id).state for o in scenarios} == states  # never edited
    with shop.store.transaction() as tx:
        kinds = sorted(a.kind for a in adjustments(tx, channel="fake"))
        audit = entries(tx, action="reconcile")
    assert kinds == ["book_payment", "reverse_payment", "reverse_payment", "unattributed"]
    assert Returns(shop.engine).of(shop.engine.find("m1", "D5").id) is not None  # type: ignore[union-attr]
    assert shop.engine.balance(RECONCILIATION) == 777
    assert sorted(e.action for e in audit) == ["reconcile.book"] * 5 + ["reconcile.dismiss"]
    assert all(e.actor == "ops" and e.reason.startswith("checked") for e in audit)
    merchant = {p: shop.engine.balance(merchant_account("m1", p)) for p in ("available", "frozen", "paid_out")}
    assert sum(merchant.values()) == BENCH_FUNDS and merchant["frozen"] == 0


def test_a_decision_needs_an_operator_is_made_once_and_must_fit_the_order(shop: Bench, tmp_path: Path) -> None:
    _day(shop, tmp_path, {"E1": "failure_then_success"})
    desk = DifferenceDesk(shop.engine, clock=shop.clock)
    (item,) = desk.items(channel="fake")
    before = tables_now(shop.store)
    with pytest.raises(NotPermitted, match="holds submitter"):
        desk.resolve(item.id, "book", operator="clerk", reason="looked")
    with pytest.raises(NotPermitted, match="no such actor"):
        desk.resolve(item.id, "book", operator="mallory", reason="looked")
    assert tables_now(shop.store) == before
    desk.resolve(item.id, "dismiss", operator="ops", reason="the channel will claw it back")
    with pytest.raises(ItemNotOpen):
        desk.resolve(item.id, "book", operator="ops", reason="changed my mind")


def test_booking_refuses_an_order_that_moved_on(shop: Bench, tmp_path: Path) -> None:
    """A failed-at-channel item whose order came back meanwhile: reversing it again would pay the merchant twice."""
    _day(shop, tmp_path, {"G1": "success_then_failed"})
    desk = DifferenceDesk(shop.engine, clock=shop.clock)
    (item,) = desk.items(channel="fake")
    Returns(shop.engine).record(item.order_id or 0, reason="bank notice", operator="ops")
    with pytest.raises(ItemNotDecidable, match="came back"):
        desk.resolve(item.id, "book", operator="ops", reason="channel failed it")
    assert desk.resolve(item.id, "dismiss", operator="ops", reason="returned meanwhile").moved == 0
