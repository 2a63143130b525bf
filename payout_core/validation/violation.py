"""What is wrong with a recipient for a channel: one `Violation` per broken rule, all reported at once."""

from __future__ import annotations

from typing import Literal

import msgspec

from cardbin.redact import redact
from payout_core.errors import PayoutError

ViolationCode = Literal[
    "required",  # a field the channel needs is empty
    "not_normalized",  # the channel wants it written differently: `suggestion` is the normalised value
    "character",  # a character no name or number may contain
    "middle_dot",  # a dot out of place
    "bracket",
    "too_short",
    "too_long",
    "charset",  # a character GBK bank systems cannot store
    "format",  # not the shape of the field (digits, check digits, 身份证 / mobile rules, length for the card's BIN)
    "account_type",
    "amount_range",
    "bank_unknown",  # a bank code cardbin's directory does not know
    "bank_unsupported",  # a bank the channel cannot pay
    "bank_mismatch",  # fields (or the card's BIN) that name different banks
    "card_type",  # a card type the channel cannot pay (credit card on a debit-only channel)
]


class Violation(msgspec.Struct, frozen=True, kw_only=True):
    """One broken rule. Card, account, 身份证 and mobile numbers appear only masked in `message` and `suggestion`."""

    field: str
    code: ViolationCode
    message: str
    suggestion: str | None = None


def masked(value: str) -> str | None:
    """A personal value as a suggestion may show it: masked by cardbin.redact, or nothing where it would show raw."""
    shown = redact(value)
    return shown if shown != value else None


def redacted(violations: list[Violation]) -> list[Violation]:
    """Every message and suggestion through cardbin.redact, the one masking of personal numbers in any spelling."""
    return [
        Violation(
            field=v.field,
            code=v.code,
            message=redact(v.message),
            suggestion=None if v.suggestion is None else redact(v.suggestion),
        )
        for v in violations
    ]


class PrepareError(PayoutError, ValueError):
    """A recipient that cannot be made dispatch-ready; `.violations` lists every reason, nothing was sent."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = redacted(violations)
        lines = "; ".join(f"{v.field}: {v.message}" for v in self.violations)
        super().__init__(f"recipient refused ({len(self.violations)} violation(s)): {lines}")
