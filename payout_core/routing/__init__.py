"""Routing: which channel accounts can carry a payout, and a seedable weighted pick among them."""

from payout_core.routing.channels import (
    ACTIVE_ROUTES,
    ROUTING_READ,
    Candidate,
    ChannelRoute,
    RoutingTable,
    routes_of,
    save_route,
)
from payout_core.routing.choice import choose, choose_eligible
from payout_core.routing.eligibility import refusals

__all__ = [
    "ACTIVE_ROUTES",
    "ROUTING_READ",
    "Candidate",
    "ChannelRoute",
    "RoutingTable",
    "choose",
    "choose_eligible",
    "refusals",
    "routes_of",
    "save_route",
]
