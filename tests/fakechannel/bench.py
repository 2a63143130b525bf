"""A payout bench: store, engine, funded merchant, channel routes wired to the fake channel, and a dispatcher.

Shared by the tests and `scripts/simulate_payouts.py` so both exercise the same wiring. Each bench uses its own
channel order prefix, so many benches can share one fake channel server without their order numbers colliding.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping

import httpx

from payout_core.channels import Outcomes
from payout_core.dispatch import Checkpoint, Dispatcher, QueryPolicy, no_checkpoint
from payout_core.dispatch.adapter import new_client
from payout_core.orders import Merchant, Order, PayoutEngine
from payout_core.recipient import Recipient
from payout_core.routing import ChannelRoute
from payout_core.store import Clock, Store
from tests.fakechannel.adapter import FakeChannelAdapter
from tests.fakechannel.runner import FakeChannel
from tests.fakechannel.wire import FAKE_RULES, Scenario, ScenarioSetting

MERCHANT = "m1"


class Bench:
    """`channels` maps a route name to the outcome rules its (fake) channel declares; all follow `profile`."""

    def __init__(
        self,
        store: Store,
        fake: FakeChannel,
        clock: Clock,
        *,
        channels: Mapping[str, Outcomes] | None = None,
        profile: str = "generic",
        funds: int = 10**12,
        policy: QueryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.store = store
        self.fake = fake
        self.clock = clock
        self.engine = PayoutEngine(store, clock=clock, channel_order_prefix=f"T{uuid.uuid4().hex[:10]}")
        self.channels = dict(channels or {"fake": FAKE_RULES})
        self.policy = policy
        self.client = new_client(timeout or httpx.Timeout(5.0, read=0.75))
        self.engine.add_merchant(Merchant(id=MERCHANT, approval="auto", per_card_daily_limit=funds, daily_limit=None))
        self.engine.deposit(MERCHANT, funds)
        for name in self.channels:
            self.engine.add_channel(ChannelRoute(name=name, profile=profile, weight=1))
            self.engine.fund_channel(name, funds)
        self.dispatcher = self.new_dispatcher()

    def new_dispatcher(self, checkpoint: Checkpoint = no_checkpoint) -> Dispatcher:
        """A fresh dispatcher, as a restarted process would build it (nothing carried over but the database)."""
        adapters = {name: FakeChannelAdapter(self.fake.base_url, name, rules) for name, rules in self.channels.items()}
        return Dispatcher(
            self.engine, adapters, self.client, policy=self.policy, clock=self.clock, checkpoint=checkpoint
        )

    def routed(
        self,
        merchant_order_no: str,
        recipient: Recipient,
        scenario: Scenario,
        rng: random.Random,
        hidden_queries: int = 2,
    ) -> Order:
        """Submit (auto-approved), route (funds frozen) and tell the fake channel how to answer this order."""
        order = self.engine.submit(MERCHANT, merchant_order_no, recipient)
        order = self.engine.route(order, rng)
        if order.channel_order_no is None:
            raise RuntimeError(f"order {order.id} was not routed: {order.route_failure}")
        self.fake.program(order.channel_order_no, ScenarioSetting(scenario=scenario, hidden_queries=hidden_queries))
        return order

    def close(self) -> None:
        self.client.close()
