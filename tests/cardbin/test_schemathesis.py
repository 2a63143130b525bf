"""Property-based run of the published OpenAPI schema against a real server: no input gets a 5xx.

Every operation gets valid and invalid inputs generated from /schema (bounded: a few dozen examples each, well
under a minute). Driven through Hypothesis directly: schemathesis' pytest plugin does not load under pytest 9.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from cardbin.resolve.resolver import Resolver
from cardbin.service.app import create_app
from tests.cardbin.harness import running, sample_release

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running(create_app(resolver=Resolver.from_release(sample_release("2026-10")))) as url:
        yield url


def _operations(base_url: str) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_for_any_input(base_url: str, mode: GenerationMode) -> None:
    operations = _operations(base_url)
    assert len(operations) == 10
    if mode is GenerationMode.NEGATIVE:  # only typed bodies and bounded queries have invalid values to generate
        operations = [op for op in operations if len(op.body) or len(op.query)]
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case: Any) -> None:
            case.call_and_validate(base_url=base_url, checks=CHECKS)

        run()
