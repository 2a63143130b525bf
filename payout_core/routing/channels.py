"""Routable channel accounts: a name (one funded account at a channel), the profile it follows, a weight."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import msgspec

from cardbin.errors import InvalidInput
from payout_core.channels import channel
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
    open_channel_accounts(tx, route.name, at)


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
