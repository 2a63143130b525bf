"""Optional access control: API keys in a header and an IP allowlist, both off unless configured.

Configured from the environment (a key file keeps keys out of `ps` and shell history):
  CARDBIN_API_KEYS        comma-separated keys
  CARDBIN_API_KEYS_FILE   one key per line, `#` comments
  CARDBIN_API_KEY_HEADER  header carrying the key (default X-API-Key)
  CARDBIN_ALLOW_IPS       comma-separated addresses / CIDR networks
The probes /healthz and /readyz need no key (load balancers have none) but do obey the allowlist.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from cardbin.errors import InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Route handlers with this opt set are reachable without an API key.
NO_KEY = "cardbin_no_key"


def _digest(key: str) -> bytes:
    # Only digests are kept in memory, and compared in constant time.
    return hashlib.sha256(key.encode()).digest()


@dataclass(frozen=True)
class AccessPolicy:
    key_digests: frozenset[bytes] = frozenset()
    networks: tuple[Network, ...] = ()
    header: str = "X-API-Key"

    @classmethod
    def build(cls, keys: Iterable[str] = (), allow: Iterable[str] = (), header: str = "X-API-Key") -> AccessPolicy:
        networks = []
        for item in allow:
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError as exc:
                raise InvalidInput("CARDBIN_ALLOW_IPS", item, "must be an IP address or CIDR network") from exc
        digests = frozenset(_digest(k.strip()) for k in keys if k.strip())
        return cls(key_digests=digests, networks=tuple(networks), header=header)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AccessPolicy:
        keys = _split(env.get("CARDBIN_API_KEYS", ""))
        if key_file := env.get("CARDBIN_API_KEYS_FILE"):
            lines = Path(key_file).read_text(encoding="utf-8").splitlines()
            keys += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        return cls.build(keys, _split(env.get("CARDBIN_ALLOW_IPS", "")), env.get("CARDBIN_API_KEY_HEADER", "X-API-Key"))

    @property
    def enabled(self) -> bool:
        return bool(self.key_digests or self.networks)

    def guard(self, connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        """Litestar guard: 403 for an address outside the allowlist, 401 for a missing or unknown key."""
        if self.networks:
            host = connection.client.host if connection.client else ""
            if not self._allowed(host):
                raise PermissionDeniedException(detail="client address is not in the allowlist")
        if self.key_digests and not handler.opt.get(NO_KEY):
            key = connection.headers.get(self.header)
            if not key:
                raise NotAuthorizedException(detail=f"header {self.header} with an API key is required")
            digest = _digest(key)
            if not any(hmac.compare_digest(digest, known) for known in self.key_digests):
                raise NotAuthorizedException(detail=f"the API key in {self.header} is not valid")

    def _allowed(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped  # an IPv4 client on a dual-stack socket
        return any(address in net for net in self.networks)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]
