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
from payout_core.store import Row, Tx, from_micros, to_micros

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


def insert_attempt(tx: Tx, order_id: int, channel: str, channel_order_no: str, at: datetime) -> Attempt:
    """The intent to send; `sends` counts it at once because from here on the channel may have the order."""
    tx.send(
        "INSERT INTO dispatch_attempts (order_id, channel, channel_order_no, status, sends, queries, first_sent_at,"
        " last_sent_at, next_query_at, last_reason) VALUES (?, ?, ?, 'sending', 1, 0, ?, ?, ?, '')",
        (order_id, channel, channel_order_no, to_micros(at), to_micros(at), to_micros(at)),
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


def attempts_in(tx: Tx, status: AttemptStatus) -> list[Attempt]:
    rows = tx.all(f"SELECT {_ATTEMPT_COLUMNS} FROM dispatch_attempts WHERE status = ? ORDER BY order_id", (status,))
    return [_attempt(r) for r in rows]


def due_attempts(tx: Tx, now: datetime, limit: int) -> list[Attempt]:
    """In-progress attempts whose next query is due, oldest due first (orders under review keep being queried)."""
    rows = tx.all(
        f"SELECT {_ATTEMPT_COLUMNS} FROM dispatch_attempts WHERE status IN ('pending', 'review')"
        " AND next_query_at <= ? ORDER BY next_query_at, order_id LIMIT ?",
        (to_micros(now), limit),
    )
    return [_attempt(r) for r in rows]


def due_follow_ups(tx: Tx, now: datetime, limit: int) -> list[Attempt]:
    """Final orders whose next follow-up query is due, oldest due first."""
    rows = tx.all(
        f"SELECT {_ATTEMPT_COLUMNS} FROM dispatch_attempts WHERE follow_up_at <= ? ORDER BY follow_up_at, order_id"
        " LIMIT ?",
        (to_micros(now), limit),
    )
    return [_attempt(r) for r in rows]


def save_attempt(tx: Tx, new: Attempt, expected: Attempt) -> bool:
    """Conditional on the status and follow-ups read earlier, so two workers never both act on one answer."""
    saved = tx.one(
        "UPDATE dispatch_attempts SET status = ?, sends = ?, queries = ?, last_sent_at = ?, next_query_at = ?,"
        " last_reason = ?, follow_ups = ?, follow_up_at = ? WHERE order_id = ? AND status = ? AND follow_ups = ?"
        " RETURNING order_id",
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
