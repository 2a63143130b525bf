"""Balanced postings: each leg is one conditional balance update plus one entry carrying the balance after it."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from cardbin.errors import InvalidInput
from payout_core.ledger.errors import InsufficientFunds, UnbalancedPosting, UnknownAccount
from payout_core.store import Row, Tx, from_micros, to_micros


class Leg(msgspec.Struct, frozen=True):
    account: str
    amount: int  # signed fen: negative leaves the account, positive enters it


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    transfer_id: str
    account: str
    amount: int
    balance_after: int
    order_id: int | None
    kind: str
    at: datetime


def transfer(source: str, dest: str, amount: int) -> tuple[Leg, Leg]:
    """Two legs moving a positive amount; a zero or negative transfer is a caller bug, refused by name."""
    if amount <= 0:
        raise InvalidInput("amount", str(amount), "a transfer moves a positive number of fen")
    return Leg(source, -amount), Leg(dest, amount)


def post(tx: Tx, legs: tuple[Leg, ...] | list[Leg], *, kind: str, at: int, order_id: int | None = None) -> str:
    """Apply legs atomically (the caller's transaction); returns the transfer id shared by their entries.

    The accounts are locked in id order first (no deadlock between concurrent postings on PostgreSQL) and checked
    before anything is written, so a refused posting changes nothing. An account's entry time is
    max(at, its last entry time): per-account history stays ordered whatever the callers' clocks.
    """
    total = sum(leg.amount for leg in legs)
    if total != 0:
        raise UnbalancedPosting(total)
    delta: dict[str, int] = {}
    for leg in legs:
        delta[leg.account] = delta.get(leg.account, 0) + leg.amount
    accounts = sorted(delta)
    marks = ", ".join(["?"] * len(accounts))
    locked = tx.all(
        f"SELECT id, balance, may_go_negative FROM accounts WHERE id IN ({marks}) ORDER BY id{tx.for_update}", accounts
    )
    current = {str(r[0]): (int(r[1]), bool(r[2])) for r in locked}
    for account in accounts:
        if account not in current:
            raise UnknownAccount(account)
        balance_now, may_go_negative = current[account]
        if balance_now + delta[account] < 0 and not may_go_negative:
            raise InsufficientFunds(account, -delta[account], balance_now)
    case = "CASE id " + " ".join(["WHEN ? THEN CAST(? AS BIGINT)"] * len(accounts)) + " END"
    updated = tx.all(
        f"UPDATE accounts SET balance = balance + {case},"
        f" updated_at = CASE WHEN updated_at > ? THEN updated_at ELSE ? END"
        f" WHERE id IN ({marks}) RETURNING id, balance, updated_at",
        [*(v for a in accounts for v in (a, delta[a])), at, at, *accounts],
    )
    final = {str(r[0]): (int(r[1]), int(r[2])) for r in updated}
    transfer_id = uuid.uuid4().hex
    running = {a: final[a][0] - delta[a] for a in accounts}
    rows: list[object] = []
    for leg in legs:
        running[leg.account] += leg.amount
        rows += (transfer_id, leg.account, leg.amount, running[leg.account], order_id, kind, final[leg.account][1])
    tx.send(
        "INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, order_id, kind, at) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(legs)),
        rows,
    )
    return transfer_id


def balance(tx: Tx, account: str) -> int:
    row = tx.one("SELECT balance FROM accounts WHERE id = ?", (account,))
    if row is None:
        raise UnknownAccount(account)
    return int(row[0])


def balance_at(tx: Tx, account: str, instant: datetime) -> int:
    """The balance after the last entry at or before `instant` (0 before the first): 日切 snapshots, daily balances."""
    balance(tx, account)  # refuse an unknown account rather than answer 0
    row = tx.one(
        "SELECT balance_after FROM ledger_entries WHERE account_id = ? AND at <= ? ORDER BY at DESC, id DESC LIMIT 1",
        (account, to_micros(instant)),
    )
    return 0 if row is None else int(row[0])


_ENTRY_COLUMNS = "id, transfer_id, account_id, amount, balance_after, order_id, kind, at"


def _entry(row: Row) -> Entry:
    eid, tid, acc, amount, after, order_id, kind, at = row
    return Entry(
        id=int(eid),
        transfer_id=tid,
        account=acc,
        amount=int(amount),
        balance_after=int(after),
        order_id=None if order_id is None else int(order_id),
        kind=kind,
        at=from_micros(int(at)),
    )


def entries_of_account(tx: Tx, account: str) -> list[Entry]:
    rows = tx.all(f"SELECT {_ENTRY_COLUMNS} FROM ledger_entries WHERE account_id = ? ORDER BY at, id", (account,))
    return [_entry(r) for r in rows]


def entries_of_order(tx: Tx, order_id: int) -> list[Entry]:
    rows = tx.all(f"SELECT {_ENTRY_COLUMNS} FROM ledger_entries WHERE order_id = ? ORDER BY id", (order_id,))
    return [_entry(r) for r in rows]
