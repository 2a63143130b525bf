"""A payout bench: store, engine, funded merchant, channel routes wired to the fake channel, and a dispatcher.

Shared by the tests and `scripts/simulate_payouts.py` so both exercise the same wiring. Each bench uses its own
channel order prefix, so many benches can share one fake channel server without their order numbers colliding.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Mapping
from pathlib import Path

import httpx
import msgspec

from payout_core.channels import (
    AnswerRules,
    ChannelProfile,
    Outcomes,
    SignatureRule,
    StatementLayout,
    channel,
)
from payout_core.dispatch import Checkpoint, Dispatcher, QueryPolicy, no_checkpoint
from payout_core.dispatch.adapter import new_client
from payout_core.orders import Merchant, Order, PayoutEngine
from payout_core.recipient import Recipient
from payout_core.routing import ChannelRoute
from payout_core.store import Clock, Store
from tests.fakechannel.adapter import FakeChannelAdapter
from tests.fakechannel.runner import FakeChannel
from tests.fakechannel.staff import ADMIN, OPERATOR, hire_staff, new_key
from tests.fakechannel.statement import FAKE_CSV
from tests.fakechannel.wire import FAKE_RULES, Scenario, ScenarioSetting

MERCHANT = "m1"
KEY_ENV = "FAKE_CHANNEL_KEY_{account}"  # where a signing account's key is, as its profile says


def fake_profile(
    route: str, rules: Outcomes, *, base: str = "generic", signed: bool = False, layout: StatementLayout = FAKE_CSV
) -> ChannelProfile:
    """The profile a fake channel account follows: `base`'s recipient rules with the fake's codes, answers and
    statement layout (what a real channel's shipped profile declares)."""
    signature = SignatureRule(algorithm="hmac-sha256", encoding="hex", key_env=KEY_ENV) if signed else None
    return msgspec.structs.replace(
        channel(base),
        name=f"fake-{route}",
        outcomes=rules,
        answers=AnswerRules(signature=signature),
        statement=layout,
    )


class Bench:
    """`channels` maps a route name to the outcome rules its (fake) channel declares; each follows a profile built
    from `profile` by fake_profile. Routes named in `keys` sign their answers with that key (put in the environment
    where their profile says), and `layouts` gives a route's statement layout (default FAKE_CSV)."""

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
        keys: Mapping[str, str] | None = None,
        layouts: Mapping[str, StatementLayout] | None = None,
    ) -> None:
        self.store = store
        self.fake = fake
        self.clock = clock
        self.channels = dict(channels or {"fake": FAKE_RULES})
        keys = keys or {}
        self.profiles = {
            f"fake-{name}": fake_profile(
                name, rules, base=profile, signed=name in keys, layout=(layouts or {}).get(name, FAKE_CSV)
            )
            for name, rules in self.channels.items()
        }
        self.prefix = prefix = f"T{uuid.uuid4().hex[:10]}X"  # ends with a letter: the engine refuses a digit
        # The account each route pays from at the fake (its 商户号): one per bench, as benches share a fake.
        self.accounts = {name: f"{prefix}-{name}" for name in self.channels}
        self.engine = PayoutEngine(store, clock=clock, channel_order_prefix=prefix, profiles=self.profile)
        self.policy = policy
        self.timeout = timeout or httpx.Timeout(5.0, read=0.75)
        self.client = new_client(self.timeout)
        hire_staff(store, clock)
        self.engine.add_merchant(
            Merchant(id=MERCHANT, approval="auto", per_card_daily_limit=funds, daily_limit=None), actor=ADMIN
        )
        self.engine.deposit(MERCHANT, funds, key=new_key(), actor=OPERATOR)
        for name in self.channels:
            if name in keys:
                os.environ[SignatureRule(algorithm="hmac-sha256", key_env=KEY_ENV).key_source(name)[1]] = keys[name]
            fake.open_account(self.accounts[name], funds, keys.get(name))
            self.engine.add_channel(ChannelRoute(name=name, profile=f"fake-{name}", weight=1), actor=ADMIN)
            self.engine.fund_channel(name, funds, key=new_key(), actor=OPERATOR)
        self.dispatcher = self.new_dispatcher()

    def profile(self, name: str) -> ChannelProfile:
        """The engine's profiles: the fake accounts' own, else the shipped ones."""
        return self.profiles[name] if name in self.profiles else channel(name)

    def new_dispatcher(self, checkpoint: Checkpoint = no_checkpoint) -> Dispatcher:
        """A fresh dispatcher, as a restarted process would build it (nothing carried over but the database)."""
        return fake_dispatcher(
            self.engine,
            self.fake.base_url,
            self.accounts,
            self.client,
            policy=self.policy,
            clock=self.clock,
            checkpoint=checkpoint,
        )

    def worker_config(self, path: Path, *, clock_file: Path | None = None, crash_dir: Path | None = None) -> Path:
        """What a worker process needs to build this bench's dispatcher (tests/fakechannel/worker.py), at `path`:
        `clock_file` shares a virtual clock (FileClock), `crash_dir` holds planned crashes (plan_crash)."""
        config = WorkerConfig(
            base_url=self.fake.base_url,
            prefix=self.prefix,
            accounts=self.accounts,
            profiles=self.profiles,
            read_timeout=self.timeout.read,
            policy=self.policy,
            clock_file=None if clock_file is None else str(clock_file),
            crash_dir=None if crash_dir is None else str(crash_dir),
        )
        path.write_bytes(msgspec.json.encode(config))
        return path

    def channel_order_no(self, order_id: int) -> str:
        """The number routing gives the order: known before it is routed."""
        return self.engine.channel_order_no(order_id)

    def prepared(
        self,
        merchant_order_no: str,
        recipient: Recipient,
        scenario: Scenario,
        hidden_queries: int = 2,
        later_seconds: int = 0,
    ) -> Order:
        """Submit (auto-approved, not routed) and tell the fake channel how to answer this order (`later_seconds`:
        when a later truth — a return, a late payment — lands)."""
        order = self.engine.submit(MERCHANT, merchant_order_no, recipient)
        setting = ScenarioSetting(scenario=scenario, hidden_queries=hidden_queries, later_seconds=later_seconds)
        self.fake.program(self.channel_order_no(order.id), setting)
        return order

    def route(self, order: Order, rng: random.Random) -> Order:
        """Route (funds frozen): from here on a worker may send it."""
        order = self.engine.route(order, rng)
        if order.channel_order_no is None:
            raise RuntimeError(f"order {order.id} was not routed: {order.route_failure}")
        return order

    def routed(
        self,
        merchant_order_no: str,
        recipient: Recipient,
        scenario: Scenario,
        rng: random.Random,
        hidden_queries: int = 2,
        *,
        later_seconds: int = 0,
    ) -> Order:
        """`prepared`, then `route`."""
        return self.route(self.prepared(merchant_order_no, recipient, scenario, hidden_queries, later_seconds), rng)

    def close(self) -> None:
        self.client.close()


def fake_dispatcher(
    engine: PayoutEngine,
    base_url: str,
    accounts: Mapping[str, str],
    client: httpx.Client,
    *,
    policy: QueryPolicy | None,
    clock: Clock,
    checkpoint: Checkpoint = no_checkpoint,
) -> Dispatcher:
    """The Dispatcher of routes wired to the fake channel (each paying from its `accounts` there): a bench's, and a
    worker process's (worker.py)."""
    adapters = {name: FakeChannelAdapter(base_url, name, account=account) for name, account in accounts.items()}
    return Dispatcher(engine, adapters, client, policy=policy, clock=clock, checkpoint=checkpoint)


class WorkerConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A bench as a worker process rebuilds it (Bench.worker_config writes it, worker.py reads it)."""

    base_url: str
    prefix: str
    accounts: dict[str, str]
    profiles: dict[str, ChannelProfile]
    read_timeout: float | None
    policy: QueryPolicy | None = None
    clock_file: str | None = None
    crash_dir: str | None = None
