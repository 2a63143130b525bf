"""The Dispatcher: send once, keep every answer, fail only on an explicit failure, query the rest.

Order of work for a dispatch, each step committed before the next:
1. move the order to `dispatching` and write the attempt row (the intent) in one transaction;
2. send the request once (no transport retries);
3. store the masked evidence and apply the outcome in one transaction.
A crash after 1 leaves an attempt in `sending`: recovery queries it, it never sends it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import httpx
import msgspec

from payout_core.differences.items import ItemKind, NewItem, open_items
from payout_core.dispatch.adapter import ChannelAdapter, ChannelRequest, Payout, call
from payout_core.dispatch.answer import AnswerReader, Expected, alerts
from payout_core.dispatch.errors import NoAdapter, NotInProgress, StaleAttempt
from payout_core.dispatch.evidence import Evidence, Exchange, ExchangeKind, masked_exchange, masked_outcome
from payout_core.dispatch.outcome import Failed, Outcome, Pending, Returned, Succeeded
from payout_core.dispatch.policy import QueryPolicy
from payout_core.dispatch.records import (
    Attempt,
    Claim,
    add_evidence,
    claim_attempts,
    find_attempt,
    get_attempt,
    insert_attempt,
    release_attempts,
    save_attempt,
)
from payout_core.dispatch.reviews import Resolution, close_item, open_item
from payout_core.dispatch.signature import load_verifier
from payout_core.orders import Order, PayoutEngine, TransitionError
from payout_core.returns.adjustments import record_return
from payout_core.store import Clock, Lease, Tx, utcnow, worker_id

# Called at "before_send" and "after_send" with the order id. Production passes nothing; the fault simulation
# passes one that raises there, which is exactly what a crashed process looks like to the database.
Checkpoint = Callable[[str, int], None]


def no_checkpoint(point: str, order_id: int) -> None:
    """The production checkpoint: nothing happens between the steps."""


# What to do when acting on one claimed item raises: the library re-raises; the worker logs it and goes on (the
# item keeps its lease, so it is tried again only once the lease has passed).
OnError = Callable[[int, Exception], None]


def reraise(order_id: int, exc: Exception) -> None:
    raise exc


def never() -> bool:
    return False


# How long an in-process caller's claims last when the Dispatcher has no lease of its own.
CALLER_LEASE_SECONDS = 300.0


def contradiction(order: Order, outcome: Outcome) -> ItemKind | None:
    """The difference a verified channel answer shows with a final order, if any: paid (or paid and returned) while
    the order failed, by the channel's own earlier decline or an operator's decision; failed while it succeeded."""
    if order.state == "failed" and isinstance(outcome, Succeeded | Returned):
        return "paid_not_succeeded"
    if order.state == "succeeded" and isinstance(outcome, Failed):
        return "failed_at_channel"
    return None


def _open_contradiction(tx: Tx, order: Order, outcome: Outcome, now: datetime) -> None:
    """Open the reconciliation item a contradicting answer calls for (once per order and kind), and say so."""
    kind = contradiction(order, outcome)
    if kind is None or order.channel is None or order.channel_order_no is None:
        return
    decided = f"operator {order.operator}" if order.operator else f"channel code {order.failure_code or 'success'}"
    evidence = msgspec.json.encode(
        {"ours": {"state": order.state, "decided_by": decided}, "channel": msgspec.to_builtins(outcome)}
    ).decode()
    paid = kind == "paid_not_succeeded"
    item = NewItem(
        channel=order.channel,
        kind=kind,
        ref=order.channel_order_no,
        order_id=order.id,
        found_by="query",
        channel_amount=order.amount if paid else 0,
        our_amount=0 if paid else order.amount,
        evidence=evidence,
    )
    open_items(tx, [item], now)
    alerts.error(
        "order %s is %s (%s) but channel %s now answers %s (%s): reconciliation item %s opened",
        order.id,
        order.state,
        decided,
        order.channel,
        type(outcome).__name__,
        getattr(outcome, "code", None),
        kind,
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
        lease: Lease | None = None,
    ) -> None:
        """`lease`: the worker's (payout_core.worker); an intent to send is written under it, so no other worker
        sweeps the attempt while this one sends. None: attempts are written without one (a single process)."""
        self.engine = engine
        self._store = engine.store
        self._adapters = adapters
        self._readers = {name: _reader(engine, name) for name in adapters}
        self._client = client
        self._policy = policy or QueryPolicy()
        self.clock = clock
        self.checkpoint = checkpoint
        self.lease = lease

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
            attempt = insert_attempt(tx, order_id, channel, channel_order_no, self.clock(), lease=self.lease)
        self.checkpoint("before_send", order_id)
        ex, outcome = self._call(order, "dispatch", request)
        self.checkpoint("after_send", order_id)
        return self._conclude(order, attempt, ex, outcome)

    def query(self, order_id: int) -> Outcome:
        """Ask the channel about an order in progress and act on the answer (resend or review when due). A final
        order that is still followed up is queried as a follow-up (see `follow_up`)."""
        order = self.engine.get(order_id)
        adapter = self._adapter(order)
        with self._store.transaction(write=False) as tx:
            attempt = find_attempt(tx, order_id)
        if attempt is not None and attempt.status == "done" and attempt.follow_up_at is not None:
            return self._follow_up(order, attempt)
        if attempt is None or attempt.status == "done":
            raise NotInProgress(order_id, "none" if attempt is None else attempt.status)
        ex, outcome = self._call(order, "query", adapter.query_request(attempt.channel_order_no))
        return self._conclude(order, attempt, ex, outcome)

    def run_due(self, limit: int = 500, *, stop: Callable[[], bool] = never, on_error: OnError = reraise) -> int:
        """Claim up to `limit` in-progress orders whose next query is due and query each, then as many final orders
        whose follow-up is due (see `_follow_up`); how many were queried."""
        queried = len(self._claimed("due", limit, stop, on_error))
        if queried < limit and not stop():
            queried += len(self._claimed("follow_up", limit - queried, stop, on_error))
        return queried

    def sweep(
        self, limit: int = 500, *, stop: Callable[[], bool] = never, on_error: OnError = reraise
    ) -> dict[int, Outcome]:
        """Query the attempts left `sending` whose lease has passed (their sender died, or lost its database, after
        writing the intent): the channel may have the order, so they are queried, never sent again. What each
        query answered."""
        return self._claimed("sending", limit, stop, on_error)

    def _claimed(self, claim: Claim, limit: int, stop: Callable[[], bool], on_error: OnError) -> dict[int, Outcome]:
        """Claim attempts, query them one by one until `stop` says so, and give back every lease but a failed
        item's (it is tried again when its lease passes)."""
        answers: dict[int, Outcome] = {}
        # The dispatcher's own lease, else one for this call (an in-process caller).
        lease = self.lease or Lease(owner=worker_id(), seconds=CALLER_LEASE_SECONDS)
        with self._store.transaction() as tx:
            claimed = [a.order_id for a in claim_attempts(tx, claim, lease, now=self.clock(), limit=limit)]
        failed: list[int] = []
        try:
            for order_id in claimed:
                if stop():
                    break
                try:
                    answers[order_id] = self.query(order_id)
                except Exception as exc:
                    failed.append(order_id)
                    on_error(order_id, exc)
        finally:
            with self._store.transaction() as tx:
                release_attempts(tx, [o for o in claimed if o not in failed], lease.owner)
        return answers

    def _follow_up(self, order: Order, attempt: Attempt) -> Outcome:
        """Query a final order again: the answer is kept; a return is recorded (退汇 by query); an answer that
        contradicts the order's outcome opens a reconciliation item; the order itself never changes."""
        adapter = self._adapter(order)
        ex, outcome = self._call(order, "query", adapter.query_request(attempt.channel_order_no))
        now = self.clock()
        with self._store.transaction() as tx:
            add_evidence(tx, self._evidence(order, attempt, ex, outcome))
            current = self.engine.get(order.id, tx=tx)
            if isinstance(outcome, Returned) and current.state == "succeeded":
                actor = f"channel:{attempt.channel}"
                record_return(
                    tx, current, source="channel", code=outcome.code, reason=outcome.reason, recorded_by=actor, at=now
                )
            _open_contradiction(tx, current, outcome, now)
            done = attempt.follow_ups + 1
            self._save(tx, attempt, follow_ups=done, follow_up_at=self._policy.follow_up(done, now))
        return outcome

    def _resend(self, order: Order) -> Outcome:
        """The identical request with the same channel order number; the attempt was already marked `sending`."""
        adapter = self._adapter(order)
        self.checkpoint("before_send", order.id)
        ex, outcome = self._call(order, "resend", adapter.dispatch_request(_payout(order)))
        self.checkpoint("after_send", order.id)
        with self._store.transaction(write=False) as tx:
            attempt = get_attempt(tx, order.id)
        return self._conclude(order, attempt, ex, outcome)

    # --- acting on an answer --------------------------------------------------------------------------------

    def _evidence(self, order: Order, attempt: Attempt, ex: Exchange, outcome: Outcome) -> Evidence:
        return Evidence(
            order_id=order.id,
            channel=attempt.channel,
            channel_order_no=attempt.channel_order_no,
            exchange=ex,
            outcome=outcome,
        )

    def _conclude(self, order: Order, attempt: Attempt, ex: Exchange, outcome: Outcome) -> Outcome:
        evidence = self._evidence(order, attempt, ex, outcome)
        try:
            with self._store.transaction() as tx:
                add_evidence(tx, evidence)
                resend = self._apply(tx, order, attempt, ex.kind == "query", outcome)
        except (TransitionError, StaleAttempt):
            # Someone else (an operator, another worker) finished the order meanwhile: the answer is still kept,
            # and an answer that contradicts how it ended opens a reconciliation item.
            with self._store.transaction() as tx:
                add_evidence(tx, evidence)
                _open_contradiction(tx, self.engine.get(order.id, tx=tx), outcome, self.clock())
            return outcome
        return self._resend(order) if resend else outcome

    def _apply(self, tx: Tx, order: Order, attempt: Attempt, is_query: bool, outcome: Outcome) -> bool:
        """Move the order and the attempt for one answer; True when the answer calls for a resend."""
        now = self.clock()
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
        self._save(
            tx,
            attempt,
            status="done",
            queries=queries,
            last_reason=f"{resolution}: {code}",
            follow_up_at=self._policy.follow_up(0, now),
        )

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
        if not save_attempt(tx, msgspec.structs.replace(attempt, **changes), attempt):
            raise StaleAttempt(attempt.order_id, attempt.status)

    def _call(self, order: Order, kind: ExchangeKind, request: ChannelRequest) -> tuple[Exchange, Outcome]:
        """One exchange and what it means, masked (cardbin.redact) before anything keeps, logs or shows it."""
        assert order.channel is not None and order.channel_order_no is not None  # _adapter checked routing
        expected = Expected(order.channel_order_no, order.amount)
        reader = self._readers[order.channel]
        ex, outcome = call(
            self._client, self._adapter(order), kind, request, reader=reader, expected=expected, clock=self.clock
        )
        keep = (order.channel_order_no, order.merchant_order_no)
        return masked_exchange(ex, keep=keep), masked_outcome(outcome, keep=keep)

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
