"""The `orders` table: every statement on it, and rows ↔ Order Structs. Other modules get Orders, never SQL.

State conditions come from the lifecycle table (`lifecycle.LIFECYCLE`): a move updates an order only from one of
its sources, so a move that finds no row was refused by the table, never half done.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Literal, NamedTuple

import msgspec

from payout_core.keys import Keyring
from payout_core.orders.lifecycle import LIFECYCLE, Action, OrderState
from payout_core.orders.model import Order
from payout_core.recipient import Recipient
from payout_core.store import Later, Row, Store, Tx, from_micros

_COLUMNS = (
    "id, merchant_id, merchant_order_no, amount, recipient, state, business_day, channel, channel_order_no,"
    " approver, route_failure, failure_code, reason, operator, created_at, updated_at, approved_at, routed_at,"
    " dispatched_at, finished_at, card_limit_day, submitted_by, card_key, account_limit_day"
)
# What a move may set besides the state (and updated_at): column names never come from callers' text.
_MOVABLE = frozenset(
    {
        "approver",
        "approved_at",
        "reason",
        "operator",
        "failure_code",
        "finished_at",
        "dispatched_at",
        "channel",
        "channel_order_no",
        "card_limit_day",
        "account_limit_day",
        "route_failure",
        "routed_at",
    }
)
_ROUTED = {None: "", True: " AND channel IS NOT NULL", False: " AND channel IS NULL"}

_decode_recipient = msgspec.json.Decoder(Recipient).decode


def _context(merchant_id: str, merchant_order_no: str) -> str:
    """What a sealed recipient is bound to: its order's idempotency key (never changes), so it opens nowhere else."""
    return f"orders.recipient:{merchant_id}:{merchant_order_no}"


def seal_recipient(keys: Keyring, merchant_id: str, merchant_order_no: str, recipient: Recipient) -> str:
    """The recipient as stored: its JSON sealed (AES-GCM) under the keyring's current data key."""
    return keys.seal(msgspec.json.encode(recipient), _context(merchant_id, merchant_order_no))


def open_recipient(
    keys: Keyring, merchant_id: str, merchant_order_no: str, stored: str, *, legacy: bool = False
) -> Recipient:
    """A stored recipient read back. A plain JSON object (written before recipients were sealed) is read only by
    `reseal` (`payout-core keys rewrap`): anywhere else it is UnreadableData, or whoever can write the table could
    put a payee of their own into an order without any key."""
    if legacy and stored.startswith("{"):
        return _decode_recipient(stored)
    return _decode_recipient(keys.open(stored, _context(merchant_id, merchant_order_no)))


class StoredRecipient(NamedTuple):
    order_id: int
    merchant_id: str
    merchant_order_no: str
    stored: str


def stale_recipients(tx: Tx, keys: Keyring, *, after: int, limit: int) -> list[StoredRecipient]:
    """Orders after id `after` whose recipient is not sealed under the current key (an older key's, or written
    before recipients were sealed), by id."""
    prefix = keys.current_prefix
    sql = (
        "SELECT id, merchant_id, merchant_order_no, recipient FROM orders"
        " WHERE id > ? AND SUBSTR(recipient, 1, CAST(? AS INTEGER)) <> ? ORDER BY id LIMIT ?"
    )
    return [StoredRecipient(int(i), m, n, r) for i, m, n, r in tx.all(sql, (after, len(prefix), prefix, limit))]


def reseal(tx: Tx, keys: Keyring, row: StoredRecipient) -> None:
    """A link: the recipient sealed again under the current key, if it is still what was read (a rewrap running
    at the same time breaks the link, and that batch is simply run again)."""
    recipient = open_recipient(keys, row.merchant_id, row.merchant_order_no, row.stored, legacy=True)
    sealed = seal_recipient(keys, row.merchant_id, row.merchant_order_no, recipient)
    sql = "UPDATE orders SET recipient = ? WHERE id = ? AND recipient = ?"
    tx.send(sql, (sealed, row.order_id, row.stored), rows=1, link="rewrap: reseal the recipient")


def _order(row: Row, keys: Keyring) -> Order:
    (oid, mid, mno, amount, recipient, state, day, channel, cno, approver, route_failure, code, reason, operator) = row[
        :14
    ]
    created, updated, approved, routed, dispatched, finished = (
        None if t is None else from_micros(int(t)) for t in row[14:20]
    )
    assert created is not None and updated is not None  # NOT NULL columns
    return Order(
        id=int(oid),
        merchant_id=mid,
        merchant_order_no=mno,
        amount=int(amount),
        recipient=open_recipient(keys, mid, mno, recipient),
        state=state,
        business_day=day,
        channel=channel,
        channel_order_no=cno,
        approver=approver,
        route_failure=route_failure,
        failure_code=code,
        reason=reason,
        operator=operator,
        created_at=created,
        updated_at=updated,
        approved_at=approved,
        routed_at=routed,
        dispatched_at=dispatched,
        finished_at=finished,
        card_limit_day=row[20],
        submitted_by=row[21],
        card_key=row[22],
        account_limit_day=row[23],
    )


def _first(keys: Keyring) -> Callable[[list[Row]], Order | None]:
    return lambda rows: _order(rows[0], keys) if rows else None


def differing_fields(stored: Order, recipient: Recipient) -> list[str]:
    """Names (never values) of what a repeated submission changed."""
    old, new = msgspec.structs.asdict(stored.recipient), msgspec.structs.asdict(recipient)
    return [name for name in new if old[name] != new[name]]


# --- writes ---------------------------------------------------------------------------------------------------------


def insert(
    tx: Tx,
    keys: Keyring,
    merchant_id: str,
    merchant_order_no: str,
    recipient: Recipient,
    *,
    key: str,
    day: str,
    at: int,
    submitted_by: str | None,
) -> Later[Order | None]:
    """The new order (`created`), sent ahead; None when the merchant is unknown (nothing is inserted). A used
    merchant order number fails the transaction (UNIQUE): the idempotency key is the database's to keep."""
    rows = tx.defer(
        "INSERT INTO orders (merchant_id, merchant_order_no, amount, recipient, card_key, business_day, state,"
        " created_at, updated_at, submitted_by) SELECT id, ?, ?, ?, ?, ?, 'created', ?, ?, ? FROM merchants"
        f" WHERE id = ? RETURNING {_COLUMNS}",
        (
            merchant_order_no,
            recipient.amount,
            seal_recipient(keys, merchant_id, merchant_order_no, recipient),
            key,
            day,
            at,
            at,
            submitted_by,
            merchant_id,
        ),
    )
    return rows.decoded(_first(keys))


# Who may make a move, as a condition on the row: a person other than the order's submitter (maker-checker), or
# the merchant's configuration (automatic approval). A move that finds no row was refused by one of them or by
# the lifecycle; the engine reads which.
Guard = Literal["not_submitter", "auto_merchant"] | None
_GUARDS = {
    None: "",
    "not_submitter": " AND (submitted_by IS NULL OR submitted_by <> ?)",
    "auto_merchant": " AND merchant_id IN (SELECT id FROM merchants WHERE approval = 'auto')",
}


@cache
def _move_sql(action: Action, fields: tuple[str, ...], returning: bool, guard: Guard = None) -> str:
    move = LIFECYCLE[action]
    sets = "".join(f", {f} = ?" for f in fields)
    sources = " OR ".join(f"(state = '{s.state}'{_ROUTED[s.routed]})" for s in move.sources)
    sql = (
        f"UPDATE orders SET state = '{move.target}'{sets}, updated_at = ? WHERE id = ? AND ({sources}){_GUARDS[guard]}"
    )
    return f"{sql} RETURNING {_COLUMNS}" if returning else sql


def _move_params(
    action: Action, order_id: int, at: int, fields: dict[str, object], *, guard: Guard, by: str | None, returning: bool
) -> tuple[str, tuple[object, ...]]:
    assert _MOVABLE.issuperset(fields), f"not a column a move sets: {set(fields) - _MOVABLE}"
    names = tuple(fields)
    extra = (by,) if guard == "not_submitter" else ()
    return _move_sql(action, names, returning, guard), (*fields.values(), at, order_id, *extra)


def move(
    db: Tx | Store,
    keys: Keyring,
    action: Action,
    order_id: int,
    *,
    at: int,
    fields: dict[str, object],
    durable: bool = True,
    guard: Guard = None,
    by: str | None = None,
) -> Order | None:
    """Apply `action` to the order as the lifecycle table (and `guard`, for the actor `by`) allows it, setting
    `fields`; the order as it now is, or None when it does not exist or the move may not start from it. Given the
    Store (not a Tx), the move is a transaction of its own statement."""
    sql, params = _move_params(action, order_id, at, fields, guard=guard, by=by, returning=True)
    row = db.one(sql, params, durable=durable) if isinstance(db, Store) else db.one(sql, params)
    return None if row is None else _order(row, keys)


def move_later(
    tx: Tx, keys: Keyring, action: Action, order_id: int, *, at: int, fields: dict[str, object], guard: Guard = None
) -> Later[Order | None]:
    """`move`, sent ahead (the moves of a batch)."""
    sql, params = _move_params(action, order_id, at, fields, guard=guard, by=None, returning=True)
    return tx.defer(sql, params).decoded(_first(keys))


def move_link(
    tx: Tx, keys: Keyring, action: Action, order_id: int, *, at: int, fields: dict[str, object], guard: Guard, by: str
) -> Later[Order]:
    """`move` as a link of `tx`'s write chain (a refused move fails the whole chain, its audit row included); the
    order as it then is, read with the next round trip."""
    sql, params = _move_params(action, order_id, at, fields, guard=guard, by=by, returning=False)
    tx.send(sql, params, rows=1, link=f"{action}: move the order")
    return tx.defer(f"SELECT {_COLUMNS} FROM orders WHERE id = ?", (order_id,)).decoded(
        lambda rows: _order(rows[0], keys)
    )


def claim(
    tx: Tx,
    order_id: int,
    *,
    channel: str,
    channel_order_no: str,
    card_limit_day: str | None,
    account_limit_day: str | None,
    at: int,
) -> None:
    """The first link of a route's write chain: the order takes its channel, only from a state routing starts from
    (its row is then the first lock the route holds), and records the days of the channel limits it counts on."""
    fields = {
        "channel": channel,
        "channel_order_no": channel_order_no,
        "card_limit_day": card_limit_day,
        "account_limit_day": account_limit_day,
        "route_failure": None,
        "routed_at": at,
    }
    tx.send(
        _move_sql("route", tuple(fields), False),
        (*fields.values(), at, order_id),
        rows=1,
        link="route: claim the order",
    )


def note_route_failure(tx: Tx, order_id: int, reason: str, at: int) -> None:
    """Why no channel could take the order; only while it may still be routed (a link: else the chain fails)."""
    sql = _move_sql("route", ("route_failure",), False)
    tx.send(sql, (reason, at, order_id), rows=1, link="route: note why no channel took the order")


# --- reads ----------------------------------------------------------------------------------------------------------


def get(tx: Tx, keys: Keyring, order_id: int) -> Order | None:
    return _first(keys)(tx.all(f"SELECT {_COLUMNS} FROM orders WHERE id = ?", (order_id,)))


def find(tx: Tx, keys: Keyring, merchant_id: str, merchant_order_no: str) -> Order | None:
    sql = f"SELECT {_COLUMNS} FROM orders WHERE merchant_id = ? AND merchant_order_no = ?"
    return _first(keys)(tx.all(sql, (merchant_id, merchant_order_no)))


def in_state(tx: Tx, keys: Keyring, state: OrderState, *, routed: bool | None = None, limit: int) -> list[Order]:
    """Orders in `state` (routed or not, or either), oldest first."""
    sql = f"SELECT {_COLUMNS} FROM orders WHERE state = ?{_ROUTED[routed]} ORDER BY id LIMIT ?"
    return [_order(r, keys) for r in tx.all(sql, (state, limit))]


def by_channel_order_nos(tx: Tx, keys: Keyring, channel: str, numbers: Sequence[str]) -> dict[str, Order]:
    """The orders routed to `channel` under these channel order numbers (a statement's lines), by number."""
    found: dict[str, Order] = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        marks = ", ".join(["?"] * len(chunk))
        sql = f"SELECT {_COLUMNS} FROM orders WHERE channel = ? AND channel_order_no IN ({marks})"
        found |= {o.channel_order_no or "": o for o in (_order(r, keys) for r in tx.all(sql, [channel, *chunk]))}
    return found


def finished_in(tx: Tx, keys: Keyring, channel: str, state: OrderState, window: tuple[int, int]) -> list[Order]:
    """Orders of `channel` that reached `state` in `window` [start, end) (microseconds): a day's finished payouts."""
    sql = f"SELECT {_COLUMNS} FROM orders WHERE channel = ? AND state = ? AND finished_at >= ? AND finished_at < ?"
    return [_order(r, keys) for r in tx.all(f"{sql} ORDER BY id", (channel, state, *window))]


def by_ids(tx: Tx, keys: Keyring, ids: Sequence[int]) -> Later[dict[int, Order]]:
    """The orders of `ids` that exist, read with the next round trip."""
    marks = ", ".join(["?"] * len(ids)) or "NULL"
    rows = tx.defer(f"SELECT {_COLUMNS} FROM orders WHERE id IN ({marks})", ids)
    return rows.decoded(lambda found: {o.id: o for o in (_order(r, keys) for r in found)})


# --- leases (store/lease.py): which worker routes or dispatches an approved order -------------------------------


def lease(tx: Tx, keys: Keyring, *, routed: bool, owner: str, until: int, now: int, limit: int) -> list[Order]:
    """Claim up to `limit` approved orders (routed or not) whose lease has passed, oldest first; the orders claimed.
    Only `approved` orders are claimed: from `dispatching` on, the order's dispatch attempt carries the lease."""
    sql = (
        "UPDATE orders SET lease_owner = ?, lease_until = ? WHERE id IN (SELECT id FROM orders WHERE state ="
        f" 'approved'{_ROUTED[routed]} AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?"
        f"{tx.skip_locked}) RETURNING {_COLUMNS}"
    )
    return sorted((_order(r, keys) for r in tx.all(sql, (owner, until, now, limit))), key=lambda o: o.id)


def release(tx: Tx, order_ids: Sequence[int], owner: str) -> None:
    """Give claimed orders back at once (a stopping worker's unstarted work); only the owner's own leases."""
    marks = ", ".join(["?"] * len(order_ids)) or "NULL"
    tx.send(
        f"UPDATE orders SET lease_owner = NULL, lease_until = NULL WHERE id IN ({marks}) AND lease_owner = ?",
        (*order_ids, owner),
        rows=None,  # an order another worker claimed after ours passed stays theirs
        link="release the orders' leases",
    )


def count_by_state(tx: Tx) -> dict[str, int]:
    return {str(state): int(n) for state, n in tx.all("SELECT state, COUNT(*) FROM orders GROUP BY state")}


def oldest_dispatched_at(tx: Tx) -> int | None:
    """When the longest-running dispatch started (micros), None when nothing is in flight."""
    row = tx.one("SELECT MIN(dispatched_at) FROM orders WHERE state = 'dispatching'")
    return None if row is None or row[0] is None else int(row[0])
