"""IP allowlist of merchant API callers, parsed with the stdlib `ipaddress` (v4 and v6, CIDR)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from payout_core.errors import InvalidInput
from payout_core.limits.errors import CallerNotAllowed

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_allowlist(entries: Iterable[str]) -> tuple[Network, ...]:
    """A bad entry is refused when the merchant is configured, not discovered at the first API call."""
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise InvalidInput("ip_allowlist", entry, "must be an IPv4/IPv6 address or CIDR network") from None
    return tuple(networks)


def check_caller(merchant_id: str, allowlist: Iterable[str], client_ip: str) -> None:
    """An empty allowlist refuses every API caller: access is granted explicitly, never by omission."""
    try:
        ip = ipaddress.ip_address(client_ip)
    except ValueError:
        raise InvalidInput("client_ip", client_ip, "must be an IPv4 or IPv6 address") from None
    if not any(ip in net for net in parse_allowlist(allowlist)):
        raise CallerNotAllowed(merchant_id, client_ip)
