"""Recipient validation and preparation against a channel profile."""

from payout_core.validation.card import CardResolver
from payout_core.validation.normalize import normalize_recipient
from payout_core.validation.prepare import Prepared, prepare
from payout_core.validation.validate import validate
from payout_core.validation.violation import PrepareError, Violation, ViolationCode

__all__ = [
    "CardResolver",
    "PrepareError",
    "Prepared",
    "Violation",
    "ViolationCode",
    "normalize_recipient",
    "prepare",
    "validate",
]
