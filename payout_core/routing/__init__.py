"""Routing: which channel accounts can carry a payout, and a seedable weighted pick among them."""

from payout_core.routing.channels import (
    ChannelRoute,
    RoutingTable,
    all_routes,
    read_route,
    require_current,
    route_profile,
    routing_table,
    save_route,
)
from payout_core.routing.choice import choose, choose_eligible
from payout_core.routing.eligibility import refusals

__all__ = [
    "ChannelRoute",
    "RoutingTable",
    "all_routes",
    "choose",
    "choose_eligible",
    "read_route",
    "refusals",
    "require_current",
    "route_profile",
    "routing_table",
    "save_route",
]
