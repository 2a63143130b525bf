"""Routable channel accounts: a name (one funded account at a channel), the profile it follows, a weight.

This module owns the `channels` and `routing_version` tables.
"""

from __future__ import annotations

from typing import NamedTuple

import msgspec

from payout_core.errors import InvalidInput
from payout_core.ledger import open_channel_accounts
from payout_core.store import Later, Row, Tx


class ChannelRoute(msgspec.Struct, frozen=True, kw_only=True):
    """weight 0 or active False keeps the account configured but never chosen."""

    name: str
    profile: str
    weight: int = 1
    active: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or ":" in self.name:
            raise InvalidInput("name", str(self.name), "must be non-empty and contain no ':'")
        if type(self.weight) is not int or self.weight < 0:
            raise InvalidInput("weight", str(self.weight), "must be an integer >= 0")


def save_route(tx: Tx, route: ChannelRoute, at: int) -> None:
    """Create or reconfigure. The caller has checked that the profile exists (PayoutEngine.add_channel): a missing
    one must be found now, not at the first payout."""
    tx.send(
        "INSERT INTO channels (name, profile, weight, active, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET profile = excluded.profile, weight = excluded.weight,"
        " active = excluded.active",
        (route.name, route.profile, route.weight, int(route.active), at),
        rows=1,
        link="save the route",
    )
    tx.send("UPDATE routing_version SET version = version + 1 WHERE id = 1", rows=1, link="raise the routing version")
    open_channel_accounts(tx, route.name, at)


_ROUTE_COLUMNS = "name, profile, weight, active"


def _route(row: Row) -> ChannelRoute:
    name, profile, weight, active = row
    return ChannelRoute(name=name, profile=profile, weight=int(weight), active=bool(active))


def read_route(tx: Tx, name: str, *, lock: bool = False) -> ChannelRoute | None:
    """One route, active or not (`lock`: held until the transaction ends, for a change based on it)."""
    rows = tx.all(f"SELECT {_ROUTE_COLUMNS} FROM channels WHERE name = ?{tx.for_update if lock else ''}", (name,))
    return _route(rows[0]) if rows else None


def all_routes(tx: Tx) -> list[ChannelRoute]:
    """Every configured route, active or not, by name."""
    return [_route(r) for r in tx.all(f"SELECT {_ROUTE_COLUMNS} FROM channels ORDER BY name")]


def route_profile(tx: Tx, name: str) -> str | None:
    """The profile a channel account follows, active or not; None when no such account is configured."""
    route = read_route(tx, name)
    return None if route is None else route.profile


class RoutingTable(NamedTuple):
    """The active routes as of one configuration version, for routing without reading them each time."""

    version: int
    routes: tuple[ChannelRoute, ...]


def _table(rows: list[Row]) -> RoutingTable:
    routes = tuple(ChannelRoute(name=n, profile=p, weight=int(w)) for _, n, p, w in rows if n is not None)
    return RoutingTable(int(rows[0][0]), routes)


def routing_table(tx: Tx) -> Later[RoutingTable]:
    """The configuration version and every active route (one row each; a NULL route when none is active)."""
    rows = tx.defer(
        "SELECT v.version, c.name, c.profile, c.weight FROM routing_version v LEFT JOIN channels c ON c.active = 1"
        " WHERE v.id = 1 ORDER BY c.name"
    )
    return rows.decoded(_table)


def require_current(tx: Tx, table: RoutingTable) -> None:
    """A link of a route's write chain: no route has changed since `table` was read, else the chain fails whole
    (a route drawn from an older copy must never be committed)."""
    tx.send(
        "SELECT id FROM routing_version WHERE id = 1 AND version = ?",
        (table.version,),
        rows=1,
        link="route: the routes are unchanged",
    )
