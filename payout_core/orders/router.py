"""Routing: draw an eligible channel by weight and freeze the funds, each order in one transaction of its own.

One path, whatever the batch: draw from what is known, send each order's write chain (claim the order, check the
routes are unchanged, count the card and the account's day on the channel where its profile limits them, freeze
the funds), learn, and again for the orders whose chain the database refused. What is known at first is the
engine's copy of the active routes and the orders as the caller holds them: nothing is read, and the chains of a
whole batch travel with their commits in one round trip. A refused chain (a drained channel, a full card or account
day, a changed route, a moved order) commits nothing; the orders left are then read again with the balances and
the channels' use, which also say why no channel is eligible when none is.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import NamedTuple

import msgspec

from payout_core.channels import ChannelProfile
from payout_core.errors import InvalidInput
from payout_core.keys import Keyring
from payout_core.ledger import balances, channel_account, merchant_account, post
from payout_core.limits import ACCOUNT_TOTAL, channel_uses, count_channel_use
from payout_core.orders import table
from payout_core.orders.errors import IllegalTransition, UnknownOrder
from payout_core.orders.lifecycle import LIFECYCLE, allows, order_transfers
from payout_core.orders.model import Order
from payout_core.routing import ChannelRoute, RoutingTable, choose_eligible, refusals, require_current, routing_table
from payout_core.store import BrokenLink, ConstraintViolation, Store, Tx, from_micros

ROUTE_ATTEMPTS = 4  # rounds of learning after refusals before an order's last refusal is raised

ROUTES_CHANGED = "route: the routes are unchanged"


class _Money(NamedTuple):
    """Balances (merchant and channel accounts) and today's use per channel of each order's card and of the account
    in all (key ACCOUNT_TOTAL)."""

    balances: dict[str, int]
    used: dict[tuple[str, str], int]


class _Plan(NamedTuple):
    """An order as it will be once its chain commits: routed to `chosen`, or (chosen None) with `route_failure`;
    the chosen profile's card and account daily limits it is counted against."""

    order: Order
    chosen: ChannelRoute | None
    card_limit: int | None = None
    account_limit: int | None = None


class Router:
    """The engine's routing; it keeps the copy of the active routes, read again after a change refused a chain."""

    def __init__(
        self,
        store: Store,
        keys: Keyring,
        *,
        profiles: Callable[[str], ChannelProfile],
        channel_order_prefix: str,
        durable: bool,
    ) -> None:
        if not channel_order_prefix or channel_order_prefix[-1].isdigit():
            # A channel order number is the prefix and the order id, unpadded: a run of 12 or more digits reads as a
            # card number and the one masking function (cardbin.redact) would hide it in every log line and alert.
            # Ids stay below 12 digits (10^11 orders); a prefix ending in a digit would join the run.
            raise InvalidInput("channel_order_prefix", channel_order_prefix, "must end with a letter or a symbol")
        self.store = store
        self._keys = keys
        self._profiles = profiles
        self._prefix = channel_order_prefix
        self._durable = durable
        self._routing: RoutingTable | None = None

    def forget_routes(self) -> None:
        """The routes changed here: read them again before the next draw (other engines learn it from the
        refusal of their chains)."""
        self._routing = None

    def channel_order_no(self, order_id: int) -> str:
        """The number the order is sent under: the prefix and its id, not zero-padded (see __init__)."""
        return f"{self._prefix}{order_id}"

    def route_many(self, orders: Sequence[Order | int], rng: random.Random, *, at: int, day: str) -> list[Order]:
        """PayoutEngine.route / route_many at instant `at` (business day `day`): each order in its own
        transaction, all of a round's chains in one round trip. An order that cannot be routed (not approved,
        already routed: IllegalTransition; unknown: UnknownOrder) raises; the orders before it in the batch stay
        routed and the ones after it approved."""
        if not orders:
            return []
        ids = [o if isinstance(o, int) else o.id for o in orders]
        seen = {o.id: o for o in orders if isinstance(o, Order)}
        done: dict[int, Order] = {}
        money: _Money | None = None
        refused: Exception | None = None
        for _ in range(ROUTE_ATTEMPTS + len(ids)):
            pending = [i for i in ids if i not in done]
            table_now = self._routing
            if refused is not None or table_now is None or any(i not in seen for i in pending):
                seen, table_now, money = self._read(pending, day, with_money=refused is not None)
            plans = [
                self._plan(order=seen.get(i), order_id=i, routes=table_now, money=money, rng=rng, at=at, day=day)
                for i in pending
            ]
            committed, refused = self._send(plans, table_now, at, day)
            done.update((p.order.id, p.order) for p in plans[:committed])
            if refused is None:
                break
            if isinstance(refused, BrokenLink) and refused.link == ROUTES_CHANGED:
                self._routing = None
        else:
            assert refused is not None
            raise refused
        return [done[i] for i in ids]

    def _read(
        self, ids: list[int], day: str, *, with_money: bool
    ) -> tuple[dict[int, Order], RoutingTable, _Money | None]:
        """The orders (and the routes, when the copy was dropped) in one round trip; then, once a chain was refused,
        the balances and the channels' use in another."""
        with self.store.transaction(write=False, durable=self._durable) as t:
            found = table.by_ids(t, self._keys, ids)
            routes = routing_table(t) if self._routing is None else None
        if routes is not None:
            self._routing = routes.get()
        current, table_now = found.get(), self._routing
        assert table_now is not None
        if not with_money:
            return current, table_now, None
        accounts = {merchant_account(o.merchant_id, "available") for o in current.values()}
        accounts |= {channel_account(r.name, "available") for r in table_now.routes}
        with self.store.transaction(write=False, durable=self._durable) as t:
            amounts = balances(t, sorted(accounts))
            uses = channel_uses(t, sorted({o.card_key for o in current.values()}), day)
        return current, table_now, _Money(amounts.get(), uses.get())

    def _plan(
        self,
        *,
        order: Order | None,
        order_id: int,
        routes: RoutingTable,
        money: _Money | None,
        rng: random.Random,
        at: int,
        day: str,
    ) -> _Plan:
        """The channel drawn for the order from what is known (balances and channel use unknown: assumed enough)."""
        if order is None:
            raise UnknownOrder(order_id)
        if not allows("route", order.state, order.routed):
            raise IllegalTransition(order.id, order.state, "route", LIFECYCLE["route"].rule)
        when = from_micros(at)
        if money is not None:
            funds = money.balances.get(merchant_account(order.merchant_id, "available"), 0)
            if funds < order.amount:
                failed = f"merchant balance {funds} < {order.amount}"
                return _Plan(msgspec.structs.replace(order, route_failure=failed, updated_at=when), None)
        key = order.card_key

        def refused(route: ChannelRoute) -> list[str]:
            profile = self._profiles(route.profile)
            if money is None:
                return refusals(profile, order.recipient, None)
            available = money.balances.get(channel_account(route.name, "available"), 0)
            card_used, account_used = (money.used.get((route.name, k), 0) for k in (key, ACCOUNT_TOTAL))
            return refusals(profile, order.recipient, available, card_used, account_used)

        chosen, reasons = choose_eligible(routes.routes, rng, refused)
        if chosen is None:
            detail = "; ".join(reasons) if reasons else "no active channel with a positive weight"
            failed = f"no eligible channel: {detail}"
            return _Plan(msgspec.structs.replace(order, route_failure=failed, updated_at=when), None)
        profile = self._profiles(chosen.profile)
        card_limit, account_limit = profile.daily_card_limit, profile.daily_limit
        routed = msgspec.structs.replace(
            order,
            channel=chosen.name,
            channel_order_no=self.channel_order_no(order.id),
            card_limit_day=None if card_limit is None else day,
            account_limit_day=None if account_limit is None else day,
            route_failure=None,
            routed_at=when,
            updated_at=when,
        )
        return _Plan(routed, chosen, card_limit, account_limit)

    def _send(
        self, plans: list[_Plan], routes: RoutingTable, at: int, day: str
    ) -> tuple[int, BrokenLink | ConstraintViolation | None]:
        """Every plan's chain as a transaction of its own, all in one round trip; how many committed (in order)
        and the refusal that stopped the rest, if one did."""
        sent = None
        try:
            with self.store.transactions(durable=self._durable) as batch:
                sent = batch
                for plan in plans:
                    with batch.transaction() as t:
                        self._chain(t, plan, routes, at, day)
        except (BrokenLink, ConstraintViolation) as refused:
            assert sent is not None
            return sent.committed, refused
        return len(plans), None

    def _chain(self, t: Tx, plan: _Plan, routes: RoutingTable, at: int, day: str) -> None:
        """A route's write chain, in every chain's lock order: the order row, the card's counter, the account's day
        counter, the accounts."""
        order, chosen = plan.order, plan.chosen
        if chosen is None:
            assert order.route_failure is not None
            table.note_route_failure(t, order.id, order.route_failure, at)
            return
        assert order.channel_order_no is not None
        table.claim(
            t,
            order.id,
            channel=chosen.name,
            channel_order_no=order.channel_order_no,
            card_limit_day=order.card_limit_day,
            account_limit_day=order.account_limit_day,
            at=at,
        )
        require_current(t, routes)
        if plan.card_limit is not None:
            count_channel_use(t, chosen.name, order.card_key, day=day, amount=order.amount, limit=plan.card_limit)
        if plan.account_limit is not None:
            count_channel_use(t, chosen.name, ACCOUNT_TOTAL, day=day, amount=order.amount, limit=plan.account_limit)
        transfers = order_transfers("freeze", order.merchant_id, chosen.name, order.amount)
        post(t, transfers, kind="freeze", at=at, order_id=order.id)
