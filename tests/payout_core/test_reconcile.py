"""Reconciliation against the fake channel's own statements, on both back ends: every kind of difference found and
opened once, the balances side by side, a rerun that changes nothing, and malformed files refused whole."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import httpx
import pytest

from payout_core.differences import items
from payout_core.dispatch import Payout
from payout_core.ledger import channel_account
from payout_core.reconcile import Reconciler, StatementConflict, StatementRefused
from payout_core.store import Store
from tests.fakechannel import FakeChannel, FakeChannelAdapter, Scenario
from tests.fakechannel.bench import Bench
from tests.fakechannel.statement import FAKE_CSV, FAKE_XLSX, statement_file
from tests.payout_core.builders import BENCH_FUNDS, Clock, recipient, tables_now

DAY = date(2026, 3, 2)  # the clock fixture's day in Beijing


@pytest.fixture
def channel_bench(store: Store, clock: Clock, fake: FakeChannel) -> Bench:
    fake.set_clock(clock())
    return Bench(store, fake, clock, funds=BENCH_FUNDS)


def _pay(bench: Bench, scenario: Scenario, no: str, amount: int = 10_000, later: int = 0) -> int:
    order = bench.routed(no, recipient(amount), scenario, random.Random(1), later_seconds=later)
    bench.dispatcher.dispatch(order.id)
    return order.id


def _statement(bench: Bench, tmp_path: Path, layout: object = FAKE_CSV, name: str = "day.csv") -> Path:
    bench.fake.set_clock(bench.clock())
    return statement_file(bench.fake, bench.accounts["fake"], layout, DAY, tmp_path / name)  # type: ignore[arg-type]


def _foreign(bench: Bench, no: str, amount: int) -> None:
    """A payout someone else sent from our account at the channel (a leaked key, a test by hand)."""
    adapter = FakeChannelAdapter(bench.fake.base_url, "fake", account=bench.accounts["fake"])
    request = adapter.dispatch_request(Payout(order_id=0, channel_order_no=no, recipient=recipient(amount)))
    httpx.post(request.url, content=request.body, headers=request.headers).raise_for_status()


def test_every_kind_of_difference_is_found_once(channel_bench: Bench, clock: Clock, tmp_path: Path) -> None:
    bench = channel_bench
    ids = {s: _pay(bench, s, f"K-{s}") for s in ("success", "failure", "failure_then_success")}
    ids |= {s: _pay(bench, s, f"K-{s}") for s in ("paid_other_amount", "success_then_failed", "statement_omits")}
    ids["quiet_return"] = _pay(bench, "quiet_return", "K-quiet_return", later=600)
    _foreign(bench, f"FOREIGN-{bench.accounts['fake']}", 777)
    clock.advance(hours=2)
    summary = Reconciler(bench.engine, clock=clock).run("fake", DAY, _statement(bench, tmp_path))
    assert summary.differences == {
        "paid_not_succeeded": 1,
        "amount_differs": 1,
        "failed_at_channel": 1,
        "missing_from_statement": 1,
        "unknown_order": 1,
        "returned": 1,
    }
    assert (summary.lines, summary.matched, summary.paid, summary.failed, summary.returned) == (8, 3, 5, 2, 1)
    with bench.store.transaction() as tx:
        opened = {(i.kind, i.order_id) for i in items(tx, channel="fake", state="open")}
    assert opened == {
        ("paid_not_succeeded", ids["failure_then_success"]),
        ("amount_differs", ids["paid_other_amount"]),
        ("failed_at_channel", ids["success_then_failed"]),
        ("missing_from_statement", ids["statement_omits"]),
        ("unknown_order", None),
        ("returned", ids["quiet_return"]),
    }
    # Both balances: the channel paid the declined one and the foreign one, paid less than asked once, never paid
    # the one it failed, and got the return back; the ledger knows none of it yet.
    ledger = sum(bench.engine.balance(channel_account("fake", p)) for p in ("available", "in_flight"))
    assert summary.ledger_balance == ledger
    short = max(1, bench.engine.get(ids["paid_other_amount"]).amount // 100)  # what the fake kept back
    gap = -10_000 - 777 + short + 10_000 + 10_000
    assert summary.closing_balance == ledger + gap


def test_the_same_file_twice_changes_nothing(channel_bench: Bench, clock: Clock, tmp_path: Path) -> None:
    bench = channel_bench
    _pay(bench, "failure_then_success", "R1")
    path = _statement(bench, tmp_path)
    reconciler = Reconciler(bench.engine, clock=clock)
    first = reconciler.run("fake", DAY, path)
    before = tables_now(bench.store)
    again = reconciler.run("fake", DAY, path)
    assert tables_now(bench.store) == before and again.rerun and not first.rerun
    assert again.differences == first.differences == {"paid_not_succeeded": 1}
    _pay(bench, "success", "R2")
    corrected = _statement(bench, tmp_path, name="corrected.csv")
    before = tables_now(bench.store)
    with pytest.raises(StatementConflict, match="already reconciled"):
        reconciler.run("fake", DAY, corrected)
    assert tables_now(bench.store) == before


def test_a_workbook_statement_reads_the_same(store: Store, clock: Clock, fake: FakeChannel, tmp_path: Path) -> None:
    fake.set_clock(clock())
    bench = Bench(store, fake, clock, funds=BENCH_FUNDS, layouts={"fake": FAKE_XLSX})
    _pay(bench, "success", "X1")
    _pay(bench, "failure_then_success", "X2")
    summary = Reconciler(bench.engine, clock=clock).run("fake", DAY, _statement(bench, tmp_path, FAKE_XLSX, "d.xlsx"))
    assert (summary.lines, summary.matched, summary.differences) == (2, 1, {"paid_not_succeeded": 1})


GOOD = (
    "渠道流水号,商户订单号,状态,金额(元),完成时间,备注\r\n"
    "FC1,PO1,成功,100.00,2026-03-02 10:00:00,\r\n"
    "期末余额,900.00\r\n"
)


@pytest.mark.parametrize(
    ("text", "row", "rule"),
    [
        (GOOD.replace("成功", "处理中"), 2, "status value"),
        (GOOD.replace("100.00", "100.005"), 2, "amount in yuan"),
        (GOOD.replace("100.00", "0.00"), 2, "amount"),
        (GOOD.replace("2026-03-02 10", "2026-03-03 10"), 2, "within business day 2026-03-02"),
        (GOOD.replace("2026-03-02 10:00:00", "2026/03/02"), 2, "time as"),
        (GOOD.replace("PO1", ""), 2, "order number"),
        (GOOD.replace("商户订单号", "订单号"), 1, "header"),
        (GOOD.replace(",成功,", ",成功,,"), 2, "cells per row"),
        (GOOD.replace("期末余额,900.00\r\n", ""), 0, "closing balance"),
        (GOOD + "FC2,PO1,成功,1.00,2026-03-02 11:00:00,\r\n", 4, "one line per order and status"),
    ],
)
def test_a_malformed_statement_is_refused_whole(
    channel_bench: Bench, tmp_path: Path, text: str, row: int, rule: str
) -> None:
    layout = FAKE_CSV
    clock = channel_bench.clock
    path = tmp_path / "bad.csv"
    path.write_bytes(("# a\r\n# b\r\n" + text).encode("gbk"))  # FAKE_CSV: header on line 3
    before = tables_now(channel_bench.store)
    with pytest.raises(StatementRefused) as refused:
        Reconciler(channel_bench.engine, clock=clock).run("fake", DAY, path)
    assert (refused.value.row, refused.value.file) == (row + 2 if row else 0, str(path))
    assert rule in refused.value.rule and str(path) in str(refused.value)
    assert tables_now(channel_bench.store) == before
    assert layout.encoding == "gbk"


def test_bytes_of_another_encoding_are_refused_with_their_line(
    channel_bench: Bench, clock: Clock, tmp_path: Path
) -> None:
    path = tmp_path / "utf8.csv"
    path.write_bytes(("# a\r\n# b\r\n" + GOOD).encode("utf-8")[:-3] + b"\xff\xfe\r\n")
    with pytest.raises(StatementRefused, match="gbk text") as refused:
        Reconciler(channel_bench.engine, clock=clock).run("fake", DAY, path)
    assert refused.value.row >= 3
