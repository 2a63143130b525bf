"""The operators' commands against a real store on both back ends (click's CliRunner; one run of the installed
`payout-core` script): review, returns, orders, merchant, channel, report; each change by its role, audited,
refused otherwise with exit 1 (2 for a bad value), and no payee number printed whole."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest
from typer.testing import CliRunner, Result

from payout_core.cli import app
from payout_core.days import business_day
from payout_core.dispatch.reviews import open_item
from payout_core.ledger import channel_account, merchant_account
from payout_core.orders import Order, PayoutEngine
from payout_core.store import Store, utcnow

from .builders import ADMIN, OPERATOR, recipient, store_url, tables_now

runner = CliRunner()
PAYEE_NUMBERS = ("6222021234567890128", "11010519491231002X", "13800138000")


class Shell:
    """`payout-core … --store URL` for one test's store."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, *args: str) -> Result:
        return runner.invoke(app, [*args, "--store", self.url])

    def json(self, *args: str) -> Any:
        done = self(*args, "--json")
        assert done.exit_code == 0, done.output
        return msgspec.json.decode(done.output)


@pytest.fixture
def shell(store: Store, tmp_path: Path, schema_name: str) -> Shell:
    return Shell(store_url(store, tmp_path, schema_name))


def routed(engine: PayoutEngine, no: str) -> Order:
    order = engine.approve(engine.submit("m1", no, recipient(10_000)).id, "alice")
    return engine.route(order, random.Random(0))


def dispatching(engine: PayoutEngine, no: str) -> Order:
    return engine.mark_dispatching(routed(engine, no).id)


def audited(shell: Shell, subject: str) -> list[str]:
    return [f"{e['action']} by {e['actor']}" for e in shell.json("audit", "list", "--subject", subject)]


def test_review_list_show_and_resolve(funded: PayoutEngine, shell: Shell) -> None:
    order = dispatching(funded, "R1")
    with funded.store.transaction() as tx:
        open_item(tx, order.id, "no answer after 3 queries", actor="dispatch", at=order.updated_at)
    (item,) = shell.json("review", "list")
    assert item["order"]["id"] == order.id and item["item"]["reason"] == "no answer after 3 queries"
    assert item["order"]["recipient"]["account_no"] == "622202*********0128"
    listed = shell("review", "list")
    assert listed.exit_code == 0 and "no answer after 3 queries" in listed.output
    shown = shell("review", "show", str(order.id))
    assert shown.exit_code == 0 and "review history" in shown.output and "opened" in shown.output
    assert not any(n in shown.output for n in PAYEE_NUMBERS)

    resolve = ["review", "resolve", str(order.id), "--resolution", "failed", "--reason", "bank: no such card"]
    before = tables_now(funded.store)
    assert shell(*resolve, "--actor", "alice").exit_code == 1  # an approver, not an operator
    assert shell(*resolve[:4], "maybe", *resolve[5:], "--actor", OPERATOR).exit_code == 2
    assert tables_now(funded.store) == before
    done = shell(*resolve, "--actor", OPERATOR)
    assert done.exit_code == 0 and f"order {order.id}: failed by {OPERATOR}" in done.output
    assert funded.get(order.id).state == "failed" and shell.json("review", "list") == []
    assert audited(shell, f"order:{order.id}")[-1] == f"order.fail by {OPERATOR}"
    assert shell(*resolve, "--actor", OPERATOR).exit_code == 1  # decided already


def test_returns_enter(funded: PayoutEngine, shell: Shell) -> None:
    order = funded.mark_succeeded(dispatching(funded, "S1").id)
    enter = ["returns", "enter", str(order.id), "--reason", "bank notice 7", "--code", "R01"]
    assert shell(*enter, "--actor", "alice").exit_code == 1
    entered = shell.json(*enter, "--actor", OPERATOR)
    assert (entered["original_order_id"], entered["amount"], entered["recorded_by"]) == (order.id, 10_000, OPERATOR)
    assert shell.json(*enter, "--actor", OPERATOR)["id"] == entered["id"]  # entered again: the same return
    assert audited(shell, f"order:{order.id}").count(f"order.return by {OPERATOR}") == 1
    assert funded.get(order.id).state == "succeeded"
    unfinished = routed(funded, "S2")
    assert shell(*["returns", "enter", str(unfinished.id), "--reason", "x"], "--actor", OPERATOR).exit_code == 1


def test_orders_show_and_cancel(funded: PayoutEngine, shell: Shell) -> None:
    order = routed(funded, "C1")
    frozen = funded.balance(merchant_account("m1", "frozen"))
    shown = shell.json("orders", "show", str(order.id))
    assert shown["order"]["state"] == "approved" and shown["order"]["channel"] == "wx"
    assert [e["kind"] for e in shown["entries"]] == ["freeze"] * 4
    text = shell("orders", "show", str(order.id))
    assert text.exit_code == 0 and "622202*********0128" in text.output
    for output in (text.output, msgspec.json.encode(shown).decode()):
        assert not any(n in output for n in PAYEE_NUMBERS)

    cancel = ["orders", "cancel", str(order.id), "--reason", "merchant asked"]
    assert shell(*cancel, "--actor", "sam").exit_code == 1  # a submitter
    done = shell(*cancel, "--actor", OPERATOR)
    assert done.exit_code == 0 and "rejected" in done.output, done.output
    assert funded.get(order.id).state == "rejected"
    assert funded.balance(merchant_account("m1", "frozen")) == frozen - order.amount
    assert audited(shell, f"order:{order.id}")[-1] == f"order.cancel by {OPERATOR}"
    sent = dispatching(funded, "C2")
    before = tables_now(funded.store)
    refused = shell("orders", "cancel", str(sent.id), "--reason", "too late", "--actor", OPERATOR)
    assert refused.exit_code == 1 and "dispatching" in refused.output
    assert tables_now(funded.store) == before
    assert shell("orders", "show", "999999").exit_code == 1


def test_merchant_deposit_limits_and_allowlist(funded: PayoutEngine, shell: Shell) -> None:
    available = merchant_account("m1", "available")
    start = funded.balance(available)
    deposit = ["merchant", "deposit", "m1", "1,234.56", "--key", "SLIP-001", "--reason", "bank slip 001"]
    assert shell(*deposit, "--actor", "alice").exit_code == 1
    assert shell(*deposit[:3], "12.345", *deposit[4:], "--actor", OPERATOR).exit_code == 2
    huge = shell(*deposit[:3], "1e30", *deposit[4:], "--actor", OPERATOR)
    assert huge.exit_code == 2 and "1 to 9,223,372,036,854,775,807" in huge.output
    first = shell.json(*deposit, "--actor", OPERATOR)
    assert first["amount"] == 123_456 and first["available"] == start + 123_456
    replay = shell.json(*deposit, "--actor", OPERATOR)
    assert replay["transfer_id"] == first["transfer_id"] and funded.balance(available) == start + 123_456
    assert audited(shell, "merchant:m1").count(f"merchant.deposit by {OPERATOR}") == 2  # the fixture's and this

    assert shell.json("merchant", "limits", "m1")["per_card_daily_limit"] == funded.merchant("m1").per_card_daily_limit
    assert shell("merchant", "limits", "m1", "--per-card", "500").exit_code == 2  # a change needs its actor
    assert shell("merchant", "limits", "m1", "--per-card", "500", "--actor", OPERATOR).exit_code == 1
    changed = shell.json("merchant", "limits", "m1", "--per-card", "500", "--daily", "9000", "--actor", ADMIN)
    assert (changed["per_card_daily_limit"], changed["daily_limit"]) == (50_000, 900_000)
    assert shell.json("merchant", "limits", "m1", "--no-daily-limit", "--actor", ADMIN)["daily_limit"] is None

    allowed = shell.json(
        "merchant", "allowlist", "m1", "--allow", "10.0.0.0/8", "--allow", "192.0.2.7", "--actor", ADMIN
    )
    assert allowed["ip_allowlist"] == ["10.0.0.0/8", "192.0.2.7"]
    assert shell("merchant", "allowlist", "m1", "--allow", "not-an-address", "--actor", ADMIN).exit_code == 2
    assert shell.json("merchant", "allowlist", "m1", "--clear", "--actor", ADMIN)["ip_allowlist"] == []
    assert audited(shell, "merchant:m1").count(f"merchant.configure by {ADMIN}") == 5  # the fixture's and 4
    assert shell("merchant", "limits", "nobody").exit_code == 1


def test_channel_fund_and_routes(funded: PayoutEngine, shell: Shell) -> None:
    fund = ["channel", "fund", "wx", "500", "--key", "WIRE-1", "--reason", "wire 1"]
    assert shell(*fund, "--actor", ADMIN).exit_code == 1  # funding is an operator's
    assert shell.json(*fund, "--actor", OPERATOR)["available"] == 1_000_000 + 50_000
    assert shell.json(*fund, "--actor", OPERATOR)["available"] == 1_000_000 + 50_000  # replayed: once
    (wx,) = shell.json("channel", "routes")
    assert (wx["name"], wx["profile"], wx["active"], wx["available"]) == ("wx", "wechat_bank", True, 1_050_000)

    assert shell("channel", "routes", "ali", "--weight", "2", "--actor", ADMIN).exit_code == 2  # no profile
    assert shell("channel", "routes", "ali", "--profile", "alipay_bankcard", "--actor", OPERATOR).exit_code == 1
    assert shell("channel", "routes", "ali", "--profile", "no_such_profile", "--actor", ADMIN).exit_code != 0
    added = shell.json("channel", "routes", "ali", "--profile", "alipay_bankcard", "--weight", "2", "--actor", ADMIN)
    assert [(r["name"], r["weight"], r["active"]) for r in added] == [("ali", 2, True), ("wx", 1, True)]
    paused = shell.json("channel", "routes", "wx", "--inactive", "--actor", ADMIN)
    assert [r["active"] for r in paused] == [True, False]
    configured, funded_by = f"channel.configure by {ADMIN}", f"channel.fund by {OPERATOR}"
    assert audited(shell, "channel:wx") == [configured, funded_by, funded_by, configured]  # the fixture's first two
    table = shell("channel", "routes")
    assert table.exit_code == 0 and "alipay_bankcard" in table.output and "10,500.00" in table.output


def test_report_eod_balances_every_account_at_the_cut(funded: PayoutEngine, shell: Shell) -> None:
    """The fixture's money moved on 2026-03-02 (its clock); the shell's deposit moves today (the real clock)."""
    funded.mark_succeeded(dispatching(funded, "E1").id)
    routed(funded, "E2")
    march = shell.json("report", "eod", "--date", "2026-03-02")
    assert march["balanced"] is True
    closing = {a["account"]: a["closing"] for a in march["report"]["accounts"]}
    assert closing[merchant_account("m1", "paid_out")] == 10_000
    assert closing[merchant_account("m1", "frozen")] == 10_000
    assert closing[channel_account("wx", "in_flight")] == 10_000
    assert all(a["opening"] == 0 and a["movement"] == a["closing"] for a in march["report"]["accounts"])
    assert (march["report"]["opening_total"], march["report"]["closing_total"]) == (0, 0)
    before = shell.json("report", "eod", "--date", "2026-03-01")
    assert all(a["closing"] == 0 for a in before["report"]["accounts"]) and before["balanced"] is True

    deposit = ["merchant", "deposit", "m1", "1.00", "--key", "EOD-1", "--reason", "top-up", "--actor", OPERATOR]
    assert shell(*deposit).exit_code == 0
    today = shell.json("report", "eod", "--date", business_day(utcnow()))
    days = {a["account"]: a for a in today["report"]["accounts"]}
    assert days[merchant_account("m1", "available")]["movement"] == 100
    assert all(days[k]["closing"] == funded.balance(k) for k in days) and today["balanced"] is True
    assert all(days[k]["opening"] == closing[k] for k in closing)
    table = shell("report", "eod", "--date", "2026-03-02")
    assert table.exit_code == 0 and "balanced" in table.output and "merchant:m1:paid_out" in table.output
    assert shell("report", "eod", "--date", "2 March").exit_code == 2


def test_the_installed_command_runs_against_the_store(funded: PayoutEngine, shell: Shell) -> None:
    """The `payout-core` script itself (a new process: the keys come from the environment it inherits)."""
    script = Path(sys.executable).with_name("payout-core")
    done = subprocess.run(
        [str(script), "report", "eod", "--date", "2026-03-02", "--store", shell.url, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert msgspec.json.decode(done.stdout)["balanced"] is True
    shown = subprocess.run(
        [str(script), "orders", "show", str(routed(funded, "P1").id), "--store", shell.url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "622202*********0128" in shown.stdout and not any(n in shown.stdout for n in PAYEE_NUMBERS)
