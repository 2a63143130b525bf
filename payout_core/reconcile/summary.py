"""The summary a day's reconciliation ends with: lines, matches, each kind of difference, and the balances."""

from __future__ import annotations

import msgspec

from payout_core.differences.items import ItemKind


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


class DaySummary(msgspec.Struct, frozen=True, kw_only=True):
    """`closing_balance` is the statement's balance of the account at the cut-off; `ledger_balance` the ledger's
    (`balance_at` the cut-off of the account's available and in-flight funds). Amounts in fen."""

    channel: str
    business_day: str
    file: str
    sha256: str
    lines: int
    matched: int
    paid: int  # lines the channel paid, and their amount
    paid_amount: int
    failed: int
    returned: int
    returned_amount: int
    differences: dict[ItemKind, int]  # per kind: how many this statement shows
    difference_amounts: dict[ItemKind, int]  # per kind: the amount in question (the channel's, else ours)
    closing_balance: int | None
    ledger_balance: int
    rerun: bool = False  # the same file reconciled before: nothing changed, this is the stored summary

    def lines_text(self) -> list[str]:
        """The summary as an operator reads it."""
        out = [
            f"{self.channel} {self.business_day} ({self.file}){' — already reconciled, nothing changed' * self.rerun}",
            f"lines {self.lines}: matched {self.matched}; paid {self.paid} ({yuan(self.paid_amount)}), failed"
            f" {self.failed}, returned {self.returned} ({yuan(self.returned_amount)})",
        ]
        for kind, count in sorted(self.differences.items()):
            out.append(f"difference {kind}: {count} ({yuan(self.difference_amounts.get(kind, 0))})")
        if not self.differences:
            out.append("no differences")
        stated = "not stated" if self.closing_balance is None else yuan(self.closing_balance)
        gap = "" if self.closing_balance is None else f", difference {yuan(self.closing_balance - self.ledger_balance)}"
        out.append(f"balance at the cut-off: statement {stated}, ledger {yuan(self.ledger_balance)}{gap}")
        return out
