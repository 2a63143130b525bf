"""Optional access control: API keys in a header and an IP allowlist, both off unless configured.

Configured from the environment (a key file keeps keys out of `ps` and shell history):
  CARDBIN_API_KEYS        comma-separated keys
  CARDBIN_API_KEYS_FILE   one key per line, `#` comments
  CARDBIN_API_KEY_HEADER  header carrying the key (default X-API-Key)
  CARDBIN_ALLOW_IPS       comma-separated addresses / CIDR networks
The probes /healthz and /readyz, and the API documentation under /schema, need no key (load balancers and
browsers have none) but do obey the allowlist.

Fails closed: a variable that is set but yields nothing (a key file whose lines are all comments,
`CARDBIN_API_KEYS=" , "`, an empty allowlist) refuses to start instead of serving everyone.

Rotating a key: add the new key beside the old one (both are accepted), restart the servers (one replica at a time
behind a load balancer), move the clients to the new key, remove the old key, restart again.
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
        """The policy the variables describe; InvalidInput when a variable is set but names nothing."""
        keys: list[str] = []
        if "CARDBIN_API_KEYS" in env:
            keys += _required(env, "CARDBIN_API_KEYS", _split(env["CARDBIN_API_KEYS"]), "names no key")
        if "CARDBIN_API_KEYS_FILE" in env:
            keys += _required(env, "CARDBIN_API_KEYS_FILE", _key_file(env["CARDBIN_API_KEYS_FILE"]), _NO_KEY_IN_FILE)
        allow: list[str] = []
        if "CARDBIN_ALLOW_IPS" in env:
            allow = _required(env, "CARDBIN_ALLOW_IPS", _split(env["CARDBIN_ALLOW_IPS"]), "names no address")
        header = env.get("CARDBIN_API_KEY_HEADER", "X-API-Key").strip()
        if not header:
            raise InvalidInput("CARDBIN_API_KEY_HEADER", "", "is set but empty; unset it for X-API-Key")
        return cls.build(keys, allow, header)

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


_NO_KEY_IN_FILE = "holds no key (every line is empty or a # comment)"


def _key_file(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("CARDBIN_API_KEYS_FILE", path, f"cannot be read ({type(exc).__name__})") from None
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def _required(env: Mapping[str, str], name: str, found: list[str], rule: str) -> list[str]:
    """A configured access setting that yields nothing is a mistake: refuse rather than serve without it."""
    if not found:
        shown = env[name] if name == "CARDBIN_API_KEYS_FILE" else ""  # never echo (partial) keys
        raise InvalidInput(name, shown, f"{rule}; refusing to start without the access control it asks for")
    return found
