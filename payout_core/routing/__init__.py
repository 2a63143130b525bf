"""Routing: which channel accounts can carry a payout, and a seedable weighted pick among them."""

from payout_core.routing.channels import ChannelRoute, active_routes, save_route
from payout_core.routing.choice import choose, choose_eligible
from payout_core.routing.eligibility import refusals

__all__ = ["ChannelRoute", "active_routes", "choose", "choose_eligible", "refusals", "save_route"]
