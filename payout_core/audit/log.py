"""The audit log (table `audit_log`): who changed what, when, and the state before and after.

A row is written by `record`, as a link of the write chain of the change it records, so the change and its row
commit together or not at all. The database refuses to update or delete a row (triggers on both back ends).
`before` and `after` hold configuration values, states and amounts, never personal data; `reason` is free text
and is masked (cardbin.redact) before it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from cardbin.redact import redact
from payout_core.errors import InvalidInput
from payout_core.store import Row, Tx, from_micros, to_micros

# `subject kind.verb`, e.g. merchant.deposit, order.approve, review.resolve: listing by prefix finds a kind's rows.
_ACTION = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
MAX_REASON = 1000

State = Mapping[str, Any] | None


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str


_encode = msgspec.json.Encoder(order="sorted").encode
_decode = msgspec.json.Decoder(dict[str, Any] | None).decode


def _json(state: State) -> str | None:
    return None if state is None else _encode(dict(state)).decode()


def record(
    tx: Tx, *, actor: str, action: str, subject: str, before: State, after: State, at: datetime, reason: str = ""
) -> None:
    """A link of `tx`'s write chain: the audit row of the change made in `tx`. `actor` must exist (FOREIGN KEY);
    whether it may act is the change's own link (`require_role`)."""
    if not _ACTION.match(action):
        raise InvalidInput("action", action, "must be kind.verb in lowercase, e.g. merchant.deposit")
    if not subject or len(subject) > 200:
        raise InvalidInput("subject", subject, "must be non-empty text of at most 200 characters")
    if len(reason) > MAX_REASON:
        raise InvalidInput("reason", redact(reason[:40]) + "…", f"must be at most {MAX_REASON} characters")
    tx.send(
        "INSERT INTO audit_log (at, actor, action, subject, before_json, after_json, reason)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (to_micros(at), actor, action, subject, _json(before), _json(after), redact(reason)),
        rows=1,
        link="write the audit row",
    )


_COLUMNS = "id, at, actor, action, subject, before_json, after_json, reason"


def _entry(row: Row) -> AuditEntry:
    eid, at, actor, action, subject, before, after, reason = row
    return AuditEntry(
        id=int(eid),
        at=from_micros(int(at)),
        actor=actor,
        action=action,
        subject=subject,
        before=None if before is None else _decode(before),
        after=None if after is None else _decode(after),
        reason=reason,
    )


def entries(
    tx: Tx,
    *,
    subject: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Rows matching every filter given, oldest first; `action` matches itself and its kind (`merchant` finds
    `merchant.deposit`), `since` is inclusive and `until` exclusive."""
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if subject is not None:
        where.append("subject = ?")
        params.append(subject)
    if actor is not None:
        where.append("actor = ?")
        params.append(actor)
    if action is not None:
        where.append("(action = ? OR substr(action, 1, ?) = ?)")
        params += [action, len(action) + 1, action + "."]
    if since is not None:
        where.append("at >= ?")
        params.append(to_micros(since))
    if until is not None:
        where.append("at < ?")
        params.append(to_micros(until))
    rows = tx.all(
        f"SELECT {_COLUMNS} FROM (SELECT {_COLUMNS} FROM audit_log WHERE {' AND '.join(where)}"
        " ORDER BY id DESC LIMIT ?) newest ORDER BY id",
        [*params, limit],
    )
    return [_entry(r) for r in rows]
