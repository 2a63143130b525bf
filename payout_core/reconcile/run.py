"""Reconcile one business day of one channel account against its statement: match, open an item per difference,
end with a summary. The whole day is one transaction; the same file twice changes nothing.

A line matches the order routed to the account under its order number (the channel order number we sent). Our
side is read as it is now, so a statement reconciled the morning after sees the night's answers:
- paid: our order succeeded for the same amount (else amount_differs); failed or still in progress: paid_not_succeeded;
- failed: our order failed or is still in progress (the dispatcher decides it); succeeded: failed_at_channel;
- returned: our order succeeded with its return recorded; without it: returned;
- a line naming no order of the account: unknown_order;
- an order that succeeded within the day (by its finish time, the channel's cut-off) that no statement of the
  account lists at all: missing_from_statement.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import msgspec

from payout_core.differences.items import ItemKind, NewItem, open_items
from payout_core.ledger import balance_at, channel_account
from payout_core.orders import Order, PayoutEngine
from payout_core.orders.table import by_channel_order_nos, finished_in
from payout_core.reconcile import statements
from payout_core.reconcile.errors import NoStatementLayout, StatementConflict
from payout_core.reconcile.reader import Statement, StatementLine, read_statement
from payout_core.reconcile.summary import DaySummary
from payout_core.returns.adjustments import returns_of
from payout_core.store import Clock, ConstraintViolation, Tx, from_micros, to_micros, utcnow


class _Found(msgspec.Struct, frozen=True):
    kind: ItemKind
    line: StatementLine | None
    order: Order | None


def _evidence(found: _Found) -> str:
    line, order = found.line, found.order
    return msgspec.json.encode(
        {
            "statement": None
            if line is None
            else {"row": line.row, "status": line.status, "amount": line.amount, "ref": line.channel_ref},
            "ours": None
            if order is None
            else {"order_id": order.id, "state": order.state, "amount": order.amount, "code": order.failure_code},
        }
    ).decode()


def compare(
    lines: list[StatementLine],
    orders: dict[str, Order],
    returned: set[int],
    succeeded_in_day: list[Order],
    listed_before: set[str],
) -> tuple[list[Order | None], list[_Found]]:
    """The order each line matched (None: unknown to us), and every difference: the rule of the module docstring."""
    matched: list[Order | None] = []
    found: list[_Found] = []
    for line in lines:
        order = orders.get(line.order_no)
        matched.append(order)
        kind: ItemKind | None = None
        if order is None:
            kind = "unknown_order"
        elif line.status == "paid":
            if order.state != "succeeded":
                kind = "paid_not_succeeded"
            elif line.amount != order.amount:
                kind = "amount_differs"
        elif line.status == "failed":
            kind = "failed_at_channel" if order.state == "succeeded" else None
        elif order.state == "succeeded" and order.id not in returned:
            kind = "returned"
        if kind is not None:
            found.append(_Found(kind, line, order))
    listed_now = {line.order_no for line in lines}
    for order in succeeded_in_day:
        number = order.channel_order_no or ""
        if number not in listed_now and number not in listed_before:
            found.append(_Found("missing_from_statement", None, order))
    return matched, found


class Reconciler:
    """`payout-core reconcile` is this, from the shell."""

    def __init__(self, engine: PayoutEngine, *, clock: Clock = utcnow) -> None:
        self._engine = engine
        self._clock = clock

    def run(self, channel: str, day: date, path: Path) -> DaySummary:
        """Reconcile `day` of channel account `channel` against the statement file at `path`.

        A malformed file is refused (StatementRefused: file, row, rule) before anything is written; the same file
        again returns the stored summary (`rerun`) and changes nothing; another file for a reconciled day is
        refused (StatementConflict)."""
        profile = self._engine.channel_profile(channel)
        if profile.statement is None:
            raise NoStatementLayout(channel, profile.name)
        statement = read_statement(path, profile.statement, day)
        start, end = profile.statement.day_window(day)
        with self._engine.store.transaction(write=False) as tx:
            before = self._stored(tx, channel, day, statement)
        if before is not None:
            return before
        try:
            with self._engine.store.transaction() as tx:
                return self._reconcile(tx, channel, day, statement, (to_micros(start), to_micros(end)))
        except ConstraintViolation:  # a concurrent run stored the day first
            with self._engine.store.transaction(write=False) as tx:
                again = self._stored(tx, channel, day, statement)
            if again is None:
                raise
            return again

    def _stored(self, tx: Tx, channel: str, day: date, statement: Statement) -> DaySummary | None:
        stored = statements.stored(tx, channel, day.isoformat())
        if stored is None:
            return None
        file, sha256, summary = stored
        if sha256 != statement.sha256:
            raise StatementConflict(channel, day.isoformat(), file, sha256)
        return msgspec.structs.replace(summary, rerun=True)

    def _reconcile(self, tx: Tx, channel: str, day: date, statement: Statement, window: tuple[int, int]) -> DaySummary:
        lines = statement.lines
        orders = by_channel_order_nos(tx, self._engine.keys, channel, sorted({line.order_no for line in lines}))
        returned = set(returns_of(tx, sorted({o.id for o in orders.values() if o.state == "succeeded"})))
        succeeded = finished_in(tx, self._engine.keys, channel, "succeeded", window)
        numbers = sorted({o.channel_order_no or "" for o in succeeded})
        matched, found = compare(lines, orders, returned, succeeded, statements.listed_before(tx, channel, numbers))
        last = from_micros(window[1] - 1)  # balance_at counts entries at or before it; the day's end is the next day's
        ledger = sum(balance_at(tx, channel_account(channel, p), last) for p in ("available", "in_flight"))
        summary = _summary(channel, day, statement, (matched, found), ledger)
        now = self._clock()
        line_ids = statements.record(
            tx, statement, summary, [o.id if o else None for o in matched], cutoff=from_micros(window[1]), at=now
        )
        items = [
            NewItem(
                channel=channel,
                kind=f.kind,
                ref=f.line.order_no if f.line is not None else (f.order.channel_order_no or "") if f.order else "",
                order_id=None if f.order is None else f.order.id,
                found_by="statement",
                channel_amount=0 if f.line is None or f.line.status == "failed" else f.line.amount,
                our_amount=0 if f.order is None else f.order.amount,
                evidence=_evidence(f),
                business_day=day.isoformat(),
                statement_line_id=None if f.line is None else line_ids[f.line.row],
            )
            for f in found
        ]
        open_items(tx, items, now)
        return summary


def _summary(
    channel: str, day: date, statement: Statement, result: tuple[list[Order | None], list[_Found]], ledger: int
) -> DaySummary:
    lines = statement.lines
    matched, found = result
    differences: dict[ItemKind, int] = {}
    amounts: dict[ItemKind, int] = {}
    for f in found:
        differences[f.kind] = differences.get(f.kind, 0) + 1
        amount = f.line.amount if f.line is not None else f.order.amount if f.order is not None else 0
        amounts[f.kind] = amounts.get(f.kind, 0) + amount
    with_difference = {f.line.row for f in found if f.line is not None}
    return DaySummary(
        channel=channel,
        business_day=day.isoformat(),
        file=statement.file,
        sha256=statement.sha256,
        lines=len(lines),
        matched=sum(
            1 for line, o in zip(lines, matched, strict=True) if o is not None and line.row not in with_difference
        ),
        paid=sum(1 for line in lines if line.status == "paid"),
        paid_amount=sum(line.amount for line in lines if line.status == "paid"),
        failed=sum(1 for line in lines if line.status == "failed"),
        returned=sum(1 for line in lines if line.status == "returned"),
        returned_amount=sum(line.amount for line in lines if line.status == "returned"),
        differences=differences,
        difference_amounts=amounts,
        closing_balance=statement.closing_balance,
        ledger_balance=ledger,
    )
