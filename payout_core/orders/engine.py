"""PayoutEngine: the order lifecycle (lifecycle.LIFECYCLE), each move in one transaction with its postings.

Every move but submit and route takes an optional `tx` so a caller (dispatch) can make its own rows part of the
same transaction; without it the method opens and commits its own. Writes are links of a write chain
(store/README.md): a refusal anywhere fails the whole transaction, and the engine then reads why.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from payout_core.channels import ChannelProfile, channel
from payout_core.errors import InvalidInput
from payout_core.ledger import (
    CHANNEL_FUNDING,
    MAX_FEN,
    MERCHANT_DEPOSITS,
    Entry,
    PostingKind,
    Transfer,
    balance,
    balance_at,
    channel_account,
    entries_of_order,
    merchant_account,
    post,
    refusal,
)
from payout_core.limits import business_day, card_key, check_caller, consume_order, release_card_use, release_order
from payout_core.limits import refusal as limit_refusal
from payout_core.orders import table
from payout_core.orders.errors import (
    ExplicitFailureRequired,
    IllegalTransition,
    OrderConflict,
    TransitionError,
    UnknownChannelAccount,
    UnknownMerchant,
    UnknownOrder,
    UnlistedFailureCode,
)
from payout_core.orders.lifecycle import LIFECYCLE, Action, OrderState, order_transfers
from payout_core.orders.merchants import load_merchant, read_merchant, save_merchant
from payout_core.orders.model import Merchant, Order
from payout_core.orders.router import Router
from payout_core.recipient import Recipient
from payout_core.routing import ChannelRoute, route_profile, save_route
from payout_core.store import BrokenLink, ConstraintViolation, Later, Store, Tx, to_micros, utcnow

T = TypeVar("T")

SUBMIT_ATTEMPTS = 3  # a limit refusal that a concurrent failure's release made fit again: submit again

MAX_ORDER_NO_LENGTH = 64

# What the database refuses a write chain with; the engine then reads why.
Refused = (BrokenLink, ConstraintViolation)


def _check_submission(merchant_order_no: str, recipient: Recipient) -> None:
    _require_text("merchant_order_no", merchant_order_no, MAX_ORDER_NO_LENGTH)
    if type(recipient.amount) is not int or not 0 < recipient.amount <= MAX_FEN:
        raise InvalidInput("amount", str(recipient.amount), f"must be an integer number of fen, 1 to {MAX_FEN}")


def _require_text(field: str, value: str | None, max_length: int = 256) -> str:
    if not value or not value.strip() or len(value) > max_length:
        raise InvalidInput(field, value or "", f"must be non-empty text of at most {max_length} characters")
    return value


class PayoutEngine:
    """The one place that moves orders and their money; every other component asks it (see store/README.md)."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime] = utcnow,
        profiles: Callable[[str], ChannelProfile] = channel,
        channel_order_prefix: str = "PO",
        fast_intake: bool = False,
    ) -> None:
        """fast_intake: submit, approve and route commit without waiting for the disk flush.

        A crash may then forget the last moments of intake (the merchant's retry with the same order number
        recreates the order), but never an order that was sent: mark_dispatching commits durably before any
        send, and a durable commit flushes every earlier one. It lifts the per-account ceiling of about one
        disk flush per transaction on hot merchant and channel accounts.
        """
        self.store = store
        self._intake_durable = not fast_intake
        self._clock = clock
        self._profiles = profiles
        self._channel_profiles: dict[str, ChannelProfile] = {}  # by channel account; forgotten by add_channel
        self._router = Router(
            store, profiles=profiles, channel_order_prefix=channel_order_prefix, durable=not fast_intake
        )

    def _run(self, tx: Tx | None, work: Callable[[Tx], T], *, durable: bool = True) -> T:
        if tx is not None:
            return work(tx)
        with self.store.transaction(durable=durable) as own:
            return work(own)

    def _now(self) -> tuple[datetime, int]:
        now = self._clock()
        return now, to_micros(now)

    # --- configuration and money in -------------------------------------------------------------------------

    def add_merchant(self, merchant: Merchant, *, tx: Tx | None = None) -> None:
        at = self._now()[1]
        self._run(tx, lambda t: save_merchant(t, merchant, at))

    def add_channel(self, route: ChannelRoute, *, tx: Tx | None = None) -> None:
        self._profiles(route.profile)  # an unknown profile is refused now, before anything is written
        at = self._now()[1]
        self._run(tx, lambda t: save_route(t, route, at))
        self._router.forget_routes()
        self._channel_profiles.pop(route.name, None)

    def channel_profile(self, name: str, *, tx: Tx | None = None) -> ChannelProfile:
        """The profile a channel account follows (active or not): its outcome rules, answers and statement layout.
        Read once per account and kept; a profile changed by another process is seen after a restart."""
        profile = self._channel_profiles.get(name)
        if profile is None:
            profile_name = self._run(tx, lambda t: route_profile(t, name))
            if profile_name is None:
                raise UnknownChannelAccount(name)
            profile = self._channel_profiles[name] = self._profiles(profile_name)
        return profile

    def deposit(self, merchant_id: str, amount: int, *, tx: Tx | None = None) -> str:
        """Credit a merchant's available balance (its 备付金 top-up); returns the transfer id."""
        return self._post(
            tx, Transfer(MERCHANT_DEPOSITS, merchant_account(merchant_id, "available"), amount), "deposit"
        )

    def fund_channel(self, name: str, amount: int, *, tx: Tx | None = None) -> str:
        """Credit a channel account's available balance (funds placed at the channel)."""
        return self._post(tx, Transfer(CHANNEL_FUNDING, channel_account(name, "available"), amount), "fund")

    def _post(self, tx: Tx | None, transfer: Transfer, kind: PostingKind) -> str:
        """In the caller's transaction a refusal fails it at its commit; in its own, it is explained."""
        at = self._now()[1]
        if tx is not None:
            return post(tx, (transfer,), kind=kind, at=at)
        try:
            with self.store.transaction() as own:
                return post(own, (transfer,), kind=kind, at=at)
        except Refused as exc:
            with self.store.transaction(write=False) as t:
                why = refusal(t, (transfer,))
            if why is None:
                raise
            raise why from exc

    # --- lifecycle ------------------------------------------------------------------------------------------

    def submit(
        self,
        merchant_id: str,
        merchant_order_no: str,
        recipient: Recipient,
        *,
        client_ip: str | None = None,
    ) -> Order:
        """Create the order, or return the existing one for the same key and content (OrderConflict otherwise).

        `client_ip` is given by the merchant API and checked against the allowlist first, in a read of its own;
        in-process callers pass None. Then the merchant's row, the insert, both limit counters and the commit
        travel in one round trip: a repeated order number or a passed limit fails the whole transaction, which is
        then explained (the existing order, or LimitExceeded). A merchant with automatic approval gets its order
        approved in a second transaction (again on a replay that finds it still `created`). Always its own
        transactions: a replay fails a statement, which would poison a caller's.
        """
        _check_submission(merchant_order_no, recipient)
        if client_ip is not None:
            check_caller(merchant_id, self.merchant(merchant_id).ip_allowlist, client_ip)
        now, at = self._now()
        day = business_day(now)
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            try:
                created, merchant = self._create(merchant_id, [(merchant_order_no, recipient)], day=day, at=at)
                order = created[0]
                break
            except Refused:
                explained = self._refused_submit(merchant_id, merchant_order_no, recipient, day)
                if explained is not None:
                    order, merchant = explained
                    break
                if attempt == SUBMIT_ATTEMPTS:
                    raise
        if merchant.approval != "auto" or order.state != "created":
            return order
        try:  # also on a replay: a crash between the two transactions must not strand the order in `created`
            return self.approve(order.id, "auto")
        except TransitionError:  # a concurrent replay approved it first
            return self.get(order.id)

    def submit_many(
        self, merchant_id: str, items: Sequence[tuple[str, Recipient]], *, client_ip: str | None = None
    ) -> list[Order]:
        """Submit a merchant's batch (批量代付: merchant order number and payee each), every order in its own
        transaction as `submit` would, all in one round trip. The outcome is that of submitting them one after the
        other: a replay returns the existing order, a refusal raises, the orders before it stay submitted and the
        ones after it are not. Bad input in any item is refused before anything is written."""
        for merchant_order_no, recipient in items:
            _check_submission(merchant_order_no, recipient)
        if not items:
            return []
        if client_ip is not None:
            check_caller(merchant_id, self.merchant(merchant_id).ip_allowlist, client_ip)
        now, at = self._now()
        try:
            created, merchant = self._create(merchant_id, items, day=business_day(now), at=at)
        except Refused:  # a replay or a passed limit: one at a time, as submit explains them
            return [self.submit(merchant_id, no, recipient) for no, recipient in items]
        if merchant.approval != "auto":
            return created
        return self.approve_many([o.id for o in created], "auto")

    def _create(
        self, merchant_id: str, items: Sequence[tuple[str, Recipient]], *, day: str, at: int
    ) -> tuple[list[Order], Merchant]:
        """One round trip: the merchant's row, then per order its insert and limit counters (the write chain of
        a submission), as a transaction of its own. An unknown merchant inserts and counts nothing."""
        inserted: list[Later[Order | None]] = []
        merchant_read: Later[Merchant | None] | None = None
        with self.store.transactions(durable=self._intake_durable) as batch:
            for merchant_order_no, recipient in items:
                with batch.transaction() as t:
                    merchant_read = merchant_read or read_merchant(t, merchant_id)
                    key = card_key(recipient.account_no)
                    inserted.append(table.insert(t, merchant_id, merchant_order_no, recipient, key=key, day=day, at=at))
                    consume_order(t, merchant_id, key=key, day=day, amount=recipient.amount)
        assert merchant_read is not None, "a submission has at least one order"
        merchant = merchant_read.get()
        if merchant is None:
            raise UnknownMerchant(merchant_id)
        orders = [i.get() for i in inserted]
        return [o for o in orders if o is not None], merchant

    def _refused_submit(
        self, merchant_id: str, merchant_order_no: str, recipient: Recipient, day: str
    ) -> tuple[Order, Merchant] | None:
        """Why the database refused a submission: the existing order of a replay (or of a concurrent submission
        that won), OrderConflict for other content, or LimitExceeded. None: it would fit now (a concurrent failure
        gave room back), so submitting again may succeed."""
        with self.store.transaction(write=False) as t:
            merchant = load_merchant(t, merchant_id)
            existing = table.find(t, merchant_id, merchant_order_no)
            if existing is not None:
                changed = table.differing_fields(existing, recipient)
                if changed:
                    raise OrderConflict(merchant_id, merchant_order_no, existing.id, changed)
                return existing, merchant
            refused = limit_refusal(
                t,
                merchant_id,
                recipient.account_no,
                key=card_key(recipient.account_no),
                day=day,
                amount=recipient.amount,
                per_card=merchant.per_card_daily_limit,
                per_merchant=merchant.daily_limit,
            )
        if refused is not None:
            raise refused
        return None

    def approve(self, order_id: int, approver: str, *, tx: Tx | None = None) -> Order:
        _require_text("approver", approver)
        at = self._now()[1]
        return self._move(tx, "approve", order_id, at, durable=self._intake_durable, approver=approver, approved_at=at)

    def approve_many(self, order_ids: Sequence[int], approver: str) -> list[Order]:
        """Approve several orders (批量审批), each in its own transaction as `approve` would, in one round trip.

        Returns every order as it now is, in the given order: `approved`, or as it was when it was not `created`
        (look at `.state`). UnknownOrder if an id does not exist.
        """
        _require_text("approver", approver)
        at = self._now()[1]
        with self.store.transactions(durable=self._intake_durable) as batch:
            moves = []
            for order_id in order_ids:
                with batch.transaction() as t:
                    moves.append(
                        table.move_later(t, "approve", order_id, at, {"approver": approver, "approved_at": at})
                    )
        approved = [move.get() for move in moves]
        return [o if o is not None else self.get(i) for i, o in zip(order_ids, approved, strict=True)]

    def reject(self, order_id: int, approver: str, reason: str, *, tx: Tx | None = None) -> Order:
        """Only before routing: once funds are frozen, only an explicit failure may release them."""
        _require_text("approver", approver)
        _require_text("reason", reason, 1000)
        at = self._now()[1]
        return self._move(tx, "reject", order_id, at, approver=approver, reason=reason, finished_at=at)

    def route(self, order: int | Order, rng: random.Random) -> Order:
        """Pick an eligible channel by weight and freeze the funds; the order stays `approved` until dispatch.

        `order` is its id, or the Order as the caller last saw it (approve's answer, a listing of approved orders):
        its payee and amount never change, and the chain checks its state. No eligible channel (or too little
        merchant balance) leaves it `approved` with `route_failure` saying why. How: orders/router.py.
        """
        now, at = self._now()
        return self._router.route_many([order], rng, at=at, day=business_day(now))[0]

    def route_many(self, orders: Sequence[Order], rng: random.Random) -> list[Order]:
        """Route a router worker's batch of approved orders, each in its own transaction as `route` would, the
        chains of all of them in one round trip (see Router.route_many). Returns them in the given order."""
        now, at = self._now()
        return self._router.route_many(orders, rng, at=at, day=business_day(now))

    def mark_dispatching(self, order_id: int, *, tx: Tx | None = None) -> Order:
        """Call BEFORE sending: from here on only the channel's answer (or an operator) decides the outcome."""
        at = self._now()[1]
        return self._move(tx, "dispatch", order_id, at, dispatched_at=at)

    def mark_succeeded(self, order_id: int, *, operator: str | None = None, tx: Tx | None = None) -> Order:
        """Settle: the frozen funds are paid out on both the merchant and the channel side."""
        at = self._now()[1]
        return self._move(tx, "succeed", order_id, at, operator=operator, finished_at=at)

    def mark_failed(
        self,
        order_id: int,
        *,
        reason: str,
        code: str | None = None,
        operator: str | None = None,
        tx: Tx | None = None,
    ) -> Order:
        """Unfreeze. Only for a code on the channel's failure allow-list (its profile's `failure_codes`) or an
        operator's decision: any other code raises UnlistedFailureCode and nothing is written."""
        if not code and not operator:
            raise ExplicitFailureRequired(order_id)
        _require_text("reason", reason, 1000)
        at = self._now()[1]

        def fail(t: Tx) -> Order:
            if code:  # checked before anything is written: a caller that catches the refusal commits nothing
                channel = self.get(order_id, tx=t).channel
                if channel is not None and code not in self.channel_profile(channel, tx=t).outcomes.failure_codes:
                    raise UnlistedFailureCode(order_id, channel, code)
            return self._move(
                t, "fail", order_id, at, failure_code=code, reason=reason, operator=operator, finished_at=at
            )

        return self._run(tx, fail)

    # --- reads ----------------------------------------------------------------------------------------------

    def get(self, order_id: int, *, tx: Tx | None = None) -> Order:
        order = self._run(tx, lambda t: table.get(t, order_id))
        if order is None:
            raise UnknownOrder(order_id)
        return order

    def find(self, merchant_id: str, merchant_order_no: str, *, tx: Tx | None = None) -> Order | None:
        return self._run(tx, lambda t: table.find(t, merchant_id, merchant_order_no))

    def orders_in(
        self, state: OrderState, *, routed: bool | None = None, limit: int = 1000, tx: Tx | None = None
    ) -> list[Order]:
        """Orders in `state` (only routed ones, only unrouted ones, or either), oldest first."""
        return self._run(tx, lambda t: table.in_state(t, state, routed=routed, limit=limit))

    def awaiting_route(self, *, limit: int = 1000, tx: Tx | None = None) -> list[Order]:
        """Approved orders without a channel yet, oldest first: a router worker's next `route_many` batch."""
        return self.orders_in("approved", routed=False, limit=limit, tx=tx)

    def merchant(self, merchant_id: str, *, tx: Tx | None = None) -> Merchant:
        return self._run(tx, lambda t: load_merchant(t, merchant_id))

    def balance(self, account: str, *, tx: Tx | None = None) -> int:
        return self._run(tx, lambda t: balance(t, account))

    def balance_at(self, account: str, instant: datetime, *, tx: Tx | None = None) -> int:
        return self._run(tx, lambda t: balance_at(t, account, instant))

    def entries(self, order_id: int, *, tx: Tx | None = None) -> list[Entry]:
        return self._run(tx, lambda t: entries_of_order(t, order_id))

    # --- internals ------------------------------------------------------------------------------------------

    def _move(
        self,
        tx: Tx | None,
        action: Action,
        order_id: int,
        at: int,
        *,
        durable: bool = True,
        **fields: object,
    ) -> Order:
        """Apply a move of the lifecycle table with what the table says goes with it: the daily limits given back
        and the order's posting, all links of one write chain. A move that writes nothing else is, without a
        caller's transaction, a transaction of its own statement. When the order is not in a state the move
        starts from, nothing is written and IllegalTransition says so (UnknownOrder when there is no order)."""
        move = LIFECYCLE[action]
        if tx is None and move.posting is None and not move.gives_back_limits:
            moved = table.move(self.store, action, order_id, at, fields, durable=durable)
            return self._moved(moved, order_id, action)

        def work(t: Tx) -> Order:
            order = self._moved(table.move(t, action, order_id, at, fields), order_id, action, t)
            if move.gives_back_limits:  # before the posting: order, counters, accounts is every chain's lock order
                self._give_back_limits(t, order)
            if move.posting is not None:
                assert order.channel is not None, "an order that moves money is routed"
                transfers = order_transfers(move.posting, order.merchant_id, order.channel, order.amount)
                post(t, transfers, kind=move.posting, at=at, order_id=order.id)
            return order

        return self._run(tx, work, durable=durable)

    def _moved(self, order: Order | None, order_id: int, action: Action, tx: Tx | None = None) -> Order:
        if order is not None:
            return order
        current = self.get(order_id, tx=tx)
        raise IllegalTransition(order_id, current.state, action, LIFECYCLE[action].rule)

    def _give_back_limits(self, t: Tx, order: Order) -> None:
        key = card_key(order.recipient.account_no)
        release_order(t, order.merchant_id, key, day=order.business_day, amount=order.amount)
        if order.channel is not None and order.card_limit_day is not None:
            release_card_use(t, order.channel, key, day=order.card_limit_day, amount=order.amount)
