"""PayoutEngine: the order lifecycle (lifecycle.LIFECYCLE), each move in one transaction with its postings.

Every move but submit and route takes an optional `tx` so a caller (dispatch) can make its own rows part of the
same transaction; without it the method opens and commits its own. Writes are links of a write chain
(store/README.md): a refusal anywhere fails the whole transaction, and the engine then reads why.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, NoReturn, TypeVar

import msgspec

from payout_core.audit import AUTO, check_actor_id, record, require_role, role_explained, role_refusal
from payout_core.channels import ChannelProfile, channel
from payout_core.errors import InvalidInput
from payout_core.keys import Keyring
from payout_core.ledger import (
    CHANNEL_FUNDING,
    MAX_FEN,
    MERCHANT_DEPOSITS,
    Entry,
    Transfer,
    balance,
    balance_at,
    channel_account,
    entries_of_order,
    merchant_account,
    post,
)
from payout_core.limits import (
    ACCOUNT_TOTAL,
    CallerNotAllowed,
    business_day,
    card_key,
    check_caller,
    consume_order,
    release_channel_use,
    release_order,
)
from payout_core.limits import refusal as limit_refusal
from payout_core.orders import table
from payout_core.orders.configuration import configure, money_in
from payout_core.orders.errors import (
    AutoApprovalRefused,
    ExplicitFailureRequired,
    IllegalTransition,
    OrderConflict,
    SelfApproval,
    TransitionError,
    UnknownChannelAccount,
    UnknownMerchant,
    UnknownOrder,
    UnlistedFailureCode,
)
from payout_core.orders.lifecycle import LIFECYCLE, Action, OrderState, allows, order_transfers
from payout_core.orders.merchants import (
    find_merchant,
    load_merchant,
    read_merchant,
    require_no_allowlist,
    save_merchant,
)
from payout_core.orders.model import Merchant, Order
from payout_core.orders.router import Router
from payout_core.recipient import Recipient
from payout_core.routing import ChannelRoute, read_route, route_profile, save_route
from payout_core.store import (
    BrokenLink,
    ConstraintViolation,
    Later,
    Lease,
    Store,
    Tx,
    from_micros,
    to_micros,
    utcnow,
    wall_micros,
)

T = TypeVar("T")


class _Decision(NamedTuple):
    """A move made by a person: what, on which order, by whom, why, the columns it sets, when."""

    action: Action
    order_id: int
    actor: str
    reason: str
    fields: dict[str, object]
    now: datetime


SUBMIT_ATTEMPTS = 3  # a limit refusal that a concurrent failure's release made fit again: submit again

MAX_ORDER_NO_LENGTH = 64

# What the database refuses a write chain with; the engine then reads why.
Refused = (BrokenLink, ConstraintViolation)


def _check_submission(merchant_order_no: str, recipient: Recipient) -> None:
    _require_text("merchant_order_no", merchant_order_no, MAX_ORDER_NO_LENGTH)
    if type(recipient.amount) is not int or not 0 < recipient.amount <= MAX_FEN:
        raise InvalidInput("amount", str(recipient.amount), f"must be an integer number of fen, 1 to {MAX_FEN:,}")


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
        keys: Keyring | None = None,
    ) -> None:
        """keys: what seals each order's recipient (card, ID and mobile numbers) and keys its card for the limits;
        by default the environment's (keys.Keyring.from_env: none configured refuses to start).

        fast_intake: submit, approve and route commit without waiting for the disk flush.

        A crash may then forget the last moments of intake (the merchant's retry with the same order number
        recreates the order), but never an order that was sent: mark_dispatching commits durably before any
        send, and a durable commit flushes every earlier one. It lifts the per-account ceiling of about one
        disk flush per transaction on hot merchant and channel accounts.
        """
        self.store = store
        self.keys = keys or Keyring.from_env()
        self._intake_durable = not fast_intake
        self._clock = clock
        self._profiles = profiles
        self._channel_profiles: dict[str, ChannelProfile] = {}  # by channel account; forgotten by add_channel
        self._router = Router(
            store, self.keys, profiles=profiles, channel_order_prefix=channel_order_prefix, durable=not fast_intake
        )

    def _run(self, tx: Tx | None, work: Callable[[Tx], T], *, durable: bool = True) -> T:
        if tx is not None:
            return work(tx)
        with self.store.transaction(durable=durable) as own:
            return work(own)

    def _now(self) -> tuple[datetime, int]:
        now = self._clock()
        return now, to_micros(now)

    # --- configuration and money in (by actors holding the role, audited: orders/configuration.py) -----------

    def add_merchant(self, merchant: Merchant, *, actor: str, tx: Tx | None = None) -> Merchant:
        """Create or reconfigure a merchant (an admin); its accounts are opened."""
        now, at = self._now()
        return configure(
            self.store,
            tx,
            actor=actor,
            action="merchant.configure",
            subject=f"merchant:{merchant.id}",
            now=now,
            current=lambda t: find_merchant(t, merchant.id, lock=True),
            build=lambda _: merchant,
            save=lambda t, m: save_merchant(t, m, at),
        )

    def update_merchant(self, merchant_id: str, *, actor: str, tx: Tx | None = None, **changes: Any) -> Merchant:
        """Change some of a merchant's settings (`approval`, `per_card_daily_limit`, `daily_limit`,
        `ip_allowlist`), read and written in one transaction so concurrent changes never undo each other."""
        now, at = self._now()

        def build(current: Merchant | None) -> Merchant:
            if current is None:
                raise UnknownMerchant(merchant_id)
            unknown = set(changes) - set(Merchant.__struct_fields__) | ({"id"} & set(changes))
            if unknown:
                raise InvalidInput("setting", ", ".join(sorted(unknown)), "is not a merchant setting that changes")
            return Merchant(**(msgspec.structs.asdict(current) | changes))

        return configure(
            self.store,
            tx,
            actor=actor,
            action="merchant.configure",
            subject=f"merchant:{merchant_id}",
            now=now,
            current=lambda t: find_merchant(t, merchant_id, lock=True),
            build=build,
            save=lambda t, m: save_merchant(t, m, at),
        )

    def add_channel(self, route: ChannelRoute, *, actor: str, tx: Tx | None = None) -> ChannelRoute:
        """Create or reconfigure a channel route (an admin); its accounts are opened."""
        self._profiles(route.profile)  # an unknown profile is refused now, before anything is written
        now, at = self._now()
        saved = configure(
            self.store,
            tx,
            actor=actor,
            action="channel.configure",
            subject=f"channel:{route.name}",
            now=now,
            current=lambda t: read_route(t, route.name, lock=True),
            build=lambda _: route,
            save=lambda t, r: save_route(t, r, at),
        )
        self._router.forget_routes()
        self._channel_profiles.pop(route.name, None)
        return saved

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

    def deposit(
        self, merchant_id: str, amount: int, *, key: str, actor: str, reason: str = "", tx: Tx | None = None
    ) -> str:
        """Credit a merchant's available balance (its 备付金 top-up) once per idempotency `key` (the bank slip's
        reference), by an operator; returns the transfer id, the same on a replay."""
        return money_in(
            self.store,
            tx,
            Transfer(MERCHANT_DEPOSITS, merchant_account(merchant_id, "available"), amount),
            "deposit",
            key=key,
            actor=actor,
            action="merchant.deposit",
            subject=f"merchant:{merchant_id}",
            reason=reason,
            now=self._clock(),
        )

    def fund_channel(
        self, name: str, amount: int, *, key: str, actor: str, reason: str = "", tx: Tx | None = None
    ) -> str:
        """Credit a channel account's available balance (funds placed at the channel) once per `key`."""
        return money_in(
            self.store,
            tx,
            Transfer(CHANNEL_FUNDING, channel_account(name, "available"), amount),
            "fund",
            key=key,
            actor=actor,
            action="channel.fund",
            subject=f"channel:{name}",
            reason=reason,
            now=self._clock(),
        )

    # --- lifecycle ------------------------------------------------------------------------------------------

    def submit(
        self,
        merchant_id: str,
        merchant_order_no: str,
        recipient: Recipient,
        *,
        client_ip: str | None = None,
        submitter: str | None = None,
    ) -> Order:
        """Create the order, or return the existing one for the same key and content (OrderConflict otherwise).

        Who submits: the merchant's API gives `client_ip`, checked against the merchant's allowlist first, in a
        read of its own; a person gives `submitter`, an actor holding the submitter role (the order's approver must
        then be someone else). With neither, the submission is taken only for a merchant without an allowlist (an
        in-process caller): the allowlist fails closed. Then the merchant's row, the insert, both limit counters
        and the commit travel in one round trip: a repeated order number, a passed limit or a refused caller fails
        the whole transaction, which is then explained (the existing order, LimitExceeded, CallerNotAllowed,
        NotPermitted). A merchant with automatic approval gets its order approved in a second transaction (again on
        a replay that finds it still `created`). Always its own transactions: a replay fails a statement, which
        would poison a caller's.
        """
        _check_submission(merchant_order_no, recipient)
        self._check_caller(merchant_id, client_ip, submitter)
        now, at = self._now()
        day = business_day(now)
        item = [(merchant_order_no, recipient)]
        for attempt in range(1, SUBMIT_ATTEMPTS + 1):
            try:
                created, merchant = self._create(merchant_id, item, day=day, at=at, by=(client_ip, submitter))
                order = created[0]
                break
            except Refused:
                explained = self._refused_submit(merchant_id, merchant_order_no, recipient, day, (client_ip, submitter))
                if explained is not None:
                    order, merchant = explained
                    break
                if attempt == SUBMIT_ATTEMPTS:
                    raise
        if merchant.approval != "auto" or order.state != "created":
            return order
        try:  # also on a replay: a crash between the two transactions must not strand the order in `created`
            return self.approve(order.id, AUTO)
        except TransitionError:  # a concurrent replay approved it first
            return self.get(order.id)

    def submit_many(
        self,
        merchant_id: str,
        items: Sequence[tuple[str, Recipient]],
        *,
        client_ip: str | None = None,
        submitter: str | None = None,
    ) -> list[Order]:
        """Submit a merchant's batch (批量代付: merchant order number and payee each), every order in its own
        transaction as `submit` would, all in one round trip. The outcome is that of submitting them one after the
        other: a replay returns the existing order, a refusal raises, the orders before it stay submitted and the
        ones after it are not. Bad input in any item is refused before anything is written."""
        for merchant_order_no, recipient in items:
            _check_submission(merchant_order_no, recipient)
        if not items:
            return []
        self._check_caller(merchant_id, client_ip, submitter)
        now, at = self._now()
        try:
            created, merchant = self._create(
                merchant_id, items, day=business_day(now), at=at, by=(client_ip, submitter)
            )
        except Refused:  # a replay or a passed limit: one at a time, as submit explains them
            return [
                self.submit(merchant_id, no, recipient, client_ip=client_ip, submitter=submitter)
                for no, recipient in items
            ]
        if merchant.approval != "auto":
            return created
        return self.approve_many([o.id for o in created], AUTO)

    def _check_caller(self, merchant_id: str, client_ip: str | None, submitter: str | None) -> None:
        """The API caller's address against the merchant's allowlist (a read of its own); a submitter's id."""
        if submitter is not None:
            check_actor_id(submitter, "submitter")
        if client_ip is not None:
            check_caller(merchant_id, self.merchant(merchant_id).ip_allowlist, client_ip)

    def _create(
        self,
        merchant_id: str,
        items: Sequence[tuple[str, Recipient]],
        *,
        day: str,
        at: int,
        by: tuple[str | None, str | None],
    ) -> tuple[list[Order], Merchant]:
        """One round trip: the merchant's row, then per order its insert and limit counters (the write chain of
        a submission, with the caller's link), as a transaction of its own. An unknown merchant inserts and counts
        nothing."""
        client_ip, submitter = by
        inserted: list[Later[Order | None]] = []
        merchant_read: Later[Merchant | None] | None = None
        with self.store.transactions(durable=self._intake_durable) as batch:
            for merchant_order_no, recipient in items:
                with batch.transaction() as t:
                    merchant_read = merchant_read or read_merchant(t, merchant_id)
                    if submitter is not None:
                        require_role(t, submitter, "submitter")
                    elif client_ip is None:
                        require_no_allowlist(t, merchant_id)
                    key = card_key(self.keys, recipient.account_no)
                    inserted.append(
                        table.insert(
                            t,
                            self.keys,
                            merchant_id,
                            merchant_order_no,
                            recipient,
                            key=key,
                            day=day,
                            at=at,
                            submitted_by=submitter,
                        )
                    )
                    consume_order(t, merchant_id, key=key, day=day, amount=recipient.amount)
        assert merchant_read is not None, "a submission has at least one order"
        merchant = merchant_read.get()
        if merchant is None:
            raise UnknownMerchant(merchant_id)
        orders = [i.get() for i in inserted]
        return [o for o in orders if o is not None], merchant

    def _refused_submit(
        self,
        merchant_id: str,
        merchant_order_no: str,
        recipient: Recipient,
        day: str,
        by: tuple[str | None, str | None],
    ) -> tuple[Order, Merchant] | None:
        """Why the database refused a submission: the caller (NotPermitted, CallerNotAllowed), the existing order
        of a replay (or of a concurrent submission that won), OrderConflict for other content, or LimitExceeded.
        None: it would fit now (a concurrent failure gave room back), so submitting again may succeed."""
        client_ip, submitter = by
        with self.store.transaction(write=False) as t:
            merchant = load_merchant(t, merchant_id)
            if submitter is not None and (refused_role := role_refusal(t, submitter, "submitter")) is not None:
                raise refused_role
            if submitter is None and client_ip is None and merchant.ip_allowlist:
                raise CallerNotAllowed(merchant_id, None)
            existing = table.find(t, self.keys, merchant_id, merchant_order_no)
            if existing is not None:
                changed = table.differing_fields(existing, recipient)
                if changed:
                    raise OrderConflict(merchant_id, merchant_order_no, existing.id, changed)
                return existing, merchant
            refused = limit_refusal(
                t,
                merchant_id,
                recipient.account_no,
                key=card_key(self.keys, recipient.account_no),
                day=day,
                amount=recipient.amount,
                per_card=merchant.per_card_daily_limit,
                per_merchant=merchant.daily_limit,
            )
        if refused is not None:
            raise refused
        return None

    def approve(self, order_id: int, approver: str, *, tx: Tx | None = None) -> Order:
        """By an actor holding the approver role who did not submit the order (maker-checker), audited; or by
        `AUTO` (`"auto"`), only for an order of a merchant configured for automatic approval."""
        now, at = self._now()
        fields: dict[str, object] = {"approver": approver, "approved_at": at}
        if approver == AUTO:
            db = self.store if tx is None else tx
            moved = table.move(
                db,
                self.keys,
                "approve",
                order_id,
                at=at,
                fields=fields,
                guard="auto_merchant",
                durable=self._intake_durable,
            )
            return moved if moved is not None else self._refused_move("approve", order_id, AUTO, tx)
        return self._decide(tx, _Decision("approve", order_id, approver, "", fields, now))

    def approve_many(self, order_ids: Sequence[int], approver: str) -> list[Order]:
        """Approve several orders (批量审批), each in its own transaction as `approve` would, in one round trip.

        Returns every order as it now is, in the given order: `approved`, or as it was when it could not be
        approved (not `created`, or submitted by the approver: look at `.state`). UnknownOrder if an id does not
        exist; NotPermitted if the approver may not approve at all.
        """
        at = self._now()[1]
        fields: dict[str, object] = {"approver": approver, "approved_at": at}
        if approver != AUTO:
            return self._approve_many_by(order_ids, approver, at, fields)
        with self.store.transactions(durable=self._intake_durable) as batch:
            moves = []
            for order_id in order_ids:
                with batch.transaction() as t:
                    moves.append(
                        table.move_later(t, self.keys, "approve", order_id, at=at, fields=fields, guard="auto_merchant")
                    )
        approved = [move.get() for move in moves]
        return [o if o is not None else self.get(i) for i, o in zip(order_ids, approved, strict=True)]

    def _approve_many_by(
        self, order_ids: Sequence[int], approver: str, at: int, fields: dict[str, object]
    ) -> list[Order]:
        """A person's batch: each order's chain [role, move, audit row] in its own transaction, all in one round
        trip. A chain refused (an order not `created`, or the approver's own) stops the batch there; the orders
        from it on are then approved one by one, each refusal answered with the order as it is."""
        check_actor_id(approver, "approver")
        now = self._clock()
        later: list[Later[Order]] = []
        sent = None
        try:
            with self.store.transactions(durable=self._intake_durable) as batch:
                sent = batch
                for order_id in order_ids:
                    with batch.transaction() as t:
                        decision = _Decision("approve", order_id, approver, "", fields, now)
                        later.append(self._decision_chain(t, decision))
        except Refused:  # the rows of a failed batch are not read back: the committed orders are read again
            assert sent is not None
            done = [self.get(i) for i in order_ids[: sent.committed]]
            return done + [self._approved_or_as_is(i, approver) for i in order_ids[len(done) :]]
        return [o.get() for o in later]

    def _approved_or_as_is(self, order_id: int, approver: str) -> Order:
        try:
            return self.approve(order_id, approver)
        except (TransitionError, SelfApproval):
            return self.get(order_id)

    def reject(self, order_id: int, approver: str, reason: str, *, tx: Tx | None = None) -> Order:
        """By an approver, only before routing (a routed order is cancelled); gives the daily limits back."""
        _require_text("reason", reason, 1000)
        now, at = self._now()
        fields: dict[str, object] = {"approver": approver, "reason": reason, "finished_at": at}
        return self._decide(tx, _Decision("reject", order_id, approver, reason, fields, now))

    def cancel(self, order_id: int, *, operator: str, reason: str, tx: Tx | None = None) -> Order:
        """Stop a routed order that was never sent (an operator): it ends `rejected`, its funds unfrozen and its
        limits given back, audited. Refused (IllegalTransition) once it is dispatching: from then on it may have
        reached the channel, and only the channel's answer or a review decision ends it."""
        _require_text("reason", reason, 1000)
        now, at = self._now()
        fields: dict[str, object] = {"operator": operator, "reason": reason, "finished_at": at}
        return self._decide(tx, _Decision("cancel", order_id, operator, reason, fields, now))

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

    def channel_order_no(self, order_id: int) -> str:
        """The channel order number routing gives the order (known before it is routed)."""
        return self._router.channel_order_no(order_id)

    def mark_dispatching(self, order_id: int, *, tx: Tx | None = None) -> Order:
        """Call BEFORE sending: from here on only the channel's answer (or an operator) decides the outcome."""
        at = self._now()[1]
        return self._move(tx, "dispatch", order_id, at, dispatched_at=at)

    def mark_succeeded(
        self, order_id: int, *, operator: str | None = None, reason: str = "", tx: Tx | None = None
    ) -> Order:
        """Settle: the frozen funds are paid out on both the merchant and the channel side. By the channel's answer
        (no operator), or by an operator's decision (the operator role, audited with `reason`)."""
        now, at = self._now()
        if operator is not None:
            _require_text("reason", reason, 1000)
            fields: dict[str, object] = {"operator": operator, "finished_at": at}
            return self._decide(tx, _Decision("succeed", order_id, operator, reason, fields, now))
        return self._move(tx, "succeed", order_id, at, finished_at=at)

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
        operator's decision (the operator role, audited): any other code raises UnlistedFailureCode and nothing is
        written."""
        if not code and not operator:
            raise ExplicitFailureRequired(order_id)
        _require_text("reason", reason, 1000)
        now, at = self._now()

        def listed(t: Tx) -> None:
            # checked before anything is written: a caller that catches the refusal commits nothing
            channel = self.get(order_id, tx=t).channel
            if channel is not None and code not in self.channel_profile(channel, tx=t).outcomes.failure_codes:
                raise UnlistedFailureCode(order_id, channel, code or "")

        if operator is not None:
            if code:
                self._run(tx, listed)
            fields: dict[str, object] = {
                "failure_code": code,
                "reason": reason,
                "operator": operator,
                "finished_at": at,
            }
            return self._decide(tx, _Decision("fail", order_id, operator, reason, fields, now))

        def fail(t: Tx) -> Order:
            listed(t)
            return self._move(t, "fail", order_id, at, failure_code=code, reason=reason, finished_at=at)

        return self._run(tx, fail)

    # --- personal data at rest -------------------------------------------------------------------------------

    def rewrap(self, *, batch: int = 500) -> int:
        """Seal every stored recipient under the keyring's current data key (`payout-core keys rewrap`, after a
        new key was listed first); how many were sealed again. Each batch is one transaction; a run stopped
        half-way, or repeated, is simply run again. A recipient no listed key opens raises UnreadableData."""
        done = after = 0
        while True:
            with self.store.transaction(write=False) as t:
                stale = table.stale_recipients(t, self.keys, after=after, limit=batch)
            if not stale:
                return done
            with self.store.transaction() as t:
                for row in stale:
                    table.reseal(t, self.keys, row)
            done, after = done + len(stale), stale[-1].order_id

    # --- reads ----------------------------------------------------------------------------------------------

    def get(self, order_id: int, *, tx: Tx | None = None) -> Order:
        order = self._run(tx, lambda t: table.get(t, self.keys, order_id))
        if order is None:
            raise UnknownOrder(order_id)
        return order

    def find(self, merchant_id: str, merchant_order_no: str, *, tx: Tx | None = None) -> Order | None:
        return self._run(tx, lambda t: table.find(t, self.keys, merchant_id, merchant_order_no))

    def orders_in(
        self, state: OrderState, *, routed: bool | None = None, limit: int = 1000, tx: Tx | None = None
    ) -> list[Order]:
        """Orders in `state` (only routed ones, only unrouted ones, or either), oldest first."""
        return self._run(tx, lambda t: table.in_state(t, self.keys, state, routed=routed, limit=limit))

    def awaiting_route(self, *, limit: int = 1000, tx: Tx | None = None) -> list[Order]:
        """Approved orders without a channel yet, oldest first: a router worker's next `route_many` batch."""
        return self.orders_in("approved", routed=False, limit=limit, tx=tx)

    # --- leases: a worker's claim on approved orders (store/lease.py) ---------------------------------------

    def claim(self, lease: Lease, *, routed: bool, limit: int) -> list[Order]:
        """Claim up to `limit` approved orders (routed: to dispatch; unrouted: to route) that no live worker holds,
        oldest first. Claims only keep workers off each other's orders: every move is still conditional."""
        with self.store.transaction() as tx:
            now = wall_micros()
            return table.lease(
                tx, self.keys, routed=routed, owner=lease.owner, until=lease.until(now), now=now, limit=limit
            )

    def release(self, order_ids: Sequence[int], owner: str) -> None:
        """Give orders claimed by `owner` back at once (a stopping worker's unstarted ones)."""
        if order_ids:
            with self.store.transaction() as tx:
                table.release(tx, order_ids, owner)

    def state_counts(self, *, tx: Tx | None = None) -> dict[str, int]:
        """How many orders are in each state (a state with none is absent)."""
        return self._run(tx, table.count_by_state)

    def oldest_in_flight(self, *, tx: Tx | None = None) -> datetime | None:
        """When the longest-running dispatch still in progress started; None when none is."""
        micros = self._run(tx, table.oldest_dispatched_at)
        return None if micros is None else from_micros(micros)

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
        """Apply a move of the lifecycle table made by the system (a route, the move to dispatching, a channel's
        answer) with what the table says goes with it: the daily limits given back and the order's posting, all
        links of one write chain. A move that writes nothing else is, without a caller's transaction, a
        transaction of its own statement. When the order is not in a state the move starts from, nothing is
        written and IllegalTransition says so (UnknownOrder when there is no order)."""
        move = LIFECYCLE[action]
        if tx is None and move.posting is None and not move.gives_back_limits:
            moved = table.move(self.store, self.keys, action, order_id, at=at, fields=fields, durable=durable)
            return moved if moved is not None else self._refused_move(action, order_id, None, None)

        def work(t: Tx) -> Order:
            order = table.move(t, self.keys, action, order_id, at=at, fields=fields)
            if order is None:
                self._refused_move(action, order_id, None, t)
            self._money_of_move(t, action, order, at)
            return order

        return self._run(tx, work, durable=durable)

    def _decide(self, tx: Tx | None, d: _Decision) -> Order:
        """A move made by a person: one write chain [the actor holds the move's role, the move, the limits given
        back, the posting, the audit row]. Where the chain needs the order (its money, its state before), the order
        is read first, and the lifecycle refuses at once. In its own transaction a refusal is explained:
        NotPermitted, SelfApproval, IllegalTransition; in the caller's, the caller's transaction fails with it."""
        role = LIFECYCLE[d.action].role
        assert role is not None, f"{d.action} is made by the system only"
        check_actor_id(d.actor, role)

        move = LIFECYCLE[d.action]
        reads_first = move.posting is not None or move.gives_back_limits or len(move.sources) > 1

        def work(t: Tx) -> Later[Order]:
            if not reads_first:  # an approval: the chain's move says whether it may (explained below)
                return self._decision_chain(t, d)
            before = self.get(d.order_id, tx=t)
            if not allows(d.action, before.state, before.routed):
                raise IllegalTransition(d.order_id, before.state, d.action, move.rule)
            return self._decision_chain(t, d, before)

        if tx is not None:
            return work(tx).get()
        try:
            with role_explained(self.store, d.actor, role), self.store.transaction() as own:
                moved = work(own)
        except BrokenLink as exc:
            if exc.link != f"{d.action}: move the order":
                raise
            self._refused_move(d.action, d.order_id, d.actor, None, exc)  # e.g. a concurrent change got there first
        return moved.get()

    def _decision_chain(self, t: Tx, d: _Decision, before: Order | None = None) -> Later[Order]:
        """The write chain of a person's move; `before` (the order as read in `t`) is needed where the move gives
        limits back or moves money, and names the state before in the audit row."""
        move = LIFECYCLE[d.action]
        assert move.role is not None
        require_role(t, d.actor, move.role)
        at = to_micros(d.now)
        guard: table.Guard = "not_submitter" if d.action == "approve" else None
        moved = table.move_link(t, self.keys, d.action, d.order_id, at=at, fields=d.fields, guard=guard, by=d.actor)
        if before is not None:
            self._money_of_move(t, d.action, msgspec.structs.replace(before, state=move.target), at)
        else:
            assert not move.gives_back_limits and move.posting is None and len(move.sources) == 1
        record(
            t,
            actor=d.actor,
            action=f"order.{d.action}",
            subject=f"order:{d.order_id}",
            before={"state": before.state if before is not None else move.sources[0].state},
            after={"state": move.target},
            at=d.now,
            reason=d.reason,
        )
        return moved

    def _money_of_move(self, t: Tx, action: Action, order: Order, at: int) -> None:
        """What the lifecycle table says goes with the move, in every chain's lock order: the order row (moved
        already), the limit counters, the accounts."""
        move = LIFECYCLE[action]
        if move.gives_back_limits:
            self._give_back_limits(t, order)
        if move.posting is not None:
            assert order.channel is not None, "an order that moves money is routed"
            transfers = order_transfers(move.posting, order.merchant_id, order.channel, order.amount)
            post(t, transfers, kind=move.posting, at=at, order_id=order.id)

    def _refused_move(
        self, action: Action, order_id: int, actor: str | None, tx: Tx | None, cause: BrokenLink | None = None
    ) -> NoReturn:
        """Why a move found no row to change: no order, the lifecycle, maker-checker or the merchant's approval.
        A refused link (`cause`) that none of them explains is raised as it is."""
        current = self.get(order_id, tx=tx)
        if not allows(action, current.state, current.routed):
            raise IllegalTransition(order_id, current.state, action, LIFECYCLE[action].rule)
        if action == "approve" and actor == AUTO:
            raise AutoApprovalRefused(order_id, current.merchant_id)
        if action == "approve" and actor is not None and current.submitted_by == actor:
            raise SelfApproval(order_id, actor)
        if cause is not None:
            raise cause
        raise IllegalTransition(order_id, current.state, action, LIFECYCLE[action].rule)

    def _give_back_limits(self, t: Tx, order: Order) -> None:
        key = order.card_key
        release_order(t, order.merchant_id, key, day=order.business_day, amount=order.amount)
        if order.channel is not None and order.card_limit_day is not None:
            release_channel_use(t, order.channel, key, day=order.card_limit_day, amount=order.amount)
        if order.channel is not None and order.account_limit_day is not None:
            release_channel_use(t, order.channel, ACCOUNT_TOTAL, day=order.account_limit_day, amount=order.amount)
