"""The fake channel over real HTTP on loopback: each scenario answers as documented, and it never pays twice."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from payout_core.dispatch import Failed, Payout, Pending, Returned, Succeeded, call, new_client
from payout_core.recipient import Recipient
from tests.fakechannel import FakeChannel, FakeChannelAdapter, ScenarioSetting, running_fake_channel

ACCOUNT = "6222021234567890128"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeChannel]:
    with running_fake_channel(timeout_delay=0.6) as channel:
        yield channel


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with new_client(httpx.Timeout(5.0, read=0.3)) as c:
        yield c


def _payout(order_no: str) -> Payout:
    r = Recipient(name="张三", account_no=ACCOUNT, account_type="personal", amount=12_345)
    return Payout(order_id=1, channel_order_no=order_no, recipient=r)


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
    ],
)
def test_each_scenario_answers_as_documented(
    fake: FakeChannel, client: httpx.Client, scenario: str, dispatch_type: type, query_types: list[type]
) -> None:
    order_no = f"S-{scenario}"
    fake.program(order_no, ScenarioSetting(scenario=scenario))  # type: ignore[arg-type]
    adapter = FakeChannelAdapter(fake.base_url)
    ex, outcome = call(client, adapter, "dispatch", adapter.dispatch_request(_payout(order_no)))
    assert type(outcome) is dispatch_type, outcome
    if scenario == "timeout":
        assert ex.http_status is None and ex.transport_error is not None
    if scenario == "http_5xx":
        assert ex.http_status == 503
    answers = [call(client, adapter, "query", adapter.query_request(order_no))[1] for _ in query_types]
    assert [type(a) for a in answers] == query_types, answers
    record = fake.orders()[order_no]
    assert record.dispatches == 1 and record.queries == len(query_types)
    assert record.paid == (scenario not in ("failure", "http_5xx"))


def test_resend_of_an_order_number_never_pays_twice(fake: FakeChannel, client: httpx.Client) -> None:
    adapter = FakeChannelAdapter(fake.base_url)
    request = adapter.dispatch_request(_payout("S-resend"))
    first = call(client, adapter, "dispatch", request)[1]
    second = call(client, adapter, "resend", request)[1]
    assert first == second == Succeeded(code="SUCCESS")
    record = fake.orders()["S-resend"]
    assert (record.dispatches, record.paid, record.amount) == (2, True, 12_345)


def test_5xx_then_resend_is_accepted_once(fake: FakeChannel, client: httpx.Client) -> None:
    fake.program("S-5xx-resend", ScenarioSetting(scenario="http_5xx"))
    adapter = FakeChannelAdapter(fake.base_url)
    request = adapter.dispatch_request(_payout("S-5xx-resend"))
    assert isinstance(call(client, adapter, "dispatch", request)[1], Pending)
    assert call(client, adapter, "resend", request)[1] == Succeeded(code="SUCCESS")
    assert fake.orders()["S-5xx-resend"].paid


def test_unknown_order_is_not_found(fake: FakeChannel, client: httpx.Client) -> None:
    adapter = FakeChannelAdapter(fake.base_url)
    outcome = call(client, adapter, "query", adapter.query_request("S-never-sent"))[1]
    assert isinstance(outcome, Pending) and outcome.not_found


def test_closed_port_is_pending_not_an_exception() -> None:
    adapter = FakeChannelAdapter("http://127.0.0.1:9")  # discard port: nothing listens
    with new_client(httpx.Timeout(1.0)) as c:
        ex, outcome = call(c, adapter, "dispatch", adapter.dispatch_request(_payout("S-closed")))
    assert isinstance(outcome, Pending) and ex.http_status is None and "ConnectError" in (ex.transport_error or "")
