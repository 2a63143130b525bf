"""The HTTP service on a real uvicorn server on loopback: every endpoint, every problem type, no PAN leaks."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator

import httpx
import msgspec
import pytest

from cardbin.model import Bank, BinRecord, Branch, CardInfo, City
from cardbin.resolve.resolver import Resolver
from cardbin.service.app import create_app
from cardbin.service.edge import AccessLog
from cardbin.service.wire import MAX_BATCH, BatchResponse, Problem, Releases
from tests.cardbin.harness import card, running, sample_release

MONTH = "2026-10"
ICBC = card("622202", 19)
UNKNOWN = card("999999", 16)
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    app = create_app(resolver=Resolver.from_release(sample_release(MONTH)))
    with running(app) as base_url, httpx.Client(base_url=base_url) as client:
        yield client


def problem(response: httpx.Response, status: int, slug: str) -> Problem:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    found = msgspec.json.decode(response.content, type=Problem)
    assert found.type == f"urn:cardbin:problem:{slug}"
    assert found.status == status
    return found


def test_lookup_answers_the_resolvers_card_info(http: httpx.Client) -> None:
    response = http.post("/v1/cards/lookup", json={"card_number": ICBC})
    assert response.status_code == 200
    info = msgspec.json.decode(response.content, type=CardInfo)
    assert info == Resolver.from_release(sample_release(MONTH)).lookup(ICBC)
    assert (info.bank_code, info.cnaps_code, info.release) == ("ICBC", "102100000030", MONTH)
    assert ICBC not in response.text
    assert info.card_number_masked == ICBC[:6] + "*" * 9 + ICBC[-4:]


def test_lookup_accepts_what_people_type(http: httpx.Client) -> None:
    spaced = " ".join(ICBC[i : i + 4] for i in range(0, len(ICBC), 4))
    response = http.post("/v1/cards/lookup", json={"card_number": spaced})
    assert msgspec.json.decode(response.content, type=CardInfo).bin == "622202"


def test_invalid_card_number_is_422_naming_field_and_rule_masked(http: httpx.Client) -> None:
    bad = ICBC[:-1] + "x"
    found = problem(http.post("/v1/cards/lookup", json={"card_number": bad}), 422, "invalid-card-number")
    assert found.field == "card_number"
    assert found.value == ICBC[:6] + "*" * 9 + ICBC[-4:-1] + "x"
    assert found.reason and "only digits" in found.reason


def test_unknown_bin_is_404(http: httpx.Client) -> None:
    found = problem(http.post("/v1/cards/lookup", json={"card_number": UNKNOWN}), 404, "unknown-bin")
    assert found.field == "card_number"
    assert UNKNOWN not in found.detail


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"card_number": 6222021234567890}, "card_number", "str"),
        ({}, "body", "card_number"),
        ([ICBC], "body", "object"),
        ({"card_number": "1" * 65}, "card_number", "64"),
    ],
)
def test_malformed_body_is_422_naming_the_field(http: httpx.Client, body: object, field: str, says: str) -> None:
    response = http.post("/v1/cards/lookup", json=body)
    found = problem(response, 422, "malformed-request")
    assert found.field == field
    assert found.reason is not None and says in found.reason
    assert "6222021234567890" not in response.text and ICBC not in response.text


def test_missing_body_is_422(http: httpx.Client) -> None:
    found = problem(http.post("/v1/cards/lookup", content=b""), 422, "malformed-request")
    assert (found.field, found.reason) == ("body", "a JSON body is required")


def test_unparsable_json_is_422_and_never_echoes_the_card(http: httpx.Client) -> None:
    body = b'{"card_number": ' + ICBC.encode()
    response = http.post("/v1/cards/lookup", content=body, headers={"content-type": "application/json"})
    problem(response, 422, "malformed-request")
    assert ICBC not in response.text


def test_batch_answers_each_item_in_order_from_one_release(http: httpx.Client) -> None:
    numbers = [ICBC, "12ab", UNKNOWN, card("622588", 16)]
    response = http.post("/v1/cards/batch", json={"card_numbers": numbers})
    assert response.status_code == 200
    batch = msgspec.json.decode(response.content, type=BatchResponse)
    assert batch.release == MONTH
    first, bad, unknown, cmb = batch.items
    assert first.result is not None and first.result.bank_code == "ICBC" and first.error is None
    assert bad.error is not None and bad.error.type.endswith("invalid-card-number")
    assert bad.error.field == "card_numbers[1]" and bad.result is None
    assert unknown.error is not None and unknown.error.status == 404 and unknown.error.field == "card_numbers[2]"
    assert cmb.result is not None and cmb.result.bank_code == "CMB" and cmb.result.release == MONTH
    assert not any(n in response.text for n in (ICBC, UNKNOWN))


def test_batch_of_the_maximum_size_is_answered(http: httpx.Client) -> None:
    response = http.post("/v1/cards/batch", json={"card_numbers": [ICBC] * MAX_BATCH})
    assert len(msgspec.json.decode(response.content, type=BatchResponse).items) == MAX_BATCH


def test_batch_too_large_is_413(http: httpx.Client) -> None:
    found = problem(
        http.post("/v1/cards/batch", json={"card_numbers": [ICBC] * (MAX_BATCH + 1)}), 413, "batch-too-large"
    )
    assert found.field == "card_numbers"
    assert found.value == f"{MAX_BATCH + 1} items"


def test_bins_by_prefix(http: httpx.Client) -> None:
    rows = msgspec.json.decode(http.get("/v1/bins/62220212").content, type=list[BinRecord])
    assert [(r.bin, r.pan_length, r.bank_code) for r in rows] == [("622202", 19, "ICBC")]
    problem(http.get("/v1/bins/999999"), 404, "unknown-bin")
    problem(http.get("/v1/bins/6222"), 422, "invalid-card-number")


def test_a_card_number_in_a_url_is_masked_in_the_answer(http: httpx.Client) -> None:
    response = http.get(f"/v1/bins/{ICBC}")
    found = problem(response, 422, "invalid-card-number")
    assert ICBC not in response.text
    assert found.instance == f"/v1/bins/{ICBC[:6]}{'*' * 9}{ICBC[-4:]}"


def test_branch_search_and_lookup(http: httpx.Client) -> None:
    found = msgspec.json.decode(
        http.get("/v1/branches", params={"bank": "ICBC", "limit": 1}).content, type=list[Branch]
    )
    assert len(found) == 1 and found[0].bank_code == "ICBC"
    everything = msgspec.json.decode(http.get("/v1/branches", params={"q": "新华"}).content, type=list[Branch])
    assert [b.cnaps_code for b in everything] == ["102100000021"]
    one = msgspec.json.decode(http.get("/v1/branches/102100000021").content, type=Branch)
    assert (one.city, one.province) == ("北京市", "北京市")


def test_branch_errors(http: httpx.Client) -> None:
    assert problem(http.get("/v1/branches/102100000022"), 422, "invalid-cnaps-code").value == "102100000022"
    assert problem(http.get("/v1/branches/103100000026"), 404, "unknown-branch").field == "cnaps_code"
    problem(http.get("/v1/branches", params={"limit": 0}), 422, "malformed-request")
    assert problem(http.get("/v1/branches", params={"bank": "no such bank"}), 422, "invalid-input").field == "bank"
    response = http.get("/v1/branches", params={"bank": ICBC})
    assert problem(response, 422, "invalid-input").value == ICBC[:6] + "*" * 9 + ICBC[-4:]
    assert ICBC not in response.text


def test_banks_and_cities(http: httpx.Client) -> None:
    banks = msgspec.json.decode(http.get("/v1/banks").content, type=list[Bank])
    assert "ICBC" in {b.code for b in banks}
    cities = msgspec.json.decode(http.get("/v1/cities").content, type=list[City])
    assert [c.city_code for c in cities] == ["1000", "2900"]


def test_releases_health_and_readiness(http: httpx.Client) -> None:
    releases = msgspec.json.decode(http.get("/v1/releases").content, type=Releases)
    assert releases.serving == MONTH
    assert [(r.month, r.active) for r in releases.releases] == [(MONTH, True)]
    assert http.get("/healthz").json() == {"status": "ok"}
    assert http.get("/readyz").json() == {"status": "ready", "release": MONTH}


def test_unknown_route_and_method_are_problems(http: httpx.Client) -> None:
    problem(http.get("/v1/nothing"), 404, "no-such-route")
    problem(http.delete("/v1/banks"), 405, "method-not-allowed")


def test_oversized_body_is_413(http: httpx.Client) -> None:
    body = b'{"card_numbers": ["' + b"1" * (2 << 20) + b'"]}'
    response = http.post("/v1/cards/batch", content=body, headers={"content-type": "application/json"})
    problem(response, 413, "request-too-large")


def test_openapi_schema_lists_every_endpoint(http: httpx.Client) -> None:
    paths = set(http.get("/schema/openapi.json").json()["paths"])
    assert paths == {
        "/v1/cards/lookup",
        "/v1/cards/batch",
        "/v1/bins/{prefix}",
        "/v1/branches",
        "/v1/branches/{cnaps_code}",
        "/v1/banks",
        "/v1/cities",
        "/v1/releases",
        "/healthz",
        "/readyz",
    }


def test_access_log_masks_and_writes_whole_lines_in_pipe_sized_chunks() -> None:
    chunks: list[bytes] = []
    log = AccessLog(write=chunks.append)
    scope = {
        "method": "GET",
        "path": f"/v1/bins/{ICBC}",
        "query_string": f"q={ICBC}".encode(),
        "client": ("1.2.3.4", 5),
    }
    for _ in range(200):
        log.record(scope, 422, time.perf_counter(), "GET")
    log.flush()
    assert all(len(c) <= select.PIPE_BUF and c.endswith(b"\n") for c in chunks) and len(chunks) > 1
    lines = b"".join(chunks).decode().splitlines()
    masked = f"{ICBC[:6]}*********{ICBC[-4:]}"
    assert len(lines) == 200 and ICBC not in "".join(lines)
    assert f'1.2.3.4 "GET /v1/bins/{masked}?q={masked}" 422 ' in lines[0]
