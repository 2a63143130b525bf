"""Postings: transfers between accounts, applied as one write chain; each entry carries the balance after it.

A posting is two links of its transaction's write chain (store/README.md): one statement moves every balance, one
writes every entry. Nothing is read before the commit, and the database refuses what money depends on: an account
that is unknown (the balance link changes too few rows), overdrawn (CHECK accounts_covered), an entry without its
mirror (FOREIGN KEY ledger_entries_mirrored: every transfer sums to zero), a reused transfer id (UNIQUE
ledger_entries_leg) or an unknown kind (CHECK ledger_entries_kind). Any refusal fails the whole transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal, get_args

import msgspec

from payout_core.errors import InvalidInput
from payout_core.ledger.errors import BalanceOverflow, InsufficientFunds, LedgerError, UnknownAccount
from payout_core.store import Later, Row, Tx, from_micros, to_micros

# The closed set of posting kinds (CHECK ledger_entries_kind, migrations 0020 and 0040: a new kind is a new
# migration). adjust: a reconciliation item's adjustment order (payout_core.differences).
PostingKind = Literal["deposit", "fund", "freeze", "settle", "unfreeze", "return", "adjust"]
POSTING_KINDS: tuple[PostingKind, ...] = get_args(PostingKind)

MAX_FEN = 2**63 - 1  # the largest amount a BIGINT column holds


class Transfer(msgspec.Struct, frozen=True):
    """`amount` fen from `source` to `dest`: written as two legs of opposite amounts, so it sums to zero."""

    source: str
    dest: str
    amount: int

    def __post_init__(self) -> None:
        if type(self.amount) is not int or not 0 < self.amount <= MAX_FEN:
            rule = f"a transfer moves an integer number of fen, 1 to {MAX_FEN:,}"
            raise InvalidInput("amount", str(self.amount), rule)
        if self.source == self.dest:
            raise InvalidInput("dest", self.dest, "a transfer moves money between two different accounts")


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    transfer_id: str
    account: str
    amount: int
    balance_after: int
    order_id: int | None
    kind: PostingKind
    at: datetime


def _legs(transfers: Sequence[Transfer]) -> list[tuple[str, int]]:
    """Leg 2k leaves transfer k's source, leg 2k + 1 enters its destination: each the other's mirror."""
    return [leg for t in transfers for leg in ((t.source, -t.amount), (t.dest, t.amount))]


def _deltas(transfers: Sequence[Transfer]) -> dict[str, int]:
    delta: dict[str, int] = {}
    for account, amount in _legs(transfers):
        delta[account] = delta.get(account, 0) + amount
    return delta


def post(
    tx: Tx,
    transfers: Sequence[Transfer],
    *,
    kind: PostingKind,
    at: int,
    order_id: int | None = None,
    transfer_id: str | None = None,
) -> str:
    """Send the posting as two links of `tx`'s write chain; returns its transfer id.

    `transfer_id` names the posting where the caller has an idempotency key for it (a deposit's bank reference):
    a second posting under the same id fails the chain (UNIQUE ledger_entries_leg), so a replay never moves money
    twice; `posting` reads what the first one moved. Otherwise the id is random.

    The balance link locks the accounts in id order (concurrent postings cannot deadlock), then moves them all;
    the entry link writes each leg with the balance after it. An account's entry time is max(at, its last entry
    time), so its history stays ordered whatever the callers' clocks. A refusal fails the transaction at the latest
    at its commit; `refusal` then says which account and why.
    """
    if kind not in POSTING_KINDS:
        raise InvalidInput("kind", str(kind), f"must be one of {', '.join(POSTING_KINDS)}")
    if not transfers:
        raise InvalidInput("transfers", "()", "a posting moves money at least once")
    legs = _legs(transfers)
    delta = _deltas(transfers)
    later: list[int] = []  # per leg: what the later legs of the posting move on the same account
    seen: dict[str, int] = {}
    for account, amount in reversed(legs):
        later.append(seen.get(account, 0))
        seen[account] = seen.get(account, 0) + amount
    later.reverse()
    accounts = sorted(delta)
    transfer_id = transfer_id or uuid.uuid4().hex
    marks = ", ".join(["?"] * len(accounts))
    tx.send(
        f"WITH locked AS MATERIALIZED (SELECT id FROM accounts WHERE id IN ({marks}) ORDER BY id{tx.for_update}),"
        f" delta (id, amount) AS (VALUES {', '.join(['(?, CAST(? AS BIGINT))'] * len(accounts))})"
        " UPDATE accounts SET balance = accounts.balance + d.amount,"
        " updated_at = CASE WHEN accounts.updated_at > ? THEN accounts.updated_at ELSE ? END"
        " FROM delta d JOIN locked l ON l.id = d.id WHERE accounts.id = d.id AND"
        f" (d.amount <= 0 OR accounts.balance <= {MAX_FEN} - d.amount)"
        f" AND (d.amount >= 0 OR accounts.balance >= -{MAX_FEN} - d.amount)",
        [*accounts, *(v for a in accounts for v in (a, delta[a])), at, at],
        rows=len(accounts),
        link=f"{kind}: move the balances",
    )
    tx.send(
        "WITH leg (n, account, amount, later) AS (VALUES "
        + ", ".join(["(CAST(? AS INTEGER), ?, CAST(? AS BIGINT), CAST(? AS BIGINT))"] * len(legs))
        + ") INSERT INTO ledger_entries (transfer_id, leg, account_id, amount, balance_after, order_id, kind, at,"
        " mirror_leg, mirror_amount) SELECT ?, leg.n, leg.account, leg.amount, a.balance - leg.later,"
        " CAST(? AS BIGINT), ?, a.updated_at, leg.n + 1 - 2 * (leg.n % 2), -leg.amount"
        " FROM leg JOIN accounts a ON a.id = leg.account ORDER BY leg.n",
        [
            *(v for n, (account, amount) in enumerate(legs) for v in (n, account, amount, later[n])),
            transfer_id,
            order_id,
            kind,
        ],
        rows=len(legs),
        link=f"{kind}: write the entries",
    )
    return transfer_id


def refusal(tx: Tx, transfers: Sequence[Transfer]) -> LedgerError | None:
    """Why the posting would be refused now: the first account (in id order) that is unknown, cannot cover its
    part, or would pass the largest balance a BIGINT holds; None when every account takes it (a concurrent posting
    moved the balances in between)."""
    delta = _deltas(transfers)
    accounts = sorted(delta)
    marks = ", ".join(["?"] * len(accounts))
    rows = tx.all(f"SELECT id, balance, may_go_negative FROM accounts WHERE id IN ({marks})", accounts)
    current = {str(r[0]): (int(r[1]), bool(r[2])) for r in rows}
    for account in accounts:
        if account not in current:
            return UnknownAccount(account)
        balance_now, may_go_negative = current[account]
        if balance_now + delta[account] < 0 and not may_go_negative:
            return InsufficientFunds(account, -delta[account], balance_now)
        if abs(balance_now + delta[account]) > MAX_FEN:
            return BalanceOverflow(account, delta[account], balance_now)
    return None


def balance(tx: Tx, account: str) -> int:
    row = tx.one("SELECT balance FROM accounts WHERE id = ?", (account,))
    if row is None:
        raise UnknownAccount(account)
    return int(row[0])


def balances(tx: Tx, accounts: Sequence[str]) -> Later[dict[str, int]]:
    """The balances of those of the accounts that exist, read with the next round trip."""
    marks = ", ".join(["?"] * len(accounts)) or "NULL"
    rows = tx.defer(f"SELECT id, balance FROM accounts WHERE id IN ({marks})", accounts)
    return rows.decoded(lambda found: {str(a): int(b) for a, b in found})


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


def posting(tx: Tx, transfer_id: str) -> list[Entry]:
    """The entries of one posting, by leg (none: no such posting)."""
    rows = tx.all(f"SELECT {_ENTRY_COLUMNS} FROM ledger_entries WHERE transfer_id = ? ORDER BY leg", (transfer_id,))
    return [_entry(r) for r in rows]


def entries_of_order(tx: Tx, order_id: int) -> list[Entry]:
    rows = tx.all(f"SELECT {_ENTRY_COLUMNS} FROM ledger_entries WHERE order_id = ? ORDER BY id", (order_id,))
    return [_entry(r) for r in rows]
