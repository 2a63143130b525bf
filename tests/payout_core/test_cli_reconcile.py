"""`payout-core reconcile` and `payout-core differences` on both back ends: the summary, the items, an audited
decision, a rerun that changes nothing, and a malformed file refused with its file, row and rule (exit 1)."""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
from typer.testing import CliRunner

from payout_core.cli import app
from payout_core.orders import Merchant, PayoutEngine
from payout_core.routing import ChannelRoute
from payout_core.store import Store

from .builders import ADMIN, OPERATOR, Clock, hire_staff, new_key, recipient, store_url, tables_now

runner = CliRunner()


def _statement(path: Path, order_no: str, status: str, amount: str, balance: str) -> Path:
    path.write_text(
        "渠道流水号,商户订单号,状态,金额(元),完成时间\n"
        f"FC1,{order_no},{status},{amount},2026-03-02 10:30:00\n"
        "FC2,SOMEONE-ELSES,成功,5.00,2026-03-02 11:00:00\n"
        f"期末余额,{balance}\n",
        encoding="utf-8",
    )
    return path


def test_reconcile_and_decide_from_the_shell(store: Store, clock: Clock, tmp_path: Path, schema_name: str) -> None:
    """A generic channel (its profile's plain layout): our order failed, the statement says paid, and a line for
    an order we never sent. Both become items; the operator books the first."""
    hire_staff(store, clock)
    engine = PayoutEngine(store, clock=clock)
    engine.add_merchant(Merchant(id="m1", approval="auto"), actor=ADMIN)
    engine.deposit("m1", 1_000_000, key=new_key(), actor=OPERATOR)
    engine.add_channel(ChannelRoute(name="gen", profile="generic"), actor=ADMIN)
    engine.fund_channel("gen", 1_000_000, key=new_key(), actor=OPERATOR)
    order = engine.mark_dispatching(engine.route(engine.submit("m1", "S1", recipient(10_000)), random.Random(0)).id)
    engine.mark_failed(order.id, reason="operator: no such card", operator=OPERATOR)
    url = store_url(store, tmp_path, schema_name)
    path = _statement(tmp_path / "gen.csv", order.channel_order_no or "", "成功", "100.00", "9895.00")
    args = ["reconcile", "--channel", "gen", "--date", "2026-03-02", str(path), "--store", url]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "difference paid_not_succeeded: 1 (100.00)" in done.output
    assert "difference unknown_order: 1 (5.00)" in done.output
    assert "statement 9,895.00, ledger 10,000.00, difference -105.00" in done.output
    before = tables_now(store)
    again = runner.invoke(app, [*args, "--json"])
    assert again.exit_code == 0 and msgspec.json.decode(again.output)["rerun"] is True
    assert tables_now(store) == before
    listed = msgspec.json.decode(runner.invoke(app, ["differences", "list", "--store", url, "--json"]).output)
    first = next(i for i in listed if i["kind"] == "paid_not_succeeded")
    resolve = ["differences", "resolve", str(first["id"]), "--decision", "book", "--store", url, "--reason", "paid"]
    booked = runner.invoke(app, [*resolve, "--actor", "ops"])
    assert booked.exit_code == 0 and "moved 100.00" in booked.output, booked.output
    assert runner.invoke(app, [*resolve, "--actor", "ops"]).exit_code == 1  # resolved already
    assert engine.get(order.id).state == "failed"


def test_a_malformed_statement_exits_1_naming_file_row_and_rule(
    store: Store, clock: Clock, tmp_path: Path, schema_name: str
) -> None:
    hire_staff(store, clock)
    engine = PayoutEngine(store, clock=clock)
    engine.add_channel(ChannelRoute(name="gen", profile="generic"), actor=ADMIN)
    path = _statement(tmp_path / "bad.csv", "PO1", "处理中", "1.00", "1.00")
    url = store_url(store, tmp_path, schema_name)
    before = tables_now(store)
    done = runner.invoke(app, ["reconcile", "--channel", "gen", "--date", "2026-03-02", str(path), "--store", url])
    assert done.exit_code == 1
    assert f"{path}: row 2: status value: '处理中' is not in the layout" in done.output
    assert tables_now(store) == before
    usage = runner.invoke(app, ["reconcile", "--channel", "gen", "--date", "2 March", str(path), "--store", url])
    assert usage.exit_code == 2
