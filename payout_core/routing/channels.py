"""Routable channel accounts: a name (one funded account at a channel), the profile it follows, a weight."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import msgspec

from payout_core.channels import channel
from payout_core.errors import InvalidInput
from payout_core.ledger import open_channel_accounts
from payout_core.store import Tx


class ChannelRoute(msgspec.Struct, frozen=True, kw_only=True):
    """weight 0 or active False keeps the account configured but never chosen."""

    name: str
    profile: str
    weight: int = 1
    active: bool = True


def save_route(tx: Tx, route: ChannelRoute, at: int) -> None:
    """Create or reconfigure; the profile must exist now, not be discovered missing at the first payout."""
    if not route.name or ":" in route.name:
        raise InvalidInput("name", route.name, "must be non-empty and contain no ':'")
    if route.weight < 0:
        raise InvalidInput("weight", str(route.weight), "must be >= 0")
    channel(route.profile)
    tx.execute(
        "INSERT INTO channels (name, profile, weight, active, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET profile = excluded.profile, weight = excluded.weight,"
        " active = excluded.active",
        (route.name, route.profile, route.weight, int(route.active), at),
    )
    tx.execute("UPDATE routing_version SET version = version + 1 WHERE id = 1")
    open_channel_accounts(tx, route.name, at)


# The configuration version and every active route, one row each (a NULL route when none is active).
ROUTING_READ = (
    "SELECT v.version, c.name, c.profile, c.weight FROM routing_version v LEFT JOIN channels c ON c.active = 1"
    " WHERE v.id = 1 ORDER BY c.name"
)


class RoutingTable(NamedTuple):
    """The active routes as of one configuration version, for routing without reading them each time."""

    version: int
    routes: tuple[ChannelRoute, ...]

    @classmethod
    def of(cls, rows: Sequence[Sequence[Any]]) -> RoutingTable:
        """From the rows of ROUTING_READ."""
        routes = tuple(ChannelRoute(name=n, profile=p, weight=int(w)) for _, n, p, w in rows if n is not None)
        return cls(int(rows[0][0]), routes)

    @property
    def current(self) -> tuple[str, tuple[int]]:
        """SQL condition and parameters that hold while no route has changed since this table was read."""
        return "EXISTS (SELECT 1 FROM routing_version WHERE id = 1 AND version = ?)", (self.version,)


# Active routes with their channel account's available balance, as a derived table (name, profile, weight, balance)
# to join where the routes are read (the order's row and its candidates in one statement). The account id is spelled
# as ledger.channel_account(name, "available"): a primary-key lookup.
ACTIVE_ROUTES = (
    "SELECT c.name, c.profile, c.weight, a.balance FROM channels c JOIN accounts a"
    " ON a.id = 'channel:' || c.name || ':available' WHERE c.active = 1"
)


class Candidate(NamedTuple):
    """A route as the router weighs it: its channel account's available balance and what the order's card has
    already been paid through it today (for a profile with a per-card daily limit)."""

    route: ChannelRoute
    available: int
    card_used: int


def routes_of(rows: Iterable[Sequence[Any]]) -> list[Candidate]:
    """Candidates of (name, profile, weight, balance, card_used) rows; an all-NULL row (an outer join that found
    no active route) is skipped."""
    return [
        Candidate(ChannelRoute(name=n, profile=p, weight=int(w)), int(b), int(u))
        for n, p, w, b, u in rows
        if n is not None
    ]
