"""Access control on a real server: off by default, API keys (env and file), IP allowlist."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cardbin.errors import InvalidInput
from cardbin.resolve.resolver import Resolver
from cardbin.service.app import ServiceSettings, create_app
from cardbin.service.auth import AccessPolicy
from tests.cardbin.harness import card, running, sample_release

ICBC = card("622202", 19)
RESOLVER = Resolver.from_release(sample_release("2026-10"))


def _status(base_url: str, path: str = "/v1/banks", headers: dict[str, str] | None = None) -> int:
    return httpx.get(base_url + path, headers=headers).status_code


def test_off_by_default() -> None:
    assert not AccessPolicy.from_env({}).enabled
    with running(create_app(resolver=RESOLVER)) as url:
        assert _status(url) == 200


def test_api_keys_from_env_and_file(tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text("# staff keys\nfile-key\n\n", encoding="utf-8")
    policy = AccessPolicy.from_env({"CARDBIN_API_KEYS": "env-key, other", "CARDBIN_API_KEYS_FILE": str(key_file)})
    with running(create_app(ServiceSettings(access=policy), resolver=RESOLVER)) as url:
        missing = httpx.post(f"{url}/v1/cards/lookup", json={"card_number": ICBC})
        assert missing.status_code == 401
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["type"] == "urn:cardbin:problem:unauthorized"
        assert "X-API-Key" in missing.json()["detail"]
        wrong = httpx.get(f"{url}/v1/banks", headers={"X-API-Key": "guess"})
        assert wrong.status_code == 401 and "not valid" in wrong.json()["detail"]
        for key in ("env-key", "other", "file-key"):
            assert _status(url, headers={"X-API-Key": key}) == 200
        assert _status(url, "/healthz") == 200  # probes need no key
        assert _status(url, "/readyz") == 200


def test_custom_key_header() -> None:
    policy = AccessPolicy.from_env({"CARDBIN_API_KEYS": "k", "CARDBIN_API_KEY_HEADER": "Authorization-Key"})
    with running(create_app(ServiceSettings(access=policy), resolver=RESOLVER)) as url:
        assert _status(url, headers={"X-API-Key": "k"}) == 401
        assert _status(url, headers={"Authorization-Key": "k"}) == 200


def test_ip_allowlist() -> None:
    allowed = AccessPolicy.from_env({"CARDBIN_ALLOW_IPS": "10.0.0.0/8, 127.0.0.1"})
    with running(create_app(ServiceSettings(access=allowed), resolver=RESOLVER)) as url:
        assert _status(url) == 200
    refused = AccessPolicy.build(allow=["10.0.0.0/8", "::1"])
    with running(create_app(ServiceSettings(access=refused), resolver=RESOLVER)) as url:
        response = httpx.get(f"{url}/v1/banks")
        assert response.status_code == 403
        assert response.json()["type"] == "urn:cardbin:problem:forbidden"
        assert _status(url, "/healthz") == 403  # the allowlist covers the probes too


def test_allowlist_and_key_together() -> None:
    policy = AccessPolicy.build(keys=["k"], allow=["127.0.0.0/8"])
    with running(create_app(ServiceSettings(access=policy), resolver=RESOLVER)) as url:
        assert _status(url) == 401
        assert _status(url, headers={"X-API-Key": "k"}) == 200


def test_a_bad_allowlist_entry_is_refused_at_start() -> None:
    with pytest.raises(InvalidInput) as raised:
        AccessPolicy.from_env({"CARDBIN_ALLOW_IPS": "10.0.0.0/8,not-an-ip"})
    assert raised.value.field == "CARDBIN_ALLOW_IPS" and raised.value.value == "not-an-ip"
