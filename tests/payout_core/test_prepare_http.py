"""prepare() through cardbin's HTTP client against a real service on loopback: same result as in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cardbin.client import CardbinClient
from cardbin.errors import ServiceError
from cardbin.resolve import Resolver
from cardbin.service.app import create_app
from payout_core import PrepareError, Recipient, channel, prepare
from tests.cardbin.harness import free_port, running

CARD = "6222021234567890128"


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver.open()


@pytest.fixture(scope="module")
def client(resolver: Resolver) -> Iterator[CardbinClient]:
    with running(create_app(resolver=resolver)) as url, CardbinClient(url) as c:
        yield c


def test_http_client_prepares_like_the_resolver(client: CardbinClient, resolver: Resolver) -> None:
    r = Recipient(name="买买提•艾力", account_no=CARD, account_type="personal", amount=10_000)
    over_http = prepare(r, channel("wechat_bank"), client)
    in_process = prepare(r, channel("wechat_bank"), resolver)
    assert over_http == in_process
    assert over_http.channel_bank_code == "1002"


def test_http_client_reports_the_bin_contradiction(client: CardbinClient) -> None:
    r = Recipient(name="张三", account_no=CARD, account_type="personal", amount=10_000, bank_code="CCB")
    with pytest.raises(PrepareError) as info:
        prepare(r, channel("wechat_bank"), client)
    assert [(v.field, v.code) for v in info.value.violations] == [("bank_code", "bank_mismatch")]


def test_unreachable_service_is_an_error_not_a_guess() -> None:
    r = Recipient(name="张三", account_no=CARD, account_type="personal", amount=10_000)
    with CardbinClient(f"http://127.0.0.1:{free_port()}", timeout=2) as dead, pytest.raises(ServiceError) as info:
        prepare(r, channel("wechat_bank"), dead)
    assert CARD not in str(info.value)
