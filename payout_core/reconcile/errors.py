"""Typed errors of reconciliation; a refused statement or decision changed nothing."""

from __future__ import annotations

from payout_core.errors import PayoutError


class ReconcileError(PayoutError):
    """Base of every error reconciliation raises on purpose."""


class StatementRefused(ReconcileError):
    """A malformed statement: refused whole, nothing stored. `row` 0: the file as a whole."""

    def __init__(self, file: str, row: int, rule: str, detail: str) -> None:
        self.file = file
        self.row = row
        self.rule = rule
        super().__init__(f"{file}: row {row}: {rule}: {detail}" if row else f"{file}: {rule}: {detail}")


class NoStatementLayout(ReconcileError):
    def __init__(self, channel: str, profile: str) -> None:
        self.channel = channel
        super().__init__(f"channel={channel!r}: its profile {profile!r} declares no [statement] layout")


class StatementConflict(ReconcileError):
    """The day was reconciled from another file: a corrected statement is a decision for a person, not a rerun."""

    def __init__(self, channel: str, day: str, file: str, sha256: str) -> None:
        self.channel = channel
        self.day = day
        super().__init__(
            f"channel={channel!r} day={day}: already reconciled from {file!r} (sha256 {sha256[:12]}…), another file"
        )
