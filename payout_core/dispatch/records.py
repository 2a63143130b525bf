"""Rows of the dispatch tables: one attempt per order (the intent to send) and its evidence, in the caller's Tx.

The attempt row is written in the same transaction that moves the order to dispatching, before any byte leaves:
after a crash its presence means "this may have been sent", so recovery queries instead of sending.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from payout_core.dispatch.errors import UnknownAttempt
from payout_core.dispatch.evidence import Evidence, Exchange
from payout_core.dispatch.outcome import Outcome
from payout_core.store import Lease, Row, Tx, from_micros, to_micros, wall_micros

AttemptStatus = Literal["sending", "pending", "review", "done"]


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    """Where an order's dispatch stands: `sending` = intent written, no answer recorded yet."""

    order_id: int
    channel: str
    channel_order_no: str
    status: AttemptStatus
    sends: int
    queries: int
    first_sent_at: datetime
    last_sent_at: datetime
    next_query_at: datetime
    last_reason: str
    follow_ups: int = 0  # queries made after the order was final
    follow_up_at: datetime | None = None  # when the next one is due; None: not (or no longer) followed up


_ATTEMPT_COLUMNS = (
    "order_id, channel, channel_order_no, status, sends, queries, first_sent_at, last_sent_at, next_query_at,"
    " last_reason, follow_ups, follow_up_at"
)


def _attempt(row: Row) -> Attempt:
    oid, channel, cno, status, sends, queries, first, last, nxt, reason, follow_ups, follow_up_at = row
    return Attempt(
        order_id=int(oid),
        channel=channel,
        channel_order_no=cno,
        status=status,
        sends=int(sends),
        queries=int(queries),
        first_sent_at=from_micros(int(first)),
        last_sent_at=from_micros(int(last)),
        next_query_at=from_micros(int(nxt)),
        last_reason=reason,
        follow_ups=int(follow_ups),
        follow_up_at=None if follow_up_at is None else from_micros(int(follow_up_at)),
    )


def insert_attempt(
    tx: Tx, order_id: int, channel: str, channel_order_no: str, at: datetime, *, lease: Lease | None = None
) -> Attempt:
    """The intent to send; `sends` counts it at once because from here on the channel may have the order. Written
    under the sender's `lease` (if any): until it passes, no other worker sweeps the attempt while it is sent."""
    owner, until = (None, None) if lease is None else (lease.owner, lease.until(wall_micros()))
    tx.send(
        "INSERT INTO dispatch_attempts (order_id, channel, channel_order_no, status, sends, queries, first_sent_at,"
        " last_sent_at, next_query_at, last_reason, lease_owner, lease_until)"
        " VALUES (?, ?, ?, 'sending', 1, 0, ?, ?, ?, '', ?, ?)",
        (order_id, channel, channel_order_no, to_micros(at), to_micros(at), to_micros(at), owner, until),
        rows=1,
        link="write the intent to send",
    )
    return get_attempt(tx, order_id)


def get_attempt(tx: Tx, order_id: int) -> Attempt:
    row = tx.one(f"SELECT {_ATTEMPT_COLUMNS} FROM dispatch_attempts WHERE order_id = ?", (order_id,))
    if row is None:
        raise UnknownAttempt(order_id)
    return _attempt(row)


def find_attempt(tx: Tx, order_id: int) -> Attempt | None:
    row = tx.one(f"SELECT {_ATTEMPT_COLUMNS} FROM dispatch_attempts WHERE order_id = ?", (order_id,))
    return None if row is None else _attempt(row)


# What each kind of claim takes, and in which order: attempts left `sending` (to query: never to send again),
# attempts whose next query is due (orders under review keep being queried), final orders whose follow-up is due.
Claim = Literal["sending", "due", "follow_up"]
_CLAIMS: dict[Claim, tuple[str, str]] = {
    "sending": ("status = 'sending'", "next_query_at"),
    "due": ("status IN ('pending', 'review') AND next_query_at <= ?", "next_query_at"),
    "follow_up": ("follow_up_at <= ?", "follow_up_at"),
}


def claim_attempts(tx: Tx, claim: Claim, lease: Lease, *, now: datetime, limit: int) -> list[Attempt]:
    """Claim up to `limit` attempts of the kind whose lease has passed (or was never taken), oldest due first, for
    `lease`; the attempts claimed. `now` is the dispatcher's clock (when queries are due)."""
    wall = wall_micros()
    condition, order = _CLAIMS[claim]
    due = () if claim == "sending" else (to_micros(now),)
    rows = tx.all(
        "UPDATE dispatch_attempts SET lease_owner = ?, lease_until = ? WHERE order_id IN (SELECT order_id FROM"
        f" dispatch_attempts WHERE {condition} AND (lease_until IS NULL OR lease_until < ?)"
        f" ORDER BY {order}, order_id LIMIT ?{tx.skip_locked}) RETURNING {_ATTEMPT_COLUMNS}",
        (lease.owner, lease.until(wall), *due, wall, limit),
    )
    attempts = list(map(_attempt, rows))
    return sorted(attempts, key=lambda a: (a.follow_up_at if claim == "follow_up" else a.next_query_at, a.order_id))


def release_attempts(tx: Tx, order_ids: list[int], owner: str) -> None:
    """Give claimed attempts back (done with, or not started by a stopping worker); only the owner's own leases."""
    marks = ", ".join(["?"] * len(order_ids)) or "NULL"
    tx.send(
        "UPDATE dispatch_attempts SET lease_owner = NULL, lease_until = NULL"
        f" WHERE order_id IN ({marks}) AND lease_owner = ?",
        (*order_ids, owner),
        rows=None,  # an attempt another worker claimed after ours passed stays theirs
        link="release the attempts' leases",
    )


def count_in(tx: Tx, status: AttemptStatus) -> int:
    row = tx.one("SELECT COUNT(*) FROM dispatch_attempts WHERE status = ?", (status,))
    return 0 if row is None else int(row[0])


def save_attempt(tx: Tx, new: Attempt, expected: Attempt) -> bool:
    """Conditional on the status and follow-ups read earlier, so two workers never both act on one answer. An answer
    recorded ends the lease (the next query is due to whoever is free then); a resend (`sending` again) keeps the
    sender's."""
    ends_lease = "" if new.status == "sending" else ", lease_owner = NULL, lease_until = NULL"
    saved = tx.one(
        "UPDATE dispatch_attempts SET status = ?, sends = ?, queries = ?, last_sent_at = ?, next_query_at = ?,"
        f" last_reason = ?, follow_ups = ?, follow_up_at = ?{ends_lease} WHERE order_id = ? AND status = ?"
        " AND follow_ups = ? RETURNING order_id",
        (
            new.status,
            new.sends,
            new.queries,
            to_micros(new.last_sent_at),
            to_micros(new.next_query_at),
            new.last_reason,
            new.follow_ups,
            None if new.follow_up_at is None else to_micros(new.follow_up_at),
            new.order_id,
            expected.status,
            expected.follow_ups,
        ),
    )
    return saved is not None


def finish_attempt(tx: Tx, order_id: int, reason: str, follow_up_at: datetime | None) -> None:
    """An operator decided: nothing is resent for this order any more; it is queried again at `follow_up_at`
    (None: never), so a channel answer that contradicts the decision is found."""
    tx.send(
        "UPDATE dispatch_attempts SET status = 'done', last_reason = ?, follow_up_at = ?"
        " WHERE order_id = ? AND status <> 'done'",
        (reason, None if follow_up_at is None else to_micros(follow_up_at), order_id),
        rows=None,  # an order dispatched without a Dispatcher has no attempt
        link="close the dispatch attempt",
    )


def with_attempts(tx: Tx, order_ids: list[int]) -> set[int]:
    """Those of the orders that have a dispatch attempt."""
    marks = ", ".join(["?"] * len(order_ids)) or "NULL"
    return {int(r[0]) for r in tx.all(f"SELECT order_id FROM dispatch_attempts WHERE order_id IN ({marks})", order_ids)}


_EVIDENCE_COLUMNS = (
    "order_id, channel, channel_order_no, kind, url, request_body, http_status, response_body, transport_error,"
    " sent_at, received_at, latency_ms, outcome"
)
_OUTCOME = msgspec.json.Decoder(Outcome)


def add_evidence(tx: Tx, ev: Evidence) -> None:
    """Bodies must already be masked (see `masked_exchange`); this stores exactly what it is given."""
    ex = ev.exchange
    tx.send(
        f"INSERT INTO dispatch_evidence ({_EVIDENCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ev.order_id,
            ev.channel,
            ev.channel_order_no,
            ex.kind,
            ex.url,
            ex.request_body,
            ex.http_status,
            ex.response_body,
            ex.transport_error,
            to_micros(ex.sent_at),
            to_micros(ex.received_at),
            ex.latency_ms,
            msgspec.json.encode(ev.outcome).decode(),
        ),
        rows=1,
        link="keep the evidence",
    )


def evidence_of(tx: Tx, order_id: int) -> list[Evidence]:
    """Every stored exchange of an order, oldest first: what operators see."""
    rows = tx.all(f"SELECT {_EVIDENCE_COLUMNS} FROM dispatch_evidence WHERE order_id = ? ORDER BY id", (order_id,))
    return [
        Evidence(
            order_id=int(oid),
            channel=channel,
            channel_order_no=cno,
            exchange=Exchange(
                kind=kind,
                url=url,
                request_body=req,
                http_status=None if status is None else int(status),
                response_body=resp,
                transport_error=err,
                sent_at=from_micros(int(sent)),
                received_at=from_micros(int(received)),
                latency_ms=float(latency),
            ),
            outcome=_OUTCOME.decode(outcome),
        )
        for oid, channel, cno, kind, url, req, status, resp, err, sent, received, latency, outcome in rows
    ]
