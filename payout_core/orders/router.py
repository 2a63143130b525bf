"""Routing: draw an eligible channel by weight and freeze the funds, each order in one transaction of its own.

The fast way reads nothing: the channel is drawn from a versioned copy of the active routes and the order as the
caller holds it, and the freeze travels with the claim and the commit in one round trip (for a batch of orders,
one round trip for all), every statement conditioned so that a stale copy, a moved order, a short balance or a full
card day only makes it refuse. A refused route is done again the careful way: read under the order's row lock, then
freeze, learning why before the commit.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import NamedTuple

import msgspec

from cardbin.pan import mask
from payout_core.channels import ChannelProfile
from payout_core.ledger import InsufficientFunds, Posting, channel_account, merchant_account, send_posting, transfer
from payout_core.limits import CARD_USAGE_JOIN, LimitExceeded, card_key, card_used, send_card_use, send_card_use_undo
from payout_core.orders.errors import IllegalTransition, StaleState, UnknownOrder
from payout_core.orders.model import Order
from payout_core.orders.rows import COLUMNS, ORDERS_COLUMNS, WIDTH, to_order
from payout_core.routing import (
    ACTIVE_ROUTES,
    ROUTING_READ,
    ChannelRoute,
    RoutingTable,
    choose_eligible,
    refusals,
    routes_of,
)
from payout_core.store import Deferred, Params, Row, Store, Tx, from_micros

ROUTE_ATTEMPTS = 3  # a channel drained by a concurrent router between our read and our freeze: read again

# The order and every active route with its available balance and the card's use of it today, in one statement.
_ROUTE_READ = (
    f"SELECT {ORDERS_COLUMNS}, r.name, r.profile, r.weight, r.balance, COALESCE(u.used, 0) FROM orders"
    f" LEFT JOIN ({ACTIVE_ROUTES}) r ON 1 = 1 {CARD_USAGE_JOIN} WHERE orders.id = ?"
)

# The order while it may still be routed, locked (append the dialect's FOR UPDATE): every route statement is
# conditioned on it, so the order row is always the first lock a route takes.
_UNROUTED = "SELECT id FROM orders WHERE id = ? AND state = 'approved' AND channel IS NULL"


class _Freeze(NamedTuple):
    """A route's freeze in flight: the order as routed once it applies, the posting to ask whether it did, and the
    card's count on the channel (None when its profile has no per-card daily limit)."""

    routed: Order
    posting: Posting
    counted: Deferred | None


class Router:
    """The engine's routing; it keeps the copy of the active routes, read again after any refused freeze."""

    def __init__(
        self, store: Store, *, profiles: Callable[[str], ChannelProfile], channel_order_prefix: str, durable: bool
    ) -> None:
        self.store = store
        self._profiles = profiles
        self._prefix = channel_order_prefix
        self._durable = durable
        self._routing: RoutingTable | None = None

    def forget_routes(self) -> None:
        """The routes changed here: read them again before the next draw (other engines learn it from the
        version their freezes are conditioned on)."""
        self._routing = None

    def route(self, order: int | Order, rng: random.Random, *, at: int, day: str, tx: Tx | None = None) -> Order:
        """PayoutEngine.route at instant `at` (business day `day`). In its own transaction the channel is drawn
        from the copy of the active routes, and the freeze travels with the claim and the commit in one round
        trip, conditioned on the order still being unrouted, the copy being current, the balances covering it and
        the card's daily room. Anything else refuses it without writing, and the route is done again from a fresh
        read under the order's lock, which also says why. In a caller's transaction only the latter is done."""
        if tx is not None:
            return self._route_checked(tx, order if isinstance(order, int) else order.id, rng, at, day)
        if isinstance(order, int):  # the order as it is now, read without a lock
            row = self.store.one(f"SELECT {COLUMNS} FROM orders WHERE id = ?", (order,), durable=self._durable)
            if row is None:
                raise UnknownOrder(order)
            order = to_order(row)
        return self.route_many([order], rng, at=at, day=day)[0]

    def route_many(self, orders: Sequence[Order], rng: random.Random, *, at: int, day: str) -> list[Order]:
        """Route several orders, each in its own transaction as `route` would: each order's channel is drawn from
        the routing copy and every freeze is sent as its own transaction, all in one round trip. The ones refused
        (or not drawable from what the copy knows) are then routed one by one from a fresh read under their locks
        (which records why none was eligible); an error there (an order no longer approved, say) is raised, and
        the orders after it stay approved for the next pass."""
        table = self._routing
        if table is None:
            table = self._routing = RoutingTable.of(self.store.all(ROUTING_READ, durable=self._durable))
        freezes: list[_Freeze | None] = []
        with self.store.transactions(durable=self._durable) as batch:
            for order in orders:
                chosen = self._draw(order, table, rng)
                if chosen is None:
                    freezes.append(None)
                    continue
                with batch.transaction() as t:
                    freezes.append(self._freeze(t, order, chosen, at, day, provided=table.current))
        routed = [f.routed if f is not None and f.posting.applied else None for f in freezes]
        if any(f is not None and r is None for f, r in zip(freezes, routed, strict=True)):
            self._routing = None  # perhaps refused for being out of date: read it again next time
        return [
            r if r is not None else self._route_locked(o.id, rng, at, day) for o, r in zip(orders, routed, strict=True)
        ]

    def _draw(self, order: Order, table: RoutingTable, rng: random.Random) -> ChannelRoute | None:
        """The channel for an order as the caller saw it, from what the copy knows (balances and the card's day are
        checked by the freeze); None when it does not look routable or no channel qualifies."""
        if order.state != "approved" or order.routed:
            return None
        recipient = order.recipient
        chosen, _ = choose_eligible(table.routes, rng, lambda r: refusals(self._profiles(r.profile), recipient, None))
        return chosen

    def _route_locked(self, order_id: int, rng: random.Random, at: int, day: str) -> Order:
        """Route from a fresh read under the order's lock, again when a concurrent route took the channel's money
        or the card's room on it between that read and the freeze."""
        for attempt in range(1, ROUTE_ATTEMPTS + 1):
            try:
                with self.store.transaction(durable=self._durable) as t:
                    return self._route_checked(t, order_id, rng, at, day)
            except InsufficientFunds as exc:
                if not exc.account.startswith("channel:") or attempt == ROUTE_ATTEMPTS:
                    raise
            except LimitExceeded as exc:
                if exc.scope != "channel card" or attempt == ROUTE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _route_checked(self, t: Tx, order_id: int, rng: random.Random, at: int, day: str) -> Order:
        """Route under the order's row lock and learn the freeze's answer before the commit: a merchant short of
        funds leaves the order approved with the reason; a channel short of funds or of the card's daily room raises
        InsufficientFunds or LimitExceeded (its transaction rolls back)."""
        read = t.all(f"{_ROUTE_READ}{t.for_update_of('orders')}", (day, order_id))
        order, chosen, reason = self._choose(order_id, read, rng)
        if chosen is None:
            return self._route_failed(t, order, reason, at)
        freeze = self._freeze(t, order, chosen, at, day)
        if freeze.posting.applied:
            return freeze.routed
        if freeze.counted is not None and not freeze.counted.rows():
            key = card_key(order.recipient.account_no)
            limit = self._profiles(chosen.profile).daily_card_limit or 0
            subject = f"{mask(order.recipient.account_no)} via {chosen.name}"
            used = card_used(t, chosen.name, key, day)
            raise LimitExceeded("channel card", subject, day, limit=limit, used=used, amount=order.amount)
        try:
            freeze.posting.refuse(t)
        except InsufficientFunds as exc:
            if exc.account != merchant_account(order.merchant_id, "available"):
                raise
            return self._route_failed(t, order, f"merchant balance {exc.available} < {exc.needed}", at)

    def _choose(self, order_id: int, rows: list[Row], rng: random.Random) -> tuple[Order, ChannelRoute | None, str]:
        """The order (of a _ROUTE_READ) and the channel drawn for it, or None and why no channel is eligible."""
        if not rows:
            raise UnknownOrder(order_id)
        order = to_order(rows[0][:WIDTH])
        if order.state != "approved" or order.routed:
            raise IllegalTransition(order_id, order.state, "route", "only an approved, unrouted order is routed")
        candidates = {c.route.name: c for c in routes_of(row[WIDTH:] for row in rows)}
        chosen, reasons = choose_eligible(
            [c.route for c in candidates.values()],
            rng,
            lambda r: refusals(
                self._profiles(r.profile), order.recipient, candidates[r.name].available, candidates[r.name].card_used
            ),
        )
        detail = "; ".join(reasons) if reasons else "no active channel with a positive weight"
        return order, chosen, f"no eligible channel: {detail}"

    def _freeze(
        self,
        t: Tx,
        order: Order,
        chosen: ChannelRoute,
        at: int,
        day: str,
        *,
        provided: tuple[str, Params] | None = None,
    ) -> _Freeze:
        """Send the card's count (if the channel limits it), the freeze and the claim without waiting: all apply,
        or none does. `provided` is a further SQL condition (and parameters) for all of them."""
        legs = (
            *transfer(
                merchant_account(order.merchant_id, "available"),
                merchant_account(order.merchant_id, "frozen"),
                order.amount,
            ),
            *transfer(
                channel_account(chosen.name, "available"), channel_account(chosen.name, "in_flight"), order.amount
            ),
        )
        unrouted, unrouted_params = _UNROUTED, tuple[object, ...]((order.id,))
        if provided is not None:
            unrouted, unrouted_params = f"{unrouted} AND {provided[0]}", (*unrouted_params, *provided[1])
        limit = self._profiles(chosen.profile).daily_card_limit
        counted: Deferred | None = None
        if limit is not None:
            key = card_key(order.recipient.account_no)
            counted, (is_counted, counted_params) = send_card_use(
                t,
                chosen.name,
                key,
                day=day,
                amount=order.amount,
                limit=limit,
                order_id=order.id,
                guard=(f"{unrouted}{t.for_update}", unrouted_params),
            )
            unrouted, unrouted_params = f"{unrouted} AND {is_counted}", (*unrouted_params, *counted_params)
        posting = send_posting(
            t, legs, kind="freeze", at=at, order_id=order.id, guard=(f"{unrouted}{t.for_update}", unrouted_params)
        )
        if limit is not None:
            send_card_use_undo(
                t, chosen.name, key, day=day, amount=order.amount, order_id=order.id, unless=posting.condition
            )
        counted_day = None if limit is None else day
        channel_order_no = f"{self._prefix}{order.id:018d}"
        applied, applied_params = posting.condition
        t.send(
            "UPDATE orders SET channel = ?, channel_order_no = ?, card_limit_day = ?, route_failure = NULL,"
            f" routed_at = ?, updated_at = ? WHERE id = ? AND state = 'approved' AND channel IS NULL AND {applied}",
            (chosen.name, channel_order_no, counted_day, at, at, order.id, *applied_params),
        )
        when = from_micros(at)
        routed = msgspec.structs.replace(
            order,
            channel=chosen.name,
            channel_order_no=channel_order_no,
            card_limit_day=counted_day,
            route_failure=None,
            routed_at=when,
            updated_at=when,
        )
        return _Freeze(routed, posting, counted)

    def _route_failed(self, t: Tx, order: Order, reason: str, at: int) -> Order:
        row = t.one(
            f"UPDATE orders SET route_failure = ?, updated_at = ? WHERE id = ? AND state = 'approved'"
            f" AND channel IS NULL RETURNING {COLUMNS}",
            (reason, at, order.id),
        )
        if row is None:
            raise StaleState(order.id, order.state, "route", "another worker moved or routed it first")
        return to_order(row)
