"""The fake channel over real HTTP on loopback: each scenario answers as documented, and it never pays twice."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from payout_core.dispatch import (
    AnswerReader,
    ChannelRequest,
    Exchange,
    Expected,
    Failed,
    Outcome,
    Payout,
    Pending,
    Returned,
    Succeeded,
    call,
    new_client,
)
from payout_core.dispatch.evidence import ExchangeKind
from payout_core.recipient import Recipient
from tests.fakechannel import FAKE_RULES, FakeChannel, FakeChannelAdapter, ScenarioSetting, running_fake_channel
from tests.fakechannel.bench import fake_profile

ACCOUNT = "6222021234567890128"
AMOUNT = 12_345
READER = AnswerReader("fake", fake_profile("fake", FAKE_RULES), None)


def ask(
    client: httpx.Client, adapter: FakeChannelAdapter, kind: ExchangeKind, request: ChannelRequest, order_no: str
) -> tuple[Exchange, Outcome]:
    """One exchange, read as dispatch reads it for an order of AMOUNT fen under the fake's (unsigned) profile."""
    return call(client, adapter, kind, request, reader=READER, expected=Expected(order_no, AMOUNT))


def unverified(outcome: Outcome) -> bool:
    return isinstance(outcome, Pending) and outcome.unverified


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeChannel]:
    with running_fake_channel(timeout_delay=0.6) as channel:
        yield channel


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with new_client(httpx.Timeout(5.0, read=0.3)) as c:
        yield c


def _payout(order_no: str) -> Payout:
    r = Recipient(name="张三", account_no=ACCOUNT, account_type="personal", amount=AMOUNT)
    return Payout(order_id=1, channel_order_no=order_no, recipient=r)


Kind = type | Callable[[Outcome], bool]


def _is(outcome: Outcome, kind: Kind) -> bool:
    return type(outcome) is kind if isinstance(kind, type) else kind(outcome)


@pytest.mark.parametrize(
    ("scenario", "dispatch_type", "query_types"),
    [
        ("success", Succeeded, [Succeeded]),
        ("failure", Failed, [Failed]),
        ("timeout", Pending, [Succeeded]),
        ("unknown_code", Pending, [Succeeded]),
        ("http_5xx", Pending, [Pending]),
        ("garbled", Pending, [Succeeded]),
        ("not_found_then_success", Pending, [Pending, Pending, Succeeded]),
        ("failure_then_success", Failed, [Succeeded]),
        ("success_then_return", Pending, [Returned]),
        ("wrong_order_no", unverified, [Succeeded]),
        ("proxy_404", unverified, [Succeeded]),
        ("answer_wrong_amount", unverified, [unverified]),
        ("forged_signature", Failed, [Succeeded]),  # this account does not sign: nothing to forge
        ("success_then_failed", Succeeded, [Failed]),
        ("quiet_return", Succeeded, [Succeeded]),
        ("late_payment", Pending, [Succeeded]),  # later_seconds 0: paid by the time of the query
        ("paid_other_amount", Succeeded, [Succeeded]),
        ("statement_omits", Succeeded, [Succeeded]),
    ],
)
def test_each_scenario_answers_as_documented(
    fake: FakeChannel, client: httpx.Client, scenario: str, dispatch_type: Kind, query_types: list[Kind]
) -> None:
    order_no = f"S-{scenario}"
    fake.program(order_no, ScenarioSetting(scenario=scenario))  # type: ignore[arg-type]
    adapter = FakeChannelAdapter(fake.base_url)
    ex, outcome = ask(client, adapter, "dispatch", adapter.dispatch_request(_payout(order_no)), order_no)
    assert _is(outcome, dispatch_type), outcome
    if scenario == "timeout":
        assert ex.http_status is None and ex.transport_error is not None
    if scenario in ("http_5xx", "late_payment"):
        assert ex.http_status == 503
    answers = [ask(client, adapter, "query", adapter.query_request(order_no), order_no)[1] for _ in query_types]
    assert all(_is(a, kind) for a, kind in zip(answers, query_types, strict=True)), answers
    record = fake.orders()[order_no]
    assert record.dispatches == 1 and record.queries == len(query_types)
    assert record.paid == (scenario not in ("failure", "http_5xx", "success_then_failed"))
    assert (record.paid and record.paid_amount != record.amount) == (scenario == "paid_other_amount")


def test_resend_of_an_order_number_never_pays_twice(fake: FakeChannel, client: httpx.Client) -> None:
    adapter = FakeChannelAdapter(fake.base_url)
    request = adapter.dispatch_request(_payout("S-resend"))
    first = ask(client, adapter, "dispatch", request, "S-resend")[1]
    second = ask(client, adapter, "resend", request, "S-resend")[1]
    assert first == second == Succeeded(code="SUCCESS")
    record = fake.orders()["S-resend"]
    assert (record.dispatches, record.paid, record.amount) == (2, True, 12_345)


def test_5xx_then_resend_is_accepted_once(fake: FakeChannel, client: httpx.Client) -> None:
    fake.program("S-5xx-resend", ScenarioSetting(scenario="http_5xx"))
    adapter = FakeChannelAdapter(fake.base_url)
    request = adapter.dispatch_request(_payout("S-5xx-resend"))
    assert isinstance(ask(client, adapter, "dispatch", request, "S-5xx-resend")[1], Pending)
    assert ask(client, adapter, "resend", request, "S-5xx-resend")[1] == Succeeded(code="SUCCESS")
    assert fake.orders()["S-5xx-resend"].paid


def test_unknown_order_is_not_found(fake: FakeChannel, client: httpx.Client) -> None:
    adapter = FakeChannelAdapter(fake.base_url)
    outcome = ask(client, adapter, "query", adapter.query_request("S-never-sent"), "S-never-sent")[1]
    assert isinstance(outcome, Pending) and outcome.not_found


def test_closed_port_is_pending_not_an_exception() -> None:
    adapter = FakeChannelAdapter("http://127.0.0.1:9")  # discard port: nothing listens
    with new_client(httpx.Timeout(1.0)) as c:
        ex, outcome = ask(c, adapter, "dispatch", adapter.dispatch_request(_payout("S-closed")), "S-closed")
    assert isinstance(outcome, Pending) and ex.http_status is None and "ConnectError" in (ex.transport_error or "")
