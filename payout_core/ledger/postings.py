"""Balanced postings: each leg is one conditional balance update plus one entry carrying the balance after it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NoReturn

import msgspec

from payout_core.errors import InvalidInput
from payout_core.ledger.errors import InsufficientFunds, UnbalancedPosting, UnknownAccount
from payout_core.store import Deferred, Params, Row, Tx, from_micros, to_micros


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


class Posting:
    """A posting sent ahead of its answer (`send_posting`): it is written entirely or not at all."""

    __slots__ = ("_accounts", "_delta", "_updated", "transfer_id")

    def __init__(self, transfer_id: str, accounts: list[str], delta: dict[str, int], updated: Deferred) -> None:
        self.transfer_id = transfer_id
        self._accounts = accounts
        self._delta = delta
        self._updated = updated

    @property
    def applied(self) -> bool:
        """Whether the balances moved (and the entries were written); read after the round trip that carried it."""
        return len(self._updated.rows()) == len(self._accounts)

    @property
    def condition(self) -> tuple[str, tuple[str, str]]:
        """SQL condition and its parameters that hold exactly when this posting applied: a statement sent after it
        in the same transaction that must apply only with it (the claim of the order it freezes for) adds it."""
        return "EXISTS (SELECT 1 FROM accounts WHERE id = ? AND last_transfer = ?)", (
            self._accounts[0],
            self.transfer_id,
        )

    def refuse(self, tx: Tx) -> NoReturn:
        """Raise why it did not apply, naming the first account (in id order) that is unknown or cannot cover its
        part. Call it in the posting's transaction, whose locks keep the balances it was refused on."""
        marks = ", ".join(["?"] * len(self._accounts))
        rows = tx.all(f"SELECT id, balance, may_go_negative FROM accounts WHERE id IN ({marks})", self._accounts)
        current = {str(r[0]): (int(r[1]), bool(r[2])) for r in rows}
        for account in self._accounts:
            if account not in current:
                raise UnknownAccount(account)
            balance_now, may_go_negative = current[account]
            if balance_now + self._delta[account] < 0 and not may_go_negative:
                raise InsufficientFunds(account, -self._delta[account], balance_now)
        raise AssertionError(f"posting on {self._accounts} refused, yet every account covers its part")


def send_posting(
    tx: Tx,
    legs: tuple[Leg, ...] | list[Leg],
    *,
    kind: str,
    at: int,
    order_id: int | None = None,
    guard: tuple[str, Params] | None = None,
) -> Posting:
    """Send a balanced posting without waiting for its answer (see `post`).

    One statement locks the accounts in id order (no deadlock between concurrent postings on PostgreSQL), checks
    every balance on the locked rows and moves them all or none, marking them with the transfer id; the entries
    follow in the same round trip, written only for marked accounts, each with the balance after it. So a commit
    may travel with them: the hot account rows are then held for server time only, never for a client round trip.
    An account's entry time is max(at, its last entry time): per-account history stays ordered whatever the
    callers' clocks.

    `guard` is a locking SELECT (end it with `tx.for_update`) whose row must exist for the posting to apply. It is
    locked before the accounts, so a caller that moves its own row then posts (an order, then its money) keeps the
    one lock order without first reading its row in a round trip of its own.
    """
    total = sum(leg.amount for leg in legs)
    if total != 0:
        raise UnbalancedPosting(total)
    delta: dict[str, int] = {}
    later: list[int] = []  # per leg: what later legs of the posting move on the same account
    for leg in reversed(legs):
        later.append(delta.get(leg.account, 0))
        delta[leg.account] = delta.get(leg.account, 0) + leg.amount
    later.reverse()
    accounts = sorted(delta)
    transfer_id = uuid.uuid4().hex
    marks = ", ".join(["?"] * len(accounts))
    guard_sql, guard_params = guard if guard is not None else ("", ())
    updated = tx.defer(
        (f"WITH guard AS MATERIALIZED ({guard_sql}), " if guard_sql else "WITH ")
        + f"locked AS (SELECT id, balance, may_go_negative FROM accounts WHERE id IN ({marks})"
        + (" AND EXISTS (SELECT 1 FROM guard)" if guard_sql else "")
        + f" ORDER BY id{tx.for_update}), delta (id, amount) AS"
        f" (VALUES {', '.join(['(?, CAST(? AS BIGINT))'] * len(accounts))})"
        " UPDATE accounts SET balance = accounts.balance + d.amount, last_transfer = ?,"
        " updated_at = CASE WHEN accounts.updated_at > ? THEN accounts.updated_at ELSE ? END"
        " FROM delta d WHERE accounts.id = d.id AND (SELECT COUNT(*) FROM locked l JOIN delta x ON x.id = l.id"
        " WHERE l.balance + x.amount >= 0 OR l.may_go_negative = 1) = ? RETURNING accounts.id",
        [
            *guard_params,
            *accounts,
            *(v for a in accounts for v in (a, delta[a])),
            transfer_id,
            at,
            at,
            len(accounts),
        ],
    )
    tx.send(
        "WITH leg (n, account, amount, later) AS (VALUES "
        + ", ".join(["(CAST(? AS INTEGER), ?, CAST(? AS BIGINT), CAST(? AS BIGINT))"] * len(legs))
        + ") INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, order_id, kind, at)"
        " SELECT ?, leg.account, leg.amount, a.balance - leg.later, CAST(? AS BIGINT), ?, a.updated_at"
        " FROM leg JOIN accounts a ON a.id = leg.account WHERE a.last_transfer = ? ORDER BY leg.n",
        [
            *(v for n, leg in enumerate(legs) for v in (n, leg.account, leg.amount, later[n])),
            transfer_id,
            order_id,
            kind,
            transfer_id,
        ],
    )
    return Posting(transfer_id, accounts, delta, updated)


def post(tx: Tx, legs: tuple[Leg, ...] | list[Leg], *, kind: str, at: int, order_id: int | None = None) -> str:
    """Apply legs atomically (the caller's transaction); returns the transfer id shared by their entries.

    A refused posting changes nothing and raises (UnknownAccount, InsufficientFunds) before returning.
    """
    posting = send_posting(tx, legs, kind=kind, at=at, order_id=order_id)
    if not posting.applied:
        posting.refuse(tx)
    return posting.transfer_id


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
