"""The Dispatcher: send once, keep every answer, fail only on an explicit failure, query the rest.

Order of work for a dispatch, each step committed before the next:
1. move the order to `dispatching` and write the attempt row (the intent) in one transaction;
2. send the request once (no transport retries);
3. store the masked evidence and apply the outcome in one transaction.
A crash after 1 leaves an attempt in `sending`: recovery queries it, it never sends it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import httpx
import msgspec

from payout_core.dispatch.adapter import ChannelAdapter, ChannelRequest, Payout, call
from payout_core.dispatch.answer import AnswerReader, Expected
from payout_core.dispatch.errors import NoAdapter, NotInProgress, StaleAttempt
from payout_core.dispatch.evidence import Evidence, Exchange, ExchangeKind, masked_exchange
from payout_core.dispatch.outcome import Failed, Outcome, Pending, Returned, Succeeded
from payout_core.dispatch.policy import QueryPolicy
from payout_core.dispatch.records import (
    Attempt,
    add_evidence,
    due_attempts,
    find_attempt,
    get_attempt,
    insert_attempt,
    save_attempt,
)
from payout_core.dispatch.reviews import Resolution, close_item, open_item
from payout_core.dispatch.signature import load_verifier
from payout_core.orders import Order, PayoutEngine, TransitionError
from payout_core.returns.adjustments import record_return
from payout_core.store import Clock, Tx, utcnow

# Called at "before_send" and "after_send" with the order id. Production passes nothing; the fault simulation
# passes one that raises there, which is exactly what a crashed process looks like to the database.
Checkpoint = Callable[[str, int], None]


def no_checkpoint(point: str, order_id: int) -> None:
    """The production checkpoint: nothing happens between the steps."""


_log = logging.getLogger(__name__)


def _warn_if_contradicted(order: Order, outcome: Outcome) -> None:
    """A final order the channel now contradicts (paid after a decline or an operator's "failed") needs a person."""
    paid = isinstance(outcome, Succeeded | Returned)
    if (order.state == "failed" and paid) or (order.state == "succeeded" and isinstance(outcome, Failed)):
        _log.error(
            "order %s is %s but channel %s now answers %s (%s): reconcile by hand; the answer is kept as evidence",
            order.id,
            order.state,
            order.channel,
            type(outcome).__name__,
            getattr(outcome, "code", None),
        )


class Dispatcher:
    """Dispatch, query, resend and escalate orders through their channel adapters (one per routed channel name).

    Each channel account's answers are read under the profile the engine has for it (`engine.channel_profile`);
    a profile that declares a signature needs the account's key now (SignatureKeyUnusable otherwise).
    """

    def __init__(
        self,
        engine: PayoutEngine,
        adapters: Mapping[str, ChannelAdapter],
        client: httpx.Client,
        *,
        policy: QueryPolicy | None = None,
        clock: Clock = utcnow,
        checkpoint: Checkpoint = no_checkpoint,
    ) -> None:
        self.engine = engine
        self._store = engine.store
        self._adapters = adapters
        self._readers = {name: _reader(engine, name) for name in adapters}
        self._client = client
        self._policy = policy or QueryPolicy()
        self._clock = clock
        self._checkpoint = checkpoint

    # --- the three ways an order reaches the channel ---------------------------------------------------------

    def dispatch(self, order_id: int) -> Outcome:
        """Send a routed, approved order once. Refused (IllegalTransition) if it was dispatched before."""
        order = self.engine.get(order_id)
        adapter = self._adapter(order)
        channel, channel_order_no = order.channel, order.channel_order_no
        assert channel is not None and channel_order_no is not None  # _adapter checked routing
        request = adapter.dispatch_request(_payout(order))  # an adapter bug fails here, before any intent exists
        with self._store.transaction() as tx:
            order = self.engine.mark_dispatching(order_id, tx=tx)
            attempt = insert_attempt(tx, order_id, channel, channel_order_no, self._clock())
        self._checkpoint("before_send", order_id)
        ex, outcome = self._call(order, "dispatch", request)
        self._checkpoint("after_send", order_id)
        return self._conclude(order, attempt, ex, outcome)

    def query(self, order_id: int) -> Outcome:
        """Ask the channel about an order in progress and act on the answer (resend or review when due)."""
        order = self.engine.get(order_id)
        adapter = self._adapter(order)
        with self._store.transaction(write=False) as tx:
            attempt = find_attempt(tx, order_id)
        if attempt is None or attempt.status == "done":
            raise NotInProgress(order_id, "none" if attempt is None else attempt.status)
        ex, outcome = self._call(order, "query", adapter.query_request(attempt.channel_order_no))
        return self._conclude(order, attempt, ex, outcome)

    def run_due(self, limit: int = 500) -> int:
        """Query every in-progress order whose next query is due; returns how many were queried."""
        with self._store.transaction(write=False) as tx:
            due = due_attempts(tx, self._clock(), limit)
        for attempt in due:
            self.query(attempt.order_id)
        return len(due)

    def _resend(self, order: Order) -> Outcome:
        """The identical request with the same channel order number; the attempt was already marked `sending`."""
        adapter = self._adapter(order)
        self._checkpoint("before_send", order.id)
        ex, outcome = self._call(order, "resend", adapter.dispatch_request(_payout(order)))
        self._checkpoint("after_send", order.id)
        with self._store.transaction(write=False) as tx:
            attempt = get_attempt(tx, order.id)
        return self._conclude(order, attempt, ex, outcome)

    # --- acting on an answer --------------------------------------------------------------------------------

    def _conclude(self, order: Order, attempt: Attempt, ex: Exchange, outcome: Outcome) -> Outcome:
        evidence = Evidence(
            order_id=order.id,
            channel=attempt.channel,
            channel_order_no=attempt.channel_order_no,
            exchange=masked_exchange(ex, order.recipient.account_no),
            outcome=outcome,
        )
        try:
            with self._store.transaction() as tx:
                add_evidence(tx, evidence)
                resend = self._apply(tx, order, attempt, ex.kind == "query", outcome)
        except (TransitionError, StaleAttempt):
            # Someone else (an operator, another worker) finished the order meanwhile: the answer is still kept.
            with self._store.transaction() as tx:
                add_evidence(tx, evidence)
            _warn_if_contradicted(self.engine.get(order.id), outcome)
            return outcome
        return self._resend(order) if resend else outcome

    def _apply(self, tx: Tx, order: Order, attempt: Attempt, is_query: bool, outcome: Outcome) -> bool:
        """Move the order and the attempt for one answer; True when the answer calls for a resend."""
        now = self._clock()
        queries = attempt.queries + int(is_query)
        actor = f"channel:{attempt.channel}"
        match outcome:
            case Succeeded(code=code):
                self.engine.mark_succeeded(order.id, tx=tx)
                self._finish(tx, attempt, queries=queries, resolution="succeeded", actor=actor, code=code, now=now)
            case Failed(code=code, reason=reason):
                self.engine.mark_failed(order.id, reason=reason, code=code, tx=tx)
                self._finish(tx, attempt, queries=queries, resolution="failed", actor=actor, code=code, now=now)
            case Returned(code=code, reason=reason):
                paid = self.engine.mark_succeeded(order.id, tx=tx)
                record_return(tx, paid, source="channel", code=code, reason=reason, recorded_by=actor, at=now)
                self._finish(tx, attempt, queries=queries, resolution="succeeded", actor=actor, code=code, now=now)
            case Pending():
                return self._keep_pending(tx, order, attempt, queries=queries, outcome=outcome, now=now)
        return False

    def _finish(
        self, tx: Tx, attempt: Attempt, *, queries: int, resolution: Resolution, actor: str, code: str, now: datetime
    ) -> None:
        if attempt.status == "review":
            close_item(tx, attempt.order_id, resolution, actor=actor, note=f"channel answered {code}", at=now)
        self._save(tx, attempt, status="done", queries=queries, last_reason=f"{resolution}: {code}")

    def _keep_pending(
        self, tx: Tx, order: Order, attempt: Attempt, *, queries: int, outcome: Pending, now: datetime
    ) -> bool:
        rules = self._readers[attempt.channel].profile.outcomes
        since_send = (now - attempt.last_sent_at).total_seconds()
        since_first = (now - attempt.first_sent_at).total_seconds()
        review: str | None = None
        if outcome.not_found and since_send >= rules.not_found_grace_seconds:
            resends_left = attempt.sends - 1 < self._policy.max_resends
            if rules.resend_safe and resends_left and attempt.status != "review":
                self._save(
                    tx,
                    attempt,
                    status="sending",
                    queries=queries,
                    sends=attempt.sends + 1,
                    last_sent_at=now,
                    last_reason=f"resending: {outcome.reason}",
                )
                return True
            review = (
                f"channel has no record of the order {since_send:.0f}s after it was sent"
                f" (grace {rules.not_found_grace_seconds}s, {attempt.sends} send(s))"
            )
        elif since_first >= self._policy.review_after_seconds:
            review = f"no final answer {since_first:.0f}s after the first send; last: {outcome.reason}"
        status = attempt.status if attempt.status == "review" else "pending"
        if review is not None and status != "review":
            open_item(tx, order.id, review, actor="dispatch", at=now)
            status = "review"
        self._save(
            tx,
            attempt,
            status=status,
            queries=queries,
            last_reason=outcome.reason,
            next_query_at=now + timedelta(seconds=self._policy.interval(queries)),
        )
        return False

    def _save(self, tx: Tx, attempt: Attempt, **changes: object) -> None:
        if not save_attempt(tx, msgspec.structs.replace(attempt, **changes), attempt.status):
            raise StaleAttempt(attempt.order_id, attempt.status)

    def _call(self, order: Order, kind: ExchangeKind, request: ChannelRequest) -> tuple[Exchange, Outcome]:
        assert order.channel is not None and order.channel_order_no is not None  # _adapter checked routing
        expected = Expected(order.channel_order_no, order.amount)
        reader = self._readers[order.channel]
        return call(
            self._client, self._adapter(order), kind, request, reader=reader, expected=expected, clock=self._clock
        )

    def _adapter(self, order: Order) -> ChannelAdapter:
        adapter = None if order.channel is None else self._adapters.get(order.channel)
        if adapter is None or order.channel_order_no is None:
            raise NoAdapter(order.id, order.channel)
        return adapter


def _reader(engine: PayoutEngine, account: str) -> AnswerReader:
    profile = engine.channel_profile(account)
    rule = profile.answers.signature
    return AnswerReader(account, profile, None if rule is None else load_verifier(rule, account))


def _payout(order: Order) -> Payout:
    assert order.channel_order_no is not None
    return Payout(order_id=order.id, channel_order_no=order.channel_order_no, recipient=order.recipient)
