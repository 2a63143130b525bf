"""The OpenAPI document integrators read, and the docs UI served from the package (an offline intranet has no CDN)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cardbin.resolve.resolver import Resolver
from cardbin.service.app import ServiceSettings, create_app
from cardbin.service.auth import AccessPolicy
from cardbin.service.wire import PROBLEM_TYPES, problem_type
from tests.cardbin.harness import running, sample_release

RESOLVER = Resolver.from_release(sample_release("2026-10"))


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    policy = AccessPolicy.build(keys=["secret"], header="X-Cardbin-Key")
    with running(create_app(ServiceSettings(access=policy), resolver=RESOLVER)) as url:
        yield url


@pytest.fixture(scope="module")
def schema(base_url: str) -> dict[str, Any]:
    response = httpx.get(f"{base_url}/schema/openapi.json")  # no key: documentation is open, like the probes
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _properties(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, component in schema["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            yield f"{name}.{field}", spec


def test_every_field_is_described_with_an_example(schema: dict[str, Any]) -> None:
    properties = dict(_properties(schema))
    assert len(properties) > 60
    assert [name for name, spec in properties.items() if not spec.get("description")] == []
    scalars = {n: s for n, s in properties.items() if "$ref" not in str(s) and s.get("type") != "array"}
    assert [name for name, spec in scalars.items() if not spec.get("examples")] == []


def test_examples_are_realistic_and_mask_card_numbers(schema: dict[str, Any]) -> None:
    requests = ("LookupRequest", "BatchRequest")  # what a caller sends holds the full number, as it must
    text = str({k: v for k, v in schema["components"]["schemas"].items() if k not in requests}) + str(schema["paths"])
    for run in re.findall(r"(?<![0-9])[0-9]{16,19}(?![0-9])", text):
        pytest.fail(f"an unmasked card-like number in the document: {run}")
    assert "622202*********0128" in text
    problem = schema["components"]["schemas"]["Problem"]
    assert problem["properties"]["value"]["examples"] == ["622202*********0128"]
    lookup = schema["paths"]["/v1/cards/lookup"]["post"]["responses"]
    examples = lookup["422"]["content"]["application/problem+json"]["examples"]
    bodies = [e["value"] for e in examples.values()]
    assert {b["type"] for b in bodies} >= {problem_type("invalid-card-number"), problem_type("malformed-request")}
    assert all(b["status"] == 422 and b["title"] == "Unprocessable Entity" for b in bodies)


def test_every_problem_type_is_listed_with_its_meaning(schema: dict[str, Any]) -> None:
    description = schema["info"]["description"]
    for slug, (status, meaning) in PROBLEM_TYPES.items():
        assert f"`{problem_type(slug)}` ({status}): {meaning}" in description


def test_the_api_key_is_a_security_scheme(schema: dict[str, Any]) -> None:
    assert schema["components"]["securitySchemes"] == {
        "apiKey": {"type": "apiKey", "name": "X-Cardbin-Key", "in": "header"}
    }
    assert schema["security"] == [{"apiKey": []}]
    assert "401" in schema["paths"]["/v1/banks"]["get"]["responses"]


def test_card_numbers_prefixes_and_cnaps_codes_have_patterns_and_lengths(schema: dict[str, Any]) -> None:
    card_number = schema["components"]["schemas"]["LookupRequest"]["properties"]["card_number"]
    assert card_number["maxLength"] == 64 and re.fullmatch(card_number["pattern"], "6222 0212 3456 7890 128")
    assert not re.fullmatch(card_number["pattern"], "6222x")

    def parameter(path: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name)[
            "schema"
        ]
        return found

    prefix = parameter("/v1/bins/{prefix}", "prefix")
    assert (prefix["minLength"], prefix["maxLength"], prefix["pattern"]) == (6, 10, "^[0-9]{6,10}$")
    cnaps = parameter("/v1/branches/{cnaps_code}", "cnaps_code")
    assert (cnaps["minLength"], cnaps["maxLength"], cnaps["pattern"]) == (12, 12, "^[0-9]{12}$")
    card_info = schema["components"]["schemas"]["CardInfo"]["properties"]
    assert re.fullmatch(card_info["card_number_masked"]["pattern"], "622202*********0128")


def test_the_docs_ui_loads_nothing_from_outside(base_url: str) -> None:
    page = httpx.get(f"{base_url}/schema")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert len(urls) >= 4
    assert [u for u in urls if not u.startswith("/")] == []  # nothing from a CDN
    for url in urls:
        asset = httpx.get(base_url + url)
        assert asset.status_code == 200 and len(asset.content) > 100, url
    assert "SwaggerUIBundle" in httpx.get(base_url + "/schema/assets/swagger-ui-bundle.js").text
