"""The `statements` and `statement_lines` tables: every statement reconciled, its lines and its day's summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from payout_core.reconcile.reader import Statement
from payout_core.reconcile.summary import DaySummary
from payout_core.store import Tx, to_micros

_SUMMARY = msgspec.json.Decoder(DaySummary)


def stored(tx: Tx, channel: str, day: str) -> tuple[str, str, DaySummary] | None:
    """(file name, sha256, summary) of the day's statement when it was reconciled before."""
    row = tx.one(
        "SELECT file_name, sha256, summary FROM statements WHERE channel = ? AND business_day = ?", (channel, day)
    )
    return None if row is None else (str(row[0]), str(row[1]), _SUMMARY.decode(row[2]))


def record(
    tx: Tx,
    statement: Statement,
    summary: DaySummary,
    order_ids: Sequence[int | None],
    *,
    cutoff: datetime,
    at: datetime,
) -> dict[int, int]:
    """The statement and its lines (each with the order it matched); the id of each line by its row. A second
    statement for the same account and day is refused by UNIQUE statements_one_per_day."""
    (statement_id,) = tx.one(
        "INSERT INTO statements (channel, business_day, file_name, sha256, lines, closing_balance, ledger_balance,"
        " cutoff_at, reconciled_at, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            summary.channel,
            summary.business_day,
            statement.file,
            statement.sha256,
            len(statement.lines),
            statement.closing_balance,
            summary.ledger_balance,
            to_micros(cutoff),
            to_micros(at),
            msgspec.json.encode(summary).decode(),
        ),
    ) or (None,)
    pairs = list(zip(statement.lines, order_ids, strict=True))
    for start in range(0, len(pairs), 200):
        chunk = pairs[start : start + 200]
        tx.send(
            "INSERT INTO statement_lines (statement_id, row_no, channel_order_no, channel_ref, status, amount,"
            " finished_at, order_id) VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk)),
            [
                v
                for line, order_id in chunk
                for v in (
                    statement_id,
                    line.row,
                    line.order_no,
                    line.channel_ref,
                    line.status,
                    line.amount,
                    to_micros(line.finished_at),
                    order_id,
                )
            ],
            rows=len(chunk),
            link="reconcile: record the lines",
        )
    rows = tx.all("SELECT row_no, id FROM statement_lines WHERE statement_id = ?", (statement_id,))
    return {int(r): int(i) for r, i in rows}


def listed_before(tx: Tx, channel: str, numbers: Sequence[str]) -> set[str]:
    """Those of the channel order numbers an earlier statement of the account listed."""
    found: set[str] = set()
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        marks = ", ".join(["?"] * len(chunk))
        rows = tx.all(
            "SELECT l.channel_order_no FROM statement_lines l JOIN statements s ON s.id = l.statement_id"
            f" WHERE s.channel = ? AND l.channel_order_no IN ({marks})",
            [channel, *chunk],
        )
        found |= {str(r[0]) for r in rows}
    return found
