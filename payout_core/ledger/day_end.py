"""The end-of-day report (日切): every account's balance at a business day's cut, from the ledger's balance-after.

The cut of business day D is the end of D in Beijing time. Each account's closing balance is the balance after its
last entry at or before the cut, its opening balance the same at the day before's cut, and its movement the sum of
its entries between them. The report balances when every account's opening + movement = closing (the balance-after
chain is unbroken) and the opening, movement and closing totals are each zero (every posting sums to zero).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import msgspec

from payout_core.days import CHINA
from payout_core.store import Tx, from_micros, to_micros


class AccountDay(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    owner_kind: str  # merchant, channel, external
    owner: str
    purpose: str
    opening: int  # fen, at the previous day's cut
    movement: int  # the sum of the day's entries
    closing: int  # fen, at this day's cut

    @property
    def consistent(self) -> bool:
        return self.opening + self.movement == self.closing


class DayEnd(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    cut: datetime  # the last instant of the day (entries at or before it count)
    accounts: list[AccountDay]
    opening_total: int
    movement_total: int
    closing_total: int
    broken: list[str]  # accounts whose opening + movement differs from closing

    @property
    def balanced(self) -> bool:
        return not self.broken and self.opening_total == self.movement_total == self.closing_total == 0


def day_cut(day: date) -> datetime:
    """The last instant (a microsecond before midnight, Beijing time) of business day `day`."""
    return datetime.combine(day + timedelta(days=1), time(), CHINA) - timedelta(microseconds=1)


_LAST_BALANCE = (
    "COALESCE((SELECT e.balance_after FROM ledger_entries e WHERE e.account_id = a.id AND e.at <= ?"
    " ORDER BY e.at DESC, e.id DESC LIMIT 1), 0)"
)


def day_end(tx: Tx, day: date) -> DayEnd:
    """Every account's opening, movement and closing balance of business day `day`, in one statement."""
    cut, previous = to_micros(day_cut(day)), to_micros(day_cut(day - timedelta(days=1)))
    sql = (
        f"SELECT a.id, a.owner_kind, a.owner, a.purpose, {_LAST_BALANCE}, {_LAST_BALANCE},"
        " COALESCE((SELECT SUM(e.amount) FROM ledger_entries e WHERE e.account_id = a.id AND e.at > ?"
        " AND e.at <= ?), 0) FROM accounts a ORDER BY a.owner_kind, a.id"
    )
    accounts = [
        AccountDay(
            account=account,
            owner_kind=kind,
            owner=owner,
            purpose=purpose,
            opening=int(opening),
            movement=int(moved),
            closing=int(closing),
        )
        for account, kind, owner, purpose, opening, closing, moved in tx.all(sql, (previous, cut, previous, cut))
    ]
    return DayEnd(
        day=day,
        cut=from_micros(cut),
        accounts=accounts,
        opening_total=sum(a.opening for a in accounts),
        movement_total=sum(a.movement for a in accounts),
        closing_total=sum(a.closing for a in accounts),
        broken=[a.account for a in accounts if not a.consistent],
    )
