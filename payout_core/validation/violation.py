"""What is wrong with a recipient for a channel: one `Violation` per broken rule, all reported at once."""

from __future__ import annotations

import re
from typing import Literal

import msgspec

from cardbin import cnaps
from cardbin.pan import mask
from payout_core.errors import PayoutError

ViolationCode = Literal[
    "required",  # a field the channel needs is empty
    "not_normalized",  # the channel wants it written differently: `suggestion` is the normalised value
    "script",  # name in a script the channel refuses (ZHANG SAN on a Chinese-only channel)
    "character",  # a character no name or number may contain
    "middle_dot",  # a dot the channel refuses, or one out of place
    "space",
    "bracket",
    "too_short",
    "too_long",
    "charset",  # a character GBK bank systems cannot store
    "format",  # not the shape of the field (digits, 联行号 check digit, length for the card's BIN)
    "account_type",
    "amount_range",
    "bank_unknown",  # a bank code cardbin's directory does not know
    "bank_unsupported",  # a bank the channel cannot pay
    "bank_mismatch",  # fields (or the card's BIN) that name different banks
    "card_type",  # a card type the channel cannot pay (credit card on a debit-only channel)
]


_DIGIT_RUN = re.compile(r"\d{12,}")


def redact(text: str) -> str:
    """Mask any run of 12+ digits (a card number typed into the wrong field) unless it is a valid 联行号."""
    return _DIGIT_RUN.sub(lambda m: m[0] if cnaps.is_valid(m[0]) else mask(m[0]), text)


class Violation(msgspec.Struct, frozen=True, kw_only=True):
    """One broken rule. Account numbers appear only masked in `message` and `suggestion`."""

    field: str
    code: ViolationCode
    message: str
    suggestion: str | None = None


class PrepareError(PayoutError, ValueError):
    """A recipient that cannot be made dispatch-ready; `.violations` lists every reason, nothing was sent."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "; ".join(f"{v.field}: {v.message}" for v in violations)
        super().__init__(f"recipient refused ({len(violations)} violation(s)): {lines}")
