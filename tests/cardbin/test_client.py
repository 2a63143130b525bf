"""The httpx clients against a real server: same Structs as the Resolver, typed errors, no PAN in messages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from cardbin.client import AsyncCardbinClient, CardbinClient
from cardbin.errors import (
    AccessDenied,
    BatchTooLarge,
    InvalidCardNumber,
    InvalidCnapsCode,
    InvalidInput,
    ServiceError,
    UnknownBin,
    UnknownBranch,
)
from cardbin.resolve.resolver import Resolver
from cardbin.service.app import ServiceSettings, create_app
from cardbin.service.auth import AccessPolicy
from cardbin.service.wire import MAX_BATCH
from tests.cardbin.harness import card, free_port, running, sample_release

MONTH = "2026-10"
RESOLVER = Resolver.from_release(sample_release(MONTH))
ICBC = card("622202", 19)
UNKNOWN = card("999999", 16)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running(create_app(resolver=RESOLVER)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[CardbinClient]:
    with CardbinClient(base_url) as c:
        yield c


def test_sync_client_returns_the_resolvers_structs(client: CardbinClient) -> None:
    assert client.lookup(ICBC) == RESOLVER.lookup(ICBC)
    assert client.lookup_bin("622202") == RESOLVER.lookup_bin("622202")
    assert client.branches(bank="ICBC", limit=5) == RESOLVER.branches(bank="ICBC", limit=5)
    assert client.branch("102100000021") == RESOLVER.branch("102100000021")
    assert client.banks() == RESOLVER.banks()
    assert client.cities() == RESOLVER.cities()
    assert client.releases().serving == MONTH
    assert client.ready().release == MONTH


def test_batch_keeps_order_and_per_item_errors(client: CardbinClient) -> None:
    answer = client.batch([ICBC, UNKNOWN])
    assert answer.release == MONTH
    assert answer.items[0].result == RESOLVER.lookup(ICBC)
    assert answer.items[1].error is not None and answer.items[1].error.status == 404


def test_errors_are_cardbins_own_types_without_the_card_number(client: CardbinClient) -> None:
    with pytest.raises(UnknownBin) as unknown:
        client.lookup(UNKNOWN)
    assert unknown.value.field == "card_number" and UNKNOWN not in str(unknown.value)
    with pytest.raises(InvalidCardNumber) as invalid:
        client.lookup(ICBC[:-1] + "x")
    assert invalid.value.value.startswith("622202***") and ICBC[:-1] not in str(invalid.value)
    with pytest.raises(UnknownBranch):
        client.branch("103100000026")
    with pytest.raises(InvalidInput) as bad_bank:
        client.branches(bank="no such bank")
    assert bad_bank.value.field == "bank"
    with pytest.raises(BatchTooLarge) as too_many:
        client.batch([ICBC] * (MAX_BATCH + 1))
    assert too_many.value.field == "card_numbers"


def test_a_card_number_never_reaches_a_url(client: CardbinClient) -> None:
    with pytest.raises(InvalidCardNumber) as as_prefix:
        client.lookup_bin(ICBC)
    assert ICBC not in str(as_prefix.value)
    with pytest.raises(InvalidCnapsCode) as as_code:
        client.branch(ICBC)
    assert ICBC not in str(as_code.value)
    with pytest.raises(InvalidCnapsCode) as check_digit:
        client.branch("102100000022")
    assert check_digit.value.value == "102100000022"


def test_unreachable_service_is_a_service_error() -> None:
    with CardbinClient(f"http://127.0.0.1:{free_port()}", timeout=2.0) as dead, pytest.raises(ServiceError) as raised:
        dead.lookup(ICBC)
    assert raised.value.status is None
    assert ICBC not in str(raised.value)


def test_api_key_is_sent_and_refusal_is_access_denied() -> None:
    policy = AccessPolicy.build(keys=["secret"])
    with running(create_app(ServiceSettings(access=policy), resolver=RESOLVER)) as url:
        with CardbinClient(url, api_key="secret") as ok:
            assert ok.lookup(ICBC).bank_code == "ICBC"
        with CardbinClient(url) as anonymous, pytest.raises(AccessDenied) as raised:
            anonymous.banks()
        assert raised.value.status == 401 and raised.value.problem_type == "unauthorized"


def test_async_client_matches_the_sync_one(base_url: str) -> None:
    async def run() -> None:
        async with AsyncCardbinClient(base_url) as c:
            infos = await asyncio.gather(*(c.lookup(ICBC) for _ in range(20)))
            assert infos == [RESOLVER.lookup(ICBC)] * 20
            assert (await c.batch([ICBC])).items[0].result == RESOLVER.lookup(ICBC)
            assert await c.lookup_bin("62220212") == RESOLVER.lookup_bin("622202")
            assert await c.branches(q="新华") == RESOLVER.branches(q="新华")
            assert await c.branch("102100000030") == RESOLVER.branch("102100000030")
            assert await c.banks() == RESOLVER.banks()
            assert await c.cities() == RESOLVER.cities()
            assert (await c.releases()).serving == MONTH
            assert (await c.ready()).status == "ready"
            with pytest.raises(UnknownBin):
                await c.lookup(UNKNOWN)

    asyncio.run(run())
